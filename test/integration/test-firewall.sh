#!/bin/bash
# The firewall module against the real kernel, inside a fresh network namespace: exact rules read
# back with iptables-legacy-save/ip6tables-legacy-save, idempotence, drift found and repaired on both
# families, --root, nftables detection, traffic through a veth pair, the SSH rate limit, anti-lockout,
# sshd's real ports (sshd -T, its sockets), other software's ACCEPT rules and chains removed.
. "$(dirname "$0")/sandbox.sh"
sandbox_enter "$@"
sandbox_live_root

require_programs iptables-legacy-save ip6tables-legacy-save socat ping flock

CONF=$SB/hardend.conf
cat >"$CONF" <<'EOF'
version = 1;
firewall = {
  backend = "iptables";
  allow = ( { port = 22; }, { port = 80; }, { port = 443; } );
  ssh_rate_limit = { enable = true; hits = 3; seconds = 60; };
};
EOF
HC() { "$HARDENCTL" --config "$CONF" --only firewall "$@"; }

save4() { iptables-legacy-save | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]/[0:0]/'; }
save6() { ip6tables-legacy-save | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]/[0:0]/'; }

COMMON_HEAD=':INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:HARDEND-INPUT - [0:0]
-A INPUT -j HARDEND-INPUT
-A HARDEND-INPUT -i lo -j ACCEPT
-A HARDEND-INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A HARDEND-INPUT -m conntrack --ctstate INVALID -j DROP'
ALLOW='-A HARDEND-INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A HARDEND-INPUT -p tcp -m tcp --dport 80 -j ACCEPT
-A HARDEND-INPUT -p tcp -m tcp --dport 443 -j ACCEPT
COMMIT'
WANT4="*filter
$COMMON_HEAD
-A HARDEND-INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT
-A HARDEND-INPUT -p icmp -m icmp --icmp-type 3 -j ACCEPT
-A HARDEND-INPUT -p icmp -m icmp --icmp-type 11 -j ACCEPT
-A HARDEND-INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m recent --update --seconds 60 --hitcount 3 --name HARDEND-SSH --mask 255.255.255.255 --rsource -j DROP
-A HARDEND-INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m recent --set --name HARDEND-SSH --mask 255.255.255.255 --rsource
$ALLOW"
M6=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff
WANT6="*filter
$COMMON_HEAD
-A HARDEND-INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1 -j ACCEPT
-A HARDEND-INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 2 -j ACCEPT
-A HARDEND-INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 3 -j ACCEPT
-A HARDEND-INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 4 -j ACCEPT
-A HARDEND-INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT
-A HARDEND-INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 133 -j ACCEPT
-A HARDEND-INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 134 -j ACCEPT
-A HARDEND-INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 135 -j ACCEPT
-A HARDEND-INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 136 -j ACCEPT
-A HARDEND-INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m recent --update --seconds 60 --hitcount 3 --name HARDEND-SSH --mask $M6 --rsource -j DROP
-A HARDEND-INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m recent --set --name HARDEND-SSH --mask $M6 --rsource
$ALLOW"

rules_are_wanted() {
        local rc=0
        if [ "$(save4)" != "$WANT4" ]; then
                echo "    iptables-legacy-save differs:"; diff <(echo "$WANT4") <(save4) | sed 's/^/    /'; rc=1
        fi
        if [ "$(save6)" != "$WANT6" ]; then
                echo "    ip6tables-legacy-save differs:"; diff <(echo "$WANT6") <(save6) | sed 's/^/    /'; rc=1
        fi
        return $rc
}

# last_out_has TEXT: the last expect_rc's stdout mentions TEXT
last_out_has() { grep -qF -- "$1" "$SB/last.out"; }

# ---- --root: the kernel is not touched ----
sandbox_image_root "$SB/img"
expect_rc 0 "$HARDENCTL" --config "$CONF" --root "$SB/img" check --only firewall
check_that "--root: left to the image's first boot" last_out_has "left to the image's first boot"
expect_rc 0 "$HARDENCTL" --config "$CONF" --root "$SB/img" apply --only firewall
check_that "--root: the kernel's tables untouched" bash -c '! iptables-legacy-save | grep -q -e HARDEND -e "INPUT DROP"'

# ---- apply, read back, idempotence ----
expect_rc 1 HC check
check_that "check names the missing chain" last_out_has "firewall/chain ipv4 HARDEND-INPUT"
expect_rc 0 HC apply
check_that "rules read back exactly (both families)" rules_are_wanted
expect_rc 0 HC check
expect_rc 0 HC apply --json
check_that "second apply changes nothing" last_out_has '"changed": false'

# ---- the xtables lock: held by someone else, apply waits a bounded time and says so ----
iptables-legacy -P INPUT ACCEPT
flock /run/xtables.lock sleep 8 &
sleep 0.2
expect_rc 4 HC apply
check_that "a held xtables lock is named" grep -qF "xtables lock /run/xtables.lock is held" "$SB/last.err"
wait
expect_rc 0 HC apply
check_that "applied once the lock was free" rules_are_wanted

# ---- drift, on both families: found by check (exit 1, named), repaired by apply ----
# drift_case DESCRIPTION EXPECTED_TEXT_IN_CHECK COMMAND...
drift_case() {
        local what=$1 text=$2; shift 2
        "$@"
        expect_rc 1 HC check
        check_that "$what: check names \"$text\"" last_out_has "$text"
        expect_rc 0 HC apply
        check_that "$what: apply restored the rules" rules_are_wanted
        expect_rc 0 HC check
}
for fam in 4 6; do
        if [ $fam = 4 ]; then IPT=iptables-legacy; P=ipv4; else IPT=ip6tables-legacy; P=ipv6; fi
        drift_case "$P rule deleted" "rule-missing $P HARDEND-INPUT tcp dpt:80 ACCEPT" \
                $IPT -D HARDEND-INPUT -p tcp --dport 80 -j ACCEPT
        n=$($IPT -S HARDEND-INPUT | grep -n -- '--dport 443 -j ACCEPT' | cut -d: -f1)
        drift_case "$P rule changed" "expected tcp dpt:443 ACCEPT, actual tcp dpt:444 ACCEPT" \
                $IPT -R HARDEND-INPUT $((n - 1)) -p tcp --dport 444 -j ACCEPT
        drift_case "$P rule added to our chain" "rule-extra $P HARDEND-INPUT udp dpt:1900 ACCEPT" \
                $IPT -A HARDEND-INPUT -p udp --dport 1900 -j ACCEPT
        drift_case "$P policy ACCEPT" "chain-policy $P INPUT: expected DROP, actual ACCEPT" \
                $IPT -P INPUT ACCEPT
        drift_case "$P jump deleted" "jump $P INPUT" $IPT -D INPUT -j HARDEND-INPUT
        drift_case "$P chain deleted" "chain $P HARDEND-INPUT: expected present, actual missing" \
                bash -c "$IPT -D INPUT -j HARDEND-INPUT && $IPT -F HARDEND-INPUT && $IPT -X HARDEND-INPUT"

        # a foreign ACCEPT in INPUT of a port the policy drops: drift, and apply removes it
        $IPT -I INPUT 2 -p tcp --dport 8080 -j ACCEPT
        expect_rc 1 HC check
        check_that "$P foreign ACCEPT in INPUT named" last_out_has "foreign-accept $P INPUT rule 2: tcp dpt:8080 ACCEPT"
        check_that "$P foreign ACCEPT is not report only" bash -c "! grep -F 'foreign-accept' '$SB/last.out' | grep -qF '[report only]'"
        expect_rc 0 HC apply
        check_that "$P apply lists the removed rule" last_out_has "removed a foreign rule from INPUT: rule 2, tcp dpt:8080 ACCEPT"
        check_that "$P foreign ACCEPT removed" bash -c "! $IPT -S INPUT | grep -q -- '--dport 8080'"
        expect_rc 0 HC check
done

# ---- forwarding: left alone by default (forward_policy "keep"), DROP when the policy says so ----
for t in iptables-legacy ip6tables-legacy; do $t -P FORWARD DROP; done
expect_rc 0 HC check
check_that "keep: another program's FORWARD DROP is no drift" bash -c "! grep -q 'FORWARD' '$SB/last.out'"
expect_rc 0 HC apply
check_that "keep: FORWARD DROP left as it was" bash -c 'iptables-legacy -S FORWARD | grep -qx -- "-P FORWARD DROP" && ip6tables-legacy -S FORWARD | grep -qx -- "-P FORWARD DROP"'
for t in iptables-legacy ip6tables-legacy; do $t -P FORWARD ACCEPT; done
expect_rc 0 HC check
check_that "keep: FORWARD ACCEPT left as it was" rules_are_wanted
FWD=$SB/forward.conf
sed 's/^  backend = "iptables";/&\n  forward_policy = "drop";/' "$CONF" >"$FWD"
expect_rc 1 "$HARDENCTL" --config "$FWD" --only firewall check
check_that "drop: the FORWARD policy is drift" last_out_has "chain-policy ipv4 FORWARD: expected DROP, actual ACCEPT"
expect_rc 0 "$HARDENCTL" --config "$FWD" --only firewall apply
check_that "drop: FORWARD DROP in both families" bash -c 'iptables-legacy -S FORWARD | grep -qx -- "-P FORWARD DROP" && ip6tables-legacy -S FORWARD | grep -qx -- "-P FORWARD DROP"'
for t in iptables-legacy ip6tables-legacy; do $t -P FORWARD ACCEPT; done
expect_rc 0 HC check

# ---- nftables beside us ----
if command -v nft >/dev/null; then
        nft add table inet hardendtest
        expect_rc 0 HC check
        check_that "check tells of the nftables table" last_out_has "inet hardendtest"
        nft delete table inet hardendtest
        expect_rc 0 HC check
        check_that "no nftables table, nothing told" bash -c "! grep -q 'firewall/nftables ' '$SB/last.out'"
else
        echo "# nft is not installed: the nftables detection is not tested"
fi

# ---- anti-lockout: SSH_CONNECTION from an address the new rules would not let in ----
LOCKED=$SB/locked.conf
cat >"$LOCKED" <<'EOF'
version = 1;
firewall = {
  backend = "iptables";
  allow = ( { port = 22; sources = [ "192.0.2.0/24", "2001:db8::/64" ]; }, { port = 80; }, { port = 443; } );
  ssh_rate_limit = { enable = true; hits = 3; seconds = 60; };
};
EOF
before=$(save4; save6)
expect_rc 3 env SSH_CONNECTION="198.51.100.9 40000 192.0.2.1 22" "$HARDENCTL" --config "$LOCKED" --only firewall apply
check_that "refusal names the client's address" grep -qF "198.51.100.9" "$SB/last.err"
check_that "refused: nothing changed" test "$before" = "$(save4; save6)"
expect_rc 3 env SSH_CONNECTION="2001:db8:1::9 40000 2001:db8::1 22" "$HARDENCTL" --config "$LOCKED" --only firewall apply
expect_rc 0 env SSH_CONNECTION="198.51.100.9 40000 192.0.2.1 22" "$HARDENCTL" --config "$LOCKED" --only firewall --force apply
check_that "--force applied the restricted rules" bash -c 'iptables-legacy-save | grep -q -- "-s 192.0.2.0/24 -p tcp -m tcp --dport 22 -j ACCEPT"'
expect_rc 0 env SSH_CONNECTION="192.0.2.2 40000 192.0.2.1 22" "$HARDENCTL" --config "$CONF" --only firewall apply
check_that "back to the test policy" rules_are_wanted
expect_rc 0 env SSH_CONNECTION="192.0.2.2 40000 192.0.2.1 22" "$HARDENCTL" --config "$LOCKED" --only firewall apply
check_that "an allowed client is not refused" last_out_has "applied"
expect_rc 0 HC apply

# ---- sshd's real ports: its configuration (sshd -T) and its listening sockets ----
if [ -x /usr/sbin/sshd ]; then
        SSHD_PID=
        stop_sshd() { [ -z "$SSHD_PID" ] || kill "$SSHD_PID" 2>/dev/null || true; SSHD_PID=; }
        trap 'rc=$?; stop_sshd; (exit $rc); sandbox_leave' EXIT
        flush_all() { for t in iptables-legacy ip6tables-legacy; do $t -P INPUT ACCEPT; $t -P FORWARD ACCEPT; $t -F; $t -X; done; }
        mkdir -p /etc/ssh/sshd_config.d /run/sshd
        # Port is cumulative: every Port line (here a drop-in's) adds one
        printf 'Port 22\nPort 2222\n' >/etc/ssh/sshd_config.d/50-test-ports.conf
        flush_all
        before=$(save4; save6)
        expect_rc 1 HC check
        check_that "check names sshd's port 2222 (ipv4)" last_out_has "ssh-port ipv4 tcp/2222"
        check_that "check names sshd's port 2222 (ipv6)" last_out_has "ssh-port ipv6 tcp/2222"
        check_that "the ssh-port finding says where it comes from and the fix" \
                grep -qF 'sshd listens on 0.0.0.0:2222 (sshd -T), but firewall.allow does not let tcp/2222 in over ipv4: add { port = 2222; proto = "tcp"; } to firewall.allow' "$SB/last.out"
        expect_rc 3 HC apply
        check_that "the refusal names the port, its source and the fix" \
                grep -qF 'sshd listens on 0.0.0.0:2222 (sshd -T)' "$SB/last.err"
        check_that "refused: nothing changed" test "$before" = "$(save4; save6)"
        expect_rc 0 HC --force apply
        check_that "--force: the firewall is in place" bash -c 'iptables-legacy-save | grep -q "^:INPUT DROP"'
        check_that "--force: no rate limit on a port the policy drops" bash -c '! iptables-legacy-save | grep -q -- "--dport 2222"'

        # the same port in the policy: allowed, and rate limited like 22
        ALLOWED=$SB/sshd-ports.conf
        sed 's/{ port = 22; }/{ port = 22; }, { port = 2222; }/' "$CONF" >"$ALLOWED"
        expect_rc 0 "$HARDENCTL" --config "$ALLOWED" --only firewall apply
        for t in iptables-legacy-save ip6tables-legacy-save; do
                check_that "$t: sshd's port 2222 rate limited" bash -c "$t | grep -q -- '--dport 2222 -m conntrack --ctstate NEW -m recent --update --seconds 60 --hitcount 3 --name HARDEND-SSH'"
                check_that "$t: and still 22" bash -c "$t | grep -q -- '--dport 22 -m conntrack --ctstate NEW -m recent --update'"
        done
        expect_rc 0 "$HARDENCTL" --config "$ALLOWED" --only firewall check
        rm /etc/ssh/sshd_config.d/50-test-ports.conf

        # a port given on sshd's command line is not in sshd -T: its listening socket tells
        /usr/sbin/sshd -p 2223 -o PidFile=/run/sshd-test.pid -E "$SB/sshd.log"
        for _ in $(seq 50); do [ -s /run/sshd-test.pid ] && ss -Hlnt | grep -q ':2223 ' && break; sleep 0.1; done
        SSHD_PID=$(cat /run/sshd-test.pid)
        flush_all
        before=$(save4; save6)
        expect_rc 3 HC apply
        check_that "the refusal names sshd's listening socket" grep -qF "listens on 0.0.0.0:2223 (a listening socket of sshd[$SSHD_PID])" "$SB/last.err"
        check_that "refused (socket): nothing changed" test "$before" = "$(save4; save6)"

        # sshd -T fails (a broken drop-in, or no host keys before the first boot): an unknown, not
        # a failure; the socket still counts
        printf 'PasswordAuthentication maybe\n' >/etc/ssh/sshd_config.d/40-broken.conf
        expect_rc 3 HC apply
        check_that "sshd -T failing: the socket is still seen" grep -qF "0.0.0.0:2223" "$SB/last.err"
        stop_sshd
        expect_rc 0 HC apply
        check_that "sshd -T failing: the boot firewall still applies" bash -c 'iptables-legacy-save | grep -q "^:INPUT DROP"'
        expect_rc 0 HC check
        check_that "sshd -T failing: told as unknown" last_out_has "ssh-port sshd"
        rm /etc/ssh/sshd_config.d/40-broken.conf
        expect_rc 0 HC apply
        check_that "back to the test policy (sshd)" rules_are_wanted
else
        echo "# /usr/sbin/sshd is not installed: sshd's ports are not tested"
fi

# ---- traffic through a veth pair ----
for t in iptables-legacy ip6tables-legacy; do
        $t -P INPUT ACCEPT; $t -P FORWARD ACCEPT; $t -F; $t -X
done
ip netns add peer
traffic_cleanup() {
        ip netns pids peer 2>/dev/null | xargs -r kill 2>/dev/null
        ip netns del peer 2>/dev/null
        jobs -p | xargs -r kill 2>/dev/null
}
trap 'rc=$?; traffic_cleanup; (exit $rc); sandbox_leave' EXIT
ip link add veth0 type veth peer name veth1 netns peer
ip addr add 192.0.2.1/24 dev veth0
ip addr add 2001:db8::1/64 dev veth0 nodad
ip link set veth0 up
ip -n peer link set lo up
ip -n peer addr add 192.0.2.2/24 dev veth1
ip -n peer addr add 2001:db8::2/64 dev veth1 nodad
ip -n peer link set veth1 up

for p in 22 80 443 8080 3306 8081 8082 8083; do
        socat TCP6-LISTEN:$p,ipv6only=0,reuseaddr,fork SYSTEM:"echo tcp$p" 2>/dev/null &
done
for p in 1900 53; do
        socat UDP6-RECVFROM:$p,ipv6only=0,reuseaddr,fork SYSTEM:"echo udp$p" 2>/dev/null &
done
# every listener bound before the first probe (a loaded machine can take more than a moment)
for i in $(seq 50); do
        n=$(ss -Hlntu | grep -cE ':(22|80|443|8080|3306|8081|8082|8083|1900|53) ' || true)
        [ "$n" -ge 10 ] && break
        sleep 0.1
done

tcp_from_peer() { # HOST PORT
        [ "$(ip netns exec peer socat -T2 - "TCP:$1:$2,connect-timeout=1" </dev/null 2>/dev/null)" = "tcp$2" ]
}
udp_from_peer() { # HOST PORT
        # -t: after its stdin ends, socat still waits that long for the answer
        [ "$(echo x | ip netns exec peer socat -t2 -T2 - "UDP:$1:$2" 2>/dev/null)" = "udp$2" ]
}
udp_from_peer_retry() { # HOST PORT: a listener that is busy with the last datagram may miss one
        local i
        for i in 1 2 3 4 5; do udp_from_peer "$1" "$2" && return 0; sleep 0.2; done
        return 1
}
host_of() { [ "$1" = 4 ] && echo 192.0.2.1 || echo "[2001:db8::1]"; }
export -f tcp_from_peer udp_from_peer

# without the firewall every listener answers: the blocked results below mean something
for fam in 4 6; do
        h=$(host_of $fam)
        for p in 80 443 8080 3306 8081 8082 8083; do check_that "no firewall: tcp/$p over ipv$fam" tcp_from_peer "$h" $p; done
        for p in 1900 53; do check_that "no firewall: udp/$p over ipv$fam" udp_from_peer_retry "$h" $p; done
done

expect_rc 0 HC apply

# Other software's rules in INPUT, on both families: an ACCEPT behind our jump, one before it, a
# jump into a chain that accepts, a goto into a chain that jumps on into one that accepts; and
# harmless ones: loopback, a policy port, a fail2ban-like chain that only rejects and returns.
for IPT in iptables-legacy ip6tables-legacy; do
        if [ $IPT = iptables-legacy ]; then BAD=198.51.100.0/24; else BAD=2001:db8:bad::/48; fi
        $IPT -A INPUT -p tcp --dport 8080 -j ACCEPT
        $IPT -N FOREIGN
        $IPT -A FOREIGN -p tcp --dport 8081 -j ACCEPT
        $IPT -A INPUT -j FOREIGN
        $IPT -N NESTED
        $IPT -A NESTED -p tcp --dport 8082 -j ACCEPT
        $IPT -N OUTER
        $IPT -A OUTER -p tcp -j NESTED
        $IPT -A INPUT -p tcp -g OUTER
        $IPT -A INPUT -i lo -j ACCEPT
        $IPT -A INPUT -p tcp --dport 80 -j ACCEPT
        $IPT -N F2B
        $IPT -A F2B -s $BAD -j REJECT
        $IPT -A F2B -j RETURN
        $IPT -A INPUT -p tcp --dport 22 -j F2B
        $IPT -I INPUT 1 -p tcp --dport 3306 -j ACCEPT
done
expect_rc 1 HC check
for P in ipv4 ipv6; do
        check_that "$P foreign ACCEPT before our jump named" last_out_has "foreign-accept $P INPUT rule 1: tcp dpt:3306 ACCEPT"
        check_that "$P foreign ACCEPT behind our jump named" last_out_has "foreign-accept $P INPUT rule 3: tcp dpt:8080 ACCEPT"
        check_that "$P jump into an accepting chain named, with its path" \
                last_out_has "INPUT rule 4 -> FOREIGN rule 1: tcp dpt:8081 ACCEPT"
        check_that "$P goto into a chain that jumps into an accepting one named, with its path" \
                last_out_has "INPUT rule 5 (goto) -> OUTER rule 1 -> NESTED rule 1: tcp dpt:8082 ACCEPT"
        check_that "$P harmless ACCEPTs and the rejecting chain not reported" \
                bash -c "! grep -E 'foreign-accept $P INPUT rule (6|7|8):' '$SB/last.out'"
done
# the foreign ports answer now, through the foreign rules
for fam in 4 6; do
        h=$(host_of $fam)
        for p in 8080 3306 8081 8082; do check_that "foreign rules: tcp/$p open over ipv$fam before apply" tcp_from_peer "$h" $p; done
done
expect_rc 0 HC apply
check_that "apply lists each removed rule" test "$(grep -c 'removed a foreign rule from INPUT' "$SB/last.out")" = 8
sed -n 's/^ *\(ipv[46]: removed a foreign rule.*\)/# \1/p' "$SB/last.out"
expect_rc 0 HC check
for IPT in iptables-legacy ip6tables-legacy; do
        check_that "$IPT: the harmless rules stay" bash -c "$IPT -S INPUT | grep -qx -- '-A INPUT -i lo -j ACCEPT' &&
                $IPT -S INPUT | grep -qx -- '-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT' &&
                $IPT -S INPUT | grep -qx -- '-A INPUT -p tcp -m tcp --dport 22 -j F2B'"
        check_that "$IPT: the foreign chains stay, unreferenced" bash -c "$IPT -S FOREIGN | grep -q 8081 && $IPT -S NESTED | grep -q 8082"
        check_that "$IPT: the entry points are gone" bash -c "! $IPT -S INPUT | grep -qE -- '8080|3306|-j FOREIGN|-g OUTER'"
        check_that "$IPT: our jump is first" bash -c "$IPT -S INPUT | sed -n 2p | grep -qx -- '-A INPUT -j HARDEND-INPUT'"
done
ip -6 neigh flush all; ip -n peer -6 neigh flush all; ip neigh flush all; ip -n peer neigh flush all
check_that "ping over ipv4" ip netns exec peer ping -c1 -W2 192.0.2.1
check_that "ping over ipv6 (with neighbour discovery)" ip netns exec peer ping -6 -c1 -W2 2001:db8::1
for fam in 4 6; do
        h=$(host_of $fam)
        for p in 22 80 443; do check_that "allowed: tcp/$p over ipv$fam" tcp_from_peer "$h" $p; done
        for p in 8080 3306 8081 8082 8083; do check_that "dropped: tcp/$p over ipv$fam" bash -c "! tcp_from_peer '$h' $p"; done
        for p in 1900 53; do check_that "dropped: udp/$p over ipv$fam" bash -c "! udp_from_peer '$h' $p"; done
done 2>/dev/null

# the SSH rate limit: 3 new connections per source within 60 s; the first was made above
for fam in 4 6; do
        h=$(host_of $fam)
        check_that "ssh rate limit: 2nd connection over ipv$fam" tcp_from_peer "$h" 22
        check_that "ssh rate limit: 3rd connection over ipv$fam" tcp_from_peer "$h" 22
        check_that "ssh rate limit: 4th connection over ipv$fam dropped" bash -c "! tcp_from_peer '$h' 22"
        check_that "ssh rate limit: other ports still open over ipv$fam" tcp_from_peer "$h" 80
done


# ---- the backend: chosen by auto, and the move from the legacy tables to nftables and back ----
AUTO=$SB/auto.conf
sed '/^  backend = "iptables";$/d' "$CONF" >"$AUTO"
HA() { "$HARDENCTL" --config "$AUTO" --only firewall "$@"; }
# hardend's chains and jumps as wanted, whatever foreign chains the sections above left
ours_are_wanted() {
        [ "$(save4 | grep -e '^-A HARDEND-INPUT' -e '-j HARDEND-INPUT' -e '^:INPUT')" = "$(echo "$WANT4" | grep -e '^-A HARDEND-INPUT' -e '-j HARDEND-INPUT' -e '^:INPUT')" ] &&
        [ "$(save6 | grep -e '^-A HARDEND-INPUT' -e '-j HARDEND-INPUT' -e '^:INPUT')" = "$(echo "$WANT6" | grep -e '^-A HARDEND-INPUT' -e '-j HARDEND-INPUT' -e '^:INPUT')" ]
}
if command -v nft >/dev/null && readlink -f /usr/sbin/iptables | grep -q nft; then
        target=$(basename "$(readlink -f /usr/sbin/iptables)")
        expect_rc 1 HA check
        check_that "auto: the backend and why" last_out_has "firewall/backend nftables: auto: /usr/sbin/iptables is $target"
        check_that "auto: hardend's legacy rules are drift" last_out_has "firewall/other-backend iptables: expected no rules of hardend, actual hardend's rules, left from before it used nftables"
        expect_rc 0 HA apply
        check_that "auto: the nftables table is made before the legacy rules go" bash -c "
                c=\$(grep -n 'nftables: created table inet hardend' '$SB/last.out' | cut -d: -f1)
                r=\$(grep -n 'ipv4: removed HARDEND-INPUT' '$SB/last.out' | cut -d: -f1)
                [ -n \"\$c\" ] && [ -n \"\$r\" ] && [ \"\$c\" -lt \"\$r\" ]"
        check_that "auto: nftables holds hardend's rules" nft list table inet hardend
        for t in iptables-legacy ip6tables-legacy; do
                check_that "auto: $t has none of hardend's rules, INPUT ACCEPT" bash -c "! $t -S | grep -q HARDEND && $t -S INPUT | grep -qx -- '-P INPUT ACCEPT'"
                check_that "auto: $t keeps the foreign chains" bash -c "$t -S FOREIGN | grep -q 8081"
        done
        expect_rc 0 HA check
        expect_rc 0 HA status --json
        check_that "status --json names the backend" bash -c "grep -q '\"check\": \"backend\"' '$SB/last.out'"
        expect_rc 0 HC apply
        check_that "back to iptables: the legacy rules" ours_are_wanted
        check_that "back to iptables: the nftables table is gone" bash -c "! nft list table inet hardend 2>/dev/null"
        check_that "back to iptables: said so" last_out_has "nftables: removed table inet hardend"
        expect_rc 0 HC check
        # the admin selects iptables-legacy: auto follows (update-alternatives changes the sandbox's
        # private /etc and its copy of dpkg's alternatives database on /var, nothing of the host's)
        nft_alt=$(readlink /etc/alternatives/iptables)
        if update-alternatives --set iptables /usr/sbin/iptables-legacy >/dev/null; then
                expect_rc 0 HA check
                check_that "auto after update-alternatives --set iptables iptables-legacy: libiptc" \
                        last_out_has "firewall/backend iptables: auto: /usr/sbin/iptables is xtables-legacy-multi"
                expect_rc 0 HA apply
                check_that "auto on iptables-legacy: the legacy rules kept, no nftables table" \
                        bash -c "! nft list table inet hardend 2>/dev/null"
                update-alternatives --set iptables "$nft_alt" >/dev/null
                expect_rc 1 HA check
                check_that "auto after going back to $target: nftables again" \
                        last_out_has "firewall/backend nftables: auto: /usr/sbin/iptables is $target"
        else
                fail "update-alternatives --set iptables /usr/sbin/iptables-legacy in the sandbox"
        fi
else
        echo "# /usr/sbin/iptables is not the nftables variant here (or no nft): auto's move is not tested"
fi

# ---- forwarding on, nothing filtering it: reported, not fixed ----
sysctl -qw net.ipv4.ip_forward=1
expect_rc 1 HC check
check_that "forwarding without filtering is reported" last_out_has "firewall/forwarding ipv4 forwarding"
check_that "forwarding: report only" bash -c "grep -F 'firewall/forwarding' '$SB/last.out' | grep -qF '[report only]'"
iptables-legacy -P FORWARD DROP
expect_rc 0 HC check
check_that "forwarding filtered by the legacy FORWARD DROP: nothing said" bash -c "! grep -q 'firewall/forwarding' '$SB/last.out'"
iptables-legacy -P FORWARD ACCEPT
if command -v nft >/dev/null; then
        nft add table ip routed
        nft add chain ip routed passing '{ type filter hook forward priority 0; }'
        expect_rc 0 HC check
        check_that "forwarding filtered by an nftables forward chain: nothing said" bash -c "! grep -q 'firewall/forwarding' '$SB/last.out'"
        nft delete table ip routed
fi
sysctl -qw net.ipv4.ip_forward=0
expect_rc 0 HC check

# ---- forward_policy "drop" beside container bridges: a warning from validate and plan ----
mount -t sysfs sysfs /sys
expect_rc 0 "$HARDENCTL" validate "$FWD"
check_that "no bridge, no warning" bash -c "! grep -q warning '$SB/last.err'"
ip link add docker0 type bridge
ip link add virbr0 type bridge
expect_rc 0 "$HARDENCTL" validate "$FWD"
check_that "validate warns of the bridges" grep -qF "forward_policy = \"drop\" cuts off what is forwarded through docker0, virbr0" "$SB/last.err"
expect_rc 1 "$HARDENCTL" --config "$FWD" --only firewall plan
check_that "plan warns of the bridges" grep -qF "docker0, virbr0" "$SB/last.err"
expect_rc 0 "$HARDENCTL" validate "$CONF"
check_that "keep: no warning" bash -c "! grep -q warning '$SB/last.err'"
ip link del docker0
ip link del virbr0

finish
