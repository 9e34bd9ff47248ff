#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# md 1.0 superblocks written by our library, judged by stock mdadm: legs are
# written with tests/tools/md-write-leg onto sparse image files (no root, no
# md driver: `mdadm --examine` reads regular files), then mdadm --examine and
# --examine --export must show what we wrote, with a correct checksum, and
# `vgrescue md examine` (text and --json) must agree with mdadm field by
# field. Damaged and truncated legs must be refused with a clear message.
. "$top_srcdir/tests/integration/lib.sh"

require_cmd mdadm python3

WRITE_LEG="$TOOLS/md-write-leg"
[ -x "$WRITE_LEG" ] || fail "missing $WRITE_LEG (make check builds it)"
[ -x "$VGRESCUE" ] || fail "missing $VGRESCUE"

# Times are printed in local time by both tools; pin the zone so they compare.
export TZ=UTC
# Not this machine's name, or mdadm adds "(local to host ...)" to the Name line.
HOMEHOST=vgtool-it-host

UUID_A=0a1b2c3d:4e5f6071:8293a4b5:c6d7e8f9
UUID_B=f0e1d2c3:b4a59687:78695a4b:3c2d1e0f

# assert_eq that refuses the vacuous case of two empty values (a field neither tool printed).
agree() {
	[ -n "$1" ] || fail "$3: no value"
	assert_eq "$1" "$2" "$3"
}

# "Field|value" for every "Field : value" line of an examine report.
report_fields() {
	sed -n 's/^ *\([A-Za-z][A-Za-z ]*[A-Za-z]\) : \(.*\)$/\1|\2/p'
}

# KEY=VALUE lines of vgrescue's JSON report of IMG (superblock fields, plus valid=).
json_fields() {
	"$VGRESCUE" md examine --json "$1" 2>/dev/null | python3 -c '
import json, sys
for dev in json.load(sys.stdin)["devices"]:
    for key, value in sorted((dev["superblock"] or {}).items()):
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif value is None:
            value = "null"
        elif key.startswith("checksum") and not key.endswith("correct"):
            value = "%x" % value  # as mdadm prints it
        print("%s=%s" % (key, value))
    print("valid=%s" % ("true" if dev["valid"] else "false"))
'
}

# Examine IMG once with each tool and each output form; the *_field helpers
# below read these reports (running the tools once per field is slow).
EXAMINED=
examine() {
	EXAMINED=$1
	mdadm --examine "$1" 2>/dev/null | report_fields >"$WORK/mdadm.txt"
	mdadm --examine --export "$1" 2>/dev/null >"$WORK/mdadm-export.txt" || true
	"$VGRESCUE" md examine "$1" 2>/dev/null | report_fields >"$WORK/ours.txt"
	json_fields "$1" >"$WORK/ours-json.txt"
}

# Examine IMG unless it was the last one examined.
examined() {
	[ "$EXAMINED" = "$1" ] || examine "$1"
}

# The value of FIELD in mdadm --examine of the last examined image.
mdadm_field() {
	sed -n "s/^$1|//p" "$WORK/mdadm.txt"
}

# The value of KEY in mdadm --examine --export.
mdadm_export() {
	sed -n "s/^$1=//p" "$WORK/mdadm-export.txt"
}

# The value of KEY in vgrescue md examine --json.
json_field() {
	sed -n "s/^$1=//p" "$WORK/ours-json.txt"
}

# mdadm and vgrescue print these fields the same way; compare them as text.
COMMON_FIELDS=("Magic" "Version" "Feature Map" "Array UUID" "Name" "Creation Time" "Raid Level"
	"Raid Devices" "Avail Dev Size" "Array Size" "Used Dev Size" "Super Offset" "State"
	"Device UUID" "Update Time" "Bad Block Log" "Checksum" "Events" "Array State")

same_as_mdadm() {
	local img=$1 field theirs ours
	shift
	examined "$img"
	for field in "${COMMON_FIELDS[@]}" "$@"; do
		theirs=$(grep "^$field|" "$WORK/mdadm.txt") || fail "$img: mdadm shows no '$field'"
		ours=$(grep "^$field|" "$WORK/ours.txt") || fail "$img: vgrescue shows no '$field'"
		agree "$theirs" "$ours" "$img: '$field' (mdadm, then vgrescue)"
	done
	# The JSON carries the same facts as the text.
	agree "$(mdadm_export MD_UUID)" "$(json_field array_uuid)" "$img: JSON array_uuid"
	agree "$(mdadm_export MD_NAME)" "$(json_field name)" "$img: JSON name"
	agree "$(mdadm_export MD_LEVEL)" "$(json_field raid_level)" "$img: JSON raid_level"
	agree "$(mdadm_export MD_DEVICES)" "$(json_field raid_devices)" "$img: JSON raid_devices"
	agree "$(mdadm_export MD_EVENTS)" "$(json_field events)" "$img: JSON events"
	agree "$(mdadm_export MD_DEV_UUID)" "$(json_field device_uuid)" "$img: JSON device_uuid"
	agree "$(mdadm_export MD_UPDATE_TIME)" "$(json_field update_time)" "$img: JSON update_time"
	agree "$(mdadm_field "Avail Dev Size" | cut -d' ' -f1)" "$(json_field avail_dev_size_sectors)" \
		"$img: JSON avail_dev_size_sectors"
	agree "$(mdadm_field "Used Dev Size" | cut -d' ' -f1)" "$(json_field used_dev_size_sectors)" \
		"$img: JSON used_dev_size_sectors"
	agree "$(mdadm_field "Super Offset")" "$(json_field super_offset_sectors) sectors" \
		"$img: JSON super_offset_sectors"
	agree "$(mdadm_field "State")" "$(json_field state)" "$img: JSON state"
	agree "$(mdadm_field "Checksum" | cut -d' ' -f1)" "$(json_field checksum)" "$img: JSON checksum"
	agree "$(mdadm_field "Array State" | cut -d' ' -f1)" "$(json_field array_state)" \
		"$img: JSON array_state"
	agree true "$(json_field checksum_correct)" "$img: JSON checksum_correct"
	agree true "$(json_field valid)" "$img: JSON valid"
}

# check_leg IMG UUID NAME DEVICES ROLE STATE EVENTS: what we asked md-write-leg for, as mdadm sees it.
check_leg() {
	local img=$1 uuid=$2 name=$3 devices=$4 role=$5 state=$6 events=$7
	local sectors=$(($(stat -c %s "$img") / 512))
	local sb_sector=$(((sectors - 16) & ~7))

	examined "$img"
	agree a92b4efc "$(mdadm_field Magic)" "$img: Magic"
	agree 1.0 "$(mdadm_field Version)" "$img: Version"
	agree "$uuid" "$(mdadm_field "Array UUID")" "$img: Array UUID"
	agree "$uuid" "$(mdadm_export MD_UUID)" "$img: MD_UUID"
	agree "$name" "$(mdadm_field Name)" "$img: Name"
	agree "$name" "$(mdadm_export MD_NAME)" "$img: MD_NAME"
	agree raid1 "$(mdadm_field "Raid Level")" "$img: Raid Level"
	agree raid1 "$(mdadm_export MD_LEVEL)" "$img: MD_LEVEL"
	agree "$devices" "$(mdadm_field "Raid Devices")" "$img: Raid Devices"
	agree "$devices" "$(mdadm_export MD_DEVICES)" "$img: MD_DEVICES"
	agree "$role" "$(mdadm_field "Device Role")" "$img: Device Role"
	agree "$sb_sector sectors" "$(mdadm_field "Super Offset")" "$img: Super Offset"
	agree "$state" "$(mdadm_field State)" "$img: State"
	agree "$events" "$(mdadm_field Events)" "$img: Events"
	agree "$events" "$(mdadm_export MD_EVENTS)" "$img: MD_EVENTS"
	mdadm_field Checksum | grep -q -- ' - correct$' ||
		fail "$img: mdadm says the checksum is wrong: $(mdadm_field Checksum)"
}

# check_sizes IMG AVAIL USED: Avail Dev Size (data_size) and Used Dev Size (component size).
check_sizes() {
	examined "$1"
	agree "$2" "$(mdadm_field "Avail Dev Size" | cut -d' ' -f1)" "$1: Avail Dev Size"
	agree "$3" "$(mdadm_field "Used Dev Size" | cut -d' ' -f1)" "$1: Used Dev Size"
}

write_leg() {
	"$WRITE_LEG" "$@" >/dev/null || fail "md-write-leg $* failed"
}

# ---- a two-leg mirror, 70 MiB legs (FORMATS 4.1: superblock at sector 143344) ----
for i in 0 1; do
	make_image "$WORK/m2-$i.img" 70M
	write_leg --uuid "$UUID_A" --name md0 --homehost "$HOMEHOST" --raid-disks 2 --dev-number "$i" \
		--events 3 --ctime 1700000000 "$WORK/m2-$i.img"
done
for i in 0 1; do
	check_leg "$WORK/m2-$i.img" "$UUID_A" "$HOMEHOST:md0" 2 "Active device $i" clean 3
	# mdadm --create's numbers for 70 MiB: 4 KiB bitmap room + 8-sector log; size in 64 KiB steps.
	check_sizes "$WORK/m2-$i.img" 143328 143232
	agree "143344 sectors" "$(mdadm_field "Super Offset")" "m2-$i: Super Offset"
	agree "AA ('A' == active, '.' == missing, 'R' == replacing)" \
		"$(mdadm_field "Array State")" "m2-$i: Array State"
	agree "Tue Nov 14 22:13:20 2023" "$(mdadm_field "Creation Time")" "m2-$i: Creation Time"
	same_as_mdadm "$WORK/m2-$i.img" "Device Role"
done
# Both legs name the same array; their device uuids differ.
examine "$WORK/m2-0.img"
dev_uuid_0=$(mdadm_export MD_DEV_UUID)
examine "$WORK/m2-1.img"
[ "$dev_uuid_0" != "$(mdadm_export MD_DEV_UUID)" ] || fail "two legs got the same device uuid"
mdadm --examine --brief "$WORK/m2-0.img" "$WORK/m2-1.img" | sort -u >"$WORK/brief.txt"
agree 1 "$(wc -l <"$WORK/brief.txt")" "mdadm --examine --brief sees one array"
grep -q "metadata=1.0 UUID=$UUID_A name=$HOMEHOST:md0" "$WORK/brief.txt" ||
	fail "mdadm --examine --brief: $(cat "$WORK/brief.txt")"
"$VGRESCUE" md examine "$WORK/m2-0.img" "$WORK/m2-1.img" >/dev/null || fail "vgrescue md examine of two good legs failed"

# ---- a three-leg mirror with a spare, legs just over 8 GiB (64 KiB bitmap room) ----
for i in 0 1 2 3; do
	make_image "$WORK/m3-$i.img" 9G
	write_leg --uuid "$UUID_B" --name data --raid-disks 3 --dev-number "$i" --roles 0,1,2,spare \
		--events 1234567 "$WORK/m3-$i.img"
done
sectors=$((9 * 1024 * 1024 * 2))
sb_sector=$(((sectors - 16) & ~7))
for i in 0 1 2; do
	check_leg "$WORK/m3-$i.img" "$UUID_B" data 3 "Active device $i" clean 1234567
	check_sizes "$WORK/m3-$i.img" $((sb_sector - 128 - 8)) $(((sectors - 24 - 128) / 128 * 128))
	same_as_mdadm "$WORK/m3-$i.img" "Device Role"
done
check_leg "$WORK/m3-3.img" "$UUID_B" data 3 spare clean 1234567
same_as_mdadm "$WORK/m3-3.img" "Device Role"
agree spare "$(json_field role)" "m3-3: JSON role"
agree null "$(json_field slot)" "m3-3: JSON slot"
examine "$WORK/m3-1.img"
agree 1 "$(json_field slot)" "m3-1: JSON slot"

# A leg whose set lists slot 2's device as failed: mdadm shows the slot missing.
make_image "$WORK/failed.img" 9G
write_leg --uuid "$UUID_B" --name data --raid-disks 3 --dev-number 0 --roles 0,1 --faulty-slot 2 \
	--events 1234568 "$WORK/failed.img"
check_leg "$WORK/failed.img" "$UUID_B" data 3 "Active device 0" clean 1234568
agree "AA. ('A' == active, '.' == missing, 'R' == replacing)" \
	"$(mdadm_field "Array State")" "failed.img: Array State"
same_as_mdadm "$WORK/failed.img" "Device Role"
# The failed device's own superblock: mdadm calls every non-slot role "spare"; we say faulty.
make_image "$WORK/faulty.img" 9G
write_leg --uuid "$UUID_B" --name data --raid-disks 3 --dev-number 2 --role faulty --roles 0,1 \
	--events 1234568 "$WORK/faulty.img"
check_leg "$WORK/faulty.img" "$UUID_B" data 3 spare clean 1234568
same_as_mdadm "$WORK/faulty.img"
agree faulty "$(json_field role)" "faulty.img: JSON role"

# ---- a dirty leg: State active (resync_offset 0) ----
make_image "$WORK/dirty.img" 70M
write_leg --uuid "$UUID_A" --name md0 --homehost "$HOMEHOST" --dev-number 1 --dirty --events 4 "$WORK/dirty.img"
check_leg "$WORK/dirty.img" "$UUID_A" "$HOMEHOST:md0" 2 "Active device 1" active 4
same_as_mdadm "$WORK/dirty.img" "Device Role"
agree false "$(json_field clean)" "dirty.img: JSON clean"

# ---- odd sizes ----
# Not a multiple of 4 KiB: the superblock rounds down to a 4 KiB boundary.
make_image "$WORK/odd.img" $((100 * 1024 * 1024 + 5 * 512))
write_leg --uuid "$UUID_A" --name odd --raid-disks 1 "$WORK/odd.img"
sectors=$((100 * 1024 * 2 + 5))
sb_sector=$(((sectors - 16) & ~7))
check_leg "$WORK/odd.img" "$UUID_A" odd 1 "Active device 0" clean 0
check_sizes "$WORK/odd.img" $((sb_sector - 16)) $((((sectors & ~7) - 24 - 8) / 128 * 128))
same_as_mdadm "$WORK/odd.img" "Device Role"
# An explicit component size smaller than the room.
make_image "$WORK/sized.img" 70M
write_leg --uuid "$UUID_A" --name sized --size 100000 "$WORK/sized.img"
check_sizes "$WORK/sized.img" 143328 100000
same_as_mdadm "$WORK/sized.img" "Device Role"
# A small leg (under 64 KiB of device: no bitmap room, only the log).
make_image "$WORK/small.img" 48K
write_leg --uuid "$UUID_A" --name small --size 40 "$WORK/small.img"
check_leg "$WORK/small.img" "$UUID_A" small 2 "Active device 0" clean 0
check_sizes "$WORK/small.img" 72 40
same_as_mdadm "$WORK/small.img" "Device Role"
# From 200 GiB: 128 KiB of bitmap room (a sparse file; only the tail is written).
if make_image "$WORK/big.img" 201G 2>/dev/null; then
	write_leg --uuid "$UUID_A" --name big "$WORK/big.img"
	sectors=$((201 * 1024 * 1024 * 2))
	sb_sector=$(((sectors - 16) & ~7))
	check_leg "$WORK/big.img" "$UUID_A" big 2 "Active device 0" clean 0
	check_sizes "$WORK/big.img" $((sb_sector - 256 - 8)) $(((sectors - 24 - 256) / 128 * 128))
	same_as_mdadm "$WORK/big.img" "Device Role"
	rm -f "$WORK/big.img"
fi

# ---- a corrupted checksum ----
cp --sparse=always "$WORK/m2-0.img" "$WORK/corrupt.img"
# Flip one byte of sb_csum (byte 216 of the superblock at sector 143344).
byte=$(od -An -tu1 -j $((143344 * 512 + 216)) -N1 "$WORK/corrupt.img" | tr -d ' ')
printf "\\$(printf '%03o' $((byte ^ 0x5a)))" |
	dd of="$WORK/corrupt.img" bs=1 seek=$((143344 * 512 + 216)) conv=notrunc status=none
examine "$WORK/corrupt.img"
mdadm_field Checksum | grep -q -- ' - expected ' ||
	fail "mdadm does not notice the corrupted checksum: $(mdadm_field Checksum)"
rc=0
"$VGRESCUE" md examine "$WORK/corrupt.img" >"$WORK/out.txt" 2>"$WORK/err.txt" || rc=$?
agree 1 "$rc" "vgrescue exit code on a bad checksum"
grep -q "corrupt.img: md superblock at sector 143344: checksum 0x[0-9a-f]* does not match computed 0x" "$WORK/err.txt" ||
	fail "vgrescue's message on a bad checksum: $(cat "$WORK/err.txt")"
# It still shows the superblock, and its "expected" is mdadm's.
agree "$(mdadm_field Checksum)" "$(report_fields <"$WORK/out.txt" | sed -n 's/^Checksum|//p')" \
	"corrupt.img: Checksum line"
agree "$(mdadm_field Checksum | awk '{print $4}')" "$(json_field checksum_expected)" \
	"corrupt.img: JSON checksum_expected"
agree false "$(json_field checksum_correct)" "corrupt.img: JSON checksum_correct"
agree false "$(json_field valid)" "corrupt.img: JSON valid"
# One bad device among good ones still fails the whole run.
rc=0
"$VGRESCUE" md examine "$WORK/m2-1.img" "$WORK/corrupt.img" >/dev/null 2>&1 || rc=$?
agree 1 "$rc" "vgrescue exit code with one bad device of two"

# ---- truncated devices ----
cp --sparse=always "$WORK/m2-1.img" "$WORK/short.img"
truncate -s -4096 "$WORK/short.img"
mdadm --examine "$WORK/short.img" >/dev/null 2>&1 && fail "mdadm still finds a superblock on a truncated leg"
rc=0
"$VGRESCUE" md examine "$WORK/short.img" >/dev/null 2>"$WORK/err.txt" || rc=$?
agree 1 "$rc" "vgrescue exit code on a truncated leg"
grep -q "short.img: no md superblock found (looked for 1.0 at sector 143336" "$WORK/err.txt" ||
	fail "vgrescue's message on a truncated leg: $(cat "$WORK/err.txt")"
truncate -s 5K "$WORK/short.img"
rc=0
"$VGRESCUE" md examine --json "$WORK/short.img" >"$WORK/out.json" 2>"$WORK/err.txt" || rc=$?
agree 1 "$rc" "vgrescue exit code on a 10-sector device"
grep -q "short.img: no md superblock found: the device has 10 sectors, an md superblock needs at least 24" \
	"$WORK/err.txt" || fail "vgrescue's message on a tiny device: $(cat "$WORK/err.txt")"
python3 -c 'import json, sys
dev = json.load(open(sys.argv[1]))["devices"][0]
assert dev["found"] is False and dev["valid"] is False and dev["error_code"] == "ENODATA", dev' "$WORK/out.json" ||
	fail "vgrescue --json on a tiny device: $(cat "$WORK/out.json")"

# ---- usage errors ----
rc=0
"$VGRESCUE" md examine >/dev/null 2>&1 || rc=$?
agree 2 "$rc" "vgrescue md examine without a device"
rc=0
"$VGRESCUE" md examine --no-such-option "$WORK/m2-0.img" >/dev/null 2>&1 || rc=$?
agree 2 "$rc" "vgrescue md examine with an unknown option"
"$VGRESCUE" md examine --help | grep -q "Usage: vgrescue md examine" || fail "vgrescue md examine --help"

echo "md-examine: mdadm and vgrescue agree on every leg"
