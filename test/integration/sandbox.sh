# Sourced by integration tests. Everything here runs in new network and mount namespaces, so
# the host's firewall, files, users and units are never touched.
#
#   . "$(dirname "$0")/sandbox.sh"
#   sandbox_enter "$@"       # re-executes the test inside unshare --net --mount
#   sandbox_live_root        # /etc is a copy; /run, /var, /home, /root are empty tmpfs
#   sandbox_image_root DIR   # a minimal Debian image tree for --root tests

set -euo pipefail

HARDENCTL=${HARDENCTL:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/daemon/hardenctl}
HARDEND=${HARDEND:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/daemon/hardend}
FAILURES=0
PASSES=0

sandbox_enter() {
        if [ "$(id -u)" != 0 ]; then
                echo "SKIP: integration tests need root (they run inside namespaces)"
                exit 77
        fi
        if [ "${HARDEND_SANDBOX:-}" != 1 ]; then
                exec env HARDEND_SANDBOX=1 HARDEND_HOST_NS="$(readlink /proc/self/ns/mnt /proc/self/ns/net | tr '\n' ' ')" \
                        unshare --net --mount --fork -- "$BASH" "$0" "$@"
        fi
        # Refuse to go on in the host's own namespaces, whatever HARDEND_SANDBOX says: everything
        # below mounts over /etc, /run, /var, /home and /root and changes the firewall.
        local here host=${HARDEND_HOST_NS:-}
        here=$(readlink /proc/self/ns/mnt /proc/self/ns/net | tr '\n' ' ')
        [ -n "$host" ] || host=$(readlink /proc/1/ns/mnt /proc/1/ns/net 2>/dev/null | tr '\n' ' ' || true)
        if [ -z "$host" ] || [ "${here%% *}" = "${host%% *}" ] || [ "${here#* }" = "${host#* }" ]; then
                echo "sandbox.sh: refusing to run outside new mount and network namespaces" >&2
                exit 2
        fi
        mount --make-rprivate /
        ip link set lo up
        SB=$(mktemp -d /tmp/hardend-sandbox.XXXXXX)
        mount -t tmpfs -o mode=0755 tmpfs "$SB"
        trap 'sandbox_leave' EXIT
}

sandbox_leave() {
        local rc=$?
        umount -l "$SB" 2>/dev/null || true
        rmdir "$SB" 2>/dev/null || true
        exit $rc
}

# The live system as the sandbox sees it: a private copy of the host's /etc bound over /etc,
# and empty /run, /var, /home, /root, so no host service, bus or state can be reached or changed.
sandbox_live_root() {
        cp -a /etc "$SB/etc"
        # sudo resolves the host's name and warns on stderr when it cannot (a container whose
        # /etc/hosts lacks it): the copy names it, as Debian's installer writes it
        getent hosts "$(hostname)" >/dev/null 2>&1 || printf '127.0.1.1\t%s\n' "$(hostname)" >>"$SB/etc/hosts"
        mount --bind "$SB/etc" /etc
        # dpkg's alternatives database goes with /etc/alternatives (update-alternatives needs both)
        [ -d /var/lib/dpkg/alternatives ] && cp -a /var/lib/dpkg/alternatives "$SB/dpkg-alternatives"
        local d
        for d in /run /var /home /root; do
                mount -t tmpfs -o mode=0755 tmpfs "$d"
        done
        if [ -d "$SB/dpkg-alternatives" ]; then
                mkdir -p /var/lib/dpkg
                mv "$SB/dpkg-alternatives" /var/lib/dpkg/alternatives
        fi
        chmod 0700 /root
        mkdir -p /run/sshd /run/lock /var/lib /var/log /var/tmp /var/mail /var/spool /var/cache
        chmod 1777 /var/tmp
}

# A minimal Debian 12 image tree: passwd, group, shadow, gshadow, login.defs, sudoers, pam.d,
# nsswitch.conf, skel, and the unit directories.
sandbox_image_root() {
        local root=$1
        mkdir -p "$root"/etc/{ssh/sshd_config.d,sudoers.d,skel,default,systemd/system} \
                "$root"/{home,root,run,tmp,var/lib,var/mail,usr/lib/systemd/system,usr/sbin,usr/bin}
        cat >"$root/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
sys:x:3:3:sys:/dev:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
sshd:x:100:65534::/run/sshd:/usr/sbin/nologin
PW
        cat >"$root/etc/group" <<'GR'
root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
sudo:x:27:
users:x:100:
nogroup:x:65534:
GR
        cat >"$root/etc/shadow" <<'SH'
root:*:19800:0:99999:7:::
daemon:*:19800:0:99999:7:::
bin:*:19800:0:99999:7:::
sys:*:19800:0:99999:7:::
nobody:*:19800:0:99999:7:::
sshd:*:19800:0:99999:7:::
SH
        cat >"$root/etc/gshadow" <<'GS'
root:*::
daemon:*::
bin:*::
sys:*::
adm:*::
sudo:*::
users:*::
nogroup:*::
GS
        chmod 0640 "$root/etc/shadow" "$root/etc/gshadow"
        cp /etc/login.defs "$root/etc/login.defs"
        [ -f /etc/default/useradd ] && cp /etc/default/useradd "$root/etc/default/useradd"
        cp -a /etc/skel/. "$root/etc/skel/" 2>/dev/null || true
        if [ -f /etc/sudoers ]; then cp /etc/sudoers "$root/etc/sudoers"; chmod 0440 "$root/etc/sudoers"; fi
        # what sudo needs to run with this /etc bound over the real one (PAM, NSS), as in a real image
        if [ -d /etc/pam.d ]; then cp -a /etc/pam.d "$root/etc/pam.d"; fi
        # pam_limits and pam_env in sudo's session stack read these, as in every Debian image
        if [ -d /etc/security ]; then cp -a /etc/security "$root/etc/security"; fi
        if [ -f /etc/environment ]; then cp /etc/environment "$root/etc/environment"; fi
        if [ -f /etc/nsswitch.conf ]; then cp /etc/nsswitch.conf "$root/etc/nsswitch.conf"; fi
        if [ -f /usr/share/openssh/sshd_config ]; then
                cp /usr/share/openssh/sshd_config "$root/etc/ssh/sshd_config"
        elif [ -f /etc/ssh/sshd_config ]; then
                cp /etc/ssh/sshd_config "$root/etc/ssh/sshd_config"
        fi
}

pass() { PASSES=$((PASSES + 1)); echo "ok - $*"; }
fail() { FAILURES=$((FAILURES + 1)); echo "not ok - $*"; }

# expect_rc WANT CMD...: runs CMD, records a pass when it exits WANT
expect_rc() {
        local want=$1; shift
        local rc=0
        "$@" >"$SB/last.out" 2>"$SB/last.err" || rc=$?
        if [ "$rc" = "$want" ]; then
                pass "exit $want: $*"
        else
                fail "expected exit $want, got $rc: $*"
                sed 's/^/    out: /' "$SB/last.out" | head -40
                sed 's/^/    err: /' "$SB/last.err" | head -40
        fi
}

# check_that DESCRIPTION CMD...: a pass when CMD succeeds
check_that() {
        local what=$1; shift
        if "$@"; then pass "$what"; else fail "$what"; fi
}

# require_programs PROGRAM...: skips the test (exit 77) unless every PROGRAM is installed
require_programs() {
        local t
        for t in "$@"; do
                if ! command -v "$t" >/dev/null; then
                        echo "SKIP: $t is not installed"
                        exit 77
                fi
        done
}

# wait_for SECONDS CMD...: polls CMD every 0.1 s
wait_for() {
        local deadline=$(($(date +%s%N) + $1 * 1000000000)); shift
        until "$@"; do
                [ "$(date +%s%N)" -lt "$deadline" ] || return 1
                sleep 0.1
        done
}

# count PATTERN: how many lines of the watcher's log, $LOG, match PATTERN (grep -c says 0 and
# exits 1 when none does)
count() { grep -c -- "$1" "$LOG" || true; }
# wait_count PATTERN N SECONDS: waits until N lines of $LOG match PATTERN
wait_count() {
        local deadline=$(($(date +%s%N) + $3 * 1000000000))
        while [ "$(count "$1")" -lt "$2" ]; do
                [ "$(date +%s%N)" -lt "$deadline" ] || return 1
                sleep 0.02
        done
}
# rss: the VmRSS of the watcher, $WATCH_PID, in kB
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$WATCH_PID/status"; }

# temps: hardend's temporary files left anywhere under /etc, /home or /var
temps() { find /etc /home /var -name '.#hardend.*' 2>/dev/null; }
# filter_table 4|6: the filter table of that family without counters and comments
filter_table() {
        local save=iptables-legacy-save
        [ "$1" = 6 ] && save=ip6tables-legacy-save
        $save -t filter | sed -e '/^#/d' -e 's/\[[0-9]*:[0-9]*\]//'
}

# start_watch [ARGS]: "hardend watch --config $CONF ARGS" in the background, its stderr in $LOG, its
# pid in WATCH_PID; returns once it says "Watching" (within 10 s). stop_watch: SIGTERM, and its
# exit status.
start_watch() {
        : >"$LOG"
        "$HARDEND" watch --config "$CONF" "$@" 2>>"$LOG" >/dev/null &
        WATCH_PID=$!
        wait_for 10 grep -q "^Watching " "$LOG"
}

stop_watch() {
        [ -n "$WATCH_PID" ] || return 0
        kill -TERM "$WATCH_PID" 2>/dev/null || true
        local rc=0
        wait "$WATCH_PID" || rc=$?
        WATCH_PID=
        return $rc
}

finish() {
        echo "$PASSES passed, $FAILURES failed"
        [ "$FAILURES" = 0 ]
}
