#!/usr/bin/env bash
# One command for every download masq can build here, into target/dist/:
#   masq-VERSION-windows-x86_64.zip         portable: runs from its folder, installs nothing
#   masq-VERSION-windows-x86_64-setup.exe   NSIS installer: Program Files, service, Start menu
#   masq_VERSION_ARCH.deb                   Debian/Ubuntu: systemd service, masq group, app
# and checks them (installer/check.sh), including the macOS bundle layout; the macOS .pkg and
# .dmg need a Mac (installer/macos/build-mac.sh). See installer/README.md.
#
#   MASQ_DIST_GUI=0          leave the desktop app out (no GUI builds; faster)
#   MASQ_DIST_PROFILE=NAME   cargo profile for masq (default `dist-release`; `dev` reuses debug builds)
#   --no-build               package what was built before
#   --no-check               skip installer/check.sh
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo"

build=1 check=1
for arg in "$@"; do
    case "$arg" in
    --no-build) build=0 ;;
    --no-check) check=0 ;;
    *)
        echo "usage: $0 [--no-build] [--no-check]" >&2
        exit 2
        ;;
    esac
done

start=$SECONDS
if [ "$build" = 1 ]; then
    "$installer/build.sh"
fi
mkdir -p "$dist"
# Artifacts of an earlier version must not be checked or shipped by mistake.
find "$dist" -maxdepth 1 -type f \( -name 'masq-*' -o -name 'masq_*' \) -delete
section "dist: Windows files"
"$installer/windows/stage.sh"
section "dist: Windows portable zip"
"$installer/windows/zip.sh"
section "dist: Windows installer (makensis)"
"$installer/windows/nsis.sh"
section "dist: Debian package"
"$installer/linux/deb.sh"
if [ "$check" = 1 ]; then
    "$installer/check.sh"
    deb="$(find "$dist" -maxdepth 1 -name 'masq_*.deb')"
    if is_root; then
        section "dist: the .deb installed into a throwaway overlay of this machine"
        "$installer/linux/install-test.sh" "$deb"
    else
        echo "skipped installing the .deb (needs root): sudo $installer/linux/install-test.sh $deb"
    fi
fi
echo "dist: done in $((SECONDS - start)) s"
