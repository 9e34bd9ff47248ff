#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vgrescue restore --write given one leg of a mirror (the rescue case: one
# surviving leg) must not leave the other leg looking in sync with old
# metadata in its data area. A mirror md0 of two legs with an internal
# bitmap, vg_one on md0 and a plain PV, built by vgtoold; lv_b removed and
# lv_c created after the version restored. Then:
#  (a) restore with leg a only: a's md superblock has events + 3 and b's
#      role faulty (mdadm: Array State "A.", bitmap Events Cleared raised),
#      b's image is byte-identical; the report names a as written and b
#      (not given) as marked for a full rebuild;
#  (b) vgtoold sees md0 degraded with b faulty and stale, and serves the
#      restored VG (new seqno, lv_a and lv_b, no lv_c);
#  (c) b taken out (mirror.remove_leg) and added back (mirror.add_leg) is
#      rebuilt by a job; then both legs' data areas are identical and
#      mdadm sees both active;
#  (d) restore with both legs given marks nothing: the md superblocks
#      (and bitmaps) are byte-identical, the report says nothing to rebuild.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd python3 mdadm cmp

D="$WORK/d"
mkdir -p "$D/img"
make_image "$D/img/a.img" 32M
make_image "$D/img/b.img" 32M
make_image "$D/img/other.img" 16M
A="$D/img/a.img" B="$D/img/b.img" O="$D/img/other.img"
img() { echo "\"$D/img/$1.img\""; }

start_daemon "$D"
rpc mirror.create '{"name":"md0","legs":['$(img a)','$(img b)'],"bitmap":true,"assume_clean":true}' >/dev/null
rpc vg.create '{"name":"vg_one","pvs":["md0",'$(img other)']}' >/dev/null
rpc lv.create '{"vg":"vg_one","name":"lv_a","size":"4M","pvs":["md0"]}' >/dev/null
rpc lv.create '{"vg":"vg_one","name":"lv_b","size":"4M","pvs":["md0"]}' >/dev/null
old=$(json_get "$(rpc vg.show '{"name":"vg_one"}')" 'j["vg"]["seqno"]')
rpc lv.remove '{"vg":"vg_one","name":"lv_b"}' >/dev/null
rpc lv.create '{"vg":"vg_one","name":"lv_c","size":"4M","pvs":[ '$(img other)']}' >/dev/null
last=$(json_get "$(rpc vg.show '{"name":"vg_one"}')" 'j["vg"]["seqno"]')
size=$(json_get "$(rpc mirror.show '{"name":"md0"}')" 'j["mirror"]["size_bytes"]')
stop_daemon
assert_eq $((old + 2)) "$last" "seqno after lv.remove and lv.create"

examine() { mdadm --examine "$1" 2>/dev/null; }
field() { # field DEVICE NAME: the value mdadm --examine gives NAME
	examine "$1" | sed -n "s/^ *$2 : //p" | sed 's/ *$//'
}
# bitmap_fields IMG: "EVENTS EVENTS-CLEARED" of mdadm -X on a loop device over IMG (root only; else as expected)
bitmap_fields() {
	local loop x
	[ "$(id -u)" = 0 ] || { echo "$2"; return 0; }
	loop=$(take_loop "$1")
	x=$(mdadm --examine-bitmap "$loop" 2>&1) || fail "mdadm -X $1: $x"
	release_loops
	echo "$(sed -n 's/^ *Events : //p' <<<"$x") $(sed -n 's/^ *Events Cleared : //p' <<<"$x")"
}
events=$(field "$A" Events)
assert_eq "$events" "$(field "$B" Events)" "both legs' events before the restore"
assert_eq "AA ('A' == active, '.' == missing, 'R' == replacing)" "$(field "$A" 'Array State')" "a's array state before"
cp --sparse=always "$B" "$WORK/b.before"
cp --sparse=always "$A" "$WORK/a.before"

# dry run: says what would be marked, writes nothing
rc=0
"$VGRESCUE" restore vg_one --from "$old" "$A" "$O" >"$WORK/dry.txt" 2>"$WORK/dry.err" || rc=$?
assert_eq 1 "$rc" "restore without --write"
grep -qx "# mirror md0: legs would be written: $A; would be marked faulty for a full rebuild from them: device 1 (slot 1, not given)" \
	"$WORK/dry.txt" || fail "dry run: mirror line: $(grep mirror "$WORK/dry.txt")"
cmp "$A" "$WORK/a.before" || fail "a changed in a dry run"

# (a) one leg written: a says b is faulty, with events past mdadm's margin; b untouched
"$VGRESCUE" restore --json vg_one --from "$old" --write "$A" "$O" >"$WORK/r.json" || fail "restore --write a other"
r=$(cat "$WORK/r.json")
assert_eq "True $((last + 1)) 0" "$(json_get "$r" 'j["written"], j["new_seqno"], len(j["refusals"])' | tr -d "(),'")" \
	"restore: written, new seqno, refusals"
assert_eq "md0 $A 1:1:None True $((events + 3))" \
	"$(json_get "$r" '" ".join("%s %s %s %s %s" % (m["mirror"], ",".join(m["written_legs"]), ",".join("%d:%d:%s" % (l["dev_number"], l["slot"], l["device"]) for l in m["rebuild_legs"]), m["marked"], m["events"]) for m in j["mirrors"])')" \
	"restore: the mirror's written legs, legs to rebuild, marked, events"
cmp "$B" "$WORK/b.before" || fail "leg b was written"
assert_eq $((events + 3)) "$(field "$A" Events)" "a's events after the restore"
assert_eq "A. ('A' == active, '.' == missing, 'R' == replacing)" "$(field "$A" 'Array State')" "a's array state after"
assert_eq "Active device 0" "$(field "$A" 'Device Role')" "a's role after"
assert_eq "$((events + 3)) $((events + 3))" "$(bitmap_fields "$A" "$((events + 3)) $((events + 3))")" \
	"a's bitmap events and events cleared"
assert_eq "$events AA ('A' == active, '.' == missing, 'R' == replacing)" "$(field "$B" Events) $(field "$B" 'Array State')" \
	"b's superblock after the restore"
# the text report says the same
cp --sparse=always "$WORK/a.before" "$A"
"$VGRESCUE" restore vg_one --from "$old" --write "$A" "$O" >"$WORK/r.txt" || fail "restore --write (text)"
grep -qx "mirror md0: legs written: $A; marked faulty for a full rebuild from them: device 1 (slot 1, not given); the written legs' md events are now $((events + 3))" \
	"$WORK/r.txt" || fail "text report: $(cat "$WORK/r.txt")"
# given now, b is faulty in a's eyes: not written, nothing more to mark, a's events kept
"$VGRESCUE" restore --json vg_one --from "$old" --write "$A" "$B" "$O" >"$WORK/r2.json" || fail "restore with b faulty"
assert_eq "$A 0 False $((events + 3))" \
	"$(json_get "$(cat "$WORK/r2.json")" '"+".join(j["mirrors"][0]["written_legs"]), len(j["mirrors"][0]["rebuild_legs"]), j["mirrors"][0]["marked"], j["mirrors"][0]["events"]' | tr -d "(),'")" \
	"restore with b faulty: legs written, legs to rebuild, marked, events"
cmp "$B" "$WORK/b.before" || fail "leg b was written although stale"
restored=$(json_get "$(cat "$WORK/r2.json")" 'j["new_seqno"]')

# (b) vgtoold: md0 degraded, b faulty and stale, the restored VG served
start_daemon "$D"
m=$(rpc mirror.show '{"name":"md0"}')
assert_eq "degraded 1 $((events + 3))" "$(json_get "$m" 'j["mirror"]["state"], j["mirror"]["degraded_slots"], j["mirror"]["events"]' | tr -d "(),'")" \
	"vgtoold: md0 state, degraded slots, events"
assert_eq "$A:0:in_sync:True $B:faulty:faulty:False" \
	"$(json_get "$m" '" ".join("%s:%s:%s:%s" % (l["device"], l["role"], l["state"], l["fresh"]) for l in j["mirror"]["legs"])')" \
	"vgtoold: md0's legs"
v=$(rpc vg.show '{"name":"vg_one"}')
assert_eq "$restored" "$(json_get "$v" 'j["vg"]["seqno"]')" "vgtoold: vg_one's seqno"
assert_eq "lv_a lv_b" "$(json_get "$(rpc lv.list '{"vg":"vg_one"}')" '" ".join(sorted(l["name"] for l in j["lvs"]))')" \
	"vgtoold: vg_one's LVs"

# (c) b taken out and added back: rebuilt in full from a, as a job
rpc mirror.remove_leg '{"name":"md0","device":'"$(img b)"'}' >/dev/null
out=$(rpc mirror.add_leg '{"name":"md0","device":'"$(img b)"'}')
job=$(json_get "$out" 'j["job"]["id"]')
wait_job "$job"
m=$(rpc mirror.show '{"name":"md0"}')
assert_eq "clean 0" "$(json_get "$m" 'j["mirror"]["state"], j["mirror"]["degraded_slots"]' | tr -d "(),'")" \
	"vgtoold: md0 after add_leg"
stop_daemon
cmp -n "$size" "$A" "$B" || fail "the legs' data areas differ after the rebuild"
assert_eq "AA ('A' == active, '.' == missing, 'R' == replacing)" "$(field "$A" 'Array State')" "a's array state after the rebuild"
assert_eq "$(field "$A" Events)" "$(field "$B" Events)" "events of a and b after the rebuild"

# (d) both legs given: nothing marked, the md metadata of both legs byte-identical
meta() { tail -c +$((size + 1)) "$1" | md5sum; } # all past the data area: superblock and bitmap
ma=$(meta "$A") mb=$(meta "$B") ev=$(field "$A" Events)
"$VGRESCUE" restore --json vg_one --from "$old" --write "$A" "$B" "$O" >"$WORK/r3.json" || fail "restore with both legs"
assert_eq "True $A+$B 0 False $ev" \
	"$(json_get "$(cat "$WORK/r3.json")" 'j["written"], "+".join(j["mirrors"][0]["written_legs"]), len(j["mirrors"][0]["rebuild_legs"]), j["mirrors"][0]["marked"], j["mirrors"][0]["events"]' | tr -d "(),'")" \
	"restore with both legs: written, legs written, legs to rebuild, marked, events"
assert_eq "$ma $mb" "$(meta "$A") $(meta "$B")" "md metadata of both legs after a restore to both"
cmp -n "$size" "$A" "$B" || fail "the legs' data areas differ after a restore to both"
"$VGRESCUE" restore vg_one --from "$old" --write "$A" "$B" "$O" >"$WORK/r3.txt" || fail "restore with both legs (text)"
grep -qx "mirror md0: legs written: $A $B; every in-sync leg, nothing to rebuild" "$WORK/r3.txt" ||
	fail "text report with both legs: $(cat "$WORK/r3.txt")"
echo "a restore to one leg marks the other for a full rebuild"
