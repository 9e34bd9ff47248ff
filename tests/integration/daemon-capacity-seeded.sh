#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# capacity.apply on generated layouts (none backend, image files), one per
# seed: mirrors in vg_r (which therefore requires redundancy), plain disks in
# vg_b, an LV of random size on each, a random want for vg_b. When the plan
# is possible, applying it ends with every VG's free space exactly what the
# plan said, vg_b's want met, vg_r still on mirrors only and every LV
# reading back its data; when it is not, the refusal changes no image.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd python3 sha256sum cmp
[ -x "$TOOLS/pv-move-tool" ] || fail "$TOOLS/pv-move-tool is not built"
MIB=$((1 << 20))
applied=0 refused=0

for seed in 1 2 3 4 5 6; do
	D="$WORK/s$seed"
	mkdir -p "$D/img"
	# the layout: "mirror NAME SIZE_MIB LV_EXTENTS", "plain NAME SIZE_MIB LV_EXTENTS", "want MIB"
	python3 - "$seed" >"$D/layout" <<'EOF'
import random, sys
r = random.Random(int(sys.argv[1]))
for i in range(r.randint(2, 3)):
    size = r.choice([24, 32, 40])
    print("mirror md%d %d %d" % (i, size, r.randint(0, (size - 1) // 4 - 1)))
for i in range(r.randint(1, 2)):
    size = r.choice([32, 48])
    print("plain d%d %d %d" % (i, size, r.randint(1, (size - 1) // 4 - 1)))
print("want %d" % r.choice([8, 16, 24, 40, 120]))
EOF
	while read -r kind name size extents; do
		case $kind in
		mirror) make_image "$D/img/${name}a.img" "${size}M"; make_image "$D/img/${name}b.img" "${size}M" ;;
		plain) make_image "$D/img/$name.img" "${size}M" ;;
		esac
	done <"$D/layout"
	start_daemon "$D"
	mirrors=() plains=()
	while read -r kind name size extents; do
		case $kind in
		mirror)
			rpc mirror.create '{"name":"'$name'","legs":["'"$D/img/${name}a.img"'","'"$D/img/${name}b.img"'"],"assume_clean":true}' >/dev/null
			mirrors+=("\"$name\"") ;;
		plain) plains+=("\"$D/img/$name.img\"") ;;
		want) want=$name ;;
		esac
	done <"$D/layout"
	rpc vg.create '{"name":"vg_r","pvs":['"$(IFS=,; echo "${mirrors[*]}")"']}' >/dev/null
	rpc vg.create '{"name":"vg_b","pvs":['"$(IFS=,; echo "${plains[*]}")"']}' >/dev/null
	while read -r kind name size extents; do
		case $kind in
		mirror) [ "$extents" -gt 0 ] || continue
			rpc lv.create '{"vg":"vg_r","name":"lv_'$name'","extents":'$extents',"pvs":["'$name'"]}' >/dev/null ;;
		plain) rpc lv.create '{"vg":"vg_b","name":"lv_'$name'","extents":'$extents',"pvs":["'"$D/img/$name.img"'"]}' >/dev/null ;;
		esac
	done <"$D/layout"
	stop_daemon
	# each LV's data, on both legs of a mirror
	lvs=()
	legs_a=$(ls "$D"/img/md*a.img | paste -sd,) legs_b=$(ls "$D"/img/md*b.img | paste -sd,)
	plain_devs=$(ls "$D"/img/d*.img | paste -sd,)
	while read -r kind name size extents; do
		[ "$kind" != want ] && [ "$extents" -gt 0 ] || continue
		head -c $((extents * 4 * MIB)) /dev/urandom >"$WORK/lv_$name.data"
		if [ "$kind" = mirror ]; then
			"$TOOLS/pv-move-tool" --devices "$legs_a" lv-write vg_r "lv_$name" <"$WORK/lv_$name.data"
			"$TOOLS/pv-move-tool" --devices "$legs_b" lv-write vg_r "lv_$name" <"$WORK/lv_$name.data"
		else
			"$TOOLS/pv-move-tool" --devices "$plain_devs" lv-write vg_b "lv_$name" <"$WORK/lv_$name.data"
		fi
		lvs+=("$kind:lv_$name")
	done <"$D/layout"

	start_daemon "$D"
	plan=$(rpc capacity.plan '{"wants":["vg_b=+'$want'M"]}')
	free_b=$(json_get "$(rpc vg.show '{"name":"vg_b"}')" 'j["vg"]["free_bytes"]')
	if [ "$(json_get "$plan" 'j["plan"]["possible"]')" != True ]; then
		sha256sum "$D"/img/*.img >"$WORK/sums.before"
		rpc capacity.apply '{"wants":["vg_b=+'$want'M"]}' >"$WORK/out" 2>&1 && fail "seed $seed: an impossible plan was applied"
		grep -q "no plan reaches" "$WORK/out" || fail "seed $seed: $(cat "$WORK/out")"
		sha256sum "$D"/img/*.img | cmp -s - "$WORK/sums.before" || fail "seed $seed: a refused plan changed the images"
		echo "seed $seed: vg_b=+${want}M refused: $(json_get "$plan" 'j["plan"]["reason"]')"
		refused=$((refused + 1))
		stop_daemon
		continue
	fi
	job=$(json_get "$(rpc capacity.apply '{"wants":["vg_b=+'$want'M"]}')" 'j.get("job", {}).get("id", "")')
	[ -z "$job" ] || wait_job "$job"
	for vg in vg_r vg_b; do
		assert_eq "$(json_get "$plan" '[g["free_after"] for g in j["plan"]["groups"] if g["vg"] == "'$vg'"][0]')" \
			"$(json_get "$(rpc vg.show '{"name":"'$vg'"}')" 'j["vg"]["free_bytes"]')" "seed $seed: free bytes of $vg after the plan"
	done
	gained=$(($(json_get "$(rpc vg.show '{"name":"vg_b"}')" 'j["vg"]["free_bytes"]') - free_b))
	[ "$gained" -ge $((want * MIB)) ] || fail "seed $seed: vg_b gained $gained bytes, not ${want} MiB"
	still_mirrors=" $(json_get "$(rpc mirror.list)" '" ".join(m["name"] for m in j["mirrors"])') "
	assert_eq "[]" "$(json_get "$(rpc pv.list)" '[p["device"] for p in j["pvs"] if p.get("vg") == "vg_r" and " %s " % p["device"] not in "'"$still_mirrors"'"]')" \
		"seed $seed: PVs of vg_r that are not mirrors"
	echo "seed $seed: vg_b=+${want}M applied: $(json_get "$plan" '", ".join(s["kind"] + " " + s["device"] for s in j["plan"]["steps"])')"
	applied=$((applied + 1))
	stop_daemon
	# every LV reads back its data: one leg of each mirror left, both legs of a dissolved one (two PVs now)
	devs=$(ls "$D"/img/d*.img)
	while read -r kind name size extents; do
		[ "$kind" = mirror ] || continue
		devs="$devs $D/img/${name}a.img"
		[[ "$still_mirrors" == *" $name "* ]] || devs="$devs $D/img/${name}b.img"
	done <"$D/layout"
	for lv in "${lvs[@]}"; do
		vg=vg_b
		[ "${lv%%:*}" = mirror ] && vg=vg_r
		lvs_read_back "seed $seed" "$(echo $devs | tr ' ' ,)" $vg "${lv#*:}"
	done
done
[ $applied -gt 0 ] || fail "no seed gave a possible plan"
echo "PASS: $applied plans applied, $refused refused"
