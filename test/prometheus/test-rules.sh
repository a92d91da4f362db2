#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The shipped alerting rules: promtool check rules, then promtool test rules with the unit tests
# beside this script. Skips (77) without promtool (Debian package prometheus).
set -euo pipefail
src=$1
promtool=${PROMTOOL:-/usr/bin/promtool}
if [ ! -x "$promtool" ]; then
        echo "skipped: no $promtool (Debian package prometheus)"
        exit 77
fi
"$promtool" check rules "$src/conf/prometheus/hardend.rules.yml"
for t in "$src"/test/prometheus/*.test.yml; do
        "$promtool" test rules "$t"
done
