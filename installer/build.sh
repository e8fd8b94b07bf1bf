#!/usr/bin/env bash
# Builds what installer/dist.sh packages: masq for Linux and for Windows (x86_64-pc-windows-gnu
# with mingw-w64) in the shipped profile ($MASQ_DIST_PROFILE, default `dist-release`: release with
# thin LTO and stripped symbols), and, unless MASQ_DIST_GUI=0, the desktop app for both in
# src-tauri's release profile with the ui embedded. Prints how long each build took.
#
# Run as the toolchain's user (scripts/test.sh does). Cargo's own lock serialises these
# builds with any other build of the same target folder; nothing here runs two at once.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo"
need cargo x86_64-w64-mingw32-gcc

# Runs a build step and prints its wall time.
timed() {
    local what="$1" start
    shift
    start=$SECONDS
    "$@"
    echo "$what: $((SECONDS - start)) s"
}

section "dist: masq for Linux ($profile)"
timed "masq linux" cargo build --profile "$profile" -p masq

section "dist: masq for Windows ($win_target, $profile)"
timed "masq windows" cargo build --profile "$profile" --target "$win_target" -p masq

if with_gui; then
    if [ ! -f "$repo/ui/dist/index.html" ]; then
        section "dist: the ui (npm run build)"
        [ -d "$repo/node_modules" ] || npm ci --no-audit --no-fund
        npm run build
    fi
    gui=(--manifest-path "$repo/src-tauri/Cargo.toml" --release --features custom-protocol)
    section "dist: desktop app for Linux (release)"
    timed "gui linux" cargo build "${gui[@]}"
    section "dist: desktop app for Windows ($win_target, release)"
    timed "gui windows" cargo build "${gui[@]}" --target "$win_target"
fi
