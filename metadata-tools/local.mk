# metadata-tools/: vgrescue — links common/, mdraid/ and lvm/ directly; no daemon needed.
sbin_PROGRAMS += metadata-tools/vgrescue
metadata_tools_vgrescue_SOURCES = \
	metadata-tools/vgrescue.c metadata-tools/rescue.h \
	metadata-tools/rescue-output.c \
	metadata-tools/rescue-md.c \
	metadata-tools/rescue-pv.c \
	metadata-tools/rescue-dump.c
metadata_tools_vgrescue_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/common -I$(srcdir)/mdraid -I$(srcdir)/lvm \
	-I$(srcdir)/metadata-tools $(JSONC_CFLAGS)
metadata_tools_vgrescue_LDADD = mdraid/libvgmd.a lvm/libvglvm.a common/libvgcommon.a $(JSONC_LIBS)
