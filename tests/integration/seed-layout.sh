#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The seed layout of DESIGN.md through vgtoold (none backend, image files):
# md0, md1, md2 mirrored from six partitions of two disks; vg_raid on the
# mirrors and vg_bulk on two plain disks; LVs; md2 moved from vg_raid to
# vg_bulk; lv_rushes grown; a failed leg replaced; and the alternative: md2
# dissolved and both its legs added to vg_bulk, which grows by twice md2's
# size. mdadm --examine and stock lvm2 (one leg of each mirror exposed)
# confirm every step.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd python3 mdadm

D="$WORK/d"
mkdir -p "$D/img"
for p in sda5 sda6 sda7 sdc5 sdc6 sdc7 sde5 sdh6; do make_image "$D/img/$p.img" 128M; done
for p in sdf1 sdg1; do make_image "$D/img/$p.img" 64M; done
for p in sdb sdd; do make_image "$D/img/$p.img" 256M; done
start_daemon "$D"
img() { echo "\"$D/img/$1.img\""; }

check_legs() { # MIRROR-LEG... : mdadm agrees the legs are clean, complete members
	local leg out
	for leg in "$@"; do
		out=$(mdadm --examine "$D/img/$leg.img") || fail "mdadm --examine $leg"
		grep -q 'Checksum : .* - correct' <<<"$out" || fail "$leg: checksum not correct"
		grep -q 'Version : 1.0' <<<"$out" || fail "$leg: not md 1.0"
		grep -q 'Array State : AA ' <<<"$out" || { echo "$out"; fail "$leg: array state is not AA"; }
	done
}

# stock lvm2 sees exactly one leg of each mirror and the plain disks
check_stock() {
	[ "$(id -u)" = 0 ] && command -v lvm >/dev/null || return 0
	release_loops
	local loops=() dev
	for dev in "$@"; do loops+=("$(take_loop "$D/img/$dev.img")"); done
	use_stock_lvm "${loops[@]}"
	agree_with_stock "${loops[@]}"
	release_loops
}

for m in 5:md0 6:md1 7:md2; do
	rpc mirror.create '{"name":"'${m#*:}'","legs":['$(img sda${m%%:*})','$(img sdc${m%%:*})'],"assume_clean":true}' >/dev/null
done
[ "$(json_get "$(rpc mirror.list)" 'len(j["mirrors"])')" = 3 ] || fail "three mirrors expected"
check_legs sda5 sdc5 sda6 sdc6 sda7 sdc7

rpc vg.create '{"name":"vg_raid","pvs":["md0","md1","md2"]}' >/dev/null
rpc vg.create '{"name":"vg_bulk","pvs":['$(img sdb)','$(img sdd)']}' >/dev/null
rpc lv.create '{"vg":"vg_raid","name":"lv_files","size":"60M","pvs":["md0"]}' >/dev/null
rpc lv.create '{"vg":"vg_raid","name":"lv_vm_1","size":"40M","pvs":["md1"]}' >/dev/null
rpc lv.create '{"vg":"vg_bulk","name":"lv_rushes","size":"300M"}' >/dev/null
check_stock sda5 sdc6 sda7 sdb sdd

# every leg carries a plain-text note of where the data is: strings is enough
note=$(strings "$D/img/sdc5.img" | grep '^# ' | tail -n 12)
grep -q "vgtool rescue note for VG vg_raid" <<<"$note" || fail "no rescue note on sdc5: $note"
grep -q "mirror md0, md 1.0 raid1, data from sector 0 of each leg: $D/img/sda5.img $D/img/sdc5.img" <<<"$note" ||
	fail "the note does not name md0's legs: $note"
grep -qE "^# lv_files: pv0 bytes 1048576-[0-9]+$" <<<"$note" || fail "the note lacks lv_files' bytes: $note"

# md2 goes to vg_bulk; lv_rushes grows onto it
bulk_before=$(json_get "$(rpc vg.show '{"name":"vg_bulk"}')" 'j["vg"]["size_bytes"]')
rpc vg.move_pv '{"pv":"md2","from":"vg_raid","to":"vg_bulk"}' >/dev/null
rpc lv.resize '{"vg":"vg_bulk","name":"lv_rushes","size":"+150M"}' >/dev/null
bulk_after=$(json_get "$(rpc vg.show '{"name":"vg_bulk"}')" 'j["vg"]["size_bytes"]')
[ "$bulk_after" -gt "$bulk_before" ] || fail "vg_bulk did not grow by md2"
assert_eq 113 "$(json_get "$(rpc lv.show '{"vg":"vg_bulk","name":"lv_rushes"}')" 'j["lv"]["extents"]')" "lv_rushes extents"
check_legs sda7 sdc7
check_stock sdc5 sda6 sdc7 sdb sdd

# a leg fails and is replaced: the mirror is degraded, then recovers
rpc mirror.fail_leg '{"name":"md0","device":'$(img sdc5)'}' >/dev/null
assert_eq degraded "$(json_get "$(rpc mirror.show '{"name":"md0"}')" 'j["mirror"]["state"]')" "md0 after a failed leg"
# a failed leg holds no slot any more: it is removed and a new device added (mdadm's way)
rpc mirror.remove_leg '{"name":"md0","device":'$(img sdc5)'}' >/dev/null
# the copy runs as a job: the reply names it
wait_job "$(json_get "$(rpc mirror.add_leg '{"name":"md0","device":'$(img sde5)'}')" 'j["job"]["id"]')"
assert_eq clean "$(json_get "$(rpc mirror.show '{"name":"md0"}')" 'j["mirror"]["state"]')" "md0 after the replacement"
size=$(json_get "$(rpc mirror.show '{"name":"md0"}')" 'j["mirror"]["size_bytes"]')
cmp -n "$size" "$D/img/sda5.img" "$D/img/sde5.img" || fail "the new leg does not hold the mirror's data"
check_legs sda5 sde5

# scrub: clean legs compare equal; a sector changed behind md's back is
# counted by check and put right by repair
# (a job each: its result holds the counts)
scrub() { # ACTION: the finished scrub job's result
	local id
	id=$(json_get "$(rpc mirror.scrub '{"name":"md1","action":"'$1'"}')" 'j["job"]["id"]')
	wait_job "$id" done
	json_get "$(rpc job.show '{"id":'$id'}')" 'json.dumps(j["job"]["result"])'
}
out=$(scrub check)
assert_eq 0 "$(json_get "$out" 'j["mismatch_cnt"]')" "mismatches on a clean mirror"
assert_eq "$(($(json_get "$(rpc mirror.show '{"name":"md1"}')" 'j["mirror"]["size_bytes"]') / 512))" \
	"$(json_get "$out" 'j["checked_sectors"]')" "sectors checked"
dd if=/dev/urandom of="$D/img/sdc6.img" bs=512 seek=5000 count=3 conv=notrunc status=none
assert_eq 3 "$(json_get "$(scrub check)" 'j["mismatch_cnt"]')" "mismatches after damaging sdc6"
out=$(scrub repair)
assert_eq 3 "$(json_get "$out" 'j["repaired_sectors"]')" "sectors repaired"
assert_eq 0 "$(json_get "$(scrub check)" 'j["mismatch_cnt"]')" "mismatches after repair"

# a working leg is replaced in place by a new device, which gets the data
wait_job "$(json_get "$(rpc mirror.replace_leg '{"name":"md1","old":'$(img sdc6)',"new":'$(img sdh6)'}')" 'j["job"]["id"]')"
assert_eq clean "$(json_get "$(rpc mirror.show '{"name":"md1"}')" 'j["mirror"]["state"]')" "md1 after the replacement"
size=$(json_get "$(rpc mirror.show '{"name":"md1"}')" 'j["mirror"]["size_bytes"]')
cmp -n "$size" "$D/img/sda6.img" "$D/img/sdh6.img" || fail "the replacing leg does not hold md1's data"
check_legs sda6 sdh6

# the alternative: instead of lending md2 to vg_bulk, dissolve it and give
# vg_bulk both legs. First take md2 back out (lv_rushes shrinks off it).
rpc lv.resize '{"vg":"vg_bulk","name":"lv_rushes","size":"-150M","force":true}' >/dev/null
rpc vg.reduce '{"name":"vg_bulk","pvs":["md2"]}' >/dev/null
bulk_before=$(json_get "$(rpc vg.show '{"name":"vg_bulk"}')" 'j["vg"]["size_bytes"]')
md2_size=$(json_get "$(rpc mirror.show '{"name":"md2"}')" 'j["mirror"]["size_bytes"]')
rpc mirror.dissolve '{"name":"md2"}' >/dev/null
! mdadm --examine "$D/img/sda7.img" >/dev/null 2>&1 || fail "sda7 still carries an md superblock"
! mdadm --examine "$D/img/sdc7.img" >/dev/null 2>&1 || fail "sdc7 still carries an md superblock"
rpc vg.extend '{"name":"vg_bulk","pvs":['$(img sda7)','$(img sdc7)']}' >/dev/null
bulk_after=$(json_get "$(rpc vg.show '{"name":"vg_bulk"}')" 'j["vg"]["size_bytes"]')
grown=$((bulk_after - bulk_before))
[ "$grown" -ge $((2 * md2_size - 2 * 4 * 1048576 - 2 * 1048576)) ] ||
	fail "vg_bulk grew by $grown bytes, not about twice md2's $md2_size"
rpc lv.resize '{"vg":"vg_bulk","name":"lv_rushes","size":"+200M"}' >/dev/null
check_stock sda5 sdh6 sda7 sdc7 sdb sdd

# a mirror nobody uses can be removed; one that is a PV cannot
rpc mirror.create '{"name":"md9","legs":['$(img sdf1)','$(img sdg1)'],"assume_clean":true}' >/dev/null
out=$(rpc mirror.remove '{"name":"md0"}' || true)
[ "$(json_get "$out" 'j["data"]["reason"]')" = EBUSY ] || fail "removing md0, a PV of vg_raid: $out"
rpc mirror.remove '{"name":"md9"}' >/dev/null
! mdadm --examine "$D/img/sdf1.img" >/dev/null 2>&1 || fail "sdf1 still carries an md superblock"

# and everything is found again after a restart
before=$(rpc lv.list)
stop_daemon
start_daemon "$D"
assert_eq "$before" "$(rpc lv.list)" "LVs after a restart"
echo "the seed layout works end to end"
