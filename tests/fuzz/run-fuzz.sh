#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Run one fuzz harness: called by the test harness with tests/fuzz/NAME.fuzz.
# In a libFuzzer build (VG_FUZZING=yes) it fuzzes for VG_FUZZ_SECONDS (default
# 20) starting from the seed corpus; otherwise it replays the seed corpus
# once. Any crash, sanitizer report, leak or timeout fails the test.
set -eu
name=$(basename "$1" .fuzz)
harness="$top_builddir/tests/fuzz/fuzz-$name"
corpus="$top_srcdir/tests/fuzz/corpus/$name"
[ -x "$harness" ] || { echo "missing harness $harness"; exit 1; }
[ -d "$corpus" ] || { echo "missing seed corpus $corpus"; exit 1; }

if [ "${VG_FUZZING:-no}" = yes ]; then
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	cp -r "$corpus/." "$work/"
	exec "$harness" -max_total_time="${VG_FUZZ_SECONDS:-20}" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 "$work"
fi
exec "$harness" "$corpus"
