#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A VG on three PVs loses one, gets it back, and later finds an old copy of
# one: the engine's view and stock lvm2's must match at every stage.
#  - One PV hidden (left out of the device list, then its loop device
#    detached): our scan reports the VG partial naming the missing PV (stock
#    lvm2 names the same uuid), reads still work (scan, vgrescue dump), and
#    every change is refused with the missing PV named, nothing written.
#  - Back (on a new loop device when the old one was detached): changes
#    work again, the next commit reaches all three PVs with seqno + 1.
#  - One PV's image restored from an earlier copy: our scan reports it stale,
#    the freshest copy wins, and the next commit repairs it, after which stock
#    lvm2 prints no warning at all (no outdated or inconsistent metadata).
. "$top_srcdir/tests/integration/lib.sh"
require_root
require_cmd lvm losetup python3
ENGINE="$TOOLS/vg-engine-tool"
[ -x "$ENGINE" ] || fail "$ENGINE is not built (make tests/tools/vg-engine-tool)"
[ -x "$VGRESCUE" ] || fail "$VGRESCUE is not built (make metadata-tools/vgrescue)"

for i in 0 1 2; do
	make_image "$WORK/pv$i.img" 24M
	LOOP[$i]=$(take_loop "$WORK/pv$i.img")
done
L0=${LOOP[0]} L1=${LOOP[1]} L2=${LOOP[2]}
DEVS="$L0,$L1,$L2"
E() { "$ENGINE" --state-dir "$WORK/state" --devices "$DEVS" "$@"; }
ok() {
	E "$@" >"$WORK/ok.out" 2>&1 || { cat "$WORK/ok.out"; fail "'$*' failed"; }
}
json_field() { # json_field EXPRESSION < JSON: a python expression over `d`
	python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}
our_seqno() { E --json scan | json_field 'd["vgs"][0]["seqno"]'; }

# stock_warnings CMD...: what stock lvm2 prints on stderr besides the
# activation notice. Call it inside $(...), which waits for the filter of
# stock_lvm to finish writing.
stock_warnings() {
	# shellcheck disable=SC2069 # stderr to the capture, stdout away: on purpose
	stock_lvm "$@" 2>&1 >/dev/null || true
}

# 1 MiB extents: 23 per PV.
ok pvcreate "$L0" "$L1" "$L2"
ok vgcreate vgp --extent-size 1m "$L0" "$L1" "$L2"
ok lvcreate vgp a --extents 10 --pv "$L0"
ok lvcreate vgp b --extents 30 --pv "$L1" --pv "$L2"
ok lvcreate vgp c --extents 3 --pv "$L2"
use_stock_lvm "${LOOP[@]}"
agree_with_stock "${LOOP[@]}"
stock_lvm vgck vgp || fail "vgck refuses the VG"
ID1=$(stock_lvm pvs --noheadings -o pv_uuid "$L1" | xargs)
[ -n "$ID1" ] || fail "stock lvm2 does not see $L1"
seqno=$(our_seqno)
assert_eq 4 "$seqno" "seqno after vgcreate and three lvcreates"

# check_partial WHAT: the VG is partial with $ID1 missing, reads work, changes are refused
check_partial() {
	local what=$1 change rc
	E scan >"$WORK/scan.txt" || fail "$what: scan of the partial VG failed"
	grep -q "^VG vgp seqno $seqno .* PARTIAL" "$WORK/scan.txt" || { cat "$WORK/scan.txt"; fail "$what: scan does not say partial"; }
	grep -q "pv MISSING $ID1 (last seen as $L1)" "$WORK/scan.txt" ||
		{ cat "$WORK/scan.txt"; fail "$what: scan does not name the missing PV"; }
	for lv in a b c; do
		grep -q "^  lv $lv " "$WORK/scan.txt" || fail "$what: LV $lv is not listed"
	done
	[ "$(E --json scan | json_field 'd["vgs"][0]["missing_pvs"][0]["id"]')" = "$ID1" ] ||
		fail "$what: --json scan does not name the missing PV"
	rc=0
	E check >/dev/null 2>"$WORK/check.err" || rc=$?
	[ "$rc" = 1 ] && grep -q "partial" "$WORK/check.err" || fail "$what: check does not report the partial VG"
	"$VGRESCUE" dump --json "$L0" "$L2" >"$WORK/dump.json" 2>/dev/null || fail "$what: vgrescue dump fails on a partial VG"
	[ "$(json_field 'd["vgs"][0]["missing_pvs"]' <"$WORK/dump.json")" = 1 ] || fail "$what: vgrescue does not count the missing PV"

	for change in "lvcreate vgp d --extents 1" "lvresize vgp/a --extents +1" "lvremove vgp/c" \
		"lvrename vgp/a a2" "tag vgp --add t" "vgreduce vgp $L0" "vgrename vgp vgq" "vgremove vgp --force"; do
		rc=0
		# shellcheck disable=SC2086 # the words of $change are the arguments
		E $change >/dev/null 2>"$WORK/err" || rc=$?
		[ "$rc" = 1 ] || fail "$what: '$change' was not refused on a partial VG (exit $rc)"
		# a sanitizer build also exits 1 when it stops on an error
		! grep -q -e 'Sanitizer' -e 'runtime error' "$WORK/err" || fail "$what: '$change': $(cat "$WORK/err")"
		grep -q "partial" "$WORK/err" && grep -qF "$ID1" "$WORK/err" ||
			fail "$what: the refusal of '$change' does not name the missing PV: $(cat "$WORK/err")"
	done
	[ "$(our_seqno)" = "$seqno" ] || fail "$what: a refused change moved the seqno"

	# stock lvm2 sees the same: the VG partial for want of the same uuid
	use_stock_lvm "$L0" "$L2"
	out=$(stock_warnings vgs vgp)
	grep -qF "$ID1" <<<"$out" || fail "$what: stock lvm2 does not miss $ID1: $out"
	attr=$(stock_lvm vgs --noheadings -o vg_attr vgp 2>/dev/null | xargs)
	[ "${attr:3:1}" = p ] || fail "$what: stock lvm2 does not call the VG partial (attr $attr)"
	echo "$what: partial VG reported, read and protected"
}

# --- hidden by leaving it out of the device list
DEVS="$L0,$L2"
check_partial "left out of the device list"

# --- hidden by detaching its loop device. It is taken out of the registry
# of loops this test took: if another process attaches that loop number
# meanwhile, cleanup must not detach their device.
losetup -d "$L1"
sed -i "\\#^$L1\$#d" "$LOOP_REGISTRY"
DEVS="$L0,$L2"
check_partial "loop device detached"

# --- back, on whatever loop device is free now
L1=$(take_loop "$WORK/pv1.img")
LOOP[1]=$L1
DEVS="$L0,$L1,$L2"
use_stock_lvm "${LOOP[@]}"
E check >/dev/null || fail "the VG is not whole again with $L1 back"
ok lvcreate vgp d --extents 2
ok lvresize vgp/a --extents +1
seqno=$((seqno + 2))
assert_eq "$seqno" "$(our_seqno)" "seqno after two changes with the PV back"
for dev in "$L0" "$L1" "$L2"; do
	s=$(stock_lvm pvck --dump metadata "$dev" 2>/dev/null | sed -n 's/^seqno = //p' | head -n 1)
	assert_eq "$seqno" "$s" "seqno of the committed copy on $dev"
done
agree_with_stock "${LOOP[@]}"
out=$(stock_warnings vgs)
[ -z "$out" ] || fail "stock lvm2 warns with all PVs back: $out"
E check >/dev/null || fail "our scan finds problems with all PVs back"
echo "PV back: changes work again"

# --- an older copy: keep L2's image now, commit twice, put the old image back
dd if="$L2" of="$WORK/pv2.old" bs=1M status=none
old_seqno=$seqno
ok lvcreate vgp e --extents 1 --pv "$L0"
ok tag vgp --add before_restore
seqno=$((seqno + 2))
dd if="$WORK/pv2.old" of="$L2" bs=1M conv=fsync status=none

E scan >"$WORK/scan.txt"
grep -q "^VG vgp seqno $seqno " "$WORK/scan.txt" || { cat "$WORK/scan.txt"; fail "the freshest copy did not win"; }
grep -q "^  lv e " "$WORK/scan.txt" || fail "the LV of the freshest copy is missing"
grep -q "stale: $L2 holds an older copy" "$WORK/scan.txt" || { cat "$WORK/scan.txt"; fail "the stale PV is not reported"; }
[ "$(E --json scan | json_field '" ".join(d["vgs"][0]["stale_devices"])')" = "$L2" ] ||
	fail "--json scan does not list $L2 as stale"
rc=0
E check >/dev/null 2>"$WORK/check.err" || rc=$?
[ "$rc" = 1 ] && grep -q "$L2 holds a stale copy" "$WORK/check.err" || fail "check does not report the stale copy"
grep -q "$L2: metadata area at 4096 holds vgp seqno $old_seqno" "$WORK/check.err" ||
	{ cat "$WORK/check.err"; fail "check does not say which seqno $L2 holds"; }
out=$(stock_warnings vgs)
grep -q "$L2" <<<"$out" || fail "stock lvm2 does not notice the old copy on $L2: $out"
echo "stale copy reported; stock lvm2 before the repair: $(head -n 1 <<<"$out" | xargs)"

# the next commit repairs it
ok tag vgp --add repaired
seqno=$((seqno + 1))
E check >/dev/null 2>"$WORK/check.err" || { cat "$WORK/check.err"; fail "the commit did not repair the stale copy"; }
for cmd in pvs vgs lvs "vgck vgp"; do
	# shellcheck disable=SC2086 # a command and its argument
	out=$(stock_warnings $cmd)
	[ -z "$out" ] || fail "stock lvm2 '$cmd' still warns after the repairing commit: $out"
done
for dev in "$L0" "$L1" "$L2"; do
	s=$(stock_lvm pvck --dump metadata "$dev" 2>/dev/null | sed -n 's/^seqno = //p' | head -n 1)
	assert_eq "$seqno" "$s" "seqno on $dev after the repair"
done
agree_with_stock "${LOOP[@]}"
no_pvck_complaints "${LOOP[@]}"
echo "the repairing commit left every PV at seqno $seqno; stock lvm2 is silent"
