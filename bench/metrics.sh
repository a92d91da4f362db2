#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What the Prometheus textfile costs the watcher (bench/RESULTS.md, section "Metrics textfile"), in
# fresh network and mount namespaces (test/integration/sandbox.sh) after a first-boot apply:
#   1. per probe: bench/metricsloop.c, a full probe without and with the textfile written after it,
#      side by side in one process, the textfile on tmpfs (the sandbox's /var) and on ext4 (a
#      directory below /tmp, the host's disk);
#   2. instructions: callgrind of the metrics step alone (write_metrics, inclusive) per round;
#   3. the watcher idle for IDLE seconds with watch.interval = 1, textfile on and off (and, with
#      HARDEND_BASE, a build without the textfile code): its wakeups (epoll_wait returns under
#      strace), voluntary context switches, VmRSS and PSS; each run starts with an empty /run/hardend.
# Run as root after ninja -C build:  bench/metrics.sh [OUTDIR]   (ROUNDS=200 IDLE=30)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
. "$SRC/test/integration/sandbox.sh"
sandbox_enter "$@"
OUT=${1:-$SRC/build/bench-metrics}
ROUNDS=${ROUNDS:-200}
IDLE=${IDLE:-30}
mkdir -p "$OUT"
for t in cc valgrind strace pkg-config; do command -v $t >/dev/null || { echo "$0: $t is needed" >&2; exit 1; }; done

LOOP=$SB/metricsloop
cc -O2 -g -DHARDEND_VERSION='"bench"' -I"$SRC/lib" -I"$SRC/lib/core" -I"$SRC/lib/modules/firewall" \
        -I"$SRC/lib/modules/ssh" -I"$SRC/lib/modules/admin" -I"$SRC/lib/modules/services" -I"$SRC/lib/confirm" \
        -I"$SRC/lib/watch" -o "$LOOP" "$HERE/metricsloop.c" "$SRC/build/lib/libhardend.a" \
        $(pkg-config --libs libconfig libsystemd libip4tc libip6tc json-c libmd libnftables)

sandbox_live_root
useradd -m -s /bin/bash debian
install -d -m 0700 -o debian -g debian /home/debian/.ssh
ssh-keygen -q -t ed25519 -N '' -C bench@sandbox -f "$SB/key"
install -m 0600 -o debian -g debian "$SB/key.pub" /home/debian/.ssh/authorized_keys
EXT4=$(mktemp -d /tmp/hardend-bench-ext4.XXXXXX)
trap 'rm -rf "$EXT4"; sandbox_leave' EXIT
[ "$(stat -f -c %T "$EXT4")" != tmpfs ] || echo "note: $EXT4 is on tmpfs too"

policy() { # TEXTFILE-VALUE INTERVAL
        sed -e "s|^\( *prometheus_textfile = \).*|\1$1;|" -e "s/^\( *interval = \)[0-9]*;/\1$2;/" \
                -e "s|^\( *authorized_keys = \)\[ *\];|\1[ \"$(cat "$SB/key.pub")\" ];|" "$SRC/conf/hardend.conf"
}
mkdir -p /var/lib/prometheus/node-exporter
policy '"/var/lib/prometheus/node-exporter/hardend.prom"' 60 >"$SB/tmpfs.conf"
policy "\"$EXT4/hardend.prom\"" 60 >"$SB/ext4.conf"
"$HARDENCTL" apply --config "$SB/tmpfs.conf" >/dev/null 2>&1 || true

{
        echo "tmpfs $("$LOOP" "$ROUNDS" "$SB/tmpfs.conf")"
        echo "ext4 $("$LOOP" "$ROUNDS" "$SB/ext4.conf")"
} | tee "$OUT/metricsloop.txt"
valgrind --tool=callgrind --toggle-collect='write_metrics*' --callgrind-out-file="$SB/cg.metrics" \
        "$LOOP" 10 "$SB/tmpfs.conf" >/dev/null 2>"$OUT/cg-metrics.txt"
valgrind --tool=callgrind --toggle-collect=engine_probe --callgrind-out-file="$SB/cg.probe" \
        "$LOOP" 10 "$SB/tmpfs.conf" >/dev/null 2>>"$OUT/cg-metrics.txt"
# 11 rounds (one warm-up): the metrics step runs 11 times, engine_probe 22 times
echo "metrics_instructions_per_write $(($(grep -m1 '^summary:' "$SB/cg.metrics" | awk '{print $2}') / 11))" | tee "$OUT/cg-summary.txt"
echo "probe_instructions_per_probe $(($(grep -m1 '^summary:' "$SB/cg.probe" | awk '{print $2}') / 22))" | tee -a "$OUT/cg-summary.txt"

# the watcher idle: wakeups and memory with the textfile and without it. Switches and memory are
# sampled untraced; the loop's wakeups are counted in a second run under strace --seccomp-bpf
# (only epoll_wait stops the tracee). HARDEND_BASE=path: also a build without the textfile.
# the environment hardend.service gives the watcher
WATCH_ENV=$(sed -n 's/^Environment=//p' "$SRC/units/hardend.service.in")
idle() { # NAME TEXTFILE-VALUE [HARDEND]
        local bin=${3:-$HARDEND} pid v0 v1 w
        policy "$2" 1 >"$SB/w.conf"
        [ "$2" = false ] && [ -n "${3:-}" ] && sed -i '/^report = {/,/^};/d' "$SB/w.conf"
        rm -rf /run/hardend # each run starts without what an earlier one learnt (the sandbox's /run)
        env $WATCH_ENV "$bin" watch --config "$SB/w.conf" >/dev/null 2>"$SB/w-$1.log" &
        pid=$!
        sleep 3
        v0=$(awk '/^voluntary_ctxt_switches/ {print $2}' /proc/$pid/status)
        sleep "$IDLE"
        v1=$(awk '/^voluntary_ctxt_switches/ {print $2}' /proc/$pid/status)
        local rss pss
        rss=$(awk '/^VmRSS/ {print $2}' /proc/$pid/status)
        pss=$(awk '/^Pss:/ {print $2}' /proc/$pid/smaps_rollup)
        kill -TERM $pid; wait $pid || true
        rm -rf /run/hardend
        strace -qq -f --seccomp-bpf -e trace=epoll_wait -o "$SB/strace-$1.txt" \
                timeout -s TERM "$((IDLE + 3))" env $WATCH_ENV "$bin" watch --config "$SB/w.conf" >/dev/null 2>&1 || true
        w=$(grep -c 'epoll_wait(' "$SB/strace-$1.txt" || true)
        echo "$1 idle_s=$IDLE voluntary_switches=$((v1 - v0)) epoll_wait_in_$((IDLE + 3))s=$w vmrss_kib=$rss pss_kib=$pss"
}
{
        idle textfile-tmpfs '"/var/lib/prometheus/node-exporter/hardend.prom"'
        idle textfile-ext4 "\"$EXT4/hardend.prom\""
        idle textfile-off false
        [ -z "${HARDEND_BASE:-}" ] || idle base-without-textfile false "$HARDEND_BASE"
} | tee "$OUT/idle.txt"
echo "results in $OUT"
