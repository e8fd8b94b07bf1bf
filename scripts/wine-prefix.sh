# Sourced by scripts/wine-test.sh and installer/check.sh: a throwaway 64-bit wine prefix under
# the cargo target dir (target/wine/prefix, never the user's ~/.wine), created once and
# reused, with the ProcessPrng stub every Rust program needs under Debian 12's wine 8.
#
# Debian 12's wine 8 lacks ProcessPrng in bcryptprimitives.dll, so a stub DLL is built from
# scripts/wine/processprng.c and installed into the prefix's system32 (wine itself is not
# patched). Wine runs headless: no display, no debug channels, no Mono/Gecko installers.
# Exports WINEPREFIX and friends; the caller stops the prefix's wineserver with stop_wine
# (e.g. `trap stop_wine EXIT`). Expects $repo and scripts/common.sh's helpers.

for tool in wine wineserver x86_64-w64-mingw32-gcc; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "error: $tool not found; install the Windows test tools with scripts/deps.sh" >&2
        exit 1
    fi
done

wine_work="${CARGO_TARGET_DIR:-$repo/target}/wine"
mkdir -p "$wine_work"
export WINEPREFIX="$wine_work/prefix" WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY

# Stops this prefix's wineserver (and with it any wine process left in the prefix).
stop_wine() {
    wineserver -k 2>/dev/null || true
}

section "wine prefix $WINEPREFIX"
if [ ! -f "$WINEPREFIX/system.reg" ]; then
    # Without wine32 installed, wineboot reports that the 32-bit rundll32 cannot start; the
    # 64-bit prefix the tests need is complete anyway.
    wine wineboot -i 2>&1 | grep -v 'syswow64' || true
    wineserver -w
fi
wine_system32="$WINEPREFIX/drive_c/windows/system32"
if [ ! -d "$wine_system32" ]; then
    echo "error: wineboot did not create $wine_system32" >&2
    exit 1
fi

section "ProcessPrng stub (bcryptprimitives.dll)"
wine_stub="$wine_work/bcryptprimitives.dll"
x86_64-w64-mingw32-gcc -shared -O2 -Wall -Wextra -Werror -o "$wine_stub" \
    "$repo/scripts/wine/processprng.c" "$repo/scripts/wine/processprng.def" -ladvapi32
install -m 0644 "$wine_stub" "$wine_system32/bcryptprimitives.dll"
echo "installed into $wine_system32"
