#!/usr/bin/env bash
# The full-kernel variant of the booted-system test (NOT part of the default suite: it is slow).
# The e2e image (run.sh + image-hook.sh) plus a Debian kernel (linux-image-amd64) and
# systemd-networkd on the virtio NIC (qemu-hook.sh), written into a raw ext4 disk image with
# `mkfs.ext4 -d` (no loop mount, no partition table), booted under qemu-system-x86_64 with TCG
# (-kernel/-initrd from the image's /boot) on a TAP device that lives in a private network
# namespace; the client side of the checks runs in that same namespace. No slirp hostfwd: it
# would accept on the host side and make every port look open.
#
# usage: test/e2e/qemu.sh [--keep] [--no-control]   (root; exit 0 all good, 1 a failure, 77 skipped)
# env:   HARDEND_E2E_CACHE  cache (default test/e2e/cache; the qemu image goes to <cache>/qemu)
#        HARDEND_E2E_DEB    use this .deb instead of building one
#        HARDEND_QEMU_BOOT_TIMEOUT  seconds to wait for a boot (default 180)
set -uo pipefail

QHERE=$(cd "$(dirname "$0")" && pwd)
# A private mount namespace: the overlay and the netns mounts stay ours, and mounts other
# processes make on the host while this runs cannot hide /var or /etc from us.
if [ -z "${HARDEND_QEMU_PRIVATE_MNT:-}" ] && [ "$(id -u)" = 0 ]; then
        export HARDEND_QEMU_PRIVATE_MNT=1
        exec unshare --mount --propagation private "$QHERE/qemu.sh" "$@"
fi
[ -e /var/lib/dpkg/status ] || { echo "FAIL: /var/lib/dpkg/status is missing (something mounted over /var?)"; exit 1; }
CONTROL=1
args=()
for a in "$@"; do
        case $a in
        --no-control) CONTROL=0 ;;
        *) args+=("$a") ;;
        esac
done
# run.sh's functions (package, policy, the from-outside checks); its main is skipped
HARDEND_E2E_SOURCED=1 source "$QHERE/run.sh" "${args[@]}" || exit 1

for p in qemu-system-x86_64 mkfs.ext4; do
        command -v "$p" >/dev/null || skip "$p is not installed (Debian packages qemu-system-x86, e2fsprogs)"
done
[ -c /dev/net/tun ] || skip "no /dev/net/tun"

BOOT_TIMEOUT=${HARDEND_QEMU_BOOT_TIMEOUT:-180}
QCACHE=$CACHE/qemu
QPACKAGES="$PACKAGES,linux-image-amd64"
GUESTCTL4=192.0.2.4          # source of the multiplexed admin session for the in-guest checks
PROBE4=192.0.2.5             # source of the boot probes (the firewall rate-limits new SSH
                             # connections per source: the scans and logins get their own)
GUEST_MAC=52:54:00:e2:e0:02
QEMU_PID=""
VMLINUZ="" INITRD="" KERNEL_PKG=""

cleanup() {
        stop_qemu
        ip netns del "$NS_C" 2>/dev/null
        mountpoint -q "$WORK/merged" 2>/dev/null && umount "$WORK/merged"
        if [ $KEEP = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the image: run.sh's packages + the kernel; both hooks; cached by its inputs
build_qemu_image() {
        local key t sources
        sources=$(sources_for bookworm) || { echo "$sources"; return 1; }
        key=$( { echo "$QPACKAGES"; dpkg-deb --fsys-tarfile "$DEB" | sha256sum; dpkg-deb -I "$DEB" control | sha256sum
                 sha256sum "$HERE/image-hook.sh" "$QHERE/qemu-hook.sh"; } | sha256sum | cut -c1-16)
        IMAGE=$QCACHE/image-$key
        if [ -e "$IMAGE/.complete" ]; then echo "image cached: $IMAGE"
        else
                rm -rf "$QCACHE"/image-* "$QCACHE"/tmp-image
                mkdir -p "$QCACHE"
                t=$(now)
                cp "$DEB" "$QCACHE/hardend-e2e.deb"
                mmdebstrap --mode=root --variant=apt --format=directory \
                        --include="$QPACKAGES" \
                        --customize-hook="copy-in $QCACHE/hardend-e2e.deb /tmp" \
                        --customize-hook='chroot "$1" env DEBIAN_FRONTEND=noninteractive apt-get install -y /tmp/hardend-e2e.deb && rm -f "$1/tmp/hardend-e2e.deb"' \
                        --customize-hook="$HERE/image-hook.sh \"\$1\"" \
                        --customize-hook="$QHERE/qemu-hook.sh \"\$1\"" \
                        bookworm "$QCACHE/tmp-image" "$sources" \
                        >"$QCACHE/mmdebstrap.log" 2>&1 || { tail -n 30 "$QCACHE/mmdebstrap.log"; return 1; }
                mv "$QCACHE/tmp-image" "$IMAGE" && touch "$IMAGE/.complete"
                echo "image built in $(elapsed "$t") s: $IMAGE ($(du -sh "$IMAGE" | cut -f1))"
        fi
        VMLINUZ=$(ls "$IMAGE"/boot/vmlinuz-* | head -n1) && INITRD=$(ls "$IMAGE"/boot/initrd.img-* | head -n1) || return 1
        KERNEL_PKG=$(chroot "$IMAGE" dpkg-query -W -f '${Package} ${Version}' "linux-image-${VMLINUZ##*/vmlinuz-}")
        echo "kernel: $KERNEL_PKG ($(basename "$VMLINUZ"), initrd $(du -h "$INITRD" | cut -f1))"
}

# ---- the per-run tree (policy + root's key baked in, where nspawn binds them) and its disk
make_tree() {
        mkdir -p "$WORK/upper" "$WORK/ovlwork" "$WORK/merged"
        mount -t overlay overlay -o lowerdir="$IMAGE",upperdir="$WORK/upper",workdir="$WORK/ovlwork" "$WORK/merged" || return 1
        install -m 0644 "$WORK/etc-hardend/hardend.conf" "$WORK/merged/etc/hardend/hardend.conf" || return 1
        install -m 0600 "$WORK/root_authorized_keys" "$WORK/merged/root/.ssh/authorized_keys" || return 1
        rm -f "$WORK/merged/.complete"
        # diagnosis only (never by default): kernel modules to load at boot, e.g. to confirm
        # that a check fails because the product does not load one itself
        if [ -n "${HARDEND_QEMU_MODULES:-}" ]; then
                tr ' ' '\n' <<<"$HARDEND_QEMU_MODULES" >"$WORK/merged/etc/modules-load.d/hardend-e2e-diagnosis.conf"
                echo "NOTE: diagnosis run, the guest loads at boot: $HARDEND_QEMU_MODULES"
        fi
}
# make_disk FILE: a raw disk that is one ext4 file system filled from the tree
make_disk() {
        local disk=$1 kb t=$(now)
        kb=$(du -sk --apparent-size "$WORK/merged" | cut -f1)
        rm -f "$disk" && truncate -s $((kb * 13 / 10 / 1024 + 512))M "$disk" || return 1
        mkfs.ext4 -q -F -L hardend-e2e -E root_owner=0:0 -d "$WORK/merged" "$disk" || return 1
        echo "disk $(basename "$disk"): $(du -h --apparent-size "$disk" | cut -f1) in $(elapsed "$t") s"
}

# ---- network: a private namespace holding the TAP device qemu attaches to and the client
setup_tap() {
        ip netns del "$NS_C" 2>/dev/null
        ip netns add "$NS_C" || return 1
        ip -n "$NS_C" link set lo up
        ip -n "$NS_C" tuntap add dev tap0 mode tap || return 1
        local a
        for a in $CLIENT4 $SSHSRC4 $GUESTCTL4 $PROBE4; do ip -n "$NS_C" addr add $a/24 dev tap0 || return 1; done
        ip -n "$NS_C" addr add $CLIENT6/64 dev tap0 nodad || return 1
        ip -n "$NS_C" link set tap0 up
}

# ---- boot and stop
# one TCP connection from a given source address: exit 0 if it was accepted
TCP_PROBE='import socket, sys
s = socket.socket(); s.settimeout(2); s.bind((sys.argv[1], 0)); s.connect((sys.argv[2], int(sys.argv[3])))'
# boot_qemu DISK LOG WAIT_ADMIN(yes|no) [extra kernel args...]
boot_qemu() {
        local disk=$1 log=$2 want_admin=$3; shift 3
        local t=$(now) i
        ip netns exec "$NS_C" qemu-system-x86_64 -accel tcg -m 1024 -smp 2 -nographic -monitor none \
                -no-reboot -kernel "$VMLINUZ" -initrd "$INITRD" \
                -append "root=/dev/vda rw console=ttyS0 panic=-1 $*" \
                -drive file="$disk",format=raw,if=virtio \
                -netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
                -device virtio-net-pci,netdev=n0,mac=$GUEST_MAC \
                -device virtio-rng-pci </dev/null >"$log" 2>&1 &
        QEMU_PID=$!
        # booted: the serial getty prompts (multi-user is nearly up) and sshd answers on port 22
        # (one probe a second from its own address: the firewall rate-limits new SSH connections)
        for i in $(seq "$BOOT_TIMEOUT"); do
                kill -0 "$QEMU_PID" 2>/dev/null || { echo "qemu exited:"; tail -n 30 "$log"; return 1; }
                if grep -aq 'login:' "$log" && inc timeout 3 python3 -c "$TCP_PROBE" $PROBE4 $GUEST4 22; then
                        break
                fi
                sleep 1
        done
        BOOT_TIME=$(elapsed "$t")
        grep -aq 'login:' "$log" || { echo "no login prompt within $BOOT_TIMEOUT s:"; tail -n 30 "$log"; return 1; }
        echo "login prompt and sshd up after $BOOT_TIME s (qemu start to ssh)"
        [ "$want_admin" = yes ] || return 0
        # the in-guest checks go through one multiplexed admin session (sudo -n)
        for i in 1 2 3 4; do
                inc timeout 30 ssh "${GUEST_SSH[@]}" -o ControlMaster=yes -o ControlPersist=600 -fN admin@$GUEST4 && break
                sleep 3
        done
        local state
        state=$(guest timeout 120 systemctl is-system-running --wait 2>/dev/null | tail -n1)
        echo "system state: ${state:-unknown}; $(guest systemd-analyze time 2>&1 | head -n1)"
        [ "$state" = running ] || [ "$state" = degraded ] || return 1
        [ "$state" = degraded ] && guest systemctl --failed --no-legend --plain | sed 's/^/  failed unit: /'
        return 0
}
stop_qemu() {
        [ -n "$QEMU_PID" ] || return 0
        inc ssh -S "$WORK/ctl" -O exit admin@$GUEST4 >/dev/null 2>&1
        kill -TERM "$QEMU_PID" 2>/dev/null
        local i
        for i in $(seq 50); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$QEMU_PID" 2>/dev/null
        wait "$QEMU_PID" 2>/dev/null
        QEMU_PID=""
}
# a clean shutdown (the second boot reads what the first one wrote); bounded, then killed
poweroff_qemu() {
        local t=$(now) i
        guest systemctl poweroff >/dev/null 2>&1
        for i in $(seq 120); do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.5; done
        if kill -0 "$QEMU_PID" 2>/dev/null; then echo "guest did not power off within 60 s; killing qemu"; stop_qemu; return 1; fi
        wait "$QEMU_PID" 2>/dev/null; QEMU_PID=""
        inc ssh -S "$WORK/ctl" -O exit admin@$GUEST4 >/dev/null 2>&1
        rm -f "$WORK/ctl"
        echo "powered off in $(elapsed "$t") s"
}

# in-guest commands: as root (sudo -n) over the admin's multiplexed ssh session
GUEST_SSH=("${SSH_OPTS[@]/#BindAddress=$SSHSRC4/BindAddress=$GUESTCTL4}" -i "$WORK/id_admin" -S "$WORK/ctl")
guest() {
        local q
        q=$(printf '%q ' "$@")
        inc timeout 150 ssh "${GUEST_SSH[@]}" admin@$GUEST4 "sudo -n env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 $q"
}
kernel_is_debian() {
        local r; r=$(guest uname -r) || return 1
        echo "guest kernel: $r ($(guest cat /proc/version | cut -c1-120))"
        [ "$r" = "${VMLINUZ##*/vmlinuz-}" ]
}
# the boot-time unit that loads the firewall finished without an error
firewall_unit_succeeded() {
        local st
        st=$(guest systemctl show -p ActiveState -p Result hardend-firewall.service | sort | tr '\n' ' ')
        echo "hardend-firewall.service: $st"
        [ "$st" = "ActiveState=active Result=success " ] && return 0
        guest journalctl -b 0 -u hardend-firewall.service -o cat --no-pager | grep -i 'error\|fail' | head -n 5
        return 1
}
# stricter than run.sh's: "compliant": true is not enough, every module must say compliant (the
# engine counts a module whose state could not be read, "unknown", as compliant)
status_compliant() {
        local out
        out=$(guest hardenctl status --json 2>/dev/null) ; local rc=$?
        python3 - "$out" <<'PY' ||
import json, sys
d = json.loads(sys.argv[1])
mods = {m.get("name"): m.get("state") for m in d.get("modules", [])}
print("compliant:", d.get("compliant"), "modules:", mods)
for m in d.get("modules", []):
    for f in m.get("findings", []):
        if f.get("kind") not in ("info",):
            print("  finding:", f.get("module"), f.get("check"), f.get("subject"), f.get("kind"), f.get("actual"))
ok = d.get("compliant") is True and {"firewall", "ssh", "admin", "services"} <= set(mods) \
     and all(s == "compliant" for s in mods.values())
sys.exit(0 if ok else 1)
PY
                { echo "hardenctl status --json: exit $rc"; return 1; }
}
firewall_rules_present() {
        local out
        out=$(guest iptables-legacy -S INPUT) && grep -q HARDEND-INPUT <<<"$out" && grep -q -- '-P INPUT DROP' <<<"$out" ||
                { echo "iptables INPUT: $out"; return 1; }
        out=$(guest ip6tables-legacy -S INPUT) && grep -q HARDEND-INPUT <<<"$out" && grep -q -- '-P INPUT DROP' <<<"$out" ||
                { echo "ip6tables INPUT: $out"; return 1; }
        echo "INPUT policy DROP with HARDEND-INPUT on both families"
}

# ---- main
say "package"
build_deb || { echo "FAIL: building the .deb"; exit 1; }
say "image (with linux-image-amd64)"
build_qemu_image || { echo "FAIL: building the image"; exit 1; }
make_inputs || { echo "FAIL: test inputs"; exit 1; }
setup_tap || { echo "FAIL: tap device in a private netns"; exit 1; }
make_tree || { echo "FAIL: per-run tree"; exit 1; }
make_disk "$WORK/disk.raw" || { echo "FAIL: disk image"; exit 1; }

say "boot 1 (first boot, qemu TCG)"
PHASE=main
if boot_qemu "$WORK/disk.raw" "$WORK/console-1.log" yes; then
        BOOT1=$BOOT_TIME
        check "guest runs the image's Debian kernel" kernel_is_debian
        check "hardend-firewall.service succeeded at boot" firewall_unit_succeeded
        run_outside_and_inside_checks
        check "firewall rules in INPUT (v4, v6)" firewall_rules_present
        poweroff_qemu || check "clean poweroff after boot 1" false
else
        check "boot 1 (first boot)" false
        stop_qemu
fi

say "boot 2 (the same disk: a reboot)"
if boot_qemu "$WORK/disk.raw" "$WORK/console-2.log" yes; then
        BOOT2=$BOOT_TIME
        check "reboot: the first-boot unit found the instance hardened and applied nothing" firstboot_not_run
        check "reboot: hardend-firewall.service succeeded at boot" firewall_unit_succeeded
        check "reboot: firewall in place before network-pre.target" firewall_before_network
        check "reboot: firewall rules in INPUT (v4, v6)" firewall_rules_present
        check "reboot: scan tcp $GUEST4: only policy ports answer" scan_matches_policy $GUEST4 tcp
        check "reboot: scan tcp $GUEST6: only policy ports answer" scan_matches_policy $GUEST6 tcp
        check "reboot: hardenctl status --json compliant" status_compliant
        check "reboot: hardend.service running" watcher_running
else
        check "boot 2 (reboot)" false
fi
stop_qemu

if [ $CONTROL = 1 ]; then
        say "negative control (a fresh disk, hardend's units masked): every check must FAIL"
        PHASE=control
        masks=(); for u in $UNITS; do masks+=("systemd.mask=$u"); done
        make_disk "$WORK/disk-control.raw" || { echo "FAIL: control disk"; exit 1; }
        if boot_qemu "$WORK/disk-control.raw" "$WORK/console-control.log" no "${masks[@]}"; then
                run_outside_and_inside_checks
        else
                check "control boot" false
        fi
        stop_qemu
fi

say "summary"
summarize "hardened guest" "kernel: $KERNEL_PKG; boot to ssh: first ${BOOT1:-?} s, reboot ${BOOT2:-?} s"
