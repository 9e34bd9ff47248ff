#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# capacity.apply with activation = "kernel" in a QEMU VM, driven through
# vgtool: md0 (vda+vdb) and md2 (vdc+vdd) running in md, vg_raid on both,
# vg_bulk on vde, LVs active in device-mapper.
#  1. vg_bulk=+20M: md2 is evacuated within vg_raid while its LV is being
#     read (the move goes through device-mapper), then moved to vg_bulk;
#     lv_small's table names md0 only and its data reads back;
#  2. vg_bulk>=60M: md2, empty in vg_bulk, dissolved in place: md stops the
#     array, vdc stays the PV and vdd joins vg_bulk; an LV made on vdd maps
#     vdd;
#  3. vg_bulk>=100M with vg_raid told it need not stay redundant: dissolving
#     md0 is refused while lv_files and lv_small are active on it, naming
#     their devices; md0 keeps running, the LVs and their data untouched;
#     once they are deactivated the same apply dissolves md0, and lv_files,
#     activated again, maps vda and reads back its data.
# Stock lvm2 and /proc/mdstat are the judges in the guest.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/vm/vm-lib.sh"
vm_require

D="$WORK/d"
mkdir -p "$D/img"
for disk in a b e; do make_image "$D/img/$disk.img" 64M; done
for disk in c d; do make_image "$D/img/$disk.img" 32M; done

cat >"$WORK/boot.sh" <<EOG
set -e
say() { echo "VMTEST \$*"; }
die() { echo "VMTEST FAILED: \$*"; cat /proc/mdstat; /usr/sbin/vgtool job list 2>&1 || true; echo "--- vgtoold.log"; tail -40 /tmp/vgtoold.log; dmesg | tail -20; exit 1; }
$(vm_guest_vgtoold '^/dev/vd[a-e]$')
devnum() { cat /sys/block/\${1#/dev/}/dev; }
# the devices an LV's table names, as MAJ:MIN
table_devs() { /usr/sbin/dmsetup table "\$1" | awk "{ print \\\$4 }" | sort -u | tr "\n" " "; }
sum_of() { echo 3 >/proc/sys/vm/drop_caches; /usr/sbin/sha256sum <"\$1"; }
stock_pv_vg() { /usr/sbin/lvm pvs --noheadings -o pv_name,vg_name 2>/dev/null | awk -v d="\$1" '\$1 == d { print \$2 }'; }

start_daemon
\$V mirror create md0 /dev/vda /dev/vdb --assume-clean >/dev/null || die "mirror create md0"
\$V mirror create md2 /dev/vdc /dev/vdd --assume-clean >/dev/null || die "mirror create md2"
\$V vg create vg_raid md0 md2 >/dev/null || die "vg create vg_raid"
\$V vg create vg_bulk /dev/vde >/dev/null || die "vg create vg_bulk"
\$V lv create vg_raid lv_files --size 40M --pv md0 >/dev/null || die "lv create lv_files"
\$V lv create vg_raid lv_small --size 8M --pv md2 >/dev/null || die "lv create lv_small"
\$V lv create vg_bulk lv_rushes --size 48M >/dev/null || die "lv create lv_rushes"
dd if=/dev/urandom of=/dev/vg_raid/lv_files bs=1M count=40 conv=fsync 2>/dev/null
dd if=/dev/urandom of=/dev/vg_raid/lv_small bs=1M count=8 conv=fsync 2>/dev/null
files_sum=\$(sum_of /dev/vg_raid/lv_files)
small_sum=\$(sum_of /dev/vg_raid/lv_small)
[ "\$(table_devs vg_raid-lv_small)" != "\$(table_devs vg_raid-lv_files)" ] || die "lv_small and lv_files on the same PV"
say "vg_raid on md0 and md2, vg_bulk on vde, LVs active"

# --- 1. md2 evacuated within vg_raid (lv_small read meanwhile), then moved to vg_bulk ---
( while [ ! -f /tmp/stop ]; do dd if=/dev/vg_raid/lv_small of=/dev/null bs=1M 2>/dev/null; done ) &
reader=\$!
\$V --json capacity apply --want vg_bulk=+20M >/tmp/out 2>&1 || die "capacity apply vg_bulk=+20M: \$(cat /tmp/out)"
touch /tmp/stop; wait \$reader
grep -q '"kind": *"evacuate_and_move_pv"' /tmp/out || die "the plan was not to evacuate and move md2: \$(cat /tmp/out)"
[ "\$(table_devs vg_raid-lv_small)" = "\$(table_devs vg_raid-lv_files)" ] ||
	die "lv_small not on md0 with lv_files: \$(/usr/sbin/dmsetup table vg_raid-lv_small)"
[ "\$(sum_of /dev/vg_raid/lv_small)" = "\$small_sum" ] || die "lv_small's data changed by the evacuation"
\$V --json vg show vg_bulk >/tmp/out 2>&1 || die "vg show vg_bulk"
grep -q '"md2"\|/md2"' /tmp/out || die "md2 not in vg_bulk: \$(cat /tmp/out)"
/usr/sbin/lvm lvs -a --noheadings -o lv_name vg_raid 2>/dev/null | grep -q pvmove && die "stock lvm2 sees a pvmove left"
say "vg_bulk=+20M applied: md2 evacuated under a reader and moved to vg_bulk, lv_small intact on md0"

# --- 2. md2, empty in vg_bulk (no redundancy required there), dissolved in place ---
\$V --json capacity apply --want 'vg_bulk>=60M' >/tmp/out 2>&1 || die "capacity apply vg_bulk>=60M: \$(cat /tmp/out)"
grep -q '"kind": *"dissolve_mirror"' /tmp/out || die "the plan was not to dissolve md2: \$(cat /tmp/out)"
grep -q '^md2 :\|^md_md2 :' /proc/mdstat && die "md2 still in /proc/mdstat"
[ "\$(stock_pv_vg /dev/vdc)" = vg_bulk ] || die "stock lvm2: vdc not in vg_bulk: \$(/usr/sbin/lvm pvs 2>&1)"
[ "\$(stock_pv_vg /dev/vdd)" = vg_bulk ] || die "stock lvm2: vdd not in vg_bulk: \$(/usr/sbin/lvm pvs 2>&1)"
\$V lv create vg_bulk lv_new --size 8M --pv /dev/vdd >/dev/null || die "lv create on vdd"
[ "\$(table_devs vg_bulk-lv_new)" = "\$(devnum /dev/vdd) " ] || die "lv_new: \$(/usr/sbin/dmsetup table vg_bulk-lv_new)"
say "vg_bulk>=60M applied: md2 stopped and dissolved, vdc and vdd plain PVs of vg_bulk"

# --- 3. md0 cannot stop under an active LV: refused, nothing changed; after a deactivate it goes ---
if \$V capacity apply --want 'vg_bulk>=100M' --redundancy vg_raid=no >/tmp/out 2>&1; then
	die "dissolving md0 under an active LV succeeded: \$(cat /tmp/out)"
fi
grep -Eq 'md array md0 is in use by device-mapper devices (vg_raid-lv_small, vg_raid-lv_files|vg_raid-lv_files, vg_raid-lv_small): deactivate those LVs first' /tmp/out || die "the refusal: \$(cat /tmp/out)"
grep -q '^md' /proc/mdstat || die "md0 stopped after all"
[ -b /dev/mapper/vg_raid-lv_files ] || die "lv_files gone"
[ "\$(sum_of /dev/vg_raid/lv_files)" = "\$files_sum" ] || die "lv_files changed by the refused dissolve"
say "dissolving md0 under active LVs refused: \$(grep -o 'md array.*first' /tmp/out | head -n 1)"
\$V lv deactivate vg_raid/lv_files >/dev/null || die "lv deactivate lv_files"
\$V lv deactivate vg_raid/lv_small >/dev/null || die "lv deactivate lv_small"
\$V --json capacity apply --want 'vg_bulk>=100M' --redundancy vg_raid=no >/tmp/out 2>&1 ||
	die "capacity apply vg_bulk>=100M after the deactivate: \$(cat /tmp/out)"
grep -q '^md' /proc/mdstat && die "an md array still runs: \$(cat /proc/mdstat)"
[ "\$(stock_pv_vg /dev/vda)" = vg_raid ] || die "stock lvm2: vda not in vg_raid: \$(/usr/sbin/lvm pvs 2>&1)"
[ "\$(stock_pv_vg /dev/vdb)" = vg_bulk ] || die "stock lvm2: vdb not in vg_bulk: \$(/usr/sbin/lvm pvs 2>&1)"
\$V lv activate vg_raid/lv_files >/dev/null || die "lv activate lv_files"
\$V lv activate vg_raid/lv_small >/dev/null || die "lv activate lv_small"
[ "\$(table_devs vg_raid-lv_files)" = "\$(devnum /dev/vda) " ] || die "lv_files: \$(/usr/sbin/dmsetup table vg_raid-lv_files)"
[ "\$(sum_of /dev/vg_raid/lv_files)" = "\$files_sum" ] || die "lv_files' data after md0 was dissolved"
[ "\$(sum_of /dev/vg_raid/lv_small)" = "\$small_sum" ] || die "lv_small's data after md0 was dissolved"
say "vg_bulk>=100M applied once the LVs were inactive: md0 dissolved, lv_files on vda, data intact"
stop_daemon
EOG

imgs=("$D/img/a.img" "$D/img/b.img" "$D/img/c.img" "$D/img/d.img" "$D/img/e.img")
vm_run "$WORK/boot.out" "$WORK/boot.sh" "${imgs[@]}" || {
	grep -a VMTEST "$WORK/boot.out"; tail -40 "$WORK/boot.out"; fail "the VM run failed"; }
grep -a '^VMTEST' "$WORK/boot.out"
echo "capacity: passed"
