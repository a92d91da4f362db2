#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The watcher under a burst of file events, in a sandbox: LOAD_EVENTS (default 10000) changes to
# watched files in a tight loop (mtime updates of the sshd drop-in, renames of a comment-only drop-in
# over itself in sshd_config.d, mtime updates of /etc/group), then one real drift (authorized_keys
# made 0644). The watcher, at debug level (a "Change in" line per event it takes, a "Probe N" line
# per probe), must: see the real drift within its interval after the burst, probe far fewer times
# than there were events (coalescing), log the drift exactly once and its undoing exactly once,
# raise no false drift from the burst, and keep VmRSS bounded.
source "$(dirname "$0")/sandbox.sh"
sandbox_enter "$@"
sandbox_live_root

SRC=${TEST_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
EVENTS=${LOAD_EVENTS:-10000}
INTERVAL=5
CONF="$SB/policy.conf"
LOG="$SB/watch.log"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"

ssh-keygen -q -t ed25519 -N '' -C hardend-load -f "$SB/id_test" >/dev/null
KEY=$(cat "$SB/id_test.pub")
sed -e "s/^\( *interval = \)[0-9]*;/\1$INTERVAL;/" -e 's/^\( *mode = \)"[a-z]*";/\1"report";/' \
        -e "s|^\( *authorized_keys = \)\[ *\];|\1[ \"$KEY\" ];|" "$SRC/conf/hardend.conf" >"$CONF"
expect_rc 0 "$HARDENCTL" apply --config "$CONF"
KEYS=$(getent passwd admin | cut -d: -f6)/.ssh/authorized_keys

HARDEND_LOG_LEVEL=debug "$HARDEND" watch --config "$CONF" 2>"$LOG" >/dev/null &
WATCH_PID=$!
wait_count "^Watching " 1 60 || { fail "the watcher did not start"; cat "$LOG"; finish; }
sleep 1
rss0=$(rss)
probes0=$(count "^Probe ")
drifts0=$(count "Drift detected")

t0=$(date +%s%N)
python3 - "$EVENTS" <<'PY'
import os, sys
n = int(sys.argv[1])
d = "/etc/ssh/sshd_config.d"
with open(d + "/99-load.tmp", "w") as f:
    f.write("# hardend load test: no settings\n")
for i in range(n):
    k = i % 3
    if k == 0:
        os.utime(d + "/00-hardend.conf")
    elif k == 1:
        with open(d + "/99-load.new", "w") as f:
            f.write("# hardend load test: no settings\n")
        os.rename(d + "/99-load.new", d + "/99-load.conf")
    else:
        os.utime("/etc/group")
os.unlink(d + "/99-load.tmp")
PY
t1=$(date +%s%N)
chmod 0644 "$KEYS"
t_drift=$(date +%s%N)
if wait_count "Drift detected: admin/authorized-keys-file" 1 $((INTERVAL + 30)); then
        t_seen=$(date +%s%N)
        ms=$(((t_seen - t_drift) / 1000000))
        check_that "the real drift after $EVENTS events (burst of $(((t1 - t0) / 1000000)) ms) seen in ${ms} ms, within the ${INTERVAL} s interval" \
                test $ms -le $((INTERVAL * 1000))
else
        fail "the real drift after the burst was not logged"
fi
chmod 0600 "$KEYS"
wait_count "Drift resolved: admin/authorized-keys-file" 1 $((INTERVAL + 30)) || true
sleep 1
rss1=$(rss)
kill -TERM $WATCH_PID
rc=0
wait $WATCH_PID || rc=$?

events_seen=$(count "^Change in ")
probes=$(($(count "^Probe ") - probes0))
echo "# $EVENTS events made; the watcher took $events_seen inotify events and probed $probes times"
check_that "coalesced: $probes probes for $events_seen events" test "$probes" -ge 1 -a $((probes * 100)) -le "$events_seen"
check_that "the drift logged once ($(count "Drift detected: admin/authorized-keys-file"))" \
        test "$(count "Drift detected: admin/authorized-keys-file")" = 1
check_that "its undoing logged once ($(count "Drift resolved: admin/authorized-keys-file"))" \
        test "$(count "Drift resolved: admin/authorized-keys-file")" = 1
check_that "no false drift from the burst ($(($(count "Drift detected") - drifts0)) drift line(s) in all)" \
        test $(($(count "Drift detected") - drifts0)) = 1
# ASan's allocator keeps its own caches: a wider bound there
slack=2048
case "$(ldd "$HARDEND" 2>/dev/null)" in *libasan*) slack=8192 ;; esac # (no grep -q under pipefail: SIGPIPE)
check_that "VmRSS bounded: ${rss0} kB before, ${rss1} kB after the burst (limit +${slack} kB)" test "$rss1" -le $((rss0 + slack))
check_that "the watcher exited 0 on SIGTERM (exit $rc)" test $rc = 0
grep -q "overflow" "$LOG" && echo "# note: the inotify queue overflowed: $(grep -m1 overflow "$LOG")"
finish
