#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# "hardenctl apply --confirm SECONDS" and "hardenctl confirm" in a sandbox (network and mount
# namespaces, a private /etc, empty /run /var /home /root), with a firewall that already holds
# rules of its own: without a confirmation, after SIGHUP, and after SIGKILL (restored by the next
# hardenctl), every file of /etc and /home is byte for byte, mode and owner as before, and
# iptables-legacy-save/ip6tables-legacy-save (minus counters) are as before; with a confirmation
# from another login the changes stay; one from the same login ($SSH_CONNECTION) is refused;
# --root is refused; a second --confirm while one waits is refused.
#
# HARDEND_TEST_BACKEND=nftables runs it all with firewall.backend = "nftables", beside foreign
# nftables tables: "nft -s list ruleset" is then compared as well, and three more cases roll back
# a table inet hardend (and table ip hardend) that existed before, after SIGKILL too, and the
# legacy rules of an earlier apply with the iptables backend, which the nftables apply removes.
source "$(dirname "$0")/sandbox.sh"
sandbox_enter "$@"
sandbox_live_root

BACKEND=${HARDEND_TEST_BACKEND:-iptables}
case $BACKEND in
iptables | nftables) ;;
*) echo "HARDEND_TEST_BACKEND is iptables or nftables, not \"$BACKEND\"" >&2; exit 2 ;;
esac
require_programs iptables-legacy ip6tables-legacy iptables-legacy-save ip6tables-legacy-save \
        iptables-legacy-restore ip6tables-legacy-restore ssh-keygen sha256sum
if [ "$BACKEND" = nftables ]; then
        require_programs nft
        nft list tables >/dev/null 2>&1 || { echo "SKIP: no nf_tables in this kernel"; exit 77; }
fi

SRC=${TEST_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CONF=$SB/policy.conf
ssh-keygen -q -t ed25519 -N '' -C hardend-test -f "$SB/id_test" >/dev/null
KEY=$(cat "$SB/id_test.pub")
policy_for() {
        sed -e "s/^\( *backend = \)\"auto\";/\1\"$1\";/" -e "s|^\( *authorized_keys = \)\[ *\];|\1[ \"$KEY\" ];|" \
                "$SRC/conf/hardend.conf"
}
policy_for "$BACKEND" >"$CONF"
HC() { "$HARDENCTL" --config "$CONF" "$@"; }

# a firewall with rules of its own, in both families, that the rollback must bring back exactly;
# the INPUT jumps into the chains that ACCEPT are removed by apply (the chains stay)
iptables-legacy -N FOREIGN
iptables-legacy -A FOREIGN -s 198.51.100.7/32 -p tcp --dport 8080 -j ACCEPT
iptables-legacy -A INPUT -j FOREIGN
iptables-legacy -A FOREIGN -p udp --dport 53 -m comment --comment "dns" -j ACCEPT
iptables-legacy -P FORWARD DROP
ip6tables-legacy -N FOREIGN6
ip6tables-legacy -A FOREIGN6 -s 2001:db8::7/128 -j ACCEPT
ip6tables-legacy -A INPUT -j FOREIGN6
ip6tables-legacy -P OUTPUT ACCEPT
# and, for the nftables backend, tables of others beside hardend's on the input hook
if [ "$BACKEND" = nftables ]; then
        nft -f - <<'NFT'
table inet filter {
        set trusted {
                type ipv4_addr
                elements = { 198.51.100.7, 198.51.100.8 }
        }
        chain input {
                type filter hook input priority 10; policy accept;
                ip saddr @trusted tcp dport 8080 counter accept
                udp dport 53 accept comment "dns"
        }
}
table ip6 foreign6 {
        chain input {
                type filter hook input priority -5; policy accept;
                ip6 saddr 2001:db8::7 accept
        }
        chain forward {
                type filter hook forward priority 0; policy drop;
        }
}
NFT
fi

fw_state() {
        iptables-legacy-save | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]/[0:0]/'
        ip6tables-legacy-save | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]/[0:0]/'
}
# every entry of /etc and /home: type, mode, owner, link target, and every file's checksum
fs_state() {
        find /etc /home -xdev -printf '%p %y %m %U %G %l\n' | LC_ALL=C sort
        find /etc /home -xdev -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
}
# the whole nftables ruleset without counters and set elements' expiry times (nft -s): hardend's
# table as the snapshot saved it, and the foreign ones
nft_state() { [ "$BACKEND" != nftables ] || nft -s list ruleset; }
# the tables that are not hardend's
foreign_nft() {
        local t
        nft list tables | grep -v -e '^table inet hardend$' -e '^table ip hardend$' | while read -r _ t; do
                nft -s list table $t
        done
}
nft_table() { grep -qx "table $1 hardend" <(nft list tables); }
take_before() {
        fw_state >"$SB/fw.before"
        nft_state >"$SB/nft.before"
        [ "$BACKEND" != nftables ] || foreign_nft >"$SB/foreign.before"
}
take_before
fs_state >"$SB/fs.before"
cp -a /etc "$SB/etc.pristine"

same_as_before() {
        local rc=0
        fw_state >"$SB/fw.now"
        nft_state >"$SB/nft.now"
        fs_state >"$SB/fs.now"
        if ! cmp -s "$SB/fw.before" "$SB/fw.now"; then
                echo "    firewall differs:"; diff "$SB/fw.before" "$SB/fw.now" | sed 's/^/    /' | head -30; rc=1
        fi
        if ! cmp -s "$SB/nft.before" "$SB/nft.now"; then
                echo "    nftables ruleset differs:"; diff "$SB/nft.before" "$SB/nft.now" | sed 's/^/    /' | head -30; rc=1
        fi
        if ! cmp -s "$SB/fs.before" "$SB/fs.now"; then
                echo "    files differ:"; diff "$SB/fs.before" "$SB/fs.now" | sed 's/^/    /' | head -30; rc=1
        fi
        return $rc
}
# hardend's firewall in place: the chain in both legacy families, or its nftables table (one, inet,
# for both) with the input policy drop, the SSH port let in, and nothing of hardend's left in x_tables
fw_changed() {
        if [ "$BACKEND" = iptables ]; then
                iptables-legacy-save | grep -q HARDEND-INPUT && ip6tables-legacy-save | grep -q HARDEND-INPUT
        else
                local chain
                chain=$(nft list chain inet hardend input) || return 1
                grep -q 'type filter hook input priority filter; policy drop;' <<<"$chain" &&
                        grep -qx $'\t\ttcp dport 22 accept' <<<"$chain" &&
                        ! nft_table ip && ! grep -q HARDEND-INPUT <(iptables-legacy-save) <(ip6tables-legacy-save)
        fi
}
changed_now() {
        fw_changed && [ -f /home/admin/.ssh/authorized_keys ] && [ -f /etc/ssh/sshd_config.d/00-hardend.conf ] &&
                [ -f /etc/sudoers.d/hardend ] && grep -q '^admin:' /etc/passwd
}
no_snapshot() { [ ! -e /var/lib/hardend/rollback ] && [ ! -e /run/hardend/confirm.sock ]; }
state_says() { grep -qx "$1" /var/lib/hardend/state; }

# back to the state before, by other means than the code under test
reset_system() {
        umount /etc
        rm -rf "$SB/etc"
        cp -a "$SB/etc.pristine" "$SB/etc"
        mount --bind "$SB/etc" /etc
        rm -rf /home/* /var/lib/hardend /run/hardend
        grep -v '^#' "$SB/fw.before" | awk '/^\*filter/{n++} n==1' >"$SB/fw4"
        grep -v '^#' "$SB/fw.before" | awk '/^\*filter/{n++} n==2' >"$SB/fw6"
        iptables-legacy-restore <"$SB/fw4"
        ip6tables-legacy-restore <"$SB/fw6"
        if [ "$BACKEND" = nftables ]; then
                nft flush ruleset
                nft -f "$SB/nft.before"
        fi
        same_as_before >/dev/null || { echo "reset failed"; exit 1; }
}

# start_apply SECONDS [ENV...]: apply --confirm in the background, waiting until it waits
start_apply() {
        local secs=$1; shift
        : >"$SB/apply.err"
        env "$@" "$HARDENCTL" --config "$CONF" apply --confirm "$secs" >"$SB/apply.out" 2>"$SB/apply.err" &
        APPLY_PID=$!
        wait_for 60 grep -q 'hardenctl confirm' "$SB/apply.err"
}
wait_apply() { rc=0; wait "$APPLY_PID" || rc=$?; }

expect_rc 2 HC confirm
check_that "confirm without a waiting apply says so" grep -q "Nothing waits" "$SB/last.err"

# ---- 1: no confirmation within 3 s ----
t0=$(date +%s%N)
start_apply 3
check_that "1: the changes are in place while it waits" changed_now
if [ "$BACKEND" = iptables ]; then
        check_that "1: the foreign INPUT jumps are removed while it waits, their chains kept" \
                bash -c "! iptables-legacy -S INPUT | grep -q -- '-j FOREIGN' && ! ip6tables-legacy -S INPUT | grep -q -- '-j FOREIGN6' &&
                        iptables-legacy -S FOREIGN | grep -q 8080 && ip6tables-legacy -S FOREIGN6 | grep -q 2001:db8::7"
else
        # an accept in another table's base chain ends that chain only; hardend's chain still runs
        # after it, so the nftables backend leaves foreign tables (and the legacy x_tables) alone
        check_that "1: the foreign nftables tables are untouched while it waits" cmp -s "$SB/foreign.before" <(foreign_nft)
        check_that "1: the legacy x_tables are untouched while it waits" cmp -s "$SB/fw.before" <(fw_state)
        check_that "1: the snapshot records table inet hardend and table ip hardend as absent" \
                bash -c "grep -qx 'nftable 0000 0 0 0 = inet%20hardend' /var/lib/hardend/rollback/manifest &&
                        grep -qx 'nftable 0000 0 0 0 = ip%20hardend' /var/lib/hardend/rollback/manifest"
fi
check_that "1: the snapshot is on disk while it waits" test -f /var/lib/hardend/rollback/manifest
check_that "1: the socket is root's alone" test "$(stat -c %a /run/hardend)" = 700
wait_apply
elapsed=$((($(date +%s%N) - t0) / 1000000))
check_that "1: rolled back with exit 4 (got $rc)" test "$rc" = 4
check_that "1: it waited the 3 s ($elapsed ms)" test "$elapsed" -ge 3000 -a "$elapsed" -lt 20000
check_that "1: files and firewall are exactly as before" same_as_before
check_that "1: the rollback is logged" grep -q "Rolled back (no confirmation within 3 s)" "$SB/apply.err"
check_that "1: the state file records it" state_says "LAST_APPLY_RESULT=rolled-back"
check_that "1: the state file says why" state_says "ROLLBACK_REASON=no confirmation within 3 s"
check_that "1: no snapshot or socket is left" no_snapshot
check_that "1: the instructions were printed" grep -q 'run "hardenctl confirm" from a NEW ssh login within 3 s' "$SB/apply.err"
reset_system

# ---- 2: confirmed from another process after 1 s ----
start_apply 10
sleep 1
expect_rc 0 HC confirm
wait_apply
check_that "2: apply exits 0 after the confirmation (got $rc)" test "$rc" = 0
check_that "2: the changes stay" changed_now
check_that "2: no snapshot or socket is left" no_snapshot
check_that "2: the state file says applied" state_says "LAST_APPLY_RESULT=applied"
expect_rc 0 HC check
reset_system

# ---- 2b: a confirmation through the same login does not count ----
LOGIN="SSH_CONNECTION=192.0.2.10 50000 192.0.2.1 22"
start_apply 20 "$LOGIN"
expect_rc 3 env "$LOGIN" "$HARDENCTL" --config "$CONF" confirm
check_that "2b: the same login is told to use a new one" grep -q "NEW login" "$SB/last.err"
check_that "2b: still waiting after it" kill -0 "$APPLY_PID"
expect_rc 0 env "SSH_CONNECTION=192.0.2.10 50001 192.0.2.1 22" "$HARDENCTL" --config "$CONF" confirm
wait_apply
check_that "2b: a new login confirms (got $rc)" test "$rc" = 0
check_that "2b: the changes stay" changed_now
reset_system

# ---- 3: the session drops (SIGHUP) ----
t0=$(date +%s%N)
start_apply 60
check_that "3: the changes are in place while it waits" changed_now
# --confirm while another waits: refused, nothing changed
expect_rc 3 HC apply --confirm 5
check_that "3: a second --confirm names the waiting one" grep -q "is waiting for the confirmation" "$SB/last.err"
# a plain apply neither runs beside it nor waits out its window (it holds the apply lock)
expect_rc 3 HC apply
check_that "3: a plain apply is refused too, naming the waiting one" grep -q "is waiting for the confirmation" "$SB/last.err"
kill -HUP "$APPLY_PID"
wait_apply
elapsed=$((($(date +%s%N) - t0) / 1000000))
check_that "3: SIGHUP rolls back with exit 4 (got $rc)" test "$rc" = 4
check_that "3: at once, not after the 60 s ($elapsed ms)" test "$elapsed" -lt 30000
check_that "3: files and firewall are exactly as before" same_as_before
check_that "3: the rollback is logged with the reason" grep -q "Rolled back (SIGHUP" "$SB/apply.err"
check_that "3: no snapshot or socket is left" no_snapshot
reset_system

# ---- 4: SIGKILL; the next hardenctl restores the snapshot ----
start_apply 60
kill -KILL "$APPLY_PID"
wait_apply
check_that "4: after SIGKILL the changes are still there" changed_now
check_that "4: and so is the snapshot" test -f /var/lib/hardend/rollback/manifest
expect_rc 1 HC check
check_that "4: the next hardenctl says it restores" grep -q "ended without a confirmation" "$SB/last.err"
check_that "4: files and firewall are exactly as before" same_as_before
check_that "4: the state file records it" state_says "ROLLBACK_REASON=the waiting apply died"
check_that "4: no snapshot is left" no_snapshot
reset_system

# ---- 4b: SIGKILL, then "hardenctl confirm": too late, restored, exit 4 ----
start_apply 60
kill -KILL "$APPLY_PID"
wait_apply
expect_rc 4 HC confirm
check_that "4b: confirm after the apply died rolls back" same_as_before
reset_system

# ---- 5: --root is refused ----
sandbox_image_root "$SB/img"
find "$SB/img" -printf '%p %m\n' | sort >"$SB/img.before"
expect_rc 2 HC --root "$SB/img" apply --confirm 5
check_that "5: --confirm with --root says why" grep -q "image tree" "$SB/last.err"
check_that "5: the image is untouched" cmp -s "$SB/img.before" <(find "$SB/img" -printf '%p %m\n' | sort)
expect_rc 2 HC apply --confirm 0
expect_rc 2 HC check --confirm 5
check_that "5: files and firewall are untouched" same_as_before

if [ "$BACKEND" = iptables ]; then
        finish
        exit
fi

# ---- 6: nftables, a table inet hardend of an older policy and a table ip hardend were there ----
nft -f - <<'NFT'
table inet hardend {
        set ssh4 {
                type ipv4_addr
                size 1024
                flags dynamic,timeout
                timeout 2m
        }
        chain input {
                type filter hook input priority filter; policy accept;
                iifname "lo" accept
                tcp dport 2323 counter accept
                tcp dport 22 ct state new update @ssh4 { ip saddr limit rate over 5/minute burst 5 packets } drop
        }
}
table ip hardend {
        chain input {
                type filter hook input priority filter; policy drop;
                tcp dport 22 accept
        }
}
NFT
take_before
check_that "6: the old tables are there before the apply" bash -c "nft list table inet hardend | grep -q 'dport 2323' && nft list table ip hardend >/dev/null"
start_apply 2
check_that "6: the changes are in place while it waits (the old table replaced, table ip hardend gone)" changed_now
check_that "6: the old rule is gone while it waits" bash -c "! nft list table inet hardend | grep -q 'dport 2323'"
check_that "6: the foreign nftables tables are untouched while it waits" cmp -s "$SB/foreign.before" <(foreign_nft)
wait_apply
check_that "6: rolled back with exit 4 (got $rc)" test "$rc" = 4
check_that "6: nft -s list ruleset is exactly as before: the old tables back" same_as_before
check_that "6: the rollback names both tables" \
        bash -c "grep -q 'restored the nftables table inet hardend' '$SB/apply.err' && grep -q 'restored the nftables table ip hardend' '$SB/apply.err'"
reset_system

# ---- 6b: the same, SIGKILL; the next hardenctl restores them ----
start_apply 60
kill -KILL "$APPLY_PID"
wait_apply
check_that "6b: after SIGKILL the new table is still there" changed_now
expect_rc 1 HC check
check_that "6b: the next hardenctl says it restores" grep -q "ended without a confirmation" "$SB/last.err"
check_that "6b: nft -s list ruleset is exactly as before" same_as_before
check_that "6b: no snapshot is left" no_snapshot
reset_system

# ---- 7: hardend's legacy rules of an earlier apply with the iptables backend, no nftables table ----
nft delete table inet hardend
nft delete table ip hardend
policy_for iptables >"$SB/iptables.conf"
"$HARDENCTL" --config "$SB/iptables.conf" --only firewall apply >"$SB/ipt.out" 2>&1 ||
        { fail "7: the apply with the iptables backend failed"; sed 's/^/    /' "$SB/ipt.out"; }
rm -rf /var/lib/hardend
take_before
check_that "7: hardend's legacy chain is there before, and no table of hardend's in nftables" \
        bash -c "iptables-legacy-save | grep -q HARDEND-INPUT && ip6tables-legacy-save | grep -q HARDEND-INPUT &&
                ! nft list tables | grep -q ' hardend\$'"
start_apply 3
check_that "7: the nftables table is in, the legacy chain gone, while it waits" changed_now
check_that "7: the legacy INPUT policy is accept again while it waits" \
        bash -c "iptables-legacy -S INPUT | grep -qx -- '-P INPUT ACCEPT' && ip6tables-legacy -S INPUT | grep -qx -- '-P INPUT ACCEPT'"
wait_apply
check_that "7: rolled back with exit 4 (got $rc)" test "$rc" = 4
check_that "7: no table of hardend's in nftables after the rollback" bash -c "! nft list tables | grep -q ' hardend\$'"
check_that "7: the legacy rules and nft -s list ruleset are exactly as before" same_as_before

finish
