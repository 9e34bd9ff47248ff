#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vgrescue extract of a striped LV that stock lvm2 made: two stripes of
# 64 KiB over two PVs, then two more stripes on another pair of PVs, then a
# linear tail, with another LV in between so the segments cannot merge.
# The PVs' data areas are filled with random bytes; the expected LV image is
# assembled by a small independent reference (tests/integration/
# stripe-reference.py) from stock lvm2's own report of the segments, so
# vgrescue's parser and mapping are judged by lvm2, not by themselves.
# The --json report must name every piece read at the offsets lvm2 reports;
# the recipe's commands, run as printed, show stock lvm2 the VG read-only.
. "$top_srcdir/tests/integration/lib.sh"
require_root
require_cmd lvm python3

for p in a b c; do make_image "$WORK/$p.img" 24M; done
la=$(take_loop "$WORK/a.img"); lb=$(take_loop "$WORK/b.img"); lc=$(take_loop "$WORK/c.img")
use_stock_lvm "$la" "$lb" "$lc"
lvm_q() { stock_lvm "$@" --driverloaded n >/dev/null 2>"$WORK/lvm.err" || { cat "$WORK/lvm.err"; fail "lvm $*"; }; }
lvm_q pvcreate -q "$la" "$lb" "$lc"
lvm_q vgcreate -q -s 1M vg_str "$la" "$lb" "$lc"
lvm_q lvcreate -q -an -Zn -i2 -I64k -L 6M -n lv_str vg_str "$la" "$lb"
lvm_q lvcreate -q -an -Zn -L 2M -n lv_gap vg_str "$lb"
lvm_q lvextend -q -i2 -I64k -L +4M vg_str/lv_str "$lb" "$lc"
lvm_q lvextend -q -i1 -L +3M vg_str/lv_str "$la"

# lvm2's view of the segments: the reference below works from this alone
stock_lvm lvs --segments -o lv_name,seg_start_pe,seg_size_pe,stripes,stripe_size,seg_pe_ranges \
	--units s --nosuffix --reportformat json vg_str/lv_str >"$WORK/segs.json" 2>/dev/null
stock_lvm pvs -o pv_name,pe_start --units b --nosuffix --reportformat json >"$WORK/pvs.json" 2>/dev/null
stock_lvm vgs -o vg_extent_size --units b --nosuffix --noheadings vg_str >"$WORK/ext.txt" 2>/dev/null
nsegs=$(json_get "$(cat "$WORK/segs.json")" 'len(j["report"][0]["seg"])')
assert_eq 3 "$nsegs" "segments of lv_str in lvm2's report"

# random bytes in every PV's data area (metadata untouched: pe_start is 1 MiB)
for p in a b c; do
	head -c 23M /dev/urandom | dd of="$WORK/$p.img" bs=1M seek=1 conv=notrunc status=none
done

# the reference image, with loop devices named as lvm2 saw them mapped back to the images
python3 "$top_srcdir/tests/integration/stripe-reference.py" "$WORK/segs.json" "$WORK/pvs.json" \
	"$(tr -d ' ' <"$WORK/ext.txt")" "$la=$WORK/a.img" "$lb=$WORK/b.img" "$lc=$WORK/c.img" \
	>"$WORK/expected.img" 2>"$WORK/ref.pieces" || fail "stripe reference failed"
assert_eq $((13 << 20)) "$(stat -c %s "$WORK/expected.img")" "size of the reference image"

"$VGRESCUE" extract --json vg_str/lv_str --to "$WORK/lv_str.out" "$WORK/a.img" "$WORK/b.img" "$WORK/c.img" \
	>"$WORK/extract.json" 2>"$WORK/extract.err" || { cat "$WORK/extract.err"; fail "extract lv_str"; }
assert_eq "$(md5sum <"$WORK/expected.img")" "$(md5sum <"$WORK/lv_str.out")" "checksum of the striped LV"

# the report: every piece read where lvm2 says it is, every byte written, nothing to compare against
j=$(cat "$WORK/extract.json")
assert_eq $((13 << 20)) "$(json_get "$j" 'j["bytes_written"]')" "bytes_written"
assert_eq $((13 << 20)) "$(json_get "$j" 'j["size_bytes"]')" "size_bytes"
assert_eq single-copy "$(json_get "$j" 'j["verification"]["status"]')" "verification status"
pieces=$(json_get "$j" '" ".join("%d:%d:%s:%d:%d:%d" % (r["segment"], r["stripe"], r["device"].rsplit("/", 1)[1],
	r["offset_bytes"], r["length_bytes"], r["chunk_bytes"]) for r in j["reads"])')
assert_eq "$(tr '\n' ' ' <"$WORK/ref.pieces" | sed 's/ $//')" "$pieces" "pieces read (segment:stripe:device:offset:length:chunk)"
assert_eq "1:0:a.img:1048576:3145728:65536" "${pieces%% *}" "first piece"

# to standard output the same bytes; --json with it is a usage error (both want stdout)
"$VGRESCUE" extract vg_str/lv_str --to - "$WORK/a.img" "$WORK/b.img" "$WORK/c.img" 2>/dev/null |
	cmp - "$WORK/expected.img" || fail "extract --to - differs"
rc=0
"$VGRESCUE" extract --json vg_str/lv_str --to - "$WORK/a.img" "$WORK/b.img" "$WORK/c.img" >/dev/null 2>"$WORK/err" || rc=$?
assert_eq 2 "$rc" "extract --json --to -"
grep -q 'give --to FILE' "$WORK/err" || fail "extract --json --to -: message"

# one PV missing: a clear refusal that names it, nothing written
rm -f "$WORK/partial.out"
rc=0
"$VGRESCUE" extract vg_str/lv_str --to "$WORK/partial.out" "$WORK/a.img" "$WORK/b.img" 2>"$WORK/err" || rc=$?
assert_eq 1 "$rc" "extract with a PV missing"
grep -q 'is on none of the devices given' "$WORK/err" || { cat "$WORK/err"; fail "extract with a PV missing: message"; }
[ ! -e "$WORK/partial.out" ] || fail "extract with a PV missing created its output"
# recipe --json: its commands run as printed with stock lvm2 (up to activation, which needs
# device-mapper): the image files on read-only loop devices, lvm2 limited to them, the LV found
release_loops
"$VGRESCUE" recipe --json vg_str/lv_str "$WORK/a.img" "$WORK/b.img" "$WORK/c.img" >"$WORK/recipe.json" || fail "recipe --json"
json_get "$(cat "$WORK/recipe.json")" '"\n".join(j["commands"])' >"$WORK/recipe.sh"
mkdir -p "$WORK/rlvm/lock"
cat >"$WORK/rlvm/lvm.conf" <<EOC
devices { obtain_device_list_from_udev = 0 external_device_info_source = "none" hints = "none" write_cache_state = 0 }
global { activation = 0 use_lvmlockd = 0 event_activation = 0 locking_dir = "$WORK/rlvm/lock" }
activation { udev_sync = 0 udev_rules = 0 monitoring = 0 }
backup { backup = 0 archive = 0 }
EOC
(
	export LVM_SYSTEM_DIR="$WORK/rlvm" LVM_SUPPRESS_FD_WARNINGS=1
	eval "$(sed -n '1,/^lvm vgs /p' "$WORK/recipe.sh")" >"$WORK/recipe.out" 2>"$WORK/recipe.err"
	printf '%s\n' "$LOOP1" "$LOOP2" "$LOOP3" >>"$LOOP_REGISTRY"
	# shellcheck disable=SC2086
	lvm lvs --noheadings -o lv_name,seg_count $OPTS vg_str >>"$WORK/recipe.out" 2>>"$WORK/recipe.err"
	eval "$(grep '^losetup -d ' "$WORK/recipe.sh")"
) || { cat "$WORK/recipe.sh" "$WORK/recipe.err"; fail "the recipe's commands failed"; }
grep -q '^ *vg_str  *3 ' "$WORK/recipe.out" || { cat "$WORK/recipe.out" "$WORK/recipe.err"; fail "recipe: lvm vgs does not show vg_str with 3 PVs"; }
grep -qE '^ *lv_str +3$' "$WORK/recipe.out" || { cat "$WORK/recipe.out"; fail "recipe: lvm lvs does not show lv_str in 3 segments"; }
assert_eq "lvm lvchange -ay --readonly \$OPTS vg_str/lv_str" \
	"$(json_get "$(cat "$WORK/recipe.json")" '[c for s in j["lvm2_steps"] for c in s["commands"] if "lvchange" in c][0]')" \
	"recipe: the activation step"
echo "striped LV of stock lvm2 extracted bit-exact"
