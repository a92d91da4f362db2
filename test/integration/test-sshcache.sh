#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The ssh module's cache of ssh -Q and sshd -T answers (lib/sys/sshd-cache.c), in a sandbox: one
# apply asks ssh -Q once per list; the watcher's interval probe spawns nothing while nothing
# changes on disk (3 intervals of 1 s under strace), and spawns sshd -T again when a drop-in changes.
# The firewall's own sshd -T (where sshd listens, without -C) is counted apart and cached the same way.
# The answers persist in /run/hardend/sshd-answers: a new process with nothing changed spawns nothing,
# and the firewall unit's apply learns the ssh -Q lists that the first boot's ssh probe asks.
source "$(dirname "$0")/sandbox.sh"
sandbox_enter "$@"

if [ ! -x /usr/sbin/sshd ] || [ ! -x /usr/bin/ssh ] || ! command -v strace >/dev/null; then
        echo "SKIP: openssh-server, openssh-client and strace are needed"
        exit 77
fi
sandbox_live_root
# LeakSanitizer cannot run under ptrace: an ASan build is traced with the leak check off
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

SRC=${TEST_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CONF=$SB/policy.conf
LOG=$SB/watch.log
TRACE=$SB/watch.strace
ssh-keygen -q -t ed25519 -N '' -C hardend-test -f "$SB/id_test" >/dev/null
KEY=$(cat "$SB/id_test.pub")
sed -e 's/^\( *interval = \)[0-9]*;/\11;/' -e 's/^\( *mode = \)"[a-z]*";/\1"report";/' \
    -e "s|^\( *authorized_keys = \)\[ *\];|\1[ \"$KEY\" ];|" "$SRC/conf/hardend.conf" >"$CONF"

# spawned FILE PROGRAM ARG: how many times PROGRAM was started with ARG as its first argument
spawned() { grep -c "execve(\"$2\", \[\"$2\", \"$3\"" "$1" || true; }
# ---- one apply: each ssh -Q list asked once; without a Match block one sshd -T (no -C) serves every
# user and the firewall's SSH ports alike: the live configuration once before and once after, the
# staged candidate once (it was 16, then 7) ------------------------------------------------------
strace -f -q -ttt -s 256 -e trace=execve -o "$SB/apply.strace" "$HARDENCTL" apply --config "$CONF" >"$SB/apply.out" 2>&1 || {
        cat "$SB/apply.out"
        fail "hardenctl apply failed"
}
q=$(spawned "$SB/apply.strace" /usr/bin/ssh -Q)
t=$(spawned "$SB/apply.strace" /usr/sbin/sshd -T)
check_that "apply asks ssh -Q once per list (4, got $q)" [ "$q" = 4 ]
check_that "apply runs sshd -T at most 3 times, for the ssh module and the firewall together (got $t)" \
        [ "$t" -ge 1 -a "$t" -le 3 ]
# the staged candidate is checked beside the live configuration (started before that sshd -T ends),
# and that one answer serves the preflight: no second sshd -T of a staged copy
overlap=$(python3 - "$SB/apply.strace" <<'PY'
import re, sys
start, end, cfg = {}, {}, {}
for line in open(sys.argv[1]):
    m = re.match(r'(\d+) +([\d.]+) (.*)', line)
    if not m:
        continue
    pid, t, rest = m.group(1), float(m.group(2)), m.group(3)
    e = re.match(r'execve\("/usr/sbin/sshd", \["/usr/sbin/sshd", "-T", "-f", "([^"]+)"\]', rest)
    if e:
        start[pid], cfg[pid] = t, e.group(1)
    elif '+++ exited' in rest or '+++ killed' in rest:
        end[pid] = t
live = [p for p in cfg if cfg[p] == "/etc/ssh/sshd_config"]
staged = [p for p in cfg if cfg[p] != "/etc/ssh/sshd_config"]
side = any(start[s] < end.get(l, 0) and start[l] < end.get(s, 0) for s in staged for l in live)
print(f"{len(staged)} {'yes' if side else 'no'}")
PY
)
check_that "one sshd -T of the staged candidate, side by side with the live one's (got: $overlap)" \
        [ "$overlap" = "1 yes" ]
ANSWERS=/run/hardend/sshd-answers
check_that "the answers are kept in $ANSWERS, 0600 root" [ "$(stat -c '%a %U' "$ANSWERS" 2>&1)" = "600 root" ]
rc=0; strace -f -qq -e trace=execve -o "$SB/apply2.strace" "$HARDENCTL" apply --config "$CONF" >/dev/null 2>&1 || rc=$?
check_that "the second apply exits 0 (got $rc)" [ "$rc" = 0 ]
t=$(spawned "$SB/apply2.strace" /usr/sbin/sshd -T)
q=$(spawned "$SB/apply2.strace" /usr/bin/ssh -Q)
check_that "an apply with nothing to do, in a new process, runs neither sshd -T nor ssh -Q (got $t, $q)" \
        [ "$t" = 0 -a "$q" = 0 ]

# ---- what is kept is believed only while it is ours alone and understood -------------------------
# asked: how many times sshd -T ran for one `hardenctl check`
asked() {
        strace -f -qq -e trace=execve -o "$SB/check.strace" "$HARDENCTL" check --config "$CONF" >/dev/null 2>&1
        spawned "$SB/check.strace" /usr/sbin/sshd -T
}
check_that "a check with the answers kept runs sshd -T 0 times (got $(asked))" [ "$(asked)" = 0 ]
chmod 0644 "$ANSWERS"
t=$(asked)
check_that "a kept file others may read or write is ignored: sshd -T asked again (got $t)" [ "$t" -ge 1 ]
check_that "and written anew, 0600 ($(stat -c %a "$ANSWERS"))" [ "$(stat -c %a "$ANSWERS")" = 600 ]
printf 'hardend-sshd-answers 1\nb\na /usr/sbin/sshd\nnot a line of the format\n' >"$ANSWERS"
t=$(asked)
check_that "a kept file that is not understood is ignored: sshd -T asked again (got $t)" [ "$t" -ge 1 ]
check_that "the next check runs sshd -T 0 times again (got $(asked))" [ "$(asked)" = 0 ]
echo "Port 2200" >/etc/ssh/sshd_config.d/20-port.conf
out=$("$HARDENCTL" check --only firewall --config "$CONF" 2>&1 || true)
check_that "a changed drop-in is seen at once: the firewall finds sshd on port 2200" grep -q 2200 <<<"$out"
rm -f /etc/ssh/sshd_config.d/20-port.conf

# ---- the firewall unit's apply (--only firewall) learns the ssh -Q lists for the first boot's -----
rm -f "$ANSWERS"
rc=0; strace -f -qq -e trace=execve -o "$SB/fw.strace" "$HARDEND" apply --only firewall --config "$CONF" >/dev/null 2>&1 || rc=$?
q=$(spawned "$SB/fw.strace" /usr/bin/ssh -Q)
check_that "apply --only firewall exits 0 (got $rc) and asks ssh -Q once per list for the ssh module (4, got $q)" \
        [ "$rc" = 0 -a "$q" = 4 ]
strace -f -qq -e trace=execve -o "$SB/ssh.strace" "$HARDENCTL" check --only ssh --config "$CONF" >/dev/null 2>&1 || true
q=$(spawned "$SB/ssh.strace" /usr/bin/ssh -Q)
check_that "then, in a new process, the ssh module's probe asks ssh -Q 0 times (got $q)" [ "$q" = 0 ]
# the watcher's first probe asks anew, once
rm -f "$ANSWERS"

# ---- the watcher with nothing changing: nothing spawned after the first probe ---------------------
strace -f -qq -e trace=execve -o "$TRACE" "$HARDEND" watch --config "$CONF" 2>"$LOG" >/dev/null &
STRACE_PID=$!
for _ in $(seq 100); do grep -q "^Watching " "$LOG" && break; sleep 0.1; done
check_that "the watcher started" grep -q "^Watching " "$LOG"
sleep 0.3
before=$(grep -c 'execve(' "$TRACE")
first_t=$(spawned "$TRACE" /usr/sbin/sshd -T)
sleep 3.2 # three interval probes
after=$(grep -c 'execve(' "$TRACE")
check_that "the first probe ran sshd -T (got $first_t)" [ "$first_t" -ge 1 ]
check_that "3 idle interval probes spawned nothing ($((after - before)) execve)" [ "$after" = "$before" ]

# ---- a drop-in changes: sshd -T runs again, ssh -Q does not (the binary is the same) -------------
echo "# touched by test-sshcache" >>/etc/ssh/sshd_config.d/10-test.conf
sleep 2.2
t2=$(spawned "$TRACE" /usr/sbin/sshd -T)
q2=$(spawned "$TRACE" /usr/bin/ssh -Q)
check_that "a new drop-in makes the next probe run sshd -T again ($first_t -> $t2)" [ "$t2" -gt "$first_t" ]
check_that "ssh -Q was asked once per list in the watcher's life (4, got $q2)" [ "$q2" = 4 ]
# and settles again
sleep 1.2
mid=$(grep -c 'execve(' "$TRACE")
sleep 2.2
end=$(grep -c 'execve(' "$TRACE")
check_that "after the change, idle probes spawn nothing again ($((end - mid)) execve)" [ "$end" = "$mid" ]

HPID=$(cat /proc/$STRACE_PID/task/*/children 2>/dev/null | awk '{print $1}')
[ -n "$HPID" ] && kill -TERM "$HPID" 2>/dev/null
wait "$STRACE_PID" 2>/dev/null || true
finish
