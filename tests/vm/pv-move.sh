#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# PV moves with activation = "kernel" in a QEMU VM, driven through vgtool:
#  1. an ext4 LV, mounted, with a writer running (bounded, fsync'd files),
#     moved from vda to vdb while in use, after an inactive LV's extents,
#     the way lvm2's pvmove does it: while the move runs, vg_data-pvmove0 is
#     a dm device whose table has a `mirror` row (the chunk being copied by
#     the kernel), the LV's table maps onto pvmove0's device, and the
#     mirror's status moves on; stock lvm2 lists pvmove0. Afterwards the
#     LV's table names only vdb, pvmove0's device is gone, stock lvm2 sees
#     vda empty, e2fsck finds the filesystem clean, and every file (those
#     written during the move included) reads back its checksum with the
#     page cache dropped;
#  2. a slow move back to vda, the VM killed (sysrq b) once some of the
#     mounted LV's chunks are across;
#  3. the next boot: vgtoold activates pvmove0 and then the LV on it
#     mid-move (the chunk that was being copied is mirrored again from its
#     source), resumes the move as a job and completes it; stock lvm2 read
#     the metadata mid-move, and every checksum matches;
#  4. a move of the mounted LV cancelled after a checkpoint leaves it on
#     both PVs, its table reloaded, pvmove0's device gone, the filesystem
#     clean;
#  5. an inactive LV's move is copied by vgtoold (no pvmove0 device); the
#     LV activated mid-move comes up on pvmove0, made first, and the kernel
#     finishes the copy across a restart of vgtoold;
#  6. a VG-pvmove0 device the metadata does not explain is removed when
#     vgtoold starts, and reloaded with the move's table when a move starts.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/vm/vm-lib.sh"
vm_require

D="$WORK/d"
mkdir -p "$D/img"
for disk in a b c; do make_image "$D/img/$disk.img" 96M; done

common='
say() { echo "VMTEST $*"; }
die() { echo "VMTEST FAILED: $*"; /usr/sbin/vgtool job list 2>&1; tail -20 /tmp/vgtoold.log; exit 1; }
mkdir -p /mnt/fs
'"$(vm_guest_vgtoold '^/dev/vd[ab]$')"'
# the devices the LV table names, as MAJ:MIN
table_devs() { /usr/sbin/dmsetup table vg_data-lv_fs | awk "{ print \$4 }" | sort -u | tr "\n" " "; }
devnum() { cat /sys/block/${1#/dev/}/dev; }
move_devnum() { /usr/sbin/dmsetup info -c --noheadings -o major,minor --separator : vg_data-pvmove0 2>/dev/null; }
check_sums() {
	umount /mnt/fs
	echo 3 >/proc/sys/vm/drop_caches
	/usr/sbin/e2fsck -fn /dev/vg_data/lv_fs >/tmp/fsck 2>&1 || die "$1: e2fsck: $(tail -5 /tmp/fsck)"
	mount -t ext4 /dev/vg_data/lv_fs /mnt/fs || die "$1: mount"
	(cd /mnt/fs && /usr/sbin/sha256sum -c /tmp/all.sums >/dev/null) || die "$1: checksums"
}
'

cat >"$WORK/boot1.sh" <<EOG
set -e
$common
start_daemon
\$V vg create vg_data /dev/vda /dev/vdb >/dev/null || die "vg create"
# an inactive LV first on vda: its chunks are copied without holding anything, lv_fs's under a suspend
\$V lv create vg_data lv_off --size 8M --pv /dev/vda >/dev/null || die "lv create lv_off"
dd if=/dev/urandom of=/dev/vg_data/lv_off bs=64k count=128 conv=fsync 2>/dev/null
off_sum=\$(/usr/sbin/sha256sum </dev/vg_data/lv_off)
\$V lv deactivate vg_data/lv_off >/dev/null || die "lv deactivate lv_off"
\$V lv create vg_data lv_fs --size 48M --pv /dev/vda >/dev/null || die "lv create"
[ "\$(table_devs)" = "\$(devnum /dev/vda) " ] || die "lv_fs not on vda: \$(table_devs)"
/usr/sbin/mkfs.ext4 -q -F /dev/vg_data/lv_fs
mount -t ext4 /dev/vg_data/lv_fs /mnt/fs
for i in 1 2 3 4 5 6; do dd if=/dev/urandom of=/mnt/fs/f\$i bs=64k count=48 2>/dev/null; done
sync
say "ext4 on vg_data/lv_fs (vda) with files"

# --- 1. moved while a writer runs: at most 40 files of 256 KiB, fsync'd ---
( i=0; while [ ! -f /tmp/stop ] && [ \$i -lt 40 ]; do dd if=/dev/urandom of=/mnt/fs/w\$i bs=64k count=4 conv=fsync 2>/dev/null; i=\$((i+1)); sleep 0.1; done ) &
writer=\$!
sleep 0.5
# a limit that seldom holds a chunk back: the mirror row is there most of the time
\$V --json --no-wait pv move /dev/vda /dev/vdb --bandwidth 64M >/tmp/out 2>&1 || die "pv move: \$(cat /tmp/out)"
id=\$(sed -n 's/.*"id": *\\([0-9]*\\).*/\\1/p' /tmp/out | head -n 1)
# while it runs (until pvmove0's device goes): its table and status, often and with few processes (the
# mirror row is there while a chunk copies), now and then the LV's table and stock lvm2's view
: >/tmp/tables; : >/tmp/statuses; : >/tmp/lvtables; : >/tmp/lvs; : >/tmp/lvs.err; mv=
for i in \$(seq 1500); do
	if ! /usr/sbin/dmsetup table vg_data-pvmove0 >>/tmp/tables 2>/dev/null; then
		[ -s /tmp/tables ] && break
		sleep 0.05; continue
	fi
	/usr/sbin/dmsetup status vg_data-pvmove0 >>/tmp/statuses 2>/dev/null || true
	[ -n "\$mv" ] || mv=\$(move_devnum)
	[ \$((i % 4)) = 2 ] && /usr/sbin/dmsetup table vg_data-lv_fs >>/tmp/lvtables 2>/dev/null || true
	# stock lvm2 reads the metadata of a checkpoint, and pvmove0's progress from the kernel
	[ \$((i % 8)) = 2 ] && /usr/sbin/lvm lvs -a --noheadings -o lv_name,copy_percent vg_data 2>>/tmp/lvs.err | grep pvmove0 >>/tmp/lvs || true
done
\$V job wait \$id >/tmp/job 2>&1 || die "the move failed: \$(cat /tmp/job)"
grep -q ' mirror core 1 [0-9]* 2 ' /tmp/tables || die "no mirror row in pvmove0's table during the move: \$(sort -u /tmp/tables)"
# onto pvmove0 while it is there (onto vdb only once the move ended between two looks), never straight to vda
awk -v mv="\$mv" '\$4 == mv' /tmp/lvtables | grep -q . && ! awk '{ print \$4 }' /tmp/lvtables | grep -qvx -e "\$mv" -e "\$(devnum /dev/vdb)" ||
	die "lv_fs did not map onto pvmove0 (\$mv) during the move: \$(sort -u /tmp/lvtables)"
n_status=\$(awk '\$3 == "mirror" { print \$1, \$7 }' /tmp/statuses | sort -u | wc -l)
[ \$n_status -ge 2 ] || die "the mirror's status did not move on: \$(grep mirror /tmp/statuses | sort -u)"
grep -q 'pvmove0' /tmp/lvs || die "stock lvm2 did not list pvmove0 mid-move (\$i looks): \$(cat /tmp/lvs /tmp/lvs.err)"
/usr/sbin/dmsetup info vg_data-pvmove0 >/dev/null 2>&1 && die "pvmove0's device is left after the move"
say "during the move: pvmove0 mirrored the chunks (\$n_status distinct mirror states seen), lv_fs mapped onto it; stock lvs -a: \$(awk '{ print \$2 }' /tmp/lvs | tr '\\n' ' ')"
say "a mirror status: \$(grep ' mirror ' /tmp/statuses | head -n 1)"
touch /tmp/stop; wait \$writer
n=\$(ls /mnt/fs | grep -c '^w')
[ \$n -gt 3 ] || die "the writer wrote only \$n files"
\$V job list >/tmp/jobs
grep -Eq 'pv.move +vg_data +done' /tmp/jobs || die "job list: \$(cat /tmp/jobs)"
[ "\$(table_devs)" = "\$(devnum /dev/vdb) " ] || die "lv_fs after the move: \$(/usr/sbin/dmsetup table vg_data-lv_fs)"
/usr/sbin/lvm pvs --noheadings -o pv_name,pv_used --units m --nosuffix 2>/dev/null >/tmp/pvs || die "stock pvs"
grep -Eq '/dev/vda +0(\.00)?\$' /tmp/pvs || die "stock lvm2: vda not empty: \$(cat /tmp/pvs)"
sync
(cd /mnt/fs && /usr/sbin/sha256sum f* w*) >/tmp/all.sums
\$V lv activate vg_data/lv_off >/dev/null || die "lv activate lv_off"
[ "\$(/usr/sbin/sha256sum </dev/vg_data/lv_off)" = "\$off_sum" ] || die "lv_off changed by the move"
\$V lv deactivate vg_data/lv_off >/dev/null || die "lv deactivate lv_off"
# the checksums survive the reboot on vdc, which vgtoold does not manage: a line count, then the lines
(wc -l </tmp/all.sums; cat /tmp/all.sums; echo "\$off_sum") >/dev/vdc; sync
check_sums "after the online move"
say "lv_fs moved from vda to vdb online under a writer (\$n files written meanwhile): table on vdb only, e2fsck clean, checksums intact"

# --- 2. a slow move back, the VM killed once lv_off (8 MiB) and two chunks of lv_fs are across ---
umount /mnt/fs
\$V --no-wait pv move /dev/vdb /dev/vda --bandwidth 2M >/tmp/out 2>&1 || die "slow pv move: \$(cat /tmp/out)"
for i in \$(seq 300); do
	\$V --json job list >/tmp/jobs 2>&1
	done_bytes=\$(sed -n 's/.*"done_bytes": *\\([0-9]*\\).*/\\1/p' /tmp/jobs | tail -n 1)
	[ "\${done_bytes:-0}" -ge 16777216 ] && break
	sleep 0.2
done
[ "\${done_bytes:-0}" -ge 16777216 ] || die "the slow move did not get 16 MiB across: \$(cat /tmp/jobs)"
/usr/sbin/lvm lvs -a --noheadings -o lv_name vg_data 2>/dev/null | grep -q 'pvmove0' || die "stock lvm2 sees no pvmove0 mid-move"
say "rebooting mid-move after \$done_bytes bytes"
# the console drains before the reset
sleep 1
echo 1 >/proc/sys/kernel/sysrq
echo b >/proc/sysrq-trigger
EOG

cat >"$WORK/boot2.sh" <<EOG
set -e
$common
n=\$(head -n 1 /dev/vdc)
head -n \$((n + 1)) /dev/vdc | tail -n \$n >/tmp/all.sums
off_sum=\$(head -n \$((n + 2)) /dev/vdc | tail -n 1)
start_daemon
\$V --json job list >/tmp/jobs 2>&1
grep -q '"kind": *"pv.move"' /tmp/jobs || die "no pv.move job resumed: \$(cat /tmp/jobs)"
[ -b /dev/mapper/vg_data-lv_fs ] || die "lv_fs not activated mid-move: \$(cat /tmp/vgtoold.log)"
id=\$(sed -n 's/.*"id": *\\([0-9]*\\).*/\\1/p' /tmp/jobs | head -n 1)
# pvmove0 was made first and lv_fs maps onto it, unless the resumed move is over already
mv=\$(move_devnum)
lv_devs=\$(table_devs)
if [ -n "\$mv" ] && [ "\$lv_devs" = "\$mv " ]; then
	where="onto pvmove0 (\$mv)"
else
	\$V job wait \$id >/dev/null 2>&1 || die "lv_fs mid-move not on pvmove0 (\$lv_devs, pvmove0 \$mv) and the move not done"
	where="the move already done: \$lv_devs"
fi
say "vgtoold resumed the move as job \$id and activated lv_fs mid-move, \$where"
mount -t ext4 /dev/vg_data/lv_fs /mnt/fs || die "mount mid-move"
\$V job wait \$id >/tmp/out 2>&1 || die "job wait: \$(cat /tmp/out)"
[ "\$(table_devs)" = "\$(devnum /dev/vda) " ] || die "lv_fs after the resumed move: \$(/usr/sbin/dmsetup table vg_data-lv_fs)"
/usr/sbin/lvm lvs -a --noheadings -o lv_name vg_data 2>/dev/null | grep -q 'pvmove0' && die "pvmove0 left"
check_sums "after the resumed move"
say "the move resumed after the reboot completed: lv_fs on vda, e2fsck clean, checksums intact"

# --- 4. a move of the mounted LV cancelled after a checkpoint: the moved chunks stay moved ---
# 16 MiB: lv_off (8 MiB, first on vda) and two chunks of lv_fs
\$V --json --no-wait pv move /dev/vda /dev/vdb --bandwidth 2M >/tmp/out 2>&1 || die "pv move to cancel: \$(cat /tmp/out)"
id=\$(sed -n 's/.*"id": *\([0-9]*\).*/\1/p' /tmp/out | head -n 1)
for i in \$(seq 300); do
	done_bytes=\$(\$V --json --no-wait job show \$id | sed -n 's/.*"done_bytes": *\([0-9]*\).*/\1/p')
	[ "\${done_bytes:-0}" -ge 16777216 ] && break
	sleep 0.2
done
\$V job cancel \$id >/tmp/out 2>&1 || die "job cancel: \$(cat /tmp/out)"
\$V job list | grep -Eq "^ *\$id +pv.move +vg_data +cancelled" || die "job list after the cancel: \$(\$V job list)"
[ "\$(table_devs)" = "\$(devnum /dev/vda) \$(devnum /dev/vdb) " ] || die "lv_fs after the cancel: \$(/usr/sbin/dmsetup table vg_data-lv_fs)"
/usr/sbin/lvm lvs -a --noheadings -o lv_name vg_data 2>/dev/null | grep -q 'pvmove0' && die "pvmove0 left after the cancel"
/usr/sbin/dmsetup info vg_data-pvmove0 >/dev/null 2>&1 && die "pvmove0's device is left after the cancel"
check_sums "after the cancel"
say "a move of the mounted lv_fs cancelled after \$done_bytes bytes: lv_fs on vda and vdb, e2fsck clean, checksums intact"
umount /mnt/fs
[ -b /dev/mapper/vg_data-lv_off ] || \$V lv activate vg_data/lv_off >/dev/null || die "lv activate lv_off"
[ "\$(/usr/sbin/sha256sum </dev/vg_data/lv_off)" = "\$off_sum" ] || die "lv_off changed by the moves"

# --- 5. an inactive LV moved: the daemon copies (no pvmove0 device); activated mid-move, pvmove0 comes first ---
\$V lv deactivate vg_data/lv_off >/dev/null || die "lv deactivate lv_off"
off_src=\$(/usr/sbin/lvm lvs --noheadings -o devices vg_data/lv_off 2>/dev/null | sed 's/(.*//; s/ //g')
case "\$off_src" in /dev/vda) off_dst=/dev/vdb ;; /dev/vdb) off_dst=/dev/vda ;; *) die "stock lvm2: lv_off on \$off_src" ;; esac
\$V --json --no-wait pv move \$off_src \$off_dst --lv vg_data/lv_off --bandwidth 1M >/tmp/out 2>&1 || die "pv move lv_off: \$(cat /tmp/out)"
id=\$(sed -n 's/.*"id": *\([0-9]*\).*/\1/p' /tmp/out | head -n 1)
sleep 1
\$V --json --no-wait job show \$id | grep -q '"state": *"running"' || die "the move of lv_off is not running: \$(\$V job list)"
/usr/sbin/dmsetup info vg_data-pvmove0 >/dev/null 2>&1 && die "pvmove0 is a device while no LV on it is active"
\$V lv activate vg_data/lv_off >/tmp/out 2>&1 || die "lv activate mid-move: \$(cat /tmp/out)"
mv=\$(move_devnum)
[ -n "\$mv" ] || die "lv_off activated mid-move without a pvmove0 device"
off_devs=\$(/usr/sbin/dmsetup table vg_data-lv_off | awk '{ print \$4 }' | sort -u | tr "\\n" " ")
[ "\$off_devs" = "\$mv " ] || die "lv_off activated mid-move maps onto \$off_devs, not pvmove0 (\$mv)"
# vgtoold restarted mid-move: pvmove0 and lv_off stay as they are, the new job follows pvmove0's mirror
stop_daemon
[ "\$(move_devnum)" = "\$mv" ] || die "pvmove0's device changed while vgtoold was stopped"
start_daemon
\$V --json job list >/tmp/jobs 2>&1
id=\$(sed -n 's/.*"id": *\([0-9]*\).*/\1/p' /tmp/jobs | head -n 1)
grep -q '"kind": *"pv.move"' /tmp/jobs || die "no pv.move job resumed after the restart: \$(cat /tmp/jobs)"
\$V job wait \$id >/tmp/out 2>&1 || die "job wait lv_off: \$(cat /tmp/out)"
/usr/sbin/dmsetup info vg_data-pvmove0 >/dev/null 2>&1 && die "pvmove0's device is left after lv_off's move"
[ "\$(/usr/sbin/dmsetup table vg_data-lv_off | awk '{ print \$4 }' | sort -u)" = "\$(devnum \$off_dst)" ] ||
	die "lv_off after its move: \$(/usr/sbin/dmsetup table vg_data-lv_off)"
[ "\$(/usr/sbin/sha256sum </dev/vg_data/lv_off)" = "\$off_sum" ] || die "lv_off changed by its move"
say "lv_off moved \$off_src -> \$off_dst: copied by vgtoold while inactive, activated mid-move onto pvmove0 (\$mv), vgtoold restarted, intact"

# --- 6. a pvmove0 device the metadata does not explain (left by a move whose end vgtoold did not see through) ---
stop_daemon
/usr/sbin/dmsetup create vg_data-pvmove0 --table "0 8192 error" >/tmp/out 2>&1 || die "dmsetup create: \$(cat /tmp/out)"
start_daemon
/usr/sbin/dmsetup info vg_data-pvmove0 >/dev/null 2>&1 && die "vgtoold kept a pvmove0 device with no move in the metadata"
# one there when a move starts gets the move's table
/usr/sbin/dmsetup create vg_data-pvmove0 --table "0 8192 error" >/tmp/out 2>&1 || die "dmsetup create: \$(cat /tmp/out)"
\$V pv move \$off_dst \$off_src --lv vg_data/lv_off >/tmp/out 2>&1 || die "pv move lv_off back: \$(cat /tmp/out)"
/usr/sbin/dmsetup info vg_data-pvmove0 >/dev/null 2>&1 && die "pvmove0's device is left after lv_off's move back"
[ "\$(/usr/sbin/sha256sum </dev/vg_data/lv_off)" = "\$off_sum" ] || die "lv_off changed by its move back over a stale pvmove0"
say "stale pvmove0 devices: removed at start-up, loaded anew when a move starts; lv_off intact"
stop_daemon
EOG

imgs=("$D/img/a.img" "$D/img/b.img" "$D/img/c.img")
vm_run "$WORK/boot1.out" "$WORK/boot1.sh" "${imgs[@]}" || true
grep -a '^VMTEST' "$WORK/boot1.out"
grep -aq '^VMTEST rebooting mid-move' "$WORK/boot1.out" || { tail -40 "$WORK/boot1.out"; fail "first boot failed"; }
vm_run "$WORK/boot2.out" "$WORK/boot2.sh" "${imgs[@]}" || {
	grep -a VMTEST "$WORK/boot2.out"; tail -40 "$WORK/boot2.out"; fail "second boot failed"; }
grep -a '^VMTEST' "$WORK/boot2.out"
echo "pv-move: both boots passed"
