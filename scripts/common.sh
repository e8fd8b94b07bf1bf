# Shared helpers for scripts/*.sh: section headers, root detection and running cargo/rustup
# as the person who owns the Rust toolchain.
#
# The scripts are meant to be started as `sudo ./scripts/….sh` on a developer machine (the
# toolchain lives in the invoking user's ~/.cargo, which sudo's PATH lacks) and as plain root
# in CI (the toolchain is root's own). Builds run as the invoking user so `target/` never
# becomes root-owned; only the network parts need root.

# Prints a visible section header.
section() {
    printf '\n==> %s\n' "$*"
    if [ -n "${CI:-}" ]; then
        # CI once ran out of disk mid-build: each section says what was left when it began.
        df -h --output=avail . 2>/dev/null | awk 'NR == 2 { print "    (disk free: " $1 ")" }'
    fi
}

# True when this shell runs with uid 0.
is_root() {
    [ "$(id -u)" -eq 0 ]
}

# Runs a command as root: directly when already root, else through sudo.
as_root() {
    if is_root; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "error: '$*' needs root and sudo is not installed; run this script as root" >&2
        return 1
    fi
}

# The user whose Rust toolchain builds the project: the sudo caller if any, else ourselves.
toolchain_user() {
    if is_root && [ -n "${SUDO_USER:-}" ] && [ "${SUDO_USER}" != "root" ]; then
        printf '%s\n' "$SUDO_USER"
    else
        id -un
    fi
}

# Home directory of a user, from the passwd database.
home_of() {
    getent passwd "$1" | cut -d: -f6
}

# Runs a toolchain command (cargo, rustup, rustfmt) as toolchain_user with its ~/.cargo/bin
# on PATH, so `sudo ./scripts/x.sh` builds with the caller's toolchain and files.
as_toolchain_user() {
    local user home
    user="$(toolchain_user)"
    home="$(home_of "$user")"
    local path="${CARGO_HOME:-$home/.cargo}/bin:$PATH"
    if [ "$user" = "$(id -un)" ]; then
        PATH="$path" "$@"
    else
        runuser -u "$user" -- env HOME="$home" PATH="$path" "$@"
    fi
}
