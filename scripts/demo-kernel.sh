#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The seed layout of DESIGN.md on a kernel with md and device-mapper, as a
# VM host runs it: image files on loop devices, vgtoold with activation =
# "kernel", everything through vgtool — three md mirrors, vg_raid and
# vg_bulk, ext4 with files on LVs, md2 moved to vg_bulk and lv_rushes grown
# online — then the rescue: daemon, device-mapper and md stopped, lv_files
# read from one leg alone with vgrescue and its files checked.
#
#   demo-kernel.sh BINDIR [WORKDIR]
#
# BINDIR holds vgtool, vgtoold and vgrescue (a build directory's cli/,
# daemon/ and metadata-tools/ are found too). Needs root, md (raid1) and
# device-mapper. Loop devices are taken with losetup -f and only those are
# detached; md0-md2 and the VG names must not be in use on the host.
set -euo pipefail
bindir=${1:?usage: demo-kernel.sh BINDIR [WORKDIR]}
find_bin() {
	local b
	for b in "$bindir/$1" "$bindir/cli/$1" "$bindir/daemon/$1" "$bindir/metadata-tools/$1"; do
		[ -x "$b" ] && { echo "$b"; return; }
	done
	echo "demo-kernel: $1 not found under $bindir" >&2
	exit 2
}
VGTOOL=$(find_bin vgtool)
VGTOOLD=$(find_bin vgtoold)
VGRESCUE=$(find_bin vgrescue)
[ "$(id -u)" = 0 ] || { echo "demo-kernel: needs root (loop devices, md, device-mapper)" >&2; exit 2; }
modprobe -q raid1 2>/dev/null || true
modprobe -q dm-mod 2>/dev/null || true
[ -e /proc/mdstat ] && grep -q raid1 /proc/mdstat && [ -e /dev/mapper/control ] || {
	echo "demo-kernel: this kernel has no md raid1 or no device-mapper" >&2
	exit 2
}
for md in md0 md1 md2; do
	[ ! -e "/sys/block/$md" ] || { echo "demo-kernel: $md exists on this host; the demo needs md0-md2 free" >&2; exit 2; }
done
for vg in vg_raid vg_bulk; do
	[ ! -e "/dev/$vg" ] || { echo "demo-kernel: /dev/$vg exists on this host" >&2; exit 2; }
done

work=${2:-}
keep_work=${2:+yes}
[ -n "$work" ] || work=$(mktemp -d /tmp/vgtool-demo-kernel.XXXXXX)
mkdir -p "$work/img" "$work/state" "$work/mnt/files" "$work/mnt/rushes"
loops=()
daemon_pid=
cleanup() {
	set +e
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	umount "$work/mnt/files" "$work/mnt/rushes" "$work/mnt/extracted" 2>/dev/null
	for dm in vg_raid-lv_files vg_raid-lv_vm_1 vg_bulk-lv_rushes; do
		dmsetup remove "$dm" 2>/dev/null
		rm -f "/dev/${dm%%-*}/${dm#*-}"
	done
	rmdir /dev/vg_raid /dev/vg_bulk 2>/dev/null
	for md in md0 md1 md2; do [ -e "/sys/block/$md/md" ] && mdadm --stop "/dev/$md" >/dev/null 2>&1; done
	for loop in "${loops[@]}"; do losetup -d "$loop" 2>/dev/null; done
	[ -n "$keep_work" ] || rm -rf "$work"
}
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
vgtool() { echo "\$ vgtool $*"; "$VGTOOL" --socket "$work/sock" "$@"; }

say "disks: legs sda5-7 and sdc5-7, plain disks sdb and sdd (image files on loop devices)"
declare -A dev
for name in sda5 sda6 sda7 sdc5 sdc6 sdc7 sdb sdd; do
	case $name in sd[bd]) size=96M ;; *) size=64M ;; esac
	truncate -s "$size" "$work/img/$name.img"
	dev[$name]=$(losetup -f --show "$work/img/$name.img")
	loops+=("${dev[$name]}")
	echo "$name -> ${dev[$name]}"
done
filter=""
for loop in "${loops[@]}"; do filter+="\"a|^$loop\$|\", "; done
cat >"$work/vgtoold.conf" <<EOC
daemon { socket = "$work/sock" state_dir = "$work/state" activation = "kernel" }
devices { scan = [ "/dev" ] filter = [ $filter"r|.*|" ] }
EOC
"$VGTOOLD" --config "$work/vgtoold.conf" --foreground 2>"$work/vgtoold.log" &
daemon_pid=$!
for _ in $(seq 1 100); do
	[ -S "$work/sock" ] && "$VGTOOL" --socket "$work/sock" host status >/dev/null 2>&1 && break
	sleep 0.1
done

say "three mirrors (md runs them), two volume groups, the LVs (device-mapper)"
vgtool mirror create md0 "${dev[sda5]}" "${dev[sdc5]}" --bitmap >/dev/null
vgtool mirror create md1 "${dev[sda6]}" "${dev[sdc6]}" --assume-clean >/dev/null
vgtool mirror create md2 "${dev[sda7]}" "${dev[sdc7]}" --assume-clean >/dev/null
vgtool mirror list
grep -A1 '^md[012] :' /proc/mdstat
vgtool vg create vg_raid md0 md1 md2 >/dev/null
vgtool vg create vg_bulk "${dev[sdb]}" "${dev[sdd]}" >/dev/null
vgtool lv create vg_raid/lv_files --size 48M >/dev/null
vgtool lv create vg_raid/lv_vm_1 --size 32M >/dev/null
vgtool lv create vg_bulk/lv_rushes --size 150M >/dev/null
vgtool vg list
ls -l /dev/vg_raid /dev/vg_bulk

say "ext4 with files on lv_files and lv_rushes"
mkfs.ext4 -q -F /dev/vg_raid/lv_files
mkfs.ext4 -q -F /dev/vg_bulk/lv_rushes
mount -t ext4 /dev/vg_raid/lv_files "$work/mnt/files"
mount -t ext4 /dev/vg_bulk/lv_rushes "$work/mnt/rushes"
for i in 1 2 3 4; do dd if=/dev/urandom of="$work/mnt/files/file$i" bs=1M count=4 status=none; done
dd if=/dev/urandom of="$work/mnt/rushes/rushes.bin" bs=1M count=16 status=none
(cd "$work/mnt/files" && sha256sum file*) >"$work/files.sums"
cat "$work/files.sums"

say "later: md2 moves from vg_raid to vg_bulk, and lv_rushes grows onto it while mounted"
vgtool vg move-pv md2 --from vg_raid --to vg_bulk >/dev/null
vgtool lv extend vg_bulk/lv_rushes --size +50M >/dev/null
resize2fs /dev/vg_bulk/lv_rushes >/dev/null 2>&1
df -h "$work/mnt/rushes" | sed 1d
dmsetup table vg_bulk-lv_rushes
vgtool vg list
vgtool lv list

say "rescue: md and device-mapper stopped, sdc gone; vgrescue reads sda5 alone"
umount "$work/mnt/files" "$work/mnt/rushes"
kill "$daemon_pid"; wait "$daemon_pid" 2>/dev/null || true; daemon_pid=
for dm in vg_raid-lv_files vg_raid-lv_vm_1 vg_bulk-lv_rushes; do dmsetup remove "$dm"; done
for md in md0 md1 md2; do mdadm --stop "/dev/$md" >/dev/null 2>&1; done
"$VGRESCUE" map vg_raid/lv_files "${dev[sda5]}" "${dev[sda6]}"
"$VGRESCUE" extract vg_raid/lv_files --to "$work/lv_files.img" "${dev[sda5]}" "${dev[sda6]}"
mkdir -p "$work/mnt/extracted"
mount -t ext4 -o loop,ro "$work/lv_files.img" "$work/mnt/extracted"
(cd "$work/mnt/extracted" && sha256sum -c "$work/files.sums")
umount "$work/mnt/extracted"
say "done: the layout ran on md and device-mapper, and lv_files came back from one leg"
