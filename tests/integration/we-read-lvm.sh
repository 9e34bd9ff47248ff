#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# VGs written by stock lvm2 are read by vgtool identically: several segments
# per LV, two-stripe LVs, tags, an extent size other than 4 MiB, PVs with two
# metadata copies, a metadata area that has wrapped after many commits, and
# names using + . _ -.
. "$top_srcdir/tests/integration/lib.sh"
require_root
require_cmd lvm losetup python3

for i in 0 1 2 3; do
	make_image "$WORK/pv$i.img" 96M
	LOOP[$i]=$(take_loop "$WORK/pv$i.img")
done
use_stock_lvm "${LOOP[@]}"

# VG 1: 8 MiB extents, two metadata copies on one PV, tags, odd names
stock_lvm pvcreate -q --pvmetadatacopies 2 "${LOOP[0]}"
stock_lvm pvcreate -q "${LOOP[1]}"
stock_lvm vgcreate -q -s 8m --addtag site+a --addtag tier_1 'vg.one+_-x' "${LOOP[0]}" "${LOOP[1]}"
stock_lvm lvcreate -q -an -Zn -L 24m -n 'lv.a+b_c-d' --addtag db 'vg.one+_-x' "${LOOP[0]}"
stock_lvm lvcreate -q -an -Zn -i 2 -I 64k -L 32m -n striped 'vg.one+_-x'
stock_lvm lvextend -q -L +16m 'vg.one+_-x/lv.a+b_c-d' "${LOOP[1]}"
stock_lvm lvextend -q -L +8m 'vg.one+_-x/lv.a+b_c-d' "${LOOP[0]}"

# VG 2: a small metadata area (32 KiB, 4 KiB alignment) written until the
# committed copy wraps around the end of the ring
stock_lvm pvcreate -q --metadatasize 32k --dataalignment 4k "${LOOP[2]}" "${LOOP[3]}"
stock_lvm vgcreate -q -s 64k vg_wrap "${LOOP[2]}" "${LOOP[3]}"
wrapped=no
for i in $(seq 1 200); do
	stock_lvm lvcreate -q -an -Zn -l 1 -n "tmp$i" vg_wrap
	[ $((i % 3)) = 0 ] && stock_lvm lvremove -q -f "vg_wrap/tmp$((i - 1))"
	if stock_lvm pvck --dump headers "${LOOP[2]}" 2>/dev/null | grep -q 'raw_locn\[0\].*commit wrapped'; then
		wrapped=yes
		break
	fi
done
[ $wrapped = yes ] || fail "stock lvm2 never wrapped the committed metadata copy"
no_pvck_complaints "${LOOP[@]}"

agree_with_stock "${LOOP[@]}"

# the dump in LVM text is accepted by stock lvm2 as a backup file
"$VGRESCUE" dump --vg 'vg.one+_-x' "${LOOP[@]}" >"$WORK/dump.vg"
stock_lvm vgcfgrestore -q --test -f "$WORK/dump.vg" 'vg.one+_-x' ||
	fail "vgcfgrestore --test refuses vgrescue's dump"

echo "vgtool reads stock lvm2's VGs"
