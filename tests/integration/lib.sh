# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared helpers of the integration tests. Source it; it sets `set -eu`,
# makes $WORK (removed on exit) and detaches only the loop devices it took.
#
#   require_cmd CMD...        skip (77) when a command is missing
#   require_root              skip (77) unless running as root
#   make_image FILE SIZE      sparse image file (SIZE as truncate(1) takes it)
#   take_loop FILE            attach FILE to a free loop device, print its path
#   release_loops             detach every loop device taken so far
#   use_stock_lvm DEV...      point stock lvm2 at exactly these devices
#   stock_lvm CMD ARGS...     run a stock lvm2 command in that setup
#   fail MESSAGE              print and exit 1
#   assert_eq EXPECTED ACTUAL WHAT
set -eu

: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
VGRESCUE="$top_builddir/metadata-tools/vgrescue"
TOOLS="$top_builddir/tests/tools"

WORK=$(mktemp -d /tmp/vgtool-it.XXXXXX)
# Loop devices taken are listed in a file, not a variable: take_loop runs in
# a $(...) subshell, whose variables die with it.
LOOP_REGISTRY="$WORK/loops-taken"
: >"$LOOP_REGISTRY"

# release_loops: detach every loop device this test took.
release_loops() {
	local loop
	while read -r loop; do
		[ -n "$loop" ] && losetup -d "$loop" 2>/dev/null || true
	done <"$LOOP_REGISTRY"
	: >"$LOOP_REGISTRY"
}

cleanup_integration() {
	if [ -n "${VGTOOLD_PID:-}" ]; then
		kill -TERM "$VGTOOLD_PID" 2>/dev/null || true
		wait "$VGTOOLD_PID" 2>/dev/null || true
	fi
	release_loops
	rm -rf "$WORK"
}
trap cleanup_integration EXIT

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c is not installed"
	done
}

require_root() {
	[ "$(id -u)" = 0 ] || skip "needs root (loop devices)"
}

make_image() {
	rm -f "$1"
	truncate -s "$2" "$1"
}

take_loop() {
	local loop
	loop=$(losetup -f --show "$1") || fail "cannot attach $1 to a loop device"
	echo "$loop" >>"$LOOP_REGISTRY"
	echo "$loop"
}

assert_eq() {
	[ "$1" = "$2" ] || fail "$3: expected '$1', got '$2'"
}

# Stock lvm2 sees exactly the devices given, no udev, no devices file, no
# device-mapper, no md component filtering (our devices are checked for that
# by us), backups into $WORK.
use_stock_lvm() {
	local dev accept=""
	for dev in "$@"; do
		accept="$accept\"a|^${dev}\$|\", "
	done
	export LVM_SYSTEM_DIR="$WORK/lvm"
	export LVM_SUPPRESS_FD_WARNINGS=1
	mkdir -p "$LVM_SYSTEM_DIR/backup" "$LVM_SYSTEM_DIR/archive"
	cat >"$LVM_SYSTEM_DIR/lvm.conf" <<EOC
devices {
	scan = [ "/dev" ]
	obtain_device_list_from_udev = 0
	external_device_info_source = "none"
	use_devicesfile = 0
	filter = [ ${accept}"r|.*|" ]
	global_filter = [ ${accept}"r|.*|" ]
	hints = "none"
	md_component_detection = 0
	multipath_component_detection = 0
	write_cache_state = 0
}
global {
	activation = 0
	use_lvmlockd = 0
	event_activation = 0
	locking_dir = "$WORK/lvm/lock"
}
activation {
	udev_sync = 0
	udev_rules = 0
	monitoring = 0
}
backup {
	backup = 1
	backup_dir = "$WORK/lvm/backup"
	archive = 0
	archive_dir = "$WORK/lvm/archive"
}
EOC
}

stock_lvm() {
	lvm "$@" 2> >(grep -v -e 'WARNING: activation disabled' \
		-e 'WARNING: Activation disabled' >&2)
}

# agree_with_stock DEV...: `vgrescue dump --json` of the devices and stock
# lvm2's reports must describe the same VGs, PVs, LVs and segments.
agree_with_stock() {
	"$VGRESCUE" dump --json "$@" >"$WORK/ours.json" || fail "vgrescue dump failed on $*"
	stock_lvm pvs -o pv_name,pv_uuid,pe_start,pv_pe_count,vg_name --units s --nosuffix \
		--reportformat json >"$WORK/pvs.json"
	stock_lvm vgs -o vg_name,vg_uuid,vg_seqno,vg_extent_size,vg_tags --units s --nosuffix \
		--reportformat json >"$WORK/vgs.json"
	stock_lvm lvs -a --segments -o vg_name,lv_name,lv_uuid,lv_tags,seg_start_pe,seg_size_pe,segtype,stripes,stripe_size,seg_pe_ranges \
		--units s --nosuffix --reportformat json >"$WORK/lvs.json"
	python3 "$top_srcdir/tests/integration/compare-lvm.py" "$WORK/ours.json" "$WORK/pvs.json" \
		"$WORK/vgs.json" "$WORK/lvs.json" || fail "vgtool and stock lvm2 disagree"
}

# no_pvck_complaints DEV...: pvck finds nothing wrong in the headers and metadata.
no_pvck_complaints() {
	local dev out
	for dev in "$@"; do
		out=$(stock_lvm pvck --dump headers "$dev" 2>&1) || fail "pvck --dump headers $dev failed: $out"
		if grep -q 'CHECK' <<<"$out"; then
			echo "$out"
			fail "pvck complains about $dev"
		fi
	done
}

# lvs_read_back WHAT DEVS VG LV...: each LV, read through the VG's metadata
# on DEVS (comma-separated) by pv-move-tool, holds $WORK/LV.data.
lvs_read_back() {
	local what=$1 devs=$2 vg=$3 lv
	shift 3
	for lv in "$@"; do
		"$TOOLS/pv-move-tool" --devices "$devs" lv-read "$vg" "$lv" >"$WORK/$lv.read" ||
			fail "$what: reading LV $lv"
		cmp -s "$WORK/$lv.read" "$WORK/$lv.data" || fail "$what: LV $lv does not read back its data"
	done
}

# expect_refusal RUNNER WORD... -- ARGS...: `RUNNER ARGS...` is refused (exit
# status 1, no sanitizer report), its message says every WORD
# (case-insensitive), and no image $WORK/pv*.img changed. Counts $refusals.
refusals=0
expect_refusal() {
	local runner=$1 words=() rc=0 w
	shift
	while [ "$1" != -- ]; do
		words+=("$1")
		shift
	done
	shift
	sha256sum "$WORK"/pv*.img >"$WORK/sums.before"
	"$runner" "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
	[ "$rc" = 1 ] || fail "'$*': exit status $rc where a refusal (1) was expected: $(cat "$WORK/out" "$WORK/err")"
	# a sanitizer build also exits 1 when it stops on an error
	! grep -q -e 'Sanitizer' -e 'runtime error' "$WORK/err" || fail "'$*': $(cat "$WORK/err")"
	for w in "${words[@]}"; do
		grep -qiF -- "$w" "$WORK/err" || fail "'$*': the message does not say '$w': $(cat "$WORK/err")"
	done
	sha256sum "$WORK"/pv*.img >"$WORK/sums.after"
	cmp -s "$WORK/sums.before" "$WORK/sums.after" ||
		fail "'$*' was refused but changed the images: $(diff "$WORK/sums.before" "$WORK/sums.after")"
	refusals=$((refusals + 1))
	echo "refused: $*: $(sed 's/^[a-z-]*: //' "$WORK/err")"
}

# start_daemon DIR [EXTRA-DAEMON-SETTINGS]: a vgtoold with the none backend
# managing the image files DIR/img/*.img, its socket DIR/sock, its state in
# DIR/state. Sets VGTOOLD_PID and SOCK.
VGTOOLD="$top_builddir/daemon/vgtoold"
start_daemon() {
	local dir=$1 extra=${2:-}
	mkdir -p "$dir/img" "$dir/state"
	cat >"$dir/vgtoold.conf" <<EOC
daemon { socket = "$dir/sock" state_dir = "$dir/state" activation = "none" $extra }
devices { scan = [ "$dir/img" ] filter = [ "a|^$dir/img/.*\\.img\$|", "r|.*|" ] }
EOC
	SOCK="$dir/sock"
	"$VGTOOLD" --config "$dir/vgtoold.conf" 2>>"$dir/vgtoold.log" &
	VGTOOLD_PID=$!
	local i
	for i in $(seq 1 100); do
		[ -S "$SOCK" ] && rpc host.status >/dev/null 2>&1 && return 0
		kill -0 "$VGTOOLD_PID" 2>/dev/null || { cat "$dir/vgtoold.log"; fail "vgtoold died at start"; }
		sleep 0.05
	done
	fail "vgtoold did not answer within 5 s"
}

stop_daemon() {
	[ -n "${VGTOOLD_PID:-}" ] || return 0
	kill -TERM "$VGTOOLD_PID" 2>/dev/null || true
	wait "$VGTOOLD_PID" 2>/dev/null || true
	VGTOOLD_PID=
}

# rpc METHOD [PARAMS-JSON]: the result on stdout; exit 1 on an error reply.
rpc() {
	python3 "$top_srcdir/tests/integration/rpc.py" "$SOCK" "$@"
}

# json_get JSON EXPR: evaluate a Python expression on the parsed JSON as `j`.
json_get() {
	python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}

# wait_job ID [STATE]: until vgtoold's job ID is no longer running (60 s at
# most); fail unless it ended in STATE (done by default).
wait_job() {
	local i state
	for i in $(seq 1 600); do
		state=$(json_get "$(rpc job.show '{"id":'"$1"'}')" 'j["job"]["state"]')
		if [ "$state" != running ]; then
			[ "$state" = "${2:-done}" ] || fail "job $1 ended $state, expected ${2:-done}: $(rpc job.show '{"id":'"$1"'}')"
			return 0
		fi
		sleep 0.1
	done
	fail "job $1 still running after 60 s"
}
