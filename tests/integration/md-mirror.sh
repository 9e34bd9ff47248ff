#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Whole md 1.0 mirrors built and changed by our library, judged by stock
# mdadm: tests/tools/md-mirror-tool creates a mirror on sparse image files
# and runs every operation (fail, remove, add, replace, grow, resync,
# dissolve, each interrupted and resumed where it copies data); after each
# step `mdadm --examine` (and --export) must show what we meant — Array
# UUID, Name, Device Role, Array State, Events, Used/Avail Dev Size, Super
# Offset, Feature Map, Recovery Offset, a correct checksum, the internal
# bitmap — and data written through the userspace mirror must be the same
# on every leg. `mdadm -X` judges the bitmaps on loop devices when we are
# root (skipped with a note otherwise). No md driver is needed.
. "$top_srcdir/tests/integration/lib.sh"

require_cmd mdadm python3 cmp od

TOOL="$TOOLS/md-mirror-tool"
[ -x "$TOOL" ] || fail "missing $TOOL (make check builds it)"

export TZ=UTC
HOMEHOST=vgtool-it-host
UUID=0a1b2c3d:4e5f6071:8293a4b5:c6d7e8f9
CTIME=1700000000
MIB=1048576

agree() {
	[ -n "$1" ] || fail "$3: no value"
	assert_eq "$1" "$2" "$3"
}

tool() {
	"$TOOL" "$@" --time "$CTIME" >"$WORK/tool.out" 2>"$WORK/tool.err" ||
		fail "md-mirror-tool $*: $(cat "$WORK/tool.err")"
}

# tool_refuses CODE-TEXT ARGS...: the tool must fail (exit 1) and say CODE-TEXT.
tool_refuses() {
	local want=$1 rc=0
	shift
	"$TOOL" "$@" --time "$CTIME" >"$WORK/tool.out" 2>"$WORK/tool.err" || rc=$?
	agree 1 "$rc" "exit status of md-mirror-tool $*"
	grep -q -- "$want" "$WORK/tool.err" || fail "md-mirror-tool $*: expected '$want', got: $(cat "$WORK/tool.err")"
}

# examine IMG: keep mdadm's two reports of IMG for the field helpers below.
examine() {
	mdadm --examine "$1" >"$WORK/ex.txt" 2>&1 || fail "mdadm --examine $1: $(cat "$WORK/ex.txt")"
	mdadm --examine --export "$1" >"$WORK/exp.txt" 2>/dev/null || fail "mdadm --examine --export $1"
}
field() { sed -n "s/^ *$1 : //p" "$WORK/ex.txt"; }
export_field() { sed -n "s/^$1=//p" "$WORK/exp.txt"; }

sb_sector() { echo $((($(stat -c %s "$1") / 512 - 16) & ~7)); }

# check_leg IMG ROLE EVENTS ARRAY-STATE [FEATURE-MAP [STATE]]: one leg as mdadm reads it.
check_leg() {
	local img=$1 role=$2 events=$3 astate=$4 fmap=${5:-0x1} state=${6:-clean}

	examine "$img"
	agree a92b4efc "$(field Magic)" "$img: Magic"
	agree 1.0 "$(field Version)" "$img: Version"
	agree "$UUID" "$(field "Array UUID")" "$img: Array UUID"
	agree "$HOMEHOST:md0" "$(field Name)" "$img: Name"
	agree raid1 "$(field "Raid Level")" "$img: Raid Level"
	agree 2 "$(field "Raid Devices")" "$img: Raid Devices"
	agree "$role" "$(field "Device Role")" "$img: Device Role"
	agree "$events" "$(field Events)" "$img: Events"
	agree "$astate" "$(field "Array State" | cut -d' ' -f1)" "$img: Array State"
	agree "$fmap" "$(field "Feature Map")" "$img: Feature Map"
	agree "$state" "$(field State)" "$img: State"
	agree "$(sb_sector "$img") sectors" "$(field "Super Offset")" "$img: Super Offset"
	field Checksum | grep -q -- '- correct$' || fail "$img: checksum: $(field Checksum)"
	agree "$UUID" "$(export_field MD_UUID)" "$img: MD_UUID"
	agree "$HOMEHOST:md0" "$(export_field MD_NAME)" "$img: MD_NAME"
	agree "$events" "$(export_field MD_EVENTS)" "$img: MD_EVENTS"
	agree 2 "$(export_field MD_DEVICES)" "$img: MD_DEVICES"
	agree raid1 "$(export_field MD_LEVEL)" "$img: MD_LEVEL"
	if [ $((fmap & 1)) = 1 ]; then
		agree "-16 sectors from superblock" "$(field "Internal Bitmap")" "$img: Internal Bitmap"
	else
		[ -z "$(field "Internal Bitmap")" ] || fail "$img: an internal bitmap we did not write"
	fi
}

# size_is IMG SIZE: Used Dev Size (the array) and Avail Dev Size (data up to the bitmap).
size_is() {
	examine "$1"
	agree "$2" "$(field "Used Dev Size" | cut -d' ' -f1)" "$1: Used Dev Size"
	agree $(($(sb_sector "$1") - 16)) "$(field "Avail Dev Size" | cut -d' ' -f1)" "$1: Avail Dev Size"
}

no_superblock() {
	if mdadm --examine "$1" >/dev/null 2>&1; then
		fail "$1 still carries an md superblock"
	fi
}

# view_json FIELD-EXPR DEV...: a value from md-mirror-tool view --json (python expression over `v`).
view_json() {
	local expr=$1
	shift
	"$TOOL" view --json "$@" >"$WORK/view.json" 2>"$WORK/tool.err" || fail "view $*: $(cat "$WORK/tool.err")"
	python3 -c 'import json, sys
v = json.load(open(sys.argv[1]))
leg = {l["device"]: l for l in v["legs"] if l["device"]}
print(eval(sys.argv[2]))' "$WORK/view.json" "$expr"
}

# bitmap_x IMG SYNC-SIZE-KIB BITS EVENTS: mdadm -X on a loop device over IMG (root only).
HAVE_ROOT=no
[ "$(id -u)" = 0 ] && HAVE_ROOT=yes
bitmap_x() {
	local img=$1 sync_kib=$2 bits=$3 events=$4 loop
	[ "$HAVE_ROOT" = yes ] || return 0
	local rc=0
	loop=$(losetup -f --show "$img") || fail "cannot attach $img to a loop device"
	mdadm -X "$loop" >"$WORK/x.txt" 2>&1 || rc=$?
	losetup -d "$loop"
	agree 0 "$rc" "mdadm -X $loop ($img): $(cat "$WORK/x.txt")"
	agree 6d746962 "$(sed -n 's/^ *Magic : //p' "$WORK/x.txt")" "$img: bitmap magic"
	agree 4 "$(sed -n 's/^ *Version : //p' "$WORK/x.txt")" "$img: bitmap version"
	agree "$UUID" "$(sed -n 's/^ *UUID : //p' "$WORK/x.txt")" "$img: bitmap UUID"
	agree "64 MB" "$(sed -n 's/^ *Chunksize : //p' "$WORK/x.txt")" "$img: bitmap chunk size"
	agree "$events" "$(sed -n 's/^ *Events : //p' "$WORK/x.txt")" "$img: bitmap events"
	agree "$sync_kib" "$(sed -n 's/^ *Sync Size : \([0-9]*\).*/\1/p' "$WORK/x.txt")" "$img: bitmap sync size"
	agree "OK" "$(sed -n 's/^ *State : //p' "$WORK/x.txt")" "$img: bitmap state"
	sed -n 's/^ *Bitmap : //p' "$WORK/x.txt" | grep -q "^$bits bits (chunks), $bits dirty (100.0%)" ||
		fail "$img: bitmap: $(sed -n 's/^ *Bitmap : //p' "$WORK/x.txt")"
}
[ "$HAVE_ROOT" = yes ] || echo "NOTE: not root, mdadm -X (needs a loop device) is skipped"

A=$WORK/a.img B=$WORK/b.img C=$WORK/c.img S=$WORK/s.img
for img in "$A" "$B" "$C" "$S"; do make_image "$img" 64M; done

# ---- create ----
tool create md0 --homehost "$HOMEHOST" --uuid "$UUID" --bitmap --assume-clean --spare "$S" "$A" "$B"
SIZE=$(sed -n 's/.* size \([0-9]*\) .*/\1/p' "$WORK/tool.out")
agree 130944 "$SIZE" "array size of two 64 MiB legs (mdadm's rule)"
check_leg "$A" "Active device 0" 0 AA
check_leg "$B" "Active device 1" 0 AA
check_leg "$S" spare 0 AA
size_is "$A" "$SIZE"
agree "$(date -u -d @$CTIME '+%a %b %e %H:%M:%S %Y')" "$(field "Creation Time")" "Creation Time"
agree "$CTIME" "$(export_field MD_UPDATE_TIME)" "MD_UPDATE_TIME"
bitmap_x "$A" $((SIZE / 2)) 1 0
bitmap_x "$S" $((SIZE / 2)) 1 0

# Refusals leave the devices as they were.
cp --sparse=always "$A" "$WORK/a.before"
tool_refuses "already carries an md superblock" create md9 "$A" "$C"
cmp -s "$A" "$WORK/a.before" || fail "a refused create changed $A"
tool_refuses "given twice" create md9 "$C" "$C"
no_superblock "$C"

# ---- data through the userspace mirror: on every leg, at the same offsets ----
tool write-pattern --seed 1 "$A" "$B" "$S"
tool check-pattern --seed 1 "$A" "$B" "$S"
for img in "$A" "$B"; do tool check-pattern --seed 1 --leg "$img" "$A" "$B"; done
# Marked dirty before the first write, clean again on flush: two events.
check_leg "$A" "Active device 0" 2 AA
check_leg "$S" spare 2 AA
agree 2 "$(view_json 'v["events"]' "$A" "$B" "$S")" "view events"
agree True "$(view_json 'v["clean"]' "$A" "$B" "$S")" "view clean"

# ---- fail ----
tool fail "$B" "$A" "$B" "$S"
check_leg "$A" "Active device 0" 3 A.
check_leg "$S" spare 3 A.
check_leg "$B" "Active device 1" 2 AA # a failed leg is not written, as md does
agree faulty "$(view_json "leg['$B']['state']" "$A" "$B" "$S")" "view: failed leg"
agree 1 "$(view_json 'v["degraded"]' "$A" "$B" "$S")" "view: degraded"
cp --sparse=always "$A" "$WORK/a.before"
tool_refuses "last in-sync leg" fail "$A" "$A" "$B" "$S"
tool_refuses "fail it first" remove "$A" "$A" "$B" "$S"
cmp -s "$A" "$WORK/a.before" || fail "a refused fail changed $A"

# ---- remove (superblock wiped, first MiB zeroed) ----
tool remove --zero $MIB "$B" "$A" "$B" "$S"
check_leg "$A" "Active device 0" 4 A.
no_superblock "$B"
cmp -s -n $MIB "$B" /dev/zero || fail "$B: first MiB not zeroed"
tool check-pattern --seed 1 --leg "$B" --offset $MIB --length $MIB "$A"

# ---- add, interrupted at 20 MiB with 8 MiB checkpoints, then resumed ----
tool_refuses "stopped at byte" add --checkpoint $((8 * MIB)) --stop-after $((20 * MIB)) "$C" "$A" "$S"
check_leg "$C" "Active device 1" 5 AA 0x3
agree "32768 sectors" "$(field "Recovery Offset")" "$C: Recovery Offset after an interrupted add"
check_leg "$A" "Active device 0" 5 AA
agree recovering "$(view_json "leg['$C']['state']" "$A" "$C" "$S")" "view: interrupted add"
tool recover "$A" "$C" "$S"
check_leg "$C" "Active device 1" 6 AA
[ -z "$(field "Recovery Offset")" ] || fail "$C: still recovering"
check_leg "$A" "Active device 0" 6 AA
tool check-pattern --seed 1 --leg "$C" "$A" "$C"
bitmap_x "$C" $((SIZE / 2)) 1 6

# ---- replace A by B, interrupted, then resumed: B takes slot 0, A is failed and removed ----
tool_refuses "stopped at byte" replace --checkpoint $((4 * MIB)) --stop-after $((10 * MIB)) "$A" "$B" "$A" "$C" "$S"
check_leg "$B" "Replacement device 0" 7 RA 0x13
agree "16384 sectors" "$(field "Recovery Offset")" "$B: Recovery Offset of the replacement"
check_leg "$A" "Active device 0" 7 RA
agree replacement "$(view_json "leg['$B']['state']" "$A" "$B" "$C" "$S")" "view: replacement"
tool recover "$A" "$B" "$C" "$S"
check_leg "$B" "Active device 0" 9 AA
check_leg "$C" "Active device 1" 9 AA
check_leg "$S" spare 9 AA
no_superblock "$A"
tool check-pattern --seed 1 --leg "$B" "$B" "$C"

# ---- grow ----
cp --sparse=always "$B" "$WORK/b.before"
truncate -s 96M "$B" "$C"
tool_refuses "did not grow" grow "$B" "$C" "$S"
truncate -s 64M "$WORK/b.before" # compare the old 64 MiB part only
cmp -s -n $((64 * MIB)) "$B" "$WORK/b.before" || fail "a refused grow changed $B"
OLD_SB=$(( (64 * 2048 - 16) & ~7 ))
truncate -s 96M "$S"
tool grow "$B" "$C" "$S"
NEW_SIZE=$(sed -n 's/^grown to \([0-9]*\) sectors$/\1/p' "$WORK/tool.out")
agree 196480 "$NEW_SIZE" "grown array size"
check_leg "$B" "Active device 0" 10 AA 0x1 active # the new space awaits a resync
size_is "$B" "$NEW_SIZE"
size_is "$C" "$NEW_SIZE"
check_leg "$S" spare 10 AA 0x1 active
bitmap_x "$B" $((NEW_SIZE / 2)) 2 10
for img in "$B" "$C"; do
	[ "$(od -v -An -tx1 -j $(((OLD_SB - 16) * 512)) -N $((16 * 512 + 4096)) "$img" | tr -d ' \n' | tr -d 0)" = "" ] ||
		fail "$img: the old superblock or bitmap was not wiped"
	tool check-pattern --seed 1 --leg "$img" --length $((SIZE * 512)) "$B"
done

# ---- resync the new space without md ----
tool resync "$B" "$C" "$S"
check_leg "$B" "Active device 0" 11 AA
cmp -s -n $((NEW_SIZE * 512)) "$B" "$C" || fail "$B and $C differ after a resync"

# ---- the mirror after more writes, then dissolve: B keeps the data ----
tool write-pattern --seed 2 --offset $((50 * MIB)) --length $((30 * MIB)) "$B" "$C" "$S"
check_leg "$C" "Active device 1" 13 AA
tool dissolve --zero $MIB "$B" "$C" "$S"
for img in "$B" "$C" "$S"; do no_superblock "$img"; done
tool check-pattern --seed 1 --leg "$B" --length $((50 * MIB)) "$B"
tool check-pattern --seed 2 --leg "$B" --offset $((50 * MIB)) --length $((30 * MIB)) "$B"
cmp -s -n $MIB "$C" /dev/zero || fail "$C: first MiB not zeroed on dissolve"
[ "$(od -v -An -tx1 -j $((($(sb_sector "$B") - 16) * 512)) "$B" | tr -d ' \n' | tr -d 0)" = "" ] ||
	fail "$B: metadata left after dissolve"

# ---- a mirror created without --assume-clean: active until resynced ----
D=$WORK/d.img E=$WORK/e.img
make_image "$D" 32M
make_image "$E" 32M
tool create md0 --homehost "$HOMEHOST" --uuid "$UUID" "$D" "$E"
check_leg "$D" "Active device 0" 0 AA 0x0 active
check_leg "$E" "Active device 1" 0 AA 0x0 active
tool write-pattern --seed 3 "$D" "$E"
check_leg "$D" "Active device 0" 0 AA 0x0 active # a dirty mirror is not marked clean by a write
tool resync "$D" "$E"
check_leg "$E" "Active device 1" 1 AA 0x0 clean
# One leg missing: the view lists it, mdadm agrees the other's slot is held.
agree False "$(view_json 'v["legs"][1]["present"]' "$D")" "view: a leg not given is missing"
agree 1 "$(view_json 'v["degraded"]' "$D")" "view: degraded without it"

echo "md-mirror: mdadm agrees with every step"
