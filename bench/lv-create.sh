#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Figure 1: time of one LV create and one LV remove in a VG of 2 image-file
# PVs already holding 10, 1 000, 10 000 LVs: through vgtoold (one client,
# one-extent LVs) versus stock lvcreate/lvremove (-an -Zn, activation off,
# no udev, a filter accepting only our loop devices) on the same images.
#
# usage: lv-create.sh [-r RUNS] [-n OPS] SIZE...
#   RUNS repetitions (median), OPS creates + removes per repetition (median).
#
# Method: the VG is populated once through vgtoold with 16 concurrent
# clients (group commit). vgtoold is measured, stopped, then the same image
# files are attached to loop devices and stock lvm2 takes the VG over (our
# VGs are lvm2-readable) and is measured on exactly the same VG.
set -euo pipefail
. "$(dirname "$0")/common.sh"

RUNS=3
OPS=5
while getopts r:n: opt; do
	case $opt in
	r) RUNS=$OPTARG ;;
	n) OPS=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- 10 1000

bench_header "Figure 1: LV create/remove latency vs stock lvcreate/lvremove ($RUNS runs x $OPS ops)"
for size in "$@"; do
	D="$WORK/f1-$size"
	mkdir -p "$D/img"
	# one-extent (4 MiB) LVs on two PVs, plus room for the measured ones
	pv_mib=$(((size + 64 * RUNS * OPS) * 4 / 2 + 1024))
	mda=$(mda_bytes_for $((size + RUNS * OPS)))
	make_image "$D/img/d1.img" "${pv_mib}M"
	make_image "$D/img/d2.img" "${pv_mib}M"
	start_daemon "$D"
	make_pvs "$SOCK" "$mda" "$D/img/d1.img" "$D/img/d2.img"
	rpc vg.create "{\"name\":\"vg_bench\",\"pvs\":[\"$D/img/d1.img\",\"$D/img/d2.img\"]}" >/dev/null
	[ "$size" -gt 0 ] && bpy populate "$SOCK" vg_bench "$size" 16 base
	ours=$(median_of_runs "$RUNS" bpy lvtime "$SOCK" vg_bench "$OPS" x)
	stop_daemon

	loops=("$(take_loop "$D/img/d1.img")" "$(take_loop "$D/img/d2.img")")
	use_stock_lvm "${loops[@]}"
	lvcount=$(stock_lvm vgs --noheadings -o lv_count vg_bench | tr -d ' ')
	[ "$lvcount" = "$size" ] || fail "stock lvm2 sees $lvcount LVs in vg_bench, expected $size"
	creates=() removes=()
	for ((r = 0; r < RUNS; r++)); do
		creates+=("$(bpy cmdtime "$OPS" lvm lvcreate -q -an -Zn -l1 -n "s$r-{i}" vg_bench)")
		removes+=("$(bpy cmdtime "$OPS" lvm lvremove -q -f "vg_bench/s$r-{i}")")
	done
	sc=$(bpy median "${creates[@]#ms=}")
	sr=$(bpy median "${removes[@]#ms=}")
	release_loops
	rm -rf "$D"

	bench_report 1 "lv create, VG of $size LVs" "$(kv "$ours" create_ms)" "$sc" ms ">=50x"
	bench_report 1 "lv remove, VG of $size LVs" "$(kv "$ours" remove_ms)" "$sr" ms ">=50x"
done
