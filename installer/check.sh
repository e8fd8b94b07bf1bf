#!/usr/bin/env bash
# Proves what installer/dist.sh produced, on this Linux machine:
#   - every artifact's contents against installer/manifests/, and its size;
#   - the Windows executables import no MinGW runtime DLL that Windows lacks;
#   - the portable zip under wine: masq.exe --version, --help, `config check FILE`, and
#     `config check` with no file, which must look in the zip's own folder (portable marker);
#   - the NSIS installer under wine: silent install, installed files, the service registered
#     and answering on its control pipe, installing again over it (upgrade), silent
#     uninstall removing the service and the files;
#   - the .deb: dpkg-deb --info/--contents, lintian, the maintainer scripts' syntax, the
#     systemd unit (systemd-analyze verify) and the packaged masq --version;
#   - macOS: the bundle layout without the Mac executables, both plists parsed by plistlib,
#     and the Mac-only scripts' syntax.
# Run as the toolchain's user (wine refuses a prefix owned by someone else).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
need unzip wine dpkg-deb lintian python3 systemd-analyze x86_64-w64-mingw32-objdump

version="$(dist_version)"
arch="$(dpkg-architecture -qDEB_HOST_ARCH)"
zip_name="masq-$version-windows-x86_64"
zip="$dist/$zip_name.zip"
setup="$dist/masq-$version-windows-x86_64-setup.exe"
deb="$dist/masq_${version}_$arch.deb"
tmp="$(mktemp -d "$dist/check.XXXXXX")"
cleanup() {
    stop_wine
    rm -rf "$tmp"
}
stop_wine() { :; }
trap cleanup EXIT

section "dist: artifact sizes"
print_sizes "$zip" "$setup" "$deb"

section "dist: portable zip contents"
listing="$(unzip -Z1 "$zip" | grep -v '/$')"
if grep -v "^$zip_name/" <<<"$listing"; then
    echo "error: files outside the top-level folder $zip_name/" >&2
    exit 1
fi
check_manifest windows-portable "$(sed "s|^$zip_name/||" <<<"$listing")"

section "dist: Windows executables need no MinGW runtime DLLs"
# Windows has no libgcc_s/libwinpthread/libstdc++; every import must be a system DLL or one
# the zip ships (WebView2Loader.dll). Wine would hide a missing one when run from the prefix.
for exe in "$dist/stage/windows/"*.exe; do
    imports="$(x86_64-w64-mingw32-objdump -p "$exe" | sed -n 's/^[[:space:]]*DLL Name: //p')"
    if grep -i '^lib.*\.dll$' <<<"$imports"; then
        echo "error: ${exe##*/} imports MinGW runtime DLLs (above) that Windows does not have" >&2
        exit 1
    fi
    echo "${exe##*/}: imports $(sort -fu <<<"$imports" | paste -sd' ' -)"
done

# shellcheck source=../scripts/wine-prefix.sh
. "$repo/scripts/wine-prefix.sh"

section "dist: masq.exe from the zip under wine"
unzip -q "$zip" -d "$tmp"
portable="$tmp/$zip_name"
masq_exe="$portable/masq.exe"
# Runs masq.exe from the zip, failing the script with its output when it fails.
wine_masq() {
    local out
    if ! out="$(wine "$masq_exe" "$@" 2>&1)"; then
        printf '%s\n' "$out" >&2
        echo "error: \`masq.exe $*\` failed under wine" >&2
        exit 1
    fi
    printf '%s\n' "$out" | tr -d '\r'
}
got="$(wine_masq --version)"
[ "$got" = "masq $version" ] || { echo "error: --version printed '$got', expected 'masq $version'" >&2; exit 1; }
echo "masq.exe --version: $got"
wine_masq --help | grep -q 'Share this computer' || { echo "error: --help lacks the summary" >&2; exit 1; }
echo "masq.exe --help: ok"
printf 'lan = "LAN"\n[dhcp]\nlease_time = 7200\n' >"$tmp/check.toml"
wine_masq config check "$(winepath -w "$tmp/check.toml")" | grep -q 'lease_time = 7200' ||
    { echo "error: config check did not print the file's settings" >&2; exit 1; }
echo "masq.exe config check FILE: ok"
printf 'lan = "PortableLAN"\n' >"$portable/masq.toml"
wine_masq config check | grep -q 'lan = "PortableLAN"' ||
    { echo "error: in portable mode, config check did not read masq.toml next to masq.exe" >&2; exit 1; }
echo "masq.exe config check (portable: reads masq.toml next to masq.exe): ok"

section "dist: NSIS installer under wine (silent install, service, uninstall)"
instdir='C:\masq-dist-check'
instdir_unix="$(winepath -u "$instdir")"
# Leftovers of an interrupted earlier run go first.
if [ -e "$instdir_unix/masq.exe" ]; then
    wine "$instdir\\masq.exe" service uninstall >/dev/null 2>&1 || true
fi
rm -rf "$instdir_unix"
wine "$setup" /S "/D=$instdir"
check_manifest windows-installed "$(cd "$instdir_unix" && find . -type f | sed 's|^\./||')"
installed="$instdir\\masq.exe"
# Waits until the installed service answers on its control pipe (it creates the pipe a
# moment after the SCM reports it running).
wait_installed_status() {
    local tries=0
    until wine "$installed" status >/dev/null 2>&1; do
        tries=$((tries + 1))
        if [ "$tries" -ge 20 ]; then
            echo "error: the installed service did not answer on its control pipe within 10 s" >&2
            exit 1
        fi
        sleep 0.5
    done
}
wait_installed_status
service_key='HKLM\System\CurrentControlSet\Services\masq'
wine reg query "$service_key" /v ImagePath | tr -d '\r' | grep -qF "$instdir\masq.exe" ||
    { echo "error: the service is not registered to run $instdir\masq.exe" >&2; exit 1; }
echo "the installed masq service runs $instdir\masq.exe and answers \`masq status\`"
# An upgrade: the same installer again over the running service must replace the files
# (the service holds masq.exe open) and leave the service answering.
wine "$setup" /S "/D=$instdir"
wait_installed_status
echo "installing again over the running service (upgrade): the service answers again"
wine "$instdir\\uninstall.exe" /S "_?=$instdir"
if [ -e "$instdir_unix/masq.exe" ] || wine "$installed" status >/dev/null 2>&1; then
    echo "error: the uninstaller left masq.exe or a running service behind" >&2
    exit 1
fi
if wine reg query "$service_key" >/dev/null 2>&1; then
    echo "error: the uninstaller left the masq service registered" >&2
    exit 1
fi
rm -rf "$instdir_unix"
echo "uninstalled: service removed, files gone"
stop_wine

section "dist: .deb"
dpkg-deb --info "$deb"
check_manifest deb "$(dpkg-deb --contents "$deb" | awk '$1 !~ /^d/ {print $6}')"
mkdir "$tmp/deb"
dpkg-deb --raw-extract "$deb" "$tmp/deb"
for script in postinst prerm postrm; do
    sh -n "$tmp/deb/DEBIAN/$script"
done
got="$("$tmp/deb/usr/bin/masq" --version)"
[ "$got" = "masq $version" ] || { echo "error: packaged masq --version printed '$got'" >&2; exit 1; }
# The packaged unit, its binary path pointed at the extracted one (verify checks that the
# ExecStart program exists); anything systemd warns about fails the check.
sed "s|/usr/bin/masq|$tmp/deb/usr/bin/masq|g" "$tmp/deb/lib/systemd/system/masq.service" >"$tmp/masq.service"
if ! warnings="$(systemd-analyze verify "$tmp/masq.service" 2>&1)" || [ -n "$warnings" ]; then
    printf '%s\n' "$warnings" >&2
    echo "error: systemd-analyze verify rejects the packaged masq.service" >&2
    exit 1
fi
echo "maintainer scripts parse; masq.service verifies; $got"
suppressed="$(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$installer/linux/lintian-overrides.txt" | { grep -v '^$' || true; } | paste -sd, -)"
lintian --fail-on error,warning ${suppressed:+--suppress-tags "$suppressed"} "$deb"
echo "lintian: no errors or warnings"

section "dist: macOS bundle layout, plists, Mac-only scripts"
DEFINITION_MASQ="$target_dir/$(profile_dir)/masq" "$installer/macos/bundle.sh" --layout-only "$tmp/mac"
check_manifest macos-app "$(cd "$tmp/mac/masq.app" && find . -type f | sed 's|^\./||')"
python3 - "$tmp/mac/masq.app/Contents" "$version" <<'PY'
import plistlib, sys
contents, version = sys.argv[1], sys.argv[2]
with open(f"{contents}/Info.plist", "rb") as f:
    info = plistlib.load(f)
assert info["CFBundleExecutable"] == "masq-gui", info
assert info["CFBundlePackageType"] == "APPL", info
assert info["CFBundleShortVersionString"] == version, info
with open(f"{contents}/Resources/org.masq.daemon.plist", "rb") as f:
    daemon = plistlib.load(f)
assert daemon["Label"] == "org.masq.daemon", daemon
assert daemon["ProgramArguments"][:2] == ["/Applications/masq.app/Contents/MacOS/masq", "daemon"], daemon
with open(f"{contents}/Resources/masq.icns", "rb") as f:
    assert f.read(4) == b"icns"
print("Info.plist, org.masq.daemon.plist and masq.icns parse")
PY
bash -n "$installer/macos/build-mac.sh"
bash -n "$installer/macos/bundle.sh"
sh -n "$installer/macos/pkg-scripts/postinstall"
echo "build-mac.sh, bundle.sh and pkg-scripts/postinstall parse (they run on a Mac only)"
