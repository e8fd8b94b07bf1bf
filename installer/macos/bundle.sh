#!/usr/bin/env bash
# Lays out masq.app, the macOS bundle, in a given folder:
#   Contents/Info.plist                       from Info.plist.in with the version filled in
#   Contents/MacOS/masq-gui, Contents/MacOS/masq   the app and the CLI/daemon it starts
#   Contents/Resources/masq.icns               from src-tauri/icons (PNG entries)
#   Contents/Resources/org.masq.daemon.plist   the launchd plist, as `masq service definition
#                                              launchd` prints it for the installed path
#   Contents/Resources/COPYRIGHT.txt
#
#   bundle.sh OUT_DIR MASQ_BIN GUI_BIN      a complete bundle (build-mac.sh, on a Mac)
#   bundle.sh --layout-only OUT_DIR         everything but the two Mac executables (CI on
#                                           Linux, which cannot build them); the launchd
#                                           plist comes from the host's masq ($DEFINITION_MASQ)
# Plain bash and python3, so the same script runs on macOS and Linux.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

layout_only=0
if [ "${1:-}" = --layout-only ]; then
    layout_only=1
    shift
fi
if [ "$layout_only" = 1 ] && [ $# -eq 1 ]; then
    out="$1"
    definer="${DEFINITION_MASQ:?set DEFINITION_MASQ to a masq binary that runs here}"
elif [ "$layout_only" = 0 ] && [ $# -eq 3 ]; then
    out="$1" masq_bin="$2" gui_bin="$3"
    definer="${DEFINITION_MASQ:-$masq_bin}"
else
    echo "usage: $0 OUT_DIR MASQ_BIN GUI_BIN | $0 --layout-only OUT_DIR" >&2
    exit 2
fi

version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' "$repo/Cargo.toml" | head -n 1)"
app="$out/masq.app"
rm -rf "$app"
mkdir -p "$app/Contents/MacOS" "$app/Contents/Resources"

sed "s/@VERSION@/$version/g" "$here/Info.plist.in" >"$app/Contents/Info.plist"
"$definer" service definition launchd --program /Applications/masq.app/Contents/MacOS/masq \
    >"$app/Contents/Resources/org.masq.daemon.plist"
cp "$repo/installer/common/COPYRIGHT.txt" "$app/Contents/Resources/COPYRIGHT.txt"
cp "$repo/installer/licenses/THIRD-PARTY-LICENSES.txt" "$app/Contents/Resources/THIRD-PARTY-LICENSES.txt"
# Completions and manual pages from the CLI's own definition; the .pkg's postinstall links
# them where zsh, bash and man look.
mkdir -p "$app/Contents/Resources/completions" "$app/Contents/Resources/man/man1"
"$definer" completions zsh >"$app/Contents/Resources/completions/_masq"
"$definer" completions bash >"$app/Contents/Resources/completions/masq.bash"
"$definer" completions fish >"$app/Contents/Resources/completions/masq.fish"
"$definer" manpages "$app/Contents/Resources/man/man1"
printf 'APPL????' >"$app/Contents/PkgInfo"

# An .icns file is a list of (type, length, data) entries; PNG data is allowed for these
# types, so no Mac tool is needed: icp5 = 32x32, ic07 = 128x128, ic08 = 256x256.
python3 - "$repo/src-tauri/icons" "$app/Contents/Resources/masq.icns" <<'PY'
import struct, sys
icons, out = sys.argv[1], sys.argv[2]
entries = b""
for kind, name in ((b"icp5", "32x32.png"), (b"ic07", "128x128.png"), (b"ic08", "icon.png")):
    with open(f"{icons}/{name}", "rb") as f:
        data = f.read()
    entries += kind + struct.pack(">I", len(data) + 8) + data
with open(out, "wb") as f:
    f.write(b"icns" + struct.pack(">I", len(entries) + 8) + entries)
PY

if [ "$layout_only" = 0 ]; then
    install -m 0755 "$masq_bin" "$app/Contents/MacOS/masq"
    install -m 0755 "$gui_bin" "$app/Contents/MacOS/masq-gui"
fi
echo "laid out $app"
