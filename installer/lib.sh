# Shared helpers for installer/*.sh: where things are, the version, sizes and manifests.
# Sourced, not run. Callers set `set -euo pipefail` themselves.

installer="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$installer/.." && pwd)"
# shellcheck source=../scripts/common.sh
. "$repo/scripts/common.sh"

target_dir="${CARGO_TARGET_DIR:-$repo/target}"
gui_target_dir="$repo/src-tauri/target"
dist="$target_dir/dist"
# Cargo profile of the shipped masq binaries (Cargo.toml's [profile.dist-release]: release + strip).
profile="${MASQ_DIST_PROFILE:-dist-release}"
win_target=x86_64-pc-windows-gnu

# The workspace version (Cargo.toml's [workspace.package]), which every artifact is named by.
dist_version() {
    sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' "$repo/Cargo.toml" | head -n 1
}

# Cargo's output folder for a profile ("dev" builds land in debug/).
profile_dir() {
    if [ "$profile" = dev ]; then echo debug; else echo "$profile"; fi
}

# True when the desktop app is part of this run (MASQ_DIST_GUI=0 leaves it out).
with_gui() {
    [ "${MASQ_DIST_GUI:-1}" != 0 ]
}

# Fails with a message unless every named command exists.
need() {
    local tool
    for tool in "$@"; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "error: $tool not found; install the packaging tools with scripts/deps.sh" >&2
            exit 1
        fi
    done
}

# The folder of a registry crate's source, from cargo metadata of the given manifest.
crate_dir() {
    local manifest="$1" name="$2"
    cargo metadata --format-version 1 --manifest-path "$manifest" --filter-platform "$win_target" |
        python3 -c '
import json, os, sys
name = sys.argv[1]
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == name:
        print(os.path.dirname(p["manifest_path"]))
        break
else:
    sys.exit(f"error: crate {name} is not in the dependency graph")
' "$name"
}

# Compares a file list with a manifest (installer/manifests/NAME.txt). A line ending in a
# tag like "[gui]" is expected only when that tag is among the active ones given after the
# list ("gui" is active whenever the desktop app is built); "#" starts a comment.
check_manifest() {
    local name="$1" actual="$2" expected
    shift 2
    local active=("$@")
    if with_gui; then active+=(gui); fi
    expected="$(python3 - "$installer/manifests/$name.txt" "${active[@]}" <<'PY'
import re, sys
active = set(sys.argv[2:])
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    m = re.fullmatch(r"(.*?)\s*\[(\w+)\]", line)
    if m:
        if m.group(2) not in active:
            continue
        line = m.group(1)
    if line:
        print(line)
PY
)"
    if ! diff -u <(printf '%s\n' "$expected" | LC_ALL=C sort) <(printf '%s\n' "$actual" | LC_ALL=C sort); then
        echo "error: $name does not match installer/manifests/$name.txt (- expected, + found)" >&2
        return 1
    fi
    echo "$name: contents match installer/manifests/$name.txt"
}

# Prints "size  file" for each artifact.
print_sizes() {
    local f
    for f in "$@"; do
        printf '%8s KiB  %s\n' "$(($(stat -c %s "$f") / 1024))" "${f#"$repo"/}"
    done
}
