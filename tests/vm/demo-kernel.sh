#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# scripts/demo-kernel.sh — the README demo's seed layout on md and
# device-mapper over loop devices — run for real inside a QEMU VM on
# Debian's kernel (this host's kernel may have neither), its image files on
# an ext4 scratch disk. The demo checks its own results (set -e, checksums
# of the files read back from one leg); this test also checks what it
# printed, which scripts/demo.sh shows.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/vm/vm-lib.sh"
vm_require

make_image "$WORK/scratch.img" 1G
{
	echo "cat >/tmp/demo-kernel.sh <<'EODEMO'"
	cat "$top_srcdir/scripts/demo-kernel.sh"
	echo 'EODEMO'
	cat <<'EOG'
/usr/sbin/mkfs.ext4 -q -F /dev/vda && mkdir -p /work && mount -t ext4 /dev/vda /work || exit 1
st=0
/usr/sbin/bash /tmp/demo-kernel.sh /usr/sbin /work/demo >/tmp/demo.out 2>&1 || st=$?
sed 's/^/DEMO| /' /tmp/demo.out
exit $st
EOG
} >"$WORK/guest.sh"
ok=yes
vm_run "$WORK/vm.out" "$WORK/guest.sh" "$WORK/scratch.img" || ok=no
grep -a '^DEMO| ' "$WORK/vm.out" | sed 's/^DEMO| //' | tr -d '\r' >"$WORK/demo.out" || true
cat "$WORK/demo.out"
[ $ok = yes ] || { tail -20 "$WORK/vm.out"; fail "the demo failed in the VM"; }
grep -Eq '^md0 : active raid1 ' "$WORK/demo.out" || fail "no md0 in the demo's /proc/mdstat"
[ "$(grep -c ': OK$' "$WORK/demo.out")" = 4 ] || fail "the files read back from one leg were not all checked"
grep -q 'linear 9:2 ' "$WORK/demo.out" || fail "lv_rushes did not grow onto md2"
grep -q '== done: the layout ran on md and device-mapper' "$WORK/demo.out" || fail "the demo did not finish"
