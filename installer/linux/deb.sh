#!/usr/bin/env bash
# The Debian package, built with dpkg-deb from a staged tree (no debian/ source package, so it
# reuses the binaries dist already built instead of building again):
#   /usr/bin/masq and /usr/bin/masq-gui (stripped), a desktop entry and icons,
#   /lib/systemd/system/masq.service as `masq service definition systemd` prints it (the
#   same generator masq's own code and tests use), maintainer scripts from installer/linux/
#   (masq group, enable/start, stop on removal), copyright and changelog, shell completions
#   for bash, zsh and fish and the manual pages (`masq completions`, `masq manpages`: made
#   from the CLI's own definition, so they cannot drift from it).
# Depends are computed by dpkg-shlibdeps from the binaries, plus what they load at run time.
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
need dpkg-deb dpkg-shlibdeps dpkg-architecture gzip

version="$(dist_version)"
arch="$(dpkg-architecture -qDEB_HOST_ARCH)"
work="$dist/stage/deb"
root="$work/root"
rm -rf "$work"
mkdir -p "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/usr/share/doc/masq"

masq="$target_dir/$(profile_dir)/masq"
install -m 0755 "$masq" "$root/usr/bin/masq"
strip --strip-unneeded "$root/usr/bin/masq"
"$masq" service definition systemd --program /usr/bin/masq >"$root/lib/systemd/system/masq.service"
chmod 0644 "$root/lib/systemd/system/masq.service"
bins=("$root/usr/bin/masq")
if with_gui; then
    install -m 0755 "$gui_target_dir/release/masq-gui" "$root/usr/bin/masq-gui"
    strip --strip-unneeded "$root/usr/bin/masq-gui"
    bins+=("$root/usr/bin/masq-gui")
    install -D -m 0644 "$installer/linux/masq.desktop" "$root/usr/share/applications/masq.desktop"
    for size in 32x32 128x128; do
        install -D -m 0644 "$repo/src-tauri/icons/$size.png" \
            "$root/usr/share/icons/hicolor/$size/apps/masq.png"
    done
fi
for dir in bash-completion/completions zsh/vendor-completions fish/vendor_completions.d man/man1; do
    install -d "$root/usr/share/$dir"
done
"$masq" completions bash >"$root/usr/share/bash-completion/completions/masq"
"$masq" completions zsh >"$root/usr/share/zsh/vendor-completions/_masq"
"$masq" completions fish >"$root/usr/share/fish/vendor_completions.d/masq.fish"
"$masq" manpages "$work/man"
for page in "$work/man"/*.1; do
    gzip -n -9 <"$page" >"$root/usr/share/man/man1/${page##*/}.gz"
done
find "$root/usr/share/bash-completion" "$root/usr/share/zsh" "$root/usr/share/fish" \
    "$root/usr/share/man" -type f -exec chmod 0644 {} +
install -m 0644 "$installer/linux/copyright" "$root/usr/share/doc/masq/copyright"
# Every third-party licence text (installer/licenses/update.sh); compressed, as Debian
# wants for documentation this size.
gzip -n -9 <"$repo/installer/licenses/THIRD-PARTY-LICENSES.txt" >"$root/usr/share/doc/masq/THIRD-PARTY-LICENSES.txt.gz"
chmod 0644 "$root/usr/share/doc/masq/THIRD-PARTY-LICENSES.txt.gz"
printf 'masq (%s) unstable; urgency=medium\n\n  * Built by installer/dist.sh.\n\n -- masq authors <masq@example.invalid>  %s\n' \
    "$version" "$(date -R -u -d "@${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}")" |
    gzip -n -9 >"$root/usr/share/doc/masq/changelog.gz"
chmod 0644 "$root/usr/share/doc/masq/changelog.gz"

# dpkg-shlibdeps wants a source package's debian/control to read.
mkdir -p "$work/src/debian"
printf 'Source: masq\n\nPackage: masq\nArchitecture: any\n' >"$work/src/debian/control"
shlibs="$(cd "$work/src" && dpkg-shlibdeps -O "${bins[@]}" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')"
# nftables: `nft` installs the table that keeps the LAN closed when the host forwards.
depends="adduser, init-system-helpers (>= 1.54~), nftables, $shlibs"
if with_gui; then
    # The tray icon library is opened with dlopen, so dpkg-shlibdeps cannot see it.
    depends+=", libayatana-appindicator3-1"
fi
size="$(du -sk --exclude=DEBIAN "$root" | cut -f1)"
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" \
    -e "s/@DEPENDS@/$depends/" "$installer/linux/control.in" >"$root/DEBIAN/control"
for script in postinst prerm postrm; do
    install -m 0755 "$installer/linux/$script" "$root/DEBIAN/$script"
done

out="$dist/masq_${version}_$arch.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "wrote ${out#"$repo"/}"
