#!/bin/bash
# Socket-activated sshd: with ssh.socket enabled at the root (instead of ssh.service), the socket's
# ListenStream= (its unit file, its drop-ins, the generator's drop-in) is where sshd listens, not
# sshd_config's Port. The firewall's SSH allow and its anti-lockout check judge by that port; the
# ssh module says the socket's port wins over its drop-in's Port; status tells how sshd is started.
. "$(dirname "$0")/sandbox.sh"
sandbox_enter "$@"
sandbox_live_root

require_programs iptables-legacy-save ip6tables-legacy-save ss
[ -f /lib/systemd/system/ssh.socket ] || [ -f /usr/lib/systemd/system/ssh.socket ] || {
        echo "SKIP: the system has no ssh.socket (Debian package openssh-server)"
        exit 77
}
SOCKET_UNIT=$(ls /usr/lib/systemd/system/ssh.socket /lib/systemd/system/ssh.socket 2>/dev/null | head -n1)

save4() { iptables-legacy-save | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]/[0:0]/'; }
save6() { ip6tables-legacy-save | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]/[0:0]/'; }
flush_all() { for t in iptables-legacy ip6tables-legacy; do $t -P INPUT ACCEPT; $t -P FORWARD ACCEPT; $t -F; $t -X; done; }
last_out_has() { grep -qF -- "$1" "$SB/last.out"; }
last_err_has() { grep -qF -- "$1" "$SB/last.err"; }

policy() { # FILE PORTS...: the firewall letting exactly these TCP ports in
        local f=$1 allow="" p; shift
        for p in "$@"; do allow="$allow${allow:+, }{ port = $p; }"; done
        # the ssh module off: its ssh.port is neither required in firewall.allow nor planned
        printf 'version = 1;\nfirewall = {\n  backend = "iptables";\n  allow = ( %s );\n};\nssh = { enable = false; };\n' \
                "$allow" >"$f"
}
ALLOW22=$SB/allow-22.conf ALLOW2222=$SB/allow-2222.conf ALLOW2200=$SB/allow-2200.conf
policy "$ALLOW22" 22
policy "$ALLOW2222" 2222
policy "$ALLOW2200" 2200

# sshd_config says Port 22 (Debian's stock file): the socket below says otherwise
mkdir -p /etc/ssh/sshd_config.d /run/sshd
rm -f /etc/ssh/sshd_config.d/*.conf
WANTS=/etc/systemd/system/sockets.target.wants
SERVICE_LINK=/etc/systemd/system/multi-user.target.wants/ssh.service
rm -f "$SERVICE_LINK" /etc/systemd/system/sshd.service
mkdir -p "$WANTS" /etc/systemd/system/ssh.socket.d
ln -sf "$SOCKET_UNIT" "$WANTS/ssh.socket"
printf '[Socket]\nListenStream=\nListenStream=2222\n' >/etc/systemd/system/ssh.socket.d/50-port.conf

# a real socket on 2222 held by a socket activator, not by an sshd process (as systemd holds it)
ACTIVATOR_PID=
if command -v systemd-socket-activate >/dev/null && [ -x /usr/sbin/sshd ]; then
        systemd-socket-activate -l 2222 --inetd -a /usr/sbin/sshd -i >"$SB/activator.log" 2>&1 &
        ACTIVATOR_PID=$!
        trap 'rc=$?; kill "$ACTIVATOR_PID" 2>/dev/null || true; (exit $rc); sandbox_leave' EXIT
        wait_for 5 bash -c "ss -Hlnt | grep -q ':2222 '" || fail "the socket activator did not listen on 2222"
fi

# ---- status: socket or service, which unit, the ports ----
expect_rc 1 "$HARDENCTL" --config "$ALLOW2222" --only firewall status
check_that "status: socket-activated by ssh.socket on 2222" last_out_has "sshd:       socket-activated by ssh.socket, listening on 2222"
expect_rc 1 "$HARDENCTL" --config "$ALLOW2222" --only firewall --json status
check_that "status --json: started_by socket, ssh.socket, port 2222 (both families)" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["sshd"]
assert s["started_by"] == "socket" and s["unit"] == "ssh.socket", s
assert [(p["port"], p["family"], p["listen_stream"]) for p in s["ports"]] == [(2222, "both", "2222")], s
assert s["unit_files"][-1] == "/etc/systemd/system/ssh.socket.d/50-port.conf", s
' "$SB/last.out"
SRC=${TEST_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
if python3 "$SRC/test/validate-json.py" "$SRC/test/status.schema.json" "$SB/last.out" 2>"$SB/validate.err"; then
        pass "status --json (socket) matches test/status.schema.json ($(tail -1 "$SB/validate.err"))"
else
        fail "status --json (socket) does not match the schema"; sed 's/^/    /' "$SB/validate.err"
fi

# ---- anti-lockout by the socket's port ----
flush_all
before=$(save4; save6)
expect_rc 3 "$HARDENCTL" --config "$ALLOW22" --only firewall apply
check_that "refused: the socket's 2222 is not let in" last_err_has "sshd listens on port 2222 (ListenStream= of ssh.socket), but firewall.allow does not let tcp/2222 in"
check_that "the refusal says to change the socket's ListenStream=" last_err_has "or change the socket unit's ListenStream="
check_that "sshd_config's Port 22 is not what it judges by" bash -c '! grep -qF "(sshd -T)" "$1"' _ "$SB/last.err"
check_that "refused: nothing changed" test "$before" = "$(save4; save6)"
expect_rc 1 "$HARDENCTL" --config "$ALLOW22" --only firewall check
check_that "check names the socket's port (ipv4)" last_out_has "ssh-port ipv4 tcp/2222"
check_that "check names the socket's port (ipv6)" last_out_has "ssh-port ipv6 tcp/2222"

# 2222 let in and 22 not: sshd -T says Port 22, but a socket-activated sshd does not listen there
expect_rc 0 "$HARDENCTL" --config "$ALLOW2222" --only firewall apply
for t in iptables-legacy-save ip6tables-legacy-save; do
        check_that "$t: the socket's port 2222 is allowed" bash -c "$t | grep -q -- '-A HARDEND-INPUT -p tcp -m tcp --dport 2222 -j ACCEPT'"
        check_that "$t: and rate limited as sshd's" bash -c "$t | grep -q -- '--dport 2222 -m conntrack --ctstate NEW -m recent --update'"
done
expect_rc 0 "$HARDENCTL" --config "$ALLOW2222" --only firewall check

# with the ssh module: its drop-in's Port 2201 (let in over IPv4 only) does not move the socket, and
# is not judged by; as with ssh.service (below) it is
FULL=$SB/full.conf
printf 'version = 1;\nfirewall = { backend = "iptables"; allow = ( { port = 2222; }, { port = 2201; sources = [ "192.0.2.0/24" ]; } ); };\nssh = { port = 2201; };\n' >"$FULL"
expect_rc 1 "$HARDENCTL" --config "$FULL" --only firewall,ssh check
check_that "ssh says the socket's port wins over Port" last_out_has "ssh.socket starts sshd and listens on 2222 (ListenStream=): the socket's port wins over the drop-in's Port 2201"
check_that "socket: no ssh-port drift for the drop-in's Port 2201" bash -c '! grep -q "ssh-port ipv6 tcp/2201" "$1"' _ "$SB/last.out"

# with sshd-socket-generator installed (Debian 13) the socket follows Port at the next boot: the
# drop-in's 2201 is judged by (a tmpfs over the generator directory, in this mount namespace only)
GENDIR=/usr/lib/systemd/system-generators
mkdir -p "$SB/generators"
[ -d "$GENDIR" ] && cp -a "$GENDIR/." "$SB/generators/"
printf '#!/bin/sh\nexit 0\n' >"$SB/generators/sshd-socket-generator"
chmod 0755 "$SB/generators/sshd-socket-generator"
mount --bind "$SB/generators" "$GENDIR"
expect_rc 1 "$HARDENCTL" --config "$FULL" --only firewall,ssh check
check_that "generator: the drop-in's Port 2201 is judged by" last_out_has "ssh-port ipv6 tcp/2201"
check_that "generator: ssh says the socket follows Port at the next boot" last_out_has "sshd-socket-generator makes the socket follow Port at the next boot"
expect_rc 3 "$HARDENCTL" --config "$FULL" --only firewall,ssh apply
check_that "generator: the refusal says why 2201 counts" last_err_has "sshd-socket-generator makes ssh.socket listen on at the next boot"
expect_rc 0 "$HARDENCTL" --config "$ALLOW2222" --only firewall status
check_that "status: the generator sets the socket's ports" last_out_has "(sshd-socket-generator sets them from sshd_config at boot)"
umount "$GENDIR"

# ---- the generator's drop-in (Debian 13: sshd_config's Port/ListenAddress) resets the list ----
mkdir -p /run/systemd/generator/ssh.socket.d
printf '[Socket]\nListenStream=\nListenStream=0.0.0.0:2200\nListenStream=[::]:2200\n' \
        >/run/systemd/generator/ssh.socket.d/addresses.conf
# sorted by name, "addresses.conf" comes after "50-port.conf": the generator's list wins
expect_rc 3 "$HARDENCTL" --config "$ALLOW2222" --only firewall apply
check_that "the generator's 0.0.0.0:2200 counts" last_err_has "sshd listens on 0.0.0.0:2200 (ListenStream= of ssh.socket)"
check_that "the generator's reset drops 2222" bash -c '! grep -qF "tcp/2222" "$1"' _ "$SB/last.err"
expect_rc 0 "$HARDENCTL" --config "$ALLOW2200" --only firewall apply
check_that "2200 allowed" bash -c "iptables-legacy-save | grep -q -- '--dport 2200 -j ACCEPT'"
rm -r /run/systemd/generator

# ---- back to ssh.service: sshd -T's Port 22 is what counts again ----
rm "$WANTS/ssh.socket"
ln -s /lib/systemd/system/ssh.service "$SERVICE_LINK"
expect_rc 1 "$HARDENCTL" --config "$ALLOW22" --only firewall status
check_that "status: started by ssh.service" last_out_has "sshd:       started by ssh.service"
expect_rc 1 "$HARDENCTL" --config "$FULL" --only firewall,ssh check
check_that "service: the drop-in's Port 2201 is judged by" last_out_has "ssh-port ipv6 tcp/2201"
check_that "service: no socket-port note" bash -c '! grep -qF "ssh/socket-port" "$1"' _ "$SB/last.out"
if [ -x /usr/sbin/sshd ]; then
        expect_rc 3 "$HARDENCTL" --config "$ALLOW2222" --only firewall apply
        check_that "service: sshd -T's port 22 must be let in" last_err_has "(sshd -T), but firewall.allow does not let tcp/22 in"
fi
expect_rc 0 "$HARDENCTL" --config "$ALLOW22" --only firewall apply

finish
