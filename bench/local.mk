# bench/: benchmarks printing ratios against stock lvm2 and mdadm (not part of make check).
# `make bench` runs them all (root, stock lvm2); `make bench BENCH_ARGS=--quick`
# for a shorter run. tests/integration/bench-smoke.sh only checks they run.
BENCH_FILES = bench/run.sh bench/common.sh bench/lv-create.sh bench/startup.sh \
	bench/rescue.sh bench/throughput.sh bench/profile.sh bench/bench.py bench/activation-vm.sh
EXTRA_DIST += $(BENCH_FILES) bench/RESULTS.md
TESTS += tests/integration/bench-smoke.sh
EXTRA_DIST += tests/integration/bench-smoke.sh

BENCH_ARGS =
bench: all
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
		bash '$(abs_top_srcdir)/bench/run.sh' $(BENCH_ARGS)
.PHONY: bench
