#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The formats demo (called by scripts/demo.sh with the build directory):
# md 1.0 legs and an LVM2 volume group written by vgtool's libraries onto
# image files, then read by vgtool's rescue tool and by stock mdadm and lvm2.
set -euo pipefail
build=${1:?usage: demo-layout.sh BUILDDIR}
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/vgtool-demo.XXXXXX)
loops=()
cleanup() {
	for l in "${loops[@]}"; do losetup -d "$l" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "md0: a RAID-1 mirror of two legs (superblock 1.0 at the end of each leg)"
for leg in sda5 sdc5; do
	truncate -s 70M "$work/$leg.img"
	"$build/tests/tools/md-write-leg" --name md0 --homehost demo --uuid 0a1b2c3d:4e5f6071:8293a4b5:c6d7e8f9 \
		--raid-disks 2 --dev-number "$([ $leg = sda5 ] && echo 0 || echo 1)" \
		--role "$([ $leg = sda5 ] && echo 0 || echo 1)" "$work/$leg.img"
done
"$build/metadata-tools/vgrescue" md examine "$work/sda5.img"
say "stock mdadm reads the same leg"
mdadm --examine "$work/sdc5.img" | grep -E 'Array UUID|Name|Raid Level|Device Role|Array State|Checksum'

say "vg_bulk: an LVM2 volume group on two plain disks, written by vgtool"
truncate -s 64M "$work/sdb.img" "$work/sdd.img"
# the test's three-PV text, cut to two PVs and the LVs on them
python3 - "$top/tests/integration/lvm-reads-ours.sh" "$work/vg.txt" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
text = src.split('cat >"$WORK/vg.txt" <<\'EOT\'\n', 1)[1].split('\nEOT\n', 1)[0] + '\n'
text = text.replace('t_vg+1.x-y', 'vg_bulk')
text = re.sub(r'\npv2 \{.*?\n\}\n', '\n', text, flags=re.S)
text = re.sub(r'\nwide \{.*?\n\}\n\}\n', '\n', text, flags=re.S)
open(sys.argv[2], 'w').write(text)
PY
"$build/tests/tools/lvm-write-vg" --create-pvs "$work/vg.txt" "$work/sdb.img" "$work/sdd.img"
"$build/metadata-tools/vgrescue" dump --json "$work/sdb.img" "$work/sdd.img" |
	python3 -c 'import json,sys; d=json.load(sys.stdin)
for vg in d["vgs"]:
    print("VG %s seqno %d, %d PVs" % (vg["name"], vg["seqno"], len(vg["pvs"])))
    for lv in vg["lvs"]:
        print("  LV %-12s %6d MiB in %d segment(s)" % (lv["name"], lv["size_bytes"] >> 20, len(lv["segments"])))'

if [ "$(id -u)" = 0 ] && command -v lvm >/dev/null; then
	say "stock lvm2 reads the same VG (loop devices, activation off)"
	loops+=("$(losetup -f --show "$work/sdb.img")" "$(losetup -f --show "$work/sdd.img")")
	filter=""
	for l in "${loops[@]}"; do filter="$filter\"a|^$l\$|\", "; done
	lvm lvs --segments -o lv_name,seg_pe_ranges,segtype --config "devices { filter = [ $filter\"r|.*|\" ] use_devicesfile = 0 obtain_device_list_from_udev = 0 hints = \"none\" } global { activation = 0 }" vg_bulk 2>/dev/null
fi
say "done: the mirror, the daemon and the seed layout come with the storage engine and vgtoold"
