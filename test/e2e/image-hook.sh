#!/bin/sh
# mmdebstrap --customize-hook for the e2e image: $1 is the image root. Part of the image cache
# key (run.sh hashes this file), so any change here rebuilds the image.
set -eu
root=$1

# First-boot semantics: systemd treats "uninitialized" as a first boot (ConditionFirstBoot=yes)
# and commits the machine id later; systemd-firstboot would wait for console input.
echo uninitialized >"$root/etc/machine-id"
ln -sf /dev/null "$root/etc/systemd/system/systemd-firstboot.service"
echo guest >"$root/etc/hostname"

# The iptables alternative stays Debian's default (iptables-nft): hardend's "auto" backend then
# programs nftables. run.sh boots a copy with iptables-legacy selected as well.

# A user with a valid password (must be refused: passwords are off) and root's ssh directory
# (the run binds a key there: root logins must be refused even with a valid key).
chroot "$root" useradd -m -s /bin/bash tester
echo 'tester:tester-pass-e2e' | chroot "$root" chpasswd
install -d -m 0700 "$root/root/.ssh"
: >"$root/root/.ssh/authorized_keys"
chmod 0600 "$root/root/.ssh/authorized_keys"

# Stray daemons live where a package would put them (/usr/lib/systemd/system).
# Stray daemon 1: socket-activated echo on tcp/7777.
cat >"$root/usr/lib/systemd/system/stray-echo.socket" <<'UNIT'
[Unit]
Description=stray socket-activated echo (e2e)

[Socket]
ListenStream=7777
Accept=yes

[Install]
WantedBy=sockets.target
UNIT
cat >"$root/usr/lib/systemd/system/stray-echo@.service" <<'UNIT'
[Unit]
Description=stray echo connection (e2e)

[Service]
ExecStart=/bin/cat
StandardInput=socket
UNIT

# Stray daemon 2: an enabled service listening on tcp/8080 and udp/8080.
cat >"$root/usr/local/sbin/stray-listen" <<'PY'
#!/usr/bin/python3
import socket, threading
def tcp():
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", 8080)); s.listen(16)
    while True:
        c, _ = s.accept(); c.sendall(b"stray\n"); c.close()
def udp():
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", 8080))
    while True:
        d, a = s.recvfrom(2048); s.sendto(b"stray\n", a)
threading.Thread(target=udp, daemon=True).start()
tcp()
PY
chmod 0755 "$root/usr/local/sbin/stray-listen"
cat >"$root/usr/lib/systemd/system/stray-listen.service" <<'UNIT'
[Unit]
Description=stray listener on tcp/8080 and udp/8080 (e2e)

[Service]
ExecStart=/usr/local/sbin/stray-listen

[Install]
WantedBy=multi-user.target
UNIT
chroot "$root" systemctl enable stray-echo.socket stray-listen.service

# The journal is uploaded only when the test starts the uploader (journal-upload.sh); the image's
# own receiver would be one more listener.
chroot "$root" systemctl disable systemd-journal-upload.service systemd-journal-remote.socket >/dev/null 2>&1 || true

# Nothing in a container needs these, and they slow the boot down.
for u in systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer man-db.timer \
         e2scrub_all.timer fstrim.timer; do
        ln -sf /dev/null "$root/etc/systemd/system/$u"
done

# cloud-init: the NoCloud seed is bound in at boot (run.sh), no other source is probed, the
# network (set up by the test) is not cloud-init's to configure, and the image has no locales
# to generate (Debian 12's cloud-init fails cloud-config.service trying to).
mkdir -p "$root/etc/cloud/cloud.cfg.d"
cat >"$root/etc/cloud/cloud.cfg.d/90-e2e.cfg" <<'CFG'
datasource_list: [ NoCloud ]
network: { config: disabled }
locale: false
CFG
