#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# capacity.plan and capacity.apply through vgtool on a small seed-like
# layout (none backend, image files): md0, md1, md2 mirrors in vg_raid,
# which therefore requires redundancy, and two plain disks in vg_bulk. md2
# holds a little LV with random data. vg_bulk=+20M is cheapest by evacuating
# md2 within vg_raid and moving it whole (the plan says exactly that, and
# what it copies); told that vg_raid need not stay redundant, the planner
# dissolves md2 instead, copying nothing; a want no layout can meet is refused naming the group and
# writes nothing; applying the plan is one job, after which md2 is a PV of
# vg_bulk and the LV reads back its data from md0/md1. Then vg_bulk, which
# does not require redundancy, gains more by dissolving md2 in place.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd python3 sha256sum cmp
VGTOOL="$top_builddir/cli/vgtool"
[ -x "$VGTOOL" ] || fail "$VGTOOL is not built"
[ -x "$TOOLS/pv-move-tool" ] || fail "$TOOLS/pv-move-tool is not built"

mkdir -p "$WORK/img"
for p in a0 b0 a1 b1; do make_image "$WORK/img/$p.img" 64M; done
for p in a2 b2; do make_image "$WORK/img/$p.img" 32M; done
for p in sdb sdd; do make_image "$WORK/img/$p.img" 64M; done
for p in a0 b0 a1 b1 a2 b2 sdb sdd; do ln -s "img/$p.img" "$WORK/pv-$p.img"; done
I() { echo "$WORK/img/$1.img"; }
V() { "$VGTOOL" --socket "$SOCK" "$@"; }
ok() { V "$@" >"$WORK/out" 2>"$WORK/err" || fail "vgtool $*: $(cat "$WORK/err")"; }
MIB=$((1 << 20))

start_daemon "$WORK"
for m in 0 1 2; do
	rpc mirror.create '{"name":"md'$m'","legs":["'"$(I a$m)"'","'"$(I b$m)"'"],"assume_clean":true}' >/dev/null
done
ok vg create vg_raid md0 md1 md2
ok vg create vg_bulk "$(I sdb)" "$(I sdd)"
ok lv create vg_raid/lv_files --size 40M --pv md0
ok lv create vg_raid/lv_vm --size 20M --pv md1
ok lv create vg_raid/lv_small --size 8M --pv md2
ok lv create vg_bulk/lv_rushes --size 100M
stop_daemon
# lv_small's data on both legs of each mirror, as the mirror would have written it
head -c $((8 * MIB)) /dev/urandom >"$WORK/lv_small.data"
for side in a b; do
	"$TOOLS/pv-move-tool" --devices "$(I ${side}0),$(I ${side}1),$(I ${side}2)" lv-write vg_raid lv_small \
		<"$WORK/lv_small.data" || fail "writing lv_small on the $side legs"
done

start_daemon "$WORK"
plan_summary() { # the steps and groups of the plan in $WORK/out, one line
	json_get "$(cat "$WORK/out")" '" ; ".join(["%s %s %s->%s copies %d" % (s["kind"], s["device"], s["from_vg"], s["to_vg"],
		s["bytes_copied"]) for s in j["plan"]["steps"]] + ["%s %d->%d redundant %s->%s" % (g["vg"], g["free_before"],
		g["free_after"], g["redundant_before"], g["redundant_after"]) for g in j["plan"]["groups"]])'
}
# 4 MiB extents; vg_raid: md0 15 (10 used), md1 15 (5 used), md2 7 (2 used); vg_bulk: 30 (25 used)
ok --json capacity plan --want vg_bulk=+20M
assert_eq "evacuate_and_move_pv md2 vg_raid->vg_bulk copies $((8 * MIB)) ; vg_bulk $((20 * MIB))->$((48 * MIB)) redundant False->False ; vg_raid $((80 * MIB))->$((52 * MIB)) redundant True->True" \
	"$(plan_summary)" "the plan for vg_bulk=+20M"
# vg_raid told it need not stay redundant: a mirror of it dissolved, copying nothing, is cheaper
ok --json capacity plan --want vg_bulk=+20M --redundancy vg_raid=no
assert_eq "dissolve_mirror md2 vg_raid->vg_bulk copies 0 ; vg_bulk $((20 * MIB))->$((48 * MIB)) redundant False->False ; vg_raid $((80 * MIB))->$((80 * MIB)) redundant True->False" \
	"$(plan_summary)" "the plan for vg_bulk=+20M with vg_raid=no"
expect_refusal V "not a VG here" "vg_nope" -- capacity plan --want vg_bulk=+20M --redundancy vg_nope=no
ok capacity plan --want vg_bulk=+20M
grep -q "evacuate md2 within vg_raid, then move it to vg_bulk (copies 8 MiB)" "$WORK/out" ||
	fail "the plan for people: $(cat "$WORK/out")"

# what cannot be had is refused, naming the group, and nothing is written
expect_refusal V "no plan" "vg_bulk" -- capacity apply --want vg_bulk=+10G
# a dry run writes nothing either
sha256sum "$WORK"/pv*.img >"$WORK/sums.before"
ok --json capacity apply --want vg_bulk=+20M --dry-run
assert_eq "True 1" "$(json_get "$(cat "$WORK/out")" '"%s %d" % (j["dry_run"], len(j["plan"]["steps"]))')" "dry run"
sha256sum "$WORK"/pv*.img | cmp -s - "$WORK/sums.before" || fail "a dry run changed the images"

ok --json capacity apply --want vg_bulk=+20M
JOBS=$(rpc job.list)
assert_eq "['capacity.apply capacity done', 'pv.evacuate vg_raid done']" \
	"$(json_get "$JOBS" '[x["kind"] + " " + x["target"] + " " + x["state"] for x in j["jobs"]]')" "jobs after apply"
ok --json vg show vg_bulk
assert_eq "3 $((48 * MIB))" "$(json_get "$(cat "$WORK/out")" '"%d %d" % (len(j["vg"]["pvs"]), j["vg"]["free_bytes"])')" \
	"vg_bulk after the plan"
ok --json pv list
assert_eq "['md0', 'md1']" "$(json_get "$(cat "$WORK/out")" 'sorted(p["device"] for p in j["pvs"] if p.get("vg") == "vg_raid")')" \
	"vg_raid's PVs after the plan"

# vg_bulk does not require redundancy: md2 (empty there now) dissolved in place adds its second leg
ok --json capacity plan --want "vg_bulk>=70M"
assert_eq "dissolve_mirror md2 vg_bulk->vg_bulk copies 0 ; vg_bulk $((48 * MIB))->$((76 * MIB)) redundant False->False ; vg_raid $((52 * MIB))->$((52 * MIB)) redundant True->True" \
	"$(plan_summary)" "the plan for vg_bulk>=70M"
ok --json capacity apply --want "vg_bulk>=70M"
ok --json vg show vg_bulk
assert_eq "4 $((76 * MIB))" "$(json_get "$(cat "$WORK/out")" '"%d %d" % (len(j["vg"]["pvs"]), j["vg"]["free_bytes"])')" \
	"vg_bulk after dissolving md2"
ok --json mirror list
assert_eq "['md0', 'md1']" "$(json_get "$(cat "$WORK/out")" 'sorted(m["name"] for m in j["mirrors"])')" "mirrors left"
stop_daemon
lvs_read_back "after the plans" "$(I a0),$(I a1)" vg_raid lv_small
lvs_read_back "after the plans, the other legs" "$(I b0),$(I b1)" vg_raid lv_small
echo "PASS: capacity plans and their application"
