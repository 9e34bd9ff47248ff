# mdraid/: libvgmd — md superblocks, mirror plans, the kernel door. Needs common/ only.
noinst_LIBRARIES += mdraid/libvgmd.a
CPPFLAGS_MDRAID = $(AM_CPPFLAGS) -I$(srcdir)/common -I$(srcdir)/mdraid
mdraid_libvgmd_a_CPPFLAGS = $(CPPFLAGS_MDRAID)
mdraid_libvgmd_a_SOURCES = \
	mdraid/md-super.c mdraid/md-super.h \
	mdraid/md-bitmap.c mdraid/md-bitmap.h \
	mdraid/md-mirror.c mdraid/md-mirror.h \
	mdraid/md-mirror-dev.c \
	mdraid/md-scrub.c mdraid/md-scrub.h

LIBS_MDRAID = mdraid/libvgmd.a common/libvgcommon.a

check_PROGRAMS += tests/unit/test-md-super
TESTS += tests/unit/test-md-super
tests_unit_test_md_super_SOURCES = tests/unit/test-md-super.c
tests_unit_test_md_super_CPPFLAGS = $(CPPFLAGS_MDRAID)
tests_unit_test_md_super_CFLAGS = $(CFLAGS_UNIT)
tests_unit_test_md_super_LDADD = $(LIBS_MDRAID) $(LIBS_UNIT)

check_PROGRAMS += tests/unit/test-md-bitmap
TESTS += tests/unit/test-md-bitmap
tests_unit_test_md_bitmap_SOURCES = tests/unit/test-md-bitmap.c
tests_unit_test_md_bitmap_CPPFLAGS = $(CPPFLAGS_MDRAID)
tests_unit_test_md_bitmap_CFLAGS = $(CFLAGS_UNIT)
tests_unit_test_md_bitmap_LDADD = $(LIBS_MDRAID) $(LIBS_UNIT)

check_PROGRAMS += tests/unit/test-md-mirror
TESTS += tests/unit/test-md-mirror
tests_unit_test_md_mirror_SOURCES = tests/unit/test-md-mirror.c
tests_unit_test_md_mirror_CPPFLAGS = $(CPPFLAGS_MDRAID)
tests_unit_test_md_mirror_CFLAGS = $(CFLAGS_UNIT)
tests_unit_test_md_mirror_LDADD = $(LIBS_MDRAID) $(LIBS_UNIT)

check_PROGRAMS += tests/fuzz/fuzz-md-super
FUZZ_TESTS += tests/fuzz/md-super.fuzz
tests_fuzz_fuzz_md_super_SOURCES = tests/fuzz/fuzz-md-super.c $(FUZZ_DRIVER)
tests_fuzz_fuzz_md_super_CPPFLAGS = $(CPPFLAGS_MDRAID)
tests_fuzz_fuzz_md_super_CFLAGS = $(AM_CFLAGS)
tests_fuzz_fuzz_md_super_LDADD = $(LIBS_MDRAID)
tests_fuzz_fuzz_md_super_LDFLAGS = $(LDFLAGS_FUZZ)

# Writes md 1.0 legs for the mdadm cross-checks of tests/integration.
check_PROGRAMS += tests/tools/md-write-leg
tests_tools_md_write_leg_SOURCES = tests/tools/md-write-leg.c
tests_tools_md_write_leg_CPPFLAGS = $(CPPFLAGS_MDRAID)
tests_tools_md_write_leg_CFLAGS = $(AM_CFLAGS)
tests_tools_md_write_leg_LDADD = $(LIBS_MDRAID)

TESTS += tests/integration/md-examine.sh
EXTRA_DIST += tests/integration/md-examine.sh

# Creates and changes whole mirrors for the mdadm cross-checks of tests/integration/md-mirror.sh.
check_PROGRAMS += tests/tools/md-mirror-tool
tests_tools_md_mirror_tool_SOURCES = tests/tools/md-mirror-tool.c
tests_tools_md_mirror_tool_CPPFLAGS = $(CPPFLAGS_MDRAID)
tests_tools_md_mirror_tool_CFLAGS = $(AM_CFLAGS)
tests_tools_md_mirror_tool_LDADD = $(LIBS_MDRAID)

TESTS += tests/integration/md-mirror.sh
EXTRA_DIST += tests/integration/md-mirror.sh

# The md kernel door (ioctls and sysfs), exercised for real by tests/vm/kernel-backend.sh.
mdraid_libvgmd_a_SOURCES += mdraid/md-kernel.c mdraid/md-kernel.h
