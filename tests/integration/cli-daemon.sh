#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vgtool against a real vgtoold (none backend, image files): the seed layout
# built with the interface scripts rely on (mirror create NAME LEG LEG, vg
# create VG PV... with a mirror named as a PV, lv create VG LV --size, lv
# extend VG/LV --size +SIZE, vg move-pv PV --from --to), each with --json
# parsed by python; human tables with --units; a refusal exits 1 with the
# daemon's message; --dry-run prints the plan and leaves every image
# byte-identical; events; completion of VG and LV names from the daemon.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd python3 sha256sum
VGTOOL="$top_builddir/cli/vgtool"
[ -x "$VGTOOL" ] || fail "$VGTOOL is not built (make cli/vgtool)"
[ -x "$VGTOOLD" ] || fail "$VGTOOLD is not built (make daemon/vgtoold)"

D="$WORK/d"
mkdir -p "$D/img"
# "partitions" 5, 6, 7 of two disks a and c, and two bulk disks b and d
for p in a5 c5 a6 c6 a7 c7; do make_image "$D/img/sd$p.img" 64M; done
for p in b d e; do make_image "$D/img/sd$p.img" 128M; done
start_daemon "$D"
export VGTOOL_SOCKET="$SOCK"
IMG="$D/img"

# ok CMD...: vgtool must succeed; its stdout is in $out.
ok() {
	out=$("$VGTOOL" "$@" 2>"$WORK/err") || fail "vgtool $* failed ($?): $(cat "$WORK/err")"
}
# js JSON EXPR: a value from vgtool's --json output.
js() { json_get "$1" "$2"; }

# --- the seed layout, with --json --------------------------------------------
ok --json mirror create md0 "$IMG/sda5.img" "$IMG/sdc5.img"
assert_eq md0 "$(js "$out" 'j["mirror"]["name"]')" "mirror create"
assert_eq 2 "$(js "$out" 'len(j["mirror"]["legs"])')" "md0 legs"
ok mirror create md1 "$IMG/sda6.img" "$IMG/sdc6.img"
ok mirror create md2 "$IMG/sda7.img" "$IMG/sdc7.img" --json
ok --json vg create vg_raid md0 md1 md2
assert_eq 3 "$(js "$out" 'j["vg"]["pv_count"]')" "vg_raid PVs are the mirrors"
ok --json vg create vg_bulk "$IMG/sdb.img" "$IMG/sdd.img"
ok --json lv create vg_raid lv_files --size 50M
assert_eq 13 "$(js "$out" 'j["lv"]["extents"]')" "lv_files: 50M is 13 extents of 4 MiB"
ok lv create vg_bulk/lv_rushes --size 100M --json
size_before=$(js "$out" 'j["lv"]["size_bytes"]')
ok --json lv extend vg_bulk/lv_rushes --size +20M
assert_eq $((size_before + 20 * 1048576)) "$(js "$out" 'j["lv"]["size_bytes"]')" "lv_rushes grown by 20M"

# --- human output --------------------------------------------------------------
ok lv list
grep -q '^NAME  *VG  *SIZE  *PATH$' <<<"$out" || fail "lv list header: $out"
grep -q '^lv_rushes  *vg_bulk  *120 MiB  */dev/vg_bulk/lv_rushes$' <<<"$out" || fail "lv list row: $out"
ok --units s lv list vg_bulk
grep -q ' 245760s ' <<<"$out" || fail "lv list in sectors: $out"
ok vg list
grep -q '^NAME  *PVS  *LVS  *SIZE  *FREE$' <<<"$out" || fail "vg list header: $out"
grep -q '^vg_raid  *3  *1 ' <<<"$out" || fail "vg list row: $out"
ok vg show vg_raid
grep -q '^VG vg_raid$' <<<"$out" || fail "vg show: $out"
grep -q '^lv_files ' <<<"$out" || fail "vg show LV table: $out"
ok mirror list
grep -q '^NAME  *SIZE  *STATE  *LEGS$' <<<"$out" || fail "mirror list header: $out"
grep -q "^md0 .* clean  *$IMG/sda5.img,$IMG/sdc5.img\$" <<<"$out" || fail "mirror list row: $out"
ok disk list
grep -q '^PATH  *SIZE  *CLASS  *DETAIL$' <<<"$out" || fail "disk list: $out"
ok host status
grep -q 'activation: *none' <<<"$out" || fail "host status: $out"

# --- refusals: exit 1 and the daemon's words -------------------------------------
rc=0
"$VGTOOL" lv create vg_bulk huge --size 10T >"$WORK/out" 2>"$WORK/err" || rc=$?
assert_eq 1 "$rc" "lv create 10T exit status"
grep -q '^vgtool: .*needed' "$WORK/err" || fail "ENOSPC message: $(cat "$WORK/err")"
[ ! -s "$WORK/out" ] || fail "a refusal printed on stdout: $(cat "$WORK/out")"
rc=0
"$VGTOOL" --json lv reduce vg_bulk/lv_rushes --size -8M >"$WORK/out" 2>"$WORK/err" || rc=$?
assert_eq 1 "$rc" "lv reduce without --force"
assert_eq EPERM "$(js "$(cat "$WORK/out")" 'j["error"]["data"]["reason"]')" "--json error object"

# --- dry runs: the plan, nothing written -----------------------------------------
sums=$(cat "$IMG"/*.img | sha256sum)
ok lv create vg_bulk planned --size 8M --dry-run
grep -q '^Dry run: nothing was written' <<<"$out" || fail "dry run heading: $out"
ok vg move-pv md2 --from vg_raid --to vg_bulk --dry-run
ok --json lv extend vg_bulk/lv_rushes --size +8M --dry-run
assert_eq True "$(js "$out" 'j["dry_run"]')" "dry_run in the --json reply"
ok vg remove vg_bulk --force --dry-run
assert_eq "$sums" "$(cat "$IMG"/*.img | sha256sum)" "images after dry runs"

# --- md2 moves from vg_raid to vg_bulk, lv_rushes grows ----------------------------
ok --json vg move-pv md2 --from vg_raid --to vg_bulk
assert_eq "vg_raid vg_bulk" "$(js "$out" '" ".join(v["name"] for v in j["vgs"])')" "move-pv reply"
ok --json vg show vg_bulk
assert_eq 3 "$(js "$out" 'j["vg"]["pv_count"]')" "vg_bulk has md2"
ok lv extend vg_bulk lv_rushes --size +100%FREE
ok --json vg show vg_bulk
assert_eq 0 "$(js "$out" 'j["vg"]["free_bytes"]')" "lv_rushes took every free extent"

# --- events: what the changes above published ------------------------------------
ok --json events subscribe --since 0 --count 2
assert_eq 2 "$(wc -l <<<"$out")" "two event lines"
# the first change was md0's creation, whose resync job said it started
assert_eq "job.progress mirror.resync md0" "$(js "$(head -1 <<<"$out")" 'j["type"] + " " + j["kind"] + " " + j["target"]')" \
	"the first event"

# --- completion: names come from the daemon --------------------------------------
names=$(PATH="$(dirname "$VGTOOL"):$PATH" bash -c '
	source "$1"
	COMP_WORDS=(vgtool vg show ""); COMP_CWORD=3; _vgtool; echo "vgs:${COMPREPLY[*]}"
	COMP_WORDS=(vgtool lv extend vg_b); COMP_CWORD=3; _vgtool; echo "lvs:${COMPREPLY[*]}"
	COMP_WORDS=(vgtool lv show vg_raid ""); COMP_CWORD=4; _vgtool; echo "in:${COMPREPLY[*]}"
' _ "$top_srcdir/cli/vgtool.bash-completion")
grep -qx "vgs:vg_raid vg_bulk" <<<"$names" || fail "VG names: $names"
grep -qx "lvs:vg_bulk/lv_rushes" <<<"$names" || fail "LV names: $names"
grep -qx "in:lv_files" <<<"$names" || fail "LV names in a VG: $names"

# --- removal ------------------------------------------------------------------------
ok lv remove vg_raid/lv_files
assert_eq "LV vg_raid/lv_files removed." "$out" "lv remove"
ok lv list vg_raid
grep -q '^No LVs' <<<"$out" || fail "lv list of an empty VG: $out"

stop_daemon
echo ok
