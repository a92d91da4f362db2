#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Crash safety of apply (DESIGN rules 3 and 4): in a sandbox (private /etc, own netfilter tables),
# "hardenctl apply" of every module is killed with SIGKILL (its whole process group, as a power cut
# would: useradd, visudo and sshd -t die with it) at CRASH_RUNS (default 200) instants spread over
# the measured length of an uninterrupted apply. After each kill:
#   - every file hardend writes itself (sshd drop-in, sshd_config, sudoers drop-in, sudoers,
#     authorized_keys) is byte for byte the old or the new version;
#   - passwd, group, shadow, gshadow (rewritten by shadow-utils in several steps: groupadd, useradd,
#     usermod) are complete files whose every entry is its old or its new line;
#   - the IPv4 and IPv6 filter tables are each the old or the new set (one commit per table);
#   - with HARDEND_TEST_BACKEND=nftables (firewall.backend = "nftables"), the whole nftables
#     ruleset ("nft -s list ruleset": table inet hardend absent or the new table, nothing partial)
#     too, and the legacy tables stay as they were;
# then a following apply exits 0 and leaves a compliant system ("check" exits 0), the files equal
# the new versions, and no ".#hardend.*" temp file is left anywhere under /etc, /home or /var.
# Between runs /etc is restored from a pristine copy and the tables are flushed. With nftables, a
# second series (CRASH_FW_RUNS, default 100) kills "apply --only firewall" while it replaces a table
# inet hardend of another policy: the kernel must then hold the old table or the new one.
source "$(dirname "$0")/sandbox.sh"
sandbox_enter "$@"
sandbox_live_root

SRC=${TEST_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
RUNS=${CRASH_RUNS:-200}
FW_RUNS=${CRASH_FW_RUNS:-100}
BACKEND=${HARDEND_TEST_BACKEND:-iptables}
TABLES="ipv4 ipv6"
if [ "$BACKEND" = nftables ]; then
        require_programs nft
        nft list tables >/dev/null 2>&1 || { echo "SKIP: no nf_tables in this kernel"; exit 77; }
        TABLES="ipv4 ipv6 nftables"
fi
CONF="$SB/policy.conf"
P="$SB/pristine"
OLD="$SB/old"
NEW="$SB/new"

ssh-keygen -q -t ed25519 -N '' -C hardend-crash -f "$SB/id_test" >/dev/null
KEY=$(cat "$SB/id_test.pub")
sed -e "s/^\( *backend = \)\"auto\";/\1\"$BACKEND\";/" -e "s|^\( *authorized_keys = \)\[ *\];|\1[ \"$KEY\" ];|" "$SRC/conf/hardend.conf" >"$CONF"

OWN_FILES="/etc/ssh/sshd_config.d/00-hardend.conf /etc/ssh/sshd_config /etc/sudoers.d/hardend /etc/sudoers
        /home/admin/.ssh/authorized_keys"
ACCT_FILES="/etc/passwd /etc/group /etc/shadow /etc/gshadow"

cp -a /etc "$P"
iptables-legacy -F; iptables-legacy -X; ip6tables-legacy -F; ip6tables-legacy -X

reset_state() {
        rm -rf /etc/ssh /etc/sudoers.d
        cp -a "$P/ssh" "$P/sudoers.d" /etc/
        local f
        for f in passwd group shadow gshadow subuid subgid sudoers; do
                for g in "$f" "$f-" "$f+" "$f.lock"; do
                        if [ -e "$P/$g" ]; then cp -a "$P/$g" "/etc/$g"; else rm -f "/etc/$g"; fi
                done
        done
        rm -f /etc/.pwd.lock /etc/*.lock
        find /etc -maxdepth 1 -name '.#hardend.*' -delete
        rm -rf /home/admin /var/lib/hardend /var/mail/admin /run/hardend-sshd.*
        local t
        for t in iptables-legacy ip6tables-legacy; do
                $t -P INPUT ACCEPT; $t -P FORWARD ACCEPT; $t -F; $t -X
        done
        [ "$BACKEND" != nftables ] || nft flush ruleset
}

# snapshot DIR: the managed files (absent: no copy), both legacy tables and, with nftables, the
# ruleset without counters
snapshot() {
        local d=$1 f
        rm -rf "$d"; mkdir -p "$d"
        for f in $OWN_FILES $ACCT_FILES; do
                [ -e "$f" ] && cp "$f" "$d/$(echo "$f" | tr / _)"
        done
        filter_table 4 >"$d/ipv4"
        filter_table 6 >"$d/ipv6"
        [ "$BACKEND" != nftables ] || nft -s list ruleset >"$d/nftables"
}


# the states before and after an uninterrupted apply, and how long one takes
reset_state
snapshot "$OLD"
expect_rc 0 "$HARDENCTL" apply --config "$CONF"
snapshot "$NEW"
if [ "$BACKEND" = nftables ]; then
        check_that "nftables: the policy names the backend" grep -q '^ *backend = "nftables";' "$CONF"
        check_that "nftables: apply made table inet hardend" grep -q '^table inet hardend {' "$NEW/nftables"
        check_that "nftables: apply left the legacy tables alone" \
                eval 'cmp -s "$OLD/ipv4" "$NEW/ipv4" && cmp -s "$OLD/ipv6" "$NEW/ipv6"'
fi
times=""
for i in 1 2 3; do
        reset_state
        t0=$(date +%s%N)
        rc=0; "$HARDENCTL" apply --config "$CONF" >/dev/null 2>&1 || rc=$?
        t1=$(date +%s%N)
        [ "$rc" = 0 ] || fail "timed apply $i exited $rc, not 0"
        times="$times $(((t1 - t0) / 1000))"
done
APPLY_US=$(echo $times | tr ' ' '\n' | sort -n | sed -n 2p) # the median of three
echo "# an uninterrupted apply takes ${APPLY_US} us; killing at $RUNS instants in [0, $((APPLY_US * 11 / 10))] us"
for f in $OWN_FILES $ACCT_FILES $TABLES; do
        n=$(echo "$f" | tr / _)
        if cmp -s "$OLD/$n" "$NEW/$n" 2>/dev/null; then s=unchanged; else s=changed; fi
        echo "#   $f: $s by apply"
done

# verdict.py OLD NEW NOW: per file old|new|intermediate|BAD, as "name verdict" lines
cat >"$SB/verdict.py" <<'PY'
import os, sys
old, new, now = sys.argv[1:4]
acct = {"_etc_passwd": 7, "_etc_group": 4, "_etc_shadow": 9, "_etc_gshadow": 4}
def read(d, n):
    try:
        return open(os.path.join(d, n), "rb").read()
    except FileNotFoundError:
        return None
names = sorted(set(os.listdir(old)) | set(os.listdir(new)) | set(os.listdir(now)))
for n in names:
    o, w, c = read(old, n), read(new, n), read(now, n)
    if c == o:
        v = "old"
    elif c == w:
        v = "new"
    elif n in acct and c is not None and c.endswith(b"\n"):
        # a complete file whose every entry is its old or its new line (shadow-utils steps)
        def entries(b):
            return {l.split(b":")[0]: l for l in b.splitlines()} if b is not None else {}
        eo, ew = entries(o), entries(w)
        ok = True
        for line in c.splitlines():
            k = line.split(b":")[0]
            if line.count(b":") != acct[n] - 1:
                ok = False
            elif line in (eo.get(k), ew.get(k)):
                pass
            elif n in ("_etc_group", "_etc_gshadow") and ew.get(k) is not None:
                # a group made by groupadd before useradd/usermod added its members: the new
                # entry with a subset of the new members
                f, nf = line.split(b":"), ew[k].split(b":")
                members = set(filter(None, f[-1].split(b",")))
                if f[:-1] != nf[:-1] or not members <= set(filter(None, nf[-1].split(b","))):
                    ok = False
            else:
                ok = False
        v = "intermediate" if ok else "BAD"
    else:
        v = "BAD"
    print(n, v)
PY

# kill_apply_after US ARGS...: hardenctl apply ARGS, its whole process group killed (SIGKILL) after
# US microseconds; returns once nothing of the group is left
kill_apply_after() {
        local us=$1 pid; shift
        setsid "$HARDENCTL" apply "$@" >/dev/null 2>&1 &
        pid=$!
        sleep "$(printf "%d.%06d" $((us / 1000000)) $((us % 1000000)))"
        kill -KILL -- "-$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        while pgrep -g "$pid" >/dev/null 2>&1; do sleep 0.01; done
}

declare -A SEEN
bad_runs=0 converge_fail=0 temp_left=0 temp_after_crash=0 stage_left=0
max_us=$((APPLY_US * 11 / 10))
for ((i = 0; i < RUNS; i++)); do
        reset_state
        # spread evenly over the apply, with a random offset inside each slot
        delay_us=$(((i * max_us + RANDOM % (max_us / RUNS + 1) * RUNS) / RUNS))
        kill_apply_after "$delay_us" --config "$CONF"
        snapshot "$SB/now"
        [ -n "$(temps)" ] && temp_after_crash=$((temp_after_crash + 1))
        verdicts=$(python3 "$SB/verdict.py" "$OLD" "$NEW" "$SB/now")
        while read -r n v; do SEEN["$n $v"]=$((${SEEN["$n $v"]:-0} + 1)); done <<<"$verdicts"
        if grep -q ' BAD$' <<<"$verdicts"; then
                bad_runs=$((bad_runs + 1))
                fail "run $i (kill at ${delay_us} us): torn state: $(grep ' BAD$' <<<"$verdicts" | tr '\n' ' ')"
                cp -a "$SB/now" "$SB/bad-$i"
        fi
        rc=0
        "$HARDENCTL" apply --config "$CONF" >"$SB/re.out" 2>&1 || rc=$?
        crc=0
        "$HARDENCTL" check --config "$CONF" >/dev/null 2>&1 || crc=$?
        snapshot "$SB/after"
        if [ $rc != 0 ] || [ $crc != 0 ] || ! diff -r -q "$NEW" "$SB/after" >/dev/null; then
                converge_fail=$((converge_fail + 1))
                fail "run $i (kill at ${delay_us} us): the next apply exited $rc, check $crc; differs from new: $(diff -r -q "$NEW" "$SB/after" | tr '\n' ' ')"
                sed 's/^/    /' "$SB/re.out" | tail -15
        fi
        if [ -n "$(temps)" ]; then
                temp_left=$((temp_left + 1))
                fail "run $i: temp files left after the next apply: $(temps | tr '\n' ' ')"
        fi
        ls -d /run/hardend-sshd.* >/dev/null 2>&1 && stage_left=$((stage_left + 1))
done

[ $bad_runs = 0 ] && pass "$RUNS kills: every managed file and table was the old or the new version"
[ $converge_fail = 0 ] && pass "$RUNS kills: the following apply exited 0, check 0, every file and table the new version"
[ $temp_left = 0 ] && pass "$RUNS kills: no .#hardend.* temp file left after the following apply"
if [ $stage_left = 0 ]; then pass "$RUNS kills: no staged sshd check directory left after the following apply"
else fail "$RUNS kills: staged sshd check directories left after the following apply in $stage_left runs"; fi

echo "# summary: $RUNS kills over ${max_us} us; runs with a temp file right after the kill: $temp_after_crash;"
echo "#   runs with a staged sshd check directory left in /run after the following apply: $stage_left"
echo "# state found right after a kill, per file (old / new / intermediate / BAD):"
for f in $OWN_FILES $ACCT_FILES $TABLES; do
        n=$(echo "$f" | tr / _)
        printf '#   %-40s old %3d  new %3d  intermediate %3d  BAD %d\n' "$f" "${SEEN["$n old"]:-0}" \
                "${SEEN["$n new"]:-0}" "${SEEN["$n intermediate"]:-0}" "${SEEN["$n BAD"]:-0}"
done

# nftables: one transaction replaces a table of another policy (forward chain, reject tail) with
# the new one ("add table; delete table; table ..."): killed anywhere, the kernel holds either
if [ "$BACKEND" = nftables ]; then
        OLDCONF="$SB/old-policy.conf"
        sed -e 's/^\( *forward_policy = \)"keep";/\1"drop";/' -e 's/^\( *reject_tail = \)false;/\1true;/' \
                "$CONF" >"$OLDCONF"
        FW_OLD="$SB/fw-old" FW_NEW="$SB/fw-new"
        reset_state
        expect_rc 0 "$HARDENCTL" apply --config "$OLDCONF" --only firewall
        snapshot "$FW_OLD"
        expect_rc 0 "$HARDENCTL" apply --config "$CONF" --only firewall
        snapshot "$FW_NEW"
        check_that "nftables: the old policy's table has a forward chain, the new one none" \
                eval 'grep -q "chain forward" "$FW_OLD/nftables" && ! grep -q "chain forward" "$FW_NEW/nftables"'
        times=""
        for i in 1 2 3; do
                reset_state
                "$HARDENCTL" apply --config "$OLDCONF" --only firewall >/dev/null 2>&1 || fail "old table $i: apply failed"
                t0=$(date +%s%N)
                "$HARDENCTL" apply --config "$CONF" --only firewall >/dev/null 2>&1 || fail "timed replace $i: apply failed"
                t1=$(date +%s%N)
                times="$times $(((t1 - t0) / 1000))"
        done
        FW_US=$(echo $times | tr ' ' '\n' | sort -n | sed -n 2p)
        fw_max=$((FW_US * 11 / 10))
        echo "# replacing the table takes ${FW_US} us; killing at $FW_RUNS instants in [0, $fw_max] us"
        declare -A FW_SEEN
        fw_bad=0 fw_converge=0
        for ((i = 0; i < FW_RUNS; i++)); do
                reset_state
                "$HARDENCTL" apply --config "$OLDCONF" --only firewall >/dev/null 2>&1 || fail "run $i: old table not made"
                delay_us=$(((i * fw_max + RANDOM % (fw_max / FW_RUNS + 1) * FW_RUNS) / FW_RUNS))
                kill_apply_after "$delay_us" --config "$CONF" --only firewall
                snapshot "$SB/now"
                verdicts=$(python3 "$SB/verdict.py" "$FW_OLD" "$FW_NEW" "$SB/now")
                v=$(awk '$1 == "nftables" { print $2 }' <<<"$verdicts")
                FW_SEEN[$v]=$((${FW_SEEN[$v]:-0} + 1))
                if grep -qv ' old$\| new$' <<<"$verdicts"; then
                        fw_bad=$((fw_bad + 1))
                        fail "replace run $i (kill at ${delay_us} us): torn state: $(grep -v ' old$\| new$' <<<"$verdicts" | tr '\n' ' ')"
                        cp -a "$SB/now" "$SB/fw-bad-$i"
                fi
                rc=0 crc=0
                "$HARDENCTL" apply --config "$CONF" --only firewall >"$SB/re.out" 2>&1 || rc=$?
                "$HARDENCTL" check --config "$CONF" --only firewall >/dev/null 2>&1 || crc=$?
                snapshot "$SB/after"
                if [ $rc != 0 ] || [ $crc != 0 ] || ! diff -r -q "$FW_NEW" "$SB/after" >/dev/null; then
                        fw_converge=$((fw_converge + 1))
                        fail "replace run $i (kill at ${delay_us} us): the next apply exited $rc, check $crc; differs: $(diff -r -q "$FW_NEW" "$SB/after" | tr '\n' ' ')"
                        sed 's/^/    /' "$SB/re.out" | tail -15
                fi
        done
        [ $fw_bad = 0 ] && pass "$FW_RUNS kills while replacing: the ruleset was the old table or the new one"
        [ $fw_converge = 0 ] && pass "$FW_RUNS kills while replacing: the following apply exited 0, check 0, the new table"
        echo "# table inet hardend right after a kill while replacing: old ${FW_SEEN[old]:-0}  new ${FW_SEEN[new]:-0}"
fi
finish
