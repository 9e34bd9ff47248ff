#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Figure 2: start-up. Time from starting vgtoold to its first answer
# (host.status) and to the answer of lv.list (every LV of the host), with
# PVS image-file PVs and LVS LVs spread over VGS VGs, versus stock `vgs`
# followed by `lvs` on the same images attached to loop devices.
#
# usage: startup.sh [-r RUNS] [PVS LVS VGS]     (default 64 2000 4)
set -euo pipefail
. "$(dirname "$0")/common.sh"

RUNS=5
while getopts r: opt; do
	case $opt in
	r) RUNS=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
NPV=${1:-64}
NLV=${2:-2000}
NVG=${3:-4}

bench_header "Figure 2: start-up with $NPV PVs, $NLV LVs in $NVG VGs ($RUNS runs)"
D="$WORK/f2"
mkdir -p "$D/img"
per_vg=$((NPV / NVG))
lvs_per_vg=$((NLV / NVG))
# each VG's PVs hold its one-extent LVs with room to spare
pv_mib=$((lvs_per_vg * 4 / per_vg + 64))
mda=$(mda_bytes_for "$lvs_per_vg")
imgs=()
for ((i = 0; i < NPV; i++)); do
	make_image "$D/img/p$i.img" "${pv_mib}M"
	imgs+=("$D/img/p$i.img")
done
start_daemon "$D"
make_pvs "$SOCK" "$mda" "${imgs[@]}"
for ((v = 0; v < NVG; v++)); do
	pvs=$(printf '"%s",' "${imgs[@]:v*per_vg:per_vg}")
	rpc vg.create "{\"name\":\"vg_s$v\",\"pvs\":[${pvs%,}]}" >/dev/null
	bpy populate "$SOCK" "vg_s$v" "$lvs_per_vg" 16 lv
done
stop_daemon

ours=$(median_of_runs "$RUNS" bpy startup "$VGTOOLD" "$D/vgtoold.conf" "$SOCK")
[ "$(kv "$ours" lvs | cut -d. -f1)" = $((lvs_per_vg * NVG)) ] || fail "lv.list after start-up: $ours"

loops=()
for img in "${imgs[@]}"; do
	loops+=("$(take_loop "$img")")
done
use_stock_lvm "${loops[@]}"
stock_vgs_lvs() {
	local t0 t1
	t0=$(date +%s%N)
	stock_lvm vgs >/dev/null
	t1=$(date +%s%N)
	stock_lvm lvs >/dev/null
	echo "vgs_ms=$(((t1 - t0) / 1000000)) both_ms=$((($(date +%s%N) - t0) / 1000000))"
}
stock=$(median_of_runs "$RUNS" stock_vgs_lvs)
release_loops
rm -rf "$D"

bench_report 2 "start to first answer (host.status) vs vgs" "$(kv "$ours" status_ms)" "$(kv "$stock" vgs_ms)" ms ">=10x"
bench_report 2 "start to lv.list answered vs vgs + lvs" "$(kv "$ours" list_ms)" "$(kv "$stock" both_ms)" ms ">=10x"
