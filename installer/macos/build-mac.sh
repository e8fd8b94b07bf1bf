#!/usr/bin/env bash
# Builds masq for macOS into target/dist/: a universal (arm64 + x86_64) masq.app, a .pkg that
# installs it to /Applications and starts the launchd daemon (pkg-scripts/postinstall), and a
# .dmg holding the app for drag-and-drop use. ONLY RUNS ON A MAC with Xcode's command-line
# tools, Rust (both Apple targets) and Node.js; Linux CI checks the parts it can (bundle
# layout, plists, this script's syntax) through installer/dist.sh.
#
# Signing and notarization happen when these are set (see installer/README.md):
#   MASQ_CODESIGN_IDENTITY   "Developer ID Application: NAME (TEAMID)" for the binaries and app
#   MASQ_INSTALLER_IDENTITY  "Developer ID Installer: NAME (TEAMID)" for the .pkg
#   MASQ_NOTARY_PROFILE      a `xcrun notarytool store-credentials` profile name
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"

if [ "$(uname -s)" != Darwin ]; then
    echo "error: build-mac.sh needs macOS (lipo, codesign, pkgbuild, hdiutil); on Linux run installer/dist.sh" >&2
    exit 1
fi
for tool in cargo npm lipo pkgbuild productbuild hdiutil codesign xcrun; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "error: $tool not found (Xcode command-line tools, Rust, Node.js)" >&2
        exit 1
    }
done

version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)"
dist="${CARGO_TARGET_DIR:-$repo/target}/dist"
work="$dist/stage/macos"
rm -rf "$work"
mkdir -p "$work/root/Applications" "$work/dmg"

targets=(aarch64-apple-darwin x86_64-apple-darwin)
npm ci --no-audit --no-fund
npm run build
for t in "${targets[@]}"; do
    cargo build --profile dist-release -p masq --target "$t"
    cargo build --manifest-path src-tauri/Cargo.toml --release --features custom-protocol --target "$t"
done
lipo -create -output "$work/masq" "target/aarch64-apple-darwin/dist-release/masq" "target/x86_64-apple-darwin/dist-release/masq"
lipo -create -output "$work/masq-gui" \
    "src-tauri/target/aarch64-apple-darwin/release/masq-gui" "src-tauri/target/x86_64-apple-darwin/release/masq-gui"
strip -x "$work/masq-gui"

"$here/bundle.sh" "$work/root/Applications" "$work/masq" "$work/masq-gui"
app="$work/root/Applications/masq.app"

if [ -n "${MASQ_CODESIGN_IDENTITY:-}" ]; then
    # Inside out: the nested executables first, then the bundle; hardened runtime and a
    # secure timestamp, as notarization requires.
    sign=(codesign --force --options runtime --timestamp --sign "$MASQ_CODESIGN_IDENTITY")
    "${sign[@]}" "$app/Contents/MacOS/masq"
    "${sign[@]}" "$app/Contents/MacOS/masq-gui"
    "${sign[@]}" "$app"
    codesign --verify --strict --deep "$app"
else
    echo "warning: MASQ_CODESIGN_IDENTITY unset: the app is unsigned and Gatekeeper will block it" >&2
fi

pkg="$dist/masq-$version-macos-universal.pkg"
pkgbuild --root "$work/root" --identifier invalid.example.masq.pkg --version "$version" \
    --scripts "$here/pkg-scripts" --install-location / "$work/masq-component.pkg"
productsign=()
if [ -n "${MASQ_INSTALLER_IDENTITY:-}" ]; then
    productsign=(--sign "$MASQ_INSTALLER_IDENTITY" --timestamp)
fi
# (Spelled so that macOS's bash 3.2 accepts an empty array under `set -u`.)
productbuild --package "$work/masq-component.pkg" ${productsign[@]+"${productsign[@]}"} "$pkg"

cp -R "$app" "$work/dmg/"
ln -s /Applications "$work/dmg/Applications"
dmg="$dist/masq-$version-macos-universal.dmg"
rm -f "$dmg"
hdiutil create -volname "masq $version" -srcfolder "$work/dmg" -fs HFS+ -format UDZO "$dmg"
if [ -n "${MASQ_CODESIGN_IDENTITY:-}" ]; then
    codesign --force --timestamp --sign "$MASQ_CODESIGN_IDENTITY" "$dmg"
fi

if [ -n "${MASQ_NOTARY_PROFILE:-}" ]; then
    for artifact in "$pkg" "$dmg"; do
        xcrun notarytool submit "$artifact" --keychain-profile "$MASQ_NOTARY_PROFILE" --wait
        xcrun stapler staple "$artifact"
    done
else
    echo "warning: MASQ_NOTARY_PROFILE unset: not notarized; Gatekeeper warns on other Macs" >&2
fi
ls -l "$pkg" "$dmg"
