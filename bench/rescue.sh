#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Figure 3: rescue. `vgrescue dump` of a VG of LVS LVs read from one mirror
# leg alone (target: under 0.5 s), next to stock `vgcfgbackup -f` of the
# same leg attached to a loop device (the same work: find the VG, parse
# it, write its text). `vgrescue layout` and `vgrescue map` (of the last LV)
# are timed too when this build of vgrescue has them.
#
# usage: rescue.sh [-r RUNS] [LVS]       (default 1000)
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
NLV=${1:-1000}

bench_header "Figure 3: vgrescue on one leg, VG of $NLV LVs ($RUNS runs)"
D="$WORK/f3"
mkdir -p "$D/img"
leg_mib=$((NLV * 4 + 256))
make_image "$D/img/a.img" "${leg_mib}M"
make_image "$D/img/b.img" "${leg_mib}M"
start_daemon "$D"
pv=md0
if ! rpc mirror.create "{\"name\":\"md0\",\"legs\":[\"$D/img/a.img\",\"$D/img/b.img\"],\"assume_clean\":true}" \
	>"$D/mirror.out" 2>&1; then
	echo "note: mirror.create refused ($(cat "$D/mirror.out")); measuring a plain PV instead of a leg"
	pv="$D/img/a.img"
fi
make_pvs "$SOCK" "$(mda_bytes_for "$NLV")" "$pv"
rpc vg.create "{\"name\":\"vg_rescue\",\"pvs\":[\"$pv\"]}" >/dev/null
bpy populate "$SOCK" vg_rescue "$NLV" 16 lv
stop_daemon

LEG="$D/img/a.img"
ours=$(median_of_runs "$RUNS" bpy cmdtime 1 "$VGRESCUE" dump "$LEG")
n=$("$VGRESCUE" dump --json "$LEG" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(sum(len(v.get("lvs", [])) for v in j["vgs"]))' 2>/dev/null || echo "?")
echo "vgrescue dump sees $n LVs on the leg"
extra=()
for verb in layout map; do
	args=("$LEG")
	[ "$verb" = map ] && args=("vg_rescue/lv$((NLV - 1))" "$LEG")
	if "$VGRESCUE" "$verb" --help >/dev/null 2>&1; then
		if t=$(median_of_runs "$RUNS" bpy cmdtime 1 "$VGRESCUE" "$verb" "${args[@]}" 2>"$D/$verb.err"); then
			extra+=("$verb $(kv "$t" ms)")
		else
			echo "note: vgrescue $verb ${args[*]} failed: $(head -c 300 "$D/$verb.err")"
		fi
	else
		echo "note: this vgrescue has no '$verb' command: not measured"
	fi
done

loop=$(take_loop "$LEG")
use_stock_lvm "$loop"
stock=$(median_of_runs "$RUNS" bpy cmdtime 1 lvm vgcfgbackup -q -f "$D/backup.vg" vg_rescue)
release_loops
rm -rf "$D"

bench_report 3 "vgrescue dump, one leg, $NLV LVs vs vgcfgbackup" "$(kv "$ours" ms)" "$(kv "$stock" ms)" ms "<500 ms"
for e in ${extra[@]+"${extra[@]}"}; do
	bench_report 3 "vgrescue ${e% *}, one leg, $NLV LVs vs vgcfgbackup" "${e#* }" "$(kv "$stock" ms)" ms "<500 ms"
done
