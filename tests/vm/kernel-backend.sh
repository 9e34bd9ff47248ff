#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The kernel activation backend for real, in a QEMU VM on Debian's kernel:
# a mirror and VGs written by vgtoold (none backend) on image files are
# assembled by our md door (mdraid/md-kernel.c) and activated by our dm code
# (lvm/lv-table.c + lvm/dmctl-libdm.c) through tests/tools/kernel-tool, no
# mdadm or lvm2 doing the work. Stock tools are the judges: /proc/mdstat,
# `dmsetup table` against the rows lv-table computes, `dmsetup info` for
# LVM-style names and uuids, `lvm lvs` seeing the LVs active. Then ext4 data
# survives deactivate/stop, a degraded start from one leg, a leg re-added
# and rebuilt, the other leg failed and removed, and a scrub finds no
# mismatch.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/vm/vm-lib.sh"
[ -x "$TOOLS/kernel-tool" ] || skip "tests/tools/kernel-tool is not built"
vm_require python3

D="$WORK/d"
mkdir -p "$D/img"
make_image "$D/img/sda5.img" 96M
make_image "$D/img/sdc5.img" 96M
make_image "$D/img/sdb.img" 128M
start_daemon "$D"
rpc mirror.create '{"name":"md0","legs":["'$D'/img/sda5.img","'$D'/img/sdc5.img"],"assume_clean":true}' >/dev/null
rpc vg.create '{"name":"vg_raid","pvs":["md0"]}' >/dev/null
rpc vg.create '{"name":"vg-bulk","pvs":["'$D'/img/sdb.img"]}' >/dev/null
rpc lv.create '{"vg":"vg_raid","name":"lv_files","size":"24M"}' >/dev/null
rpc lv.create '{"vg":"vg-bulk","name":"lv-rushes","size":"32M"}' >/dev/null
rpc lv.create '{"vg":"vg-bulk","name":"second","size":"8M"}' >/dev/null
stop_daemon

cat >"$WORK/guest.sh" <<'EOG'
set -e
KT=/usr/sbin/kernel-tool
say() { echo "VMTEST $*"; }
die() { echo "VMTEST FAILED: $*"; cat /proc/mdstat; exit 1; }

# --- md: assemble from both legs ---
$KT md-assemble md0 /dev/vda /dev/vdb
grep -E '^md0 : active raid1 ' /proc/mdstat | grep -q 'vda\[' || die "md0 without vda"
grep -E '^md0 : active raid1 ' /proc/mdstat | grep -q 'vdb\[' || die "md0 without vdb"
grep -A1 '^md0' /proc/mdstat | grep -q '\[2/2\] \[UU\]' || die "md0 not [UU]"
$KT md-state md0 >/tmp/state
grep -qx 'degraded=0' /tmp/state && grep -qx 'metadata_version=1.0' /tmp/state || { cat /tmp/state; die "md-state"; }
say "md assembled: $(grep ^md0 /proc/mdstat)"
# assembling again is refused
if $KT md-assemble md0 /dev/vda /dev/vdb 2>/tmp/err; then die "second assemble accepted"; fi
grep -q 'active already' /tmp/err || die "second assemble: $(cat /tmp/err)"

# --- dm: activate with our tables ---
$KT lv-table vg_raid/lv_files /dev/md0 >/tmp/want.files
$KT lv-table vg-bulk/lv-rushes /dev/vdc >/tmp/want.rushes
$KT lv-activate vg_raid/lv_files /dev/md0
$KT lv-activate vg-bulk/lv-rushes /dev/vdc
$KT lv-activate vg-bulk/second /dev/vdc
/usr/sbin/dmsetup table vg_raid-lv_files >/tmp/got.files
/usr/sbin/dmsetup table vg--bulk-lv--rushes >/tmp/got.rushes
cmp /tmp/want.files /tmp/got.files || die "table: want $(cat /tmp/want.files) got $(cat /tmp/got.files)"
cmp /tmp/want.rushes /tmp/got.rushes || die "table: want $(cat /tmp/want.rushes) got $(cat /tmp/got.rushes)"
grep -q '^0 49152 linear 9:0 ' /tmp/got.files || die "lv_files is not linear on md0: $(cat /tmp/got.files)"
say "dm tables as lv-table computed: $(cat /tmp/got.files) | $(cat /tmp/got.rushes)"
/usr/sbin/dmsetup info -c --noheadings --separator ' ' -o name,uuid >/tmp/info
cat /tmp/info
for n in vg_raid-lv_files vg--bulk-lv--rushes vg--bulk-second; do
	uuid=$(awk -v n=$n '$1 == n { print $2 }' /tmp/info)
	case "$uuid" in LVM-*) ;; *) die "$n: uuid '$uuid'" ;; esac
	[ ${#uuid} -eq 68 ] || die "$n: uuid length ${#uuid}"
	[ -b /dev/mapper/$n ] || die "no /dev/mapper/$n"
done
[ "$(readlink /dev/vg_raid/lv_files)" = ../mapper/vg_raid-lv_files ] || die "/dev/vg_raid/lv_files link"
[ -L /dev/vg-bulk/lv-rushes ] || die "/dev/vg-bulk/lv-rushes link"
/usr/sbin/lvm lvs --noheadings --separator ' ' -o vg_name,lv_name,lv_active >/tmp/lvs 2>/tmp/lvs.err || { cat /tmp/lvs.err; die "lvs"; }
cat /tmp/lvs
grep -Eq 'vg_raid lv_files active' /tmp/lvs || die "lvm lvs does not see vg_raid/lv_files active"
grep -Eq 'vg-bulk lv-rushes active' /tmp/lvs || die "lvm lvs does not see vg-bulk/lv-rushes active"
say "stock lvm sees them active: $(tr '\n' ';' </tmp/lvs)"

# --- data ---
/usr/sbin/mkfs.ext4 -q -F /dev/vg_raid/lv_files
mount -t ext4 /dev/vg_raid/lv_files /mnt
echo "kernel backend" >/mnt/hello.txt
dd if=/dev/urandom of=/mnt/random.bin bs=64k count=128 2>/dev/null
(cd /mnt && /usr/sbin/sha256sum hello.txt random.bin) >/tmp/sums
# removing an open device is refused, the array cannot stop under it
if $KT lv-deactivate vg_raid/lv_files 2>/tmp/err; then die "removed a mounted LV"; fi
grep -q 'is open' /tmp/err || die "busy remove: $(cat /tmp/err)"
if $KT md-stop md0 2>/tmp/err; then die "stopped md0 under dm"; fi
# reload while mounted: the same table swapped in live
$KT lv-reload vg_raid/lv_files /dev/md0
$KT lv-info vg_raid/lv_files | grep -q 'exists=1 suspended=0 open=1' || die "after reload: $($KT lv-info vg_raid/lv_files)"
(cd /mnt && /usr/sbin/sha256sum -c /tmp/sums) >/dev/null || die "sums after reload"
umount /mnt
say "ext4 written, reload under a mounted fs fine"
$KT lv-deactivate vg_raid/lv_files
$KT lv-deactivate vg-bulk/lv-rushes
$KT lv-rename vg-bulk/second sec-ond
[ -b /dev/mapper/vg--bulk-sec--ond ] && [ ! -e /dev/mapper/vg--bulk-second ] || die "rename: $(ls /dev/mapper)"
[ "$(readlink /dev/vg-bulk/sec-ond)" = ../mapper/vg--bulk-sec--ond ] && [ ! -e /dev/vg-bulk/second ] || die "rename links"
$KT lv-deactivate vg-bulk/sec-ond
say "renamed vg-bulk/second to sec-ond (dm name vg--bulk-sec--ond) and removed it"
[ ! -e /dev/mapper/vg_raid-lv_files ] && [ ! -e /dev/vg_raid/lv_files ] || die "nodes left after deactivate"
[ -z "$(/usr/sbin/dmsetup ls | grep -v 'No devices')" ] || die "dm devices left: $(/usr/sbin/dmsetup ls)"
$KT lv-info vg_raid/lv_files | grep -q 'exists=0' || die "lv-info after remove"
$KT md-stop md0
grep -q '^md0 : active' /proc/mdstat && die "md0 still active"
say "deactivated and stopped"

# --- degraded: only the first leg ---
if $KT md-assemble md0 /dev/vda 2>/tmp/err; then die "degraded start without --run"; fi
grep -q 'not starting degraded' /tmp/err || die "degraded refusal: $(cat /tmp/err)"
$KT md-assemble --run md0 /dev/vda
grep -A1 '^md0' /proc/mdstat | grep -q '\[2/1\] \[U_\]' || die "not degraded [U_]"
$KT md-state md0 | grep -qx 'degraded=1' || die "md-state degraded"
$KT lv-activate --readonly vg_raid/lv_files /dev/md0
mount -t ext4 -o ro /dev/vg_raid/lv_files /mnt
(cd /mnt && /usr/sbin/sha256sum -c /tmp/sums) || die "sums from one leg"
umount /mnt
$KT lv-deactivate vg_raid/lv_files
say "degraded from vda alone: $(grep -A1 ^md0 /proc/mdstat | tr '\n' ' '), checksums match"

# --- re-add vdb, rebuild; fail and remove vda; data from vdb ---
$KT md-add md0 /dev/vdb
$KT md-wait md0 300
$KT md-state md0 >/tmp/state
grep -qx 'degraded=0' /tmp/state || { cat /tmp/state; die "vdb not rebuilt"; }
say "vdb re-added and rebuilt: $(grep -A1 ^md0 /proc/mdstat | tr '\n' ' ')"
$KT md-fail md0 /dev/vda
$KT md-state md0 >/tmp/state
grep -q '^member vda .*faulty' /tmp/state || { cat /tmp/state; die "vda not faulty"; }
grep -qx 'degraded=1' /tmp/state || die "not degraded after fail"
$KT md-remove md0 /dev/vda
$KT md-state md0 | grep -q '^member vda' && die "vda still a member"
$KT lv-activate vg_raid/lv_files /dev/md0
mount -t ext4 -o ro /dev/vg_raid/lv_files /mnt
(cd /mnt && /usr/sbin/sha256sum -c /tmp/sums) || die "sums from rebuilt vdb"
umount /mnt
say "vda failed and removed, data read back from rebuilt vdb"
$KT md-add md0 /dev/vda
$KT md-wait md0 300
grep -A1 '^md0' /proc/mdstat | grep -q '\[2/2\] \[UU\]' || die "not [UU] after re-adding vda"

# --- scrub ---
$KT md-scrub md0 check
$KT md-wait md0 300
$KT md-state md0 >/tmp/state
cat /tmp/state
grep -qx 'mismatch_cnt=0' /tmp/state || die "mismatches after check"
dmesg | grep -q 'data-check of RAID array md0' || die "no data-check in the kernel log"
say "scrub check: mismatch_cnt=0"
# scribble on vdb behind md's back: check counts it, repair fixes it
dd if=/dev/urandom of=/dev/vdb bs=4096 count=64 seek=4096 conv=notrunc,fsync 2>/dev/null
$KT md-scrub md0 check
$KT md-wait md0 300
m=$($KT md-state md0 | sed -n 's/^mismatch_cnt=//p')
[ "$m" -gt 0 ] || die "check missed the scribble (mismatch_cnt=$m)"
$KT md-scrub md0 repair
$KT md-wait md0 300
$KT md-scrub md0 check
$KT md-wait md0 300
$KT md-state md0 | grep -qx 'mismatch_cnt=0' || die "mismatches left after repair"
say "scribbled on vdb: check counted $m sectors, repair fixed them, check is clean again"
$KT lv-deactivate vg_raid/lv_files
$KT md-stop md0
say "done"
EOG
vm_run "$WORK/console.log" "$WORK/guest.sh" "$D/img/sda5.img" "$D/img/sdc5.img" "$D/img/sdb.img" ||
	{ cat "$WORK/console.log"; fail "the VM test failed"; }
grep VMTEST "$WORK/console.log"
mdadm --examine "$D/img/sda5.img" | grep -q 'Checksum : .* - correct' || fail "the leg's superblock after our md use"
echo "our md and dm code on a real kernel: assembled, activated as lvm2 would, data intact through degraded, rebuild and scrub"
