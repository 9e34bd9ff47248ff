#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Install everything vgtool needs to build and test on Debian 12, as root.
# Idempotent: installs only what is missing, so repeated runs are quick.
set -euo pipefail

packages=(
	build-essential autoconf automake libtool pkgconf
	libdevmapper-dev libblkid-dev libudev-dev libjson-c-dev libcmocka-dev
	clang libclang-rt-14-dev
	lvm2 mdadm util-linux e2fsprogs python3 socat
	libvirt-clients qemu-utils
)
if [ "${1:-}" = --vm ]; then
	# the QEMU harness of tests/vm
	packages+=(qemu-system-x86 qemu-utils busybox-static kmod cpio fdisk udev)
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "install-deps: these Debian packages are missing: ${missing[*]}; run as root" >&2
		exit 1
	fi
	echo "install-deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
