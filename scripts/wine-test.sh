#!/usr/bin/env bash
# Runs masq's Windows unit tests under wine: builds the test binaries for
# x86_64-pc-windows-gnu with mingw-w64 and lets cargo start each one through wine.
#
# The wine prefix is a throwaway one under the cargo target dir (target/wine/prefix), never the
# user's ~/.wine, with a ProcessPrng stub for Debian 12's wine 8 (scripts/wine-prefix.sh).
#
# Then a smoke test of `masq service` against wine's own service control manager: install
# (which starts `masq daemon --service`), `masq status` over the control pipe, stop, start,
# uninstall. Sharing itself is not started: wine has no Wintun and lacks IP Helper calls.
#
# Needs the packages and the Rust target that scripts/deps.sh installs (wine, wine64,
# gcc-mingw-w64-x86-64, x86_64-pc-windows-gnu). Run it as the toolchain's user, not as root
# on someone else's tree: wine refuses prefixes owned by another user.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"
repo="$(cd "$here/.." && pwd)"
cd "$repo"

target=x86_64-pc-windows-gnu
# shellcheck source=wine-prefix.sh
. "$here/wine-prefix.sh"
trap stop_wine EXIT

section "cargo test --target $target (under wine)"
CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine \
    cargo test --target "$target" --lib --bins \
    -p masq-vocab -p masq-engine -p masq-platform -p masq-control -p masq-paths -p masq

section "masq service under wine's service control manager"
cargo build --target "$target" -p masq
masq="${CARGO_TARGET_DIR:-$repo/target}/$target/debug/masq.exe"
# Leftovers of an interrupted earlier run go first; then every step must succeed.
wine "$masq" service uninstall >/dev/null 2>&1 || true
# Runs masq.exe under wine and fails the script, naming the step, if it fails.
step() {
    echo "+ masq $*"
    if ! out="$(wine "$masq" "$@" 2>&1)"; then
        printf '%s\n' "$out" >&2
        echo "error: \`masq $*\` failed under wine" >&2
        exit 1
    fi
    printf '%s\n' "$out"
}
# `masq status` once the daemon's control pipe is up (the SCM reports the service running a
# moment before the daemon has created its pipe).
wait_status() {
    local tries=0
    until wine "$masq" status; do
        tries=$((tries + 1))
        if [ "$tries" -ge 20 ]; then
            echo "error: the masq service did not answer on its control pipe within 10 s" >&2
            exit 1
        fi
        sleep 0.5
    done
}
step service install
wait_status
step service stop
if wine "$masq" status >/dev/null 2>&1; then
    echo "error: masq still answers after \`masq service stop\`" >&2
    exit 1
fi
step service start
wait_status
step service uninstall
