#!/usr/bin/env bash
# Everything CI checks, in order: dependencies, formatting, clippy (host and cross targets),
# unit and integration tests, bounded fuzzing, the downloads (installer/dist.sh; MASQ_SKIP_DIST=1 skips them),
# the desktop app's checks (scripts/gui-test.sh; MASQ_SKIP_GUI=1 skips them), then the
# end-to-end suite and a smoke run of the benchmark harness in network namespaces (root).
#
# Works on a fresh Debian 12 machine with rustup, started as `sudo ./scripts/test.sh` (builds
# run as the calling user) or as root in CI.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"
repo="$(cd "$here/.." && pwd)"
cd "$repo"

if ! is_root; then
    echo "error: the end-to-end tests create network namespaces and need root: sudo $0" >&2
    exit 1
fi

"$here/deps.sh"

section "cargo fmt --check"
as_toolchain_user cargo fmt --all --check

section "clippy (host, all targets)"
as_toolchain_user cargo clippy --workspace --all-targets -- -D warnings

section "clippy x86_64-pc-windows-msvc"
# Every crate, the masq binary included (its Windows runtime shell is in
# crates/masq/src/runtime/*_windows.rs), with their tests. MSVC binaries cannot be linked
# here, so this only checks.
as_toolchain_user cargo clippy --target x86_64-pc-windows-msvc --all-targets \
    -p masq-vocab -p masq-engine -p masq-platform -p masq-control -p masq -p masq-demo -- -D warnings

section "clippy aarch64-apple-darwin"
# Build scripts that compile C for Apple targets need clang (deps.sh installs it when the
# lock file has the `cc` crate).
if command -v clang >/dev/null 2>&1; then
    export CC_aarch64_apple_darwin=clang CC_x86_64_apple_darwin=clang
fi
as_toolchain_user cargo clippy --target aarch64-apple-darwin --all-targets \
    -p masq-vocab -p masq-engine -p masq-platform -p masq-control -p masq -p masq-demo -- -D warnings

section "clippy x86_64-apple-darwin"
# Intel Macs: the same code, but c_ulong/ioctl and struct layouts are checked for x86_64 too.
as_toolchain_user cargo clippy --target x86_64-apple-darwin --all-targets \
    -p masq-vocab -p masq-engine -p masq-platform -p masq-control -p masq -p masq-demo -- -D warnings

section "cargo test"
as_toolchain_user cargo test --workspace
# The engine's suite again with TCP segmentation offload: super-segments, split as the
# kernel would, must behave exactly like ordinary segments.
as_toolchain_user env MASQ_TEST_OFFLOAD=1 cargo test -p masq-engine
# Tests marked `#[ignore = "needs root"]` (another uid's client, root's default paths).
if [ "$(toolchain_user)" = root ]; then
    section "cargo test: the tests that need root"
    cargo test --workspace -- --ignored
else
    echo "skipping the tests that need root: run \`cargo test --workspace -- --ignored\` as root"
fi

section "fuzzing, bounded (scripts/fuzz.sh)"
# Every parser that takes input from the LAN, the uplink or a local client, under libFuzzer
# for FUZZ_SECONDS each (stable toolchain, libFuzzer with sanitizer coverage); a crash fails CI.
as_toolchain_user env FUZZ_SECONDS="${FUZZ_SECONDS:-10}" "$here/fuzz.sh"

section "Windows unit tests under wine"
# Library and binary tests built for x86_64-pc-windows-gnu and run by wine in a throwaway
# prefix under target/ (scripts/wine-test.sh); integration tests there are unix-only.
as_toolchain_user "$here/wine-test.sh"

section "build masq"
as_toolchain_user cargo build -p masq

if [ "${MASQ_SKIP_DIST:-0}" != 1 ]; then
    # The downloads: Windows zip and installer, .deb, macOS bundle layout, packaged and
    # checked (wine runs the zip's masq.exe and the installer). To keep CI's cold run short
    # it packages the debug builds made above (stripped when staged) instead of building the
    # `dist-release` profile (+3-4 min cold on two cores), and leaves the desktop app out (its two
    # release builds: +12 min). MASQ_DIST_PROFILE=dist-release MASQ_DIST_GUI=1 gives release artifacts.
    section "downloads (installer/dist.sh)"
    as_toolchain_user env MASQ_DIST_PROFILE="${MASQ_DIST_PROFILE:-dev}" \
        MASQ_DIST_GUI="${MASQ_DIST_GUI:-0}" "$repo/installer/dist.sh"
    if [ "$(toolchain_user)" != root ]; then
        # dist.sh ran unprivileged and skipped this root-only step.
        section "downloads: the .deb installed into a throwaway overlay of this machine"
        "$repo/installer/linux/install-test.sh" "$repo"/target/dist/masq_*.deb
    fi
fi

if [ "${MASQ_SKIP_GUI:-0}" != 1 ]; then
    # The desktop app: ui tests, Playwright, src-tauri checks and build (scripts/gui-test.sh).
    "$here/gui-test.sh"
fi

section "end-to-end tests (network namespaces)"
MASQ="$repo/target/debug/masq" "$repo/tests/e2e/run.sh"

section "benchmark harness smoke run (bench/smoke.sh)"
# The harness against kernel NAT and the real `masq up` for about a second per test, checked
# for plausible figures; a proof that it works, not a measurement (docs/performance.md).
MASQ_BIN="$repo/target/debug/masq" "$repo/bench/smoke.sh"
