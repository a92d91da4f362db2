#!/bin/bash
# The nftables backend of the firewall module against the real kernel, inside a fresh network
# namespace, driven through test/nft-backend: the table read back with nft, a second apply that
# sends nothing, drift found and repaired, traffic through a veth pair over IPv4 and IPv6, the SSH
# rate limit, IPv6 left alone, other tables untouched, foreign accepting chains reported, remove;
# then the same table through hardenctl (backend "nftables"): idempotence, drift, repair.
. "$(dirname "$0")/sandbox.sh"
sandbox_enter "$@"

require_programs nft socat ping ss
NFT_BACKEND=${NFT_BACKEND:-$(cd "$(dirname "$0")/../.." && pwd)/build/test/nft-backend}
[ -x "$NFT_BACKEND" ] || { echo "SKIP: $NFT_BACKEND is not built"; exit 77; }
if ! nft list tables >/dev/null 2>&1; then
        echo "SKIP: no nf_tables in this kernel"
        exit 77
fi

CONF=$SB/hardend.conf
cat >"$CONF" <<'CONF'
version = 1;
firewall = {
  forward_policy = "drop";
  allow = ( { port = 22; }, { port = 80; }, { port = 443; },
            { port = 8443; sources = [ "198.51.100.0/24", "2001:db8:1::/48" ]; } );
  ssh_rate_limit = { enable = true; hits = 3; seconds = 60; };
};
CONF
NB() { "$NFT_BACKEND" "$CONF" "$@"; }
last_out_has() { grep -qF -- "$1" "$SB/last.out"; }
last_err_has() { grep -qF -- "$1" "$SB/last.err"; }
no_change() { ! grep -q '^change:' "$SB/last.out"; }

# a table of the host's own, which hardend must leave exactly as it is
nft -f - <<'HOST'
table inet filter {
        chain input {
                type filter hook input priority 10; policy accept;
                tcp dport 9999 counter drop
        }
        chain output {
                type filter hook output priority 0; policy accept;
        }
}
HOST
HOST_TABLE=$(nft -a list table inet filter)

WANT='table inet hardend {
	set ssh4 {
		type ipv4_addr
		size 65535
		flags dynamic,timeout
		timeout 1m
	}

	set ssh6 {
		type ipv6_addr
		size 65535
		flags dynamic,timeout
		timeout 1m
	}

	chain input {
		type filter hook input priority filter; policy drop;
		iifname "lo" accept
		ct state established,related accept
		ct state invalid drop
		icmp type echo-request accept
		icmp type destination-unreachable accept
		icmp type time-exceeded accept
		tcp dport 22 ct state new update @ssh4 { ip saddr limit rate over 3/minute burst 3 packets } drop
		icmpv6 type destination-unreachable accept
		icmpv6 type packet-too-big accept
		icmpv6 type time-exceeded accept
		icmpv6 type parameter-problem accept
		icmpv6 type echo-request accept
		icmpv6 type nd-router-solicit accept
		icmpv6 type nd-router-advert accept
		icmpv6 type nd-neighbor-solicit accept
		icmpv6 type nd-neighbor-advert accept
		tcp dport 22 ct state new update @ssh6 { ip6 saddr limit rate over 3/minute burst 3 packets } drop
		tcp dport 22 accept
		tcp dport 80 accept
		tcp dport 443 accept
		ip saddr 198.51.100.0/24 tcp dport 8443 accept
		ip6 saddr 2001:db8:1::/48 tcp dport 8443 accept
	}

	chain forward {
		type filter hook forward priority filter; policy drop;
	}
}'
table_is_wanted() {
        local have
        have=$(nft -s list table inet hardend)
        [ "$have" = "$WANT" ] && return 0
        diff <(echo "$WANT") <(echo "$have") | sed 's/^/    /'
        return 1
}

# ---- apply, read back, idempotence ----
expect_rc 1 NB probe
check_that "probe: a missing table is drift" last_out_has "drift table nftables table inet hardend: expected present, actual missing"
expect_rc 0 NB installed
check_that "installed: no before apply" last_out_has "no"
expect_rc 0 NB apply
check_that "apply: created the table" last_out_has "change: nftables: created table inet hardend with 22 rules"
check_that "nft list table inet hardend shows the wanted table" table_is_wanted
expect_rc 0 NB probe
check_that "probe after apply: no drift" bash -c "! grep -q '^drift' '$SB/last.out'"
before=$(nft -a list ruleset)
expect_rc 0 NB apply
check_that "second apply: no change reported" no_change
check_that "second apply: the ruleset and its handles unchanged" test "$before" = "$(nft -a list ruleset)"
check_that "host table inet filter unchanged after apply" test "$HOST_TABLE" = "$(nft -a list table inet filter)"
expect_rc 0 NB installed
check_that "installed: yes after apply" last_out_has "yes"

# ---- drift: each found by probe, repaired by apply ----
handle_of() { nft -a list chain inet hardend input | grep -F -- "$1 # handle" | sed 's/.*# handle //'; }
drift_case() { # WHAT FINDING NFT-COMMAND...
        local what=$1 finding=$2; shift 2
        "$@"
        expect_rc 1 NB probe
        check_that "drift ($what) found" last_out_has "$finding"
        expect_rc 0 NB apply
        check_that "drift ($what): apply made the table anew" grep -qE "^change: nftables: (replaced|created) table inet hardend" "$SB/last.out"
        check_that "drift ($what): repaired" table_is_wanted
        expect_rc 0 NB probe
}
drift_case "rule deleted" "drift rule-missing nftables inet hardend input tcp dport 80 accept" \
        nft delete rule inet hardend input handle "$(handle_of 'tcp dport 80 accept')"
drift_case "accept rule added" "drift rule-extra nftables inet hardend input tcp dport 8080 accept" \
        nft add rule inet hardend input tcp dport 8080 accept
drift_case "rule replaced" "drift rule-changed nftables inet hardend input rule 20: expected tcp dport 443 accept, actual tcp dport 444 accept" \
        nft replace rule inet hardend input handle "$(handle_of 'tcp dport 443 accept')" tcp dport 444 accept
drift_case "chain policy accept" "drift chain-policy nftables inet hardend input: expected drop, actual accept" \
        nft chain inet hardend input '{ policy accept; }'
drift_case "forward chain deleted" "drift chain nftables inet hardend forward: expected present, actual missing" \
        nft delete chain inet hardend forward
drift_case "set timeout changed" "drift set nftables inet hardend set ssh4" \
        bash -c 'nft delete rule inet hardend input handle $(nft -a list chain inet hardend input | grep -F "@ssh4" | sed "s/.*# handle //") &&
                nft delete set inet hardend ssh4 && nft add set inet hardend ssh4 "{ type ipv4_addr; size 65535; flags dynamic,timeout; timeout 30s; }"'
drift_case "table deleted" "drift table nftables table inet hardend: expected present, actual missing" \
        nft delete table inet hardend

# ---- save and restore (what rollback uses) ----
expect_rc 0 NB save "$SB/saved.nft"
saved_view=$(nft -s list table inet hardend)
nft add rule inet hardend input tcp dport 7777 accept
nft chain inet hardend input '{ policy accept; }'
expect_rc 0 NB restore "$SB/saved.nft"
check_that "restore: the saved table is back" test "$saved_view" = "$(nft -s list table inet hardend)"
check_that "restore: host table inet filter untouched" test "$HOST_TABLE" = "$(nft -a list table inet filter)"
nft delete table inet hardend
expect_rc 0 NB save "$SB/none.nft"
check_that "save without the table: empty" test ! -s "$SB/none.nft"
expect_rc 0 NB apply
expect_rc 0 NB restore "$SB/none.nft"
check_that "restore of no table: the table is deleted" bash -c "! nft list tables | grep -q hardend"
expect_rc 0 NB apply

# ---- a foreign table whose input chain accepts: reported, not touched ----
nft -f - <<'OTHER'
table ip other {
        chain in {
                type filter hook input priority 0; policy accept;
                tcp dport 8080 accept
        }
}
OTHER
OTHER_TABLE=$(nft -a list table ip other)
expect_rc 0 NB probe
check_that "foreign accepting chain reported" last_out_has "info foreign-accept nftables ip other in: tcp dport 8080 accept (handle 2)"
check_that "the host's drop-only chain not reported" bash -c "! grep -q 'foreign-accept nftables inet filter' '$SB/last.out'"
expect_rc 0 NB apply
check_that "apply leaves the foreign table alone" test "$OTHER_TABLE" = "$(nft -a list table ip other)"

# ---- traffic through a veth pair ----
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
ip -n peer addr add 192.0.2.3/24 dev veth1
ip -n peer addr add 2001:db8::2/64 dev veth1 nodad
ip -n peer addr add 2001:db8::3/64 dev veth1 nodad
ip -n peer link set veth1 up
PORTS="22 80 443 8443 8080 3306"
for p in $PORTS; do
        socat TCP6-LISTEN:$p,ipv6only=0,reuseaddr,fork SYSTEM:"echo tcp$p" 2>/dev/null &
done
socat UDP6-RECVFROM:53,ipv6only=0,reuseaddr,fork SYSTEM:"echo udp53" 2>/dev/null &
for i in $(seq 50); do
        [ "$(ss -Hlntu | grep -cE ':(22|80|443|8443|8080|3306|53) ' || true)" -ge 7 ] && break
        sleep 0.1
done
tcp_from_peer() { # HOST PORT [SOURCE]
        [ "$(ip netns exec peer socat -T2 - "TCP:$1:$2,connect-timeout=1${3:+,bind=$3}" </dev/null 2>/dev/null)" = "tcp$2" ]
}
udp_from_peer() { [ "$(echo x | ip netns exec peer socat -t2 -T2 - "UDP:$1:$2" 2>/dev/null)" = "udp$2" ]; }
udp_from_peer_retry() { local i; for i in 1 2 3 4 5; do udp_from_peer "$1" "$2" && return 0; sleep 0.2; done; return 1; }
host_of() { [ "$1" = 4 ] && echo 192.0.2.1 || echo "[2001:db8::1]"; }
src_of() { [ "$1" = 4 ] && echo "192.0.2.$2" || echo "[2001:db8::$2]"; }
export -f tcp_from_peer udp_from_peer

expect_rc 0 NB remove
for fam in 4 6; do
        h=$(host_of $fam)
        check_that "no table: tcp/3306 open over ipv$fam" tcp_from_peer "$h" 3306
        check_that "no table: udp/53 open over ipv$fam" udp_from_peer_retry "$h" 53
done
expect_rc 0 NB apply
check_that "ping over ipv4" bash -c "ip netns exec peer ping -q -c1 -W2 192.0.2.1 >/dev/null"
check_that "ping over ipv6 (with neighbour discovery)" bash -c "ip netns exec peer ping -q -6 -c1 -W2 2001:db8::1 >/dev/null"
for fam in 4 6; do
        h=$(host_of $fam)
        for p in 80 443; do check_that "allowed: tcp/$p over ipv$fam" tcp_from_peer "$h" $p; done
        for p in 8080 3306 8443; do check_that "dropped: tcp/$p over ipv$fam" bash -c "! tcp_from_peer '$h' $p"; done
        check_that "dropped: udp/53 over ipv$fam" bash -c "! udp_from_peer '$h' 53"
done 2>/dev/null

# the SSH rate limit: 3 new connections per source within 60 s, the 4th dropped; another source passes
for fam in 4 6; do
        h=$(host_of $fam) s=$(src_of $fam 2)
        for n in 1 2 3; do check_that "ssh rate limit: connection $n over ipv$fam passes" tcp_from_peer "$h" 22 "$s"; done
        check_that "ssh rate limit: connection 4 over ipv$fam dropped" bash -c "! tcp_from_peer '$h' 22 '$s'"
        check_that "ssh rate limit: another source over ipv$fam passes" tcp_from_peer "$h" 22 "$(src_of $fam 3)"
        check_that "ssh rate limit: other ports still open over ipv$fam" tcp_from_peer "$h" 80 "$s"
done
expect_rc 0 NB apply
check_that "apply after traffic (set elements): no change" no_change

# ---- IPv6 left alone: table ip hardend ----
sed -i 's/^firewall = {/firewall = { ipv6 = false;/; s/, "2001:db8:1::\/48"//' "$CONF"
expect_rc 0 NB apply
check_that "ipv6 off: table ip hardend created" last_out_has "change: nftables: created table ip hardend with"
check_that "ipv6 off: table inet hardend removed" last_out_has "change: nftables: removed table inet hardend"
check_that "ipv6 off: only table ip hardend" test "$(nft list tables | grep hardend)" = "table ip hardend"
check_that "ipv6 off: tcp/3306 dropped over ipv4" bash -c "! tcp_from_peer 192.0.2.1 3306" 2>/dev/null
check_that "ipv6 off: tcp/3306 open over ipv6" tcp_from_peer "[2001:db8::1]" 3306
check_that "ipv6 off: udp/53 open over ipv6" udp_from_peer_retry "[2001:db8::1]" 53
expect_rc 0 NB apply
check_that "ipv6 off: second apply no change" no_change
expect_rc 0 NB probe
check_that "ipv6 off: probe after apply no drift" bash -c "! grep -q '^drift' '$SB/last.out'"

# ---- remove ----
expect_rc 0 NB remove
check_that "remove: recorded" last_out_has "change: nftables: removed table ip hardend"
check_that "remove: no hardend table left" bash -c "! nft list tables | grep -q hardend"
check_that "host table inet filter unchanged after apply and remove" test "$HOST_TABLE" = "$(nft -a list table inet filter)"
expect_rc 0 NB remove
check_that "remove again: nothing to do" no_change

# bad input: a policy that does not load changes nothing
echo 'version = 1; firewall = { allow = 5; };' >"$SB/bad.conf"
expect_rc 2 "$NFT_BACKEND" "$SB/bad.conf" apply
check_that "bad policy: no table made" bash -c "! nft list tables | grep -q hardend"

# ---- the same through hardenctl: backend "nftables", the table, idempotence, drift and repair ----
HCONF=$SB/hardenctl.conf
cat >"$HCONF" <<'CONF'
version = 1;
firewall = {
  backend = "nftables";
  forward_policy = "drop";
  allow = ( { port = 22; }, { port = 80; }, { port = 443; },
            { port = 8443; sources = [ "198.51.100.0/24", "2001:db8:1::/48" ]; } );
  ssh_rate_limit = { enable = true; hits = 3; seconds = 60; };
};
CONF
HC() { "$HARDENCTL" --config "$HCONF" --only firewall "$@"; }
expect_rc 1 HC check
check_that "hardenctl check: the backend and why" last_out_has 'firewall/backend nftables: firewall.backend = "nftables"'
check_that "hardenctl check: a missing table is drift" last_out_has "firewall/table nftables table inet hardend: expected present, actual missing"
expect_rc 0 HC apply
check_that "hardenctl apply: created the table" last_out_has "nftables: created table inet hardend with 22 rules"
check_that "hardenctl apply: nft list table inet hardend shows the wanted table" table_is_wanted
before=$(nft -a list ruleset)
expect_rc 0 HC apply
check_that "hardenctl apply again: nothing to do" grep -qx "firewall  nothing to do" "$SB/last.out"
check_that "hardenctl apply again: the ruleset and its handles unchanged" test "$before" = "$(nft -a list ruleset)"
expect_rc 0 HC check
hc_drift() { # WHAT FINDING NFT-COMMAND...
        local what=$1 finding=$2; shift 2
        "$@"
        expect_rc 1 HC check
        check_that "hardenctl: drift ($what) found" last_out_has "$finding"
        expect_rc 0 HC apply
        check_that "hardenctl: drift ($what) repaired" table_is_wanted
        expect_rc 0 HC check
}
hc_drift "accept rule inserted" "firewall/rule-extra nftables inet hardend input tcp dport 3306 accept" \
        nft insert rule inet hardend input tcp dport 3306 accept
hc_drift "rule deleted" "firewall/rule-missing nftables inet hardend input tcp dport 443 accept" \
        nft delete rule inet hardend input handle "$(handle_of 'tcp dport 443 accept')"
hc_drift "chain policy accept" "firewall/chain-policy nftables inet hardend input: expected drop, actual accept" \
        nft chain inet hardend input '{ policy accept; }'
hc_drift "table deleted" "firewall/table nftables table inet hardend: expected present, actual missing" \
        nft delete table inet hardend
check_that "hardenctl: the host table inet filter unchanged" test "$HOST_TABLE" = "$(nft -a list table inet filter)"
# ---- a probe that found the table exactly as wanted keeps the ruleset's generation: while no
# transaction was committed (in any table) and the wanted table is the same, the next probe takes
# that word and reads nothing ----
V=/run/hardend/nft-verified
expect_rc 0 HC check
check_that "verified: kept in $V, 0600 root" [ "$(stat -c '%a %U' "$V" 2>&1)" = "600 root" ]
check_that "verified: its key names boot, namespace, generation and the wanted table" \
        bash -c "head -n 1 '$V' | grep -qE '^boot [0-9a-f-]+ netns [0-9]+ generation [0-9]+ table inet want sha256:[0-9a-f]{64}\$'"
sed 's/{ port = 443; },/{ port = 443; }, { port = 444; },/' "$HCONF" >"$SB/more.conf"
expect_rc 1 "$HARDENCTL" --config "$SB/more.conf" --only firewall check
check_that "verified: another policy on the same ruleset still finds its missing rule" \
        last_out_has "firewall/rule-missing nftables inet hardend input tcp dport 444 accept"
expect_rc 0 "$HARDENCTL" --config "$SB/more.conf" --only firewall apply
cp "$V" "$SB/more.verified"
digest() { head -n 1 "$1" | sed 's/.* want //'; }
expect_rc 0 HC apply
check_that "verified: after apply, the read-back kept this policy's table" test "$(digest "$V")" != "$(digest "$SB/more.verified")"
check_that "verified: and the foreign accepting chain beside it" grep -qF 'tcp dport 8080 accept' "$V"
expect_rc 0 HC check
check_that "verified: a probe taking the kept word reports the foreign chain all the same" \
        last_out_has "nftables ip other in: tcp dport 8080 accept"
stamp=$(head -n 1 "$V" | sed 's/ table .*//')
{ echo "$stamp table inet want $(digest "$SB/more.verified")"; tail -n +2 "$SB/more.verified"; } >"$SB/forged"
install -m 0600 "$SB/forged" "$V"
expect_rc 0 "$HARDENCTL" --config "$SB/more.conf" --only firewall check
check_that "verified: a kept line of ours is taken at its word (the ruleset is not read)" \
        bash -c "! grep -q 'rule-missing' '$SB/last.out'"
chmod 0644 "$V"
expect_rc 1 "$HARDENCTL" --config "$SB/more.conf" --only firewall check
check_that "verified: a kept line others could have written is not believed" \
        last_out_has "firewall/rule-missing nftables inet hardend input tcp dport 444 accept"
install -m 0600 "$SB/forged" "$V"
nft add table inet scratch && nft delete table inet scratch
expect_rc 1 "$HARDENCTL" --config "$SB/more.conf" --only firewall check
check_that "verified: any transaction since (another table's, undone) makes the probe read again" \
        last_out_has "firewall/rule-missing nftables inet hardend input tcp dport 444 accept"
expect_rc 0 HC check
# anti-lockout on nftables: the client of this SSH session would not get back in
cat >"$SB/lockout.conf" <<'CONF'
version = 1;
firewall = {
  backend = "nftables";
  allow = ( { port = 22; sources = [ "198.51.100.0/24", "2001:db8:1::/48" ]; } );
};
CONF
before=$(nft -a list ruleset)
expect_rc 3 env SSH_CONNECTION="192.0.2.50 50000 192.0.2.1 22" "$HARDENCTL" --config "$SB/lockout.conf" --only firewall apply
check_that "anti-lockout: the refusal names the client" last_err_has "192.0.2.50"
check_that "anti-lockout: nothing changed in the ruleset" test "$before" = "$(nft -a list ruleset)"
expect_rc 0 env SSH_CONNECTION="198.51.100.7 50000 192.0.2.1 22" "$HARDENCTL" --config "$SB/lockout.conf" --only firewall apply
check_that "anti-lockout: a client the policy lets in may apply" \
        bash -c "nft list chain inet hardend input | grep -qF 'ip saddr 198.51.100.0/24 tcp dport 22 accept'"
echo 'version = 1; firewall = { backend = "nftable"; };' >"$SB/badname.conf"
expect_rc 2 "$HARDENCTL" --config "$SB/badname.conf" --only firewall apply
check_that "an unknown backend name: the error names file and line" last_err_has "$SB/badname.conf:1:"

finish
