#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# QEMU on a vgtool LV without libvirt: qemu-vm1.sh LV_PATH [QEMU ARGS...]
# LV_PATH is the "path" lv.create returned (/dev/VG/LV). The LV is opened as a
# host block device with O_DIRECT (cache.direct=on), as a VM opens its disk;
# QEMU=... chooses another QEMU binary.
set -eu
lv_path=${1:?usage: qemu-vm1.sh LV_PATH [QEMU ARGS...]}
shift
[ -b "$lv_path" ] || { echo "qemu-vm1.sh: $lv_path is not a block device (is the LV active?)" >&2; exit 1; }

exec "${QEMU:-qemu-system-x86_64}" \
	-machine q35,accel=kvm:tcg -m 1024 -nographic \
	-blockdev "driver=host_device,node-name=disk0,filename=$lv_path,cache.direct=on,aio=native" \
	-device virtio-blk-pci,drive=disk0 \
	"$@"
# The older spelling of the same disk:
#   -drive file=$lv_path,format=raw,if=virtio,cache=none,aio=native
