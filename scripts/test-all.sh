#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The whole test suite, as CI runs it: install dependencies, then
#   1. a plain build, `make check`, and `make check-vm` (QEMU on Debian's
#      kernel: real md and device-mapper),
#   2. a build with -fsanitize=address,undefined and `make check`
#      (any sanitizer report fails the test that triggered it),
#   3. a clang libFuzzer build that fuzzes every harness for a bounded time,
#   4. `make distcheck`.
# Builds go to build/ in the source tree. Prints "N passed, N failed, N skipped".
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc)

bash scripts/install-deps.sh --vm
autoreconf -fi >/dev/null

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
passed=0 failed=0 skipped=0
suite_failed=0

# count_results BUILDDIR: add the .trs results of a finished `make check`.
count_results() {
	local p f s
	p=$(cat $(find "$1" -name '*.trs') 2>/dev/null | grep -c '^:test-result: PASS' || true)
	f=$(cat $(find "$1" -name '*.trs') 2>/dev/null | grep -c -E '^:test-result: (FAIL|ERROR|XPASS)' || true)
	s=$(cat $(find "$1" -name '*.trs') 2>/dev/null | grep -c '^:test-result: SKIP' || true)
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}

# run_suite NAME CONFIGURE-ARGS... : configure in build/NAME and run make check.
run_suite() {
	local name=$1
	shift
	local dir="$top/build/$name"
	echo "=== $name build"
	rm -rf "$dir"
	mkdir -p "$dir"
	(cd "$dir" && "$top/configure" -q "$@" && make -s -j"$jobs") || { suite_failed=1; failed=$((failed + 1)); return; }
	if ! (cd "$dir" && make -s -j"$jobs" check); then
		suite_failed=1
		find "$dir" -name '*.log' ! -name config.log ! -name test-suite.log -exec grep -l -E '^(FAIL|ERROR)' {} + 2>/dev/null |
			while read -r log; do echo "--- $log"; tail -n 60 "$log"; done
	fi
	count_results "$dir"
}

run_suite plain --enable-static-rescue
echo "=== VM tests (QEMU, Debian's kernel)"
if ! (cd "$top/build/plain" && make -s check-vm); then
	suite_failed=1
	find "$top/build/plain/tests/vm" -name '*.log' -exec tail -n 60 {} + 2>/dev/null
fi
count_results "$top/build/plain/tests/vm"
run_suite sanitizers --enable-sanitizers

echo "=== libFuzzer build"
dir="$top/build/fuzz"
rm -rf "$dir" && mkdir -p "$dir"
if (cd "$dir" && CC=clang CFLAGS="-g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all" \
	"$top/configure" -q --enable-fuzzing && make -s -j"$jobs" &&
	VG_FUZZ_SECONDS="${VG_FUZZ_SECONDS:-15}" make -s check-fuzz); then
	:
else
	suite_failed=1
	find "$dir/tests/fuzz" -name '*.log' -exec grep -l -E '^(FAIL|ERROR)' {} + 2>/dev/null |
		while read -r log; do echo "--- $log"; tail -n 60 "$log"; done
fi
count_results "$dir"

echo "=== make distcheck"
if (cd "$top/build/plain" && make -s -j"$jobs" distcheck >distcheck.out 2>&1); then
	passed=$((passed + 1))
else
	tail -n 80 "$top/build/plain/distcheck.out"
	failed=$((failed + 1))
	suite_failed=1
fi

echo "$passed passed, $failed failed, $skipped skipped"
exit $suite_failed
