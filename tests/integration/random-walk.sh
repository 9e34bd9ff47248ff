#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A seeded random walk of the storage engine on loop devices, judged by
# stock lvm2. vg-engine-tool random-walk creates, extends, reduces, renames,
# splits, merges and removes VGs and creates, resizes, renames, tags and
# removes LVs (sizes sometimes too large, names sometimes bad); it checks by
# itself that every refusal leaves the metadata bytes untouched and that our
# own scan finds nothing wrong after every step. After every second
# successful step this script is run again with --check, and then
#   (a) our scan validates the devices (vg-engine-tool check: vg_validate,
#       no stale, missing or inconsistent copies, in-use flags right), and
#   (b) stock lvm2 agrees: pvs/vgs/lvs report the same VGs, PVs, LVs,
#       segments and seqnos (agree_with_stock), with nothing on stderr, and
#       vgck and pvck have no complaints.
# The seeds are fixed, so a failure replays exactly; the seed and the step
# are printed when it fails.
. "$top_srcdir/tests/integration/lib.sh"
require_root
require_cmd lvm losetup python3
ENGINE="$TOOLS/vg-engine-tool"
[ -x "$ENGINE" ] || fail "$ENGINE is not built (make tests/tools/vg-engine-tool)"
[ -x "$VGRESCUE" ] || fail "$VGRESCUE is not built (make metadata-tools/vgrescue)"

# stock_quiet CMD ARGS...: a stock lvm2 command that must print nothing on
# stderr (no warning about outdated, inconsistent or odd metadata).
stock_quiet() {
	local out
	out=$(stock_lvm "$@" 2>&1 >/dev/null) || fail "stock lvm2 '$*' failed: $out"
	[ -z "$out" ] || fail "stock lvm2 '$*' complains: $out"
}

# check_devices DEV...: the verdict after one step of the walk.
check_devices() {
	local list n_ours pvs
	list=$(IFS=,; echo "$*")
	use_stock_lvm "$@"

	"$ENGINE" --state-dir "$WORK/state" --devices "$list" check >/dev/null ||
		fail "our own scan finds problems (step ${VG_WALK_STEP:-?})"

	"$ENGINE" --state-dir "$WORK/state" --devices "$list" scan >"$WORK/scan.txt"
	n_ours=$(grep -c '^VG ' "$WORK/scan.txt" || true)
	if [ "$n_ours" = 0 ]; then
		# nothing to compare: stock lvm2 must find no VG either
		[ -z "$(stock_lvm vgs --noheadings -o vg_name 2>/dev/null | xargs)" ] ||
			fail "stock lvm2 sees a VG where vgtool sees none"
	else
		# $(...) waits for stock_lvm's stderr filter, a subshell keeps fail's exit in
		local err rc=0
		err=$( (agree_with_stock "$@") 2>&1 >"$WORK/agree.out") || rc=$?
		[ "$rc" = 0 ] || {
			cat "$WORK/agree.out" >&2
			fail "vgtool and stock lvm2 disagree (step ${VG_WALK_STEP:-?}): $err"
		}
		[ -z "$err" ] || fail "stock lvm2 or vgrescue complain while reporting (step ${VG_WALK_STEP:-?}): $err"
		stock_quiet vgck
	fi
	# pvck on every device that is a PV (as our scan says: the stock reports
	# above already agreed on them), in parallel: each run mostly waits
	pvs=$(awk '$1 == "pv" && $2 != "MISSING" { print $2 } $1 == "orphan" { print $3 }' "$WORK/scan.txt")
	local dev pids=()
	for dev in $pvs; do
		(no_pvck_complaints "$dev") >"$WORK/pvck.${dev##*/}" 2>&1 &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do
		wait "$pid" || { cat "$WORK"/pvck.* >&2; fail "pvck complains (step ${VG_WALK_STEP:-?})"; }
	done
}

# A python3 found through a version manager's shim (pyenv) costs a quarter
# of a second per start, more than all the lvm2 commands of a check: run the
# interpreter itself.
if [ -z "${VG_WALK_PYTHON:-}" ]; then
	VG_WALK_PYTHON=$(python3 -c 'import sys; print(sys.executable)')
	export VG_WALK_PYTHON
fi
mkdir -p "$WORK/bin"
ln -sf "$VG_WALK_PYTHON" "$WORK/bin/python3"
PATH="$WORK/bin:$PATH"

if [ "${1:-}" = --check ]; then
	shift
	check_devices "$@"
	exit 0
fi

# Five PVs of different sizes: extents of 1, 2 and 4 MiB give 8 to 67 per PV.
for i in 0 1 2 3 4; do
	make_image "$WORK/pv$i.img" $((36 + 8 * i))M
	LOOP[$i]=$(take_loop "$WORK/pv$i.img")
done

# walk SEED STEPS EVERY FROM: FROM says where the walk starts, for the replay hint
walk() {
	local seed=$1 steps=$2 every=$3 from=$4
	"$ENGINE" --state-dir "$WORK/state" random-walk --seed "$seed" --steps "$steps" --check-every "$every" \
		--check "bash '$top_srcdir/tests/integration/random-walk.sh' --check ${LOOP[*]}" \
		"${LOOP[@]}" >"$WORK/walk-$seed.log" 2>&1 || {
		tail -n 40 "$WORK/walk-$seed.log"
		fail "random walk with seed $seed failed (replay: vg-engine-tool --state-dir DIR random-walk" \
			"--seed $seed --steps $steps DEV... on ${#LOOP[@]} devices of 36, 44, 52, 60, 68 MiB, $from)"
	}
	tail -n 1 "$WORK/walk-$seed.log"
}

# Two walks from blank devices, then one continuing on what the second left.
walk 20260425 120 2 "blank"
for i in 0 1 2 3 4; do
	dd if=/dev/zero of="${LOOP[$i]}" bs=1M count=2 conv=fsync status=none
	dd if=/dev/zero of="${LOOP[$i]}" bs=1M count=2 seek=$((34 + 8 * i)) conv=fsync status=none
done
rm -rf "$WORK/state"
walk 7 120 2 "blank"
walk 99 50 2 "as the walk with seed 7 left them"
echo "the engine's random walks agree with stock lvm2"
