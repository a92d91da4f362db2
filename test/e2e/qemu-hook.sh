#!/bin/sh
# mmdebstrap --customize-hook for the full-kernel (qemu) image only, run after image-hook.sh:
# $1 is the image root. Part of the qemu image's cache key (qemu.sh hashes this file).
set -eu
root=$1

# The guest's network: systemd-networkd on the virtio NIC (whatever udev names it), the
# static test addresses; no RA, no DHCP, no duplicate address detection delay.
mkdir -p "$root/etc/systemd/network"
cat >"$root/etc/systemd/network/10-e2e-virtio.network" <<'NET'
[Match]
Driver=virtio_net

[Network]
DHCP=no
IPv6AcceptRA=no
LinkLocalAddressing=ipv6

[Address]
Address=192.0.2.2/24

[Address]
Address=2001:db8::2/64
DuplicateAddressDetection=none
NET
chroot "$root" systemctl enable systemd-networkd.service

# sudo resolves the host name (no nss-myhostname in the image; nspawn's guest has no such need)
grep -q '[[:space:]]guest$' "$root/etc/hosts" || echo '127.0.1.1 guest' >>"$root/etc/hosts"

# The root file system is the whole virtio disk (no partition table).
echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' >"$root/etc/fstab"

# The kernel is booted with -kernel/-initrd from outside the disk: the initrd must carry the
# virtio and ext4 drivers (Debian's default MODULES=most does; fail loudly if it does not).
initrd=$(ls "$root"/boot/initrd.img-* | head -n1)
chroot "$root" lsinitramfs "/boot/${initrd##*/}" | grep -q '/virtio_blk\.ko' || {
        echo "qemu-hook: $initrd has no virtio_blk" >&2; exit 1; }
