#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The daemon's device inventory on real loop devices, through
# tests/tools/inventory-tool: a loop with a mounted ext4 is in_use "mounted
# on ...", a loop another process holds open with O_EXCL is in_use, an md
# 1.0 leg is md_leg with its array uuid, a PV made by stock lvm2 is pv with
# the uuid and VG name pvs reports, a zeroed loop is free; the image files
# behind the loops, seen through a scan directory, are in_use "attached to
# loop device ..."; devices the filter does not accept are never listed.
# Then the event watch: a new image file in the scan directory and a newly
# attached loop device each produce an event.
#
# Loop devices are shared with the whole machine: only the ones taken here
# (losetup -f --show) are accepted by the filter, used, and detached.
. "$top_srcdir/tests/integration/lib.sh"

require_root
require_cmd losetup mkfs.ext4 mount umount mountpoint python3 lvm truncate
TOOL="$TOOLS/inventory-tool"
WRITE_LEG="$TOOLS/md-write-leg"
[ -x "$TOOL" ] || fail "$TOOL is not built (make tests/tools/inventory-tool)"
[ -x "$WRITE_LEG" ] || fail "$WRITE_LEG is not built (make tests/tools/md-write-leg)"

IMAGES="$WORK/images"
MNT="$WORK/mnt"
mkdir -p "$IMAGES" "$MNT"
EXCL_PID=
MONITOR_PID=

# Undo in reverse: the mount and the O_EXCL holder go before the loops are detached.
# set +e: a failing step here must not skip detaching the loops.
cleanup_inventory() {
	set +e
	mountpoint -q "$MNT" && umount "$MNT"
	if [ -n "$EXCL_PID" ]; then
		kill "$EXCL_PID" 2>/dev/null
		wait "$EXCL_PID" 2>/dev/null
	fi
	if [ -n "$MONITOR_PID" ]; then
		kill "$MONITOR_PID" 2>/dev/null
		wait "$MONITOR_PID" 2>/dev/null
	fi
	cleanup_integration
}
trap cleanup_inventory EXIT

LEG_UUID=0a1b2c3d:4e5f6071:8293a4b5:c6d7e8f9
VG=vg_inventory_it

for name in free fs excl leg pv spare; do
	make_image "$IMAGES/$name.img" 32M
done
mkfs.ext4 -q -F "$IMAGES/fs.img"
"$WRITE_LEG" --uuid "$LEG_UUID" --name md7 "$IMAGES/leg.img" >/dev/null

L_FREE=$(take_loop "$IMAGES/free.img")
L_FS=$(take_loop "$IMAGES/fs.img")
L_EXCL=$(take_loop "$IMAGES/excl.img")
L_LEG=$(take_loop "$IMAGES/leg.img")
L_PV=$(take_loop "$IMAGES/pv.img")
OURS=("$L_FREE" "$L_FS" "$L_EXCL" "$L_LEG" "$L_PV")

# Exactly our loop devices and image files; everything else is rejected.
FILTER=()
for dev in "${OURS[@]}"; do
	FILTER+=(--filter "a|^${dev}\$|")
done
FILTER+=(--filter "a|^${IMAGES}/[a-z]+\\.img\$|" --filter "r|.*|")

use_stock_lvm "$L_PV"
stock_lvm pvcreate -q "$L_PV" >/dev/null
stock_lvm vgcreate -q "$VG" "$L_PV" >/dev/null
PV_UUID=$(stock_lvm pvs --noheadings -o pv_uuid "$L_PV" | tr -d ' -')

mount "$L_FS" "$MNT"

# Another program holding the loop device open exclusively (as a hypervisor or mkfs would).
python3 -c '
import os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL)
open(sys.argv[2], "w").close()
time.sleep(600)
' "$L_EXCL" "$WORK/excl-ready" &
EXCL_PID=$!
for _ in $(seq 100); do
	[ -e "$WORK/excl-ready" ] && break
	sleep 0.1
done
[ -e "$WORK/excl-ready" ] || fail "the O_EXCL holder did not start"

# field PATH COLUMN: a column of PATH's line in the last listing (1 path, 2 kind, 5 class, 6 details).
field() {
	awk -F'\t' -v p="$1" -v c="$2" '$1 == p { print $c }' "$WORK/list.txt"
}

# detail PATH KEY: KEY=VALUE from the details column (reason= runs to the end of the line).
detail() {
	local details
	details=$(field "$1" 6)
	if [ "$2" = reason ]; then
		sed -n 's/.*reason=//p' <<<"$details"
	else
		tr ' ' '\n' <<<"$details" | sed -n "s/^$2=//p"
	fi
}

list() {
	"$TOOL" list "${FILTER[@]}" --scan-dir "$IMAGES" >"$WORK/list.txt" || fail "inventory-tool list failed"
}

list
cat "$WORK/list.txt"

# Only what the filter accepts: our five loops and the six image files.
assert_eq 11 "$(wc -l <"$WORK/list.txt")" "number of devices listed"
for dev in "${OURS[@]}"; do
	assert_eq loop "$(field "$dev" 2)" "kind of $dev"
done

assert_eq in_use "$(field "$L_FS" 5)" "class of the mounted loop"
assert_eq "mounted on $MNT" "$(detail "$L_FS" reason)" "reason of the mounted loop"
assert_eq ext4 "$(detail "$L_FS" fs_type)" "fs_type of the mounted loop"

assert_eq in_use "$(field "$L_EXCL" 5)" "class of the loop opened O_EXCL elsewhere"
assert_eq "open exclusively by another program" "$(detail "$L_EXCL" reason)" "reason of the O_EXCL loop"

assert_eq md_leg "$(field "$L_LEG" 5)" "class of the md leg"
assert_eq "$LEG_UUID" "$(detail "$L_LEG" md_uuid)" "array uuid of the md leg"

assert_eq pv "$(field "$L_PV" 5)" "class of the PV"
assert_eq "$PV_UUID" "$(detail "$L_PV" pv_uuid)" "PV uuid (as stock pvs reports it)"
assert_eq "$VG" "$(detail "$L_PV" vg)" "VG of the PV"

assert_eq free "$(field "$L_FREE" 5)" "class of the zeroed loop"
assert_eq "$IMAGES/free.img" "$(detail "$L_FREE" backing_file)" "backing file of the zeroed loop"

# The files behind the loops are busy; the one without a loop is free.
for name in free fs excl leg pv; do
	dev=$(losetup -j "$IMAGES/$name.img" -O NAME -n | head -n1)
	assert_eq in_use "$(field "$IMAGES/$name.img" 5)" "class of $name.img (behind a loop)"
	assert_eq "attached to loop device $dev" "$(detail "$IMAGES/$name.img" reason)" "reason of $name.img"
done
assert_eq free "$(field "$IMAGES/spare.img" 5)" "class of spare.img"

# One device at a time, as the daemon probes after an event.
"$TOOL" show "${FILTER[@]}" "$L_FS" >"$WORK/show.txt" || fail "inventory-tool show $L_FS failed"
grep -qx "class=in_use" "$WORK/show.txt" || fail "show $L_FS: not in_use: $(cat "$WORK/show.txt")"
grep -qx "reason=mounted on $MNT" "$WORK/show.txt" || fail "show $L_FS: no mount reason"
if "$TOOL" show --filter "a|^${L_FREE}\$|" "$L_FS" >/dev/null 2>"$WORK/err.txt"; then
	fail "show accepted $L_FS outside the filter"
fi
grep -q "matched by no devices/filter entry" "$WORK/err.txt" || fail "no filter reason: $(cat "$WORK/err.txt")"

# Released, they show what is on them.
umount "$MNT"
kill "$EXCL_PID"
wait "$EXCL_PID" 2>/dev/null || true
EXCL_PID=
list
assert_eq filesystem "$(field "$L_FS" 5)" "class of the unmounted ext4 loop"
assert_eq ext4 "$(detail "$L_FS" fs_type)" "fs_type of the unmounted loop"
assert_eq free "$(field "$L_EXCL" 5)" "class of the released O_EXCL loop"

# ---- the event watch ----

# wait_for FILE REGEX: up to 10 s for a line matching REGEX.
wait_for() {
	for _ in $(seq 100); do
		grep -Eq "$2" "$1" && return 0
		sleep 0.1
	done
	return 1
}

# start_monitor OUT ARGS...: watch in the background until killed; returns once it is watching.
start_monitor() {
	local out=$1 ready="$WORK/monitor-ready"
	shift
	rm -f "$ready"
	"$TOOL" monitor --timeout 60 --ready "$ready" "$@" >"$out" &
	MONITOR_PID=$!
	wait_for_file "$ready" || fail "the monitor did not start"
}

wait_for_file() {
	for _ in $(seq 100); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

stop_monitor() {
	kill "$MONITOR_PID" 2>/dev/null || true
	wait "$MONITOR_PID" 2>/dev/null || true
	MONITOR_PID=
}

# A new image file in the scan directory (inotify; no block events asked for).
start_monitor "$WORK/files.txt" --no-block "${FILTER[@]}" --scan-dir "$IMAGES"
make_image "$IMAGES/newfile.img" 16M
wait_for "$WORK/files.txt" "^add file $IMAGES/newfile.img\$" ||
	fail "no add event for a new image file: $(cat "$WORK/files.txt")"
wait_for "$WORK/files.txt" "^change file $IMAGES/newfile.img\$" ||
	fail "no change event once the new image file was written: $(cat "$WORK/files.txt")"
stop_monitor

# A newly attached loop device (udev's events when udevd runs, the kernel's otherwise).
start_monitor "$WORK/blocks.txt"
L_NEW=$(take_loop "$IMAGES/spare.img")
wait_for "$WORK/blocks.txt" "^(add|change) block $L_NEW ${L_NEW#/dev/} [0-9]+:[0-9]+\$" ||
	fail "no event for the new loop device $L_NEW: $(cat "$WORK/blocks.txt")"
stop_monitor

# And the inventory sees it.
FILTER=(--filter "a|^${L_NEW}\$|" --filter "r|.*|")
list
assert_eq free "$(field "$L_NEW" 5)" "class of the new loop device"
assert_eq "$IMAGES/spare.img" "$(detail "$L_NEW" backing_file)" "backing file of the new loop device"

echo "inventory: all checks passed"
