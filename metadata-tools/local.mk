# metadata-tools/: vgrescue — links common/, mdraid/ and lvm/ directly; no daemon needed.
sbin_PROGRAMS += metadata-tools/vgrescue
metadata_tools_vgrescue_SOURCES = \
	metadata-tools/vgrescue.c metadata-tools/rescue.h \
	metadata-tools/rescue-output.c \
	metadata-tools/rescue-md.c \
	metadata-tools/rescue-pv.c \
	metadata-tools/rescue-dump.c \
	metadata-tools/rescue-model.c metadata-tools/rescue-model.h \
	metadata-tools/rescue-scan.c \
	metadata-tools/rescue-layout.c \
	metadata-tools/rescue-map.c \
	metadata-tools/rescue-extract.c \
	metadata-tools/rescue-history.c
metadata_tools_vgrescue_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/common -I$(srcdir)/mdraid -I$(srcdir)/lvm \
	-I$(srcdir)/metadata-tools $(JSONC_CFLAGS)
metadata_tools_vgrescue_LDADD = mdraid/libvgmd.a lvm/libvglvm.a common/libvgcommon.a $(JSONC_LIBS)

RESCUE_INTEGRATION_TESTS = \
	tests/integration/rescue.sh \
	tests/integration/rescue-hostile.sh \
	tests/integration/rescue-striped.sh \
	tests/integration/rescue-backups.sh \
	tests/integration/rescue-one-leg.sh
TESTS += $(RESCUE_INTEGRATION_TESTS)
EXTRA_DIST += $(RESCUE_INTEGRATION_TESTS) tests/integration/stripe-reference.py

# A statically linked vgrescue to copy onto any rescue medium (--enable-static-rescue).
# It links its own archive of the libraries, built without the sanitizer flags:
# -fsanitize=address cannot link -static, and a rescue binary has no use for it.
if ENABLE_STATIC_RESCUE
noinst_LIBRARIES += metadata-tools/librescue-static.a
metadata_tools_librescue_static_a_SOURCES = \
	$(common_libvgcommon_a_SOURCES) $(mdraid_libvgmd_a_SOURCES) $(lvm_libvglvm_a_SOURCES)
metadata_tools_librescue_static_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/common -I$(srcdir)/mdraid -I$(srcdir)/lvm
metadata_tools_librescue_static_a_CFLAGS = -std=gnu11 $(VG_WARN_CFLAGS)
sbin_PROGRAMS += metadata-tools/vgrescue-static
metadata_tools_vgrescue_static_SOURCES = $(metadata_tools_vgrescue_SOURCES)
metadata_tools_vgrescue_static_CPPFLAGS = $(metadata_tools_vgrescue_CPPFLAGS)
metadata_tools_vgrescue_static_CFLAGS = -std=gnu11 $(VG_WARN_CFLAGS)
metadata_tools_vgrescue_static_LDADD = metadata-tools/librescue-static.a $(JSONC_LIBS)
metadata_tools_vgrescue_static_LDFLAGS = -static
endif
TESTS += tests/integration/static-rescue.sh
EXTRA_DIST += tests/integration/static-rescue.sh
