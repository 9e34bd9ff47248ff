#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The rescue promise of DESIGN.md, end to end on image files: a seed-like
# layout built by vgtoold (two mirrors in vg_raid, two plain PVs in
# vg_bulk), known bytes written at the LVs' mapped offsets, then one leg of
# every mirror destroyed and the metadata area of one plain PV overwritten.
# vgrescue scan shows what is left, layout rebuilds both VGs from the
# survivors, map gives a loop command that (as root) reads a single-segment
# LV from one leg, extract copies a two-segment LV out bit-exact (and, while
# both legs lived, compared them and caught one flipped byte), and
# history/restore bring back an LV removed by mistake (nothing written
# without --write; with it, stock lvm2 sees the LV again).
. "$top_srcdir/tests/integration/lib.sh"
require_cmd python3

D="$WORK/d"
mkdir -p "$D/img"
for p in sda5 sdc5 sda6 sdc6; do make_image "$D/img/$p.img" 64M; done
for p in sdb sdd; do make_image "$D/img/$p.img" 64M; done
start_daemon "$D"
img() { echo "\"$D/img/$1.img\""; }
I="$D/img"

rpc mirror.create '{"name":"md0","legs":['$(img sda5)','$(img sdc5)'],"assume_clean":true}' >/dev/null
rpc mirror.create '{"name":"md1","legs":['$(img sda6)','$(img sdc6)'],"assume_clean":true}' >/dev/null
rpc vg.create '{"name":"vg_raid","pvs":["md0","md1"]}' >/dev/null
rpc vg.create '{"name":"vg_bulk","pvs":['$(img sdb)','$(img sdd)']}' >/dev/null
rpc lv.create '{"vg":"vg_raid","name":"lv_files","size":"20M","pvs":["md0"]}' >/dev/null
rpc lv.create '{"vg":"vg_raid","name":"lv_vm_1","size":"8M","pvs":["md1"]}' >/dev/null
rpc lv.create '{"vg":"vg_raid","name":"lv_gap","size":"4M","pvs":["md1"]}' >/dev/null
# lv_vm_1 grows past lv_gap: two segments
rpc lv.resize '{"vg":"vg_raid","name":"lv_vm_1","size":"+8M"}' >/dev/null
rpc lv.create '{"vg":"vg_raid","name":"lv_tmp","size":"4M","pvs":["md1"]}' >/dev/null
rpc lv.create '{"vg":"vg_bulk","name":"lv_rushes","size":"12M"}' >/dev/null
stop_daemon

ALL=("$I/sda5.img" "$I/sdc5.img" "$I/sda6.img" "$I/sdc6.img" "$I/sdb.img" "$I/sdd.img")
nsegs=$(json_get "$("$VGRESCUE" map --json vg_raid/lv_vm_1 "${ALL[@]}")" 'len(j["segments"])')
[ "$nsegs" = 2 ] || fail "lv_vm_1 should have two segments, has $nsegs"

# put_content VG/LV: random bytes into every stripe range of every device holding it (both legs)
put_content() {
	local lv=$1 name=${1#*/}
	head -c "$(json_get "$("$VGRESCUE" map --json "$lv" "${ALL[@]}")" 'j["size_bytes"]')" /dev/urandom >"$WORK/$name.orig"
	"$VGRESCUE" map --json "$lv" "${ALL[@]}" | python3 -c '
import json, sys
j = json.load(sys.stdin); src = open(sys.argv[1], "rb").read(); pos = 0
for s in j["segments"]:
    assert s["stripe_count"] == 1
    st = s["stripes"][0]; n = st["length_bytes"]; data = src[pos:pos + n]; pos += n
    for dev in st["devices"]:
        with open(dev, "r+b") as f:
            f.seek(st["offset_bytes"]); f.write(data)
' "$WORK/$name.orig"
}
put_content vg_raid/lv_files
put_content vg_raid/lv_vm_1
put_content vg_bulk/lv_rushes

# extract with both legs of md0 present: every byte read from both and compared
"$VGRESCUE" extract --json vg_raid/lv_files --to "$WORK/lv_files.out" "${ALL[@]}" >"$WORK/ex.json" 2>/dev/null ||
	fail "extract lv_files from two fresh legs"
cmp "$WORK/lv_files.out" "$WORK/lv_files.orig" || fail "extract lv_files from two fresh legs differs"
ex=$(cat "$WORK/ex.json")
assert_eq "legs-agree $((20 << 20)) 0" \
	"$(json_get "$ex" 'j["verification"]["status"], j["verification"]["compared_bytes"], j["verification"]["mismatched_chunks"]' | tr -d "(),'")" \
	"extract from two legs: status, compared bytes, mismatched chunks"
# one byte flipped on the second leg: reported, exit 1, the first leg's bytes written
off=$(( $(json_get "$ex" 'j["reads"][0]["offset_bytes"]') + 12345 ))
leg2=$(json_get "$ex" 'j["reads"][0]["compared_with"][0]')
flip() { python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0xff]))' "$leg2" "$off"; }
flip
rc=0
"$VGRESCUE" extract --json vg_raid/lv_files --to "$WORK/lv_files.out" "${ALL[@]}" >"$WORK/ex.json" 2>"$WORK/err" || rc=$?
assert_eq 1 "$rc" "extract with legs that differ"
grep -q "mirror legs differ: .* and $leg2 at byte $off " "$WORK/err" || { cat "$WORK/err"; fail "extract: the differing byte is not named"; }
assert_eq "legs-differ 1" "$(json_get "$(cat "$WORK/ex.json")" 'j["verification"]["status"], j["verification"]["mismatched_chunks"]' | tr -d "(),'")" \
	"extract with legs that differ: status, mismatched chunks"
cmp "$WORK/lv_files.out" "$WORK/lv_files.orig" || fail "extract with legs that differ: not the first leg's bytes"
flip

# a wrong lv.remove (the daemon again), then the disaster
start_daemon "$D"
rpc lv.remove '{"vg":"vg_raid","name":"lv_tmp"}' >/dev/null
stop_daemon
"$VGRESCUE" map vg_raid/lv_tmp "${ALL[@]}" >/dev/null 2>&1 && fail "lv_tmp should be gone"
# vgtoold's state directory as --backup-dir: its backup file is the VG as committed last,
# and every version before it is in the archive
h=$("$VGRESCUE" history --json --backup-dir "$D/state" vg_raid "${ALL[@]}") || fail "history --backup-dir STATE_DIR"
last=$(json_get "$("$VGRESCUE" layout --json --vg vg_raid "${ALL[@]}")" 'j["seqno"]')
assert_eq "$last:backup" "$(json_get "$h" '" ".join("%d:%s" % (v["seqno"], v["file"].split("/")[-2]) for v in j if v["file"] and "/backup/" in v["file"])')" \
	"vgtoold's backup file"
assert_eq "$(seq -s ' ' $((last - 1)) -1 1)" "$(json_get "$h" '" ".join(str(v["seqno"]) for v in j if v["file"] and "/archive/" in v["file"])')" \
	"vgtoold's archive files"

for p in sdc5 sdc6; do make_image "$I/$p.img" 64M; done
dd if=/dev/zero of="$I/sdb.img" bs=4096 seek=1 count=255 conv=notrunc status=none

# scan: what is left (problems => exit 1)
rc=0
"$VGRESCUE" scan "${ALL[@]}" >"$WORK/scan.txt" 2>"$WORK/scan.err" || rc=$?
assert_eq 1 "$rc" "scan exit status with damage"
grep -q 'md0 .*DEGRADED' "$WORK/scan.txt" || { cat "$WORK/scan.txt"; fail "scan: md0 not degraded"; }
grep -q 'sdb.img.*' "$WORK/scan.txt" && grep -q 'metadata area at 4096 damaged' "$WORK/scan.txt" ||
	{ cat "$WORK/scan.txt"; fail "scan: damaged area of sdb not reported"; }
grep -q '^  vg_raid ' "$WORK/scan.txt" && grep -q '^  vg_bulk ' "$WORK/scan.txt" || fail "scan: VGs missing"
"$VGRESCUE" scan --json "${ALL[@]}" >"$WORK/scan.json" || true
assert_eq 2 "$(json_get "$(cat "$WORK/scan.json")" 'len(j["vgs"])')" "VGs in scan --json"

# layout: both VGs from the survivors only, as backup-form text
"$VGRESCUE" layout --vg vg_bulk "$I/sda5.img" "$I/sda6.img" "$I/sdb.img" "$I/sdd.img" >"$WORK/bulk.vg" ||
	fail "layout vg_bulk"
grep -q '^# vgrescue layout: VG vg_bulk' "$WORK/bulk.vg" || fail "layout: no note"
grep -q 'lv_rushes {' "$WORK/bulk.vg" || fail "layout: lv_rushes missing"
"$VGRESCUE" layout --vg vg_raid "$I/sda5.img" "$I/sda6.img" >"$WORK/raid.vg" || fail "layout vg_raid"
grep -q 'lv_files {' "$WORK/raid.vg" && grep -q 'lv_vm_1 {' "$WORK/raid.vg" || fail "layout: vg_raid LVs"
"$VGRESCUE" dump "$I/sda5.img" >/dev/null 2>&1 || true

# map: one losetup line for lv_files off the surviving leg
"$VGRESCUE" map vg_raid/lv_files "${ALL[@]}" >"$WORK/map.txt" || fail "map lv_files"
grep -q '^0 40960 linear .*sda5.img ' "$WORK/map.txt" || { cat "$WORK/map.txt"; fail "map: dmsetup line"; }
grep -q '^mount -o ro,loop,offset=' "$WORK/map.txt" || fail "map: no one-line mount"
if [ "$(id -u)" = 0 ]; then
	cmdline=$(grep '^losetup ' "$WORK/map.txt" | head -1)
	loop=$(eval "$cmdline") || fail "map's losetup line failed: $cmdline"
	echo "$loop" >>"$LOOP_REGISTRY"
	cmp "$loop" "$WORK/lv_files.orig" || fail "lv_files through the loop device differs"
	release_loops
fi

# extract: the two-segment LV and the plain one, bit-exact
"$VGRESCUE" extract --json vg_raid/lv_vm_1 --to "$WORK/lv_vm_1.out" "${ALL[@]}" >"$WORK/ex.json" 2>/dev/null ||
	fail "extract lv_vm_1"
cmp "$WORK/lv_vm_1.out" "$WORK/lv_vm_1.orig" || fail "extract lv_vm_1 differs"
# each segment read from the one surviving leg of its mirror, nothing to compare with
assert_eq "single-copy sda6.img:md1 sda5.img:md0" \
	"$(json_get "$(cat "$WORK/ex.json")" 'j["verification"]["status"] + " " + " ".join("%s:%s" % (r["device"].rsplit("/", 1)[1], r["mirror"]) for r in j["reads"])')" \
	"extract lv_vm_1 from one leg: status and pieces"
"$VGRESCUE" extract vg_bulk/lv_rushes --to - "${ALL[@]}" 2>/dev/null | cmp - "$WORK/lv_rushes.orig" ||
	fail "extract lv_rushes differs"
! "$VGRESCUE" extract vg_raid/lv_files --to "$I/sda5.img" "${ALL[@]}" 2>"$WORK/err" || fail "extract onto an input"
grep -q 'refusing to write the output onto input' "$WORK/err" || fail "extract onto an input: message"

# recipe names one leg per mirror and the settings stock lvm2 needs
"$VGRESCUE" recipe vg_raid/lv_files "$I/sda5.img" "$I/sda6.img" >"$WORK/recipe.txt" || fail recipe
grep -q 'md_component_detection=0' "$WORK/recipe.txt" && grep -q -- '--readonly' "$WORK/recipe.txt" &&
	grep -q 'desynchronises' "$WORK/recipe.txt" || fail "recipe incomplete"

# history and restore after the wrong lv.remove
"$VGRESCUE" history --json vg_raid "$I/sda5.img" "$I/sda6.img" >"$WORK/hist.json" || fail history
seq=$(json_get "$(cat "$WORK/hist.json")" 'max(v["seqno"] for v in j if "lv_tmp" in v["lvs"])')
sum_before=$(md5sum "$I/sda5.img" "$I/sda6.img")
rc=0
"$VGRESCUE" restore vg_raid --from "$seq" "$I/sda5.img" "$I/sda6.img" >/dev/null 2>&1 || rc=$?
assert_eq 1 "$rc" "restore without --write"
assert_eq "$sum_before" "$(md5sum "$I/sda5.img" "$I/sda6.img")" "images after a refused restore"
! "$VGRESCUE" restore vg_raid --from "$seq" --write "$I/sda5.img" 2>"$WORK/err" || fail "restore with a PV missing"
grep -q 'refusing' "$WORK/err" || fail "restore with a PV missing: message"
"$VGRESCUE" restore vg_raid --from "$seq" --write "$I/sda5.img" "$I/sda6.img" || fail "restore --write"
"$VGRESCUE" map vg_raid/lv_tmp "$I/sda5.img" "$I/sda6.img" >/dev/null || fail "lv_tmp not back"
if [ "$(id -u)" = 0 ] && command -v lvm >/dev/null; then
	l5=$(take_loop "$I/sda5.img"); l6=$(take_loop "$I/sda6.img")
	use_stock_lvm "$l5" "$l6"
	stock_lvm lvs --noheadings -o lv_name vg_raid 2>/dev/null | grep -qw lv_tmp || fail "stock lvm2 does not see lv_tmp"
	# no device named: every block device of the host is looked at, our loops among them
	rc=0
	"$VGRESCUE" layout --vg vg_raid >"$WORK/all.txt" 2>"$WORK/all.err" || rc=$?
	[ "$rc" != 2 ] || fail "vgrescue without devices is a usage error: $(cat "$WORK/all.err")"
	grep -qx "vg_raid {" "$WORK/all.txt" || fail "vgrescue found no vg_raid on the host's block devices: $(cat "$WORK/all.err")"
	release_loops
fi
echo "rescue from surviving legs works"
