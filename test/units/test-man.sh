#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every key of conf/hardend.conf is documented in hardend.conf(5); every command in the man pages.
set -euo pipefail
src=$1
failures=0
keys=$(sed -e 's/#.*//' "$src/conf/hardend.conf" | grep -oE '(^|[{;(,]) *[a-z_0-9]+ *=' | grep -oE '[a-z_0-9]+' | sort -u)
for k in $keys; do
        # documented: the key appears as a bold word (.B/.BR/.TP line) in the page
        if grep -E '^\.(B|BR|TP|IB)( |$)' "$src/man/hardend.conf.5" | grep -qw -- "$k"; then
                :
        else
                echo "not ok - key $k is not in hardend.conf(5)"; failures=$((failures + 1))
        fi
done
echo "ok - $(echo "$keys" | wc -w) keys of conf/hardend.conf checked against hardend.conf(5)"
for c in apply watch firstboot firstboot-needed; do
        grep -q "^\.B $c\$" "$src/man/hardend.8" || { echo "not ok - hardend(8) lacks $c"; failures=$((failures + 1)); }
done
for c in status check plan apply confirm validate; do
        grep -qE "^\.BR? $c( |\$)" "$src/man/hardenctl.8" || { echo "not ok - hardenctl(8) lacks $c"; failures=$((failures + 1)); }
done
for p in hardend.8 hardenctl.8 hardend.conf.5; do
        if command -v groff >/dev/null; then
                w=$(groff -t -man -ww -z "$src/man/$p" 2>&1 || true)
                [ -z "$w" ] && echo "ok - $p renders without warnings" || { echo "not ok - $p: $w"; failures=$((failures + 1)); }
        fi
done
[ "$failures" = 0 ]
