#!/usr/bin/env bash
# Gathers the Windows files into target/dist/stage/windows/: masq.exe, wintun.dll (amd64, from
# the wintun crate, which vendors WireGuard LLC's signed prebuilt DLLs), the readme and
# licence texts, and with the desktop app masq-gui.exe (stripped) and the WebView2Loader.dll
# it links against (from the webview2-com-sys crate). The zip and the NSIS installer are both
# made from this one folder, so they cannot ship different files.
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
need x86_64-w64-mingw32-strip python3

stage="$dist/stage/windows"
rm -rf "$stage"
mkdir -p "$stage"

install -m 0755 "$target_dir/$win_target/$(profile_dir)/masq.exe" "$stage/masq.exe"
# A no-op for the dist-release profile (already stripped); shrinks a reused debug build tenfold.
x86_64-w64-mingw32-strip "$stage/masq.exe"
wintun="$(crate_dir "$repo/Cargo.toml" wintun)/wintun"
install -m 0644 "$wintun/bin/amd64/wintun.dll" "$stage/wintun.dll"
install -m 0644 "$wintun/LICENSE.txt" "$stage/wintun-LICENSE.txt"
install -m 0644 "$installer/windows/README.txt" "$stage/README.txt"
install -m 0644 "$installer/common/COPYRIGHT.txt" "$stage/COPYRIGHT.txt"
install -m 0644 "$repo/installer/licenses/THIRD-PARTY-LICENSES.txt" "$stage/THIRD-PARTY-LICENSES.txt"

if with_gui; then
    install -m 0755 "$gui_target_dir/$win_target/release/masq-gui.exe" "$stage/masq-gui.exe"
    x86_64-w64-mingw32-strip "$stage/masq-gui.exe"
    webview2="$(crate_dir "$repo/src-tauri/Cargo.toml" webview2-com-sys)"
    install -m 0644 "$webview2/x64/WebView2Loader.dll" "$stage/WebView2Loader.dll"
    install -m 0644 "$installer/windows/WebView2Loader-NOTICE.txt" "$stage/WebView2Loader-NOTICE.txt"
fi

# Text files in Windows line endings, so Notepad on older Windows shows them right.
for f in "$stage"/*.txt; do
    sed -i 's/\r*$/\r/' "$f"
done
echo "staged $(find "$stage" -type f | wc -l) files in ${stage#"$repo"/}"
