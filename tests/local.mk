# tests/: shared helpers of the shell suites. Unit tests are listed by the
# library they test (common/local.mk, mdraid/local.mk, lvm/local.mk).
EXTRA_DIST += tests/integration/lib.sh tests/integration/compare-lvm.py

# The example files of docs/toolstacks.md, checked for real.
TESTS += tests/integration/toolstack-docs.sh
EXTRA_DIST += tests/integration/toolstack-docs.sh tests/integration/check-xl-cfg.py

EXTRA_DIST += tests/fuzz/run-fuzz.sh tests/fuzz/replay-driver.c tests/fuzz/corpus $(FUZZ_TESTS)
TESTS += $(FUZZ_TESTS)

# Only the fuzz harnesses, e.g. in the libFuzzer build: make check-fuzz
check-fuzz:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(FUZZ_TESTS)'
.PHONY: check-fuzz

# tests/vm: QEMU on Debian's kernel, md and device-mapper for real. Not part of
# `make check` (they download the kernel and boot a VM); `make check-vm` runs them.
VM_TESTS = tests/vm/stock-tools.sh tests/vm/kernel-backend.sh tests/vm/daemon-kernel.sh tests/vm/daemon-udev.sh tests/vm/demo-kernel.sh \
	tests/vm/rescue-one-leg.sh tests/vm/pv-move.sh tests/vm/pv-move-failure.sh tests/vm/capacity.sh
EXTRA_DIST += tests/vm/vm-lib.sh $(VM_TESTS)
check-vm: all
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(VM_TESTS)'
.PHONY: check-vm
