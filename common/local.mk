# common/: libvgcommon — libc only.
noinst_LIBRARIES += common/libvgcommon.a
COMMON_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/common
common_libvgcommon_a_CPPFLAGS = $(COMMON_CPPFLAGS)
common_libvgcommon_a_SOURCES = \
	common/macro.h \
	common/endian-le.h \
	common/error.c common/error.h \
	common/log.c common/log.h \
	common/blockdev.c common/blockdev.h \
	common/crc.c common/crc.h \
	common/uuid.c common/uuid.h \
	common/size.c common/size.h

COMMON_UNIT_TESTS = \
	tests/unit/test-blockdev \
	tests/unit/test-crc \
	tests/unit/test-uuid \
	tests/unit/test-size
check_PROGRAMS += $(COMMON_UNIT_TESTS)
TESTS += $(COMMON_UNIT_TESTS)

tests_unit_test_blockdev_SOURCES = tests/unit/test-blockdev.c
tests_unit_test_blockdev_CPPFLAGS = $(COMMON_CPPFLAGS)
tests_unit_test_blockdev_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_blockdev_LDADD = common/libvgcommon.a $(UNIT_LDADD)

tests_unit_test_crc_SOURCES = tests/unit/test-crc.c
tests_unit_test_crc_CPPFLAGS = $(COMMON_CPPFLAGS)
tests_unit_test_crc_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_crc_LDADD = common/libvgcommon.a $(UNIT_LDADD)

tests_unit_test_uuid_SOURCES = tests/unit/test-uuid.c
tests_unit_test_uuid_CPPFLAGS = $(COMMON_CPPFLAGS)
tests_unit_test_uuid_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_uuid_LDADD = common/libvgcommon.a $(UNIT_LDADD)

tests_unit_test_size_SOURCES = tests/unit/test-size.c
tests_unit_test_size_CPPFLAGS = $(COMMON_CPPFLAGS)
tests_unit_test_size_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_size_LDADD = common/libvgcommon.a $(UNIT_LDADD)
