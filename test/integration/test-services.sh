#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The services module for real, inside a network and mount namespace:
#  - listeners: real tcp/udp, v4/v6 sockets held by processes with distinct names; check reports
#    exactly the unexpected ones, with the right process names and pids;
#  - no system bus here: each listed unit is one unknown finding, and apply fails (exit 4) only
#    when the unit files show something to change;
#  - --root: an image tree with enablement links for rpcbind.service, rpcbind.socket and
#    cups.service; after apply none is enabled and each is masked; a second apply changes nothing.
. "$(dirname "$0")/sandbox.sh"
sandbox_enter "$@"
sandbox_live_root

CONF=$SB/hardend.conf
cat >"$CONF" <<'EOF'
version = 1;
services = {
  disable = [ "rpcbind.service", "rpcbind.socket", "cups.service" ];
  mask = true;
  listeners_allow = [ "tcp/22", "udp/68" ];
};
EOF

# ---- listeners ----

ip addr add 192.0.2.1/32 dev lo
ip addr add 2001:db8::1/128 dev lo nodad

# listen.py NAME PROTO FAMILY ADDR PORT READYFILE [connect ADDR PORT]: takes the name NAME (comm),
# binds (and for tcp listens, or for "connect" connects), then sleeps until killed.
cat >"$SB/listen.py" <<'EOF'
import socket, sys, time
name, proto, fam, addr, port, ready = sys.argv[1:7]
with open("/proc/self/comm", "w") as f:
    f.write(name)
family = socket.AF_INET6 if fam == "6" else socket.AF_INET
s = socket.socket(family, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
if fam == "6" and not addr.startswith("::ffff:"):
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
if proto == "tcp":
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if len(sys.argv) > 7:
    s.connect((sys.argv[8], int(sys.argv[9])))
else:
    s.bind((addr, int(port)))
    if proto == "tcp":
        s.listen(8)
open(ready, "w").close()
time.sleep(600)
EOF

PIDS=()
start() { # NAME PROTO FAMILY ADDR PORT [connect ADDR PORT]
        local ready=$SB/ready.$1.$2.$5
        python3 "$SB/listen.py" "$1" "$2" "$3" "$4" "$5" "$ready" "${@:6}" &
        PIDS+=($!)
        eval "PID_$1=$!"
        for _ in $(seq 100); do [ -e "$ready" ] && return 0; sleep 0.05; done
        echo "listener $1 did not start"; exit 1
}
stop_all() { local p; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap 'rc=$?; stop_all; (exit $rc); sandbox_leave' EXIT

start mysqld   tcp 4 0.0.0.0          3306
start memcache tcp 4 127.0.0.1        11211
start webv6    tcp 6 ::               8080
start mapped   tcp 6 ::ffff:192.0.2.1 80
start dnsd     udp 4 0.0.0.0          5353
start ntpd6    udp 6 ::               123
start loop6    udp 6 ::1              5000
start sshd     tcp 4 0.0.0.0          22
start dhclient udp 4 0.0.0.0          68
# not listeners: a tcp client connected to mysqld, a connected udp socket
start tcpcli   tcp 4 0 0 connect 127.0.0.1 3306
start udpcli   udp 4 0 0 connect 192.0.2.1 9

expect_rc 1 "$HARDENCTL" check --only services --json --config "$CONF"
cp "$SB/last.out" "$SB/check.json"

python3 - "$SB/check.json" >"$SB/listeners.got" <<'EOF'
import json, sys
for f in json.load(open(sys.argv[1]))["findings"]:
    if f["check"] == "listener":
        print(f"{f['subject']}|{f['actual']}|{f['severity']}|{f['kind']}|{f['fixable']}")
EOF
sort -o "$SB/listeners.got" "$SB/listeners.got"
sort >"$SB/listeners.want" <<EOF
tcp 0.0.0.0:3306|mysqld[$PID_mysqld]|medium|drift|False
tcp 127.0.0.1:11211|memcache[$PID_memcache]|low|drift|False
tcp [::]:8080|webv6[$PID_webv6]|medium|drift|False
tcp [::ffff:192.0.2.1]:80|mapped[$PID_mapped]|medium|drift|False
udp 0.0.0.0:5353|dnsd[$PID_dnsd]|medium|drift|False
udp [::]:123|ntpd6[$PID_ntpd6]|medium|drift|False
udp [::1]:5000|loop6[$PID_loop6]|low|drift|False
EOF
if diff -u "$SB/listeners.want" "$SB/listeners.got"; then
        pass "check reports exactly the unexpected listeners, with their processes"
else
        fail "listener findings differ (want/got above)"
fi

rc=0; "$HARDENCTL" check --only services --config "$CONF" >"$SB/check.txt" || rc=$?
check_that "check exits 1 on the unexpected listeners (got $rc)" [ "$rc" = 1 ]
check_that "text form names the socket and the process" \
        grep -q "services/listener tcp 0.0.0.0:3306: mysqld\[$PID_mysqld\]" "$SB/check.txt"

# ---- units without a system bus ----

python3 - "$SB/check.json" >"$SB/units.got" <<'EOF'
import json, sys
for f in json.load(open(sys.argv[1]))["findings"]:
    if f["check"].startswith("unit"):
        print(f"{f['check']}|{f['subject']}|{f['kind']}|{f['fixable']}")
EOF
cat >"$SB/units.want" <<'EOF'
unit-state|rpcbind.service|unknown|False
unit-state|rpcbind.socket|unknown|False
unit-state|cups.service|unknown|False
EOF
if diff -u "$SB/units.want" "$SB/units.got"; then
        pass "no system bus: each listed unit once, unknown"
else
        fail "unit findings without a bus differ"
fi
check_that "the unknown finding says why" grep -q '"actual": "systemd cannot be reached: ' "$SB/check.json"

# nothing installed: apply has nothing to change through the missing bus
expect_rc 0 "$HARDENCTL" apply --only services --config "$CONF"

# an enabled unit on disk (the sandbox's private /etc): apply must fail, and change nothing
mkdir -p /etc/systemd/system/multi-user.target.wants
printf '[Service]\nExecStart=/usr/sbin/cupsd -l\n[Install]\nWantedBy=multi-user.target\n' >/etc/systemd/system/cups.service
ln -sf /etc/systemd/system/cups.service /etc/systemd/system/multi-user.target.wants/cups.service
expect_rc 4 "$HARDENCTL" apply --only services --config "$CONF"
check_that "the failure names the unit and the reason" grep -q "cups.service: systemd cannot be reached" \
        "$SB/last.out" "$SB/last.err"
check_that "without systemd the unit files are left alone" \
        test -L /etc/systemd/system/multi-user.target.wants/cups.service

stop_all
trap 'sandbox_leave' EXIT

# ---- --root: an image tree ----

IMG=$SB/img
sandbox_image_root "$IMG"
U=$IMG/usr/lib/systemd/system
E=$IMG/etc/systemd/system
printf '[Unit]\nDescription=RPC bind portmap service\n[Service]\nExecStart=/sbin/rpcbind -f -w\n[Install]\nAlso=rpcbind.socket\nWantedBy=multi-user.target\n' >"$U/rpcbind.service"
printf '[Socket]\nListenStream=/run/rpcbind.sock\nListenStream=0.0.0.0:111\n[Install]\nWantedBy=sockets.target\n' >"$U/rpcbind.socket"
printf '[Service]\nExecStart=/usr/sbin/cupsd -l\n[Install]\nAlso=cups.socket cups.path\nAlias=printer.service\nWantedBy=multi-user.target printer.target\n' >"$U/cups.service"
printf '[Service]\nExecStart=/usr/sbin/sshd -D\n[Install]\nWantedBy=multi-user.target\n' >"$U/ssh.service"
mkdir -p "$E/multi-user.target.wants" "$E/sockets.target.wants" "$E/printer.target.wants"
ln -s /lib/systemd/system/rpcbind.service "$E/multi-user.target.wants/rpcbind.service"
ln -s /lib/systemd/system/rpcbind.socket "$E/sockets.target.wants/rpcbind.socket"
ln -s /lib/systemd/system/cups.service "$E/multi-user.target.wants/cups.service"
ln -s /lib/systemd/system/cups.service "$E/printer.target.wants/cups.service"
ln -s /lib/systemd/system/cups.service "$E/printer.service"
ln -s /lib/systemd/system/ssh.service "$E/multi-user.target.wants/ssh.service"

expect_rc 1 "$HARDENCTL" check --only services --root "$IMG" --config "$CONF"
check_that "listeners are not probed with --root, and it says so" grep -q "not probed with --root" "$SB/last.out"

expect_rc 0 "$HARDENCTL" apply --only services --root "$IMG" --config "$CONF" --json
check_that "first apply changed something" grep -q '"changed": true' "$SB/last.out"
enabled=$(find "$E" -path '*.wants/*' -o -path '*.requires/*' | grep -E 'rpcbind|cups' || true)
check_that "no enablement link is left ($enabled)" test -z "$enabled"
check_that "the Alias= link is gone" test ! -e "$E/printer.service" -a ! -L "$E/printer.service"
for u in rpcbind.service rpcbind.socket cups.service; do
        check_that "$u is masked" test "$(readlink "$E/$u")" = /dev/null
done
check_that "other units stay enabled" test -L "$E/multi-user.target.wants/ssh.service"
check_that "the vendor unit files are untouched" test -f "$U/cups.service" -a ! -L "$U/cups.service"

expect_rc 0 "$HARDENCTL" apply --only services --root "$IMG" --config "$CONF" --json
check_that "second apply changes nothing" grep -q '"changed": false' "$SB/last.out"
expect_rc 0 "$HARDENCTL" check --only services --root "$IMG" --config "$CONF"

finish
