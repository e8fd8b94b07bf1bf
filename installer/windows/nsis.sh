#!/usr/bin/env bash
# The Windows installer: installer/windows/masq.nsi compiled by Debian's makensis over the
# staged Windows files (windows/stage.sh).
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
need makensis

version="$(dist_version)"
out="$dist/masq-$version-windows-x86_64-setup.exe"
defines=(-DVERSION="$version" -DSTAGE="$dist/stage/windows" -DOUTFILE="$out")
if with_gui; then
    defines+=(-DGUI)
fi
makensis -V2 -WX -INPUTCHARSET UTF8 "${defines[@]}" "$installer/windows/masq.nsi"
echo "wrote ${out#"$repo"/}"
