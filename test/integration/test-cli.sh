#!/usr/bin/env bash
# The faces: exit codes, FILE:LINE errors, which policy is used, --json, --only, --root.
. "$(dirname "$0")/sandbox.sh"
sandbox_enter "$@"
sandbox_live_root

SRC=${TEST_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}

expect_rc 0 "$HARDENCTL" validate "$SRC/conf/hardend.conf"
check_that "validate names the policy file" grep -q "^$SRC/conf/hardend.conf: valid (policy version 1)" "$SB/last.out"
expect_rc 0 "$HARDENCTL" --version
expect_rc 0 "$HARDEND" --help
expect_rc 2 "$HARDENCTL"
expect_rc 2 "$HARDENCTL" frobnicate
expect_rc 2 "$HARDENCTL" --bogus-option check
expect_rc 2 "$HARDENCTL" check extra-argument
expect_rc 2 "$HARDENCTL" --only firewall,sshd check
check_that "--only names the bad module" grep -q 'unknown module "sshd"' "$SB/last.err"
expect_rc 2 "$HARDENCTL" --root relative/dir check
expect_rc 2 "$HARDENCTL" --root /nonexistent check
expect_rc 2 "$HARDENCTL" validate /nonexistent/hardend.conf
check_that "a missing file is named" grep -q '^/nonexistent/hardend.conf: cannot open' "$SB/last.err"

# Bad configs: exit 2, FILE:LINE:, and nothing is touched (apply refuses before any module runs).
cat >"$SB/bad.conf" <<'CONF'
version = 1;
ssh = {
  port = 2222;
};
CONF
sha_before=$(find /etc -xdev -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)
rules_before=$(iptables-legacy-save 2>/dev/null | grep -v '^#' || true)
for verb in validate check plan apply status; do
        if [ $verb = validate ]; then
                expect_rc 2 "$HARDENCTL" validate "$SB/bad.conf"
        else
                expect_rc 2 "$HARDENCTL" --config "$SB/bad.conf" $verb
        fi
        check_that "$verb: error is FILE:LINE: message" \
                grep -q "^$SB/bad.conf:3: ssh.port: tcp/2222 is not in firewall.allow" "$SB/last.err"
done
expect_rc 2 "$HARDEND" --config "$SB/bad.conf" apply
sha_after=$(find /etc -xdev -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)
rules_after=$(iptables-legacy-save 2>/dev/null | grep -v '^#' || true)
check_that "a refused config changed no file under /etc" [ "$sha_before" = "$sha_after" ]
check_that "a refused config changed no firewall rule" [ "$rules_before" = "$rules_after" ]

# The size limit: a 10 MiB policy, /dev/zero and a FIFO without a writer are refused at once (exit 2,
# the file and the limit named), in bounded time and memory, through every face that loads a policy.
{ echo 'version = 1;'; head -c 10485760 /dev/zero | tr '\0' '#' | fold -w 63; } >"$SB/big.conf"
big_size=$(stat -c %s "$SB/big.conf")
mkfifo "$SB/fifo.conf"
limits_case() { # limits_case FILE MESSAGE CMD...
        local file=$1 msg=$2; shift 2
        expect_rc 2 /usr/bin/time -f '%e %M' -o "$SB/time" timeout 5 "$@"
        check_that "$*: the error names the file and the limit" grep -q "^$file: $msg" "$SB/last.err"
        local t # "SECONDS MAXRSS_KIB", after time's "Command exited with non-zero status 2"
        t=$(tail -n 1 "$SB/time")
        check_that "$*: exits in under a second, under 64 MiB ($t)" awk -v t="$t" \
                'BEGIN { split(t, f, " "); exit !(f[1] < 1.0 && f[2] > 0 && f[2] < 65536) }'
}
limits_case "$SB/big.conf" "$big_size bytes, larger than the 4 MiB limit for a policy file" \
        "$HARDENCTL" validate "$SB/big.conf"
limits_case "$SB/big.conf" "$big_size bytes, larger than the 4 MiB limit" "$HARDENCTL" --config "$SB/big.conf" check
limits_case "$SB/big.conf" "$big_size bytes, larger than the 4 MiB limit" "$HARDEND" --config "$SB/big.conf" apply
limits_case /dev/zero 'is a character device; a policy is a regular file of at most 4 MiB' \
        "$HARDENCTL" --config /dev/zero check
limits_case /dev/zero 'is a character device' "$HARDENCTL" validate /dev/zero
limits_case /dev/zero 'is a character device' "$HARDEND" --config /dev/zero apply
limits_case "$SB/fifo.conf" 'is a FIFO; a policy is a regular file' "$HARDENCTL" validate "$SB/fifo.conf"

# Which policy: the built-in default when /etc/hardend/hardend.conf is absent, the file otherwise.
# The namespace's tables are empty: the firewall drifts (exit 1) either way.
rm -rf /etc/hardend
rc=0; "$HARDENCTL" --only firewall check >"$SB/out" 2>&1 || rc=$?
check_that "absent policy file: check of the empty tables exits 1 (got $rc)" [ "$rc" = 1 ]
check_that "absent policy file: the built-in default is used and said" grep -q '^Policy: (built-in default)' "$SB/out"
mkdir -p /etc/hardend
cp "$SRC/conf/hardend.conf" /etc/hardend/hardend.conf
rc=0; "$HARDENCTL" --only firewall check >"$SB/out" 2>&1 || rc=$?
check_that "present policy file: check of the empty tables exits 1 (got $rc)" [ "$rc" = 1 ]
check_that "present policy file is used and said" grep -q '^Policy: /etc/hardend/hardend.conf' "$SB/out"
printf 'version = 1;\nwatch = { interval = 0; };\n' >/etc/hardend/hardend.conf
expect_rc 2 "$HARDENCTL" check
check_that "the default path's errors name it" grep -q '^/etc/hardend/hardend.conf:2: watch.interval' "$SB/last.err"

# --json output is JSON and names the policy.
rm -f /etc/hardend/hardend.conf
"$HARDENCTL" --json validate >"$SB/v.json"
check_that "validate --json parses" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["valid"] and d["policy"]=="(built-in default)"' "$SB/v.json"
rc=0; "$HARDENCTL" --json --only firewall plan >"$SB/p.json" || rc=$?
check_that "plan of the empty tables exits 1: there are changes (got $rc)" [ "$rc" = 1 ]
check_that "plan --json parses" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert "changes" in d and d["policy"]' "$SB/p.json"

# --root on an image tree reads that tree's policy.
sandbox_image_root "$SB/img"
mkdir -p "$SB/img/etc/hardend"
printf 'version = 1;\nwatch = { mode = "bogus"; };\n' >"$SB/img/etc/hardend/hardend.conf"
expect_rc 2 "$HARDENCTL" --root "$SB/img/" validate
check_that "--root reads the image's policy" grep -q "^$SB/img/etc/hardend/hardend.conf:2: watch.mode" "$SB/last.err"

finish
