#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every refusal of the storage engine leaves every image byte-identical
# (sha256sum of all images before and after) and says clearly what was wrong
# (the message is grepped for its key words): no space, LV name taken, bad
# names and sizes, a PV that belongs to another VG, reducing a PV in use, LVs
# straddling a split, extent sizes that differ on a merge, shrinking without
# --force, and a partial VG (one image missing) refusing every change with a
# message naming the missing PV. Stock lvm2 judges the names: it refuses the
# names we refuse and accepts those we accept, and it reads the VGs left at
# the end without a complaint.
. "$top_srcdir/tests/integration/lib.sh"
require_root
require_cmd lvm losetup python3 sha256sum
ENGINE="$TOOLS/vg-engine-tool"
[ -x "$ENGINE" ] || fail "$ENGINE is not built (make tests/tools/vg-engine-tool)"
[ -x "$VGRESCUE" ] || fail "$VGRESCUE is not built (make metadata-tools/vgrescue)"

# Small images, so that hashing all of them around each refusal stays cheap:
# 3 MiB (lvm2 ignores devices under 2 MiB), 64 KiB metadata areas, data from 128 KiB.
for i in 0 1 2 3 4 5; do
	make_image "$WORK/pv$i.img" 3M
	LOOP[$i]=$(take_loop "$WORK/pv$i.img")
done
L0=${LOOP[0]} L1=${LOOP[1]} L2=${LOOP[2]} L3=${LOOP[3]} L4=${LOOP[4]} L5=${LOOP[5]}
use_stock_lvm "${LOOP[@]}"
ALL=$(IFS=,; echo "${LOOP[*]}")
DEVS=$ALL

E() { "$ENGINE" --state-dir "$WORK/state" --devices "$DEVS" "$@"; }

ok() {
	E "$@" >"$WORK/ok.out" 2>&1 || { cat "$WORK/ok.out"; fail "'$*' failed"; }
}

# refuse WORD... -- ARGS...: the engine refuses ARGS, says every WORD, changes no image.
refuse() { expect_refusal E "$@"; }

# 256 KiB extents: 11 per PV; 128 KiB extents: 23.
ok pvcreate --metadatasize 64k --dataalignment 64k "$L0" "$L1" "$L2" "$L3"
ok vgcreate vga --extent-size 256k "$L0" "$L1"
ok vgcreate vgb --extent-size 128k "$L2"
ok lvcreate vga data --extents 8 --pv "$L0"        # L0:0-7
ok lvcreate vga wide --extents 4 --stripes 2       # L0:8-9 and L1:0-1
ok lvcreate vga solo --extents 3 --pv "$L1"        # L1:2-4
ok lvcreate vga spill --extents 7                  # L1:5-10 then L0:10: the VG is full
ok lvcreate vgb data --extents 4
L1_ID=$(stock_lvm pvs --noheadings -o pv_uuid "$L1" | xargs)
[ -n "$L1_ID" ] || fail "stock lvm2 does not see $L1 as a PV"

# --- no space
refuse big needed "0 free" -- lvcreate vga big --extents 1
refuse big -- lvcreate vga big --size 1g
refuse data free -- lvresize vga/data --extents +1
refuse data free -- lvresize vga/data --size +256k
refuse lv1 "3 stripes need 3 PVs" "has 1" -- lvcreate vgb lv1 --extents 3 --stripes 3
refuse lv1 needed "19 free" -- lvcreate vgb lv1 --extents 100
# 23 extents on the PV: free runs of 4 and 17 after this
ok lvcreate vgb frag --extents 2
ok lvremove vgb/data
refuse lv1 contiguous -- lvcreate vgb lv1 --extents 18 --policy contiguous
refuse lv1 "free on the PVs named" -- lvcreate vgb lv1 --extents 22 --pv "$L2"
ok lvremove vgb/frag
ok lvcreate vgb data --extents 4

# --- LV names taken, in the VG and as a rename target
refuse data already -- lvcreate vga data --extents 1
refuse data already -- lvrename vga/solo data
refuse solo "already has that name" -- lvrename vga/solo solo

# --- bad LV names: lvm2's character set and its reserved names and parts
long=$(printf 'l%.0s' $(seq 128))
for name in "a b" "a/b" "x%y" "." ".." "$long" "snapshot" "snapshot7" "pvmove0" "x_mlog" "a_rimage_0" \
	"lv_tmeta" "lv_cdata" "y_pmspare" "z_vorigin"; do
	refuse "LV name" -- lvcreate vgb --extents 1 "$name"
	refuse "LV name" -- lvrename vgb/data "$name"
	# stock lvm2 refuses them too
	if stock_lvm lvcreate -t -an -Zn -l1 -n "$name" vgb >/dev/null 2>&1; then
		fail "stock lvm2 accepts the LV name '$name' that vgtool refuses"
	fi
done
refuse "LV name" "-lead" "must not start" -- lvcreate vgb --extents 1 -- -lead
refuse reserved snapshot -- lvcreate vgb --extents 1 snapshot1
refuse reserved _rimage -- lvcreate vgb --extents 1 a_rimage_0
# odd but good names: both accept them
for name in "x+y.z-_" "lvol0" "_under" "a.b" "snap" "pv_move" "$(printf 'g%.0s' $(seq 100))"; do
	stock_lvm lvcreate -t -an -Zn -l1 -n "$name" vgb >/dev/null 2>&1 ||
		fail "stock lvm2 refuses the LV name '$name'"
	ok lvcreate vgb "$name" --extents 1
	ok lvremove "vgb/$name"
done

# --- bad VG names, taken VG names
for name in "a b" ".." "." "vg/x" "x%y" "$(printf 'v%.0s' $(seq 128))" ""; do
	refuse "VG name" -- vgcreate "$name" "$L3"
	refuse "VG name" -- vgrename vgb "$name"
done
refuse vga "already exists" -- vgcreate vga "$L3"
refuse vga "already exists" -- vgrename vgb vga
refuse vgb "already has that name" -- vgrename vgb vgb
refuse nosuchvg "not found" -- lvcreate nosuchvg lv --extents 1

# --- bad sizes
refuse "size of 0" -- lvcreate vgb lv1 --size 0
refuse relative -- lvcreate vgb lv1 --size=-4m
refuse relative -- lvcreate vgb lv1 --size +4m
refuse "10GB" -- lvcreate vgb lv1 --size 10GB
refuse "abc" -- lvcreate vgb lv1 --size abc
refuse "100%" -- lvcreate vgb lv1 --size 150%FREE
refuse "0 extents" -- lvcreate vgb lv1 --extents 0
refuse "power of two" -- lvcreate vgb lv1 --extents 2 --stripes 2 --stripe-size 3k
refuse "power of two" -- vgcreate vgc --extent-size 3k "$L3"
refuse "extent size" -- vgcreate vgc --extent-size 0 "$L3"
refuse "extent size" "power of two" -- vgcreate vgc --extent-size 384k "$L3"
refuse data "remove it instead" -- lvresize vga/data --extents -8 --force
refuse data "already has 8 extents" -- lvresize vga/data 2m
refuse "tag" "bad tag" -- tag vgb --add "bad tag"
refuse "tag" "-x" -- tag vgb/data --add -x

# --- PVs that belong to another VG, or to this one already
refuse "$L0" "already a PV of VG vga" -- vgextend vgb "$L0"
refuse "$L2" "already a PV of VG vgb" -- vgcreate vgc "$L3" "$L2"
refuse "$L0" "VG vga" -- pvcreate "$L0"
refuse "already in VG vga" -- vgextend vga "$L1"
refuse "$L3" "not a PV of VG vga" -- vgreduce vga "$L3"

# --- reducing a PV in use, or the last one; removing a VG with LVs
refuse "$L0" "in use by LV" data -- vgreduce vga "$L0"
refuse "$L1" "in use by LV" -- vgreduce vga "$L1"
refuse "$L2" "in use by LV data" -- vgreduce vgb "$L2"
refuse vgb "still has" "force" -- vgremove vgb

# --- LVs straddling a split: the message names them
refuse wide spill "both on the PVs being moved and on PVs that stay" -- vgsplit vga vgnew "$L1"
refuse wide spill -- vgsplit vga --into vgb "$L0"
refuse "every PV" -- vgsplit vga vgnew "$L0" "$L1"

# --- extent sizes differ on a merge; LV names collide on a merge
refuse vga vgb "extents" -- vgmerge vga vgb
refuse vgb vga "extents" -- vgmerge vgb vga
ok vgcreate vgc --extent-size 256k "$L3"
refuse vgc "no PV left" "remove the VG" -- vgreduce vgc "$L3"
ok lvcreate vgc data --extents 1
refuse data "both VGs" -- vgmerge vga vgc
refuse data "both VGs" -- vgmerge vgc vga
ok lvrename vgc/data other
refuse vgc vgc "itself" -- vgmerge vgc vgc

# --- shrinking without --force
refuse data force "destroys" -- lvresize vga/data --extents -2
refuse data force -- lvresize vga/data 1m
refuse solo force -- lvresize vga/solo --size=-256k

# --- a partial VG: one image missing, every change refused naming it
DEVS="$L0,$L2,$L3"
for change in "lvcreate vga x --extents 1" "lvresize vga/data --extents +1" \
	"lvresize vga/data --extents -1 --force" "lvrename vga/data d2" "lvremove vga/solo" \
	"tag vga --add t" "tag vga/data --add t" "vgextend vga $L3" "vgreduce vga $L0" "vgrename vga vgz" \
	"vgsplit vga vgq $L0" "vgsplit vgc --into vga $L3" "vgmerge vga vgc" "vgmerge vgc vga" "vgremove vga --force"; do
	# shellcheck disable=SC2086 # the words of $change are the arguments
	refuse partial missing "$L1_ID" "$L1" -- $change
done
# reads still work, and say so
E scan >"$WORK/scan.txt" || fail "scan of a partial VG failed"
grep -q "pv MISSING $L1_ID (last seen as $L1)" "$WORK/scan.txt" || { cat "$WORK/scan.txt"; fail "scan does not name the missing PV"; }
DEVS=$ALL

# the VGs are as they were, and stock lvm2 reads them without complaint
agree_with_stock "${LOOP[@]}"
stock_lvm vgck vga vgb vgc || fail "vgck complains after the refusals"
no_pvck_complaints "$L0" "$L1" "$L2" "$L3"
seqno=$(stock_lvm vgs --noheadings -o vg_seqno vga | xargs)
assert_eq 5 "$seqno" "seqno of vga after the refusals (vgcreate and 4 lvcreates committed)"

# The refusals below are checked all, and the ones that fail are listed
# together at the end, so that one missing refusal does not hide another.
missing=()
refuse_all_of_them() {
	local out
	if ! out=$( (refuse "$@") 2>&1); then
		missing+=("$out")
	else
		echo "$out"
	fi
}

# --- names stock lvm2 cannot read: it needs strlen(VG) + strlen(LV) <= 124
# (2.03.16: vgck fails with "Full LV name ... is too long" or "Internal
# error: LV name ... is not supported", and lvcreate in such a VG fails).
lv122=$(printf 'n%.0s' $(seq 122))
stock_lvm lvcreate -t -an -Zn -l1 -n "$lv122" vgb >/dev/null 2>&1 &&
	fail "stock lvm2 accepts vgb/$lv122 (the limit checked below would be wrong)"
ok lvcreate vgb "$(printf 'n%.0s' $(seq 121))" --extents 1
ok lvremove "vgb/$(printf 'n%.0s' $(seq 121))"
refuse_all_of_them "$lv122" -- lvcreate vgb "$lv122" --extents 1
refuse_all_of_them "m${lv122:1}" -- lvrename vgb/data "m${lv122:1}"
ok lvcreate vgc "$(printf 'n%.0s' $(seq 110))" --extents 1
refuse_all_of_them "$(printf 'w%.0s' $(seq 20))" -- vgrename vgc "$(printf 'w%.0s' $(seq 20))"

# --- metadata too large for one PV's area: refused before any area is
# written, so no PV keeps a copy of a seqno that was never committed (a
# rescue searching the rings would take it for the newest). L4 has lvm2's
# default area, L5 one of 64 KiB: at most 32000 bytes of text.
ok pvcreate "$L4"
ok pvcreate --metadatasize 64k --dataalignment 64k "$L5"
ok vgcreate vgm --extent-size 256k "$L4" "$L5"
tags=()
for i in $(seq 1 26); do
	tags+=(--add "t${i}_$(printf 'x%.0s' $(seq 1000))")
done
ok tag vgm "${tags[@]}"
tags=()
for i in $(seq 27 40); do
	tags+=(--add "t${i}_$(printf 'x%.0s' $(seq 1000))")
done
refuse_all_of_them vgm "$L5" "does not fit" -- tag vgm "${tags[@]}"

if [ "${#missing[@]}" -gt 0 ]; then
	printf '%s\n' "${missing[@]}"
	fail "${#missing[@]} refusal(s) missing or not clean (above)"
fi
echo "$refusals refusals, each left every image byte-identical"
