#!/bin/bash
# One table of bench/run.sh, inside its own network and mount namespaces (test/integration/sandbox.sh
# re-executes this script under unshare). Never run with HARDEND_SANDBOX set by hand: that would
# skip the unshare and mount over the host's /etc, /run, /var, /home and /root.
#
#   bench/tables.sh firstboot|cloudinit|ufw|probe|footprint|audit OUTDIR
TABLE=$1
OUT=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../test/integration/sandbox.sh"
[ -z "${HARDEND_SANDBOX:-}" ] && export BENCH_HOST_NETNS=$(readlink /proc/self/ns/net) BENCH_HOST_MNTNS=$(readlink /proc/self/ns/mnt)
sandbox_enter "$@"
# refuse to go on unless we really are in new namespaces
if [ -z "${BENCH_HOST_NETNS:-}" ] || [ "$(readlink /proc/self/ns/net)" = "$BENCH_HOST_NETNS" ] ||
        [ "$(readlink /proc/self/ns/mnt)" = "$BENCH_HOST_MNTNS" ]; then
        echo "$0: not in private namespaces; refusing" >&2
        exit 1
fi
RUNS=${RUNS:-10}
BASE=$HERE/../conf/hardend.conf
P=$SB/pristine

# The sandbox as a fresh Debian 12 cloud image sees it at first boot: the live root of sandbox.sh
# and cloud-init's default user 'debian' with a key, as instance metadata would give.
seed_image() {
        sandbox_live_root
        touch /etc/.hardend-bench-sandbox
        ln -sfn /run /var/run # as in every Debian system (fail2ban insists on it)
        ln -sfn /run/lock /var/lock
        useradd -m -s /bin/bash debian
        install -d -m 0700 -o debian -g debian /home/debian/.ssh
        ssh-keygen -q -t ed25519 -N '' -C bench@sandbox -f "$SB/key"
        install -m 0600 -o debian -g debian "$SB/key.pub" /home/debian/.ssh/authorized_keys
        # and its sudo right, as cloud-init's default_user writes it
        install -m 0440 /dev/stdin /etc/sudoers.d/90-cloud-init-users <<<'debian ALL=(ALL) NOPASSWD:ALL'
}

# Snapshot of /etc /home /root /var /run; reset.sh puts each back on a fresh tmpfs (checked empty
# before anything is copied, so nothing is ever written through to the host) and empties the
# namespace's netfilter tables.
snapshot() {
        mkdir -p "$P"
        local d
        for d in etc home root var run; do cp -a "/$d" "$P/$d"; done
        cat >"$SB/reset.sh" <<EOF
set -eu
cd /
for d in etc home root var run; do
        umount "/\$d"
        mount -t tmpfs -o mode=0755 tmpfs "/\$d"
        [ -z "\$(ls -A "/\$d")" ]
        cp -a "$P/\$d/." "/\$d/"
done
for t in iptables-legacy ip6tables-legacy; do
        \$t -P INPUT ACCEPT; \$t -P FORWARD ACCEPT; \$t -P OUTPUT ACCEPT; \$t -F; \$t -X
done
nft flush ruleset 2>/dev/null || true
EOF
}
reset() { bash "$SB/reset.sh"; }
HF=(hyperfine --runs "$RUNS" --warmup 1 --style basic)

case $TABLE in
firstboot)
        seed_image
        snapshot
        reset
        "$HARDENCTL" apply >"$OUT/firstboot-apply.txt" 2>&1 || { cat "$OUT/firstboot-apply.txt"; exit 1; }
        reset
        args=(-n "hardenctl apply" "$HARDENCTL apply")
        for m in firewall admin ssh services; do
                args+=(-n "hardenctl apply --only $m" "$HARDENCTL --only $m apply")
        done
        "${HF[@]}" --prepare "bash $SB/reset.sh" --export-json "$OUT/firstboot.json" "${args[@]}"
        # the spawned programs: each child's life from its execve to its exit, under strace
        for i in 1 2 3; do
                reset
                strace -f -q --seccomp-bpf -ttt -e trace=execve -o "$OUT/firstboot-strace.$i" "$HARDENCTL" apply >/dev/null 2>&1
        done
        # the same apply, already compliant (what a reboot costs)
        "${HF[@]}" --export-json "$OUT/firstboot-noop.json" -n "hardenctl apply (already compliant)" "$HARDENCTL apply" \
                -n "hardenctl check" "sh -c '$HARDENCTL check >/dev/null; true'"
        ;;
firstboot-vs)
        # the same first-boot apply by another build ($HARDENCTL_BASE) and by this one, in one run
        [ -x "${HARDENCTL_BASE:-}" ] || { echo "$0: HARDENCTL_BASE is not an executable" >&2; exit 1; }
        seed_image
        snapshot
        reset
        "$HARDENCTL" apply >"$OUT/firstboot-vs-apply.txt" 2>&1 || { cat "$OUT/firstboot-vs-apply.txt"; exit 1; }
        reset
        "$HARDENCTL_BASE" apply >"$OUT/firstboot-vs-base.txt" 2>&1 || { cat "$OUT/firstboot-vs-base.txt"; exit 1; }
        reset
        args=(-n "hardenctl apply (${BASE_NAME:-base})" "$HARDENCTL_BASE apply"
              -n "hardenctl apply (this build)" "$HARDENCTL apply")
        for m in ${VS_MODULES:-}; do
                args+=(-n "only $m (${BASE_NAME:-base})" "$HARDENCTL_BASE --only $m apply"
                       -n "only $m (this build)" "$HARDENCTL --only $m apply")
        done
        "${HF[@]}" --prepare "bash $SB/reset.sh" --export-json "$OUT/firstboot-vs.json" "${args[@]}"
        ;;
cloudinit)
        seed_image
        mkdir -p /var/lib/cloud/seed/nocloud /var/log
        printf 'instance-id: bench-1\nlocal-hostname: bench\ndsmode: local\n' >/var/lib/cloud/seed/nocloud/meta-data
        cat >/var/lib/cloud/seed/nocloud/user-data <<EOF
#cloud-config
users:
  - default
  - name: admin
    groups: [sudo]
    sudo: "ALL=(ALL) NOPASSWD:ALL"
    shell: /bin/bash
    ssh_authorized_keys: [ "$(cat "$SB/key.pub")" ]
ssh_pwauth: false
disable_root: true
ssh_deletekeys: false
ssh_genkeytypes: []
EOF
        # no module runs by stage (init --local would run resizefs, growpart, ... on the real disk):
        # only the ones named below, one by one
        printf 'datasource_list: [ NoCloud, None ]\ncloud_init_modules: []\ncloud_config_modules: []\ncloud_final_modules: []\n' \
                >/etc/cloud/cloud.cfg.d/99-bench.cfg
        snapshot
        reset
        CI="cloud-init init --local && cloud-init single --name users-groups --frequency always && cloud-init single --name set-passwords --frequency always && cloud-init single --name ssh --frequency always"
        sh -c "$CI" >"$OUT/cloudinit-run.txt" 2>&1 || { tail -20 "$OUT/cloudinit-run.txt"; exit 1; }
        { id admin; ls -l /home/admin/.ssh/authorized_keys; grep -rh '^PasswordAuthentication' /etc/ssh/sshd_config /etc/ssh/sshd_config.d/ || true; head -c 120 /root/.ssh/authorized_keys; echo; } >"$OUT/cloudinit-effect.txt" 2>&1
        reset
        "${HF[@]}" --prepare "bash $SB/reset.sh" --export-json "$OUT/cloudinit.json" \
                -n "cloud-init init --local + single users-groups, set-passwords, ssh" "$CI" \
                -n "cloud-init init --local" "cloud-init init --local" \
                -n "python3 -c 'import cloudinit.cmd.main' (interpreter + imports)" "python3 -c 'import cloudinit.cmd.main'"
        ;;
ufw)
        sandbox_live_root
        touch /etc/.hardend-bench-sandbox
        # ufw keeps state in /lib/ufw too: a private copy of it
        mkdir -p "$SB/libufw" && cp -a /lib/ufw/. "$SB/libufw/" && mount --bind "$SB/libufw" /lib/ufw
        ufw default deny incoming >/dev/null
        for p in 22 80 443; do ufw allow $p/tcp >/dev/null; done
        grep -q '^IPV6=yes' /etc/default/ufw
        snapshot
        reset
        ufw --force enable >"$OUT/ufw-enable.txt" 2>&1
        { iptables -S | wc -l; ip6tables -S | wc -l; } >"$OUT/ufw-rules.txt" 2>&1
        reset
        "${HF[@]}" --prepare "bash $SB/reset.sh" --export-json "$OUT/ufw.json" \
                -n "ufw --force enable" "ufw --force enable" \
                -n "hardenctl apply --only firewall" "$HARDENCTL --config $BASE --only firewall apply"
        ;;
probe)
        seed_image
        "$HARDENCTL" apply >/dev/null 2>&1 || true
        # a full probe in one long-lived process, as the watcher runs it
        "$PROBELOOP" 50 >"$OUT/probe-loop.txt"
        "$PROBELOOP" 100 firewall,admin,services >"$OUT/probe-loop-nossh.txt"
        strace -f -qq --seccomp-bpf -e trace=execve -o "$SB/loop.strace" "$PROBELOOP" 10 >/dev/null
        grep -c 'execve(' "$SB/loop.strace" | awk '{print $1 - 1}' >"$OUT/probe-loop-spawns.txt"
        grep -o 'execve("[^"]*"' "$SB/loop.strace" | sort | uniq -c >"$OUT/probe-loop-spawned.txt"
        # instructions: callgrind of the one-shot CLI, and of the probe alone (engine_probe inclusive)
        valgrind --tool=callgrind --callgrind-out-file="$SB/cg.check" "$HARDENCTL" check >/dev/null 2>"$OUT/cg-check.txt" || true
        valgrind --tool=callgrind --toggle-collect=engine_probe --callgrind-out-file="$SB/cg.probe" "$PROBELOOP" 11 >/dev/null 2>"$OUT/cg-probe.txt" || true
        valgrind --tool=callgrind --toggle-collect=engine_probe --callgrind-out-file="$SB/cg.probe1" "$PROBELOOP" 2 >/dev/null 2>&1 || true
        callgrind_annotate --inclusive=yes "$SB/cg.probe" 2>/dev/null | head -40 >"$OUT/cg-probe-annotate.txt" || true
        for f in check probe probe1; do
                echo "$f $(grep -m1 '^summary:' "$SB/cg.$f" | awk '{print $2}')"
        done >"$OUT/cg-summary.txt"
        # the one-shot CLI: wall time and the programs it spawns each time
        hyperfine --runs 20 --warmup 1 --style basic --export-json "$OUT/check.json" -n "hardenctl check" "sh -c '$HARDENCTL check >/dev/null; true'"
        strace -f -qq --seccomp-bpf -e trace=execve -o "$SB/check.strace" "$HARDENCTL" check >/dev/null 2>&1 || true
        grep -o 'execve("[^"]*"' "$SB/check.strace" | sort | uniq -c >"$OUT/check-spawned.txt"
        # the watcher: probes every second for 5 s; programs spawned meanwhile with nothing changing
        printf 'version = 1;\nwatch = { interval = 1; mode = "report"; };\n' >"$SB/w1.conf"
        strace -f -qq --seccomp-bpf -e trace=execve -o "$SB/watch.strace" timeout -s INT 5.5 "$HARDEND" --config "$SB/w1.conf" watch >/dev/null 2>&1 || true
        grep -o 'execve("[^"]*"' "$SB/watch.strace" | sort | uniq -c >"$OUT/watch-spawned.txt"
        ;;
footprint)
        seed_image
        "$HARDENCTL" apply >/dev/null 2>&1 || true
        mkdir -p /var/log /run/fail2ban /var/lib/fail2ban
        touch /var/log/auth.log
        # node_exporter's textfile directory: the watcher writes its metrics there, as on a fleet host
        mkdir -p /var/lib/prometheus/node-exporter
        sample() { # NAME PID: status, smaps_rollup, cpu ticks, switches
                local name=$1 pid=$2
                {
                        grep -E '^(VmRSS|VmHWM|voluntary_ctxt_switches|nonvoluntary_ctxt_switches)' /proc/$pid/status
                        grep -E '^(Rss|Pss):' /proc/$pid/smaps_rollup
                        awk '{print "utime_ticks " $14; print "stime_ticks " $15}' /proc/$pid/stat
                        echo "threads $(ls /proc/$pid/task | wc -l)"
                        local v=0 t
                        for t in /proc/$pid/task/*; do v=$((v + $(awk '/^voluntary_ctxt_switches/ {print $2}' $t/status))); done
                        echo "voluntary_all_threads $v"
                } >"$OUT/footprint-$name.$3"
        }
        IDLE=${IDLE:-60}
        # with the environment hardend.service gives it
        env $(sed -n 's/^Environment=//p' "$HERE/../units/hardend.service.in") "$HARDEND" watch >"$SB/hardend.log" 2>&1 &
        hp=$!
        fail2ban-server -xf start >"$SB/f2b.log" 2>&1 &
        fp=$!
        sleep 5
        cp "$SB/f2b.log" "$OUT/footprint-f2b-log.txt"; cp "$SB/hardend.log" "$OUT/footprint-hardend-log.txt"
        sample hardend $hp start
        sample fail2ban $fp start
        sleep "$IDLE"
        sample hardend $hp end
        sample fail2ban $fp end
        fail2ban-client status >"$OUT/footprint-f2b-status.txt" 2>&1 || true
        kill $hp $fp 2>/dev/null || true
        wait $hp $fp 2>/dev/null || true
        echo "$IDLE" >"$OUT/footprint-idle.txt"
        tail -5 "$SB/hardend.log" >"$OUT/footprint-hardend-log.txt"
        tail -5 "$SB/f2b.log" >"$OUT/footprint-f2b-log.txt"
        ;;
audit)
        seed_image
        "$HARDENCTL" apply >/dev/null 2>&1 || true
        "${HF[@]}" --export-json "$OUT/audit-hardend.json" -n "hardenctl check" "sh -c '$HARDENCTL check >/dev/null; true'"
        LT=${LYNIS_TIMEOUT:-300}
        for i in 1 2 3; do
                s=$(date +%s.%N)
                rc=0
                timeout "$LT" lynis audit system --quick --no-colors >"$SB/lynis.out" 2>&1 || rc=$?
                e=$(date +%s.%N)
                echo "$s $e $rc" >>"$OUT/audit-lynis.txt"
                if [ $rc = 124 ] || [ "$(echo "$e - $s > 60" | bc)" = 1 ]; then break; fi
        done
        grep -E 'Tests performed|Hardening index' "$SB/lynis.out" >"$OUT/audit-lynis-summary.txt" || true
        ;;
*)
        echo "unknown table $TABLE" >&2
        exit 2
        ;;
esac
