# daemon/: vgtoold itself (the inventory library is described in daemon/local.mk).
sbin_PROGRAMS += daemon/vgtoold
CPPFLAGS_VGTOOLD = $(AM_CPPFLAGS) -I$(srcdir)/common -I$(srcdir)/mdraid -I$(srcdir)/lvm -I$(srcdir)/daemon $(JSONC_CFLAGS)
daemon_vgtoold_SOURCES = \
	daemon/vgtoold.c \
	daemon/daemon-config.c daemon/daemon-config.h \
	daemon/rpc.c daemon/rpc.h \
	daemon/server.c daemon/server.h \
	daemon/handlers.c daemon/handlers.h \
	daemon/host.c daemon/host.h
daemon_vgtoold_CPPFLAGS = $(CPPFLAGS_VGTOOLD)
daemon_vgtoold_LDADD = lvm/libvglvm.a mdraid/libvgmd.a common/libvgcommon.a $(JSONC_LIBS)

VGTOOLD_INTEGRATION_TESTS = \
	tests/integration/daemon-api.sh \
	tests/integration/daemon-bad-input.sh \
	tests/integration/daemon-load.sh \
	tests/integration/seed-layout.sh
TESTS += $(VGTOOLD_INTEGRATION_TESTS)
EXTRA_DIST += $(VGTOOLD_INTEGRATION_TESTS) tests/integration/rpc.py tests/integration/rpc-load.py \
	tests/integration/check-load.py
