#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vgrescue restore --write given one leg of a mirror, judged by the md
# driver itself in a QEMU VM on Debian's kernel: a mirror md0 with an
# internal bitmap and a VG on it, written by vgtoold (none backend); an
# older VG version restored onto leg a alone, so leg b's data area keeps
# the newer metadata. Stock mdadm then assembles md0 from both legs with
# a alone ([2/1] [U_]); b added back is rebuilt in full, so afterwards the
# legs' data areas are identical, and lvm2 on md0 reads the restored version.
# A bitmap-based re-add of b is refused: the bitmap does not know what was
# written outside md.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/vm/vm-lib.sh"
vm_require python3 mdadm cmp

D="$WORK/d"
mkdir -p "$D/img"
make_image "$D/img/a.img" 64M
make_image "$D/img/b.img" 64M
make_image "$D/img/other.img" 16M
A="$D/img/a.img" B="$D/img/b.img" O="$D/img/other.img"
start_daemon "$D"
rpc mirror.create '{"name":"md0","legs":["'"$A"'","'"$B"'"],"bitmap":true,"assume_clean":true}' >/dev/null
rpc vg.create '{"name":"vg_one","pvs":["md0","'"$O"'"]}' >/dev/null
rpc lv.create '{"vg":"vg_one","name":"lv_a","size":"8M","pvs":["md0"]}' >/dev/null
rpc lv.create '{"vg":"vg_one","name":"lv_b","size":"8M","pvs":["md0"]}' >/dev/null
old=$(json_get "$(rpc vg.show '{"name":"vg_one"}')" 'j["vg"]["seqno"]')
rpc lv.remove '{"vg":"vg_one","name":"lv_b"}' >/dev/null
rpc lv.create '{"vg":"vg_one","name":"lv_c","size":"8M","pvs":["md0"]}' >/dev/null
size=$(json_get "$(rpc mirror.show '{"name":"md0"}')" 'j["mirror"]["size_bytes"]')
stop_daemon

"$VGRESCUE" restore --json vg_one --from "$old" --write "$A" "$O" >"$WORK/r.json" || fail "restore to leg a"
new=$(json_get "$(cat "$WORK/r.json")" 'j["new_seqno"]')
assert_eq "True" "$(json_get "$(cat "$WORK/r.json")" 'j["mirrors"][0]["marked"]')" "restore: md0 marked"
! cmp -s -n "$size" "$A" "$B" || fail "the legs' data areas should differ after a restore to a alone"

sed -e "s/@SIZE@/$size/" -e "s/@NEW@/$new/" >"$WORK/guest.sh" <<'EOG'
M=/usr/sbin/mdadm
say() { echo "VMTEST $*"; }
die() { echo "VMTEST FAILED: $*"; cat /proc/mdstat; dmesg | tail -20; exit 1; }
data_sum() { head -c @SIZE@ "$1" | /usr/bin/sha256sum | cut -d' ' -f1; }

# stock mdadm with both legs: a alone is taken, b is out of date
$M --assemble /dev/md0 /dev/vda /dev/vdb --run >/tmp/out 2>&1 || die "assemble: $(cat /tmp/out)"
grep -A1 '^md0' /proc/mdstat | grep -q '\[2/1\] \[U_\]' || die "md0 not [2/1] [U_]"
grep '^md0' /proc/mdstat | grep -q 'vda\[0\]' || die "vda not in md0"
grep '^md0' /proc/mdstat | grep -q 'vdb' && die "vdb assembled although out of date"
say "assembled: $(grep '^md0' /proc/mdstat); mdadm said: $(tr '\n' ' ' </tmp/out)"
# lvm2 on md0 reads the restored version
s=$(/usr/sbin/lvm vgs --noheadings -o vg_seqno vg_one 2>/dev/null | tr -d ' ')
[ "$s" = @NEW@ ] || die "lvm2 on md0: seqno $s, expected @NEW@"
l=$(/usr/sbin/lvm lvs --noheadings -o lv_name vg_one 2>/dev/null | tr -d ' ' | sort | tr '\n' ' ')
[ "$l" = "lv_a lv_b " ] || die "lvm2 on md0: LVs '$l'"
say "lvm2 on md0: seqno $s, LVs $l"

# b back in: the bitmap's events cleared is past b's events, so the bitmap
# (which knows nothing of what vgrescue wrote) cannot serve a re-add
$M /dev/md0 --re-add /dev/vdb >/tmp/out 2>&1 && die "re-add of vdb accepted: $(cat /tmp/out)"
grep -q 're-add for /dev/vdb to /dev/md0 is not possible' /tmp/out || die "re-add: $(cat /tmp/out)"
$M /dev/md0 --add /dev/vdb >/tmp/out 2>&1 || die "add: $(cat /tmp/out)"
say "re-add refused, added: $(tr '\n' ' ' </tmp/out)"
$M --wait /dev/md0 >/dev/null 2>&1
grep -A1 '^md0' /proc/mdstat | grep -q '\[2/2\] \[UU\]' || die "md0 not [UU] after the rebuild"
say "rebuilt: $(dmesg | grep -o 'md: recovery of RAID array md0' | head -1)"
$M --stop /dev/md0 >/dev/null 2>&1 || die "stop"
[ "$(data_sum /dev/vda)" = "$(data_sum /dev/vdb)" ] || die "the legs' data areas differ after the rebuild"
say "data areas identical after the rebuild"
EOG
vm_run "$WORK/console.log" "$WORK/guest.sh" "$A" "$B" ||
	{ cat "$WORK/console.log"; fail "the VM test failed"; }
grep VMTEST "$WORK/console.log"
cmp -n "$size" "$A" "$B" || fail "the legs' data areas differ on the host"
echo "md assembles a mirror restored onto one leg from that leg and rebuilds the other in full"
