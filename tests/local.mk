# tests/: shared helpers of the shell suites. Unit tests are listed by the
# library they test (common/local.mk, mdraid/local.mk, lvm/local.mk).
EXTRA_DIST += tests/integration/lib.sh
