#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Journal forwarding without a booted system: in a sandbox, a systemd-journald of its own (in a
# UTS namespace named journal-guest) takes hardend watch's entries through its stdout stream, a
# drift is made, and systemd-journal-upload sends the journal to a systemd-journal-remote in
# another network namespace (198.51.100.2), through test/e2e/journal-upload.sh, the functions the
# booted-system test uses. The central journal holds the drift and resolution events with every
# HARDEND_* field and the guest's hostname, and journalctl --merge MESSAGE_ID=... there lists them.
# Prints the journal's cost of one drift event (export format, and the fields hardend sends).
source "$(dirname "$0")/sandbox.sh"
sandbox_enter "$@"
sandbox_live_root

SRC=${TEST_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
source "$SRC/test/e2e/journal-upload.sh"
JOURNALD=/lib/systemd/systemd-journald
require_programs "$JOURNALD" "$JR_REMOTE_BIN" "$JR_UPLOAD_BIN" journalctl systemd-cat iptables-legacy python3
MSG_DRIFT=e7b7e0fb1f284b90976364b9fad7a806
MSG_RESOLVED=06e8d416d30d47c0bc144439a4e408d5
GUEST=journal-guest
CONF=$SB/policy.conf
CENTRAL=$SB/central
JD_PID="" WATCH_PID="" rc=0

cleanup() {
        journal_upload_stop "" "$CENTRAL"
        [ -z "$WATCH_PID" ] || kill "$WATCH_PID" 2>/dev/null || true
        [ -z "$JD_PID" ] || kill "$JD_PID" 2>/dev/null || true
        wait 2>/dev/null || true
}
trap 'rc=$?; cleanup; (exit $rc); sandbox_leave' EXIT

ssh-keygen -q -t ed25519 -N '' -C hardend-test -f "$SB/id_test" >/dev/null
sed -e 's/^\( *interval = \)[0-9]*;/\11;/' -e 's/^\( *backend = \)"auto";/\1"iptables";/' \
    -e "s|^\( *authorized_keys = \)\[ *\];|\1[ \"$(cat "$SB/id_test.pub")\" ];|" \
    "$SRC/conf/hardend.conf" >"$CONF"
expect_rc 0 "$HARDENCTL" validate "$CONF"
expect_rc 0 "$HARDENCTL" apply --config "$CONF"

mkdir -p /run/systemd/journal /var/log/journal
unshare --uts -- sh -c "hostname $GUEST; exec $JOURNALD" >"$SB/journald.log" 2>&1 &
JD_PID=$!
check_that "journald listens" wait_for 10 test -S /run/systemd/journal/stdout
systemd-cat -t hardend bash -c 'export JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2); exec "$0" watch --config "$1"' \
        "$HARDEND" "$CONF" &
WATCH_PID=$!
check_that "the watcher logs to the journal" \
        wait_for 10 bash -c "journalctl -q -t hardend -o cat | grep -q '^Watching '"

iptables-legacy -I HARDEND-INPUT 1 -p tcp --dport 2323 -j ACCEPT
check_that "the drift is in the local journal" \
        wait_for 10 bash -c "[ -n \"\$(journalctl -q -o cat MESSAGE_ID=$MSG_DRIFT)\" ]"
iptables-legacy -D HARDEND-INPUT -p tcp --dport 2323 -j ACCEPT
check_that "its resolution too" \
        wait_for 10 bash -c "[ -n \"\$(journalctl -q -o cat MESSAGE_ID=$MSG_RESOLVED)\" ]"

# the cost of one drift event: the whole entry in export format, and what hardend sends
n=$(journalctl -q -o export MESSAGE_ID=$MSG_DRIFT | grep -c '^__CURSOR=')
bytes=$(journalctl -q -o export MESSAGE_ID=$MSG_DRIFT | wc -c)
sent=$(journalctl -q -o json MESSAGE_ID=$MSG_DRIFT | python3 -c 'import json, sys
for l in sys.stdin:
    e = json.loads(l)
    print(sum(len(k) + 1 + len(str(v)) + 1 for k, v in e.items()
              if k.startswith("HARDEND_") or k in ("MESSAGE", "MESSAGE_ID", "PRIORITY")))' | head -1)
echo "# journal per drift event: $((bytes / n)) bytes in export format ($n entries, $bytes bytes), of them $sent bytes of fields hardend sends"
journalctl -q -o export MESSAGE_ID=$MSG_DRIFT | sed -n '1,/^$/p' | grep -v '^__\|^$' | sed 's/^/#   /'

# ---- upload to a central journal in another network namespace ----

ip netns add central
ip link add up0 type veth peer name eth0 netns central
ip addr add 198.51.100.1/24 dev up0
ip link set up0 up
ip -n central addr add 198.51.100.2/24 dev eth0
ip -n central link set eth0 up
ip -n central link set lo up
check_that "systemd-journal-remote listens in the central namespace" journal_remote_start central 198.51.100.2 "$CENTRAL"
check_that "systemd-journal-upload runs" journal_upload_start "" "http://198.51.100.2:$JR_PORT"
check_that "the central journal has the drift from $GUEST" journal_remote_wait "$CENTRAL" $MSG_DRIFT $GUEST 20
check_that "the central journal has its resolution from $GUEST" journal_remote_wait "$CENTRAL" $MSG_RESOLVED $GUEST 20
check_that "the drift events there carry every HARDEND_* field and the hostname" \
        journal_remote_has_fields "" "$CENTRAL" $MSG_DRIFT $GUEST
check_that "the resolution events too" journal_remote_has_fields "" "$CENTRAL" $MSG_RESOLVED $GUEST
check_that "journalctl --merge MESSAGE_ID=... lists the drift there" \
        bash -c "journalctl -D '$CENTRAL' --merge -q -o cat MESSAGE_ID=$MSG_DRIFT | grep -q '^Drift detected: firewall/'"
ls "$CENTRAL" | sed 's/^/# central: /'
finish
