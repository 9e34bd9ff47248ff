# SPDX-License-Identifier: LGPL-2.1-or-later
# The QEMU harness of tests/vm: Debian's own kernel (linux-image-amd64,
# taken with apt-get download and unpacked, no update-initramfs), a small
# initramfs made here (busybox-static, mdadm, lvm2, e2fsprogs, util-linux,
# qemu-img and qemu-io (a hypervisor's block layer), and our binaries with
# their shared libraries, and the modules
# virtio_pci virtio_blk md-mod raid1 dm-mod dm-mirror (pv moves) ext4 loop with what modprobe
# --show-depends says they need), virtio disks backed by image files.
# Busybox's shell prefers its own applets, so guest scripts call the real
# tools by full path (/usr/sbin/losetup, /usr/sbin/mdadm, ...).
# The guest runs one script and powers off; everything it prints comes back
# through the serial console.
#
#   vm_prepare                 fetch the kernel and build the initramfs (cached)
#   vm_run OUT SCRIPT IMG...   boot, run SCRIPT as /test.sh with IMG... as /dev/vda, vdb, ...
#
# systemd-udevd with device-mapper's and lvm2's rules is there too, for the
# tests that start it (the others run with DM_DISABLE_UDEV=1).
#
# Needs: qemu-system-x86_64, qemu-utils, busybox-static, cpio, kmod, udev, apt-get (scripts/install-deps.sh --vm).
VM_CACHE="${VG_VM_CACHE:-$top_builddir/tests/vm/cache}"
VM_MODULES="virtio_pci virtio_blk md-mod raid1 dm-mod dm-mirror dm-region-hash dm-log ext4 loop"

vm_prepare() {
	local root="$VM_CACHE/kernel" kver
	mkdir -p "$VM_CACHE"
	if [ ! -f "$VM_CACHE/vmlinuz" ]; then
		local pkg
		rm -rf "$root" && mkdir -p "$root"
		pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n 1)
		[ -n "$pkg" ] || { echo "cannot find Debian's kernel package (apt-get update first)"; return 1; }
		(cd "$VM_CACHE" && apt-get download "$pkg" >/dev/null 2>&1) || { echo "apt-get download $pkg failed"; return 1; }
		dpkg-deb -x "$VM_CACHE/$pkg"_*.deb "$root"
		kver=$(ls "$root/lib/modules")
		depmod -b "$root" "$kver"
		cp "$root/boot/vmlinuz-$kver" "$VM_CACHE/vmlinuz"
		echo "$kver" >"$VM_CACHE/kver"
		rm -f "$VM_CACHE/$pkg"_*.deb
	fi
	vm_build_initramfs
}

vm_copy_binary() { # BIN DESTROOT: the binary (into /usr/sbin) and its shared libraries
	local bin=$1 dest=$2 lib
	mkdir -p "$dest/usr/sbin"
	cp -L "$bin" "$dest/usr/sbin/"
	for lib in $(ldd "$bin" 2>/dev/null | grep -o '/[^ ]*'); do
		mkdir -p "$dest$(dirname "$lib")"
		cp -L "$lib" "$dest$lib"
	done
}

vm_build_initramfs() {
	local root="$VM_CACHE/kernel" kver initrd="$VM_CACHE/initrd.cpio.gz" stamp="$VM_CACHE/initrd.stamp"
	local tree="$VM_CACHE/initramfs" m ko bin
	kver=$(cat "$VM_CACHE/kver")
	# rebuilt when our binaries change
	local want
	want=$(cat "$top_builddir/daemon/vgtoold" "$top_builddir/cli/vgtool" "$top_builddir/metadata-tools/vgrescue" \
		"$top_srcdir/tests/vm/vm-lib.sh" "$top_builddir/tests/tools/kernel-tool" 2>/dev/null | sha256sum | cut -c1-16)
	[ -f "$initrd" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return 0
	rm -rf "$tree"
	mkdir -p "$tree"/{bin,sbin,etc,proc,sys,dev,tmp,mnt,run,lib/modules,etc/lvm}
	cp /bin/busybox "$tree/bin/busybox"
	for bin in /usr/sbin/mdadm /usr/sbin/lvm /usr/sbin/dmsetup /usr/sbin/mkfs.ext4 /usr/sbin/losetup /usr/sbin/e2fsck \
		/usr/sbin/resize2fs /usr/bin/sha256sum /usr/bin/qemu-img /usr/bin/qemu-io /bin/bash \
		"$top_builddir/daemon/vgtoold" "$top_builddir/cli/vgtool" "$top_builddir/metadata-tools/vgrescue" \
		"$top_builddir/tests/tools/kernel-tool"; do
		[ -x "$bin" ] && vm_copy_binary "$bin" "$tree"
	done
	# udev with device-mapper's and lvm2's rules, for the tests that start it (most run without)
	if [ -x /lib/systemd/systemd-udevd ]; then
		vm_copy_binary /lib/systemd/systemd-udevd "$tree"
		vm_copy_binary /bin/udevadm "$tree"
		mkdir -p "$tree/lib/udev/rules.d" "$tree/etc/udev"
		for m in 55-dm.rules 56-lvm.rules 60-persistent-storage-dm.rules 95-dm-notify.rules; do
			[ -f "/lib/udev/rules.d/$m" ] && cp "/lib/udev/rules.d/$m" "$tree/lib/udev/rules.d/"
		done
		ln -sf /usr/sbin/dmsetup "$tree/sbin/dmsetup"
	fi
	mkdir -p "$tree/lib/modules/$kver"
	: >"$tree/modules.list"
	for m in $VM_MODULES; do
		for ko in $(modprobe --show-depends -d "$root" -S "$kver" "$m" | awk '$1 == "insmod" { print $2 }'); do
			grep -qx "$(basename "$ko")" "$tree/modules.list" 2>/dev/null && continue
			cp "$ko" "$tree/lib/modules/"
			basename "$ko" >>"$tree/modules.list"
		done
	done
	cat >"$tree/etc/lvm/lvm.conf" <<'EOC'
devices { obtain_device_list_from_udev = 0 external_device_info_source = "none" use_devicesfile = 0
	  write_cache_state = 0 hints = "none" md_component_detection = 1 }
global { use_lvmlockd = 0 event_activation = 0 }
activation { udev_sync = 0 udev_rules = 0 monitoring = 0 verify_udev_operations = 1 }
backup { backup = 0 archive = 0 }
EOC
	cat >"$tree/init" <<'EOC'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/usr/sbin:/bin:/sbin DM_DISABLE_UDEV=1
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mkdir -p /run/lvm /run/lock/lvm
for m in $(cat /modules.list); do insmod /lib/modules/$m 2>/dev/null; done
mdev -s 2>/dev/null
echo "VMTEST BOOTED"
if sh /test.sh; then echo "VMTEST RESULT PASS"; else echo "VMTEST RESULT FAIL $?"; fi
sync
poweroff -f
EOC
	chmod +x "$tree/init"
	(cd "$tree" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$initrd.new"
	mv "$initrd.new" "$initrd"
	echo "$want" >"$stamp"
}

# vm_require [CMD...]: skip the test unless QEMU, the initramfs tools, busybox,
# each CMD and a kernel for the VM are there (vm_prepare makes the image).
vm_require() {
	require_cmd qemu-system-x86_64 cpio depmod "$@"
	[ -x /bin/busybox ] || skip "busybox-static is not installed"
	vm_prepare || skip "no kernel for the VM: $(tail -1 "$VM_CACHE/prepare.log" 2>/dev/null)"
}

# vm_guest_vgtoold FILTER: guest shell text that configures vgtoold with
# activation = "kernel" and a devices/filter accepting FILTER (a regular
# expression), and defines V (vgtool), start_daemon (waits for its first
# answer) and stop_daemon (SIGTERM, its exit status checked). The guest
# script defines die.
vm_guest_vgtoold() {
	cat <<EOF
V=/usr/sbin/vgtool
mkdir -p /etc/vgtool /var/lib/vgtool /run/vgtool
cat >/etc/vgtool/vgtoold.conf <<'EOC'
daemon { socket = "/run/vgtool/vgtoold.sock" state_dir = "/var/lib/vgtool" activation = "kernel" }
devices { scan = [ "/dev" ] filter = [ "a|$1|", "r|.*|" ] }
EOC
start_daemon() {
	/usr/sbin/vgtoold --config /etc/vgtool/vgtoold.conf --foreground 2>>/tmp/vgtoold.log &
	VGTOOLD=\$!
	for i in \$(seq 100); do [ -S /run/vgtool/vgtoold.sock ] && \$V host status >/dev/null 2>&1 && return 0; sleep 0.2; done
	die "vgtoold did not start"
}
stop_daemon() { kill -TERM \$VGTOOLD; wait \$VGTOOLD || die "vgtoold exited with \$?"; }
EOF
}

vm_run() { # OUT SCRIPT IMG...
	local out=$1 script=$2 initrd="$VM_CACHE/initrd.cpio.gz" work drives=() img
	shift 2
	work=$(mktemp -d)
	# the test script rides in a second initramfs appended to the first
	mkdir -p "$work/add"
	cp "$script" "$work/add/test.sh"
	(cd "$work/add" && echo test.sh | cpio -o -H newc 2>/dev/null | gzip -1) >"$work/add.cpio.gz"
	cat "$initrd" "$work/add.cpio.gz" >"$work/initrd"
	for img in "$@"; do
		drives+=(-drive "file=$img,if=virtio,format=raw,cache=unsafe")
	done
	timeout 600 qemu-system-x86_64 -machine pc -m 1024 -smp 2 -nographic -no-reboot \
		-kernel "$VM_CACHE/vmlinuz" -initrd "$work/initrd" \
		-append "console=ttyS0 panic=-1 quiet loglevel=3" \
		"${drives[@]}" </dev/null >"$out" 2>&1 || true
	rm -rf "$work"
	grep -q "VMTEST RESULT PASS" "$out"
}
