#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The units pass systemd-analyze verify, and the watcher's sandbox keeps its exposure at most 4.0.
# Usage: test-units.sh BUILD_UNITS_DIR HARDEND_BINARY
set -euo pipefail

units=$1
hardend=$2
if ! command -v systemd-analyze >/dev/null; then
        echo "SKIP: systemd-analyze is not installed (Debian package systemd)"
        exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

# the built units name the installed binary; point them at the built one
for f in "$units"/*.service; do
        sed "s|^\(Exec[A-Za-z]*=\)[^ ]*/hardend\b|\1$hardend|" "$f" >"$tmp/$(basename "$f")"
done
n=$(ls "$tmp"/*.service | wc -l)
if [ "$n" != 3 ]; then
        echo "not ok - expected 3 units, found $n"
        failures=$((failures + 1))
fi

if out=$(systemd-analyze verify --man=no "$tmp"/*.service 2>&1) && [ -z "$out" ]; then
        echo "ok - systemd-analyze verify: $(cd "$tmp" && echo *.service)"
else
        echo "not ok - systemd-analyze verify"
        echo "$out" | sed 's/^/    /'
        failures=$((failures + 1))
fi

report=$(systemd-analyze security --offline=true "$tmp/hardend.service" 2>&1 || true)
level=$(echo "$report" | sed -n 's/.*Overall exposure level for hardend.service: \([0-9.]*\).*/\1/p')
if [ -n "$level" ] && awk -v l="$level" 'BEGIN { exit !(l <= 4.0) }'; then
        echo "ok - hardend.service exposure $level (at most 4.0)"
else
        echo "not ok - hardend.service exposure '${level:-?}' is above 4.0"
        echo "$report" | tail -5 | sed 's/^/    /'
        failures=$((failures + 1))
fi

# the unit settings the boot order depends on
check_line() {
        if grep -qx "$2" "$tmp/$1"; then echo "ok - $1: $2"; else echo "not ok - $1 lacks: $2"; failures=$((failures + 1)); fi
}
# check_no_line UNIT ERE WHAT: no line of UNIT matches ERE; WHAT says what such a line would be
check_no_line() {
        if grep -Eq "$2" "$tmp/$1"; then
                echo "not ok - $1 has $3"
                failures=$((failures + 1))
        else
                echo "ok - $1: not $3"
        fi
}
check_line hardend-firewall.service "DefaultDependencies=no"
check_line hardend-firewall.service "Before=network-pre.target shutdown.target"
check_line hardend-firewall.service "Wants=network-pre.target"
check_line hardend-firewall.service "Before=ssh.socket sshd.socket ssh.service sshd.service"
check_line hardend-firstboot.service "Before=ssh.socket sshd.socket sshd-unix-local.socket ssh.service sshd.service sshd@.service"
check_line hardend-firstboot.service "Before=sshd-vsock.socket sshd-unix-export.socket sshd-extra.socket"
check_line hardend-firstboot.service "Before=systemd-user-sessions.service"
# a socket is ordered before sockets.target < basic.target: the default After=basic.target would be
# an ordering cycle with Before=ssh.socket, which systemd breaks by dropping a job
check_line hardend-firstboot.service "DefaultDependencies=no"
check_line hardend-firstboot.service "After=sysinit.target hardend-firewall.service cloud-init.service cloud-init-network.service local-fs.target"
check_no_line hardend-firstboot.service '^(After|Requires|Wants)=.*\b(basic|sockets|network-online|multi-user)\.target' \
        "an order after a target that comes after ssh.socket"
check_line hardend-firstboot.service "ExecStart=$hardend firstboot"
check_no_line hardend-firstboot.service '^ExecCondition=' "an ExecCondition= (a second process before sshd)"
# READY=1 from the apply once sshd may start (the stray units come after); it stays active
check_line hardend-firstboot.service "Type=notify"
check_line hardend-firstboot.service "RemainAfterExit=yes"
# on sshd's path: ahead of the units that start beside it
check_line hardend-firstboot.service "CPUWeight=1000"
check_line hardend.service "Type=notify"
check_line hardend.service "Restart=on-failure"
check_line hardend.service "Environment=GLIBC_TUNABLES=glibc.malloc.tcache_count=0"
grep -q '^WatchdogSec=' "$tmp/hardend.service" && echo "ok - hardend.service: WatchdogSec=" ||
        { echo "not ok - hardend.service lacks WatchdogSec="; failures=$((failures + 1)); }

echo "failures: $failures"
[ "$failures" = 0 ]
