#!/usr/bin/env bash
# The portable zip: the staged Windows files (windows/stage.sh) plus the `portable` marker
# (masq-paths: config, journal and leases stay in the folder), in one top-level folder
# masq-<version>-windows-x86_64/ so unpacking never scatters files.
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
need zip

name="masq-$(dist_version)-windows-x86_64"
work="$dist/stage/zip"
rm -rf "$work"
mkdir -p "$work/$name"
cp -p "$dist/stage/windows/"* "$work/$name/"
printf 'masq keeps its config, journal and leases in this folder while this file exists.\r\n' \
    >"$work/$name/portable"
out="$dist/$name.zip"
rm -f "$out"
(cd "$work" && TZ=UTC zip -q -X -9 -r "$out" "$name")
echo "wrote ${out#"$repo"/}"
