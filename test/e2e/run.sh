#!/usr/bin/env bash
# The booted-system test: builds hardend's .deb, a Debian 12 image with it (cached by its
# inputs under test/e2e/cache/), boots the image with systemd-nspawn in a private network
# namespace, and checks it from a client namespace the way a provider's security check would:
# port scans, ssh logins, then the state inside the guest, drift and a reboot. A negative
# control boots the same image with hardend's units masked and asserts that the checks FAIL.
#
# usage: test/e2e/run.sh [--keep]      (root; exit 0 all good, 1 a check failed, 77 skipped)
# env:   HARDEND_E2E_CACHE  image cache (default test/e2e/cache)
#        HARDEND_E2E_DEB    use this .deb instead of building one
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
CACHE=${HARDEND_E2E_CACHE:-$HERE/cache}
KEEP=0
[ "${1:-}" = --keep ] && KEEP=1

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root"
for p in mmdebstrap systemd-nspawn; do
        command -v "$p" >/dev/null || skip "$p is not installed (Debian packages mmdebstrap, systemd-container)"
done
for p in nmap ssh ssh-keygen dpkg-buildpackage ip nsenter python3; do
        command -v "$p" >/dev/null || skip "$p is not installed (see test/e2e/README.md for the packages)"
done

GUEST4=192.0.2.2 CLIENT4=192.0.2.1 SSHSRC4=192.0.2.3
GUEST6=2001:db8::2 CLIENT6=2001:db8::1
WATCH_INTERVAL=5
MSG_APPLIED=3470a6c72f3640ecbb9af94da4e319ac
MSG_DRIFT=e7b7e0fb1f284b90976364b9fad7a806
MSG_REPAIRED=dc56eb757ce343cf9a12c4c770a3108f
UNITS="hardend-firewall.service hardend-firstboot.service hardend.service"

WORK=$(mktemp -d /tmp/hardend-e2e.XXXXXX)
NS_G=he2e-g-$$ NS_C=he2e-c-$$
NSPAWN_PID="" LEADER=""
T0=$(date +%s.%N)

now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(now)"; }
say() { echo "=== $*"; }

cleanup() {
        stop_guest
        ip netns del "$NS_C" 2>/dev/null
        ip netns del "$NS_G" 2>/dev/null
        mountpoint -q "$WORK/merged" 2>/dev/null && umount "$WORK/merged"
        if [ $KEEP = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# ---- results: check NAME CMD... records PASS/FAIL; the negative control inverts the verdict
declare -a RESULTS=()
PHASE=main
check() {
        local name=$1; shift
        local out rc
        out=$("$@" 2>&1); rc=$?
        if [ $rc = 0 ]; then RESULTS+=("$PHASE|$name|pass"); echo "  PASS  $name"
        else RESULTS+=("$PHASE|$name|fail"); echo "  FAIL  $name"; [ -n "$out" ] && sed 's/^/        /' <<<"$out" | tail -n 15
        fi
        return $rc
}

# ---- 1. the package
build_deb() {
        if [ -n "${HARDEND_E2E_DEB:-}" ]; then DEB=$HARDEND_E2E_DEB; return 0; fi
        local t=$(now) b=$CACHE/pkg
        rm -rf "$b" && mkdir -p "$b/hardend" || return 1
        # Build from a copy at a fixed path: the .deb lands next to it (never in the parent of
        # the checkout) and identical sources give an identical .deb (SOURCE_DATE_EPOCH).
        if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
                (cd "$SRC" && git ls-files -co --exclude-standard -z | grep -zv '^test/e2e/cache/' |
                        tar --null -cf - -T -) | tar -xf - -C "$b/hardend" || return 1
        else
                tar -C "$SRC" --exclude=./test/e2e/cache --exclude='./build*' --exclude=./.git -cf - . |
                        tar -xf - -C "$b/hardend" || return 1
        fi
        (cd "$b/hardend" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b) >"$b/build.log" 2>&1 || {
                tail -n 30 "$b/build.log"; return 1; }
        DEB=$(ls "$b"/hardend_*_*.deb) || return 1
        echo "built $(basename "$DEB") in $(elapsed "$t") s"
}

# ---- 2. the image, cached by its inputs
PACKAGES="systemd,systemd-sysv,openssh-server,sudo,iptables,nftables,dbus,iproute2,python3,procps"
build_image() {
        local key t
        key=$( { echo "$PACKAGES"; dpkg-deb --fsys-tarfile "$DEB" | sha256sum; dpkg-deb -I "$DEB" control | sha256sum
                 sha256sum "$HERE/image-hook.sh"; } | sha256sum | cut -c1-16)
        IMAGE=$CACHE/image-$key
        if [ -e "$IMAGE/.complete" ]; then echo "image cached: $IMAGE"; return 0; fi
        rm -rf "$CACHE"/image-* "$CACHE"/tmp-image
        mkdir -p "$CACHE"
        t=$(now)
        cp "$DEB" "$CACHE/pkg/hardend-e2e.deb"
        mmdebstrap --mode=root --variant=apt --format=directory \
                --include="$PACKAGES" \
                --customize-hook="copy-in $CACHE/pkg/hardend-e2e.deb /tmp" \
                --customize-hook='chroot "$1" env DEBIAN_FRONTEND=noninteractive apt-get install -y /tmp/hardend-e2e.deb && rm -f "$1/tmp/hardend-e2e.deb"' \
                --customize-hook="$HERE/image-hook.sh \"\$1\"" \
                bookworm "$CACHE/tmp-image" /etc/apt/sources.list.d/debian.sources \
                >"$CACHE/mmdebstrap.log" 2>&1 || { tail -n 30 "$CACHE/mmdebstrap.log"; return 1; }
        mv "$CACHE/tmp-image" "$IMAGE" && touch "$IMAGE/.complete"
        echo "image built in $(elapsed "$t") s: $IMAGE ($(du -sh "$IMAGE" | cut -f1))"
}

# ---- 3. network: guest netns <-veth-> client netns
setup_net() {
        ip netns add "$NS_G" && ip netns add "$NS_C" || return 1
        ip link add he2e-g$$ netns "$NS_G" type veth peer name he2e-c$$ netns "$NS_C" || return 1
        ip -n "$NS_G" link set lo up; ip -n "$NS_C" link set lo up
        ip -n "$NS_G" link set he2e-g$$ name eth0
        ip -n "$NS_C" link set he2e-c$$ name eth0
        ip -n "$NS_G" addr add $GUEST4/24 dev eth0
        ip -n "$NS_G" addr add $GUEST6/64 dev eth0 nodad
        ip -n "$NS_C" addr add $CLIENT4/24 dev eth0
        ip -n "$NS_C" addr add $SSHSRC4/24 dev eth0
        ip -n "$NS_C" addr add $CLIENT6/64 dev eth0 nodad
        ip -n "$NS_G" link set eth0 up && ip -n "$NS_C" link set eth0 up
}
inc() { ip netns exec "$NS_C" "$@"; }

# ---- 4. per-run secrets and the test policy (bound over /etc/hardend)
make_inputs() {
        ssh-keygen -q -t ed25519 -N '' -C hardend-e2e -f "$WORK/id_admin" || return 1
        cp "$WORK/id_admin.pub" "$WORK/root_authorized_keys" && chmod 0600 "$WORK/root_authorized_keys"
        mkdir -p "$WORK/etc-hardend"
        write_policy report
}
write_policy() {
        local key
        key=$(cat "$WORK/id_admin.pub")
        python3 - "$SRC/conf/hardend.conf" "$WORK/etc-hardend/hardend.conf" "$key" "$1" "$WATCH_INTERVAL" <<'PY'
import re, sys
src, dst, key, mode, interval = sys.argv[1:]
t = open(src).read()
t = re.sub(r'authorized_keys = \[ \];', 'authorized_keys = [ "%s" ];' % key, t)
t = re.sub(r'disable = \[[^]]*\];',
           'disable = [ "stray-echo.socket", "stray-listen.service", "rpcbind.service", "rpcbind.socket" ];', t)
t = re.sub(r'interval = \d+;', 'interval = %s;' % interval, t)
t = re.sub(r'mode = "report";', 'mode = "%s";' % mode, t)
open(dst, "w").write(t)
PY
}

# ---- 5. boot and stop
# boot DIR LOG [volatile] [extra init args...]
boot_guest() {
        local dir=$1 log=$2 vol=$3; shift 3
        # a fresh network namespace per boot: netfilter state lives in it, and a reboot or
        # another machine must not inherit the previous boot's rules
        ip netns del "$NS_C" 2>/dev/null; ip netns del "$NS_G" 2>/dev/null
        setup_net || return 1
        local t=$(now) args=(--directory="$dir" --boot --register=no --keep-unit
                --network-namespace-path=/run/netns/$NS_G --capability=CAP_NET_ADMIN
                --bind="$WORK/etc-hardend:/etc/hardend"
                --bind-ro="$WORK/root_authorized_keys:/root/.ssh/authorized_keys"
                --console=pipe --machine=hardend-e2e --setenv=SYSTEMD_COLORS=0)
        [ "$vol" = volatile ] && args+=(--volatile=overlay)
        systemd-nspawn "${args[@]}" "$@" </dev/null >"$log" 2>&1 &
        NSPAWN_PID=$!
        LEADER=""
        local i
        for i in $(seq 100); do
                LEADER=$(find_leader) && break
                kill -0 $NSPAWN_PID 2>/dev/null || { echo "nspawn exited:"; tail -n 20 "$log"; return 1; }
                sleep 0.1
        done
        [ -n "$LEADER" ] || { echo "no container leader"; tail -n 20 "$log"; return 1; }
        local state
        for i in $(seq 300); do  # until PID 1's private bus is up, then until startup is done
                state=$(timeout 90 nsenter -t "$LEADER" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
                        systemctl is-system-running --wait 2>&1)
                # "offline": the leader was found before it exec'ed systemd; keep waiting
                [[ $state == *"Failed to connect"* || $state == offline ]] || break
                sleep 0.1
        done
        BOOT_TIME=$(elapsed "$t")
        echo "booted ($state) in $BOOT_TIME s"
        [ "$state" = running ] || [ "$state" = degraded ] || { tail -n 30 "$log"; return 1; }
        [ "$state" = degraded ] && guest systemctl --failed --no-legend --plain | sed 's/^/  failed unit: /'
        return 0
}
find_leader() {
        local p q
        for p in $(pgrep -P "$NSPAWN_PID") ; do
                for q in $p $(pgrep -P "$p"); do
                        grep -qE '^NSpid:.*[[:space:]]1$' /proc/$q/status 2>/dev/null && { echo $q; return 0; }
                done
        done
        return 1
}
stop_guest() {
        [ -n "$NSPAWN_PID" ] || return 0
        kill -TERM "$NSPAWN_PID" 2>/dev/null
        local i
        for i in $(seq 300); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$NSPAWN_PID" 2>/dev/null
        wait "$NSPAWN_PID" 2>/dev/null
        NSPAWN_PID="" LEADER=""
}
guest() { nsenter -t "$LEADER" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

# ---- 6. the checks
SSH_OPTS=(-o BatchMode=yes -o ConnectTimeout=5 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
          -o LogLevel=ERROR -o ServerAliveInterval=2 -o ServerAliveCountMax=2 -o BindAddress=$SSHSRC4)
POLICY_TCP="22 80 443"
SCAN_TCP="1-1024,3306,7777,8080"
SCAN_UDP="53,67,68,111,123,161,546,5353,7777,8080"

# nmap: every scanned port is filtered except the policy's TCP ports (which answer: open or
# closed); no UDP port answers (open|filtered everywhere; a closed one sends port unreachable).
scan_matches_policy() {
        local target=$1 proto=$2 six=""
        [[ $target == *:* ]] && six=-6
        local xml=$WORK/nmap-$proto-$target.xml
        if [ "$proto" = tcp ]; then
                inc timeout 120 nmap $six -Pn -n -sS -T5 --max-retries 1 --host-timeout 100s -p "$SCAN_TCP" -oX "$xml" "$target" >/dev/null
        else
                inc timeout 120 nmap $six -Pn -n -sU -T5 --max-retries 1 --host-timeout 100s -p "$SCAN_UDP" -oX "$xml" "$target" >/dev/null
        fi || { echo "nmap failed"; return 1; }
        python3 - "$xml" "$proto" "$POLICY_TCP" <<'PY'
import sys, xml.etree.ElementTree as ET
xml, proto, policy = sys.argv[1], sys.argv[2], set(int(p) for p in sys.argv[3].split())
root = ET.parse(xml).getroot()
states = {}
for port in root.iter("port"):
    states[int(port.get("portid"))] = port.find("state").get("state")
for extra in root.iter("extraports"):
    pass  # ports folded into extraports carry the extraports state
ex = {e.get("state"): int(e.get("count")) for e in root.iter("extraports")}
if proto == "tcp":
    answered = {p for p, s in states.items() if s in ("open", "closed", "unfiltered")}
    bad_ex = {s: n for s, n in ex.items() if s != "filtered"}
    print(f"answering tcp ports: {sorted(answered)}; open: {sorted(p for p, s in states.items() if s == 'open')}; folded: {ex}")
    ok = answered == policy and not bad_ex
else:
    answered = {p: s for p, s in states.items() if s not in ("open|filtered", "filtered")}
    bad_ex = {s: n for s, n in ex.items() if s not in ("open|filtered", "filtered")}
    print(f"answering udp ports: {answered}; folded: {ex}")
    ok = not answered and not bad_ex
sys.exit(0 if ok else 1)
PY
}

ssh_root_refused() {
        local out
        out=$(inc timeout 15 ssh "${SSH_OPTS[@]}" -i "$WORK/id_admin" root@$GUEST4 true 2>&1) &&
                { echo "root logged in with a valid key"; return 1; }
        grep -q 'Permission denied' <<<"$out" || { echo "not refused by sshd: $out"; return 1; }
}
ssh_password_refused() {
        local out
        # -v shows the methods the server offers; a password is never typed (BatchMode).
        out=$(inc timeout 15 ssh "${SSH_OPTS[@]}" -o PubkeyAuthentication=no -o PreferredAuthentications=password,keyboard-interactive \
                -v tester@$GUEST4 true 2>&1)
        local methods
        methods=$(grep -o 'Authentications that can continue: .*' <<<"$out" | head -n1 | sed 's/.*: //' | tr -d '\r ')
        echo "offered: ${methods:-none}"
        [ "$methods" = publickey ] || return 1
        # and a real password login attempt fails (sshpass-free: SSH_ASKPASS feeds the password)
        printf '#!/bin/sh\necho tester-pass-e2e\n' >"$WORK/askpass" && chmod 0755 "$WORK/askpass"
        local rc=0
        inc env SSH_ASKPASS="$WORK/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=none timeout 15 \
                setsid -w ssh -o ConnectTimeout=5 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
                -o BindAddress=$SSHSRC4 -o PubkeyAuthentication=no -o NumberOfPasswordPrompts=1 \
                -o PreferredAuthentications=password,keyboard-interactive tester@$GUEST4 true </dev/null >/dev/null 2>&1 || rc=$?
        [ $rc != 0 ] || { echo "tester logged in with a password"; return 1; }
        return 0
}
ssh_admin_sudo() {
        inc timeout 20 ssh "${SSH_OPTS[@]}" -i "$WORK/id_admin" admin@$GUEST4 'sudo -n true && echo sudo-ok' | grep -qx sudo-ok
}
status_compliant() {
        local out
        out=$(guest hardenctl status --json) ; local rc=$?
        python3 - "$out" <<'PY' ||
import json, sys
d = json.loads(sys.argv[1])
mods = {m.get("name"): m.get("state") for m in d.get("modules", [])}
print("compliant:", d.get("compliant"), "modules:", mods)
# a status without the four modules proves nothing
sys.exit(0 if d.get("compliant") is True and {"firewall", "ssh", "admin", "services"} <= set(mods) else 1)
PY
                { echo "rc=$rc $out" | head -c 2000; return 1; }
}
journal_applied() {
        guest journalctl -b 0 -o cat MESSAGE_ID=$MSG_APPLIED --no-pager | grep . || { echo "no MESSAGE_ID=$MSG_APPLIED entry"; return 1; }
}
strays_gone() {
        local u st rc=0
        for u in stray-echo.socket stray-listen.service; do
                st=$(guest systemctl show -P ActiveState -P UnitFileState "$u" | tr '\n' ' ')
                echo "$u: $st"
                [[ $st == "inactive masked " || $st == "failed masked " ]] || rc=1
        done
        return $rc
}
watcher_running() {
        local st
        st=$(guest systemctl show -P ActiveState -P SubState hardend.service | tr '\n' ' ')
        echo "hardend.service: $st"; [ "$st" = "active running " ]
}

run_outside_and_inside_checks() {
        check "scan tcp $GUEST4: only policy ports answer" scan_matches_policy $GUEST4 tcp
        check "scan tcp $GUEST6: only policy ports answer" scan_matches_policy $GUEST6 tcp
        check "scan udp $GUEST4: no port answers" scan_matches_policy $GUEST4 udp
        check "scan udp $GUEST6: no port answers" scan_matches_policy $GUEST6 udp
        check "ssh root@guest with a valid key refused" ssh_root_refused
        check "password user refused, offered only publickey" ssh_password_refused
        check "admin logs in with the key, sudo -n true" ssh_admin_sudo
        check "hardenctl status --json compliant" status_compliant
        check "journal has MESSAGE_ID=$MSG_APPLIED" journal_applied
        check "stray units stopped, disabled, masked" strays_gone
        check "hardend.service running" watcher_running
        check "the firewall is on the $BACKEND backend, and only there" firewall_backend_is "$BACKEND"
}

# drift: each appears once in the journal within one interval; status exits 1; repair undoes both
drift_count() { guest journalctl -b 0 -o cat MESSAGE_ID=$MSG_DRIFT --no-pager | grep -ci -- "$1"; }
wait_for() { local secs=$1 i; shift; for i in $(seq $((secs * 2))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done; "$@"; }
drift_logged_once() {
        local pat=$1 n
        wait_for $((WATCH_INTERVAL * 2 + 2)) test_count_ge "$pat" || { echo "no drift entry matching '$pat'"; guest journalctl -b 0 -u hardend.service --no-pager | tail -n 10; return 1; }
        sleep $((WATCH_INTERVAL + 1))  # another interval: it must not be logged again
        n=$(drift_count "$pat"); echo "entries matching '$pat': $n"; [ "$n" = 1 ]
}
test_count_ge() { [ "$(drift_count "$1")" -ge 1 ]; }
status_exits() {
        local out rc=0
        out=$(guest hardenctl status 2>&1) || rc=$?
        echo "hardenctl status exit $rc"
        [ $rc = "$1" ] || {
                echo "$out" | grep -v '^ *$' | head -n 30
                guest journalctl -b 0 -u hardend.service -o cat --no-pager | tail -n 15
                return 1
        }
}
# The backend the boot's firewall is expected on: nftables on the stock image (its iptables is
# iptables-nft), iptables (libiptc) where iptables-legacy is selected.
BACKEND=nftables
# exactly one hardend ruleset, in the expected subsystem
firewall_backend_is() {
        local nft=0 legacy=0
        guest nft list table inet hardend >/dev/null 2>&1 && nft=1
        guest iptables-legacy -n -L HARDEND-INPUT >/dev/null 2>&1 && guest ip6tables-legacy -n -L HARDEND-INPUT >/dev/null 2>&1 && legacy=1
        echo "table inet hardend: $nft, legacy HARDEND-INPUT: $legacy; iptables is $(guest readlink -f /usr/sbin/iptables)"
        if [ "$1" = nftables ]; then [ $nft/$legacy = 1/0 ]; else [ $nft/$legacy = 0/1 ]; fi
}
status_names_backend() {
        local out
        out=$(guest hardenctl status --json)
        python3 - "$out" "$1" <<'PY'
import json, sys
d, want = json.loads(sys.argv[1]), sys.argv[2]
found = [f for f in d.get("findings", []) if f.get("module") == "firewall" and f.get("check") == "backend"]
print("backend findings:", [(f.get("subject"), f.get("actual")) for f in found])
sys.exit(0 if any(want in (f.get("subject", "") + " " + f.get("actual", "")) for f in found) else 1)
PY
}
open_3306() {
        if [ "$BACKEND" = nftables ]; then
                guest nft insert rule inet hardend input tcp dport 3306 accept
        else
                guest iptables-legacy -I INPUT -p tcp --dport 3306 -j ACCEPT
        fi
}
rule_3306_gone() {
        if [ "$BACKEND" = nftables ]; then
                guest nft list table inet hardend | grep -q 'dport 3306' || return 0
                echo "the accept for 3306 is still in table inet hardend"; return 1
        fi
        guest iptables-legacy -C INPUT -p tcp --dport 3306 -j ACCEPT 2>/dev/null || return 0
        echo "the ACCEPT for 3306 is still in INPUT"; return 1
}
password_auth_off() {
        local v
        v=$(guest sshd -T 2>&1 | grep -i '^passwordauthentication\|error\|bad\|missing')
        echo "sshd -T: $v; sshd_config.d: $(guest ls /etc/ssh/sshd_config.d | tr '\n' ' ')"
        [ "$v" = "passwordauthentication no" ]
}
repaired() { rule_3306_gone && password_auth_off; }
password_auth_on() { ! password_auth_off; }
journal_has() { local id=$1; shift; guest journalctl -b 0 -o cat MESSAGE_ID="$id" "$@" --no-pager | grep . || { echo "no MESSAGE_ID=$id entry $*"; return 1; }; }

drift_checks() {
        open_3306
        # sorts before 00-hardend.conf, so it really wins (sshd takes the first value it reads)
        guest sh -c 'echo "PasswordAuthentication yes" >/etc/ssh/sshd_config.d/0-drift.conf'
        # not a verdict: whether the foreign drop-in wins in sshd depends on how hardend's own
        # drop-in is placed; the drift must be reported (and repaired) either way
        echo "  note: after the drift drop-in, $(password_auth_off)"
        check "drift: 3306 ACCEPT logged once" drift_logged_once 3306
        check "drift: PasswordAuthentication logged once" drift_logged_once passwordauthentication
        check "drift: hardenctl status exits 1" status_exits 1
        # repair mode: the policy says so, and the unit gets the documented writable sandbox
        write_policy repair
        guest mkdir -p /etc/systemd/system/hardend.service.d
        guest cp /usr/share/hardend/hardend-repair.conf /etc/systemd/system/hardend.service.d/repair.conf
        guest systemctl daemon-reload
        guest systemctl restart hardend.service
        check "repair: 3306 rule removed, PasswordAuthentication no" wait_for $((WATCH_INTERVAL * 2 + 5)) repaired
        check "repair: journal has MESSAGE_ID=$MSG_REPAIRED" journal_has $MSG_REPAIRED
        check "repair: hardenctl status exits 0" wait_for $((WATCH_INTERVAL + 2)) status_exits 0
        write_policy report
}

# reboot: a non-volatile tree (overlay over the cached image), booted twice
reboot_checks() {
        mkdir -p "$WORK/upper" "$WORK/ovlwork" "$WORK/merged"
        mount -t overlay overlay -o lowerdir="$IMAGE",upperdir="$WORK/upper",workdir="$WORK/ovlwork" "$WORK/merged" || {
                check "overlay for the persistent tree" false; return; }
        boot_guest "$WORK/merged" "$WORK/boot-persist-1.log" persistent || { check "persistent boot 1" false; return; }
        check "persistent boot 1: first-boot unit applied" journal_has $MSG_APPLIED -u hardend-firstboot.service
        stop_guest
        boot_guest "$WORK/merged" "$WORK/boot-persist-2.log" persistent || { check "persistent boot 2" false; return; }
        check "reboot: first-boot unit did not run again" firstboot_not_run
        check "reboot: firewall in place before network-pre.target" firewall_before_network
        check "reboot: hardend.service running" watcher_running
        stop_guest
        umount "$WORK/merged"
}
firstboot_not_run() {
        local ts n
        guest systemctl list-unit-files hardend-firstboot.service --no-legend | grep -q . || { echo "no hardend-firstboot.service"; return 1; }
        ts=$(guest systemctl show -P ExecMainStartTimestampMonotonic hardend-firstboot.service)
        n=$(guest journalctl -b 0 -u hardend-firstboot.service -o cat MESSAGE_ID=$MSG_APPLIED --no-pager | grep -c .)
        echo "hardend-firstboot.service ExecMainStart=$ts, applied entries this boot: $n"
        [ "${ts:-0}" = 0 ] && [ "$n" = 0 ]
}
firewall_before_network() {
        local fw net
        guest systemctl list-unit-files hardend-firewall.service --no-legend | grep -q . || { echo "no hardend-firewall.service"; return 1; }
        fw=$(guest systemctl show -P ExecMainExitTimestampMonotonic hardend-firewall.service)
        net=$(guest systemctl show -P ActiveEnterTimestampMonotonic network-pre.target)
        echo "hardend-firewall exited at ${fw}us, network-pre.target reached at ${net}us"
        [ "${fw:-0}" != 0 ] && [ "${net:-0}" != 0 ] && [ "$fw" -le "$net" ] || return 1
        firewall_backend_is "$BACKEND"
}

# the same image with iptables-legacy selected (update-alternatives, as an admin or an older image
# would have it): "auto" takes libiptc there, and a scan must see exactly the same ports
legacy_checks() {
        local tree=$WORK/legacy
        mkdir -p "$tree/upper" "$tree/work" "$tree/merged"
        mount -t overlay overlay -o lowerdir="$IMAGE",upperdir="$tree/upper",workdir="$tree/work" "$tree/merged" || {
                check "overlay for the iptables-legacy tree" false; return; }
        chroot "$tree/merged" update-alternatives --set iptables /usr/sbin/iptables-legacy >/dev/null &&
                chroot "$tree/merged" update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy >/dev/null ||
                { check "iptables-legacy selected in the image" false; umount "$tree/merged"; return; }
        BACKEND=iptables
        if boot_guest "$tree/merged" "$WORK/boot-legacy.log" persistent; then
                check "legacy: scan tcp $GUEST4: only policy ports answer" scan_matches_policy $GUEST4 tcp
                check "legacy: scan tcp $GUEST6: only policy ports answer" scan_matches_policy $GUEST6 tcp
                check "legacy: scan udp $GUEST4: no port answers" scan_matches_policy $GUEST4 udp
                check "legacy: scan udp $GUEST6: no port answers" scan_matches_policy $GUEST6 udp
                check "legacy: admin logs in with the key, sudo -n true" ssh_admin_sudo
                check "legacy: the firewall is on the iptables backend, and only there" firewall_backend_is iptables
                check "legacy: hardenctl status says the backend is iptables" status_names_backend iptables
                check "legacy: hardenctl status --json compliant" status_compliant
        else
                check "iptables-legacy boot" false
        fi
        stop_guest
        BACKEND=nftables
        umount "$tree/merged"
}

# an image hardened offline: `hardenctl apply --root` on the tree (the image builder's way), then
# booted with hardend's own units masked, so that only what the offline apply did is in force
offline_checks() {
        local tree=$WORK/offline rc=0 masks=() u
        mkdir -p "$tree/upper" "$tree/work" "$tree/merged"
        mount -t overlay overlay -o lowerdir="$IMAGE",upperdir="$tree/upper",workdir="$tree/work" "$tree/merged" || {
                check "overlay for the offline tree" false; return; }
        "$tree/merged/usr/bin/hardenctl" --root "$tree/merged" --config "$WORK/etc-hardend/hardend.conf" \
                --only admin,ssh,services apply >"$WORK/offline-apply.log" 2>&1 || rc=$?
        check "offline: hardenctl apply --root on the image tree exits 0" test $rc = 0 ||
                sed 's/^/        /' "$WORK/offline-apply.log" | tail -n 20
        for u in $UNITS; do masks+=("systemd.mask=$u"); done
        if boot_guest "$tree/merged" "$WORK/boot-offline.log" persistent "${masks[@]}"; then
                check "offline: admin logs in with the key, sudo -n true" ssh_admin_sudo
                check "offline: ssh root@guest with a valid key refused" ssh_root_refused
                check "offline: password user refused, offered only publickey" ssh_password_refused
                check "offline: stray units masked" strays_gone
        else
                check "offline boot" false
        fi
        stop_guest
        umount "$tree/merged"
}

# the package installs and purges tidily: on a copy of the image (as installed by mmdebstrap,
# then booted once so that hardend made its state), purge leaves none of its files, its
# enablement links or its state behind
purge_checks() {
        local tree=$WORK/purge left
        mkdir -p "$tree/upper" "$tree/work" "$tree/merged"
        mount -t overlay overlay -o lowerdir="$IMAGE",upperdir="$tree/upper",workdir="$tree/work" "$tree/merged" || {
                check "overlay for the purge tree" false; return; }
        mkdir -p "$tree/merged/var/lib/hardend" && echo x >"$tree/merged/var/lib/hardend/state"
        chroot "$tree/merged" dpkg -L hardend >"$WORK/purge-files" 2>&1
        check "purge: the package is installed in the image" grep -q '^/usr/sbin/hardend$' "$WORK/purge-files"
        chroot "$tree/merged" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin dpkg --purge hardend >"$WORK/purge.log" 2>&1
        check "purge: dpkg --purge hardend exits 0" grep -q 'Purging configuration files for hardend' "$WORK/purge.log" ||
                sed 's/^/        /' "$WORK/purge.log" | tail -n 10
        # files and links of its own; directories (and merged-/usr links such as /lib) are shared
        left=$(while read -r f; do
                { [ -f "$tree/merged$f" ] || [ -L "$tree/merged$f" ]; } && [ ! -d "$tree/merged$f" ] && echo "$f"
        done <"$WORK/purge-files")
        check "purge: none of the package's files is left" test -z "$left" || echo "        left: $left"
        check "purge: /var/lib/hardend and /etc/hardend are gone" \
                test ! -e "$tree/merged/var/lib/hardend" -a ! -e "$tree/merged/etc/hardend"
        left=$(find "$tree/merged/etc/systemd" -name 'hardend*' 2>/dev/null)
        check "purge: no enablement link of hardend's units is left" test -z "$left" || echo "        left: $left"
        umount "$tree/merged"
}

# summarize WHAT [LINE]: every failed check of the hardened machine and every control check that
# passed, then the counts (LINE, if given, before them); true when both are zero
summarize() {
        local fails=0 weak=0 r phase name verdict
        for r in "${RESULTS[@]}"; do
                IFS='|' read -r phase name verdict <<<"$r"
                if [ "$phase" = main ]; then
                        [ "$verdict" = fail ] && { fails=$((fails + 1)); echo "FAIL: $name"; }
                else
                        [ "$verdict" = pass ] && { weak=$((weak + 1)); echo "CONTROL DID NOT FAIL: $name"; }
                fi
        done
        [ -n "${2:-}" ] && echo "$2"
        echo "checks: $(grep -c '^main|' < <(printf '%s\n' "${RESULTS[@]}")) on the $1, $fails failed;" \
             "negative control: $weak check(s) passed that must fail; total $(elapsed "$T0") s"
        [ $fails = 0 ] && [ $weak = 0 ]
}

# test/e2e/qemu.sh sources this file for the functions above and runs its own main
[ "${HARDEND_E2E_SOURCED:-0}" = 1 ] && return 0

# ---- main
say "package"
build_deb || { echo "FAIL: building the .deb"; exit 1; }
say "image"
build_image || { echo "FAIL: building the image"; exit 1; }
make_inputs || { echo "FAIL: test inputs / network"; exit 1; }

say "boot (volatile: a first boot)"
PHASE=main
if boot_guest "$IMAGE" "$WORK/boot-main.log" volatile; then
        echo "boot time: $BOOT_TIME s"
        inc ping -c1 -W2 $GUEST4 >/dev/null 2>&1 || true
        run_outside_and_inside_checks
        # what status says is no hardening (the negative control would show it too): main boot only
        check "hardenctl status says the backend is $BACKEND" status_names_backend "$BACKEND"
        say "drift"
        drift_checks
else
        check "volatile first boot" false
fi
stop_guest

say "reboot (persistent tree)"
reboot_checks

say "the image with iptables-legacy selected (backend auto: iptables)"
legacy_checks

say "an image hardened offline (hardenctl apply --root), booted without hardend's units"
offline_checks

say "the package purges tidily"
purge_checks

say "negative control (hardend's units masked): every check must FAIL"
PHASE=control
masks=(); for u in $UNITS; do masks+=("systemd.mask=$u"); done
if boot_guest "$IMAGE" "$WORK/boot-control.log" volatile "${masks[@]}"; then
        run_outside_and_inside_checks
else
        check "control boot" false
fi
stop_guest

say "summary"
summarize "hardened image"
