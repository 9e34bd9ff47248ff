#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vgrescue with --backup-dir: the backup and archive files stock lvm2 keeps
# (the layout vgtoold's state directory has too: backup/VG, archive/VG_*.vg)
# as sources of metadata beside the ring buffers. Four versions of a VG are
# made by stock lvm2 (seqno 1: empty, 2: lv_a, 3: lv_a + lv_b, 4: lv_b).
#  - history lists each version from the devices and from its file;
#  - with both metadata areas wiped, layout takes the backup file (seqno 4)
#    and restore --from 2 takes the archive file, writes seqno 5, and stock
#    lvm2 reads the result;
#  - with the disks rolled back to seqno 2, layout keeps the committed copy
#    on the disks (the files only say what once was) and names the newer
#    backup, and restore --from 4 takes the backup file.
. "$top_srcdir/tests/integration/lib.sh"
require_root
require_cmd lvm python3

A="$WORK/a.img" B="$WORK/b.img" BK="$WORK/state"
make_image "$A" 16M; make_image "$B" 16M
la=$(take_loop "$A"); lb=$(take_loop "$B")
use_stock_lvm "$la" "$lb"
sed -i 's/archive = 0/archive = 1/' "$LVM_SYSTEM_DIR/lvm.conf"
lvm_q() { stock_lvm "$@" --driverloaded n >/dev/null 2>"$WORK/lvm.err" || { cat "$WORK/lvm.err"; fail "lvm $*"; }; }
lvm_q pvcreate -q "$la" "$lb"
lvm_q vgcreate -q -s 1M vg_bk "$la" "$lb"
lvm_q lvcreate -q -an -Zn -L 4M -n lv_a vg_bk
cp --sparse=always "$A" "$WORK/a-seqno2.img"; cp --sparse=always "$B" "$WORK/b-seqno2.img"
lvm_q lvcreate -q -an -Zn -i2 -I64k -L 4M -n lv_b vg_bk
lvm_q lvremove -q -y vg_bk/lv_a
release_loops
# kept apart: stock lvm2 refreshes its own backup file whenever it reads a newer VG
mkdir "$BK"; cp -a "$WORK/lvm/backup" "$WORK/lvm/archive" "$BK/"

# file_versions JSON: "SEQNO:KIND" for each version found in a file, KIND backup or archive
file_versions() {
	json_get "$1" '" ".join("%d:%s" % (v["seqno"], v["file"].split("/")[-2]) for v in j if v["file"])'
}
device_versions() {
	json_get "$1" '" ".join(str(v["seqno"]) for v in j if v["device"])'
}

# history: every version from both devices' rings and from its file, newest first
"$VGRESCUE" history --json --backup-dir "$BK" vg_bk "$A" "$B" >"$WORK/h.json" || fail "history --backup-dir"
h=$(cat "$WORK/h.json")
assert_eq "4:backup 3:archive 2:archive 1:archive" "$(file_versions "$h")" "history: versions in files"
assert_eq "4 4 3 3 2 2 1 1" "$(device_versions "$h")" "history: versions on the devices"
"$VGRESCUE" history --json vg_bk "$A" "$B" >"$WORK/h.json" || fail "history without --backup-dir"
assert_eq "" "$(file_versions "$(cat "$WORK/h.json")")" "history without --backup-dir: versions in files"
# a directory of metadata files given directly
"$VGRESCUE" history --json --backup-dir "$BK/archive" vg_bk "$A" "$B" >"$WORK/h.json" || fail "history --backup-dir DIR/archive"
assert_eq "3 2 1" "$(json_get "$(cat "$WORK/h.json")" '" ".join(str(v["seqno"]) for v in j if v["file"])')" \
	"history: versions in a directory of archive files"

# --- both metadata areas wiped: the files are all that is left ---
cp --sparse=always "$A" "$WORK/a-seqno4.img"; cp --sparse=always "$B" "$WORK/b-seqno4.img"
for img in "$A" "$B"; do dd if=/dev/zero of="$img" bs=4096 seek=1 count=255 conv=notrunc status=none; done
rc=0
"$VGRESCUE" layout --vg vg_bk "$A" "$B" >/dev/null 2>"$WORK/err" || rc=$?
assert_eq 1 "$rc" "layout with both areas wiped and no --backup-dir"
"$VGRESCUE" layout --json --vg vg_bk --backup-dir "$BK" "$A" "$B" >"$WORK/l.json" || fail "layout --backup-dir"
l=$(cat "$WORK/l.json")
assert_eq 4 "$(json_get "$l" 'j["seqno"]')" "layout from files: seqno"
assert_eq "backup file $BK/backup/vg_bk" "$(json_get "$l" 'j["source"]')" "layout from files: source"
assert_eq False "$(json_get "$l" 'j["committed"]')" "layout from files: committed"

sums=$(md5sum "$A" "$B")
rc=0
"$VGRESCUE" restore --json vg_bk --from 2 --backup-dir "$BK" "$A" "$B" >"$WORK/r.json" 2>"$WORK/err" || rc=$?
assert_eq 1 "$rc" "restore without --write"
assert_eq "$sums" "$(md5sum "$A" "$B")" "images after restore without --write"
r=$(cat "$WORK/r.json")
assert_eq "archive 2 5 False" "$(json_get "$r" 'j["version"]["source"], j["version"]["seqno"], j["new_seqno"], j["written"]' | tr -d "(),'")" \
	"restore --from 2: source, seqno, new seqno, written"
archive2=$(ls "$BK"/archive/vg_bk_00001-*.vg)
assert_eq "archive file $archive2" "$(json_get "$r" 'j["version"]["where"]')" "restore --from 2: the file"
assert_eq "$A $B" "$(json_get "$r" '" ".join(j["devices"])')" "restore --from 2: devices that would be written"
assert_eq 0 "$(json_get "$r" 'len(j["refusals"])')" "restore --from 2: refusals"
"$VGRESCUE" restore --json vg_bk --from 2 --write --backup-dir "$BK" "$A" "$B" >"$WORK/r.json" ||
	fail "restore --from 2 --write"
assert_eq True "$(json_get "$(cat "$WORK/r.json")" 'j["written"]')" "restore --write: written"
"$VGRESCUE" layout --json --vg vg_bk "$A" "$B" >"$WORK/l.json" || fail "layout after restore"
l=$(cat "$WORK/l.json")
assert_eq "5 True" "$(json_get "$l" 'j["seqno"], j["committed"]' | tr -d "(),'")" "layout after restore: seqno, committed"
la=$(take_loop "$A"); lb=$(take_loop "$B")
use_stock_lvm "$la" "$lb"
assert_eq "5" "$(stock_lvm vgs --noheadings -o vg_seqno vg_bk 2>/dev/null | tr -d ' ')" "stock lvm2: seqno after restore"
assert_eq "lv_a" "$(stock_lvm lvs --noheadings -o lv_name vg_bk 2>/dev/null | tr -d ' ')" "stock lvm2: LVs after restore"
release_loops

# --- the disks rolled back to seqno 2, the files know seqno 4 ---
cp --sparse=always "$WORK/a-seqno2.img" "$A"; cp --sparse=always "$WORK/b-seqno2.img" "$B"
"$VGRESCUE" layout --json --vg vg_bk --backup-dir "$BK" "$A" "$B" >"$WORK/l.json" || fail "layout, older disks"
l=$(cat "$WORK/l.json")
assert_eq "2 True" "$(json_get "$l" 'j["seqno"], j["committed"]' | tr -d "(),'")" "layout, older disks: seqno, committed"
assert_eq "$A byte 5632 (metadata area at 4096, committed)" "$(json_get "$l" 'j["source"]')" "layout, older disks: source"
"$VGRESCUE" layout --vg vg_bk --backup-dir "$BK" "$A" "$B" >"$WORK/l.txt" || fail "layout text, older disks"
grep -qF "also seen: seqno 4 at backup file $BK/backup/vg_bk" "$WORK/l.txt" ||
	{ cat "$WORK/l.txt"; fail "layout, older disks: the newer backup is not named"; }
rc=0
"$VGRESCUE" restore --json vg_bk --from 4 --backup-dir "$BK" "$A" "$B" >"$WORK/r.json" 2>/dev/null || rc=$?
assert_eq 1 "$rc" "restore --from 4 without --write"
r=$(cat "$WORK/r.json")
assert_eq "backup 4 5" "$(json_get "$r" 'j["version"]["source"], j["version"]["seqno"], j["new_seqno"]' | tr -d "(),'")" \
	"restore --from 4: source, seqno, new seqno"
assert_eq "backup file $BK/backup/vg_bk" "$(json_get "$r" 'j["version"]["where"]')" "restore --from 4: the file"
# a seqno nobody has: refused, and the reason is in the report
rc=0
"$VGRESCUE" restore --json vg_bk --from 9 --write --backup-dir "$BK" "$A" "$B" >"$WORK/r.json" 2>/dev/null || rc=$?
assert_eq 1 "$rc" "restore --from 9"
assert_eq "no usable copy of VG vg_bk with seqno 9 (see vgrescue history) None" \
	"$(json_get "$(cat "$WORK/r.json")" '" ".join(j["refusals"]) + " " + str(j["version"])')" "restore --from 9: refusal"
"$VGRESCUE" restore vg_bk --from 4 --write --backup-dir "$BK" "$A" "$B" >/dev/null || fail "restore --from 4 --write"
"$VGRESCUE" layout --vg vg_bk "$A" "$B" >"$WORK/l.txt" || fail "layout after restore of seqno 4"
grep -qP '^\s*seqno = 5$' "$WORK/l.txt" && grep -q 'lv_b {' "$WORK/l.txt" && ! grep -q 'lv_a {' "$WORK/l.txt" ||
	{ cat "$WORK/l.txt"; fail "layout after restore of seqno 4: expected seqno 5 with lv_b only"; }
echo "backup and archive files chosen as expected"
