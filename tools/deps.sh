# Sourced by tools/try, tools/test and .ci/run: installs what hardend needs from Debian's packages.

# Build dependencies.
HARDEND_BUILD_DEPS="meson ninja-build pkg-config gcc libc6-dev python3 libconfig-dev libsystemd-dev
        libiptc-dev libip4tc-dev libip6tc-dev libjson-c-dev libmd-dev check libnftables-dev"
# What hardend drives at run time: the real programs, never reimplemented.
HARDEND_RUNTIME_DEPS="iptables kmod openssh-server openssh-client sudo passwd login iproute2 util-linux"
# What the test suite uses besides.
HARDEND_TEST_DEPS="socat ncat ssh-audit systemd python3-jsonschema clang-format procps iputils-ping groff-base
        clang libclang-rt-14-dev mmdebstrap systemd-container nmap debhelper dpkg-dev build-essential
        strace valgrind time sshpass nftables prometheus prometheus-node-exporter systemd-journal-remote"
# Only the full-kernel booted-system test (test/e2e/qemu.sh) needs these; it is not part of the
# suite, so install_deps leaves them out: apt-get install qemu-system-x86 e2fsprogs
HARDEND_QEMU_DEPS="qemu-system-x86 e2fsprogs"

# install_deps build|test: installs what is missing. Services that packages would start on
# installation (sshd) are held back with policy-rc.d, as Debian's own image builders do.
install_deps() {
        local want="$HARDEND_BUILD_DEPS $HARDEND_RUNTIME_DEPS" missing="" p
        [ "${1:-build}" = test ] && want="$want $HARDEND_TEST_DEPS"
        for p in $want; do
                dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
        done
        [ -z "$missing" ] && return 0
        if [ "$(id -u)" != 0 ]; then
                echo "Missing Debian packages:$missing (run as root to install them)" >&2
                return 1
        fi
        echo "Installing:$missing"
        local own_policy=0
        if [ ! -e /usr/sbin/policy-rc.d ]; then
                printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
                chmod 0755 /usr/sbin/policy-rc.d
                own_policy=1
        fi
        local rc=0
        { DEBIAN_FRONTEND=noninteractive apt-get update -q &&
                DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing; } || rc=$?
        [ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
        return $rc
}
