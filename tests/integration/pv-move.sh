#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The pv move engine on loop devices, judged by stock lvm2. A VG of three
# PVs holds LVs filled with random data (checked once with dd at the LV's
# offset, independently of our tools). Every refusal (not enough free
# space, a destination in another VG, an LV not on the PV, a source not in
# the VG) leaves the images byte-identical. A move stopped after some chunks,
# as a crash would leave it, is read by stock lvm2 (pvmove0 with the LVs
# pointing at it, vgck clean), resumed in steps and completed; an abort
# leaves the moved chunks moved and the rest in place; an evacuation takes
# the PV out of the VG. After every step the LVs read back their data.
. "$top_srcdir/tests/integration/lib.sh"
require_root
require_cmd lvm losetup sha256sum dd cmp
ENGINE="$TOOLS/vg-engine-tool"
MOVE="$TOOLS/pv-move-tool"
[ -x "$ENGINE" ] || fail "$ENGINE is not built"
[ -x "$MOVE" ] || fail "$MOVE is not built"

for i in 0 1 2 3; do
	make_image "$WORK/pv$i.img" 8M
	LOOP[$i]=$(take_loop "$WORK/pv$i.img")
done
L0=${LOOP[0]} L1=${LOOP[1]} L2=${LOOP[2]} L3=${LOOP[3]}
use_stock_lvm "${LOOP[@]}"
DEVS=$(IFS=,; echo "${LOOP[*]}")
E() { "$ENGINE" --state-dir "$WORK/state" --devices "$DEVS" "$@" >"$WORK/engine.out" 2>&1 ||
	fail "vg-engine-tool $*: $(cat "$WORK/engine.out")"; }
M() { "$MOVE" --devices "$DEVS" "$@"; }

# 256 KiB extents, data from 64 KiB: 31 extents a PV.
E pvcreate --metadatasize 64k --dataalignment 64k "$L0" "$L1" "$L2" "$L3"
E vgcreate vgm --extent-size 256k "$L0" "$L1" "$L2"
E vgcreate vgo --extent-size 256k "$L3"
E lvcreate vgm a --extents 12 --pv "$L0"   # L0:0-11
E lvcreate vgm b --extents 6 --pv "$L0"    # L0:12-17
E lvcreate vgm c --extents 5 --pv "$L1"    # L1:0-4
E lvcreate vgm fill --extents 22 --pv "$L1"
E lvcreate vgm fill2 --extents 20 --pv "$L2"

EXT=$((256 * 1024))
for lv in a b c; do
	n=$(stock_lvm lvs --noheadings -o seg_size_pe "vgm/$lv" | xargs)
	head -c $((n * EXT)) /dev/urandom >"$WORK/$lv.data"
	M lv-write vgm $lv <"$WORK/$lv.data" || fail "writing LV $lv"
done
# a lies at pe_start of L0: dd reads what our tool wrote
PE_START=$(stock_lvm pvs --noheadings --units b --nosuffix -o pe_start "$L0" | xargs)
dd if="$L0" bs=64k iflag=skip_bytes,count_bytes skip="$PE_START" count=$((12 * EXT)) status=none |
	cmp - "$WORK/a.data" || fail "LV a is not at pe_start of $L0"

check_data() { lvs_read_back "$1" "$DEVS" vgm a b c; }
# lvm_sees WHAT: stock lvm2 reads the VG without a complaint
lvm_sees() {
	stock_lvm vgck vgm >"$WORK/vgck.out" 2>&1 || fail "$1: vgck: $(cat "$WORK/vgck.out")"
	! grep -qi -e warning -e error "$WORK/vgck.out" || fail "$1: vgck: $(cat "$WORK/vgck.out")"
	stock_lvm lvs -a --noheadings --separator ' ' -o lv_name,lv_attr,devices vgm >"$WORK/lvs.raw" ||
		fail "$1: lvs failed"
	sed 's/^ *//' "$WORK/lvs.raw" >"$WORK/lvs.out"
}
check_data "before any move"
lvm_sees "before any move"

# refuse WORD... -- ARGS...: refused, the message says every WORD, no image changed
refuse() { expect_refusal M "$@"; }
refuse "moving the 18 extents" "needs 18 free extents" "they have 4" -- move vgm "$L0" "$L1"
refuse "destination PV" "is not in VG vgm" -- move vgm "$L0" "$L3"
refuse "LV c has no extents on PV" -- move vgm "$L0" --lv c
refuse "source PV" "is not in VG vgm" -- move vgm "$L3"
refuse "no LV called nosuch" -- move vgm "$L0" --lv nosuch
refuse "no move in progress" -- resume vgm
refuse "LV b is in use" -- move vgm "$L0" "$L2" --busy b
assert_eq 7 "$refusals" "refusals"

# room on L1 and L2 for the moves
E lvremove vgm/fill
E lvremove vgm/fill2

# --- a move stopped after 2 chunks of 4 extents, as a crash would leave it
out=$(M move vgm "$L0" "$L1" "$L2" --chunk-extents 4 --stop-after-chunks 2) || fail "move: $out"
assert_eq "stopped after 2 chunks: 2 of 5 moved" "$out" "stopped move"
assert_eq "moving: 2 of 5 chunks, 8 of 18 extents" "$(M status vgm)" "status mid-move"
lvm_sees "after 2 chunks"
grep -q "^\[pvmove0\] p" "$WORK/lvs.out" || fail "stock lvm2 shows no pvmove0: $(cat "$WORK/lvs.out")"
grep -q "^\[pvmove0\] .* $L0(0),$L1(5)" "$WORK/lvs.out" ||
	fail "stock lvm2 does not see pvmove0 mirror $L0(0) to $L1(5): $(cat "$WORK/lvs.out")"
grep -q "^a .* pvmove0(0)" "$WORK/lvs.out" || fail "LV a does not point at pvmove0: $(cat "$WORK/lvs.out")"
check_data "after 2 chunks"

# then one chunk at a time: stock lvm2 reads every checkpoint, the LVs read their data at each
moved=2
while :; do
	out=$(M resume vgm --stop-after-chunks 1) || fail "resume: $out"
	case "$out" in moved*) break ;; esac
	moved=$((moved + 1))
	assert_eq "stopped after 1 chunks: $moved of 5 moved" "$out" "resumed move"
	lvm_sees "after $moved chunks"
	grep -q "^\[pvmove0\] p" "$WORK/lvs.out" || fail "stock lvm2 shows no pvmove0 after $moved chunks"
	check_data "after $moved chunks"
done
# the last chunk's checkpoint is followed at once by the final commit
assert_eq 4 "$moved" "chunks checkpointed before the last resume"
assert_eq "moved 18 extents in 5 chunks" "$out" "completed move"
assert_eq "no move" "$(M status vgm)" "status after the move"
lvm_sees "after the move"
! grep -q -e pvmove0 -e "$L0" "$WORK/lvs.out" || fail "LVs still on $L0 after the move: $(cat "$WORK/lvs.out")"
assert_eq 0 "$(stock_lvm pvs --noheadings -o pv_used --units b --nosuffix "$L0" | xargs)" "extents used on $L0"
check_data "after the move"

# --- an abort after one chunk: that chunk moved, the rest stays
out=$(M move vgm "$L1" "$L0" --lv c --chunk-extents 2 --stop-after-chunks 1) || fail "move of c: $out"
lvm_sees "c after 1 chunk"
out=$(M abort vgm) || fail "abort: $out"
assert_eq aborted "$out" "abort"
lvm_sees "after the abort"
[ "$(grep "^c " "$WORK/lvs.out" | cut -d' ' -f3 | xargs)" = "$L0(0) $L1(2)" ] ||
	fail "c after the abort is not 2 extents on $L0 then the rest on $L1: $(cat "$WORK/lvs.out")"
! grep -q pvmove0 "$WORK/lvs.out" || fail "pvmove0 is left after the abort"
check_data "after the abort"

# --- a move killed (SIGKILL) once stock lvm2 can see it has started: resume completes it
"$MOVE" --devices "$DEVS" move vgm "$L1" "$L2" --chunk-extents 1 --bandwidth $((1024 * 1024)) \
	>"$WORK/killed.out" 2>&1 &
pid=$!
for _ in $(seq 50); do
	case "$(M status vgm 2>/dev/null)" in moving:*) break ;; esac
	sleep 0.1
done
kill -KILL $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
status=$(M status vgm)
case "$status" in moving:*) ;; *) fail "the move was not in progress when killed: $status" ;; esac
echo "killed mid-move: $status"
lvm_sees "after the kill"
grep -q "^\[pvmove0\] p" "$WORK/lvs.out" || fail "stock lvm2 shows no pvmove0 after the kill"
check_data "after the kill"
out=$(M resume vgm) || fail "resume after the kill: $out"
lvm_sees "after the killed move completed"
! grep -q -e pvmove0 -e "$L1" "$WORK/lvs.out" || fail "LVs left on $L1: $(cat "$WORK/lvs.out")"
check_data "after the killed move completed"

# --- evacuate L0 (two extents of c) and take it out of the VG in the final commit
# stopped after its first chunk, then resumed: the resume knows from pvmove0's tag to take L0 out
out=$(M move vgm "$L0" --evacuate --chunk-extents 1 --stop-after-chunks 1) || fail "evacuate: $out"
assert_eq "stopped after 1 chunks: 1 of 2 moved" "$out" "stopped evacuation"
lvm_sees "evacuation after 1 chunk"
assert_eq vgtool_evacuate "$(stock_lvm lvs -a --noheadings -o lv_tags vgm/pvmove0 | xargs)" "tag of pvmove0"
check_data "evacuation after 1 chunk"
out=$(M resume vgm) || fail "resume of the evacuation: $out"
lvm_sees "after the evacuation"
assert_eq "" "$(stock_lvm pvs --noheadings -o vg_name "$L0" | xargs)" "VG of $L0 after the evacuation"
assert_eq 2 "$(stock_lvm vgs --noheadings -o pv_count vgm | xargs)" "PVs of vgm after the evacuation"
DEVS="$L1,$L2,$L3"
check_data "after the evacuation"
agree_with_stock "$L1" "$L2" "$L3"
echo "ok: $refusals refusals, a move stopped and resumed, an abort, a killed move resumed, an evacuation"
