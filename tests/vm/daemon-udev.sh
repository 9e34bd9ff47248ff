#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vgtoold's kernel backend with udev running, in a QEMU VM on Debian's
# kernel: systemd-udevd with device-mapper's and lvm2's own rules, so
# libdevmapper synchronises through cookies and udev makes the nodes and
# the /dev/VG/LV links (the other VM tests run without udev, libdevmapper
# making the nodes). A mirror and LVs are created, resized, renamed and
# removed through vgtool; after each step the nodes and links are what
# lvm2's rules make, udev's database knows the LV by lvm2's names, and no
# cookie is left waiting.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/vm/vm-lib.sh"
[ -x /lib/systemd/systemd-udevd ] || skip "udev is not installed"
vm_require

make_image "$WORK/a.img" 64M
make_image "$WORK/b.img" 64M
cat >"$WORK/guest.sh" <<'EOG'
set -e
say() { echo "VMTEST $*"; }
die() { echo "VMTEST FAILED: $*"; ls -l /dev/mapper /dev/vg_u 2>&1; tail -20 /tmp/vgtoold.log; exit 1; }
V=/usr/sbin/vgtool
mkdir -p /run/udev /etc/vgtool /var/lib/vgtool /run/vgtool
/usr/sbin/systemd-udevd --daemon 2>/tmp/udevd.log || die "udevd: $(cat /tmp/udevd.log)"
unset DM_DISABLE_UDEV
/usr/sbin/udevadm trigger --action=add --subsystem-match=block
/usr/sbin/udevadm settle
[ -e /run/udev/control ] || die "udevd is not running"
cat >/etc/vgtool/vgtoold.conf <<EOC
daemon { socket = "/run/vgtool/vgtoold.sock" state_dir = "/var/lib/vgtool" activation = "kernel" }
devices { scan = [ "/dev" ] filter = [ "a|^/dev/vd[ab]\$|", "r|.*|" ] }
EOC
/usr/sbin/vgtoold --config /etc/vgtool/vgtoold.conf --foreground 2>>/tmp/vgtoold.log &
pid=$!
for i in $(seq 100); do $V host status >/dev/null 2>&1 && break; sleep 0.2; done
no_cookies() { [ -z "$(/usr/sbin/dmsetup udevcookies 2>/dev/null | sed 1d)" ] || die "cookies left: $(/usr/sbin/dmsetup udevcookies)"; }
link_by_udev() { # LINK DMNAME: the link exists and udev's database lists it for the device
	[ -b "$1" ] || die "no $1"
	/usr/sbin/udevadm info --query=symlink --name="/dev/mapper/$2" | tr ' ' '\n' | grep -qx "${1#/dev/}" ||
		die "udev does not list $1 for $2: $(/usr/sbin/udevadm info --query=symlink --name=/dev/mapper/$2)"
}

$V mirror create md0 /dev/vda /dev/vdb --assume-clean >/dev/null || die "mirror create"
# small extents: room for the many LVs activated side by side below
$V vg create vg_u md0 --extent-size 256K >/dev/null || die "vg create"
$V lv create vg_u/lv1 --size 16M >/dev/null || die "lv create"
/usr/sbin/udevadm settle
link_by_udev /dev/vg_u/lv1 vg_u-lv1
/usr/sbin/udevadm info --query=property --name=/dev/mapper/vg_u-lv1 >/tmp/props
grep -qx 'DM_VG_NAME=vg_u' /tmp/props && grep -qx 'DM_LV_NAME=lv1' /tmp/props && grep -q '^DM_UUID=LVM-' /tmp/props ||
	die "udev properties: $(cat /tmp/props)"
no_cookies
say "lv create: udev made /dev/vg_u/lv1 with lvm2's rules (DM_VG_NAME, DM_LV_NAME, DM_UUID=LVM-...)"
$V lv create vg_u/lv_b --size 8M >/dev/null || die "lv create lv_b"
# 66 more, so that vg activate and deactivate spread the LVs over worker processes (32 or more each)
for i in $(seq 66); do $V lv create vg_u/lv_m$i --size 256K >/dev/null || die "lv create lv_m$i"; done
$V vg deactivate vg_u >/dev/null || die "vg deactivate"
/usr/sbin/udevadm settle
[ -z "$(ls /dev/mapper | grep '^vg_u-')" ] && [ ! -e /dev/vg_u/lv1 ] || die "vg deactivate left: $(ls /dev/mapper)"
$V --json vg activate vg_u >/tmp/act || die "vg activate"
grep -q '"active_lvs": *68' /tmp/act || die "vg activate: $(cat /tmp/act)"
/usr/sbin/udevadm settle
link_by_udev /dev/vg_u/lv1 vg_u-lv1
link_by_udev /dev/vg_u/lv_b vg_u-lv_b
for i in $(seq 66); do link_by_udev /dev/vg_u/lv_m$i vg_u-lv_m$i; done
[ "$(/usr/sbin/dmsetup table | grep -c '^vg_u-')" = 68 ] || die "device-mapper has: $(/usr/sbin/dmsetup table)"
no_cookies
$V vg deactivate vg_u >/dev/null || die "vg deactivate (68 LVs)"
/usr/sbin/udevadm settle
[ -z "$(ls /dev/mapper | grep '^vg_u-')" ] && [ -z "$(ls /dev/vg_u 2>/dev/null)" ] || die "vg deactivate left: $(ls /dev/mapper /dev/vg_u)"
no_cookies
# a restart activates every LV of the VG, spread over workers the same way
kill -TERM $pid; wait $pid
/usr/sbin/vgtoold --config /etc/vgtool/vgtoold.conf --foreground 2>>/tmp/vgtoold.log &
pid=$!
for i in $(seq 100); do $V host status >/dev/null 2>&1 && break; sleep 0.2; done
/usr/sbin/udevadm settle
[ "$(/usr/sbin/dmsetup table | grep -c '^vg_u-')" = 68 ] || die "after a restart device-mapper has: $(/usr/sbin/dmsetup table)"
for i in $(seq 66); do link_by_udev /dev/vg_u/lv_m$i vg_u-lv_m$i; done
no_cookies
$V vg deactivate vg_u >/dev/null || die "vg deactivate after the restart"
for i in $(seq 66); do $V lv remove vg_u/lv_m$i >/dev/null || die "lv remove lv_m$i"; done
$V --json vg activate vg_u >/tmp/act || die "vg activate (2 LVs)"
grep -q '"active_lvs": *2' /tmp/act || die "vg activate: $(cat /tmp/act)"
/usr/sbin/udevadm settle
link_by_udev /dev/vg_u/lv1 vg_u-lv1
link_by_udev /dev/vg_u/lv_b vg_u-lv_b
no_cookies
say "vg deactivate and activate of 68 LVs (two worker processes), their activation at a restart, and of 2: nodes and links by udev, no cookie left"
$V lv extend vg_u/lv1 --size +8M >/dev/null || die "lv extend"
[ "$(blockdev --getsize64 /dev/vg_u/lv1)" = 25165824 ] || die "size after extend: $(blockdev --getsize64 /dev/vg_u/lv1)"
$V lv rename vg_u/lv1 lv2 >/dev/null || die "lv rename"
/usr/sbin/udevadm settle
link_by_udev /dev/vg_u/lv2 vg_u-lv2
[ ! -e /dev/vg_u/lv1 ] && [ ! -e /dev/mapper/vg_u-lv1 ] || die "lv1's node or link left after the rename"
no_cookies
$V lv remove vg_u/lv2 >/dev/null || die "lv remove"
/usr/sbin/udevadm settle
[ ! -e /dev/vg_u/lv2 ] && [ ! -e /dev/mapper/vg_u-lv2 ] || die "lv2's node or link left after the remove"
no_cookies
say "lv extend, rename and remove with udev: nodes and links follow, no cookie left"
kill -TERM $pid; wait $pid
EOG
vm_run "$WORK/vm.out" "$WORK/guest.sh" "$WORK/a.img" "$WORK/b.img" || {
	grep -a VMTEST "$WORK/vm.out" || true
	tail -30 "$WORK/vm.out"
	fail "the udev VM test failed"
}
grep -a '^VMTEST' "$WORK/vm.out"
