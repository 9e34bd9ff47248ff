#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A PV move whose job fails: vgtoold (none backend) on two loop devices, a
# slow move of an LV with random data from the first to the second; after
# its first checkpoint the destination is made read-only (as a disk that
# starts refusing writes), so the job fails, naming the device. The move
# stays in the metadata: a second move of the VG is refused, naming it.
# Once the device takes writes again, cancelling the failed job aborts the
# move: the chunk moved stays on the destination, the rest on the source,
# no pvmove0 (stock lvm2 agrees), and the LV reads back its data.
. "$top_srcdir/tests/integration/lib.sh"
require_root
require_cmd lvm losetup blockdev python3 cmp
VGTOOL="$top_builddir/cli/vgtool"
MOVE="$TOOLS/pv-move-tool"
[ -x "$VGTOOL" ] || fail "$VGTOOL is not built"
[ -x "$MOVE" ] || fail "$MOVE is not built"

mkdir -p "$WORK/img" "$WORK/state"
make_image "$WORK/img/a.img" 16M
make_image "$WORK/img/b.img" 16M
L0=$(take_loop "$WORK/img/a.img")
L1=$(take_loop "$WORK/img/b.img")
# expect_refusal compares $WORK/pv*.img: the loop devices behind them
ln -s "$L0" "$WORK/pv0.img"
ln -s "$L1" "$WORK/pv1.img"
cat >"$WORK/vgtoold.conf" <<EOC
daemon { socket = "$WORK/sock" state_dir = "$WORK/state" activation = "none" }
devices { scan = [ "/dev" ] filter = [ "a|^$L0\$|", "a|^$L1\$|", "r|.*|" ] }
EOC
SOCK="$WORK/sock"
daemon_up() {
	"$VGTOOLD" --config "$WORK/vgtoold.conf" 2>>"$WORK/vgtoold.log" &
	VGTOOLD_PID=$!
	for i in $(seq 1 100); do
		[ -S "$SOCK" ] && rpc host.status >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	fail "vgtoold did not answer: $(cat "$WORK/vgtoold.log")"
}
V() { "$VGTOOL" --socket "$SOCK" "$@"; }
ok() { V "$@" >"$WORK/out" 2>"$WORK/err" || fail "vgtool $*: $(cat "$WORK/err")"; }
cleanup_ro() { blockdev --setrw "$L1" 2>/dev/null || true; }

# 64 KiB extents: a chunk of the move (16 extents) is 1 MiB
daemon_up
ok vg create vgf "$L0" "$L1" --extent-size 64k
ok lv create vgf/a --extents 48 --pv "$L0"
stop_daemon
EXT=$((64 * 1024))
head -c $((48 * EXT)) /dev/urandom >"$WORK/a.data"
"$MOVE" --devices "$L0,$L1" lv-write vgf a <"$WORK/a.data" || fail "writing LV a"

daemon_up
ok --json --no-wait pv move "$L0" "$L1" --bandwidth 1M
JOB=$(json_get "$(cat "$WORK/out")" 'j["job"]["id"]')
for i in $(seq 1 100); do
	[ "$(json_get "$(rpc job.show '{"id":'"$JOB"'}')" 'int(j["job"]["done_bytes"] >= 1 << 20)')" = 1 ] && break
	sleep 0.05
done
trap 'cleanup_ro; cleanup_integration' EXIT
blockdev --setro "$L1"
for i in $(seq 1 100); do
	state=$(json_get "$(rpc job.show '{"id":'"$JOB"'}')" 'j["job"]["state"]')
	[ "$state" != running ] && break
	sleep 0.1
done
SHOW=$(rpc job.show '{"id":'"$JOB"'}')
assert_eq failed "$(json_get "$SHOW" 'j["job"]["state"]')" "the move's job with its destination read-only"
json_get "$SHOW" 'j["job"]["error"]["message"]' | grep -q "$L1" || fail "the failure does not name $L1: $SHOW"
echo "the job failed: $(json_get "$SHOW" 'j["job"]["error"]["message"]')"
# the move is still recorded: nothing else may start on the VG
expect_refusal V "move in progress" -- lv create vgf/b --extents 1
blockdev --setrw "$L1"

# cancelling the failed job aborts the move it left
ok --json job cancel "$JOB"
assert_eq failed "$(json_get "$(cat "$WORK/out")" 'j["job"]["state"]')" "the failed job after its cancel"
stop_daemon
status=$("$MOVE" --devices "$L0,$L1" status vgf)
assert_eq "no move" "$status" "the metadata after cancelling the failed job"
lvs_read_back "after the failed move was cancelled" "$L0,$L1" vgf a
use_stock_lvm "$L0" "$L1"
stock_lvm vgck vgf >"$WORK/vgck.out" 2>&1 || fail "vgck after the cancel: $(cat "$WORK/vgck.out")"
stock_lvm lvs -a --noheadings -o lv_name vgf | grep -q pvmove && fail "stock lvm2 still sees pvmove0"
devices=$(stock_lvm lvs --noheadings -o devices vgf/a | tr -d ' ')
case "$devices" in
*"$L0"*"$L1"* | *"$L1"*"$L0"*) ;;
*) fail "LV a should span both PVs after the partial move: $devices" ;;
esac
echo "PASS: a failed move, cancelled, leaves the moved chunks moved and the rest in place"
