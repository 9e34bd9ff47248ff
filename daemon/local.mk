# daemon/: libvgdaemon — the daemon's own code as a library, so each part is
# testable alone: device filter, device inventory, udev/inotify watch. Uses
# common/, mdraid/ and lvm/, libblkid and libudev. vgtoold is built on it below.
noinst_LIBRARIES += daemon/libvgdaemon.a
CPPFLAGS_DAEMON = $(AM_CPPFLAGS) -I$(srcdir)/common -I$(srcdir)/mdraid -I$(srcdir)/lvm -I$(srcdir)/daemon
CFLAGS_DAEMON = $(AM_CFLAGS) $(BLKID_CFLAGS) $(UDEV_CFLAGS)
LIBS_DAEMON = daemon/libvgdaemon.a lvm/libvglvm.a mdraid/libvgmd.a common/libvgcommon.a \
	$(BLKID_LIBS) $(UDEV_LIBS)

daemon_libvgdaemon_a_CPPFLAGS = $(CPPFLAGS_DAEMON)
daemon_libvgdaemon_a_CFLAGS = $(CFLAGS_DAEMON)
daemon_libvgdaemon_a_SOURCES = \
	daemon/device-filter.c daemon/device-filter.h \
	daemon/inventory.c daemon/inventory.h \
	daemon/udev-monitor.c daemon/udev-monitor.h \
	daemon/capacity-plan.c daemon/capacity-plan.h

DAEMON_UNIT_TESTS = \
	tests/unit/test-device-filter \
	tests/unit/test-inventory \
	tests/unit/test-capacity-plan
check_PROGRAMS += $(DAEMON_UNIT_TESTS)
TESTS += $(DAEMON_UNIT_TESTS)

tests_unit_test_device_filter_SOURCES = tests/unit/test-device-filter.c
tests_unit_test_device_filter_CPPFLAGS = $(CPPFLAGS_DAEMON)
tests_unit_test_device_filter_CFLAGS = $(CFLAGS_UNIT) $(BLKID_CFLAGS) $(UDEV_CFLAGS)
tests_unit_test_device_filter_LDADD = $(LIBS_DAEMON) $(LIBS_UNIT)

tests_unit_test_inventory_SOURCES = tests/unit/test-inventory.c
tests_unit_test_inventory_CPPFLAGS = $(CPPFLAGS_DAEMON)
tests_unit_test_inventory_CFLAGS = $(CFLAGS_UNIT) $(BLKID_CFLAGS) $(UDEV_CFLAGS)
tests_unit_test_inventory_LDADD = $(LIBS_DAEMON) $(LIBS_UNIT)

tests_unit_test_capacity_plan_SOURCES = tests/unit/test-capacity-plan.c
tests_unit_test_capacity_plan_CPPFLAGS = $(CPPFLAGS_DAEMON)
tests_unit_test_capacity_plan_CFLAGS = $(CFLAGS_UNIT)
tests_unit_test_capacity_plan_LDADD = $(LIBS_DAEMON) $(LIBS_UNIT)

# The inventory and the event watch from the shell, for tests/integration/inventory.sh.
check_PROGRAMS += tests/tools/inventory-tool
tests_tools_inventory_tool_SOURCES = tests/tools/inventory-tool.c
tests_tools_inventory_tool_CPPFLAGS = $(CPPFLAGS_DAEMON)
tests_tools_inventory_tool_CFLAGS = $(CFLAGS_DAEMON)
tests_tools_inventory_tool_LDADD = $(LIBS_DAEMON)

# Root and loop devices; skips (77) otherwise.
DAEMON_INTEGRATION_TESTS = tests/integration/inventory.sh
TESTS += $(DAEMON_INTEGRATION_TESTS)
EXTRA_DIST += $(DAEMON_INTEGRATION_TESTS)

# vgtoold itself: the event loop, JSON-RPC, handlers and host state over the library above.
sbin_PROGRAMS += daemon/vgtoold
CPPFLAGS_VGTOOLD = $(AM_CPPFLAGS) -I$(srcdir)/common -I$(srcdir)/mdraid -I$(srcdir)/lvm -I$(srcdir)/daemon \
	$(JSONC_CFLAGS) $(BLKID_CFLAGS) $(UDEV_CFLAGS)
VGTOOLD_CORE = \
	daemon/daemon-config.c daemon/daemon-config.h \
	daemon/rpc.c daemon/rpc.h \
	daemon/server.c daemon/server.h \
	daemon/job.c daemon/job.h \
	daemon/job-mirror.c daemon/job-mirror.h \
	daemon/job-pv-move.c daemon/job-pv-move.h \
	daemon/capacity-host.c daemon/capacity-host.h \
	daemon/job-md-follow.c daemon/job-md-follow.h \
	daemon/job-scrub.c daemon/job-scrub.h \
	daemon/handlers.c daemon/handlers.h \
	daemon/host.c daemon/host.h \
	daemon/activation.c daemon/activation.h
daemon_vgtoold_SOURCES = daemon/vgtoold.c $(VGTOOLD_CORE)
daemon_vgtoold_CPPFLAGS = $(CPPFLAGS_VGTOOLD)
daemon_vgtoold_LDADD = lvm/libvglvm-dm.a $(LIBS_DAEMON) $(JSONC_LIBS) $(DEVMAPPER_LIBS)

VGTOOLD_INTEGRATION_TESTS = \
	tests/integration/daemon-api.sh \
	tests/integration/daemon-bad-input.sh \
	tests/integration/daemon-load.sh \
	tests/integration/daemon-jobs.sh \
	tests/integration/daemon-move.sh \
	tests/integration/daemon-move-failed.sh \
	tests/integration/daemon-capacity.sh \
	tests/integration/daemon-capacity-seeded.sh \
	tests/integration/seed-layout.sh
TESTS += $(VGTOOLD_INTEGRATION_TESTS)
EXTRA_DIST += $(VGTOOLD_INTEGRATION_TESTS) tests/integration/rpc.py tests/integration/rpc-load.py \
	tests/integration/check-load.py

# The job table alone, driven by a job kind of the test's own.
check_PROGRAMS += tests/unit/test-job
TESTS += tests/unit/test-job
tests_unit_test_job_SOURCES = tests/unit/test-job.c daemon/job.c daemon/job.h
tests_unit_test_job_CPPFLAGS = $(CPPFLAGS_VGTOOLD)
tests_unit_test_job_CFLAGS = $(CFLAGS_UNIT)
tests_unit_test_job_LDADD = common/libvgcommon.a $(JSONC_LIBS) $(LIBS_UNIT)

# The systemd unit (Type=notify: vgtoold speaks sd_notify itself).
systemdunitdir = $(prefix)/lib/systemd/system
systemdunit_DATA = daemon/vgtoold.service
daemon/vgtoold.service: daemon/vgtoold.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) daemon && sed -e 's|@sbindir[@]|$(sbindir)|g' -e 's|@sysconfdir[@]|$(sysconfdir)|g' \
		$(srcdir)/daemon/vgtoold.service.in >$@
CLEANFILES += daemon/vgtoold.service
EXTRA_DIST += daemon/vgtoold.service.in tests/integration/daemon-notify.sh tests/integration/daemon-access.sh
TESTS += tests/integration/daemon-notify.sh tests/integration/daemon-access.sh

# The request parser and dispatcher under libFuzzer (or replaying its corpus).
check_PROGRAMS += tests/fuzz/fuzz-rpc
FUZZ_TESTS += tests/fuzz/rpc.fuzz
tests_fuzz_fuzz_rpc_SOURCES = tests/fuzz/fuzz-rpc.c $(FUZZ_DRIVER) $(VGTOOLD_CORE)
tests_fuzz_fuzz_rpc_CPPFLAGS = $(CPPFLAGS_VGTOOLD)
tests_fuzz_fuzz_rpc_CFLAGS = $(AM_CFLAGS)
tests_fuzz_fuzz_rpc_LDADD = lvm/libvglvm-dm.a $(LIBS_DAEMON) $(JSONC_LIBS) $(DEVMAPPER_LIBS)
tests_fuzz_fuzz_rpc_LDFLAGS = $(LDFLAGS_FUZZ)
