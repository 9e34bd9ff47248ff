# common/: libvgcommon — libc only.
noinst_LIBRARIES += common/libvgcommon.a
CPPFLAGS_COMMON = $(AM_CPPFLAGS) -I$(srcdir)/common
common_libvgcommon_a_CPPFLAGS = $(CPPFLAGS_COMMON)
common_libvgcommon_a_SOURCES = \
	common/macro.h \
	common/endian-le.h \
	common/hash.h \
	common/error.c common/error.h \
	common/log.c common/log.h \
	common/blockdev.c common/blockdev.h \
	common/crc.c common/crc.h \
	common/uuid.c common/uuid.h \
	common/size.c common/size.h \
	common/strbuf.c common/strbuf.h \
	common/cfg.c common/cfg.h \
	common/fanout.c common/fanout.h

COMMON_UNIT_TESTS = \
	tests/unit/test-blockdev \
	tests/unit/test-crc \
	tests/unit/test-uuid \
	tests/unit/test-size \
	tests/unit/test-strbuf \
	tests/unit/test-config \
	tests/unit/test-fanout
check_PROGRAMS += $(COMMON_UNIT_TESTS)
TESTS += $(COMMON_UNIT_TESTS)

tests_unit_test_blockdev_SOURCES = tests/unit/test-blockdev.c
tests_unit_test_blockdev_CPPFLAGS = $(CPPFLAGS_COMMON)
tests_unit_test_blockdev_CFLAGS = $(CFLAGS_UNIT)
tests_unit_test_blockdev_LDADD = common/libvgcommon.a $(LIBS_UNIT)

tests_unit_test_fanout_SOURCES = tests/unit/test-fanout.c
tests_unit_test_fanout_CPPFLAGS = $(CPPFLAGS_COMMON)
tests_unit_test_fanout_CFLAGS = $(CFLAGS_UNIT)
tests_unit_test_fanout_LDADD = common/libvgcommon.a $(LIBS_UNIT)

tests_unit_test_crc_SOURCES = tests/unit/test-crc.c
tests_unit_test_crc_CPPFLAGS = $(CPPFLAGS_COMMON)
tests_unit_test_crc_CFLAGS = $(CFLAGS_UNIT)
tests_unit_test_crc_LDADD = common/libvgcommon.a $(LIBS_UNIT)

tests_unit_test_uuid_SOURCES = tests/unit/test-uuid.c
tests_unit_test_uuid_CPPFLAGS = $(CPPFLAGS_COMMON)
tests_unit_test_uuid_CFLAGS = $(CFLAGS_UNIT)
tests_unit_test_uuid_LDADD = common/libvgcommon.a $(LIBS_UNIT)

tests_unit_test_size_SOURCES = tests/unit/test-size.c
tests_unit_test_size_CPPFLAGS = $(CPPFLAGS_COMMON)
tests_unit_test_size_CFLAGS = $(CFLAGS_UNIT)
tests_unit_test_size_LDADD = common/libvgcommon.a $(LIBS_UNIT)

tests_unit_test_strbuf_SOURCES = tests/unit/test-strbuf.c
tests_unit_test_strbuf_CPPFLAGS = $(CPPFLAGS_COMMON)
tests_unit_test_strbuf_CFLAGS = $(CFLAGS_UNIT)
tests_unit_test_strbuf_LDADD = common/libvgcommon.a $(LIBS_UNIT)


tests_unit_test_config_SOURCES = tests/unit/test-config.c
tests_unit_test_config_CPPFLAGS = $(CPPFLAGS_COMMON)
tests_unit_test_config_CFLAGS = $(CFLAGS_UNIT)
tests_unit_test_config_LDADD = common/libvgcommon.a $(LIBS_UNIT)

check_PROGRAMS += tests/fuzz/fuzz-config
FUZZ_TESTS += tests/fuzz/config.fuzz
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz-config.c $(FUZZ_DRIVER)
tests_fuzz_fuzz_config_CPPFLAGS = $(CPPFLAGS_COMMON)
tests_fuzz_fuzz_config_CFLAGS = $(AM_CFLAGS)
tests_fuzz_fuzz_config_LDADD = common/libvgcommon.a
tests_fuzz_fuzz_config_LDFLAGS = $(LDFLAGS_FUZZ)

