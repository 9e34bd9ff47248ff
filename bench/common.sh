# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared helpers of the benchmarks: source it from bench/*.sh. It finds the
# build (top_builddir, default: the source tree when it holds a build), reuses
# the integration tests' helpers (tests/integration/lib.sh: $WORK removed on
# exit, start_daemon/stop_daemon/rpc, take_loop detaching only our loops,
# use_stock_lvm/stock_lvm) and adds the reporting of figures.
#
#   bench_header TITLE             machine, kernel, CPU, date
#   bench_report FIG WHAT OURS STOCK UNIT TARGET [higher]
#                                  one figure and its ratio; appends it to
#                                  $BENCH_RESULTS (TSV) when set. Times: ratio
#                                  is stock/ours; "higher" (rates): ours/stock.
#   make_pvs SOCK METADATA_BYTES IMG...   pv.create on each image file
#   mda_bytes_for LVS              a metadata area big enough for LVS LVs
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$BENCH_DIR/.." && pwd)}"
if [ -z "${top_builddir:-}" ]; then
	if [ -x "$top_srcdir/daemon/vgtoold" ]; then
		top_builddir=$top_srcdir
	else
		echo "bench: set top_builddir to a build directory (one holding daemon/vgtoold)" >&2
		exit 2
	fi
fi
top_builddir=$(cd "$top_builddir" && pwd)
export top_srcdir top_builddir
# shellcheck source=../tests/integration/lib.sh
. "$top_srcdir/tests/integration/lib.sh"
set -euo pipefail

BENCH_PY="$BENCH_DIR/bench.py"
VGTOOLD="$top_builddir/daemon/vgtoold"
[ -x "$VGTOOLD" ] || fail "no $VGTOOLD: build first"

bpy() { python3 "$BENCH_PY" "$@"; }

bench_header() {
	echo "== $1"
	echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), kernel $(uname -r)"
	echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

bench_report() {
	local fig=$1 what=$2 ours=$3 stock=$4 unit=$5 target=$6 mode=${7:-lower} ratio
	if [ "$stock" = "-" ]; then
		ratio=-
	elif [ "$mode" = higher ]; then
		ratio=$(bpy ratio "$ours" "$stock")x
	else
		ratio=$(bpy ratio "$stock" "$ours")x
	fi
	printf 'FIGURE %s | %s | ours %s %s | stock lvm2 %s %s | ratio %s | target %s\n' \
		"$fig" "$what" "$ours" "$unit" "$stock" "$unit" "$ratio" "$target"
	if [ -n "${BENCH_RESULTS:-}" ]; then
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$fig" "$what" "$ours" "$stock" "$unit" "$ratio" "$target" \
			>>"$BENCH_RESULTS"
	fi
}

make_pvs() {
	local sock=$1 mda=$2 img
	shift 2
	for img in "$@"; do
		SOCK=$sock rpc pv.create "{\"device\":\"$img\",\"metadata_size\":$mda}" >/dev/null
	done
}

# About 400 bytes of text per one-segment LV; the ring buffer must hold the
# old and the new copy: 1 KiB per LV, at least 1 MiB, rounded to 1 MiB.
mda_bytes_for() {
	local mib=$((($1 * 1024 + 1048575) / 1048576 + 1))
	echo $((mib * 1048576))
}

# Median of RUNS runs of a timing command whose output is "key=value ..." on
# one line: prints the medians as "key=value ...".
median_of_runs() {
	local runs=$1 i line
	shift
	local all=()
	for ((i = 0; i < runs; i++)); do
		line=$("$@") || return 1
		[ -n "$line" ] || return 1
		all+=("$line")
	done
	python3 - "${all[@]}" <<'EOP'
import statistics, sys
vals = {}
for line in sys.argv[1:]:
    for kv in line.split():
        k, v = kv.split("=")
        vals.setdefault(k, []).append(float(v))
print(" ".join("%s=%.3f" % (k, statistics.median(v)) for k, v in vals.items()))
EOP
}

# kv LINE KEY: the value of KEY in a "key=value ..." line.
kv() {
	local item
	for item in $1; do
		[ "${item%%=*}" = "$2" ] && { echo "${item#*=}"; return 0; }
	done
	return 1
}
