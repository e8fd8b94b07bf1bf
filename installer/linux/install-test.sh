#!/usr/bin/env bash
# Installs the .deb for real, into a throwaway copy of this machine: a private mount
# namespace with an overlay of / whose writable layer is a tmpfs, chrooted into. dpkg, the
# maintainer scripts, addgroup and deb-systemd-helper all run as they would on a real
# system, but every change lands in the tmpfs and vanishes with the namespace; the host's
# files, dpkg database and services are never touched. /run is an empty tmpfs inside, so the
# scripts see no running systemd and start nothing.
#
# Checks: install (group, files, unit enabled, packaged masq runs), reinstall over itself
# (the upgrade path: prerm upgrade, postinst configure with the old version; the config in
# /etc/masq kept), purge (files, enablement and /var/lib/masq gone; the admin's config and
# the group stay by design). Needs root.
#   install-test.sh DEB
set -euo pipefail
# shellcheck source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
need unshare chroot dpkg

deb="${1:?usage: $0 DEB}"
if ! is_root; then
    echo "error: installing the .deb into a throwaway overlay needs root (mount, chroot)" >&2
    exit 1
fi
work="$(mktemp -d /tmp/masq-deb-install.XXXXXX)"
trap 'rm -rf "$work"' EXIT
cp "$deb" "$work/masq.deb"

# What runs inside the chroot: the package's life cycle with a check after each step.
cat >"$work/steps.sh" <<'STEPS'
set -eu
fail() { echo "error: $*" >&2; exit 1; }
wants=/etc/systemd/system/multi-user.target.wants/masq.service
dpkg -i /tmp/masq.deb
getent group masq >/dev/null || fail "postinst did not create the masq group"
[ -L "$wants" ] || fail "postinst did not enable masq.service"
/usr/bin/masq --version
echo "installed: masq group, masq.service enabled, /usr/bin/masq runs"
mkdir -p /etc/masq && echo 'lan = "eth1"' >/etc/masq/masq.toml
dpkg -i /tmp/masq.deb
[ -L "$wants" ] || fail "reinstalling lost the enablement"
grep -q eth1 /etc/masq/masq.toml || fail "reinstalling changed the admin's config"
echo "reinstalled over itself (upgrade path): still enabled, config kept"
mkdir -p /var/lib/masq && echo '{}' >/var/lib/masq/leases.json
dpkg --purge masq
[ ! -e /usr/bin/masq ] || fail "purge left /usr/bin/masq"
[ ! -e "$wants" ] || fail "purge left masq.service enabled"
[ ! -e /var/lib/masq ] || fail "purge left /var/lib/masq"
grep -q eth1 /etc/masq/masq.toml || fail "purge removed the admin's config"
echo "purged: files, enablement and leases gone; the admin's config kept"
STEPS

unshare --mount --propagation private -- bash -euo pipefail -c '
w="$1"
mkdir "$w/layer" "$w/root"
mount -t tmpfs tmpfs "$w/layer"
mkdir "$w/layer/upper" "$w/layer/work"
mount -t overlay overlay -o "lowerdir=/,upperdir=$w/layer/upper,workdir=$w/layer/work" "$w/root"
mount -t proc proc "$w/root/proc"
mount --bind /dev "$w/root/dev"
mount -t tmpfs tmpfs "$w/root/run"
mount -t tmpfs tmpfs "$w/root/tmp"
cp "$w/masq.deb" "$w/steps.sh" "$w/root/tmp/"
chroot "$w/root" /bin/sh /tmp/steps.sh
' _ "$work"
