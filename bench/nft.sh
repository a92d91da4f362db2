#!/bin/bash
# Benchmark of the firewall module's two backends, in a fresh network namespace (the host's rules
# are never touched). Writes bench/RESULTS-nft.md.
#
#   bench/nft.sh                      # build/ of the source tree, 30 runs per command
#   RUNS=10 SIZES="10 10000" HARDENCTL=... bench/nft.sh
#
# For the default policy (IPv4 + IPv6) and for N allow rules, side by side in one run:
# - apply, whole process, from an empty ruleset: hardenctl with backend "nftables" against `nft -f`
#   of the very same table (the file is what `nft list table inet hardend` prints after our apply),
#   and hardenctl with backend "iptables" (libiptc) against iptables-legacy-restore of its rules;
# - probe (`hardenctl check --only firewall`) on the applied table against
#   `nft -j list table inet hardend`, and the libiptc probe against iptables-legacy-save.
# hyperfine reports medians. hardenctl keeps what it learnt in /run/hardend until reboot (sshd -T's
# answers, the ruleset generation a read verified); "cold" runs start with it empty, as a first
# boot does.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(dirname "$HERE")
HARDENCTL=${HARDENCTL:-$SRC/build/daemon/hardenctl}
RUNS=${RUNS:-30}
SIZES=${SIZES:-"10 100 1000 10000"}
OUT=${OUT:-$HERE/RESULTS-nft.md}

for t in hyperfine nft iptables-legacy-restore ip6tables-legacy-restore iptables-legacy-save python3 unshare; do
        command -v $t >/dev/null || { echo "$0: $t is needed" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "$0: needs root (it runs in its own network namespace)" >&2; exit 1; }

if [ "${HARDEND_BENCH_NS:-}" != 1 ]; then
        exec env HARDEND_BENCH_NS=1 unshare --net --mount --fork -- bash "$0" "$@"
fi
mount --make-rprivate /
mount -t tmpfs -o mode=0755 tmpfs /run # a private /run/xtables.lock
ip link set lo up

W=$(mktemp -d /tmp/hardend-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT

cat >"$W/reset.sh" <<'EOF'
nft flush ruleset
for t in iptables-legacy ip6tables-legacy; do
        $t -P INPUT ACCEPT && $t -P FORWARD ACCEPT && $t -P OUTPUT ACCEPT && $t -F && $t -X
done
EOF
reset() { sh "$W/reset.sh"; }

HF=(hyperfine --runs "$RUNS" --warmup 2 --style basic -N)

# policy NAME BACKEND N: N = 0 is the default policy (the embedded conf/hardend.conf's firewall)
policy() {
        local f=$W/$1.conf n=$3
        {
                if [ "$n" = 0 ]; then
                        sed "s/^\( *backend = \)\"auto\";/\1\"$2\";/" "$SRC/conf/hardend.conf"
                else
                        echo 'version = 1;'
                        echo "firewall = { backend = \"$2\"; allow = ( { port = 22; }"
                        for ((i = 1; i < n; i++)); do echo ", { port = $((1024 + i)); }"; done
                        echo '); };'
                fi
        } >"$f"
        echo "$f"
}

for n in 0 $SIZES; do
        nc=$(policy "nft$n" nftables "$n")
        ic=$(policy "ipt$n" iptables "$n")
        reset
        "$HARDENCTL" --config "$nc" --only firewall apply >/dev/null
        nft list table inet hardend >"$W/n$n.nft"
        reset
        "$HARDENCTL" --config "$ic" --only firewall apply >/dev/null
        iptables-legacy-save >"$W/n$n.v4"
        ip6tables-legacy-save >"$W/n$n.v6"
        reset
        "${HF[@]}" --export-json "$W/apply-$n.json" \
                --prepare "sh $W/reset.sh" -n "nftables apply" "$HARDENCTL --config $nc --only firewall apply" \
                --prepare "sh -c 'sh $W/reset.sh; rm -rf /run/hardend'" -n "nftables apply, cold" \
                "$HARDENCTL --config $nc --only firewall apply" \
                --prepare "sh $W/reset.sh" -n "nft -f" "nft -f $W/n$n.nft" \
                --prepare "sh $W/reset.sh" -n "iptables apply" "$HARDENCTL --config $ic --only firewall apply" \
                --prepare "sh $W/reset.sh" -n "legacy restore" \
                "sh -c 'iptables-legacy-restore $W/n$n.v4 && ip6tables-legacy-restore $W/n$n.v6'"
        reset
        "$HARDENCTL" --config "$nc" --only firewall apply >/dev/null
        "${HF[@]}" --export-json "$W/probe-nft-$n.json" \
                --prepare true -n "nftables probe" "$HARDENCTL --config $nc --only firewall check" \
                --prepare "rm -rf /run/hardend" -n "nftables probe, cold" "$HARDENCTL --config $nc --only firewall check" \
                --prepare true -n "nft -j list" "nft -j list table inet hardend"
        reset
        "$HARDENCTL" --config "$ic" --only firewall apply >/dev/null
        "${HF[@]}" --export-json "$W/probe-ipt-$n.json" \
                -n "iptables probe" "$HARDENCTL --config $ic --only firewall check" \
                -n "legacy save" "sh -c 'iptables-legacy-save && ip6tables-legacy-save'"
done

python3 - "$W" "$OUT" "$RUNS" "$SIZES" <<'EOF'
import json, sys, platform, subprocess, datetime
w, out, runs, sizes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split()

def med(name):
    return {r["command"]: r["median"] * 1000 for r in json.load(open(f"{w}/{name}.json"))["results"]}

nftv = subprocess.run(["nft", "--version"], capture_output=True, text=True).stdout.strip()
L = ["# Firewall backends: nftables (libnftables) and iptables (libiptc)\n",
     f"Produced by `bench/nft.sh` (RUNS={runs}) on {datetime.date.today()}, kernel {platform.release()}, {nftv}, "
     "in a fresh network namespace. hyperfine medians of whole processes (`-N`: no shell), wall time in ms. "
     "Every apply starts from an empty ruleset; probes run against the applied rules. The `nft -f` file is what "
     "`nft list table inet hardend` printed after our apply; the legacy files are what iptables-legacy-save "
     "printed after the libiptc apply.\n",
     "Warm: what hardenctl learnt is kept in /run/hardend (sshd -T's answers, the ruleset generation that a "
     "read found as wanted), as on any run after the first of a boot; cold: /run/hardend emptied before each "
     "run, as at first boot. The probe's warm run takes the kept word (the ruleset's generation is unchanged); "
     "every apply here starts from an empty ruleset, so its read-back always lists the new table.\n",
     "| allow rules | nftables apply | cold | `nft -f` | **apply / nft -f** | **cold / nft -f** | nftables probe | cold | "
     "`nft -j list table` | **probe / nft -j list** | **cold / nft -j list** | iptables apply | legacy restore | "
     "iptables probe | legacy save |",
     "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
res = {}
for n in ["0"] + sizes:
    a, pn, pi = med(f"apply-{n}"), med(f"probe-nft-{n}"), med(f"probe-ipt-{n}")
    ra, rac = a["nftables apply"] / a["nft -f"], a["nftables apply, cold"] / a["nft -f"]
    rp, rpc = pn["nftables probe"] / pn["nft -j list"], pn["nftables probe, cold"] / pn["nft -j list"]
    res[n] = (ra, rp, rac, rpc)
    label = "default policy (IPv4+IPv6)" if n == "0" else f"N = {n}"
    L.append(f"| {label} | {a['nftables apply']:.2f} | {a['nftables apply, cold']:.2f} | {a['nft -f']:.2f} | **{ra:.2f}** | "
             f"**{rac:.2f}** | {pn['nftables probe']:.2f} | {pn['nftables probe, cold']:.2f} | {pn['nft -j list']:.2f} | "
             f"**{rp:.2f}** | **{rpc:.2f}** | {a['iptables apply']:.2f} | {a['legacy restore']:.2f} | "
             f"{pi['iptables probe']:.2f} | {pi['legacy save']:.2f} |")
big = sizes[-1]
goals = []
for i, kind in ((0, "warm"), (2, "cold")):
    goals += [(f"default policy apply ≤ 1.0 × nft -f ({kind})", res["0"][i] <= 1.0, res["0"][i]),
              (f"N = {big} apply ≤ 0.5 × nft -f ({kind})", res[big][i] <= 0.5, res[big][i])]
for i, kind in ((1, "warm"), (3, "cold")):
    goals += [(f"probe ≤ 1.0 × nft -j list ({'default' if n == '0' else 'N = ' + n}, {kind})", res[n][i] <= 1.0,
               res[n][i]) for n in ["0"] + sizes]
L.append("\n## Goals\n")
for g, ok, v in goals:
    L.append(f"- {g}: {v:.2f} — {'met' if ok else 'missed'}")
open(out, "w").write("\n".join(L) + "\n")
print("\n".join(L))
EOF
echo "Wrote $OUT"
