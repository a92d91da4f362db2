#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs PROGRAM TMPDIR ARGS... with a fresh temporary directory, removed afterwards.
set -euo pipefail
prog=$1
shift
dir=$(mktemp -d "${TMPDIR:-/tmp}/hardend-test.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$prog" "$dir" "$@"
