#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# In a QEMU VM on Debian's kernel (md and device-mapper for real): a mirror
# and VGs written by vgtoold on image files are assembled by stock mdadm and
# activated by stock lvm2 with our daemon nowhere near; ext4 on an LV holds
# files; then, with md stopped, one leg alone read through a loop device at
# the offset vgrescue map gives mounts read-only with the same files — the
# seed's rescue promise.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/vm/vm-lib.sh"
vm_require python3

D="$WORK/d"
mkdir -p "$D/img"
make_image "$D/img/sda5.img" 96M
make_image "$D/img/sdc5.img" 96M
make_image "$D/img/sdb.img" 128M
start_daemon "$D"
rpc mirror.create '{"name":"md0","legs":["'$D'/img/sda5.img","'$D'/img/sdc5.img"],"assume_clean":true}' >/dev/null
rpc vg.create '{"name":"vg_raid","pvs":["md0"]}' >/dev/null
rpc vg.create '{"name":"vg_bulk","pvs":["'$D'/img/sdb.img"]}' >/dev/null
rpc lv.create '{"vg":"vg_raid","name":"lv_files","size":"24M"}' >/dev/null
rpc lv.create '{"vg":"vg_bulk","name":"lv_rushes","size":"32M"}' >/dev/null
stop_daemon
map=$("$VGRESCUE" map --json vg_raid/lv_files "$D/img/sda5.img")
offset=$(json_get "$map" 'j["segments"][0]["pieces"][0]["offset_bytes"] if "segments" in j else j["pieces"][0]["offset_bytes"]' 2>/dev/null ||
	python3 -c 'import json,sys
j=json.loads(sys.argv[1])
def find(o):
    if isinstance(o, dict):
        if "offset_bytes" in o: return o["offset_bytes"]
        for v in o.values():
            r = find(v)
            if r is not None: return r
    if isinstance(o, list):
        for v in o:
            r = find(v)
            if r is not None: return r
print(find(j))' "$map")
[ -n "$offset" ] && [ "$offset" != None ] || fail "vgrescue map gave no offset: $map"

cat >"$WORK/guest.sh" <<EOG
set -e
/usr/sbin/mdadm --assemble --scan --homehost=any --run
grep -q 'active raid1 .*vd' /proc/mdstat && echo "VMTEST md assembled: \$(grep ^md /proc/mdstat)"
/usr/sbin/lvm vgchange -ay vg_raid vg_bulk
[ -b /dev/mapper/vg_raid-lv_files ] && [ -b /dev/mapper/vg_bulk-lv_rushes ]
echo "VMTEST lvm activated: \$(ls /dev/mapper | tr '\n' ' ')"
/usr/sbin/mkfs.ext4 -q -F /dev/mapper/vg_raid-lv_files
mount -t ext4 /dev/mapper/vg_raid-lv_files /mnt
echo "the seed's files" >/mnt/hello.txt
dd if=/dev/urandom of=/mnt/random.bin bs=64k count=64 2>/dev/null
(cd /mnt && /usr/sbin/sha256sum hello.txt random.bin) >/tmp/sums
umount /mnt
/usr/sbin/lvm vgchange -an vg_raid vg_bulk
/usr/sbin/mdadm --stop --scan
echo "VMTEST stopped md and dm"
loop=\$(/usr/sbin/losetup --find --show --read-only --offset $offset --sizelimit $((24 << 20)) /dev/vda)
mount -t ext4 -o ro,noload "\$loop" /mnt
(cd /mnt && /usr/sbin/sha256sum -c /tmp/sums)
echo "VMTEST rescue from one leg: checksums match"
umount /mnt
EOG
vm_run "$WORK/console.log" "$WORK/guest.sh" "$D/img/sda5.img" "$D/img/sdc5.img" "$D/img/sdb.img" ||
	{ cat "$WORK/console.log"; fail "the VM test failed"; }
grep VMTEST "$WORK/console.log"
mdadm --examine "$D/img/sda5.img" | grep -q 'Checksum : .* - correct' || fail "the leg's superblock after real md use"
echo "stock mdadm and lvm2 on a real kernel run our layout, and one leg alone gives the data back"
