# lvm/: libvglvm — PV labels, metadata areas, text metadata, the VG model. Needs common/ only.
noinst_LIBRARIES += lvm/libvglvm.a
CPPFLAGS_LVM = $(AM_CPPFLAGS) -I$(srcdir)/common -I$(srcdir)/lvm
lvm_libvglvm_a_CPPFLAGS = $(CPPFLAGS_LVM)
lvm_libvglvm_a_SOURCES = \
	lvm/pv-label.c lvm/pv-label.h \
	lvm/mda.c lvm/mda.h \
	lvm/vg.c lvm/vg.h \
	lvm/vg-text.c lvm/vg-text.h \
	lvm/vg-scan.c lvm/vg-scan.h \
	lvm/vg-write.c lvm/vg-write.h \
	lvm/alloc.c lvm/alloc.h \
	lvm/vg-ops.c lvm/vg-ops.h \
	lvm/vg-backup.c lvm/vg-backup.h \
	lvm/vg-store.c lvm/vg-store.h \
	lvm/pv-move.c lvm/pv-move.h

LIBS_LVM = lvm/libvglvm.a common/libvgcommon.a

LVM_UNIT_TESTS = \
	tests/unit/test-pv-label \
	tests/unit/test-mda \
	tests/unit/test-vg \
	tests/unit/test-vg-text \
	tests/unit/test-vg-ops \
	tests/unit/test-vg-commit \
	tests/unit/test-pv-move
check_PROGRAMS += $(LVM_UNIT_TESTS)
TESTS += $(LVM_UNIT_TESTS)

tests_unit_test_pv_label_SOURCES = tests/unit/test-pv-label.c
tests_unit_test_pv_label_CPPFLAGS = $(CPPFLAGS_LVM)
tests_unit_test_pv_label_CFLAGS = $(CFLAGS_UNIT)
tests_unit_test_pv_label_LDADD = $(LIBS_LVM) $(LIBS_UNIT)

tests_unit_test_mda_SOURCES = tests/unit/test-mda.c
tests_unit_test_mda_CPPFLAGS = $(CPPFLAGS_LVM)
tests_unit_test_mda_CFLAGS = $(CFLAGS_UNIT)
tests_unit_test_mda_LDADD = $(LIBS_LVM) $(LIBS_UNIT)

tests_unit_test_vg_SOURCES = tests/unit/test-vg.c
tests_unit_test_vg_CPPFLAGS = $(CPPFLAGS_LVM)
tests_unit_test_vg_CFLAGS = $(CFLAGS_UNIT)
tests_unit_test_vg_LDADD = $(LIBS_LVM) $(LIBS_UNIT)

tests_unit_test_vg_text_SOURCES = tests/unit/test-vg-text.c
tests_unit_test_vg_text_CPPFLAGS = $(CPPFLAGS_LVM)
tests_unit_test_vg_text_CFLAGS = $(CFLAGS_UNIT)
tests_unit_test_vg_text_LDADD = $(LIBS_LVM) $(LIBS_UNIT)

tests_unit_test_vg_ops_SOURCES = tests/unit/test-vg-ops.c
tests_unit_test_vg_ops_CPPFLAGS = $(CPPFLAGS_LVM)
tests_unit_test_vg_ops_CFLAGS = $(CFLAGS_UNIT)
tests_unit_test_vg_ops_LDADD = $(LIBS_LVM) $(LIBS_UNIT)

tests_unit_test_vg_commit_SOURCES = tests/unit/test-vg-commit.c
tests_unit_test_vg_commit_CPPFLAGS = $(CPPFLAGS_LVM)
tests_unit_test_vg_commit_CFLAGS = $(CFLAGS_UNIT)
tests_unit_test_vg_commit_LDADD = $(LIBS_LVM) $(LIBS_UNIT)

tests_unit_test_pv_move_SOURCES = tests/unit/test-pv-move.c
tests_unit_test_pv_move_CPPFLAGS = $(CPPFLAGS_LVM)
tests_unit_test_pv_move_CFLAGS = $(CFLAGS_UNIT)
tests_unit_test_pv_move_LDADD = $(LIBS_LVM) $(LIBS_UNIT)

check_PROGRAMS += tests/fuzz/fuzz-pv-label
FUZZ_TESTS += tests/fuzz/pv-label.fuzz
tests_fuzz_fuzz_pv_label_SOURCES = tests/fuzz/fuzz-pv-label.c $(FUZZ_DRIVER)
tests_fuzz_fuzz_pv_label_CPPFLAGS = $(CPPFLAGS_LVM)
tests_fuzz_fuzz_pv_label_CFLAGS = $(AM_CFLAGS)
tests_fuzz_fuzz_pv_label_LDADD = $(LIBS_LVM)
tests_fuzz_fuzz_pv_label_LDFLAGS = $(LDFLAGS_FUZZ)

check_PROGRAMS += tests/fuzz/fuzz-mda
FUZZ_TESTS += tests/fuzz/mda.fuzz
tests_fuzz_fuzz_mda_SOURCES = tests/fuzz/fuzz-mda.c $(FUZZ_DRIVER)
tests_fuzz_fuzz_mda_CPPFLAGS = $(CPPFLAGS_LVM)
tests_fuzz_fuzz_mda_CFLAGS = $(AM_CFLAGS)
tests_fuzz_fuzz_mda_LDADD = $(LIBS_LVM)
tests_fuzz_fuzz_mda_LDFLAGS = $(LDFLAGS_FUZZ)

check_PROGRAMS += tests/fuzz/fuzz-vg-text
FUZZ_TESTS += tests/fuzz/vg-text.fuzz
tests_fuzz_fuzz_vg_text_SOURCES = tests/fuzz/fuzz-vg-text.c $(FUZZ_DRIVER)
tests_fuzz_fuzz_vg_text_CPPFLAGS = $(CPPFLAGS_LVM)
tests_fuzz_fuzz_vg_text_CFLAGS = $(AM_CFLAGS)
tests_fuzz_fuzz_vg_text_LDADD = $(LIBS_LVM)
tests_fuzz_fuzz_vg_text_LDFLAGS = $(LDFLAGS_FUZZ)

# Writes a VG from a text file onto PVs, for the stock-lvm2 cross-checks.
check_PROGRAMS += tests/tools/lvm-write-vg
tests_tools_lvm_write_vg_SOURCES = tests/tools/lvm-write-vg.c
tests_tools_lvm_write_vg_CPPFLAGS = $(CPPFLAGS_LVM)
tests_tools_lvm_write_vg_CFLAGS = $(AM_CFLAGS)
tests_tools_lvm_write_vg_LDADD = $(LIBS_LVM)

LVM_INTEGRATION_TESTS = \
	tests/integration/lvm-reads-ours.sh \
	tests/integration/we-read-lvm.sh \
	tests/integration/crash-commit.sh
TESTS += $(LVM_INTEGRATION_TESTS)
EXTRA_DIST += $(LVM_INTEGRATION_TESTS)
EXTRA_DIST += tests/data

# Engine front end for the shell tests: one lvm-like command per run, or a seeded random walk.
check_PROGRAMS += tests/tools/vg-engine-tool
tests_tools_vg_engine_tool_SOURCES = tests/tools/vg-engine-tool.c
tests_tools_vg_engine_tool_CPPFLAGS = $(CPPFLAGS_LVM) $(JSONC_CFLAGS)
tests_tools_vg_engine_tool_CFLAGS = $(AM_CFLAGS)
tests_tools_vg_engine_tool_LDADD = $(LIBS_LVM) $(JSONC_LIBS)

# The pv move engine on image files: moves stopped as a crash would, resumed,
# aborted, refused, with stock lvm2 reading every checkpoint.
check_PROGRAMS += tests/tools/pv-move-tool
tests_tools_pv_move_tool_SOURCES = tests/tools/pv-move-tool.c
tests_tools_pv_move_tool_CPPFLAGS = $(CPPFLAGS_LVM)
tests_tools_pv_move_tool_CFLAGS = $(AM_CFLAGS)
tests_tools_pv_move_tool_LDADD = $(LIBS_LVM)
TESTS += tests/integration/pv-move.sh
EXTRA_DIST += tests/integration/pv-move.sh

# The engine's checks that need stock lvm2 as a judge (root, loop devices).
ENGINE_INTEGRATION_TESTS = \
	tests/integration/random-walk.sh \
	tests/integration/refusals.sh \
	tests/integration/partial-vg.sh
TESTS += $(ENGINE_INTEGRATION_TESTS)
EXTRA_DIST += $(ENGINE_INTEGRATION_TESTS)

# A VG bound to its devices (vg-store) and its text backups (vg-backup).
ENGINE_UNIT_TESTS = \
	tests/unit/test-vg-store \
	tests/unit/test-vg-backup
check_PROGRAMS += $(ENGINE_UNIT_TESTS)
TESTS += $(ENGINE_UNIT_TESTS)

tests_unit_test_vg_store_SOURCES = tests/unit/test-vg-store.c
tests_unit_test_vg_store_CPPFLAGS = $(CPPFLAGS_LVM)
tests_unit_test_vg_store_CFLAGS = $(CFLAGS_UNIT)
tests_unit_test_vg_store_LDADD = $(LIBS_LVM) $(LIBS_UNIT)

tests_unit_test_vg_backup_SOURCES = tests/unit/test-vg-backup.c
tests_unit_test_vg_backup_CPPFLAGS = $(CPPFLAGS_LVM)
tests_unit_test_vg_backup_CFLAGS = $(CFLAGS_UNIT)
tests_unit_test_vg_backup_LDADD = $(LIBS_LVM) $(LIBS_UNIT)

# The kernel backend of activation: LV -> dm table rows (pure, in libvglvm)
# and the device-mapper door (libdevmapper, in its own library so only the
# programs that activate link -ldevmapper).
lvm_libvglvm_a_SOURCES += lvm/lv-table.c lvm/lv-table.h
noinst_LIBRARIES += lvm/libvglvm-dm.a
lvm_libvglvm_dm_a_CPPFLAGS = $(CPPFLAGS_LVM) $(DEVMAPPER_CFLAGS)
lvm_libvglvm_dm_a_SOURCES = lvm/dmctl-libdm.c lvm/dmctl-libdm.h

check_PROGRAMS += tests/unit/test-lv-table
TESTS += tests/unit/test-lv-table
tests_unit_test_lv_table_SOURCES = tests/unit/test-lv-table.c
tests_unit_test_lv_table_CPPFLAGS = $(CPPFLAGS_LVM)
tests_unit_test_lv_table_CFLAGS = $(CFLAGS_UNIT)
tests_unit_test_lv_table_LDADD = $(LIBS_LVM) $(LIBS_UNIT)

# Front end of the kernel backend for tests/vm/kernel-backend.sh: md assemble/stop/state
# through md-kernel.c, LV activation through lv-table.c and dmctl-libdm.c.
check_PROGRAMS += tests/tools/kernel-tool
tests_tools_kernel_tool_SOURCES = tests/tools/kernel-tool.c
tests_tools_kernel_tool_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/common -I$(srcdir)/lvm -I$(srcdir)/mdraid
tests_tools_kernel_tool_CFLAGS = $(AM_CFLAGS)
tests_tools_kernel_tool_LDADD = lvm/libvglvm-dm.a $(LIBS_LVM) mdraid/libvgmd.a common/libvgcommon.a $(DEVMAPPER_LIBS)
