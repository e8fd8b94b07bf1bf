#!/usr/bin/env bash
# Installs what building masq, its demo and its end-to-end tests need on Debian 12, and the
# Rust targets CI cross-checks. Idempotent: packages already installed are not fetched again,
# `apt-get update` runs at most once per call and only when something is missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

# Debian packages of the tools the demo and tests/e2e shell out to (see README.md).
packages=(
    iproute2 nftables curl dnsutils dnsmasq-base iperf3 traceroute netcat-openbsd socat
    iputils-ping python3 ethtool procps kmod
    busybox natpmpc
)
# RFC 5780 NAT behaviour discovery (tests/e2e/nat_behaviour.sh): coturn's STUN server and
# discovery client. Debian's package leaves the server disabled (/etc/default/coturn).
packages+=(coturn)
# libFuzzer, which the fuzz targets link (scripts/fuzz.sh, fuzz/), is C++ built by cc.
packages+=(g++)
# The benchmark harness (bench/netns-bench.sh; CI runs its smoke test): sockperf for TCP_RR,
# ab and nginx for connection rates, jq for its results, pasta and slirp4netns to compare.
packages+=(sockperf apache2-utils nginx-light jq passt slirp4netns)
# The Windows unit tests (scripts/wine-test.sh): mingw-w64 builds x86_64-pc-windows-gnu test
# binaries, 64-bit wine runs them (wine32 is not needed).
packages+=(wine wine64 gcc-mingw-w64-x86-64)
# The downloads (installer/dist.sh): makensis for the Windows installer, zip/unzip, dpkg-dev
# and lintian for the .deb, systemd-analyze to verify its unit. Left out with MASQ_SKIP_DIST=1.
if [ "${MASQ_SKIP_DIST:-0}" != 1 ]; then
    packages+=(nsis zip unzip dpkg-dev lintian systemd)
fi
# Cross targets `scripts/test.sh` runs clippy for, and the one the Windows tests run on.
targets=(x86_64-pc-windows-msvc aarch64-apple-darwin x86_64-apple-darwin x86_64-pc-windows-gnu)

# The desktop app (src-tauri/, ui/): Tauri's Linux build dependencies, Debian's Chromium for
# the Playwright tests, and Xvfb + WebKitWebDriver + ImageMagick for the real app under a
# virtual display. Left out with MASQ_SKIP_GUI=1 (scripts/test.sh then skips the GUI checks).
# Node.js (>= 20.19, for Vite) comes with the machine; scripts/gui-test.sh checks it.
if [ "${MASQ_SKIP_GUI:-0}" != 1 ]; then
    packages+=(
        libwebkit2gtk-4.1-dev build-essential file libxdo-dev libssl-dev
        libayatana-appindicator3-dev librsvg2-dev pkg-config
        chromium xvfb xauth webkit2gtk-driver imagemagick dbus
    )
fi

section "Debian packages"
# A C compiler for Apple targets is only needed when a dependency compiles C (the `cc` crate).
if grep -q '^name = "cc"$' "$here/../Cargo.lock" 2>/dev/null; then
    packages+=(clang)
fi
missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    echo "all present: ${packages[*]}"
else
    echo "installing: ${missing[*]}"
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

section "Rust targets"
if ! as_toolchain_user rustup --version >/dev/null 2>&1; then
    echo "error: rustup not found for user $(toolchain_user); install the Rust toolchain with rustup first" >&2
    exit 1
fi
installed="$(as_toolchain_user rustup target list --installed)"
want=()
for t in "${targets[@]}"; do
    grep -qx "$t" <<<"$installed" || want+=("$t")
done
if [ "${#want[@]}" -eq 0 ]; then
    echo "all present: ${targets[*]}"
else
    as_toolchain_user rustup target add "${want[@]}"
fi
for c in clippy rustfmt; do
    as_toolchain_user rustup component list --installed | grep -q "^$c" || as_toolchain_user rustup component add "$c"
done
