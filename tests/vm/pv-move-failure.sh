#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A destination disk that fails in the middle of an online PV move, in a
# QEMU VM with activation = "kernel": the destination PV is a device-mapper
# device over vdb ("dst") whose table is swapped for an error target once
# two chunks are across, as a disk that stops answering.
#  - the move's job fails with EIO, saying the mirror of pvmove0 lost a
#    leg or the checkpoint could not be flushed to dst, whichever the
#    kernel reports first;
#  - the LV stays usable: a write into the chunk being mirrored completes
#    (dm's mirror finishes it on the source, which stays authoritative);
#  - the disk comes back (dst linear over vdb again) and `job cancel` of
#    the failed job aborts the move: pvmove0's device is gone, the LV's
#    table maps the chunks committed as moved on dst and the rest on vda,
#    stock lvm2 sees no pvmove0, and the LV reads back exactly what was
#    written to it, the write made during the failure included.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/vm/vm-lib.sh"
vm_require

D="$WORK/d"
mkdir -p "$D/img"
for disk in a b; do make_image "$D/img/$disk.img" 96M; done

cat >"$WORK/boot.sh" <<EOG
set -e
say() { echo "VMTEST \$*"; }
die() { echo "VMTEST FAILED: \$*"; /usr/sbin/vgtool job list 2>&1 || true; /usr/sbin/dmsetup table 2>&1; tail -20 /tmp/vgtoold.log; exit 1; }
$(vm_guest_vgtoold '^/dev/(vda|dm-0)$')
sz=\$(cat /sys/block/vdb/size)
/usr/sbin/dmsetup create dst --table "0 \$sz linear /dev/vdb 0" || die "dmsetup create dst"
# vgtoold scans /dev itself: dst is the kernel's dm-0 there
[ "\$(cat /sys/block/dm-0/dm/name)" = dst ] || die "dst is not dm-0"
dst_table() { /usr/sbin/dmsetup load dst --table "0 \$sz \$1" && /usr/sbin/dmsetup resume dst; }
job_field() { \$V --json --no-wait job show \$id | sed -n "s/.*\"\$1\": *\"*\\([0-9a-z]*\\).*/\\1/p" | head -n 1; }
devnum_of() { /usr/sbin/dmsetup info -c --noheadings -o major,minor --separator : "\$1"; }

start_daemon
\$V vg create vg_f /dev/vda /dev/dm-0 >/tmp/out 2>&1 || die "vg create: \$(cat /tmp/out); \$(\$V disk list 2>&1)"
\$V lv create vg_f lv_a --size 48M --pv /dev/vda >/dev/null || die "lv create"
dd if=/dev/urandom of=/tmp/ref bs=1M count=48 2>/dev/null
dd if=/tmp/ref of=/dev/vg_f/lv_a bs=1M conv=fsync 2>/dev/null || die "writing lv_a"
say "lv_a (48 MiB of random data) on vda, vg_f on vda and dst (linear over vdb)"

\$V --json --no-wait pv move /dev/vda /dev/dm-0 --bandwidth 4M >/tmp/out 2>&1 || die "pv move: \$(cat /tmp/out)"
id=\$(sed -n 's/.*"id": *\([0-9]*\).*/\1/p' /tmp/out | head -n 1)
for i in \$(seq 300); do
	[ "\$(job_field done_bytes)" -ge 8388608 ] 2>/dev/null && break
	sleep 0.1
done
[ "\$(job_field done_bytes)" -ge 8388608 ] || die "the move did not get 8 MiB across"
dst_table error || die "swapping dst for an error target"
for i in \$(seq 300); do
	[ "\$(job_field state)" = failed ] && break
	sleep 0.1
done
\$V --json --no-wait job show \$id >/tmp/job 2>&1
grep -q '"state": *"failed"' /tmp/job || die "the move's job did not fail with its destination failing: \$(cat /tmp/job)"
# the mirror's status (a dead leg) or the checkpoint's flush of dst says it first
grep -q '"reason": *"EIO"' /tmp/job && grep -Eq 'failed on a leg|/dev/dm-0: flush failed' /tmp/job ||
	die "the failure does not name the mirror's dead leg or dst: \$(cat /tmp/job)"
say "the destination failed after \$(job_field done_bytes) bytes: the job failed: \$(sed -n 's/.*"message": *"\(.*\)".*/\1/p' /tmp/job | head -n 1)"

# the chunk being mirrored: lv_a's extents are pvmove0's in the same order, from its first
mstart=\$(/usr/sbin/dmsetup table vg_f-pvmove0 | awk '\$3 == "mirror" { print \$1 }')
[ -n "\$mstart" ] || die "pvmove0 has no mirror row after the failure: \$(/usr/sbin/dmsetup table vg_f-pvmove0)"
dd if=/dev/urandom of=/tmp/patch bs=64k count=1 2>/dev/null
dd if=/tmp/patch of=/dev/vg_f/lv_a bs=512 seek=\$mstart conv=notrunc,fsync 2>/tmp/dd.err ||
	die "a write into the mirrored chunk failed: \$(cat /tmp/dd.err)"
dd if=/tmp/patch of=/tmp/ref bs=512 seek=\$mstart conv=notrunc 2>/dev/null
say "a write into the chunk being mirrored (sector \$mstart) completed during the failure"

dst_table "linear /dev/vdb 0" || die "giving dst back its disk"
\$V job cancel \$id >/tmp/out 2>&1 || die "job cancel of the failed move: \$(cat /tmp/out)"
/usr/sbin/dmsetup info vg_f-pvmove0 >/dev/null 2>&1 && die "pvmove0's device is left after the cancel"
/usr/sbin/lvm lvs -a --noheadings -o lv_name vg_f 2>/dev/null | grep -q pvmove && die "stock lvm2 still sees pvmove0"
devs=\$(/usr/sbin/dmsetup table vg_f-lv_a | awk '{ print \$4 }' | sort -u | tr '\n' ' ')
[ "\$devs" = "\$(cat /sys/block/vda/dev) \$(devnum_of dst) " ] || [ "\$devs" = "\$(devnum_of dst) \$(cat /sys/block/vda/dev) " ] ||
	die "lv_a should map vda and dst after the partial move: \$(/usr/sbin/dmsetup table vg_f-lv_a)"
echo 3 >/proc/sys/vm/drop_caches
[ "\$(/usr/sbin/sha256sum </dev/vg_f/lv_a)" = "\$(/usr/sbin/sha256sum </tmp/ref)" ] || die "lv_a does not read back what was written"
say "the failed move cancelled once dst was back: pvmove0 gone, lv_a on vda and dst, its data (and the write made meanwhile) intact"
stop_daemon
EOG

vm_run "$WORK/boot.out" "$WORK/boot.sh" "$D/img/a.img" "$D/img/b.img" || {
	grep -a VMTEST "$WORK/boot.out"; tail -40 "$WORK/boot.out"; fail "the VM run failed"; }
grep -a '^VMTEST' "$WORK/boot.out"
echo "pv-move-failure: passed"
