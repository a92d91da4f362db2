#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The idle watcher's resident memory by mapping (bench/RESULTS.md, section 10a), in fresh network
# and mount namespaces (test/integration/sandbox.sh) after a first-boot apply of the default
# policy: the watcher is started twice, IDLE seconds each (the second with /run/hardend kept, as on
# every start after the first of a boot); VmRSS and PSS of both, and the second's RSS per mapping
# from /proc/PID/smaps.
# Run as root after ninja -C build:  bench/rss-map.sh   (IDLE=12, HARDEND=build/daemon/hardend)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
HARDEND=${HARDEND:-$SRC/build/daemon/hardend}
HARDENCTL=${HARDENCTL:-$(dirname "$HARDEND")/hardenctl}
IDLE=${IDLE:-12}
. "$SRC/test/integration/sandbox.sh"
sandbox_enter "$@"
sandbox_live_root
trap 'sandbox_leave' EXIT
useradd -m -s /bin/bash debian
install -d -m 0700 -o debian -g debian /home/debian/.ssh
ssh-keygen -q -t ed25519 -N '' -C bench@sandbox -f "$SB/key"
install -m 0600 -o debian -g debian "$SB/key.pub" /home/debian/.ssh/authorized_keys
mkdir -p /var/lib/prometheus/node-exporter
sed -e "s/^\( *interval = \)[0-9]*;/\11;/" \
        -e "s|^\( *authorized_keys = \)\[ *\];|\1[ \"$(cat "$SB/key.pub")\" ];|" "$SRC/conf/hardend.conf" >"$SB/w.conf"
"$HARDENCTL" apply --config "$SB/w.conf" >/dev/null 2>&1 || true
# the environment hardend.service gives the watcher
WATCH_ENV=$(sed -n 's/^Environment=//p' "$SRC/units/hardend.service.in")
for run in 1 2; do
        env $WATCH_ENV "$HARDEND" watch --config "$SB/w.conf" >/dev/null 2>"$SB/w.log" &
        pid=$!
        sleep "$IDLE"
        echo "run $run: $(grep VmRSS /proc/$pid/status | tr -s ' \t' ' '), $(grep '^Pss:' /proc/$pid/smaps_rollup | tr -s ' ')"
        if [ $run = 2 ]; then
                awk '/^[0-9a-f]+-[0-9a-f]+ / { name = $6; if (name == "") name = "[anon]" }
                     /^Rss:/ { rss[name] += $2 }
                     END { for (n in rss) if (rss[n] > 0) print rss[n], n }' /proc/$pid/smaps | sort -rn
        fi
        kill "$pid"
        wait "$pid" || true
done
