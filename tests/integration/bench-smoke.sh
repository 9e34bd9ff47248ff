#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Smoke run of the benchmarks (bench/run.sh --tiny): every benchmark still
# executes in a tiny configuration and prints its figures. The figures
# themselves are not judged here.
. "$top_srcdir/tests/integration/lib.sh"
set -euo pipefail
require_root
require_cmd python3 lvm losetup

out="$WORK/bench.out"
bash "$top_srcdir/bench/run.sh" --tiny >"$out" 2>&1 || { cat "$out"; fail "bench/run.sh --tiny failed"; }
for fig in 1 2 3 4; do
	n=$(grep -c "^FIGURE $fig | .* | ours [0-9.]* .* | stock lvm2 [0-9.]* .* | ratio [0-9.]*x |" "$out" || true)
	[ "$n" -ge 1 ] || { cat "$out"; fail "figure $fig was not printed"; }
done
grep -q '^| 4 | ' "$out" || { cat "$out"; fail "no table of figures"; }
echo "bench smoke run: every figure printed"
