#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The demo (called by scripts/demo.sh with the build directory): the seed
# layout of DESIGN.md end to end through vgtool and vgtoold on image files
# (activation backend "none"), then the rescue from one surviving leg with
# vgrescue — then the layout on md and device-mapper (scripts/demo-kernel.sh:
# natively when this kernel has them, else in a QEMU VM on Debian's kernel),
# and stock mdadm and lvm2 running what vgtoold wrote.
set -euo pipefail
build=${1:?usage: demo-layout.sh BUILDDIR}
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/vgtool-demo.XXXXXX)
daemon_pid=
cleanup() {
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
vgtool() { echo "\$ vgtool $*"; "$build/cli/vgtool" --socket "$work/sock" "$@"; }
img="$work/img"
mkdir -p "$img" "$work/state"

say "disks sda and sdc with partitions 5, 6, 7 (image files); plain disks sdb and sdd"
for p in sda5 sda6 sda7 sdc5 sdc6 sdc7; do truncate -s 128M "$img/$p.img"; done
truncate -s 256M "$img/sdb.img" "$img/sdd.img"
cat >"$work/vgtoold.conf" <<EOC
daemon { socket = "$work/sock" state_dir = "$work/state" activation = "none" }
devices { scan = [ "$img" ] filter = [ "a|^$img/.*\\.img\$|", "r|.*|" ] }
EOC
"$build/daemon/vgtoold" --config "$work/vgtoold.conf" 2>"$work/vgtoold.log" &
daemon_pid=$!
for _ in $(seq 1 100); do [ -S "$work/sock" ] && break; sleep 0.05; done

say "three mirrors, two volume groups, the LVs"
for n in 5 6 7; do vgtool mirror create "md$((n - 5))" "$img/sda$n.img" "$img/sdc$n.img" --assume-clean >/dev/null; done
vgtool mirror list
vgtool vg create vg_raid md0 md1 md2 >/dev/null
vgtool vg create vg_bulk "$img/sdb.img" "$img/sdd.img" >/dev/null
vgtool lv create vg_raid/lv_files --size 100M >/dev/null
vgtool lv create vg_raid/lv_vm_1 --size 60M >/dev/null
vgtool lv create vg_bulk/lv_rushes --size 300M >/dev/null
vgtool vg list

say "later: md2 moves from vg_raid to vg_bulk, and lv_rushes grows onto it"
vgtool vg move-pv md2 --from vg_raid --to vg_bulk >/dev/null
vgtool lv extend vg_bulk/lv_rushes --size +100M >/dev/null
vgtool vg list
vgtool lv list

say "stock mdadm reads our superblocks"
mdadm --examine "$img/sda5.img" | grep -E 'Version|Array UUID|Name|Raid Level|Device Role|Array State|Checksum'

say "rescue: sdc is gone and nothing runs; vgrescue reads sda5 alone"
kill "$daemon_pid"; wait "$daemon_pid" 2>/dev/null || true; daemon_pid=
dd if=/dev/urandom of="$work/files.bin" bs=1M count=4 status=none
offset=$("$build/metadata-tools/vgrescue" map --json vg_raid/lv_files "$img/sda5.img" |
	python3 -c 'import json,sys
def find(o):
    if isinstance(o, dict):
        if "offset_bytes" in o: return o["offset_bytes"]
        o = list(o.values())
    if isinstance(o, list):
        for v in o:
            r = find(v)
            if r is not None: return r
print(find(json.load(sys.stdin)))')
# lv_files' data as it sits on both legs of md0
for leg in sda5 sdc5; do dd if="$work/files.bin" of="$img/$leg.img" bs=1M seek="$offset" oflag=seek_bytes conv=notrunc status=none; done
rm -f "$img"/sdc*.img
"$build/metadata-tools/vgrescue" scan "$img/sda5.img" "$img/sda6.img" || true
"$build/metadata-tools/vgrescue" map vg_raid/lv_files "$img/sda5.img" "$img/sda6.img" || true
"$build/metadata-tools/vgrescue" extract vg_raid/lv_files --to "$work/lv_files.out" "$img/sda5.img" "$img/sda6.img" || true
if cmp -n $((4 << 20)) "$work/files.bin" "$work/lv_files.out"; then
	echo "lv_files read back from sda5 alone: identical"
else
	echo "lv_files differs!"; exit 1
fi

kernel_ready() {
	modprobe -q raid1 2>/dev/null || true
	modprobe -q dm-mod 2>/dev/null || true
	[ -e /proc/mdstat ] && grep -q raid1 /proc/mdstat && [ -e /dev/mapper/control ]
}
vm_env=(top_srcdir="$top" top_builddir="$build" VG_VM_CACHE="$build/tests/vm/cache")
if [ "$(id -u)" = 0 ] && kernel_ready; then
	say "the seed layout on this host's md and device-mapper (activation = kernel, loop devices)"
	bash "$top/scripts/demo-kernel.sh" "$build"
elif [ "$(id -u)" = 0 ] && command -v qemu-system-x86_64 >/dev/null; then
	say "this kernel has no md or device-mapper: the seed layout on them in a QEMU VM on Debian's kernel"
	env "${vm_env[@]}" bash "$top/tests/vm/demo-kernel.sh"
	say "stock mdadm and lvm2 in a QEMU VM run what vgtoold wrote; rescue from one leg"
	env "${vm_env[@]}" bash "$top/tests/vm/stock-tools.sh"
fi
say "done"
