#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# PV moves through vgtoold and vgtool (none backend, image files): a VG of
# three PVs whose LVs hold random data. Every refusal (not enough free
# space, a destination in another VG, an LV not on the PV) leaves the images
# byte-identical; while a move runs, other changes of its VG are refused
# naming the move. A slow move is killed with kill -9 after a checkpoint:
# stock lvm2 reads the metadata it left (the bandwidth limit a tag of
# pvmove0), and the next start of vgtoold resumes the move as a job at the
# same limit and completes it. A cancelled move leaves the
# chunks moved so far on their destination and the rest in place, with no
# pvmove0. An evacuation empties a PV and takes it out of the VG, and
# vg move-pv --evacuate adds it to another VG in the same job. After
# every step the LVs read back their data through the metadata, and stock
# lvm2 agrees with vgtool at the end.
. "$top_srcdir/tests/integration/lib.sh"
require_root
require_cmd lvm losetup python3 sha256sum cmp
VGTOOL="$top_builddir/cli/vgtool"
MOVE="$TOOLS/pv-move-tool"
[ -x "$VGTOOL" ] || fail "$VGTOOL is not built"
[ -x "$MOVE" ] || fail "$MOVE is not built"

# the daemon manages $WORK/img; $WORK/pv*.img name the same files for expect_refusal
mkdir -p "$WORK/img"
for i in 0 1 2 3; do
	make_image "$WORK/img/pv$i.img" 16M
	ln -s "img/pv$i.img" "$WORK/pv$i.img"
done
make_image "$WORK/img/s0.img" 8M
make_image "$WORK/img/s1.img" 8M
P0="$WORK/img/pv0.img" P1="$WORK/img/pv1.img" P2="$WORK/img/pv2.img" P3="$WORK/img/pv3.img"
V() { "$VGTOOL" --socket "$SOCK" "$@"; }
ok() { V "$@" >"$WORK/out" 2>"$WORK/err" || fail "vgtool $*: $(cat "$WORK/err")"; }

# 64 KiB extents: a chunk of the move (16 extents) is 1 MiB
start_daemon "$WORK"
ok vg create vgm "$P0" "$P1" "$P2" --extent-size 64k
ok vg create vgo "$P3" --extent-size 64k
ok lv create vgm/a --extents 40 --pv "$P0"
ok lv create vgm/b --extents 24 --pv "$P0"
ok lv create vgm/c --extents 16 --pv "$P1"
ok lv create vgm/fill --extents 200 --pv "$P1"
stop_daemon

DEVS="$P0,$P1,$P2"
EXT=$((64 * 1024))
M() { "$MOVE" --devices "$DEVS" "$@"; }
declare -A EXTENTS=([a]=40 [b]=24 [c]=16)
for lv in a b c; do
	head -c $((EXTENTS[$lv] * EXT)) /dev/urandom >"$WORK/$lv.data"
	M lv-write vgm $lv <"$WORK/$lv.data" || fail "writing LV $lv"
done
check_data() { lvs_read_back "$1" "$DEVS" vgm a b c; }
# where each LV's extents are, from vgrescue: "a:pv0.img:40 b:..." in segment order
layout() {
	"$VGRESCUE" dump --json "$P0" "$P1" "$P2" | python3 -c '
import json, sys
d = json.load(sys.stdin)
vg = [v for v in d["vgs"] if v["name"] == "vgm"][0]
pvs = {p["id"]: (p.get("device") or "?").split("/")[-1] for p in vg["pvs"]}
out = []
for lv in vg["lvs"]:
    if lv["name"] not in ("a", "b", "c"):
        continue
    for s in lv["segments"]:
        for st in s.get("stripes", []):
            out.append("%s:%s:%d" % (lv["name"], pvs.get(st.get("pv_id"), st.get("pv")), s["extent_count"]))
print(" ".join(out))'
}
check_data "before any move"
assert_eq "a:pv0.img:40 b:pv0.img:24 c:pv1.img:16" "$(layout)" "layout before any move"

start_daemon "$WORK"
refuse() { expect_refusal V "$@"; }
refuse "moving the 64 extents" "needs 64 free extents" "they have 24" -- pv move "$P0" "$P1"
refuse "$P3 is a PV of VG vgo, not of VG vgm" -- pv move "$P0" "$P3"
refuse "LV c has no extents on PV" -- pv move "$P0" --lv vgm/c
refuse "$P3 is a PV of VG vgo, not of VG vgm" -- pv move "$P3" --lv vgm/a
refuse "no LV called nosuch" -- pv move "$P0" --lv vgm/nosuch
refuse "bandwidth" -- pv move "$P0" --bandwidth 0
assert_eq 6 "$refusals" "refusals"

# a dry run says what would move, and writes nothing
sha256sum "$WORK"/pv*.img >"$WORK/sums.before"
ok --json pv move "$P0" "$P2" --dry-run
assert_eq "64 5 True" "$(json_get "$(cat "$WORK/out")" \
	'"%d %d %s" % (j["move"]["extents"], len(j["move"]["chunks"]), j["dry_run"])')" "dry run of pv move"
sha256sum "$WORK"/pv*.img | cmp -s - "$WORK/sums.before" || fail "a dry run changed the images"

# a slow move (1 MiB/s: a chunk a second), killed after its first checkpoint
ok --json --no-wait pv move "$P0" "$P2" --bandwidth 1M
JOB=$(json_get "$(cat "$WORK/out")" 'j["job"]["id"]')
assert_eq "pv.move vgm running $((64 * EXT))" "$(json_get "$(rpc job.show '{"id":'"$JOB"'}')" \
	'"%s %s %s %d" % (j["job"]["kind"], j["job"]["target"], j["job"]["state"], j["job"]["total_bytes"])')" \
	"the move's job"
rc=0
V lv create vgm/d --extents 1 >"$WORK/out" 2>"$WORK/err" || rc=$?
assert_eq 1 "$rc" "lv create during a move"
grep -q "VG vgm has a PV move in progress" "$WORK/err" || fail "lv create during a move: $(cat "$WORK/err")"
rc=0
V pv move "$P1" >"$WORK/out" 2>"$WORK/err" || rc=$?
assert_eq 1 "$rc" "a second move of the VG"
grep -q "pv.move" "$WORK/err" || fail "a second move does not name the running one: $(cat "$WORK/err")"
# the host read again mid-move (a mirror made of two other images): the job goes on with the new VG store
rpc mirror.create '{"name":"md9","legs":["'"$WORK/img/s0.img"'","'"$WORK/img/s1.img"'"],"assume_clean":true}' >/dev/null
for i in $(seq 1 100); do
	[ "$(json_get "$(rpc job.show '{"id":'"$JOB"'}')" 'int(j["job"]["done_bytes"] >= 3 << 19)')" = 1 ] && break
	sleep 0.05
done
assert_eq running "$(json_get "$(rpc job.show '{"id":'"$JOB"'}')" 'j["job"]["state"]')" "the move after a rescan"
grep -q "VG vgm was read again: its move goes on from the last checkpoint" "$WORK/vgtoold.log" ||
	fail "the move did not notice the rescan: $(tail -5 "$WORK/vgtoold.log")"
kill -KILL "$VGTOOLD_PID"
wait "$VGTOOLD_PID" 2>/dev/null || true
VGTOOLD_PID=
STATUS=$(M status vgm)
case "$STATUS" in
"moving"*) ;;
*) fail "after kill -9 the metadata holds no move: $STATUS" ;;
esac
echo "after kill -9: $STATUS"
check_data "after kill -9 mid-move"

# stock lvm2 reads the move as it was left
L0=$(take_loop "$P0") L1=$(take_loop "$P1") L2=$(take_loop "$P2")
use_stock_lvm "$L0" "$L1" "$L2"
stock_lvm vgck vgm >"$WORK/vgck.out" 2>&1 || fail "vgck mid-move: $(cat "$WORK/vgck.out")"
stock_lvm lvs -a --noheadings -o lv_name,lv_attr vgm | grep -q "\[pvmove0\]" ||
	fail "stock lvm2 sees no pvmove0 mid-move: $(stock_lvm lvs -a vgm 2>&1)"
# the move's bandwidth limit is kept with it, as a tag of pvmove0
stock_lvm lvs -a --noheadings -o lv_name,lv_tags vgm | grep -Eq "\[pvmove0\] +vgtool_bandwidth_1048576$" ||
	fail "pvmove0's tags mid-move: $(stock_lvm lvs -a -o lv_name,lv_tags vgm 2>&1)"
release_loops

# the next start resumes the move, still at 1 MiB/s, and completes it
# what is left to copy, as the metadata says ("moving: 2 of 5 chunks, 32 of 64 extents")
left=$(echo "$STATUS" | sed -n 's/.*, \([0-9]*\) of \([0-9]*\) extents.*/\2 \1/p' | { read -r all moved; echo $(((all - moved) * EXT)); })
[ "$left" -gt $((1 << 20)) ] || fail "too little left of the move to time it: $STATUS"
t0=$(date +%s%N)
start_daemon "$WORK"
JOBS=$(rpc job.list)
assert_eq "['pv.move vgm']" "$(json_get "$JOBS" '[x["kind"] + " " + x["target"] for x in j["jobs"]]')" \
	"jobs after a restart"
wait_job "$(json_get "$JOBS" 'j["jobs"][0]["id"]')"
took_ms=$((($(date +%s%N) - t0) / 1000000))
# at most one step (1 MiB) goes before the limit holds the job back
[ "$took_ms" -ge $(((left - (1 << 20)) * 1000 / (1 << 20))) ] ||
	fail "the resumed move copied $left bytes in $took_ms ms: its 1 MiB/s limit was lost"
echo "resumed move: $left bytes in $took_ms ms"
ok --json vg show vgm
stop_daemon
# the last commit's rescue note says where the LVs are now (the backup carries the same text)
grep -Eq "^# a: pv2 bytes [0-9]+-[0-9]+$" "$WORK/state/backup/vgm" ||
	fail "the rescue note after the move: $(grep '^# [abc]:' "$WORK/state/backup/vgm")"
assert_eq "no move" "$(M status vgm)" "status after the resumed move"
assert_eq "a:pv2.img:40 b:pv2.img:24 c:pv1.img:16" "$(layout)" "layout after the move"
check_data "after the resumed move"

# a move back, cancelled after a checkpoint: moved chunks stay moved, the rest stays, no pvmove0
start_daemon "$WORK"
ok --json --no-wait pv move "$P2" "$P0" --bandwidth 1M
JOB=$(json_get "$(cat "$WORK/out")" 'j["job"]["id"]')
for i in $(seq 1 100); do
	[ "$(json_get "$(rpc job.show '{"id":'"$JOB"'}')" 'int(j["job"]["done_bytes"] >= 3 << 19)')" = 1 ] && break
	sleep 0.05
done
ok job cancel "$JOB"
assert_eq cancelled "$(json_get "$(rpc job.show '{"id":'"$JOB"'}')" 'j["job"]["state"]')" "the cancelled job"
# the VG takes changes again
ok lv create vgm/d --extents 1 --pv "$P1"
ok lv remove vgm/d
stop_daemon
assert_eq "no move" "$(M status vgm)" "status after the cancel"
LAYOUT=$(layout)
echo "after the cancel: $LAYOUT"
case "$LAYOUT" in
"a:pv0.img:"*" a:pv2.img:"*" b:pv2.img:24 c:pv1.img:16") ;;
*) fail "after a cancel after the first chunk, a is split between pv0 and pv2 and b stays: $LAYOUT" ;;
esac
check_data "after the cancel"

# an evacuation empties pv1 (c and fill go to the others) and takes it out of vgm; with
# vg move-pv --evacuate, one job then adds it to vgo
start_daemon "$WORK"
# a PV holding part of an LV cannot change VG; the refusal says how to empty it
refuse "LV a of VG vgm" "vgtool pv evacuate $P2" "--evacuate" -- vg move-pv "$P2" --from vgm --to vgo
ok --json vg move-pv "$P1" --from vgm --to vgo --evacuate
assert_eq "['vg.move_pv $P1 done', 'pv.evacuate vgm done']" \
	"$(json_get "$(rpc job.list)" '[x["kind"] + " " + x["target"] + " " + x["state"] for x in j["jobs"] if x["kind"] != "pv.move"]')" \
	"the jobs of vg move-pv --evacuate"
ok --json pv list
assert_eq "vgo" "$(json_get "$(cat "$WORK/out")" '[p.get("vg") for p in j["pvs"] if p["device"] == "'"$P1"'"][0]')" \
	"the evacuated PV's VG"
ok --json vg show vgm
assert_eq "2 0" "$(json_get "$(cat "$WORK/out")" '"%d %d" % (len(j["vg"]["pvs"]), len([l for l in j["vg"]["lvs"] if l["name"] == "pvmove0"]))')" \
	"PVs of vgm after the evacuation, and no pvmove0"
stop_daemon
DEVS="$P0,$P2"
check_data "after the evacuation"

L0=$(take_loop "$P0") L1=$(take_loop "$P1") L2=$(take_loop "$P2") L3=$(take_loop "$WORK/img/pv3.img")
use_stock_lvm "$L0" "$L1" "$L2" "$L3"
for vg in vgm vgo; do
	stock_lvm vgck $vg >"$WORK/vgck.out" 2>&1 || fail "vgck $vg at the end: $(cat "$WORK/vgck.out")"
done
agree_with_stock "$L0" "$L1" "$L2" "$L3"
echo "PASS: $refusals refusals, a move killed and resumed, a cancel, an evacuation into another VG"
