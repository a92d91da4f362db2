#!/bin/bash
# hardend beside other software's packet filtering, on both backends: a Docker-style host
# (iptables-nft rules: FORWARD policy DROP plus ACCEPT for the bridge, ip_forward=1, a DNAT'd
# published port, masquerading) keeps forwarding and its published port after hardenctl apply, and
# a host's own "table inet filter" is kept byte for byte. Real traffic from a client namespace and a
# "container" namespace behind a bridge. Switching backend leaves exactly one hardend ruleset.
. "$(dirname "$0")/sandbox.sh"
sandbox_enter "$@"
sandbox_live_root

require_programs iptables-nft iptables-legacy-save nft socat

ip netns add client
ip netns add ctr
# (set -e holds in the EXIT trap too: a listener that is gone already must not change the status)
coexist_cleanup() {
        local ns
        for ns in client ctr; do
                ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null || :
                ip netns del $ns 2>/dev/null || :
        done
        jobs -p | xargs -r kill 2>/dev/null || :
}
trap 'rc=$?; coexist_cleanup; (exit $rc); sandbox_leave' EXIT

# the client's side: 192.0.2.0/24 and 2001:db8::/64
ip link add c0 type veth peer name c1 netns client
ip addr add 192.0.2.1/24 dev c0
ip addr add 2001:db8::1/64 dev c0 nodad
ip link set c0 up
ip -n client link set lo up
ip -n client addr add 192.0.2.2/24 dev c1
ip -n client addr add 2001:db8::2/64 dev c1 nodad
ip -n client link set c1 up
# the container's side: a bridge, as Docker makes it
ip link add docker0 type bridge
ip addr add 198.51.100.1/24 dev docker0
ip link set docker0 up
ip link add k0 type veth peer name k1 netns ctr
ip link set k0 master docker0
ip link set k0 up
ip -n ctr link set lo up
ip -n ctr addr add 198.51.100.2/24 dev k1
ip -n ctr link set k1 up
ip -n ctr route add default via 198.51.100.1
sysctl -qw net.ipv4.ip_forward=1

# Docker's rules, through iptables-nft (they live in nftables' "ip filter" and "ip nat" tables)
iptables-nft -P FORWARD DROP
iptables-nft -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables-nft -A FORWARD -i docker0 ! -o docker0 -j ACCEPT
iptables-nft -A FORWARD -o docker0 -d 198.51.100.2/32 -p tcp --dport 80 -j ACCEPT
iptables-nft -t nat -A PREROUTING -d 192.0.2.1/32 -p tcp --dport 8080 -j DNAT --to-destination 198.51.100.2:80
iptables-nft -t nat -A POSTROUTING -s 198.51.100.0/24 ! -o docker0 -j MASQUERADE
# the host's own nftables table
nft -f - <<'EOF'
table inet filter {
        set blocked {
                type ipv4_addr
                elements = { 203.0.113.9 }
        }
        chain host_forward {
                type filter hook forward priority 10; policy accept;
                ip saddr @blocked drop
        }
        chain host_output {
                type filter hook output priority 0; policy accept;
                tcp dport 25 reject
        }
}
EOF
host_table() { nft -s list table inet filter; }
HOST_TABLE=$(host_table)

# the published port: the container's web server, reached as 192.0.2.1:8080
ip netns exec ctr socat TCP-LISTEN:80,reuseaddr,fork SYSTEM:"echo ctr80" 2>/dev/null &
# a server on the client that the container reaches out to (forwarded, masqueraded)
ip netns exec client socat TCP-LISTEN:9000,reuseaddr,fork SYSTEM:"echo client9000" 2>/dev/null &
# services of the host itself
for p in 22 3306; do
        socat TCP6-LISTEN:$p,ipv6only=0,reuseaddr,fork SYSTEM:"echo tcp$p" 2>/dev/null &
done
for i in $(seq 50); do
        [ "$(ss -Hlnt | grep -cE ':(22|3306) ')" -ge 2 ] &&
                [ "$(ip netns exec ctr ss -Hlnt | grep -c ':80 ')" -ge 1 ] &&
                [ "$(ip netns exec client ss -Hlnt | grep -c ':9000 ')" -ge 1 ] && break
        sleep 0.1
done

from_client() { [ "$(ip netns exec client socat -T2 - "TCP:$1:$2,connect-timeout=1" </dev/null 2>/dev/null)" = "$3" ]; }
from_ctr() { [ "$(ip netns exec ctr socat -T2 - "TCP:$1:$2,connect-timeout=1" </dev/null 2>/dev/null)" = "$3" ]; }

check_that "before: the published port 192.0.2.1:8080 reaches the container" from_client 192.0.2.1 8080 ctr80
check_that "before: the container reaches the client (forwarded, masqueraded)" from_ctr 192.0.2.2 9000 client9000
check_that "before: the host's tcp/3306 is open (no firewall yet)" from_client 192.0.2.1 3306 tcp3306

CONF=$SB/hardend.conf
legacy_chain() { iptables-legacy-save -t filter 2>/dev/null | grep -c '^:HARDEND-INPUT' || true; }
nft_table() { nft list tables | grep -c '^table inet hardend$' || true; }

for backend in nftables iptables nftables; do
        cat >"$CONF" <<EOF
version = 1;
firewall = {
  backend = "$backend";
  allow = ( { port = 22; } );
};
EOF
        echo "=== backend $backend"
        expect_rc 0 "$HARDENCTL" --config "$CONF" --only firewall apply
        check_that "$backend: the published port still reaches the container" from_client 192.0.2.1 8080 ctr80
        check_that "$backend: the container still reaches the client" from_ctr 192.0.2.2 9000 client9000
        check_that "$backend: tcp/22 is let in" from_client 192.0.2.1 22 tcp22
        check_that "$backend: tcp/3306 is dropped now" eval '! from_client 192.0.2.1 3306 tcp3306'
        check_that "$backend: the host's table inet filter is byte for byte as it was" \
                test "$(host_table)" = "$HOST_TABLE"
        check_that "$backend: Docker's FORWARD policy DROP and its rules are kept" \
                eval 'iptables-nft -S FORWARD | grep -qx -- "-P FORWARD DROP" &&
                      [ "$(iptables-nft -S FORWARD | grep -c -- "-A FORWARD")" = 3 ]'
        check_that "$backend: the DNAT rule is kept" \
                eval 'iptables-nft -t nat -S PREROUTING | grep -q -- "--to-destination 198.51.100.2:80"'
        if [ $backend = nftables ]; then
                check_that "$backend: exactly one hardend ruleset (table inet hardend, no legacy chain)" \
                        test "$(nft_table)/$(legacy_chain)" = 1/0
        else
                check_that "$backend: exactly one hardend ruleset (the legacy chain, no table inet hardend)" \
                        test "$(nft_table)/$(legacy_chain)" = 0/1
                check_that "$backend: the legacy FORWARD policy is left as it was (forward_policy keep)" \
                        eval 'iptables-legacy-save -t filter | grep -qx ":FORWARD ACCEPT \[[0-9]*:[0-9]*\]"'
        fi
        expect_rc 0 "$HARDENCTL" --config "$CONF" --only firewall check
done

# forward_policy = "drop" is the admin's choice, with its consequence, on request only
cat >"$CONF" <<'EOF'
version = 1;
firewall = {
  backend = "nftables";
  forward_policy = "drop";
  allow = ( { port = 22; } );
};
EOF
expect_rc 1 "$HARDENCTL" --config "$CONF" --only firewall plan # changes to make: exit 1
check_that "plan warns that forward_policy drop cuts off the bridge docker0" \
        grep -q "docker0" "$SB/last.out" "$SB/last.err"

finish
