#!/bin/bash
# hardend's benchmark suite: one command, writes bench/RESULTS.md.
#
#   bench/run.sh            # as root, after `ninja -C build`
#   RUNS=10 FW_RUNS=20 IDLE=60 LYNIS_TIMEOUT=300 bench/run.sh
#   TABLES="firstboot cloudinit probe" KEEP=/tmp/hardend-bench.X/out bench/run.sh
#                           # re-run some tables only; the others' raw data is copied from KEEP
#
# Every table runs in its own network and mount namespaces with a private /etc and empty /run,
# /var, /home, /root (bench/tables.sh, test/integration/sandbox.sh). ufw, cloud-init, fail2ban
# and lynis are installed for the benchmark only, with service starts held back by policy-rc.d and
# the maintainer scripts run in a throwaway network namespace, and purged afterwards with
# everything their installation pulled in.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(dirname "$HERE")
export HARDENCTL=${HARDENCTL:-$SRC/build/daemon/hardenctl} HARDEND=${HARDEND:-$SRC/build/daemon/hardend}
export RUNS=${RUNS:-10} IDLE=${IDLE:-60} LYNIS_TIMEOUT=${LYNIS_TIMEOUT:-300}
FW_RUNS=${FW_RUNS:-20}
TABLES=${TABLES:-firstboot cloudinit ufw probe footprint audit firewall}
# the comparison tools the chosen tables need
BENCH_PKGS=""
for t in $TABLES; do
        case $t in cloudinit) BENCH_PKGS="$BENCH_PKGS cloud-init" ;; ufw) BENCH_PKGS="$BENCH_PKGS ufw" ;;
        footprint) BENCH_PKGS="$BENCH_PKGS fail2ban" ;; audit) BENCH_PKGS="$BENCH_PKGS lynis" ;; esac
done

[ "$(id -u)" = 0 ] || { echo "$0: needs root (namespaces)" >&2; exit 1; }
[ -z "${HARDEND_SANDBOX:-}" ] || { echo "$0: HARDEND_SANDBOX must not be set" >&2; exit 1; }
for t in hyperfine valgrind callgrind_annotate strace python3 cc unshare iptables-legacy nft bc; do
        command -v $t >/dev/null || { echo "$0: $t is needed (apt-get install hyperfine valgrind strace nftables bc)" >&2; exit 1; }
done
[ -x "$HARDENCTL" ] || { echo "$0: build first (ninja -C build)" >&2; exit 1; }

W=$(mktemp -d /tmp/hardend-bench.XXXXXX)
export PROBELOOP=$W/probeloop
cc -O2 -g -I"$SRC/lib" -I"$SRC/lib/core" -I"$SRC/lib/modules/firewall" -I"$SRC/lib/modules/ssh" -I"$SRC/lib/modules/admin" -I"$SRC/lib/modules/services" -I"$SRC/lib/confirm" -I"$SRC/lib/watch" -o "$PROBELOOP" "$HERE/probeloop.c" "$SRC/build/lib/libhardend.a" \
        $(pkg-config --libs libconfig libsystemd libip4tc libip6tc json-c libmd)

# ---- the comparison tools, for the benchmark only ----
installed_here=""
own_policy=0
cleanup() {
        local rc=$?
        if [ -n "$installed_here" ]; then
                echo "== purging what the benchmark installed"
                local extra
                # exactly what apt installed for us (not what others installed meanwhile on this machine)
                extra=$(awk '/The following NEW packages will be installed:/ {f = 1; next} f && /^  / {print; next} f {exit}' \
                        "$W/apt.log" | tr -s ' \n' ' ')
                # in a throwaway network namespace: maintainer scripts never reach the host's tables
                [ -n "$extra" ] && DEBIAN_FRONTEND=noninteractive unshare --net -- apt-get purge -y -q $extra >"$W/purge.log" 2>&1 ||
                        echo "purge failed, see $W/purge.log" >&2
        fi
        [ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
        exit $rc
}
trap cleanup EXIT
missing=""
for p in $BENCH_PKGS; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done
if [ -n "$missing" ]; then
        echo "== installing for the benchmark only:$missing"
        if [ ! -e /usr/sbin/policy-rc.d ]; then
                printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
                chmod 0755 /usr/sbin/policy-rc.d
                own_policy=1
        fi
        installed_here=$missing
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends --download-only $missing >"$W/apt.log" 2>&1
        DEBIAN_FRONTEND=noninteractive unshare --net -- apt-get install -y -q --no-install-recommends $missing >>"$W/apt.log" 2>&1
fi

# ---- the tables, each in fresh namespaces ----
mkdir -p "$W/out"
if [ -n "${KEEP:-}" ]; then
        cp -a "$KEEP/." "$W/out/"
        echo "kept=$KEEP (re-run: $TABLES)" >"$W/out/kept.txt"
fi
T0=$(date +%s)
for t in $TABLES; do
        [ "$t" = firewall ] && continue
        echo "== table: $t"
        bash "$HERE/tables.sh" "$t" "$W/out" >"$W/out/log-$t" 2>&1 || { echo "table $t failed:"; tail -20 "$W/out/log-$t"; }
done
case " $TABLES " in *" firewall "*)
        echo "== table: firewall scaling (bench/firewall.sh)"
        RUNS=$FW_RUNS OUT=$W/out/firewall.md bash "$HERE/firewall.sh" >"$W/out/log-firewall" 2>&1 || tail -20 "$W/out/log-firewall"
esac
T1=$(date +%s)

{
        echo "hardend=$("$HARDENCTL" --version 2>&1 | head -1)"
        echo "git=$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null)"
        for p in ufw cloud-init fail2ban lynis openssh-server iptables nftables hyperfine valgrind strace sudo passwd python3; do
                echo "$p=$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null)"
        done
        echo "nproc=$(nproc)"
        echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
        echo "kernel=$(uname -r)"
        echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
        echo "duration_s=$((T1 - T0))"
        echo "runs=$RUNS"; echo "fw_runs=$FW_RUNS"; echo "idle=$IDLE"; echo "lynis_timeout=$LYNIS_TIMEOUT"
} >"$W/out/env.txt"
python3 "$HERE/report.py" "$W/out" "$HERE/RESULTS.md"
echo "Wrote $HERE/RESULTS.md (raw data in $W/out)"
