#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Memory of the watcher across drift cycles, in a sandbox: "hardend watch" (report mode) sees
# authorized_keys go 0644 and back MEMORY_CYCLES times (default 100) through inotify; every cycle
# logs one "Drift detected" and one "Drift resolved", and VmRSS, sampled every tenth of the run, does
# not grow after the warm-up (the first tenth).
#
# With MEMORY_VALGRIND=1 (tools/valgrind: 1000 cycles) "hardenctl apply" and the watcher run under
# valgrind --leak-check=full --error-exitcode=99, which must report no error and no leak; the RSS
# check is then left out (valgrind's own memory is in it).
source "$(dirname "$0")/sandbox.sh"
sandbox_enter "$@"
sandbox_live_root

SRC=${TEST_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CYCLES=${MEMORY_CYCLES:-100}
VALGRIND=${MEMORY_VALGRIND:-0}
CONF="$SB/policy.conf"
LOG="$SB/watch.log"
# ASan keeps freed memory in quarantine, which would look like growth
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
VG=()
if [ "$VALGRIND" = 1 ]; then
        VG=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite,possible --error-exitcode=99
                --log-file="$SB/valgrind.%p.log")
fi

ssh-keygen -q -t ed25519 -N '' -C hardend-memory -f "$SB/id_test" >/dev/null
KEY=$(cat "$SB/id_test.pub")
sed -e 's/^\( *interval = \)[0-9]*;/\13600;/' -e 's/^\( *mode = \)"[a-z]*";/\1"report";/' \
        -e "s|^\( *authorized_keys = \)\[ *\];|\1[ \"$KEY\" ];|" "$SRC/conf/hardend.conf" >"$CONF"

valgrind_report() {
        local what=$1
        if [ "$VALGRIND" = 1 ]; then
                # "==PID==" lines are valgrind's errors and leaks; "--PID--" lines are its own notes
                # (an unhandled syscall such as pidfd_open, which then fails with ENOSYS)
                if grep -qh '^==' "$SB"/valgrind.*.log 2>/dev/null; then
                        fail "$what: valgrind reports:"; grep -h '^==' "$SB"/valgrind.*.log | head -60
                else
                        pass "$what: valgrind: no errors, no leaks"
                fi
                rm -f "$SB"/valgrind.*.log
        fi
}

expect_rc 0 "${VG[@]}" "$HARDENCTL" apply --config "$CONF"
valgrind_report "hardenctl apply"

KEYS=$(getent passwd admin | cut -d: -f6)/.ssh/authorized_keys

"${VG[@]}" "$HARDEND" watch --config "$CONF" 2>"$LOG" >/dev/null &
WATCH_PID=$!
wait_count "^Watching " 1 120 || { fail "the watcher did not start"; cat "$LOG"; finish; }
step=$((CYCLES / 10)); [ $step -ge 1 ] || step=1
samples=() lost=0
t0=$(date +%s)
for ((i = 1; i <= CYCLES; i++)); do
        chmod 0644 "$KEYS"
        wait_count "Drift detected" $i 60 || { lost=$((lost + 1)); break; }
        chmod 0600 "$KEYS"
        wait_count "Drift resolved" $i 60 || { lost=$((lost + 1)); break; }
        if [ $((i % step)) = 0 ]; then
                samples+=("$(rss)")
                echo "# cycle $i: VmRSS $(rss) kB"
        fi
done
t1=$(date +%s)
kill -TERM $WATCH_PID
rc=0
wait $WATCH_PID || rc=$?
check_that "$CYCLES drift cycles in $((t1 - t0)) s, none lost" test $lost = 0
check_that "each drift logged once: $(count "Drift detected") detected, $(count "Drift resolved") resolved" \
        test "$(count "Drift detected")" = "$CYCLES" -a "$(count "Drift resolved")" = "$CYCLES"
check_that "the watcher exited 0 on SIGTERM (exit $rc)" test $rc = 0
valgrind_report "hardend watch, $CYCLES drift cycles"
if [ "$VALGRIND" != 1 ] && [ ${#samples[@]} -ge 3 ]; then
        first=${samples[0]} last=${samples[-1]} max=${samples[0]}
        for s in "${samples[@]}"; do [ "$s" -gt "$max" ] && max=$s; done
        # after the warm-up, allow a few pages of allocator noise, never per-cycle growth
        slack=512
        case "$(ldd "$HARDEND" 2>/dev/null)" in *libasan*) slack=4096 ;; esac # ASan's allocator caches
        limit=$((first + slack))
        check_that "VmRSS bounded: ${samples[*]} kB (after warm-up ${first} kB, max ${max} kB, limit ${limit} kB)" \
                test "$max" -le "$limit"
fi
finish
