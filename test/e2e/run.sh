#!/usr/bin/env bash
# The booted-system test, a matrix of Debian releases and ways of starting sshd. For each release
# it builds hardend's .deb inside a build root of that release and an image with the .deb and the
# release's cloud-init (both cached by their inputs under test/e2e/cache/, see build.sh), then per
# row boots the image with systemd-nspawn in a private network namespace, with a NoCloud seed
# whose user data creates the default user with a fresh key, turns passwords on (a hostile
# default) and writes the policy. It checks the machine from a client namespace the way a
# provider's security check would (port scans, ssh logins) and from inside (status, journal,
# unit ordering against cloud-init), then drift, a reboot, a new instance id, an offline apply
# and a purge. A negative control boots the same row with hardend's units masked and asserts
# that every check FAILS.
#
# usage: test/e2e/run.sh [--keep] [--row NAME]...   (root; exit 0 all good, 1 a check failed,
#                                                    77 skipped; no --row: every row)
# rows:  d13          Debian 13, stock (iptables-nft: backend auto -> nftables)
#        d13-socket   Debian 13, sshd started by ssh.socket instead of ssh.service
#        d12          Debian 12, stock
#        d12-legacy   Debian 12, iptables-legacy selected (backend auto -> libiptc)
# env:   HARDEND_E2E_CACHE     build roots, packages, images (default test/e2e/cache)
#        HARDEND_E2E_BOOTCOST  append the boot-cost table (markdown) to this file
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
CACHE=${HARDEND_E2E_CACHE:-$HERE/cache}
ALL_ROWS="d13 d13-socket d12 d12-legacy"
KEEP=0 ROWS=""
while [ $# -gt 0 ]; do
        case $1 in
        --keep) KEEP=1 ;;
        --row)
                [ $# -ge 2 ] && [[ " $ALL_ROWS " == *" $2 "* ]] || { echo "usage: $0 [--keep] [--row $(tr ' ' '|' <<<"$ALL_ROWS")]..." >&2; exit 2; }
                ROWS="$ROWS $2"; shift ;;
        *) echo "usage: $0 [--keep] [--row NAME]..." >&2; exit 2 ;;
        esac
        shift
done
ROWS=${ROWS:-$ALL_ROWS}

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root"
for p in mmdebstrap systemd-nspawn; do
        command -v "$p" >/dev/null || skip "$p is not installed (Debian packages mmdebstrap, systemd-container)"
done
for p in nmap ssh ssh-keygen ip nsenter unshare python3; do
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
NSPAWN_PID="" LEADER="" JR_DIR=""
T0=$(date +%s.%N)

now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(now)"; }
say() { echo "=== $*"; }

cleanup() {
        [ -n "$JR_DIR" ] && [ -f "$JR_DIR.pid" ] && kill "$(cat "$JR_DIR.pid")" 2>/dev/null
        stop_guest
        ip netns del "$NS_C" 2>/dev/null
        ip netns del "$NS_G" 2>/dev/null
        local m
        for m in $(awk -v w="$WORK/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r); do umount "$m"; done
        if [ $KEEP = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- results: check NAME CMD... records PASS/FAIL; the negative control inverts the verdict.
# require NAME CMD... must pass on the hardened boot and on the control alike: a precondition
# (cloud-init ran, its hostile default is in place) or what hardening must not take away.
declare -a RESULTS=()
PHASE=main ROW=""
check() {
        local name=$1; shift
        local out rc
        [ -n "$ROW" ] && name="$ROW: $name"
        out=$("$@" 2>&1); rc=$?
        if [ $rc = 0 ]; then RESULTS+=("$PHASE|$name|pass"); echo "  PASS  $name"
        else RESULTS+=("$PHASE|$name|fail"); echo "  FAIL  $name"; [ -n "$out" ] && sed 's/^/        /' <<<"$out" | tail -n 15
        fi
        return $rc
}
require() {
        local phase=$PHASE rc
        PHASE=pre-$PHASE
        check "$@"; rc=$?
        PHASE=$phase
        return $rc
}

# ---- 1., 2. the packages and the images: build.sh
. "$HERE/build.sh"
. "$HERE/journal-upload.sh"
# for qemu.sh: the Debian 12 package, and the image packages without cloud-init
PACKAGES="systemd,systemd-sysv,openssh-server,sudo,iptables,nftables,dbus,iproute2,python3,procps"
build_deb() {
        if [ -n "${HARDEND_E2E_DEB:-}" ]; then DEB=$HARDEND_E2E_DEB; return 0; fi
        build_deb_for bookworm
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

# ---- 4. per-run secrets, the test policy and the cloud-init seed
# $WORK/etc-hardend/hardend.conf: the policy with the admin key (the offline apply, qemu.sh);
# $WORK/policy-userdata.conf: the one the user data writes, with no key of its own: the admin's
# key is the one cloud-init installs, so an apply that ran before cloud-init would be refused.
make_inputs() {
        ssh-keygen -q -t ed25519 -N '' -C hardend-e2e -f "$WORK/id_admin" || return 1
        cp "$WORK/id_admin.pub" "$WORK/root_authorized_keys" && chmod 0600 "$WORK/root_authorized_keys"
        mkdir -p "$WORK/etc-hardend"
        write_policy report && write_policy report "$WORK/policy-userdata.conf" nokey
}
# write_policy MODE [FILE [nokey]]
write_policy() {
        local key=""
        [ "${3:-}" = nokey ] || key=$(cat "$WORK/id_admin.pub")
        python3 - "$SRC/conf/hardend.conf" "${2:-$WORK/etc-hardend/hardend.conf}" "$key" "$1" "$WATCH_INTERVAL" <<'PY'
import re, sys
src, dst, key, mode, interval = sys.argv[1:]
t = open(src).read()
if key:
    t = re.sub(r'authorized_keys = \[ \];', 'authorized_keys = [ "%s" ];' % key, t)
t = re.sub(r'disable = \[[^]]*\];',
           'disable = [ "stray-echo.socket", "stray-listen.service", "rpcbind.service", "rpcbind.socket" ];', t)
t = re.sub(r'interval = \d+;', 'interval = %s;' % interval, t)
t = re.sub(r'mode = "report";', 'mode = "%s";' % mode, t)
open(dst, "w").write(t)
PY
}
# make_seed INSTANCE_ID: the NoCloud seed bound at /var/lib/cloud/seed/nocloud. The user data is
# JSON (which YAML reads): the default user "admin" with the fresh key; passwords on and root's
# key login kept (hostile defaults hardend must override); the policy through write_files.
SEED=$WORK/seed
make_seed() {
        mkdir -p "$SEED" || return 1
        printf 'instance-id: %s\nlocal-hostname: guest\n' "$1" >"$SEED/meta-data"
        python3 - "$WORK/id_admin.pub" "$WORK/policy-userdata.conf" "$SEED/user-data" <<'PY'
import json, sys
key, policy, out = sys.argv[1:]
cfg = {
    "user": "admin",
    "ssh_authorized_keys": [open(key).read().strip()],
    "ssh_pwauth": True,
    "disable_root": False,
    "write_files": [{"path": "/etc/hardend/hardend.conf", "owner": "root:root",
                     "permissions": "0644", "content": open(policy).read()}],
}
open(out, "w").write("#cloud-config\n" + json.dumps(cfg, indent=1) + "\n")
PY
        IID=$1
}

# ---- 5. trees, boot and stop
# make_tree NAME: a writable tree over the row's layers (an overlay; the image stays as built)
make_tree() {
        local d=$WORK/$ROW-$1
        mkdir -p "$d/upper" "$d/work" "$d/merged" || return 1
        mount -t overlay overlay -o lowerdir="$ROW_LOWER",upperdir="$d/upper",workdir="$d/work" "$d/merged" || return 1
        TREE=$d/merged
}
drop_tree() { mountpoint -q "$1" && umount "$1"; }
# boot DIR LOG [extra init args...]
boot_guest() {
        local dir=$1 log=$2; shift 2
        # a fresh network namespace per boot: netfilter state lives in it, and a reboot or
        # another machine must not inherit the previous boot's rules
        ip netns del "$NS_C" 2>/dev/null; ip netns del "$NS_G" 2>/dev/null
        setup_net || return 1
        local t=$(now) args=(--directory="$dir" --boot --register=no --keep-unit
                --network-namespace-path=/run/netns/$NS_G --capability=CAP_NET_ADMIN
                --bind-ro="$SEED:/var/lib/cloud/seed/nocloud"
                --console=pipe --machine=hardend-e2e --setenv=SYSTEMD_COLORS=0)
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
                state=$(timeout 120 nsenter -t "$LEADER" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
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
        local rc=0
        scan_verdict "$xml" "$proto" || rc=$?
        [ $rc = 3 ] || return $rc
        # only policy ports that did not answer the fast scan: -T5 with one retry can miss an
        # answer on a loaded machine; ask those again, gently (an extra answering port is never
        # forgiven this way)
        local missing
        missing=$(scan_verdict "$xml" "$proto" missing)
        echo "policy ports that did not answer the fast scan: $missing; scanning them again (-T3, 3 retries)"
        inc timeout 120 nmap $six -Pn -n -sS -T3 --max-retries 3 -p "$missing" -oX "$xml.again" "$target" >/dev/null ||
                { echo "nmap failed"; return 1; }
        python3 - "$xml.again" "$missing" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
want = set(int(p) for p in sys.argv[2].split(","))
got = {int(p.get("portid")) for p in root.iter("port") if p.find("state").get("state") in ("open", "closed", "unfiltered")}
print(f"answering again: {sorted(got & want)} of {sorted(want)}")
sys.exit(0 if want <= got else 1)
PY
}
# scan_verdict XML PROTO [missing]: 0 as the policy wants, 3 when the only fault is policy TCP
# ports that did not answer (with "missing": print those, comma-separated), 1 otherwise
scan_verdict() {
        python3 - "$1" "$2" "$POLICY_TCP" "${3:-}" <<'PY'
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
    if sys.argv[4] == "missing":
        print(",".join(str(p) for p in sorted(policy - answered)))
        sys.exit(0)
    print(f"answering tcp ports: {sorted(answered)}; open: {sorted(p for p, s in states.items() if s == 'open')}; folded: {ex}")
    ok = answered == policy and not bad_ex
    if not ok and answered < policy and not bad_ex:
        sys.exit(3)
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
# the policy's admin (user admin, group wheel): logs in with the key and gets root by sudo; the
# group is the policy's doing (cloud-init's default user has sudo too, but is no member of it)
ssh_admin_sudo() {
        local out
        out=$(inc timeout 20 ssh "${SSH_OPTS[@]}" -i "$WORK/id_admin" admin@$GUEST4 'sudo -n true && echo sudo-ok; id -nG' 2>&1)
        echo "$out"
        grep -qx sudo-ok <<<"$out" && grep -qw wheel <<<"$out"
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

# The guest's journal to a central systemd-journal-remote (journal-upload.sh) on the client side.
journal_upload_begin() {
        JR_DIR=$WORK/$ROW-remote
        journal_remote_start "$NS_C" "$CLIENT4" "$JR_DIR" &&
                journal_upload_start "$LEADER" "http://$CLIENT4:$JR_PORT" || JR_DIR=""
}
journal_upload_checks() {
        if [ -z "$JR_DIR" ]; then
                check "journal upload: receiver and uploader started" false
                return
        fi
        check "journal upload: the central journal holds the guest's drift event" \
                journal_remote_wait "$JR_DIR" "$MSG_DRIFT" guest 30
        journal_remote_wait "$JR_DIR" "$MSG_REPAIRED" guest 15 2>/dev/null
        # the upload is asynchronous: each module's repair is its own entry, and a later one may
        # still be on its way when the first has arrived
        check "journal upload: every drift and repair entry with all HARDEND_* fields and the guest's hostname" \
                eval 'wait_for 20 journal_remote_has_fields "$LEADER" "$JR_DIR" "$MSG_DRIFT" guest &&
                      wait_for 20 journal_remote_has_fields "$LEADER" "$JR_DIR" "$MSG_REPAIRED" guest'
        check "journal upload: journalctl --merge MESSAGE_ID=<drift> there lists the drift" \
                eval 'journalctl -D "$JR_DIR" --merge -o cat MESSAGE_ID=$MSG_DRIFT --no-pager | grep -qi 3306'
        journal_upload_stop "$LEADER" "$JR_DIR"
        JR_DIR=""
}
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
        put_policy repair
        guest mkdir -p /etc/systemd/system/hardend.service.d
        guest cp /usr/share/hardend/hardend-repair.conf /etc/systemd/system/hardend.service.d/repair.conf
        guest systemctl daemon-reload
        guest systemctl restart hardend.service
        check "repair: 3306 rule removed, PasswordAuthentication no" wait_for $((WATCH_INTERVAL * 2 + 5)) repaired
        check "repair: journal has MESSAGE_ID=$MSG_REPAIRED" journal_has $MSG_REPAIRED
        check "repair: hardenctl status exits 0" wait_for $((WATCH_INTERVAL + 2)) status_exits 0
        put_policy report
}
# put_policy MODE: the user data's policy with that watch mode, as /etc/hardend/hardend.conf in
# the guest (where cloud-init wrote it)
put_policy() {
        write_policy "$1" "$WORK/policy-$1.conf" nokey && guest sh -c 'cat >/etc/hardend/hardend.conf' <"$WORK/policy-$1.conf"
}

# hardend firstboot ran, found this instance hardened, and applied nothing
firstboot_not_run() {
        local n said
        guest systemctl list-unit-files hardend-firstboot.service --no-legend | grep -q . || { echo "no hardend-firstboot.service"; return 1; }
        n=$(guest journalctl -b 0 -u hardend-firstboot.service -o cat MESSAGE_ID=$MSG_APPLIED --no-pager | grep -c .)
        said=$(guest journalctl -b 0 -u hardend-firstboot.service -o cat --no-pager | grep -c 'was hardened already; nothing to do')
        echo "hardend-firstboot.service this boot: applied entries $n, 'was hardened already' $said"
        [ "$n" = 0 ] && [ "$said" -ge 1 ]
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

# an image hardened offline: `hardenctl apply --root` on the tree (the image builder's way), then
# booted with hardend's own units masked, so that only what the offline apply did is in force
offline_checks() {
        local rc=0 masks=() u
        make_tree offline || { check "overlay for the offline tree" false; return; }
        # the tree's own hardenctl with the tree's libraries (the image's release is not the host's)
        "$TREE/lib64/ld-linux-x86-64.so.2" --library-path "$TREE/usr/lib/x86_64-linux-gnu" \
                "$TREE/usr/bin/hardenctl" --root "$TREE" --config "$WORK/etc-hardend/hardend.conf" \
                --only admin,ssh,services apply >"$WORK/offline-apply.log" 2>&1 || rc=$?
        check "offline: hardenctl apply --root on the image tree exits 0" test $rc = 0 ||
                sed 's/^/        /' "$WORK/offline-apply.log" | tail -n 20
        for u in $UNITS; do masks+=("systemd.mask=$u"); done
        make_seed "iid-$ROW-offline" || return 1
        if boot_guest "$TREE" "$WORK/$ROW-boot-offline.log" "${masks[@]}"; then
                check "offline: admin logs in with the key, sudo -n true" ssh_admin_sudo
                check "offline: ssh root@guest with a valid key refused" ssh_root_refused
                check "offline: password user refused, offered only publickey" ssh_password_refused
                check "offline: stray units masked" strays_gone
        else
                check "offline boot" false
        fi
        stop_guest
        drop_tree "$TREE"
}

# the package installs and purges tidily: on a copy of the image (as installed by mmdebstrap,
# then booted once so that hardend made its state), purge leaves none of its files, its
# enablement links or its state behind
purge_checks() {
        local tree left
        make_tree purge || { check "overlay for the purge tree" false; return; }
        tree=${TREE%/merged}
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
        drop_tree "$tree/merged"
}

# ---- 7. cloud-init: the real one, from the release, seeded with NoCloud
# cloud-init finished every stage, for this instance, and made the user with the seed's key
cloud_init_done() {
        local st iid
        st=$(guest timeout 60 cloud-init status --wait 2>&1 | tail -n1)
        iid=$(guest cat /var/lib/cloud/data/instance-id 2>&1)
        echo "cloud-init: $st; instance-id $iid (seed: $IID); datasource: $(guest cat /run/cloud-init/cloud-id 2>/dev/null)"
        [[ $st == *done* ]] && [ "$iid" = "$IID" ] || return 1
        guest grep -qF "$(cut -d' ' -f2 "$WORK/id_admin.pub")" /home/admin/.ssh/authorized_keys ||
                { echo "admin's authorized_keys lack the seed's key"; return 1; }
}
# the hostile default is really there: cloud-init turned password logins on
pwauth_yes_written() {
        local f
        f=$(guest sh -c "grep -lis '^[[:space:]]*PasswordAuthentication[[:space:]]\+yes' /etc/ssh/sshd_config /etc/ssh/sshd_config.d/*.conf")
        echo "PasswordAuthentication yes in: ${f:-nowhere}"
        [ -n "$f" ]
}
# hardend-firstboot is ordered after cloud-init's stage that makes users and keys (cloud-init.service
# up to Debian 12, cloud-init-network.service from cloud-init 24.3 on), directly or through a unit
# ordered after that stage (sysinit.target, which cloud-init's stage is Before=), and before the
# unit that opens port 22
firstboot_ordered() {
        local after before stage=cloud-init.service u via=""
        [ "$(guest systemctl show -P LoadState cloud-init-network.service)" = loaded ] && stage=cloud-init-network.service
        after=$(guest systemctl show -P After hardend-firstboot.service)
        before=$(guest systemctl show -P Before hardend-firstboot.service)
        echo "After: $after"; echo "Before: $before"
        if [[ " $after " == *" $stage "* ]]; then
                via=directly
        else
                for u in $after; do
                        [[ " $(guest systemctl show -P After "$u") " == *" $stage "* ]] && { via="through $u"; break; }
                done
        fi
        [ -n "$via" ] || { echo "not ordered after $stage"; return 1; }
        echo "after $stage $via"
        [[ " $before " == *" $SSH_UNIT "* ]] || { echo "not Before=$SSH_UNIT"; return 1; }
}
# From this boot's clocks (the monotonic one of unit timestamps and journal entries): cloud-init
# created admin and finished its init stage (users, keys) before hardend-firstboot started;
# hardend-firstboot was ready (its READY=1: the firewall, the accounts and sshd's configuration
# applied and verified; the stray units follow) before sshd listened (ssh.service's "Server
# listening", or ssh.socket's start) and before the first connection sshd logged.
firstboot_between() {
        local mono
        mono=$(guest sh -c '
                s=cloud-init.service
                [ "$(systemctl show -P LoadState cloud-init-network.service)" = loaded ] && s=cloud-init-network.service
                systemctl show -P ActiveEnterTimestampMonotonic $s
                systemctl show -P ExecMainStartTimestampMonotonic hardend-firstboot.service
                systemctl show -P ActiveEnterTimestampMonotonic hardend-firstboot.service
                systemctl show -P ActiveEnterTimestampMonotonic ssh.socket
                journalctl -b 0 -o json SYSLOG_IDENTIFIER=useradd --no-pager | grep -m1 "name=admin" ||echo "{}"
                journalctl -b 0 -o json -u ssh.service --no-pager | grep -m1 "Server listening" || echo "{}"
                journalctl -b 0 -o json --no-pager _COMM=sshd _COMM=sshd-session | grep -m1 -E "Accepted|Connection from|Failed|Invalid|Connection closed|Disconnected|authenticating" || echo "{}"
        ')
        python3 - "$SSH_UNIT" "$mono" <<'PY'
import json, sys
lines = sys.argv[2].splitlines()
ci, fb_start, fb_ready, sock = (int(x or 0) for x in lines[:4])
useradd, listening, conn = (json.loads(x).get("__MONOTONIC_TIMESTAMP") for x in lines[4:7])
useradd, listening, conn = (int(x) if x else 0 for x in (useradd, listening, conn))
if sys.argv[1] == "ssh.socket":
    listening = sock
ms = lambda us: f"{us / 1000:.0f}ms"
print(f"useradd admin {ms(useradd)}, cloud-init users-and-keys stage done {ms(ci)}, hardend-firstboot started {ms(fb_start)}, "
      f"ready {ms(fb_ready)}, sshd listening ({sys.argv[1]}) {ms(listening)}, first connection logged {ms(conn)}")
ok = all((useradd, ci, fb_start, fb_ready, listening, conn)) and useradd <= fb_start and ci <= fb_start \
     and fb_ready <= listening and fb_ready <= conn
sys.exit(0 if ok else 1)
PY
}
# the policy hardend applied is the one the user data wrote (its digest), for this instance
policy_from_userdata() {
        local out digest
        digest=sha256:$(sha256sum <"$WORK/policy-userdata.conf" | cut -d' ' -f1)
        out=$(guest hardenctl status --json)
        python3 - "$out" "$digest" "$IID" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
la = d.get("last_apply") or {}
print(f"policy {d.get('policy')}, applied digest {la.get('policy_digest')} (user data: {sys.argv[2]}), "
      f"instance {la.get('instance_id')} (seed: {sys.argv[3]}), result {la.get('result')}")
sys.exit(0 if d.get("policy") == "/etc/hardend/hardend.conf" and la.get("policy_digest") == sys.argv[2]
         and la.get("instance_id") == sys.argv[3] else 1)
PY
}
# after cloud-config.service (which writes the PasswordAuthentication yes and restarts sshd)
cloud_config_ran() {
        local st
        st="$(guest systemctl show -P ActiveState cloud-config.service) $(guest systemctl show -P Result cloud-config.service)"
        echo "cloud-config.service: $st"; [ "$st" = "active success" ]
}
# the watcher is up, has been for more than an interval since cloud-final, and logged no drift
# (in report mode every drift it logs is one it did not resolve)
watcher_clean() {
        local n fin up nowm
        watcher_running || return 1
        fin=$(guest systemctl show -P ActiveEnterTimestampMonotonic cloud-final.service)
        # the container shares the host's monotonic clock
        nowm=$(python3 -c 'import time; print(int(time.clock_gettime(time.CLOCK_MONOTONIC) * 1e6))')
        up=$(( (nowm - ${fin:-0}) / 1000000 ))
        [ $up -gt $((WATCH_INTERVAL + 1)) ] || sleep $((WATCH_INTERVAL + 1 - up))
        n=$(guest journalctl -b 0 -o cat MESSAGE_ID=$MSG_DRIFT --no-pager | grep -c .)
        echo "drift entries this boot: $n"
        guest journalctl -b 0 -o cat MESSAGE_ID=$MSG_DRIFT --no-pager | head -n 5
        [ "$n" = 0 ]
}
# ssh-audit from the guest's own release against its sshd: no failure
ssh_audit_clean() {
        local out n
        out=$(guest timeout 60 ssh-audit -n -p 22 127.0.0.1 2>&1)
        grep -q '(gen) banner' <<<"$out" || { echo "ssh-audit did not get a banner:"; head -n 5 <<<"$out"; return 1; }
        n=$(grep -c '\[fail\]' <<<"$out")
        echo "$(guest dpkg-query -W -f '${Package} ${Version}' ssh-audit): $n failure(s); $(grep -m1 '(gen) software' <<<"$out")"
        grep '\[fail\]' <<<"$out" | head -n 10
        [ "$n" = 0 ]
}
# the post-quantum key exchanges this sshd supports (ssh -Q kex) stay enabled, one of them first:
# stock sshd has them so (OpenSSH 9.0 on); hardening must not take them away
pq_kex_kept() {
        local sup eff k
        sup=$(guest ssh -Q kex | grep -E '^(mlkem|sntrup)')
        eff=$(guest sshd -T 2>&1 | awk '$1 == "kexalgorithms" { print $2 }')
        echo "supported post-quantum: $(echo $sup); sshd -T kexalgorithms: $eff"
        [ -n "$sup" ] && [ -n "$eff" ] || return 1
        for k in $sup; do [[ ",$eff," == *",$k,"* ]] || { echo "missing: $k"; return 1; }; done
        grep -qxF "${eff%%,*}" <<<"$sup" || { echo "first is ${eff%%,*}"; return 1; }
}
# status names how sshd is started: the unit, and for the socket the port it listens on
status_names_sshd_start() {
        local out
        out=$(guest hardenctl status --json)
        python3 - "$out" "$SSH_UNIT" <<'PY'
import json, sys
d, unit = json.loads(sys.argv[1]), sys.argv[2]
s = d.get("sshd") or {}
print("status sshd:", json.dumps(s)[:300])
kind = "socket" if unit.endswith(".socket") else "service"
ok = s.get("unit") == unit and s.get("started_by") == kind
if kind == "socket":
    ok = ok and 22 in [p.get("port") for p in s.get("ports") or []]
sys.exit(0 if ok else 1)
PY
}
cloud_init_checks() {
        require "cloud-init ran every stage for the seed's instance, admin has the seed's key" cloud_init_done
        require "cloud-init wrote its hostile default (PasswordAuthentication yes)" pwauth_yes_written
        check "hardend-firstboot ordered after cloud-init's users-and-keys stage, before $SSH_UNIT" firstboot_ordered
        check "hardend-firstboot started after cloud-init made the user and keys, was ready before sshd listened and took a connection" firstboot_between
        check "the applied policy is the user data's (digest, instance id)" policy_from_userdata
        check "after cloud-config.service: sshd -T says passwordauthentication no" eval 'cloud_config_ran && password_auth_off'
        check "after cloud-config.service: the watcher logged no drift" watcher_clean
        check "ssh-audit (the release's): 0 failures" ssh_audit_clean
        require "post-quantum key exchanges kept, first in order" pq_kex_kept
}

# ---- 8. boot cost: the critical path to sshd in this boot, and what hardend's and cloud-init's
# units take of it (walked like systemd-analyze critical-chain: from a unit to the After= unit
# that became active last before it started). Appends one line per boot to $WORK/bootcost.
boot_cost() {
        local what=$1 raw
        # cloud-config.service restarts ssh.service: its first start and first "Server listening"
        # come from the journal, not from the unit's (latest) timestamps
        first=$(guest sh -c 'journalctl -b 0 -o json --no-pager UNIT=ssh.service MESSAGE_ID=7d4958e842da4a758f6c1cdc7b36dcc5 | head -n1
                journalctl -b 0 -o json --no-pager -u ssh.service | grep -m1 "Server listening" || echo "{}"')
        raw=$(guest sh -c 'systemctl show -P UserspaceTimestampMonotonic; systemctl show --all --no-pager -p Id -p After \
                -p InactiveExitTimestampMonotonic -p ActiveEnterTimestampMonotonic -p ActiveExitTimestampMonotonic \
                -p ExecMainStartTimestampMonotonic -p ExecMainExitTimestampMonotonic "*"')
        guest systemd-analyze critical-chain --no-pager "$SSH_UNIT" >"$WORK/$ROW-$what-critical-chain.txt" 2>&1
        guest systemd-analyze critical-chain --no-pager multi-user.target >>"$WORK/$ROW-$what-critical-chain.txt" 2>&1
        guest systemd-analyze blame --no-pager >"$WORK/$ROW-$what-blame.txt" 2>&1
        python3 - "$ROW" "$what" "$SSH_UNIT" "$WORK/bootcost" "$raw" "$first" <<'PY'
import json, sys
row, what, target, out, raw, first = sys.argv[1:]
lines = raw.split("\n")
first = [json.loads(l or "{}") for l in (first.split("\n") + ["", ""])[:2]]
first_start, first_listen = (int(j.get("__MONOTONIC_TIMESTAMP") or 0) for j in first)
userspace = int(lines[0] or 0)
units, cur = {}, {}
for l in lines[1:] + [""]:
    if not l.strip():
        if "Id" in cur:
            units[cur["Id"]] = cur
        cur = {}
        continue
    k, _, v = l.partition("=")
    cur[k] = v
def ts(u, k):
    try:
        return int(units[u].get(k) or 0)
    except KeyError:
        return 0
def start(u):
    if u == "ssh.service" and first_start:
        return first_start
    return ts(u, "InactiveExitTimestampMonotonic")
def active(u):
    if u == "ssh.service" and first_listen:
        return first_listen
    return ts(u, "ActiveEnterTimestampMonotonic")
def dur(u): return max(0, active(u) - start(u))
chain, u = [], target
while u and len(chain) < 64:
    chain.append(u)
    s = start(u) or active(u)
    best, bt = None, 0
    for a in units.get(u, {}).get("After", "").split():
        t = active(a)
        if t and t <= s and t > bt:
            best, bt = a, t
    u = best
ms = lambda us: us / 1000
hard_path = sum(dur(u) for u in chain if u.startswith("hardend"))
ci_path = sum(dur(u) for u in chain if u.startswith("cloud-init") or u.startswith("cloud-config"))
hard_all = {u: dur(u) for u in ("hardend-firewall.service", "hardend-firstboot.service") if active(u)}
# the first boot's whole apply: READY=1 (active) lets sshd start, the stray units come after
fb_done = ts("hardend-firstboot.service", "ExecMainExitTimestampMonotonic") - start("hardend-firstboot.service")
ci_all = {u: dur(u) for u in ("cloud-init-local.service", "cloud-init.service", "cloud-config.service",
                              "cloud-final.service", "cloud-init-main.service", "cloud-init-network.service") if active(u)}
t_ssh = ms(active(target) - userspace) if active(target) else -1
t_mu = ms(active("multi-user.target") - userspace) if active("multi-user.target") else -1
line = (f"{row}|{what}|{t_ssh:.0f}|{t_mu:.0f}|{ms(hard_path):.0f}|{ms(ci_path):.0f}|"
        + ", ".join(f"{k.split('.')[0]} {ms(v):.0f}" for k, v in hard_all.items())
        + (f" (exited at {ms(fb_done):.0f})" if "hardend-firstboot.service" in hard_all and fb_done > 0 else "") + "|"
        + ", ".join(f"{k.split('.')[0]} {ms(v):.0f}" for k, v in ci_all.items()) + "|"
        + " <- ".join(chain[:8]))
open(out, "a").write(line + "\n")
print(line)
PY
}
bootcost_table() {
        [ -s "$WORK/bootcost" ] || return 0
        echo "| row | boot | $SSH_UNIT_HDR active (ms) | multi-user.target (ms) | hardend on the path to sshd (ms) | cloud-init on it (ms) | hardend units (ms) | cloud-init units (ms) |"
        echo "|---|---|---|---|---|---|---|---|"
        local row what a b c d e f chain
        while IFS='|' read -r row what a b c d e f chain; do
                echo "| $row | $what | $a | $b | $c | $d | $e | $f |"
        done <"$WORK/bootcost"
}
SSH_UNIT_HDR="ssh.service / ssh.socket"

# ---- 9. the rows: which release, which backend, which unit opens port 22, and what the row
# changes in the image (a layer under each boot's tree, made once per run)
row_config() {
        ROW=$1 SSH_UNIT=ssh.service BACKEND=nftables ROW_SETUP=""
        case $1 in
        d13) SUITE=trixie ;;
        d13-socket) SUITE=trixie SSH_UNIT=ssh.socket ROW_SETUP=setup_socket ;;
        d12) SUITE=bookworm ;;
        d12-legacy) SUITE=bookworm BACKEND=iptables ROW_SETUP=setup_legacy ;;
        esac
        IMAGE=IMAGE_$SUITE; IMAGE=${!IMAGE:-}
}
# sshd by socket activation, as Debian documents it: ssh.service disabled, ssh.socket enabled
setup_socket() {
        chroot "$1" systemctl disable ssh.service && chroot "$1" systemctl enable ssh.socket &&
                [ "$(chroot "$1" systemctl is-enabled ssh.service)" = disabled ] &&
                [ "$(chroot "$1" systemctl is-enabled ssh.socket)" = enabled ]
}
# iptables-legacy selected (update-alternatives, as an admin or an older image has it): auto
# takes libiptc
setup_legacy() {
        chroot "$1" update-alternatives --set iptables /usr/sbin/iptables-legacy >/dev/null &&
                chroot "$1" update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy >/dev/null
}
make_row_layer() {
        local d=$WORK/$ROW-layer
        ROW_LOWER=$IMAGE
        [ -n "$ROW_SETUP" ] || return 0
        mkdir -p "$d/upper" "$d/work" "$d/merged" || return 1
        mount -t overlay overlay -o lowerdir="$IMAGE",upperdir="$d/upper",workdir="$d/work" "$d/merged" || return 1
        $ROW_SETUP "$d/merged" >"$WORK/$ROW-setup.log" 2>&1 || { cat "$WORK/$ROW-setup.log"; umount "$d/merged"; return 1; }
        umount "$d/merged" && ROW_LOWER=$d/upper:$IMAGE
}
sshd_started_by() {
        local s k
        s=$(guest systemctl is-active ssh.service); k=$(guest systemctl is-active ssh.socket)
        echo "ssh.service $s, ssh.socket $k"
        if [ "$SSH_UNIT" = ssh.socket ]; then [ "$k" = active ]; else [ "$s" = active ] && [ "$k" != active ]; fi
}

run_row() {
        local masks=() u
        row_config "$1"
        say "row $ROW: Debian $SUITE, $SSH_UNIT, firewall backend $BACKEND"
        [ -n "$IMAGE" ] && [ -e "$IMAGE/.complete" ] || { PHASE=main check "the $SUITE image (see above why it was not built)" false; return; }
        make_row_layer || { PHASE=main check "the row's change to the image ($ROW_SETUP)" false; return; }
        for u in $UNITS; do masks+=("systemd.mask=$u"); done

        say "$ROW: first boot (instance 1)"
        PHASE=main
        make_tree persist || { check "overlay for the persistent tree" false; return; }
        local persist=$TREE
        make_seed "iid-$ROW-1"
        if boot_guest "$persist" "$WORK/$ROW-boot-1.log"; then
                inc ping -c1 -W2 $GUEST4 >/dev/null 2>&1 || true
                require "sshd started by $SSH_UNIT" sshd_started_by
                run_outside_and_inside_checks
                cloud_init_checks
                check "hardenctl status says the backend is $BACKEND" status_names_backend "$BACKEND"
                check "hardenctl status says sshd is started by $SSH_UNIT" status_names_sshd_start
                boot_cost hardened
                say "$ROW: drift, and the journal uploaded to a systemd-journal-remote in the client namespace"
                journal_upload_begin
                drift_checks
                journal_upload_checks
        else
                check "first boot" false
        fi
        stop_guest

        say "$ROW: reboot (same instance)"
        if boot_guest "$persist" "$WORK/$ROW-boot-2.log"; then
                check "reboot: the first-boot unit found the instance hardened and applied nothing" firstboot_not_run
                check "reboot: firewall in place before network-pre.target" firewall_before_network
                check "reboot: hardend.service running" watcher_running
                check "reboot: admin logs in with the key, sudo -n true" ssh_admin_sudo
        else
                check "reboot" false
        fi
        stop_guest

        say "$ROW: boot with a new instance id (a re-instantiated image)"
        make_seed "iid-$ROW-2"
        if boot_guest "$persist" "$WORK/$ROW-boot-3.log"; then
                require "cloud-init ran for the new instance" cloud_init_done
                check "new instance: the first-boot unit applied again" journal_has $MSG_APPLIED -u hardend-firstboot.service
                check "new instance: the applied policy is the user data's, for the new instance id" policy_from_userdata
                check "new instance: password user refused, offered only publickey" ssh_password_refused
                check "new instance: admin logs in with the key, sudo -n true" ssh_admin_sudo
        else
                check "boot with a new instance id" false
        fi
        stop_guest
        drop_tree "$persist"

        say "$ROW: an image hardened offline (hardenctl apply --root), booted without hardend's units"
        offline_checks
        say "$ROW: the package purges tidily"
        purge_checks

        say "$ROW: negative control (hardend's units masked): every check must FAIL"
        PHASE=control
        make_tree control || { check "overlay for the control tree" false; return; }
        make_seed "iid-$ROW-control"
        if boot_guest "$TREE" "$WORK/$ROW-boot-control.log" "${masks[@]}"; then
                run_outside_and_inside_checks
                cloud_init_checks
                boot_cost control
        else
                check "control boot" false
        fi
        stop_guest
        drop_tree "$TREE"
        PHASE=main
}

# summarize WHAT [LINE]: every failed check of the hardened machine and every control check that
# passed, then the counts (LINE, if given, before them); true when both are zero
summarize() {
        local fails=0 weak=0 r phase name verdict
        for r in "${RESULTS[@]}"; do
                IFS='|' read -r phase name verdict <<<"$r"
                if [ "$phase" != control ]; then
                        [ "$verdict" = fail ] && { fails=$((fails + 1)); [ "$phase" = main ] || name="$name (must hold with and without hardend)"; echo "FAIL: $name"; }
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
say "packages and images (Debian 13 and 12, in parallel)"
mkdir -p "$CACHE" && exec 9>"$CACHE/.lock" || exit 1
flock -n 9 || { echo "waiting for another run that uses $CACHE"; flock 9; }
T_BUILD=$(now)
for s in trixie bookworm; do
        ( build_deb_for $s && build_image_for $s ) >"$WORK/build-$s.log" 2>&1 &
        eval "BUILD_PID_$s=\$!"
done
for s in trixie bookworm; do
        pid=BUILD_PID_$s; wait ${!pid}; rc=$?
        sed "s/^/  [$s] /" "$WORK/build-$s.log"
        [ $rc = 0 ] || echo "  [$s] FAILED: the rows on Debian $s cannot run (see above)"
        # the children's variables do not come back: read the results from the cache
        d=$(ls -d "$CACHE"/deb-$s-*/ 2>/dev/null | head -n1)
        [ -n "$d" ] && printf -v "DEB_$s" '%s' "$(ls "$d"/hardend_*.deb 2>/dev/null)"
        printf -v "IMAGE_$s" '%s' "$(ls -d "$CACHE"/image-$s-*/ 2>/dev/null | grep -v '\.tmp/$' | head -n1 | sed 's:/$::')"
        [ $rc = 0 ] || printf -v "IMAGE_$s" '%s' ""
done
echo "packages and images ready in $(elapsed "$T_BUILD") s"
lintian_clean() {
        local d=$1 rc
        [ -n "$d" ] || { echo "no package"; return 1; }
        rc=$(cat "$(dirname "$d")/lintian.rc" 2>/dev/null)
        head -n1 "$(dirname "$d")/lintian.log"
        grep -E '^[EW]: ' "$(dirname "$d")/lintian.log"
        [ "$rc" = 0 ]
}
check "lintian (Debian 13's own) on the Debian 13 .deb: no errors" lintian_clean "${DEB_trixie:-}"
check "lintian (Debian 12's own) on the Debian 12 .deb: no errors" lintian_clean "${DEB_bookworm:-}"
make_inputs || { echo "FAIL: test inputs"; exit 1; }

for r in $ROWS; do
        t=$(now)
        run_row "$r"
        echo "row $r: $(elapsed "$t") s"
done
ROW=""

say "boot cost (ms since userspace start; the control boot has hardend's units masked)"
bootcost_table | tee "$WORK/bootcost.md"
[ -n "${HARDEND_E2E_BOOTCOST:-}" ] && cat "$WORK/bootcost.md" >>"$HARDEND_E2E_BOOTCOST"

say "summary"
summarize "hardened rows ($ROWS)"
