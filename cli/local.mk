# cli/: vgtool, the command-line client of vgtoold. Everything but main() is in
# libvgcli.a so the unit tests run the parser, the renderers and whole
# command lines. Needs common/ and json-c; never the storage layers.
noinst_LIBRARIES += cli/libvgcli.a
CPPFLAGS_CLI = $(AM_CPPFLAGS) -I$(srcdir)/common -I$(srcdir)/cli $(JSONC_CFLAGS)
cli_libvgcli_a_CPPFLAGS = $(CPPFLAGS_CLI)
cli_libvgcli_a_SOURCES = \
	cli/cli.h \
	cli/cli-args.c \
	cli/cli-output.c \
	cli/cli-run.c \
	cli/rpc-client.c cli/rpc-client.h \
	cli/table.c cli/table.h \
	cli/cli-mirror.c \
	cli/cli-pv.c \
	cli/cli-capacity.c \
	cli/cli-vg.c \
	cli/cli-lv.c \
	cli/cli-job.c \
	cli/cli-events.c \
	cli/cli-disk.c \
	cli/cli-metadata.c \
	cli/cli-host.c

LIBS_CLI = cli/libvgcli.a common/libvgcommon.a $(JSONC_LIBS) -lm

bin_PROGRAMS += cli/vgtool
cli_vgtool_SOURCES = cli/vgtool.c
cli_vgtool_CPPFLAGS = $(CPPFLAGS_CLI)
cli_vgtool_LDADD = $(LIBS_CLI)

bashcompletiondir = $(datadir)/bash-completion/completions
dist_bashcompletion_DATA = cli/vgtool.bash-completion
# bash-completion finds a command's completion by the command's name.
install-data-hook: install-vgtool-completion
install-vgtool-completion:
	cd $(DESTDIR)$(bashcompletiondir) && mv -f vgtool.bash-completion vgtool
uninstall-hook: uninstall-vgtool-completion
uninstall-vgtool-completion:
	rm -f $(DESTDIR)$(bashcompletiondir)/vgtool
.PHONY: install-vgtool-completion uninstall-vgtool-completion

CLI_UNIT_TESTS = \
	tests/unit/test-cli-args \
	tests/unit/test-cli-output \
	tests/unit/test-rpc-client
check_PROGRAMS += $(CLI_UNIT_TESTS)
TESTS += $(CLI_UNIT_TESTS)

tests_unit_test_cli_args_SOURCES = tests/unit/test-cli-args.c
tests_unit_test_cli_args_CPPFLAGS = $(CPPFLAGS_CLI)
tests_unit_test_cli_args_CFLAGS = $(CFLAGS_UNIT)
tests_unit_test_cli_args_LDADD = $(LIBS_CLI) $(LIBS_UNIT)

tests_unit_test_cli_output_SOURCES = tests/unit/test-cli-output.c
tests_unit_test_cli_output_CPPFLAGS = $(CPPFLAGS_CLI)
tests_unit_test_cli_output_CFLAGS = $(CFLAGS_UNIT)
tests_unit_test_cli_output_LDADD = $(LIBS_CLI) $(LIBS_UNIT)

tests_unit_test_rpc_client_SOURCES = tests/unit/test-rpc-client.c
tests_unit_test_rpc_client_CPPFLAGS = $(CPPFLAGS_CLI)
tests_unit_test_rpc_client_CFLAGS = $(CFLAGS_UNIT)
tests_unit_test_rpc_client_LDADD = $(LIBS_CLI) $(LIBS_UNIT)

# Usage, help and exit codes with no daemon; then vgtool against a real vgtoold.
CLI_INTEGRATION_TESTS = \
	tests/integration/cli-usage.sh \
	tests/integration/cli-daemon.sh
TESTS += $(CLI_INTEGRATION_TESTS)
EXTRA_DIST += $(CLI_INTEGRATION_TESTS)
