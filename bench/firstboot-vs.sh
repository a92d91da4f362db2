#!/bin/bash
# First-boot apply of another revision against this tree's build, side by side in one hyperfine
# run (bench/tables.sh firstboot-vs, in fresh namespaces), printed as a Markdown table.
#
#   bench/firstboot-vs.sh REV       # as root, after `ninja -C build`; e.g. REV = the last release
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
print(f"\nratio this build / base: {now['mean']/base['mean']:.2f}x (mean), {now['min']/base['min']:.2f}x (min)")
PY
for f in "$W"/out/firstboot-vs-strace.*; do
        echo "spawned by $(basename "$f" | sed 's/firstboot-vs-strace.//'): $(grep -c 'execve(' "$f") execve: $(grep -o 'execve("[^"]*"' "$f" | sed 's/execve("//; s/"$//' | xargs -n1 basename | sort | uniq -c | sort -rn | awk '{printf "%s %s, ", $1, $2}')"
done
