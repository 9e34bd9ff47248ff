#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Run every benchmark and print a table of figures: our median, stock lvm2's
# median in the same run, the ratio and the target. Needs root (loop devices
# for stock lvm2) and stock lvm2; not part of `make check` (see
# tests/integration/bench-smoke.sh for the smoke run).
#
# usage: run.sh [--full | --quick | --tiny] [--out FILE]
#   --full     (default) every figure as specified, including the 10 000-LV VG and
#              1 000 LVs activated in a QEMU VM (~12 min here)
#   --quick    fewer repetitions, no 10 000-LV VG, 200 LVs in the VM (~4 min)
#   --tiny     tiny configurations, one repetition: checks the scripts run
#   --out FILE also write the table (markdown) to FILE
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
MODE=full
OUT=
while [ $# -gt 0 ]; do
	case $1 in
	--quick) MODE=quick ;;
	--tiny) MODE=tiny ;;
	--full) MODE=full ;;
	--out) OUT=$2; shift ;;
	*) echo "usage: run.sh [--full | --quick | --tiny] [--out FILE]" >&2; exit 2 ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || { echo "bench: needs root (loop devices for stock lvm2)" >&2; exit 77; }
command -v lvm >/dev/null || { echo "bench: stock lvm2 (lvm) is not installed" >&2; exit 77; }

BENCH_RESULTS=$(mktemp /tmp/vgtool-bench.XXXXXX)
export BENCH_RESULTS
trap 'rm -f "$BENCH_RESULTS"' EXIT

case $MODE in
full)
	F1=(-r 5 -n 5 10 1000 10000)
	F2=(-r 5 64 2000 4)
	F3=(-r 5 1000)
	F4=(-r 5 16 1000)
	F5=(-r 3 1000)
	;;
quick)
	F1=(-r 3 -n 3 10 1000)
	F2=(-r 3 64 2000 4)
	F3=(-r 3 1000)
	F4=(-r 1 16 1000)
	F5=(-r 1 200)
	;;
tiny)
	F1=(-r 1 -n 1 10)
	F2=(-r 1 4 20 2)
	F3=(-r 1 20)
	F4=(-r 1 -p 2 -s 1 4 10)
	F5=() # no VM boot in a smoke run
	;;
esac

# The floor of every commit here is the disk's flush, which other tenants of
# this machine slow down: measure it (median of 20 fdatasyncs after a 4 KiB
# write to a file beside the images) at the start and at the end of the run.
sync_ms() {
	/usr/bin/python3 - "${TMPDIR:-/tmp}" <<'PY'
import os, sys, tempfile, time
fd, path = tempfile.mkstemp(dir=sys.argv[1], prefix="vgtool-bench-sync.")
try:
    os.ftruncate(fd, 1 << 20)
    times = []
    for i in range(20):
        os.pwrite(fd, b"x" * 4096, 4096 * (i % 16))
        t = time.perf_counter()
        os.fdatasync(fd)
        times.append((time.perf_counter() - t) * 1000)
    print("%.2f ms" % sorted(times)[len(times) // 2])
finally:
    os.close(fd)
    os.unlink(path)
PY
}

start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
sync_start=$(sync_ms)
bash "$BENCH_DIR/lv-create.sh" "${F1[@]}"
bash "$BENCH_DIR/startup.sh" "${F2[@]}"
bash "$BENCH_DIR/rescue.sh" "${F3[@]}"
bash "$BENCH_DIR/throughput.sh" "${F4[@]}"
# Figure 5 needs device-mapper: measured in a QEMU VM on Debian's kernel
fig5=measured
if [ ${#F5[@]} -eq 0 ]; then
	fig5="not run in --tiny mode"
else
	rc=0
	bash "$BENCH_DIR/activation-vm.sh" "${F5[@]}" || rc=$?
	[ $rc = 77 ] && fig5="skipped: no QEMU or no kernel for the VM"
	[ $rc = 0 ] || [ $rc = 77 ] || exit $rc
fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
sync_end=$(sync_ms)

table() {
	echo "Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), kernel $(uname -r)"
	echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'), mode: $MODE, $(($(date +%s) - start)) s," \
		"load average $load_start at the start, $load_end at the end;" \
		"fdatasync median $sync_start at the start, $sync_end at the end"
	echo
	echo "| # | figure | vgtoold (median) | stock lvm2 (median) | ratio | target |"
	echo "| --- | --- | --- | --- | --- | --- |"
	while IFS=$'\t' read -r fig what ours stock unit ratio target; do
		echo "| $fig | $what | $ours $unit | $stock $unit | $ratio | $target |"
	done <"$BENCH_RESULTS"
	[ "$fig5" = measured ] || echo "| 5 | LV activation in the QEMU VM (device-mapper) | $fig5 | | | |"
}
echo
table
[ -z "$OUT" ] || table >"$OUT"
