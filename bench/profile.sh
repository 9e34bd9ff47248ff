#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Profile vgtoold on a benchmark workload, for when a figure misses its
# target: first the daemon's CPU time against the wall time of the workload
# (is it bound by CPU or by waiting for syncs?), then the same workload under
# valgrind --tool=callgrind (counters zeroed after start-up, except for the
# start-up workload), and callgrind_annotate's top functions, inclusive and
# exclusive. Image files only, no loop devices, no stock lvm2.
#
# usage: profile.sh [-o DIR] WORKLOAD [LVS]
#   create LVS      lv.create + lv.remove, one client, VG of LVS LVs (default 1000;
#                   $PROFILE_OPS pairs, default 20)
#   throughput LVS  16 clients creating and removing, VG of LVS LVs
#   startup LVS     start-up to lv.list, 64 PVs, LVS LVs in 4 VGs (default 2000)
# Results: DIR/WORKLOAD-LVS.{callgrind,incl.txt,self.txt,syscalls.txt,perf.txt}
# (default DIR /tmp/vgtool-profile; perf only where it is installed).
set -euo pipefail
. "$(dirname "$0")/common.sh"
require_cmd valgrind callgrind_annotate callgrind_control

OUTDIR=/tmp/vgtool-profile
while getopts o: opt; do
	case $opt in
	o) OUTDIR=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
WL=${1:?usage: profile.sh [-o DIR] create|throughput|startup [LVS]}
case $WL in
startup) NLV=${2:-2000} ;;
*) NLV=${2:-1000} ;;
esac
mkdir -p "$OUTDIR"
OUT="$OUTDIR/$WL-$NLV"

D="$WORK/prof"
mkdir -p "$D/img"
if [ "$WL" = startup ]; then
	imgs=()
	for ((i = 0; i < 64; i++)); do
		make_image "$D/img/p$i.img" "$((NLV * 4 / 64 + 64))M"
		imgs+=("$D/img/p$i.img")
	done
	start_daemon "$D"
	make_pvs "$SOCK" "$(mda_bytes_for $((NLV / 4)))" "${imgs[@]}"
	for ((v = 0; v < 4; v++)); do
		pvs=$(printf '"%s",' "${imgs[@]:v*16:16}")
		rpc vg.create "{\"name\":\"vg_s$v\",\"pvs\":[${pvs%,}]}" >/dev/null
		bpy populate "$SOCK" "vg_s$v" $((NLV / 4)) 16 lv
	done
	workload() { SOCK=$SOCK python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import bench; c = bench.Client(sys.argv[2]); c.call("host.status"); print(len(c.call("lv.list")["lvs"]), "LVs")' "$BENCH_DIR" "$SOCK"; }
else
	pv_mib=$(((NLV + 2048) * 4 / 2 + 1024))
	make_image "$D/img/d1.img" "${pv_mib}M"
	make_image "$D/img/d2.img" "${pv_mib}M"
	start_daemon "$D"
	make_pvs "$SOCK" "$(mda_bytes_for $((NLV + 1024)))" "$D/img/d1.img" "$D/img/d2.img"
	rpc vg.create "{\"name\":\"vg_prof\",\"pvs\":[\"$D/img/d1.img\",\"$D/img/d2.img\"]}" >/dev/null
	bpy populate "$SOCK" vg_prof "$NLV" 16 base
	if [ "$WL" = create ]; then
		workload() { bpy lvtime "$SOCK" vg_prof "${PROFILE_OPS:-20}" p; }
	else
		workload() { bpy throughput "$SOCK" vg_prof 16 16 p; }
	fi
	# CPU against wall time, natively
	cpu() { awk '{print $14 + $15}' "/proc/$VGTOOLD_PID/stat"; }
	hz=$(getconf CLK_TCK)
	c0=$(cpu)
	t0=$(date +%s%N)
	workload
	t1=$(date +%s%N)
	c1=$(cpu)
	echo "native: workload wall $(((t1 - t0) / 1000000)) ms, vgtoold CPU $(((c1 - c0) * 1000 / hz)) ms"
	if command -v strace >/dev/null; then
		# the system calls of the same workload, wall time in each (run again, under strace -c -w)
		strace -c -w -f -p "$VGTOOLD_PID" -o "$OUT.syscalls.txt" &
		strace_pid=$!
		sleep 0.5
		workload >/dev/null
		kill -INT "$strace_pid"
		wait "$strace_pid" || true
		echo "== system calls of vgtoold during the workload ($OUT.syscalls.txt)"
		head -14 "$OUT.syscalls.txt"
	fi
	if command -v perf >/dev/null; then
		# native cycles, the kernel's share (page faults, the flushes' CPU) included
		perf record -q -F 4999 -o "$OUT.perf.data" -p "$VGTOOLD_PID" 2>/dev/null &
		perf_pid=$!
		sleep 0.5
		workload >/dev/null
		kill -INT "$perf_pid"
		wait "$perf_pid" || true
		perf report -q -i "$OUT.perf.data" --no-children --sort dso,symbol 2>/dev/null |
			grep -v '^$' >"$OUT.perf.txt" || true
		echo "== native cycles of vgtoold during the workload, by function ($OUT.perf.txt)"
		head -25 "$OUT.perf.txt"
	fi
fi
stop_daemon

rm -f "$SOCK"
valgrind --tool=callgrind --callgrind-out-file="$OUT.callgrind" \
	"$VGTOOLD" --config "$D/vgtoold.conf" 2>>"$D/valgrind.log" &
VGTOOLD_PID=$!
for ((i = 0; i < 600; i++)); do
	[ -S "$SOCK" ] && rpc host.status >/dev/null 2>&1 && break
	kill -0 "$VGTOOLD_PID" 2>/dev/null || { cat "$D/valgrind.log"; fail "vgtoold under valgrind died"; }
	sleep 0.1
done
if [ "$WL" = startup ]; then
	workload
else
	callgrind_control -z "$VGTOOLD_PID" >/dev/null
	workload
fi
stop_daemon
callgrind_annotate --auto=no --threshold=100 --inclusive=yes "$OUT.callgrind" >"$OUT.incl.txt" 2>/dev/null
callgrind_annotate --auto=no --threshold=100 "$OUT.callgrind" >"$OUT.self.txt" 2>/dev/null
total=$(grep -m1 'PROGRAM TOTALS' "$OUT.self.txt" | awk '{print $1}')
echo "== $WL, $NLV LVs under callgrind: $total instructions; top functions, inclusive ($OUT.incl.txt)"
grep -E '^ *[0-9,]+ \(' "$OUT.incl.txt" | grep -v 'PROGRAM TOTALS' | sed -n '1,35p' || true
echo "== exclusive ($OUT.self.txt)"
grep -E '^ *[0-9,]+ \(' "$OUT.self.txt" | grep -v 'PROGRAM TOTALS' | sed -n '1,25p' || true
