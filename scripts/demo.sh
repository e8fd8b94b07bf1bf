#!/usr/bin/env bash
# Installs what the demo needs, builds masq (release) and runs `masq demo` as root.
# Usage: sudo ./scripts/demo.sh [--keep]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"
repo="$(cd "$here/.." && pwd)"
cd "$repo"

"$here/deps.sh"

section "build masq (release)"
as_toolchain_user cargo build --release -p masq

section "masq demo"
as_root "$repo/target/release/masq" demo "$@"
