#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Stock lvm2 judges the devices left by every crash point of a commit
# (tests/unit/test-vg-commit breaks each write of a commit in turn and saves
# the devices): vgs must show the VG at the old or the new seqno, its LVs
# must be those of that seqno, and vgck must accept it.
. "$top_srcdir/tests/integration/lib.sh"
require_root
require_cmd lvm losetup python3

mkdir -p "$WORK/crash"
VG_CRASH_IMAGE_DIR="$WORK/crash" "$top_builddir/tests/unit/test-vg-commit" >"$WORK/unit.log" 2>&1 ||
	{ cat "$WORK/unit.log"; fail "test-vg-commit failed"; }

cases=$(ls "$WORK/crash" | sed -n 's/-pv0\.img$//p' | sort)
[ -n "$cases" ] || fail "no crash images were saved"
checked=0
for c in $cases; do
	loops=()
	for i in 0 1 2; do
		loops+=("$(take_loop "$WORK/crash/$c-pv$i.img")")
	done
	use_stock_lvm "${loops[@]}"
	seqno=$(stock_lvm vgs --noheadings -o vg_seqno crashvg 2>/dev/null | xargs)
	lvs=$(stock_lvm lvs --noheadings -O lv_name -o lv_name crashvg 2>/dev/null | xargs)
	case "$seqno:$lvs" in
	"1:gone keep") ;;
	"2:fresh keep") ;;
	*) fail "case $c: stock lvm2 sees seqno '$seqno' with LVs '$lvs' (expected 1 with gone and keep, or 2 with fresh and keep)" ;;
	esac
	stock_lvm vgck crashvg >/dev/null 2>"$WORK/vgck.err" || { cat "$WORK/vgck.err"; fail "case $c: vgck refuses the VG"; }
	release_loops
	checked=$((checked + 1))
done
echo "stock lvm2 read the old or the new VG at all $checked crash points"
