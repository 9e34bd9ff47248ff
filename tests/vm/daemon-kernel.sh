#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vgtoold with activation = "kernel" in a QEMU VM on Debian's kernel, driven
# only through vgtool, as a VM host would run it:
#  1. the seed layout end to end: md0/md1/md2 from six partitions of two
#     disks, vg_raid and vg_bulk, ext4 with known files on LVs, md2 moved to
#     vg_bulk, lv_rushes grown online (dm reload) and resize2fs'd mounted;
#  2. a disk pulled (its PCI device removed) under a running writer: the
#     writes go on, vgtoold reports the mirror degraded (mirror show, md's
#     view in the events), the vanished leg is removed, another added and
#     rebuilt by md; then the old leg is failed too, so every file is read
#     back from the rebuilt leg alone, checksums matching; the pulled disk
#     back at the next boot is stale and left out;
#  5. a hypervisor's view: qemu-img and qemu-io (cache=none, as a VM opens
#     its disk) write and read the path lv.create returned; after lv extend
#     QEMU sees the new size; an open LV is not removed unless forced;
#     a leg replaced while it serves (md's want_replacement), a mirror
#     dissolved into a plain PV;
#  3. a second boot on the same disks: vgtoold starts the mirrors and
#     activates the LVs by itself, and the files are intact.
# Stock mdadm and lvm2 are the judges inside the guest; the host checks what
# each boot printed.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/vm/vm-lib.sh"
[ -x /usr/bin/qemu-io ] || skip "qemu-utils is not installed"
vm_require sfdisk

D="$WORK/d"
mkdir -p "$D/img"
for disk in disk1 disk2; do
	make_image "$D/img/$disk.img" 200M
	printf 'label: gpt\nsize=60MiB\nsize=60MiB\nsize=60MiB\n' | sfdisk -q "$D/img/$disk.img" >/dev/null
done
make_image "$D/img/bulk.img" 64M
make_image "$D/img/spare.img" 64M
make_image "$D/img/spare2.img" 64M

common='
say() { echo "VMTEST $*"; }
die() { echo "VMTEST FAILED: $*"; cat /proc/mdstat; /usr/sbin/vgtool disk list 2>&1; tail -20 /tmp/vgtoold.log; exit 1; }
trap '\''st=$?; [ $st -eq 0 ] || { echo "VMTEST exit $st; the daemon said:"; tail -20 /tmp/vgtoold.log; }'\'' EXIT
mkdir -p /mnt/files /mnt/rushes
'"$(vm_guest_vgtoold '^/dev/vd[a-e][0-9]*$')"'
# md state of ARRAY in /proc/mdstat: "[UU]", "[U_]", ...
md_slots() { grep -A1 "^$1 :" /proc/mdstat | sed -n "s/.*\\(\\[[U_]*\\]\\).*/\\1/p"; }
wait_md_idle() {
	for i in $(seq 600); do
		[ "$(cat /sys/block/$1/md/sync_action)" = idle ] && return 0
		sleep 0.5
	done
	die "$1 still $(cat /sys/block/$1/md/sync_action) after 300 s"
}
'

cat >"$WORK/boot1.sh" <<EOG
set -e
$common
start_daemon

# --- 1. the seed layout ---
\$V mirror create md0 /dev/vda1 /dev/vdb1 --bitmap >/dev/null || die "mirror create md0"
\$V mirror create md1 /dev/vda2 /dev/vdb2 >/dev/null || die "mirror create md1"
\$V mirror create md2 /dev/vda3 /dev/vdb3 --assume-clean >/dev/null || die "mirror create md2"
for md in md0 md1 md2; do
	grep -q "^\$md : active raid1 " /proc/mdstat || die "\$md is not running in md"
	/usr/sbin/mdadm --detail /dev/\$md | grep -q 'Version : 1.0' || die "\$md: not a 1.0 array"
done
wait_md_idle md0; wait_md_idle md1
[ "\$(md_slots md0)" = "[UU]" ] || die "md0 \$(md_slots md0)"
say "md0 md1 md2 running: \$(grep -c '^md.* : active raid1' /proc/mdstat) arrays"
\$V vg create vg_raid md0 md1 md2 >/dev/null || die "vg create vg_raid"
\$V vg create vg_bulk /dev/vdc >/dev/null || die "vg create vg_bulk"
\$V lv create vg_raid lv_files --size 48M >/dev/null || die "lv create lv_files"
\$V lv create vg_bulk lv_rushes --size 40M >/dev/null || die "lv create lv_rushes"
[ -b /dev/mapper/vg_raid-lv_files ] && [ -L /dev/vg_raid/lv_files ] || die "no /dev/vg_raid/lv_files"
/usr/sbin/dmsetup table vg_raid-lv_files | grep -q ' linear 9:0 ' || die "lv_files not on md0: \$(/usr/sbin/dmsetup table vg_raid-lv_files)"
/usr/sbin/dmsetup info -c --noheadings -o uuid vg_raid-lv_files | grep -q '^LVM-' || die "dm uuid not LVM's"
\$V --json lv show vg_raid/lv_files | grep -q '"active": *true' || die "lv show: not active"
/usr/sbin/mkfs.ext4 -q -F /dev/vg_raid/lv_files
/usr/sbin/mkfs.ext4 -q -F /dev/vg_bulk/lv_rushes
mount -t ext4 /dev/vg_raid/lv_files /mnt/files
mount -t ext4 /dev/vg_bulk/lv_rushes /mnt/rushes
for i in 1 2 3 4 5 6; do dd if=/dev/urandom of=/mnt/files/f\$i bs=64k count=32 2>/dev/null; done
for i in 1 2 3; do dd if=/dev/urandom of=/mnt/rushes/r\$i bs=64k count=64 2>/dev/null; done
(cd /mnt/rushes && /usr/sbin/sha256sum r*) >/mnt/files/rushes.sums
say "ext4 with files on vg_raid/lv_files and vg_bulk/lv_rushes"

\$V vg move-pv md2 --from vg_raid --to vg_bulk >/dev/null || die "move md2 to vg_bulk"
before=\$(df -kP /mnt/rushes | awk 'NR == 2 { print \$2 }')
\$V lv extend vg_bulk/lv_rushes --size +40M >/dev/null || die "lv extend lv_rushes"
/usr/sbin/dmsetup table vg_bulk-lv_rushes >/tmp/t
[ \$(wc -l </tmp/t) -eq 2 ] && grep -q ' linear 9:2 ' /tmp/t || die "lv_rushes after extend: \$(cat /tmp/t)"
[ \$(blockdev --getsize64 /dev/vg_bulk/lv_rushes) -eq 83886080 ] || die "lv_rushes size \$(blockdev --getsize64 /dev/vg_bulk/lv_rushes)"
/usr/sbin/resize2fs /dev/vg_bulk/lv_rushes >/dev/null 2>&1 || die "resize2fs online"
after=\$(df -kP /mnt/rushes | awk 'NR == 2 { print \$2 }')
[ "\$after" -gt \$((before + 30000)) ] || die "fs did not grow: \$before -> \$after"
(cd /mnt/rushes && /usr/sbin/sha256sum -c /mnt/files/rushes.sums >/dev/null) || die "sums after growth"
say "md2 moved to vg_bulk; lv_rushes grown online to 80 MiB across vdc and md2, ext4 \$before -> \$after KiB"
/usr/sbin/lvm vgs --noheadings -o vg_name,pv_count,lv_count >/tmp/vgs 2>/dev/null || die "stock vgs"
grep -Eq 'vg_raid +2 +1' /tmp/vgs && grep -Eq 'vg_bulk +2 +1' /tmp/vgs || die "stock vgs: \$(cat /tmp/vgs)"
say "stock lvm2 agrees: \$(tr -s ' \n' ' ' </tmp/vgs)"

# --- 5. a hypervisor's view ---
path=\$(\$V --json lv create vg_bulk vm_disk --size 16M | sed -n 's/.*"path": *"\\([^"]*\\)".*/\\1/p' | head -n 1)
[ "\$path" = /dev/vg_bulk/vm_disk ] || die "lv create returned path '\$path'"
/usr/sbin/qemu-img info -f raw "\$path" | grep -q 'virtual size: 16 MiB' || die "qemu-img info: \$(/usr/sbin/qemu-img info -f raw \$path)"
/usr/sbin/qemu-io -f raw -t none -c 'write -P 0xab 0 1M' -c 'write -P 0xcd 15M 1M' "\$path" >/tmp/qio || die "qemu-io write: \$(cat /tmp/qio)"
\$V lv extend vg_bulk/vm_disk --size +8M >/dev/null || die "extend vm_disk"
/usr/sbin/qemu-img info -f raw "\$path" | grep -q 'virtual size: 24 MiB' || die "after extend: \$(/usr/sbin/qemu-img info -f raw \$path)"
/usr/sbin/qemu-io -f raw -t none -c 'read -P 0xab 0 1M' -c 'read -P 0xcd 15M 1M' -c 'write -P 0xef 23M 1M' -c 'read -P 0xef 23M 1M' "\$path" >/tmp/qio || die "qemu-io read: \$(cat /tmp/qio)"
grep -q 'Pattern verification failed' /tmp/qio && die "qemu-io: \$(cat /tmp/qio)"
sleep 600 <"\$path" &
holder=\$!
sleep 0.5
if \$V lv remove vg_bulk/vm_disk 2>/tmp/err; then die "removed an open LV"; fi
grep -q 'is open' /tmp/err || die "open LV refusal: \$(cat /tmp/err)"
\$V lv show vg_bulk/vm_disk >/dev/null || die "refused remove changed the VG"
\$V lv remove vg_bulk/vm_disk --force >/dev/null || die "forced remove"
kill \$holder; wait \$holder 2>/dev/null || true
sleep 0.5
[ ! -e /dev/mapper/vg_bulk-vm_disk ] && [ ! -e /dev/vg_bulk/vm_disk ] || die "vm_disk's device left after a forced remove"
say "qemu-img/qemu-io on \$path: 16 MiB, 24 MiB after lv extend, patterns intact; open LV refused, forced remove done"

# --- 2. a disk pulled under writes ---
\$V events subscribe >/tmp/events 2>&1 &
events=\$!
# md0's second leg first moves to a disk of its own (replaced while it serves), so pulling that disk takes md0's leg alone
\$V mirror replace-leg md0 /dev/vdb1 /dev/vdd >/tmp/out 2>&1 || die "replace-leg md0: \$(cat /tmp/out)"
grep '^md0 :' /proc/mdstat | grep -q 'vdd\[' && ! grep '^md0 :' /proc/mdstat | grep -q 'vdb1\[' || die "md0 legs: \$(grep '^md0 :' /proc/mdstat)"
[ "\$(md_slots md0)" = "[UU]" ] || die "md0 after the replacement: \$(md_slots md0)"
/usr/sbin/mdadm --examine /dev/vdb1 >/dev/null 2>&1 && die "the replaced leg vdb1 keeps its superblock"
# at most 40 files of 512 KiB: the writer must outlast the rebuild, not fill the filesystem
( i=0; while [ ! -f /tmp/stop ] && [ \$i -lt 40 ]; do dd if=/dev/urandom of=/mnt/files/w\$i bs=64k count=8 conv=fsync 2>/dev/null; i=\$((i+1)); sleep 0.2; done ) &
writer=\$!
sleep 2
# the disk goes away as if pulled: its PCI device removed under md
pci=\$(readlink -f /sys/block/vdd/device/..)
[ -e "\$pci/remove" ] || die "no PCI device to remove under vdd (\$pci)"
echo 1 >"\$pci/remove"
for i in \$(seq 60); do [ "\$(md_slots md0)" = "[U_]" ] && break; sleep 0.5; done
[ "\$(md_slots md0)" = "[U_]" ] || die "md0 did not lose vdd: \$(grep -A1 '^md0 :' /proc/mdstat)"
[ ! -e /dev/vdd ] || die "/dev/vdd is still there"
\$V --json mirror show md0 >/tmp/show 2>&1 || die "mirror show after the pull: \$(cat /tmp/show)"
grep -q '"state": *"degraded"' /tmp/show || die "mirror show after the pull: \$(cat /tmp/show)"
sleep 2
\$V mirror remove-leg md0 /dev/vdd >/tmp/out 2>&1 || die "remove the pulled leg: \$(cat /tmp/out)"
grep -q 'vdd' /proc/mdstat && die "md0 still lists vdd: \$(grep '^md0 :' /proc/mdstat)"
\$V mirror add-leg md0 /dev/vdb1 >/tmp/out 2>&1 || die "add-leg: \$(cat /tmp/out)"
# vgtool followed md's rebuild as a job until it was done
[ "\$(md_slots md0)" = "[UU]" ] || die "md0 after rebuild: \$(md_slots md0)"
\$V job list >/tmp/jobs
grep -Eq 'mirror.replace_leg +md0 +done' /tmp/jobs && grep -Eq 'mirror.add_leg +md0 +done' /tmp/jobs || die "job list: \$(cat /tmp/jobs)"
touch /tmp/stop; wait \$writer
n=\$(ls /mnt/files | grep -c '^w')
[ \$n -gt 3 ] || die "the writer wrote only \$n files"
sync
(cd /mnt/files && /usr/sbin/sha256sum f* w*) >/tmp/all.sums
# md's own view, from the watch on the running arrays
grep -q 'mirror.degraded mirror=md0 .*faulty=vdd' /tmp/events || die "no mirror.degraded event naming vdd: \$(cat /tmp/events)"
grep -q 'mirror.recovered mirror=md0' /tmp/events || die "no mirror.recovered event: \$(cat /tmp/events)"
kill \$events 2>/dev/null || true
# every byte now from the rebuilt leg alone
umount /mnt/files
\$V mirror fail-leg md0 /dev/vda1 >/dev/null || die "fail the old leg"
\$V mirror remove-leg md0 /dev/vda1 >/dev/null || die "remove the old leg"
echo 3 >/proc/sys/vm/drop_caches
mount -t ext4 -o ro /dev/vg_raid/lv_files /mnt/files
(cd /mnt/files && /usr/sbin/sha256sum -c /tmp/all.sums >/dev/null) || die "checksums from the rebuilt leg"
umount /mnt/files
say "vdd pulled under \$n writes, md0 went on degraded, vdb1 rebuilt by md, all \$(wc -l </tmp/all.sums) files read back from vdb1 alone"
\$V mirror add-leg md0 /dev/vda1 >/tmp/out 2>&1 || die "re-add vda1: \$(cat /tmp/out)"
[ "\$(md_slots md0)" = "[UU]" ] || die "md0 with vda1 again: \$(md_slots md0)"
# --- a leg replaced while it serves (md's want_replacement), then a mirror taken apart ---
\$V mirror replace-leg md1 /dev/vda2 /dev/vde >/tmp/out 2>&1 || die "replace-leg: \$(cat /tmp/out)"
grep -A1 '^md1 :' /proc/mdstat | grep -q '\[2/2\] \[UU\]' || die "md1 after replace: \$(grep -A1 '^md1 :' /proc/mdstat)"
grep '^md1 :' /proc/mdstat | grep -q 'vde\[' && ! grep '^md1 :' /proc/mdstat | grep -q 'vda2\[' || die "md1 legs: \$(grep '^md1 :' /proc/mdstat)"
/usr/sbin/mdadm --examine /dev/vda2 >/dev/null 2>&1 && die "the replaced leg vda2 keeps its superblock"
\$V job list | grep -Eq 'mirror.replace_leg +md1 +done' || die "job list: \$(\$V job list)"
\$V mirror dissolve md1 >/tmp/out 2>&1 || die "dissolve md1: \$(cat /tmp/out)"
grep -q '^md1 :' /proc/mdstat && die "md1 still running after dissolve"
/usr/sbin/lvm pvs --noheadings -o pv_name,vg_name 2>/dev/null | grep -Eq '/dev/(vdb2|vde) +vg_raid' ||
	die "vg_raid's PV after dissolving md1: \$(/usr/sbin/lvm pvs --noheadings -o pv_name,vg_name 2>&1)"
say "md1: vda2 replaced by vde while serving, then md1 dissolved; vg_raid's PV is its kept leg"
mount -t ext4 /dev/vg_raid/lv_files /mnt/files
cp /tmp/all.sums /mnt/files/all.sums
umount /mnt/files /mnt/rushes
for leg in vda1 vdb1; do
	/usr/sbin/mdadm --examine /dev/\$leg >/tmp/examine 2>&1 || die "mdadm --examine \$leg: \$(cat /tmp/examine)"
	grep -q 'Array State : AA ' /tmp/examine && grep -q 'Device Role : Active device' /tmp/examine ||
		die "mdadm --examine \$leg: \$(grep -E 'State|Role' /tmp/examine | tr '\n' ';')"
done
stop_daemon
say "md0 on vda1 and vdb1; daemon stopped with LVs active"
EOG

cat >"$WORK/boot2.sh" <<EOG
set -e
$common
grep -q '^md' /proc/mdstat && die "arrays running before vgtoold: \$(cat /proc/mdstat)"
start_daemon
for md in md0 md2; do grep -q "^\$md : active raid1 " /proc/mdstat || die "vgtoold did not start \$md"; done
[ "\$(md_slots md0)" = "[UU]" ] || die "md0 \$(md_slots md0)"
# the pulled disk is back with md0's superblock of before: stale, so md0 starts without it
grep '^md0 :' /proc/mdstat | grep -q 'vdd' && die "md0 took the stale leg vdd back: \$(grep '^md0 :' /proc/mdstat)"
[ -b /dev/mapper/vg_raid-lv_files ] && [ -b /dev/mapper/vg_bulk-lv_rushes ] || die "LVs not active: \$(ls /dev/mapper)"
\$V --json lv list >/tmp/lvs
[ \$(grep -o '"active": *true' /tmp/lvs | wc -l) -eq 2 ] || die "lv list: \$(cat /tmp/lvs)"
mount -t ext4 -o ro /dev/vg_raid/lv_files /mnt/files
mount -t ext4 -o ro /dev/vg_bulk/lv_rushes /mnt/rushes
(cd /mnt/files && /usr/sbin/sha256sum -c all.sums >/dev/null) || die "lv_files after reboot"
(cd /mnt/rushes && /usr/sbin/sha256sum -c /mnt/files/rushes.sums >/dev/null) || die "lv_rushes after reboot"
umount /mnt/rushes
\$V mirror scrub md0 >/tmp/scrub 2>&1 || die "scrub: \$(cat /tmp/scrub)"
grep -q 'mismatch_cnt: 0' /tmp/scrub && grep -q 'mirror.scrub): done' /tmp/scrub || die "scrub md0: \$(cat /tmp/scrub)"
say "after the reboot vgtoold started md0 and md2 and activated both LVs; all files intact"
cp /mnt/files/all.sums /mnt/files/rushes.sums /tmp/
umount /mnt/files

# --- a wrong lv remove undone, and an LV read from one leg: vgrescue with md and dm stopped ---
seq=\$(\$V --json vg show vg_bulk | sed -n 's/.*"seqno": *\([0-9]*\).*/\1/p' | head -n 1)
\$V lv remove vg_bulk/lv_rushes >/dev/null || die "lv remove lv_rushes"
stop_daemon
/usr/sbin/dmsetup remove vg_raid-lv_files || die "dmsetup remove"
for md in md0 md2; do /usr/sbin/mdadm --stop /dev/\$md >/dev/null 2>&1 || die "mdadm --stop \$md"; done
bulk="/dev/vda3 /dev/vdb3 /dev/vdc"
/usr/sbin/vgrescue history vg_bulk \$bulk >/tmp/history || die "vgrescue history: \$(cat /tmp/history)"
grep -q "^seqno \$seq " /tmp/history || die "seqno \$seq not in the history: \$(cat /tmp/history)"
sums_before=\$(cat \$bulk | /usr/sbin/sha256sum)
/usr/sbin/vgrescue restore vg_bulk --from \$seq \$bulk >/tmp/restore 2>&1 || true
grep -q 'nothing written: add --write' /tmp/restore || die "restore without --write: \$(tail -3 /tmp/restore)"
[ "\$(cat \$bulk | /usr/sbin/sha256sum)" = "\$sums_before" ] || die "restore without --write changed the disks"
/usr/sbin/vgrescue restore vg_bulk --from \$seq --write \$bulk >/tmp/restore 2>&1 || die "restore: \$(cat /tmp/restore)"
# lv_files from vdb1 alone (md0's rebuilt leg) and the PV md1 left
/usr/sbin/vgrescue extract vg_raid/lv_files --to /tmp/files.img /dev/vdb1 /dev/vdb2 /dev/vde >/tmp/extract 2>&1 || die "extract: \$(cat /tmp/extract)"
mount -t ext4 -o loop,ro /tmp/files.img /mnt/files || die "mount the extracted image"
(cd /mnt/files && /usr/sbin/sha256sum -c /tmp/all.sums >/dev/null) || die "checksums of the extracted lv_files"
umount /mnt/files; rm -f /tmp/files.img
say "vgrescue: seqno \$seq of vg_bulk restored from the rings after a wrong lv remove; lv_files extracted from vdb1 alone, files intact"
start_daemon
[ -b /dev/mapper/vg_bulk-lv_rushes ] || die "restored lv_rushes not activated: \$(ls /dev/mapper)"
mount -t ext4 -o ro /dev/vg_bulk/lv_rushes /mnt/rushes || die "mount restored lv_rushes"
(cd /mnt/rushes && /usr/sbin/sha256sum -c /tmp/rushes.sums >/dev/null) || die "lv_rushes after the restore"
umount /mnt/rushes
/usr/sbin/lvm lvs --noheadings -o vg_name,lv_name vg_bulk 2>/dev/null | grep -q lv_rushes || die "stock lvs does not see the restored LV"
stop_daemon
say "vgtoold activated the restored lv_rushes; its files are intact and stock lvm2 lists it"
EOG

imgs=("$D/img/disk1.img" "$D/img/disk2.img" "$D/img/bulk.img" "$D/img/spare.img" "$D/img/spare2.img")
vm_run "$WORK/boot1.out" "$WORK/boot1.sh" "${imgs[@]}" || {
	grep -a VMTEST "$WORK/boot1.out"; tail -40 "$WORK/boot1.out"; fail "first boot failed"; }
grep -a '^VMTEST' "$WORK/boot1.out"
vm_run "$WORK/boot2.out" "$WORK/boot2.sh" "${imgs[@]}" || {
	grep -a VMTEST "$WORK/boot2.out"; tail -40 "$WORK/boot2.out"; fail "second boot failed"; }
grep -a '^VMTEST' "$WORK/boot2.out"
echo "daemon-kernel: all boots passed"
