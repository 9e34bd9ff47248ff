#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Figure 4: throughput of the daemon API. CLIENTS concurrent clients on one
# VG (2 image-file PVs) already holding LVS LVs: each creates PER one-extent
# LVs, then removes them; LV creates and removes per second (the daemon's
# group commit folds concurrent changes into one commit). Stock lvm2 does
# the same with CLIENTS concurrent lvcreate/lvremove processes (they
# serialise on the VG lock) on the same images attached to loop devices.
#
# usage: throughput.sh [-r RUNS] [-p PER] [-s STOCK_PER] [CLIENTS LVS]  (default 16 1000)
set -euo pipefail
. "$(dirname "$0")/common.sh"

RUNS=3
PER=32
STOCK_PER=2
while getopts r:p:s: opt; do
	case $opt in
	r) RUNS=$OPTARG ;;
	p) PER=$OPTARG ;;
	s) STOCK_PER=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
CLIENTS=${1:-16}
NLV=${2:-1000}

bench_header "Figure 4: $CLIENTS concurrent clients, VG of $NLV LVs ($RUNS runs, $PER ops per client; stock: $STOCK_PER)"
D="$WORK/f4"
mkdir -p "$D/img"
pv_mib=$(((NLV + CLIENTS * PER + CLIENTS * STOCK_PER * RUNS) * 4 / 2 + 1024))
make_image "$D/img/d1.img" "${pv_mib}M"
make_image "$D/img/d2.img" "${pv_mib}M"
start_daemon "$D"
make_pvs "$SOCK" "$(mda_bytes_for $((NLV + CLIENTS * PER)))" "$D/img/d1.img" "$D/img/d2.img"
rpc vg.create "{\"name\":\"vg_tp\",\"pvs\":[\"$D/img/d1.img\",\"$D/img/d2.img\"]}" >/dev/null
bpy populate "$SOCK" vg_tp "$NLV" 16 base
c0=$(json_get "$(rpc host.status)" 'j.get("commits", 0)')
ours=$(median_of_runs "$RUNS" bpy throughput "$SOCK" vg_tp "$CLIENTS" "$PER" t)
c1=$(json_get "$(rpc host.status)" 'j.get("commits", 0)')
echo "vgtoold: $((RUNS * CLIENTS * PER * 2)) changes in $((c1 - c0)) commits"
stop_daemon

loops=("$(take_loop "$D/img/d1.img")" "$(take_loop "$D/img/d2.img")")
use_stock_lvm "${loops[@]}"
# CLIENTS processes in parallel, each STOCK_PER creates then STOCK_PER removes
stock_rate() {
	local t0 t1 t2 c k
	local pids=()
	t0=$(date +%s%N)
	for ((c = 0; c < CLIENTS; c++)); do
		(for ((k = 0; k < STOCK_PER; k++)); do
			stock_lvm lvcreate -q -an -Zn -l1 -n "s$c-$k" vg_tp >/dev/null
		done) &
		pids+=($!)
	done
	for c in "${pids[@]}"; do wait "$c"; done
	t1=$(date +%s%N)
	pids=()
	for ((c = 0; c < CLIENTS; c++)); do
		(for ((k = 0; k < STOCK_PER; k++)); do
			stock_lvm lvremove -q -f "vg_tp/s$c-$k" >/dev/null
		done) &
		pids+=($!)
	done
	for c in "${pids[@]}"; do wait "$c"; done
	t2=$(date +%s%N)
	python3 -c "import sys; n=$CLIENTS*$STOCK_PER; print('create_per_s=%.2f remove_per_s=%.2f' % (n/(($t1-$t0)/1e9), n/(($t2-$t1)/1e9)))"
}
stock=$(median_of_runs "$RUNS" stock_rate)
release_loops
rm -rf "$D"

bench_report 4 "lv creates/s, $CLIENTS clients, VG of $NLV LVs" "$(kv "$ours" create_per_s)" "$(kv "$stock" create_per_s)" "/s" ">=1000/s" higher
bench_report 4 "lv removes/s, $CLIENTS clients, VG of $NLV LVs" "$(kv "$ours" remove_per_s)" "$(kv "$stock" remove_per_s)" "/s" ">=1000/s" higher
