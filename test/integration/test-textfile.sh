#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Prometheus textfile in a sandbox (network and mount namespaces, a private /etc, empty /run
# /var /home /root, 1 s interval): written by apply and by the watcher only where node_exporter's
# directory exists, valid for promtool, the same text as hardenctl status --format prometheus;
# the watcher rewrites it on drift and on its interval, counts drift events across restarts and
# says watcher_up 0 on the way out; report.prometheus_textfile moves it or turns it off; --root
# puts it below the image root.
source "$(dirname "$0")/sandbox.sh"
sandbox_enter "$@"
sandbox_live_root

SRC=${TEST_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BACKEND=${HARDEND_TEST_BACKEND:-iptables}
CONF="$SB/policy.conf"
LOG="$SB/watch.log"
DIR=/var/lib/prometheus/node-exporter
PROM=$DIR/hardend.prom
PROMTOOL=/usr/bin/promtool
WATCH_PID=

ssh-keygen -q -t ed25519 -N '' -C hardend-test -f "$SB/id_test" >/dev/null
KEY=$(cat "$SB/id_test.pub")

# write_policy [TEXTFILE-LINE]: the default policy, 1 s interval, a test key
write_policy() {
        sed -e 's/^\( *interval = \)[0-9]*;/\11;/' \
            -e "s/^\( *backend = \)\"auto\";/\1\"$BACKEND\";/" \
            -e "s|^\( *authorized_keys = \)\[ *\];|\1[ \"$KEY\" ];|" \
            -e "s|^\( *prometheus_textfile = \).*|\1${1:-\"$PROM\"};|" \
            "$SRC/conf/hardend.conf" >"$CONF"
}

trap 'stop_watch; sandbox_leave' EXIT

# sample FILE NAME{LABELS}: the value of one series
sample() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }
has() { [ "$(sample "$1" "$2")" = "$3" ]; }
promtool_ok() { [ ! -x "$PROMTOOL" ] || "$PROMTOOL" check metrics <"$1" >"$SB/promtool.out" 2>&1; }

write_policy
expect_rc 0 "$HARDENCTL" validate "$CONF"

# ---- apply ------------------------------------------------------------------------------------

"$HARDENCTL" apply --config "$CONF" >"$SB/apply.out" 2>&1 || echo "    (first apply exited $?: $(tail -3 "$SB/apply.out"))"
check_that "no node_exporter directory: apply writes no textfile and creates no directory" \
        test ! -e /var/lib/prometheus
mkdir -p "$DIR"
expect_rc 0 "$HARDENCTL" apply --config "$CONF"
check_that "apply wrote $PROM (mode 0644)" test "$(stat -c %a "$PROM" 2>/dev/null)" = 644
check_that "promtool check metrics accepts it" promtool_ok "$PROM"
for m in firewall admin ssh; do
        check_that "apply's textfile: $m compliant" has "$PROM" "hardend_module_compliant{module=\"$m\"}" 1
done
# without systemd in the sandbox the unit states cannot be read: unknown is -1
svc=$("$HARDENCTL" check --config "$CONF" | awk '$1 == "services" { print $2 }')
want=$(case $svc in compliant) echo 1 ;; unknown) echo -1 ;; *) echo 0 ;; esac)
check_that "apply's textfile: services $want, as check says ($svc)" has "$PROM" 'hardend_module_compliant{module="services"}' "$want"
check_that "apply's textfile: the last apply succeeded" has "$PROM" hardend_last_apply_success 1
check_that "apply's textfile: the last apply time is the state file's" \
        test "$(sample "$PROM" hardend_last_apply_timestamp_seconds | tr -d .)" = \
        "$(sed -n 's/^LAST_APPLY_USEC=\(.*\)...$/\1/p' /var/lib/hardend/state)"
check_that "apply's textfile: the policy digest is the state file's" \
        grep -q "^hardend_policy_info{sha256=\"$(sed -n 's/^POLICY_DIGEST=sha256://p' /var/lib/hardend/state)\"} 1$" "$PROM"
check_that "apply's textfile: the firewall backend is $BACKEND" has "$PROM" "hardend_firewall_backend_info{backend=\"$BACKEND\"}" 1
check_that "apply's textfile: no watcher (no bus here)" has "$PROM" hardend_watcher_up 0
check_that "no temp file left beside it" test -z "$(find "$DIR" -name '.#hardend.*')"

expect_rc 0 "$HARDENCTL" status --format prometheus --config "$CONF"
cp "$SB/last.out" "$SB/status.prom"
check_that "status --format prometheus prints the textfile's text (but the probe time)" \
        cmp -s <(grep -v '^hardend_last_probe_timestamp_seconds ' "$PROM") \
        <(grep -v '^hardend_last_probe_timestamp_seconds ' "$SB/status.prom")
check_that "status --format prometheus: promtool accepts it" promtool_ok "$SB/status.prom"
expect_rc 2 "$HARDENCTL" check --format prometheus --config "$CONF"
expect_rc 2 "$HARDENCTL" status --format yaml --config "$CONF"

rm -f "$PROM"
expect_rc 0 "$HARDENCTL" apply --only firewall --config "$CONF"
check_that "apply --only firewall: the firewall's compliance only (the others were not probed)" \
        bash -c "[ \"\$(grep '^hardend_module_compliant{' $PROM)\" = 'hardend_module_compliant{module=\"firewall\"} 1' ]"

ssh_do() { printf 'PasswordAuthentication yes\n' >/etc/ssh/sshd_config.d/0.conf; }
ssh_undo() { rm -f /etc/ssh/sshd_config.d/0.conf; }

# apply --confirm without a confirmation: rolled back, and the textfile says so
echo 'MaxAuthTries 10' >>/etc/ssh/sshd_config.d/00-hardend.conf
expect_rc 4 "$HARDENCTL" apply --confirm 1 --config "$CONF"
check_that "a rolled-back apply: the textfile says the last apply failed" has "$PROM" hardend_last_apply_success 0
check_that "a rolled-back apply: ssh drifted again, as the rollback left it" \
        has "$PROM" 'hardend_module_compliant{module="ssh"}' 0
expect_rc 0 "$HARDENCTL" apply --config "$CONF"
check_that "the next apply: success 1 again" has "$PROM" hardend_last_apply_success 1

# ---- the watcher ------------------------------------------------------------------------------

probe_time() { sample "$PROM" hardend_last_probe_timestamp_seconds; }

rm -f "$PROM"
start_watch || { fail "the watcher did not start"; cat "$LOG"; }
check_that "the watcher writes the textfile at start, watcher_up 1" wait_for 5 has "$PROM" hardend_watcher_up 1
t0=$(probe_time)
check_that "the interval probe rewrites it (a newer probe time)" \
        wait_for 5 bash -c "[ \"\$(awk '\$1 == \"hardend_last_probe_timestamp_seconds\" { print \$2 }' $PROM)\" != '$t0' ]"
ssh_do
check_that "drift: ssh compliant 0 in the textfile" wait_for 5 has "$PROM" 'hardend_module_compliant{module="ssh"}' 0
check_that "drift: the ssh drift event is counted" has "$PROM" 'hardend_drift_events_total{module="ssh"}' 1
check_that "drift: hardend_findings counts it by severity" \
        bash -c "awk '\$1 ~ /^hardend_findings\\{module=\"ssh\"/ { n += \$2 } END { exit !(n >= 1) }' $PROM"
check_that "drift: the counter is kept in /var/lib/hardend/drift-events" grep -qx 'ssh=1' /var/lib/hardend/drift-events
check_that "drift: promtool accepts the watcher's textfile" promtool_ok "$PROM"
ssh_undo
check_that "resolved: ssh compliant 1 again" wait_for 5 has "$PROM" 'hardend_module_compliant{module="ssh"}' 1
check_that "resolved: the counter stays" has "$PROM" 'hardend_drift_events_total{module="ssh"}' 1
rc=0; stop_watch || rc=$?
check_that "the watcher exits 0 on SIGTERM (exit $rc)" test "$rc" = 0
check_that "on the way out the watcher writes watcher_up 0" has "$PROM" hardend_watcher_up 0

start_watch || { fail "the watcher did not restart"; cat "$LOG"; }
check_that "a restarted watcher keeps counting: ssh 1" wait_for 5 has "$PROM" 'hardend_drift_events_total{module="ssh"}' 1
ssh_do
check_that "a second drift after the restart: ssh 2" wait_for 5 has "$PROM" 'hardend_drift_events_total{module="ssh"}' 2
ssh_undo
wait_for 5 has "$PROM" 'hardend_module_compliant{module="ssh"}' 1 || true

# SIGHUP with the textfile turned off: no more writes
write_policy false
kill -HUP "$WATCH_PID"
wait_for 5 grep -q "Reloaded the policy" "$LOG" || fail "the watcher did not reload"
check_that "report.prometheus_textfile = false: the watcher removed its textfile" test ! -e "$PROM"
sleep 2.5
check_that "report.prometheus_textfile = false: the watcher writes no textfile" test ! -e "$PROM"

# SIGHUP with another path
write_policy "\"/srv/metrics/hardend.prom\""
mkdir -p /srv/metrics
kill -HUP "$WATCH_PID"
check_that "report.prometheus_textfile moved: the watcher writes the new path" \
        wait_for 5 test -s /srv/metrics/hardend.prom
write_policy "\"/srv/metrics/other.prom\""
kill -HUP "$WATCH_PID"
check_that "moved again: the watcher writes the newer path" wait_for 5 test -s /srv/metrics/other.prom
check_that "moved again: the previous textfile is gone" test ! -e /srv/metrics/hardend.prom
stop_watch || true
check_that "the moved textfile: promtool accepts it" promtool_ok /srv/metrics/other.prom

write_policy '""'
rm -f "$PROM"
"$HARDENCTL" apply --config "$CONF" >/dev/null 2>&1 || true
check_that "report.prometheus_textfile = \"\": apply writes no textfile" test ! -e "$PROM"

# ---- bad values: FILE:LINE, nothing written -----------------------------------------------------

write_policy '"metrics/hardend.prom"'
line=$(grep -n 'prometheus_textfile' "$CONF" | cut -d: -f1)
expect_rc 2 "$HARDENCTL" validate "$CONF"
check_that "a relative textfile path is refused with $CONF:$line" \
        grep -q "^$CONF:$line: report.prometheus_textfile: \"metrics/hardend.prom\" must be an absolute path" "$SB/last.err"
write_policy '"/srv/metrics/hardend.txt"'
expect_rc 2 "$HARDENCTL" apply --config "$CONF"
check_that "a textfile not ending in .prom is refused" grep -q 'must name a file ending in ".prom"' "$SB/last.err"

# ---- --root: below the image root -------------------------------------------------------------

IMG="$SB/img"
mkdir -p "$IMG/etc" "$IMG$DIR"
write_policy
rm -f "$PROM"
: >"$LOG"
"$HARDEND" watch --root "$IMG" --config "$CONF" 2>>"$LOG" >/dev/null &
WATCH_PID=$!
check_that "watch --root writes ROOT$PROM" wait_for 10 test -s "$IMG$PROM"
check_that "watch --root leaves the live $PROM alone" test ! -e "$PROM"
stop_watch || true
check_that "watch --root: promtool accepts it" promtool_ok "$IMG$PROM"

finish
