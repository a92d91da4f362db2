#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Faults during apply, in a sandbox (private /etc, own netfilter tables): a full disk (a tiny
# tmpfs over sshd_config.d and over sudoers.d), a read-only /etc, sshd and visudo missing or
# failing, the xtables lock held by another process, a missing kernel table (getsockopt made to
# fail with ENOENT by strace's fault injection, as the kernel answers for a table it does not
# have), and no D-Bus (the sandbox has none) with a unit to disable. Each must exit 4 with a message
# naming what failed, leave the file it was about to write as it was (no half-written file), and
# leave no ".#hardend.*" temp file.
# With HARDEND_TEST_BACKEND=nftables (firewall.backend = "nftables") the firewall faults are those of
# nftables instead: a kernel without nf_tables (test/no-nftables: a seccomp filter on the nfnetlink
# socket), under "nftables" and under "auto"; table inet hardend held by another program (flags
# owner); the transaction's sendmsg failing (strace); libnftables not installed; and the xtables
# lock held.
source "$(dirname "$0")/sandbox.sh"
sandbox_enter "$@"
sandbox_live_root

SRC=${TEST_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CONF="$SB/policy.conf"
DROPIN=/etc/ssh/sshd_config.d/00-hardend.conf
SUDO_DROPIN=/etc/sudoers.d/hardend
BACKEND=${HARDEND_TEST_BACKEND:-iptables}
NO_NFTABLES=${NO_NFTABLES:-$(cd "$(dirname "$0")/../.." && pwd)/build/test/no-nftables}
if [ "$BACKEND" = nftables ]; then
        require_programs nft
        nft list tables >/dev/null 2>&1 || { echo "SKIP: no nf_tables in this kernel"; exit 77; }
        [ -x "$NO_NFTABLES" ] || { echo "SKIP: $NO_NFTABLES is not built"; exit 77; }
fi

ssh-keygen -q -t ed25519 -N '' -C hardend-faults -f "$SB/id_test" >/dev/null
KEY=$(cat "$SB/id_test.pub")
sed -e "s/^\( *backend = \)\"auto\";/\1\"$BACKEND\";/" -e "s|^\( *authorized_keys = \)\[ *\];|\1[ \"$KEY\" ];|" "$SRC/conf/hardend.conf" >"$CONF"
printf '#!/bin/sh\necho "injected failure of $0" >&2\nexit 1\n' >"$SB/failing"
chmod 0755 "$SB/failing"
mkdir -p "$SB/empty"

sum() { if [ -e "$1" ]; then sha256sum <"$1"; else echo absent; fi; }
tables() { filter_table 4; filter_table 6; }

# fault NAME PATTERN FILE ARGS...: apply ARGS exits 4, its output matches PATTERN (what failed),
# FILE is as it was (absent stays absent) and no temp file is left
fault() {
        local name=$1 pattern=$2 file=$3; shift 3
        local before rc=0
        before=$(sum "$file")
        "$HARDENCTL" apply --config "$CONF" "$@" >"$SB/out" 2>&1 || rc=$?
        if [ $rc = 4 ]; then pass "$name: exit 4"; else fail "$name: exit $rc, expected 4"; sed 's/^/    /' "$SB/out" | tail -20; fi
        if grep -Eq -- "$pattern" "$SB/out"; then
                pass "$name: says what failed: $(grep -E -m1 -- "$pattern" "$SB/out" | sed 's/^ *//')"
        else
                fail "$name: no message matching /$pattern/"; sed 's/^/    /' "$SB/out" | tail -20
        fi
        if [ "$(sum "$file")" = "$before" ]; then pass "$name: $file untouched"; else fail "$name: $file changed"; fi
        if [ -z "$(temps)" ]; then pass "$name: no temp file left"; else fail "$name: temp files left: $(temps | tr '\n' ' ')"; fi
}

# the admin user with its key first: the SSH cases need it (anti-lockout)
expect_rc 0 "$HARDENCTL" apply --config "$CONF" --only admin
rm -f "$SUDO_DROPIN"
# ... and its way to root, which the admin cases below take away (a way in is a key AND root)
install -m 0440 /dev/stdin /etc/sudoers.d/faults-wheel <<<'%wheel ALL=(ALL:ALL) NOPASSWD: ALL'

# ---- a full disk ------------------------------------------------------------------------------
# fill DIR: a tiny tmpfs over DIR with DIR's files, then filled to the last byte
fill() {
        local copy="$SB/copy.$(basename "$1")"
        rm -rf "$copy"; cp -a "$1" "$copy"
        mount -t tmpfs -o size=64k,mode=0755 tmpfs "$1"
        cp -a "$copy/." "$1/"
        dd if=/dev/zero of="$1/zz-filler" bs=4k 2>/dev/null || true
        dd if=/dev/zero of="$1/zz-filler2" bs=1 2>/dev/null || true
}
fill /etc/ssh/sshd_config.d
fault "full disk (sshd_config.d)" "No space left on device" "$DROPIN" --only ssh
umount /etc/ssh/sshd_config.d
fill /etc/sudoers.d
fault "full disk (sudoers.d)" "No space left on device" "$SUDO_DROPIN" --only admin
umount /etc/sudoers.d

# ---- a read-only /etc -------------------------------------------------------------------------
mount -o remount,ro,bind /etc
fault "read-only /etc (ssh)" "Read-only file system" "$DROPIN" --only ssh
fault "read-only /etc (admin)" "Read-only file system" "$SUDO_DROPIN" --only admin
mount -o remount,rw,bind /etc

# ---- validators missing or failing ------------------------------------------------------------
# sshd missing: DESIGN rule 6 (no sshd installed: degrade) — the drop-in is written for an sshd
# installed later, and the output says it was not checked; exit 0. Then it is removed again.
mount --bind /dev/null /usr/sbin/sshd
expect_rc 0 "$HARDENCTL" apply --config "$CONF" --only ssh
check_that "sshd missing: says the drop-in was not checked with sshd -T" grep -q "not checked with sshd -T: sshd is not installed" "$SB/last.out"
check_that "sshd missing: no temp file left" test -z "$(temps)"
umount /usr/sbin/sshd
rm -f "$DROPIN"
mount --bind "$SB/failing" /usr/sbin/sshd
fault "sshd failing" "sshd.*(injected failure|exited|status)" "$DROPIN" --only ssh
umount /usr/sbin/sshd
mount --bind /dev/null /usr/sbin/visudo
fault "visudo missing" "visudo" "$SUDO_DROPIN" --only admin
umount /usr/sbin/visudo
mount --bind "$SB/failing" /usr/sbin/visudo
fault "visudo failing" "visudo.*injected failure" "$SUDO_DROPIN" --only admin
umount /usr/sbin/visudo

# ---- the firewall -----------------------------------------------------------------------------
old_tables=$(tables)
if [ "$BACKEND" = iptables ]; then
        # another program holding the lock (the same flock(2) iptables takes); the sleep itself holds it
        (exec 9>/run/xtables.lock && flock 9 && exec sleep 60) &
        LOCKER=$!
        sleep 0.2
        t0=$(date +%s)
        fault "xtables lock held" "xtables lock /run/xtables.lock is held" /dev/null --only firewall
        waited=$(($(date +%s) - t0))
        if [ $waited -le 10 ]; then pass "xtables lock: gave up after a bounded wait (${waited} s)"; else fail "xtables lock: waited ${waited} s"; fi
        kill $LOCKER; wait $LOCKER 2>/dev/null || true
        if [ "$(tables)" = "$old_tables" ]; then pass "xtables lock: tables unchanged"; else fail "xtables lock: tables changed"; fi

        if command -v strace >/dev/null; then
                # LeakSanitizer cannot run under ptrace: no leak check for these two runs (ASan builds)
                export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
                rc=0
                strace -f -o /dev/null -e inject=getsockopt:error=ENOENT \
                        "$HARDENCTL" apply --config "$CONF" --only firewall >"$SB/out" 2>&1 || rc=$?
                if [ $rc = 4 ]; then pass "missing kernel table: exit 4"; else fail "missing kernel table: exit $rc"; sed 's/^/    /' "$SB/out"; fi
                if grep -q "init (ipv4): Table does not exist" "$SB/out"; then pass "missing kernel table: says so"; else fail "missing kernel table: no message"; sed 's/^/    /' "$SB/out"; fi
                rc=0
                strace -f -o /dev/null -e inject=getsockopt:error=ENOENT \
                        "$HARDENCTL" check --config "$CONF" --only firewall >"$SB/out" 2>&1 || rc=$?
                if [ $rc = 1 ]; then pass "missing kernel table: check reports drift (exit 1), not compliant"; else fail "missing kernel table: check exit $rc"; fi
                if [ "$(tables)" = "$old_tables" ]; then pass "missing kernel table: tables unchanged"; else fail "missing kernel table: tables changed"; fi

                # A kernel that has not loaded ip_tables/ip6_tables yet answers ENOPROTOOPT ("iptables
                # who?"): check calls that drift, apply loads the module with modprobe (as iptables does)
                # and tries again. Calls 1 and 4 fail that way: the probe's IPv4 GET_INFO (then IPv6's
                # two calls succeed) and apply's first IPv4 GET_INFO; the retry after modprobe succeeds.
                rc=0
                strace -f -o /dev/null -e inject=getsockopt:error=ENOPROTOOPT \
                        "$HARDENCTL" check --config "$CONF" --only firewall >"$SB/out" 2>&1 || rc=$?
                if [ $rc = 1 ] && grep -q "iptables who" "$SB/out"; then pass "x_tables core not loaded: check reports drift (exit 1)"
                else fail "x_tables core not loaded: check exit $rc"; sed 's/^/    /' "$SB/out"; fi
                iptables-legacy -F; iptables-legacy -X; iptables-legacy -P INPUT ACCEPT
                ip6tables-legacy -F; ip6tables-legacy -X; ip6tables-legacy -P INPUT ACCEPT
                rc=0
                strace -f -o "$SB/strace.out" -e trace=getsockopt,execve -e inject=getsockopt:error=ENOPROTOOPT:when=1..4+3 \
                        "$HARDENCTL" apply --config "$CONF" --only firewall >"$SB/out" 2>&1 || rc=$?
                if [ $rc = 0 ]; then pass "x_tables core not loaded: apply retries after modprobe and succeeds"
                else fail "x_tables core not loaded: apply exit $rc"; sed 's/^/    /' "$SB/out"; fi
                if ! command -v modprobe >/dev/null || grep -q "modprobe\", \[\"[^\"]*\", \"-q\", \"ip_tables\"" "$SB/strace.out"; then
                        pass "x_tables core not loaded: modprobe -q ip_tables was run (or no modprobe here)"
                else fail "x_tables core not loaded: no modprobe"; grep execve "$SB/strace.out" | head -5 | sed 's/^/    /'; fi
                if "$HARDENCTL" check --config "$CONF" --only firewall >/dev/null 2>&1; then pass "x_tables core not loaded: converged"
                else fail "x_tables core not loaded: not converged"; fi
        else
                echo "SKIP: missing kernel table (needs strace for the fault injection)"
        fi
else
        # nftables takes no xtables lock, and libnftables asks no getsockopt of x_tables: the two
        # legacy faults above have no meaning here; their counterparts follow.
        ruleset() { nft -s list ruleset; }
        # everything an apply may change: the files it writes, both legacy tables, the ruleset
        state() {
                local f
                for f in "$DROPIN" "$SUDO_DROPIN" /etc/ssh/sshd_config /etc/sudoers /etc/passwd /etc/group \
                        /etc/shadow /etc/gshadow /home/admin/.ssh/authorized_keys; do
                        echo "$f $(sum "$f")"
                done
                tables
                ruleset
        }
        AUTO_CONF="$SB/auto.conf"
        sed -e 's/^\( *backend = \)"nftables";/\1"auto";/' "$CONF" >"$AUTO_CONF"
        nft flush ruleset

        # a kernel without nf_tables: the whole apply is refused before anything is changed (the
        # ssh and admin modules have drift to fix here: the drop-ins are absent)
        before=$(state)
        rc=0
        "$NO_NFTABLES" "$HARDENCTL" apply --config "$CONF" >"$SB/out" 2>&1 || rc=$?
        if [ $rc = 4 ]; then pass "no nf_tables, backend nftables: exit 4"
        else fail "no nf_tables, backend nftables: exit $rc, expected 4"; sed 's/^/    /' "$SB/out" | tail -20; fi
        if grep -q 'firewall.backend = "nftables", but the kernel has no nf_tables in this network namespace (Protocol not supported) (nothing was changed)' "$SB/out"
        then pass "no nf_tables, backend nftables: says why"
        else fail "no nf_tables, backend nftables: no reason"; sed 's/^/    /' "$SB/out" | tail -20; fi
        if [ "$(state)" = "$before" ]; then pass "no nf_tables, backend nftables: files, legacy tables and ruleset unchanged"
        else fail "no nf_tables, backend nftables: something changed: $(diff <(echo "$before") <(state) | tr '\n' ' ')"; fi
        check_that "no nf_tables, backend nftables: no temp file left" test -z "$(temps)"
        rc=0
        "$NO_NFTABLES" "$HARDENCTL" check --config "$CONF" --only firewall >"$SB/out" 2>&1 || rc=$?
        if [ $rc = 1 ] && grep -q 'expected a packet filter the kernel can hold' "$SB/out"; then
                pass "no nf_tables, backend nftables: check reports drift (exit 1)"
        else fail "no nf_tables, backend nftables: check exit $rc"; sed 's/^/    /' "$SB/out" | tail -20; fi
        # auto falls back to the legacy tables, which this kernel has
        rc=0
        "$NO_NFTABLES" "$HARDENCTL" apply --config "$AUTO_CONF" --only firewall >"$SB/out" 2>&1 || rc=$?
        if [ $rc = 0 ] && grep -q 'ipv4: created HARDEND-INPUT' "$SB/out" && grep -q 'ipv6: created HARDEND-INPUT' "$SB/out"
        then pass "no nf_tables, auto: apply exits 0 on the legacy tables"
        else fail "no nf_tables, auto: apply exit $rc"; sed 's/^/    /' "$SB/out" | tail -20; fi
        legacy_in() { filter_table "$1" | grep -x -- '-A INPUT -j HARDEND-INPUT' >/dev/null && filter_table "$1" | grep '^:INPUT DROP' >/dev/null; }
        if legacy_in 4 && legacy_in 6
        then pass "no nf_tables, auto: HARDEND-INPUT and policy DROP in the IPv4 and IPv6 legacy tables"
        else fail "no nf_tables, auto: legacy tables not written"; tables | sed 's/^/    /'; fi
        check_that "no nf_tables, auto: nothing in nftables" test -z "$(ruleset)"
        rc=0
        "$NO_NFTABLES" "$HARDENCTL" check --config "$AUTO_CONF" --only firewall >"$SB/out" 2>&1 || rc=$?
        if [ $rc = 0 ] && grep -q 'backend iptables: auto: .*, but the kernel has no nf_tables in this network namespace (Protocol not supported): the legacy tables' "$SB/out"
        then pass "no nf_tables, auto: check exits 0 and says why the legacy tables"
        else fail "no nf_tables, auto: check exit $rc"; sed 's/^/    /' "$SB/out" | tail -20; fi

        # the xtables lock held while hardend's legacy rules are still there: the new table goes in,
        # but the old rules cannot be removed without the lock (libiptc's commit takes it): exit 4,
        # the legacy rules as they were, and the next apply converges
        legacy_rules=$(tables)
        (exec 9>/run/xtables.lock && flock 9 && exec sleep 60) &
        LOCKER=$!
        sleep 0.2
        fault "xtables lock held, legacy rules left" "xtables lock /run/xtables.lock is held" /dev/null --only firewall
        check_that "xtables lock held, legacy rules left: the new table is in force" \
                eval 'ruleset | grep "^table inet hardend {" >/dev/null'
        check_that "xtables lock held, legacy rules left: legacy tables unchanged" test "$(tables)" = "$legacy_rules"
        kill $LOCKER; wait $LOCKER 2>/dev/null || true
        expect_rc 0 "$HARDENCTL" apply --config "$CONF" --only firewall
        check_that "xtables lock free again: hardend's legacy rules removed" \
                eval '! tables | grep HARDEND >/dev/null && test "$(tables)" = "$old_tables"'
        expect_rc 0 "$HARDENCTL" check --config "$CONF" --only firewall

        # the xtables lock held, no legacy rules of hardend: the nftables backend does not wait
        new_table=$(ruleset)
        nft flush ruleset
        (exec 9>/run/xtables.lock && flock 9 && exec sleep 60) &
        LOCKER=$!
        sleep 0.2
        t0=$(date +%s%N)
        expect_rc 0 "$HARDENCTL" apply --config "$CONF" --only firewall
        waited_ms=$((($(date +%s%N) - t0) / 1000000))
        if [ $waited_ms -lt 2000 ]; then pass "xtables lock held: nftables did not wait for it (${waited_ms} ms)"
        else fail "xtables lock held: apply took ${waited_ms} ms"; fi
        check_that "xtables lock held: table inet hardend made" test "$(ruleset)" = "$new_table"
        check_that "xtables lock held: legacy tables unchanged" test "$(tables)" = "$old_tables"
        kill $LOCKER; wait $LOCKER 2>/dev/null || true

        # table inet hardend held by another program (flags owner: only its socket may change it)
        nft flush ruleset
        mkfifo "$SB/owner.in"
        nft -i <"$SB/owner.in" >/dev/null 2>&1 &
        OWNER=$!
        exec 8>"$SB/owner.in"
        printf '%s\n' 'add table inet hardend { flags owner; }' \
                'add chain inet hardend input { type filter hook input priority filter; policy accept; }' >&8
        wait_for 5 eval 'ruleset | grep "flags owner" >/dev/null' || fail "owner table not made"
        held=$(ruleset)
        rc=0
        "$HARDENCTL" check --config "$CONF" --only firewall >"$SB/out" 2>&1 || rc=$?
        if [ $rc = 1 ] && grep -q 'chain-policy nftables inet hardend input: expected drop, actual accept' "$SB/out"
        then pass "table held by another program: check reads it and reports its drift (exit 1)"
        else fail "table held by another program: check exit $rc"; sed 's/^/    /' "$SB/out" | tail -20; fi
        fault "table held by another program" "nftables: .*Operation not permitted" /dev/null --only firewall
        check_that "table held by another program: the ruleset as it was" test "$(ruleset)" = "$held"
        exec 8>&-
        wait $OWNER 2>/dev/null || true
        check_that "table held by another program: gone with its owner" test -z "$(ruleset)"

        # the transaction itself failing (its sendmsg on the nfnetlink socket): the previous table stays
        if command -v strace >/dev/null; then
                export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
                REJECT_CONF="$SB/reject.conf"
                sed -e 's/^\( *reject_tail = \)false;/\1true;/' "$CONF" >"$REJECT_CONF"
                expect_rc 0 "$HARDENCTL" apply --config "$CONF" --only firewall
                previous=$(ruleset)
                rc=0
                strace -f -o /dev/null -e inject=sendmsg:error=ENOBUFS \
                        "$HARDENCTL" apply --config "$REJECT_CONF" --only firewall >"$SB/out" 2>&1 || rc=$?
                if [ $rc = 4 ]; then pass "transaction fails: exit 4"
                else fail "transaction fails: exit $rc, expected 4"; sed 's/^/    /' "$SB/out" | tail -20; fi
                if grep -q 'nftables: .*No buffer space available (nothing was changed)' "$SB/out"; then
                        pass "transaction fails: says so: $(grep -m1 'No buffer space' "$SB/out" | sed 's/^ *//')"
                else fail "transaction fails: no message"; sed 's/^/    /' "$SB/out" | tail -20; fi
                check_that "transaction fails: the previous table left in place" test "$(ruleset)" = "$previous"
                check_that "transaction fails: legacy tables unchanged" test "$(tables)" = "$old_tables"
                expect_rc 1 "$HARDENCTL" check --config "$REJECT_CONF" --only firewall
                expect_rc 0 "$HARDENCTL" apply --config "$REJECT_CONF" --only firewall
                check_that "transaction fails: without the fault the same apply replaces the table" \
                        eval 'test "$(ruleset)" != "$previous" && ruleset | grep reject >/dev/null'
        else
                echo "SKIP: the failing transaction (needs strace for the fault injection)"
        fi

        # libnftables not installed (it is loaded on first use; an overlay whites it out here): the
        # backend is not usable, as on a kernel without nf_tables; the table stays as it was
        expect_rc 0 "$HARDENCTL" apply --config "$CONF" --only firewall
        previous=$(ruleset)
        libdir=$(dirname "$(readlink -f "$(ldconfig -p | awk '$1 == "libnftables.so.1" { print $NF; exit }')")")
        mkdir -p "$SB/lib-up" "$SB/lib-work"
        if mount -t overlay overlay -o "lowerdir=$libdir,upperdir=$SB/lib-up,workdir=$SB/lib-work" "$libdir"; then
                rm -f "$libdir"/libnftables.so.1*
                fault "libnftables not installed" 'firewall.backend = "nftables", but libnftables is not installed' \
                        /dev/null --only firewall --config "$SB/reject.conf"
                umount -l "$libdir"
                check_that "libnftables not installed: the table as it was" test "$(ruleset)" = "$previous"
        else
                fail "libnftables not installed: cannot mount an overlay on $libdir"
        fi
fi

# ---- no D-Bus, a unit to disable ---------------------------------------------------------------
UNIT=rpcbind.service
if [ ! -e "/lib/systemd/system/$UNIT" ] && [ ! -e "/etc/systemd/system/$UNIT" ]; then
        mkdir -p /etc/systemd/system/multi-user.target.wants "$SB/units"
        printf '[Unit]\nDescription=test\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n' \
                >"$SB/units/$UNIT"
        mount -t tmpfs tmpfs /usr/lib/systemd/system 2>/dev/null || true
        cp "$SB/units/$UNIT" "/usr/lib/systemd/system/$UNIT"
fi
ln -sf "/usr/lib/systemd/system/$UNIT" "/etc/systemd/system/multi-user.target.wants/$UNIT"
fault "no D-Bus, $UNIT enabled" "cannot change $UNIT: systemd cannot be reached" "/etc/systemd/system/multi-user.target.wants/$UNIT" --only services
finish
