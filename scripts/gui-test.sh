#!/usr/bin/env bash
# The desktop app's checks, run by scripts/test.sh (and on their own after scripts/deps.sh):
#   1. ui/: type check and production build, vitest unit tests of the ui logic;
#   2. Playwright in Debian's Chromium against the built ui with the Tauri IPC mocked;
#   3. src-tauri/: rustfmt, clippy -D warnings (Linux and Windows), unit tests, and the app
#      binary with the ui embedded (the `custom-protocol` feature, what `tauri build` enables);
#   4. the real app under Xvfb through WebDriver against a real daemon in network namespaces
#      (tests/gui/run.sh), when that test is present.
# src-tauri/ is its own Cargo workspace with its own target/ (see docs/gui.md).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"
repo="$(cd "$here/.." && pwd)"
cd "$repo"

node_ok() {
    command -v node >/dev/null 2>&1 &&
        node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'
}
if ! node_ok; then
    echo "error: the GUI build needs Node.js >= 20.19 (Vite 8); found: $(node --version 2>/dev/null || echo none)" >&2
    echo "       install a newer Node.js, or skip the GUI checks with MASQ_SKIP_GUI=1" >&2
    exit 1
fi
manifest=(--manifest-path "$repo/src-tauri/Cargo.toml")

section "GUI: npm ci"
as_toolchain_user npm ci --no-audit --no-fund

section "licences: THIRD-PARTY-LICENSES.txt names every crate and npm package shipped"
# Needs the npm packages (just installed) and cargo; installer/licenses/update.sh refreshes it.
as_toolchain_user python3 installer/licenses/check.py

section "GUI: ui type check and build"
as_toolchain_user npm run build

section "GUI: ui unit tests (vitest)"
as_toolchain_user npm test

section "GUI: Playwright against the ui, IPC mocked (Chromium)"
(cd ui && as_toolchain_user npx vite build --mode e2e --logLevel warn && as_toolchain_user node e2e/run.mjs)

section "GUI: src-tauri rustfmt"
as_toolchain_user cargo fmt "${manifest[@]}" --check

section "GUI: src-tauri clippy"
as_toolchain_user cargo clippy "${manifest[@]}" --all-targets --features custom-protocol -- -D warnings

section "GUI: src-tauri clippy x86_64-pc-windows-msvc"
# The Windows elevation path and named-pipe client compile (not run: no Windows here). macOS
# is not checked: Tauri's macOS dependencies compile Objective-C against the Apple SDK.
as_toolchain_user cargo clippy "${manifest[@]}" --target x86_64-pc-windows-msvc --all-targets \
    --features custom-protocol -- -D warnings

section "GUI: src-tauri tests"
as_toolchain_user cargo test "${manifest[@]}" --features custom-protocol

section "GUI: build the app with the ui embedded"
as_toolchain_user cargo build "${manifest[@]}" --features custom-protocol

if [ -x "$repo/tests/gui/run.sh" ]; then
    section "GUI: the real app under Xvfb via WebDriver, real daemon in namespaces"
    "$repo/tests/gui/run.sh"
fi
