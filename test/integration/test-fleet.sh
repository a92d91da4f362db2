#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A simulated fleet: $HARDEND_FLEET_HOSTS hosts (default 50), each in its own network, mount and
# UTS namespace with a private /etc (an overlay on one shared copy, the upper layer on tmpfs),
# its own /run, /var, /home, /root and its own address on a bridge (192.0.2.0/24) inside this
# test's network namespace. Each host runs hardenctl apply, then hardend watch (report mode,
# 1 s interval) and prometheus-node-exporter with the textfile collector only, on its own
# address. One Prometheus here scrapes them all every $SCRAPE s with a copy of
# conf/prometheus/hardend.rules.yml whose "for:" durations are cut to $FOR.
#
# Drift of four kinds goes into a random subset of hosts (seed $HARDEND_FLEET_SEED): an ACCEPT
# rule in HARDEND-INPUT (firewall), "PasswordAuthentication yes" put first in hardend's sshd
# drop-in (ssh), authorized_keys made world-readable (admin), a stray listener (services: the
# watcher has no systemd bus in a sandbox, so a re-enabled unit cannot be shown here). Within two
# scrape intervals plus the watcher's interval, PromQL counts exactly the injected (host, module)
# pairs, by module and in all, and HardendHostDrifted is pending or firing for exactly those;
# then it fires. hardenctl apply in those hosts (and the listener stopped) brings the counts
# back to 0 and the alerts go away. Two hosts run an older policy: the "old policy" query finds
# exactly them and HardendFleetPolicyMismatch fires.
#
# It prints the per-host cost: series and bytes of the textfile, bytes of one scrape, series
# Prometheus keeps per host, and the RSS of all watchers, exporters and Prometheus.
source "$(dirname "$0")/sandbox.sh"

SRC=${TEST_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
HOSTS=${HARDEND_FLEET_HOSTS:-50}
SCRAPE=2
INTERVAL=1
FOR=4s
EXPORTER=/usr/bin/prometheus-node-exporter
PROMETHEUS=/usr/bin/prometheus
PROM_ADDR=192.0.2.254
IPT=iptables-legacy

# ---- one host: runs in its own namespaces, started by fleet_start ---------------------------

fleet_host() {
        local i=$1 d=$FLEET/h$1 pids=()
        mkdir -p "$d"/{up,work,run,var,home,root}
        mount -t overlay overlay -o "lowerdir=$SB/etc,upperdir=$d/up,workdir=$d/work" /etc
        local m
        for m in run var home root; do mount --bind "$d/$m" "/$m"; done
        hostname "fleet-$i"
        echo "fleet-$i" >/etc/hostname
        tr -d - </proc/sys/kernel/random/uuid >/etc/machine-id
        chmod 0700 /root
        mkdir -p /run/sshd /run/lock /var/lib/prometheus/node-exporter /var/log /var/tmp
        chmod 1777 /var/tmp
        if ! "$HARDENCTL" apply --config "$(host_policy "$i")" >"$d/apply.log" 2>&1; then
                echo failed >"$d/state"
                return 1
        fi
        "$EXPORTER" --web.listen-address="$(host_addr "$i"):9100" --collector.disable-defaults \
                --collector.textfile --collector.textfile.directory=/var/lib/prometheus/node-exporter \
                >"$d/exporter.log" 2>&1 &
        pids+=($!)
        "$HARDEND" watch --config "$(host_policy "$i")" >/dev/null 2>"$d/watch.log" &
        pids+=($!)
        echo "${pids[*]}" >"$d/pids"
        trap 'kill -TERM ${pids[*]} 2>/dev/null; wait; exit 0' TERM
        echo ready >"$d/state"
        wait
}

host_addr() { echo "192.0.2.$1"; }
# hosts 1 and 2 run the older policy
host_policy() { if [ "$1" -le 2 ]; then echo "$SB/fleet-old.conf"; else echo "$SB/fleet.conf"; fi; }

if [ "${1:-}" = --host ]; then
        fleet_host "$2"
        exit
fi

# ---- the fleet --------------------------------------------------------------------------------

sandbox_enter "$@"
sandbox_live_root
require_programs "$EXPORTER" "$PROMETHEUS" "$IPT" python3
case $HOSTS in
[3-9] | [1-9][0-9] | 1[0-9][0-9] | 2[0-4][0-9] | 250) ;;
*) echo "HARDEND_FLEET_HOSTS is 3-250 (one 192.0.2.0/24 address each), not \"$HOSTS\"" >&2; exit 2 ;;
esac
T0=$(date +%s%N)
FLEET=$SB/fleet
mkdir -p "$FLEET"
export SB FLEET HARDENCTL HARDEND EXPORTER
declare -A LEADER=() STRAY=()
PROM_PID=

fleet_down() {
        local i
        for i in "${!STRAY[@]}"; do kill "${STRAY[$i]}" 2>/dev/null || true; done
        for i in "${!LEADER[@]}"; do kill -TERM "${LEADER[$i]}" 2>/dev/null || true; done
        [ -z "$PROM_PID" ] || kill -TERM "$PROM_PID" 2>/dev/null || true
        wait 2>/dev/null || true
}
trap 'rc=$?; fleet_down; (exit $rc); sandbox_leave' EXIT

ssh-keygen -q -t ed25519 -N '' -C hardend-fleet -f "$SB/id_fleet" >/dev/null
KEY=$(cat "$SB/id_fleet.pub")
# The default policy with a 1 s interval, the legacy tables, a key, node_exporter's port open to
# Prometheus and allowed as a listener, no unit list (there is no systemd in a sandbox)
sed -e "s/^\( *interval = \)[0-9]*;/\1$INTERVAL;/" \
    -e 's/^\( *backend = \)"auto";/\1"iptables";/' \
    -e "s|^\( *authorized_keys = \)\[ *\];|\1[ \"$KEY\" ];|" \
    -e 's|{ port = 443; proto = "tcp"; }|&,\n    { port = 9100; proto = "tcp"; sources = [ "'$PROM_ADDR'/32" ]; }|' \
    -e 's/^\( *disable = \)\[.*/\1[ ];/' -e '/^ *"cups.service", "telnet.socket", "xinetd.service" \];/d' \
    -e 's|"udp/546" \]|"udp/546", "tcp/9100" ]|' \
    "$SRC/conf/hardend.conf" >"$SB/fleet.conf"
sed -e 's/^\( *max_auth_tries = \)[0-9]*;/\14;/' "$SB/fleet.conf" >"$SB/fleet-old.conf"
expect_rc 0 "$HARDENCTL" validate "$SB/fleet.conf"
expect_rc 0 "$HARDENCTL" validate "$SB/fleet-old.conf"

ip link add fleet0 type bridge
ip addr add "$PROM_ADDR/24" dev fleet0
ip link set fleet0 up
for i in $(seq 1 "$HOSTS"); do
        ip netns add "h$i"
        ip link add "v$i" type veth peer name eth0 netns "h$i"
        ip link set "v$i" master fleet0 up
        ip -n "h$i" addr add "$(host_addr "$i")/24" dev eth0
        ip -n "h$i" link set eth0 up
        ip -n "h$i" link set lo up
        ip netns exec "h$i" unshare --mount --uts --propagation private -- "$BASH" "$0" --host "$i" &
        LEADER[$i]=$!
done

all_up() {
        local i
        for i in $(seq 1 "$HOSTS"); do
                [ -f "$FLEET/h$i/state" ] || return 1
        done
}
wait_for 60 all_up || true
ready=$(cat "$FLEET"/h*/state 2>/dev/null | grep -c '^ready$' || true)
check_that "$ready of $HOSTS hosts applied the policy and run the watcher and node_exporter" test "$ready" = "$HOSTS"
if [ "$ready" != "$HOSTS" ]; then
        for f in "$FLEET"/h*/apply.log; do grep -q . "$f" && { echo "    $f:"; sed 's/^/      /' "$f" | tail -5; break; }; done
        finish; exit 1
fi

# ---- Prometheus -----------------------------------------------------------------------------

mkdir -p "$SB/prom"
sed -e "s/^\( *for: \).*/\1$FOR/" "$SRC/conf/prometheus/hardend.rules.yml" >"$SB/prom/hardend.rules.yml"
{
        printf 'global:\n  scrape_interval: %ss\n  scrape_timeout: %ss\n  evaluation_interval: 1s\n' "$SCRAPE" "$SCRAPE"
        printf 'rule_files:\n  - %s\n' "$SB/prom/hardend.rules.yml"
        printf 'scrape_configs:\n  - job_name: node\n    static_configs:\n      - targets:\n'
        for i in $(seq 1 "$HOSTS"); do printf '          - %s:9100\n' "$(host_addr "$i")"; done
} >"$SB/prom/prometheus.yml"
"$PROMETHEUS" --config.file="$SB/prom/prometheus.yml" --storage.tsdb.path="$SB/prom/data" \
        --web.listen-address=127.0.0.1:9090 >"$SB/prom/log" 2>&1 &
PROM_PID=$!

cat >"$SB/q.py" <<'EOF'
import json, sys, urllib.parse, urllib.request
api = "http://127.0.0.1:9090/api/v1/"
def get(path, **params):
    with urllib.request.urlopen(api + path + "?" + urllib.parse.urlencode(params), timeout=5) as r:
        return json.load(r)["data"]
what = sys.argv[1]
out = []
if what == "query":
    # one line per series: its labels (sorted, name=value) and its value
    for s in get("query", query=sys.argv[2])["result"]:
        labels = ",".join(f"{k}={v}" for k, v in sorted(s["metric"].items()) if k != "__name__")
        out.append(f"{labels} {s['value'][1]}".strip())
elif what == "alerts":
    # alerts of one name in the given states: instance and module
    states = sys.argv[3].split(",")
    for a in get("alerts")["alerts"]:
        if a["labels"]["alertname"] == sys.argv[2] and a["state"] in states:
            out.append(f"{a['labels'].get('instance', '')} {a['labels'].get('module', '')}".strip() or "(fleet)")
elif what == "targets":
    t = get("targets")["activeTargets"]
    out.append(f"{sum(1 for x in t if x['health'] == 'up')}")
print("\n".join(sorted(out)))
EOF
q() { python3 "$SB/q.py" query "$1" 2>/dev/null; }
alerts() { python3 "$SB/q.py" alerts "$1" "$2" 2>/dev/null; }
# same WANT CMD...: CMD prints exactly WANT
same() { local want=$1 out; shift; out=$("$@") && [ "$out" = "$want" ]; }

ALL=$((HOSTS * 4))
wait_for 60 same "$HOSTS" python3 "$SB/q.py" targets 2>/dev/null || true
check_that "Prometheus scrapes all $HOSTS exporters (up)" same "$HOSTS" python3 "$SB/q.py" targets
check_that "Prometheus sees $ALL hardend_module_compliant series, all 1" \
        wait_for 20 same "$ALL" q 'count(hardend_module_compliant == 1)'
check_that "none drifted: count(hardend_module_compliant == 0) or vector(0) is 0" \
        same "0" q 'count(hardend_module_compliant == 0) or vector(0)'
check_that "every watcher is up" same "$HOSTS" q 'count(hardend_watcher_up == 1)'
check_that "every last apply succeeded" same "$HOSTS" q 'count(hardend_last_apply_success == 1)'

OLD="instance=$(host_addr 1):9100 1
instance=$(host_addr 2):9100 1"
check_that "two policies in the fleet" same "2" q 'count(count by (sha256) (hardend_policy_info))'
OLD_QUERY='count by (instance) (hardend_policy_info unless on (sha256) topk(1, count by (sha256) (hardend_policy_info)))'
check_that "hosts on an old policy: exactly hosts 1 and 2" same "$OLD" q "$OLD_QUERY"

# ---- drift ------------------------------------------------------------------------------------

SEED=${HARDEND_FLEET_SEED:-$$}
RANDOM=$SEED
KINDS=(firewall ssh admin services)
declare -A DRIFT=() # host -> the modules drifted there
K=$((HOSTS / 5))
while [ "${#DRIFT[@]}" -lt "$K" ]; do
        i=$((RANDOM % HOSTS + 1))
        [ -z "${DRIFT[$i]:-}" ] || continue
        mask=$((RANDOM % 15 + 1)) mods=""
        for b in 0 1 2 3; do [ $((mask & (1 << b))) = 0 ] || mods="$mods ${KINDS[$b]}"; done
        DRIFT[$i]=${mods# }
done
in_host() { local i=$1; shift; nsenter -t "${LEADER[$i]}" -m -n -u -- "$@"; }
inject() {
        local i=$1 mod=$2
        case $mod in
        firewall) in_host "$i" "$IPT" -I HARDEND-INPUT 1 -p tcp --dport 2323 -j ACCEPT ;;
        ssh) in_host "$i" sed -i '1i PasswordAuthentication yes' /etc/ssh/sshd_config.d/00-hardend.conf ;;
        admin) in_host "$i" chmod 0644 /home/admin/.ssh/authorized_keys ;;
        services)
                nsenter -t "${LEADER[$i]}" -m -n -u -- python3 -c 'import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 2323)); s.listen(); time.sleep(180)' </dev/null >/dev/null 2>&1 &
                STRAY[$i]=$!
                ;;
        esac
}

expected_pairs=() pairs_total=0
declare -A PER_MODULE=()
for i in "${!DRIFT[@]}"; do
        for mod in ${DRIFT[$i]}; do
                expected_pairs+=("$(host_addr "$i"):9100 $mod")
                PER_MODULE[$mod]=$((${PER_MODULE[$mod]:-0} + 1))
                pairs_total=$((pairs_total + 1))
        done
done
WANT_PAIRS=$(printf '%s\n' "${expected_pairs[@]}" | sort)
WANT_BY_MODULE=$(for m in "${!PER_MODULE[@]}"; do echo "module=$m ${PER_MODULE[$m]}"; done | sort)
WANT_COUNT_PAIRS=$(printf '%s\n' "${expected_pairs[@]}" | sed 's/^\([^ ]*\) \(.*\)/instance=\1,job=node,module=\2 0/' | sort)
echo "# seed $SEED: drift in $K hosts, $pairs_total (host, module) pairs:" \
        "$(for i in $(printf '%s\n' "${!DRIFT[@]}" | sort -n); do printf '%s[%s] ' "$i" "${DRIFT[$i]// /,}"; done)"

# converge WHAT SECONDS CMD...: a pass when CMD succeeds within SECONDS; says how long it took
converge() {
        local what=$1 limit=$2 t; shift 2
        if wait_for "$limit" "$@"; then
                t=$((($(date +%s%N) - T_INJ) / 1000000))
                pass "$what (after ${t} ms, limit ${limit} s)"
        else
                fail "$what (not within ${limit} s)"
        fi
}
LIMIT=$((2 * SCRAPE + INTERVAL))

T_INJ=$(date +%s%N)
for i in "${!DRIFT[@]}"; do
        for mod in ${DRIFT[$i]}; do inject "$i" "$mod"; done
done
echo "# injected in $((($(date +%s%N) - T_INJ) / 1000000)) ms"
T_INJ=$(date +%s%N)
converge "count(hardend_module_compliant == 0) is $pairs_total" "$LIMIT" \
        same "$pairs_total" q 'count(hardend_module_compliant == 0)'
check_that "count by (module): $(echo $WANT_BY_MODULE)" \
        same "$WANT_BY_MODULE" q 'count by (module) (hardend_module_compliant == 0)'
check_that "the drifted (host, module) pairs are exactly the injected ones" \
        same "$WANT_COUNT_PAIRS" q 'hardend_module_compliant == 0'
check_that "hosts drifted now: $K" same "$K" q 'count(count by (instance) (hardend_module_compliant == 0))'
check_that "the other modules of the fleet are still compliant" \
        same "$((ALL - pairs_total))" q 'count(hardend_module_compliant == 1)'
converge "HardendHostDrifted pending or firing for exactly the injected pairs" $((LIMIT + 1)) \
        same "$WANT_PAIRS" alerts HardendHostDrifted pending,firing
converge "HardendHostDrifted firing for exactly those after for: $FOR" $((LIMIT + 1 + ${FOR%s})) \
        same "$WANT_PAIRS" alerts HardendHostDrifted firing
check_that "no apply failed, no watcher down or stale" \
        same "" bash -c "python3 '$SB/q.py' alerts HardendApplyFailed pending,firing; python3 '$SB/q.py' alerts HardendWatcherDown pending,firing; python3 '$SB/q.py' alerts HardendWatcherStale pending,firing"
check_that "HardendFleetPolicyMismatch fires (hosts 1 and 2 on the older policy)" \
        same "(fleet)" alerts HardendFleetPolicyMismatch firing
check_that "drift events counted: every drifted module's counter went up" \
        same "$WANT_BY_MODULE" q 'count by (module) (hardend_drift_events_total > 0)'

# ---- the cost per host (measured while drifted: the largest textfile) -------------------------

H=$(printf '%s\n' "${!DRIFT[@]}" | head -1)
TF=$FLEET/h$H/var/lib/prometheus/node-exporter/hardend.prom
series=$(grep -vc '^#' "$TF")
in_host "$H" python3 -c 'import sys, urllib.request
sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1], timeout=5).read())' "http://$(host_addr "$H"):9100/metrics" >"$SB/metrics.out"
scrape_gz=$(in_host "$H" python3 -c 'import sys, urllib.request
r = urllib.request.Request(sys.argv[1], headers={"Accept-Encoding": "gzip"})
print(len(urllib.request.urlopen(r, timeout=5).read()))' "http://$(host_addr "$H"):9100/metrics")
tf_gz=$(python3 -c 'import gzip, sys; print(len(gzip.compress(open(sys.argv[1], "rb").read())))' "$TF")
echo "# per host: textfile $(stat -c %s "$TF") bytes ($tf_gz gzip), $series series;" \
        "scrape $(stat -c %s "$SB/metrics.out") bytes ($scrape_gz gzip), $(grep -vc '^#' "$SB/metrics.out") samples," \
        "of them $(grep -c '^hardend_' "$SB/metrics.out") hardend_*, $(grep -v '^#' "$SB/metrics.out" | grep -c '^node_textfile\|^node_scrape') node_textfile/node_scrape;" \
        "Prometheus keeps $(q "count({instance=\"$(host_addr "$H"):9100\"})") series for the host"
check_that "the exporter serves the textfile's $series series" \
        test "$(grep -c '^hardend_' "$SB/metrics.out")" = "$series"
rss_of() { awk '/^VmRSS:/ { s += $2 } END { print s + 0 }' "$@" 2>/dev/null; }
w=() e=()
for i in $(seq 1 "$HOSTS"); do
        read -r ep wp <"$FLEET/h$i/pids"
        e+=("/proc/$ep/status") w+=("/proc/$wp/status")
done
echo "# RSS: $HOSTS watchers $(rss_of "${w[@]}") kB, $HOSTS exporters $(rss_of "${e[@]}") kB," \
        "Prometheus $(rss_of "/proc/$PROM_PID/status") kB"

# ---- repair -----------------------------------------------------------------------------------

T_INJ=$(date +%s%N)
for i in "${!DRIFT[@]}"; do
        if [ -n "${STRAY[$i]:-}" ]; then
                kill "${STRAY[$i]}"
                wait "${STRAY[$i]}" 2>/dev/null || true
                unset "STRAY[$i]"
        fi
        case " ${DRIFT[$i]} " in
        *" firewall "* | *" ssh "* | *" admin "*)
                rc=0
                in_host "$i" "$HARDENCTL" apply --config "$(host_policy "$i")" >"$SB/repair.out" 2>&1 || rc=$?
                [ "$rc" = 0 ] || { fail "hardenctl apply in host $i exited $rc"; sed 's/^/    /' "$SB/repair.out"; }
                ;;
        esac
done
echo "# repaired in $((($(date +%s%N) - T_INJ) / 1000000)) ms"
T_INJ=$(date +%s%N)
converge "repaired: count(hardend_module_compliant == 0) or vector(0) is 0" "$LIMIT" \
        same "0" q 'count(hardend_module_compliant == 0) or vector(0)'
check_that "repaired: all $ALL series compliant again" same "$ALL" q 'count(hardend_module_compliant == 1)'
converge "repaired: HardendHostDrifted is gone" $((LIMIT + 1)) same "" alerts HardendHostDrifted pending,firing

echo "# the whole test took $((($(date +%s%N) - T0) / 1000000000)) s"
finish
