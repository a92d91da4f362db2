#!/bin/bash
# First-boot apply of another revision against this tree's build, side by side in one hyperfine
# run (bench/tables.sh firstboot-vs, in fresh namespaces), printed as a Markdown table.
#
#   bench/firstboot-vs.sh REV       # as root, after `ninja -C build`; e.g. REV = the last release
#   VS_MODULES="firewall ssh" bench/firstboot-vs.sh REV   # also each module's own apply
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(dirname "$HERE")
REV=${1:?usage: bench/firstboot-vs.sh REV}
[ "$(id -u)" = 0 ] || { echo "$0: needs root (namespaces)" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "$0: hyperfine is needed (apt-get install hyperfine)" >&2; exit 1; }
W=$(mktemp -d /tmp/hardend-vs.XXXXXX)
trap 'git -C "$SRC" worktree remove --force "$W/src" >/dev/null 2>&1 || true; rm -rf "$W"' EXIT
git -C "$SRC" worktree add -q --detach "$W/src" "$REV"
meson setup "$W/src/build" "$W/src" -Dbuildtype=debugoptimized >/dev/null
ninja -C "$W/src/build" >/dev/null
mkdir -p "$W/out"
HARDENCTL=${HARDENCTL:-$SRC/build/daemon/hardenctl} HARDENCTL_BASE=$W/src/build/daemon/hardenctl \
        BASE_NAME=$(git -C "$SRC" rev-parse --short "$REV") RUNS=${RUNS:-20} \
        "$HERE/tables.sh" firstboot-vs "$W/out"
python3 - "$W/out/firstboot-vs.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base, now = r[0], r[1]
print("| command | mean (ms) | σ (ms) | min (ms) |")
print("|---|---|---|---|")
for x in r:
    print(f"| {x['command']} | {x['mean']*1000:.1f} | {x['stddev']*1000:.1f} | {x['min']*1000:.1f} |")
for i in range(0, len(r), 2):
    b, n = r[i], r[i + 1]
    print(f"\nratio {n['command']} / {b['command']}: {n['mean']/b['mean']:.2f}x (mean), {n['min']/b['min']:.2f}x (min)")
PY
