#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The resident watcher in a sandbox (network and mount namespaces, a private /etc, empty /run
# /var /home /root, 1 s interval): drift from outside is logged once per finding, its undoing
# once, nothing while it persists; repair mode restores within an interval; SIGHUP with a broken
# policy keeps the old one and logs FILE:LINE. Also hardenctl status --json against the schema,
# status exit codes, the state file and firstboot-needed.
#
# The four drift cases need their module in the built binaries; a case whose module is not
# registered prints SKIP and is not counted. There is no journal here: the watcher logs to
# stderr, which is captured (the structured fields are checked in test/unit/test-manager.c).
#
# HARDEND_TEST_BACKEND=nftables runs it with firewall.backend = "nftables": the firewall drifts are
# then a rule inserted into and one deleted from table inet hardend, its input policy set to
# accept, and the table deleted, each logged once and undone, and each repaired in repair mode.
source "$(dirname "$0")/sandbox.sh"
sandbox_enter "$@"
sandbox_live_root

BACKEND=${HARDEND_TEST_BACKEND:-iptables}
case $BACKEND in
iptables | nftables) ;;
*) echo "HARDEND_TEST_BACKEND is iptables or nftables, not \"$BACKEND\"" >&2; exit 2 ;;
esac
if [ "$BACKEND" = nftables ]; then
        require_programs nft
        nft list tables >/dev/null 2>&1 || { echo "SKIP: no nf_tables in this kernel"; exit 77; }
fi

SRC=${TEST_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SCHEMA="$SRC/test/status.schema.json"
VALIDATE="$SRC/test/validate-json.py"
CONF="$SB/policy.conf"
LOG="$SB/watch.log"
WATCH_PID=

# ---- helpers ------------------------------------------------------------------------------------

ssh-keygen -q -t ed25519 -N '' -C hardend-test -f "$SB/id_test" >/dev/null
KEY=$(cat "$SB/id_test.pub")

# write_policy MODE [EXTRA-WATCH-LINE]: the default policy with a 1 s interval and a test key
write_policy() {
        sed -e 's/^\( *interval = \)[0-9]*;/\11;/' \
            -e "s/^\( *backend = \)\"auto\";/\1\"$BACKEND\";/" \
            -e "s/^\( *mode = \)\"[a-z]*\";/\1\"$1\";/" \
            -e "s|^\( *authorized_keys = \)\[ *\];|\1[ \"$KEY\" ];|" \
            "$SRC/conf/hardend.conf" >"$CONF"
}

registered() {
        "$HARDENCTL" check --only "$1" --json --config "$CONF" 2>/dev/null |
                python3 -c 'import json,sys; sys.exit(0 if any(m["name"] == sys.argv[1] for m in json.load(sys.stdin)["modules"]) else 1)' "$1"
}

has_lines() { [ "$(count "$1")" -ge "$2" ]; }

# check_once PATTERN WHAT: at least one line, and no line logged twice (each finding once)
check_once() {
        local n dups
        n=$(count "$1")
        dups=$(grep -- "$1" "$LOG" | sort | uniq -d | wc -l)
        if [ "$n" -ge 1 ] && [ "$dups" = 0 ]; then
                pass "$2 ($n line(s), none repeated)"
        else
                fail "$2: $n line(s), $dups repeated"
                sed 's/^/    log: /' "$LOG" | tail -20
        fi
}

# drift_case MODULE DESCRIPTION DO UNDO: report mode
drift_case() {
        local mod=$1 what=$2 do=$3 undo=$4 d0 r0 d1 r1
        if ! registered "$mod"; then
                echo "SKIP: $what: module $mod is not built in"
                return 0
        fi
        d0=$(count "Drift detected: $mod/"); r0=$(count "Drift resolved: $mod/")
        $do
        if ! wait_for 5 has_lines "Drift detected: $mod/" $((d0 + 1)); then
                fail "$what: no drift logged"
                sed 's/^/    log: /' "$LOG" | tail -20
                $undo
                return 0
        fi
        sleep 3 # three intervals: a persisting drift is not logged again
        d1=$(count "Drift detected: $mod/")
        grep -- "Drift detected: $mod/" "$LOG" | tail -n +$((d0 + 1)) >"$SB/new-drift"
        if [ "$(sort "$SB/new-drift" | uniq -d | wc -l)" = 0 ]; then
                pass "$what: $((d1 - d0)) drift line(s), each once: $(head -1 "$SB/new-drift")"
        else
                fail "$what: a drift was logged twice"; sed 's/^/    /' "$SB/new-drift"
        fi
        expect_rc 1 "$HARDENCTL" status --config "$CONF"
        $undo
        if wait_for 5 has_lines "Drift resolved: $mod/" $((r0 + d1 - d0)); then
                sleep 2
                r1=$(count "Drift resolved: $mod/")
                if [ $((r1 - r0)) = $((d1 - d0)) ]; then
                        pass "$what undone: $((r1 - r0)) resolved line(s), one per drift"
                else
                        fail "$what undone: $((r1 - r0)) resolved lines for $((d1 - d0)) drifts"
                fi
        else
                fail "$what undone: not resolved"
                sed 's/^/    log: /' "$LOG" | tail -20
        fi
}

# repair_case MODULE DESCRIPTION DO: repair mode restores within one interval (+ slack)
repair_case() {
        local mod=$1 what=$2 do=$3 n0
        registered "$mod" || { echo "SKIP: repair of $what: module $mod is not built in"; return 0; }
        n0=$(count "Repaired $mod:")
        $do
        if wait_for 3 has_lines "Repaired $mod:" $((n0 + 1)) &&
           wait_for 2 "$HARDENCTL" check --only "$mod" --config "$CONF" >/dev/null 2>&1; then
                pass "repair of $what: $(grep "Repaired $mod:" "$LOG" | tail -1)"
        else
                fail "repair of $what: not restored within the interval"
                sed 's/^/    log: /' "$LOG" | tail -20
                # diagnostics of a failure already recorded: the check's exit code does not matter here
                "$HARDENCTL" check --only "$mod" --config "$CONF" 2>&1 | sed 's/^/    check: /' || true
        fi
}

# ---- the drifts ---------------------------------------------------------------------------------

# hardend drives the legacy x_tables through libiptc; Debian's default iptables is the nft variant
IPT=$(command -v iptables-legacy || command -v iptables)
FW_RULE=(-p tcp --dport 2323 -j ACCEPT)
fw_chain() { "$IPT" -n -L HARDEND-INPUT >/dev/null 2>&1 && echo HARDEND-INPUT || echo INPUT; }
fw_do() { "$IPT" -I "$(fw_chain)" 1 "${FW_RULE[@]}"; }
fw_undo() { "$IPT" -D "$(fw_chain)" "${FW_RULE[@]}" 2>/dev/null || true; }
# someone else's ACCEPT in INPUT itself, behind our jump: reported always, removed only in repair mode
fw_foreign_do() { "$IPT" -I INPUT 2 -p tcp --dport 3306 -j ACCEPT; ip6tables-legacy -I INPUT 2 -p tcp --dport 3306 -j ACCEPT; }

# the nftables backend: hardend's table as its apply left it, saved to put it back by other means
NFT_RULE='tcp dport 2323 accept'
nft_save() { nft -s list table inet hardend >"$SB/hardend.nft"; }
nft_handle() { nft -a list chain inet hardend input | sed -n "s/^\t\t$1 # handle \([0-9]*\)\$/\1/p"; }
nft_do() { nft insert rule inet hardend input $NFT_RULE; }
nft_undo() { nft delete rule inet hardend input handle "$(nft_handle "$NFT_RULE")"; }
# the last rule of the input chain: deleted, then appended again where it was
nft_del_do() { nft delete rule inet hardend input handle "$(nft_handle 'tcp dport 443 accept')"; }
nft_del_undo() { nft add rule inet hardend input tcp dport 443 accept; }
nft_policy_do() { nft chain inet hardend input '{ policy accept; }'; }
nft_policy_undo() { nft chain inet hardend input '{ policy drop; }'; }
nft_table_do() { nft delete table inet hardend; }
nft_table_undo() { nft -f "$SB/hardend.nft"; }
nft_same() { nft -s list table inet hardend | cmp -s "$SB/hardend.nft" -; }
# the counterpart of fw_foreign_do: someone else's table (inet: both families) accepting on the
# input hook. An accept ends its own base chain only and hardend's input chain still drops after
# it, so it is reported, and repair mode leaves it alone where it removes the x_tables ACCEPT
nft_foreign_do() {
        nft -f - <<'NFT'
table inet foreign {
        chain input {
                type filter hook input priority filter; policy accept;
                tcp dport 3306 accept
        }
}
NFT
}

ssh_do() { printf 'PasswordAuthentication yes\nPermitRootLogin yes\n' >/etc/ssh/sshd_config.d/0.conf; }
ssh_undo() { rm -f /etc/ssh/sshd_config.d/0.conf; }
# for repair: a foreign drop-in is reported, not removed; hardend's own drop-in edited is repaired
ssh_own_dropin() { echo /etc/ssh/sshd_config.d/00-hardend.conf; }
ssh_tamper() { echo 'MaxAuthTries 10' >>"$(ssh_own_dropin)"; }

admin_keys() { echo "$(getent passwd admin | cut -d: -f6)/.ssh/authorized_keys"; }
admin_do() { chmod 0644 "$(admin_keys)"; }
admin_undo() { chmod 0600 "$(admin_keys)"; }

# the sudoers file hardend wrote for the admin group, else the main one
sudo_file() { grep -l '^%wheel' /etc/sudoers.d/* 2>/dev/null | head -1 || true; }
sudo_do() {
        SUDO_FILE=$(sudo_file); SUDO_FILE=${SUDO_FILE:-/etc/sudoers}
        cp -p "$SUDO_FILE" "$SB/sudoers.orig"
        echo 'nobody ALL=(ALL:ALL) NOPASSWD: ALL' >>"$SUDO_FILE"
}
sudo_undo() { cat "$SB/sudoers.orig" >"$SUDO_FILE"; }

# ---- state, firstboot, status before the watcher ------------------------------------------------

write_policy report
expect_rc 0 "$HARDENCTL" validate "$CONF"
expect_rc 0 "$HARDEND" firstboot-needed
"$HARDENCTL" apply --config "$CONF" >"$SB/apply.out" 2>&1 || echo "    (first apply exited $?: $(tail -3 "$SB/apply.out"))"
[ "$BACKEND" = iptables ] || nft_save
check_that "the apply is recorded in /var/lib/hardend/state" grep -q '^LAST_APPLY_RESULT=[a-z]' /var/lib/hardend/state
check_that "the state records the policy digest" grep -Eq '^POLICY_DIGEST=sha256:[0-9a-f]{64}$' /var/lib/hardend/state
check_that "the state records the instance (machine id)" grep -qx "INSTANCE_ID=$(cat /etc/machine-id)" /var/lib/hardend/state
if grep -q '^LAST_APPLY_RESULT=\(applied\|compliant\)' /var/lib/hardend/state; then
        expect_rc 1 "$HARDEND" firstboot-needed
        # hardend firstboot (the first-boot unit): this instance is hardened, so a drift meanwhile
        # is left alone (the watcher's); for a new instance id it applies
        dropin=$(ssh_own_dropin)
        cp -p "$dropin" "$SB/dropin.keep"
        rm -f "$dropin"
        expect_rc 0 "$HARDEND" firstboot --config "$CONF"
        check_that "firstboot on a hardened instance: says so" grep -q 'was hardened already; nothing to do' "$SB/last.out" "$SB/last.err"
        check_that "firstboot on a hardened instance: changes nothing (the removed drop-in stays removed)" test ! -e "$dropin"
        mkdir -p /var/lib/cloud/data && echo i-0123456789 >/var/lib/cloud/data/instance-id
        expect_rc 0 "$HARDEND" firstboot-needed
        expect_rc 0 "$HARDEND" firstboot --config "$CONF"
        check_that "firstboot for a new instance id: applies (the drop-in is back)" cmp -s "$dropin" "$SB/dropin.keep"
        check_that "firstboot for a new instance id: records it" grep -qx 'INSTANCE_ID=i-0123456789' /var/lib/hardend/state
        rm -rf /var/lib/cloud
        "$HARDENCTL" apply --config "$CONF" >/dev/null 2>&1 || true
else
        echo "SKIP: firstboot record: the first apply did not succeed here"
fi

rc=0; "$HARDENCTL" status --json --config "$CONF" >"$SB/status.json" 2>"$SB/status.err" || rc=$?
if python3 "$VALIDATE" "$SCHEMA" "$SB/status.json" 2>"$SB/validate.err"; then
        pass "status --json matches test/status.schema.json ($(tail -1 "$SB/validate.err"))"
else
        fail "status --json does not match the schema"; sed 's/^/    /' "$SB/validate.err"
fi
compliant=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["compliant"])' "$SB/status.json")
check_that "status exit code ($rc) agrees with compliant ($compliant)" \
        test "$rc" = "$([ "$compliant" = True ] && echo 0 || echo 1)"
check_that "status --json: the watcher is unknown without a bus" \
        python3 -c 'import json,sys; w=json.load(open(sys.argv[1]))["watcher"]; sys.exit(0 if not w["known"] and "no system bus" in w["reason"] else 1)' "$SB/status.json"
check_that "status --json: no journal here, and it says so" \
        python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["events"]; sys.exit(0 if not e["available"] and e["reason"] else 1)' "$SB/status.json"
check_that "status --json: the last apply is shown" \
        python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["last_apply"]; sys.exit(0 if a and a["modules"] == "all" else 1)' "$SB/status.json"
rc_text=0; "$HARDENCTL" status --config "$CONF" >"$SB/status.txt" 2>&1 || rc_text=$?
check_that "status text exits as status --json does ($rc_text, $rc)" [ "$rc_text" = "$rc" ]
check_that "status text names the watcher and the journal" \
        grep -q "^Watcher: *unknown (no system bus" "$SB/status.txt"
expect_rc 2 "$HARDENCTL" status --config "$SB/missing.conf"

# ---- report mode --------------------------------------------------------------------------------

start_watch || { fail "the watcher did not start"; cat "$LOG"; finish; exit 1; }
pass "the watcher started: $(grep '^Watching ' "$LOG")"
check_that "it says once that there is no system bus" test "$(count 'No system bus')" = 1

if [ "$BACKEND" = iptables ]; then
        drift_case firewall "an iptables rule inserted" fw_do fw_undo
else
        drift_case firewall "a rule inserted into table inet hardend" nft_do nft_undo
        check_that "the inserted rule undone: the table is as hardend left it" nft_same
        drift_case firewall "a rule deleted from table inet hardend" nft_del_do nft_del_undo
        check_that "the deleted rule put back: the table is as hardend left it" nft_same
        drift_case firewall "the input chain's policy set to accept" nft_policy_do nft_policy_undo
        drift_case firewall "table inet hardend deleted" nft_table_do nft_table_undo
        check_that "the table put back: as hardend left it" nft_same
fi
drift_case ssh "a new sshd drop-in" ssh_do ssh_undo
drift_case admin "chmod 0644 authorized_keys" admin_do admin_undo
drift_case admin "a sudoers line appended" sudo_do sudo_undo

# An apply in progress (its lock held, as the first boot's holds it while it masks the strays after
# sshd started): the watcher probes nothing until it is done; another apply waits for it
d0=$(count "Drift detected: ssh/")
flock -x /run/hardend/apply.lock sleep 6 &
LOCK_PID=$!
sleep 0.5
ssh_do
sleep 2.5
check_that "while an apply holds the lock, a new drift is not judged" test "$(count "Drift detected: ssh/")" = "$d0"
rc_wait=0; out=$(timeout 1 "$HARDENCTL" apply --config "$CONF" 2>&1) || rc_wait=$?
check_that "hardenctl apply waits for the lock ($rc_wait: $(head -c 80 <<<"$out"))" \
        eval '[ "$rc_wait" = 124 ] && grep -q "Another apply is running" <<<"$out"'
wait "$LOCK_PID"
check_that "once the apply is done, the drift is logged" wait_for 5 has_lines "Drift detected: ssh/" $((d0 + 1))
r0=$(count "Drift resolved: ssh/")
ssh_undo
check_that "and resolved when undone" wait_for 5 has_lines "Drift resolved: ssh/" $((r0 + 1))

# SIGHUP with a broken policy: logged with FILE:LINE, the old policy stays, the watcher lives on
cp "$CONF" "$SB/good.conf"
printf 'version = 1;\nwatch = {\n  interval = 1;\n  mode = "fix";\n};\n' >"$CONF"
kill -HUP "$WATCH_PID"
if wait_for 5 grep -q "^$CONF:4: .*keeping the previous policy" "$LOG"; then
        pass "a broken policy on SIGHUP is logged with FILE:LINE: $(grep "^$CONF:4:" "$LOG" | tail -1)"
else
        fail "no FILE:LINE error after SIGHUP"; sed 's/^/    log: /' "$LOG" | tail -5
fi
check_that "the watcher still runs after the broken reload" kill -0 "$WATCH_PID"
cp "$SB/good.conf" "$CONF"
kill -HUP "$WATCH_PID"
check_that "a good policy is reloaded" wait_for 5 grep -q "^Reloaded the policy from $CONF" "$LOG"
if stop_watch; then pass "SIGTERM: the watcher exits 0"; else fail "SIGTERM: the watcher exited non-zero"; fi

# ---- repair mode --------------------------------------------------------------------------------

write_policy repair
start_watch || { fail "the watcher did not start in repair mode"; cat "$LOG"; }
if [ "$BACKEND" = iptables ]; then
        repair_case firewall "an iptables rule inserted" fw_do
        repair_case firewall "a foreign ACCEPT in INPUT (IPv4 and IPv6)" fw_foreign_do
        check_that "repair mode removed the foreign ACCEPT from INPUT on both families" \
                bash -c "! $IPT -S INPUT | grep -q 'dport 3306' && ! ip6tables-legacy -S INPUT | grep -q 'dport 3306'"
        fw_undo
else
        repair_case firewall "a rule inserted into table inet hardend" nft_do
        check_that "repaired: table inet hardend is as hardend's apply left it" nft_same
        repair_case firewall "a rule deleted from table inet hardend" nft_del_do
        check_that "repaired: table inet hardend is as hardend's apply left it" nft_same
        repair_case firewall "the input chain's policy set to accept" nft_policy_do
        check_that "repaired: table inet hardend is as hardend's apply left it" nft_same
        repair_case firewall "table inet hardend deleted" nft_table_do
        check_that "repaired: table inet hardend is as hardend's apply left it" nft_same
        n0=$(count "Repaired firewall:")
        nft_foreign_do
        nft -s list table inet foreign >"$SB/foreign.nft"
        sleep 3
        check_that "a foreign accepting table: repair mode leaves it as it is" \
                bash -c "nft -s list table inet foreign | cmp -s '$SB/foreign.nft' -"
        check_that "a foreign accepting table: nothing to repair, nothing logged as repaired" \
                test "$(count "Repaired firewall:")" = "$n0"
        check_that "a foreign accepting table: table inet hardend is untouched" nft_same
        expect_rc 0 "$HARDENCTL" check --only firewall --config "$CONF"
        check_that "a foreign accepting table: check names it" grep -q 'nftables inet foreign input: tcp dport 3306 accept' "$SB/last.out"
        nft delete table inet foreign
fi
repair_case ssh "hardend's sshd drop-in edited" ssh_tamper
repair_case ssh "a foreign drop-in read before hardend's" ssh_do
check_that "repair mode moved the foreign drop-in aside, content kept" \
        grep -q '^PasswordAuthentication yes' /etc/ssh/sshd_config.d/0.conf.disabled-by-hardend
check_that "the moved drop-in is no longer read by sshd" test ! -e /etc/ssh/sshd_config.d/0.conf
repair_case admin "chmod 0644 authorized_keys" admin_do
repair_case admin "a sudoers line appended" sudo_do
stop_watch || true

finish
