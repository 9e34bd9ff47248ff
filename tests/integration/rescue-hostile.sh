#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vgrescue against hand-made hostile metadata, written onto image files by
# tests/tools/lvm-write-vg: overlapping segments, a segment past its PV, an
# LV 2^60 extents long, a PV whose extents run past the device, the same
# PV id twice, extent size, pe_start and pe_count out of any range, LVs
# standing on themselves (directly or through another),
# sections nested 5000 deep, and a committed slot longer than its ring
# buffer (found by searching the ring instead). Every verb (scan, layout, map, extract,
# recipe, restore) must answer with a clear error and exit 1 — never a
# crash (run it in the sanitizer build too) — and write nothing; restore
# --from each hostile file onto sane devices is refused the same way.
. "$top_srcdir/tests/integration/lib.sh"
WRITE_VG="$TOOLS/lvm-write-vg"
[ -x "$WRITE_VG" ] || skip "tests/tools/lvm-write-vg is not built"

# vg_text PE_COUNT LV-SECTIONS: a VG of two 16 MiB PVs with 4 MiB extents
vg_text() {
	cat <<EOT
hostile {
id = "vgidvg-idvg-idvg-idvg-idvg-idvg-id0001"
seqno = 1
format = "lvm2"
status = ["RESIZEABLE", "READ", "WRITE"]
flags = []
extent_size = 8192
max_lv = 0
max_pv = 0
metadata_copies = 0
physical_volumes {
pv0 {
id = "AAAAAA-bbbb-CCCC-dddd-EEEE-ffff-GGGGGG"
status = ["ALLOCATABLE"]
flags = []
pe_start = 2048
pe_count = $1
}
pv1 {
id = "HHHHHH-iiii-JJJJ-kkkk-LLLL-mmmm-NNNNNN"
status = ["ALLOCATABLE"]
flags = []
pe_start = 2048
pe_count = 3
}
}
logical_volumes {
$2
}
}
contents = "Text Format Volume Group"
version = 1
EOT
}
lv() { # NAME START COUNT PV FIRST_PE
	printf 'lv_%s {\nid = "lvone0-lvon-elvo-nelv-onel-vone-lv000%s"\nstatus = ["READ", "WRITE", "VISIBLE"]\nflags = []\nsegment_count = 1\nsegment1 {\nstart_extent = %s\nextent_count = %s\ntype = "striped"\nstripe_count = 1\nstripes = [ "%s", %s ]\n}\n}\n' \
		"$1" "$1" "$2" "$3" "$4" "$5"
}

n=0
case_of() { # NAME TEXT-FILE: write it, then every verb must fail cleanly
	local name=$1 text=$2 a b verb rc
	n=$((n + 1))
	a="$WORK/$name-a.img" b="$WORK/$name-b.img"
	make_image "$a" 16M; make_image "$b" 16M
	"$WRITE_VG" --create-pvs "$text" "$a" "$b" >/dev/null 2>"$WORK/write.err" ||
		{ cat "$WORK/write.err"; fail "$name: lvm-write-vg refused the text"; }
	if [ -n "${POKE:-}" ]; then
		$POKE "$a" "${text%.vg}-poke.vg"; $POKE "$b" "${text%.vg}-poke.vg"; POKE=
	fi
	local sums; sums=$(md5sum "$a" "$b")
	for verb in "scan" "layout" "map hostile/lv_a" "extract hostile/lv_a --to $WORK/out" \
		"recipe hostile/lv_a" "restore hostile --from 1 --write"; do
		rc=0
		# shellcheck disable=SC2086
		"$VGRESCUE" $verb "$a" "$b" >"$WORK/out.txt" 2>"$WORK/err.txt" || rc=$?
		[ "$rc" = 1 ] || { cat "$WORK/err.txt"; fail "$name: vgrescue $verb exit $rc, expected 1"; }
		grep -q '^vgrescue: ' "$WORK/err.txt" || fail "$name: vgrescue $verb gave no error message"
		grep -q "${3:-.}" "$WORK/err.txt" || { cat "$WORK/err.txt"; fail "$name: $verb does not say '$3'"; }
		if grep -qiE 'AddressSanitizer|runtime error' "$WORK/err.txt"; then
			cat "$WORK/err.txt"; fail "$name: sanitizer report from $verb"
		fi
	done
	assert_eq "$sums" "$(md5sum "$a" "$b")" "$name: images after the verbs"
}

vg_text 3 "$(lv a 0 2 pv0 0; lv b 0 2 pv0 1)" >"$WORK/overlap.vg"
case_of overlap "$WORK/overlap.vg" "both use extent"
vg_text 3 "$(lv a 0 2 pv0 2)" >"$WORK/past-pv.vg"
case_of past-pv "$WORK/past-pv.vg" "beyond"
# Our writer refuses 2^60 extents: write a sane VG, then put the hostile text in its slot by hand
# (new text, slot size and CRC, header CRC: FORMATS 2.1-2.2).
vg_text 3 "$(lv a 0 2 pv0 0)" >"$WORK/huge.vg"
poke_text() { # IMAGE TEXT-FILE
	python3 - "$1" "$2" <<'EOP'
import struct, sys, zlib
crc = lambda b: zlib.crc32(b, 0xF597A6CF ^ 0xFFFFFFFF) ^ 0xFFFFFFFF
img, text = sys.argv[1], open(sys.argv[2], "rb").read() + b"\0"
with open(img, "r+b") as f:
    f.seek(4096); hdr = bytearray(f.read(512))
    off = struct.unpack_from("<Q", hdr, 40)[0]
    f.seek(4096 + off); f.write(text)
    struct.pack_into("<QQII", hdr, 40, off, len(text), crc(text), 0)
    struct.pack_into("<I", hdr, 0, crc(bytes(hdr[4:512])))
    f.seek(4096); f.write(hdr)
EOP
}
POKE=poke_text
vg_text 3 "$(lv a 0 1152921504606846976 pv0 0)" >"$WORK/huge-poke.vg"
case_of huge "$WORK/huge.vg" "out of range"
vg_text 1000 "$(lv a 0 2 pv0 990)" >"$WORK/past-dev.vg"
case_of past-dev "$WORK/past-dev.vg" "beyond"
vg_text 3 "$(lv a 0 2 pv0 0)" | sed 's/HHHHHH-iiii-JJJJ-kkkk-LLLL-mmmm-NNNNNN/AAAAAA-bbbb-CCCC-dddd-EEEE-ffff-GGGGGG/' >"$WORK/twice.vg"
# the same PV id twice in the text: lvm-write-vg may refuse to write it; then only the parse is checked
if "$WRITE_VG" --create-pvs "$WORK/twice.vg" "$WORK/t1.img" "$WORK/t2.img" >/dev/null 2>&1; then
	case_of twice "$WORK/twice.vg"
fi

# Absurd numbers in the VG and PV sections themselves
absurd() { # NAME SED-EXPRESSION MESSAGE
	vg_text 3 "$(lv a 0 2 pv0 0)" >"$WORK/$1.vg"
	sed "$2" "$WORK/$1.vg" >"$WORK/$1-poke.vg"
	POKE=poke_text
	case_of "$1" "$WORK/$1.vg" "$3"
}
absurd extent-size 's/extent_size = 8192/extent_size = 9223372036854775807/' "out of range"
absurd pe-start 's/pe_start = 2048/pe_start = 4611686018427387904/' "beyond any device"
absurd pe-count 's/pe_count = 3$/pe_count = -1/' "out of range"

# Loops: segments that stand on other LVs (mirror, raid, thin...) and lead back to themselves.
mirror_of() { # NAME IMAGE-LV: lv_NAME, a mirror segment standing on IMAGE-LV
	lv "$1" 0 2 pv0 0 | sed "s/type = \"striped\"/type = \"mirror\"\nmirror_count = 1/; s/stripe_count = 1/region_size = 1024/;
		s/stripes = \[ \"pv0\", 0 \]/mirrors = [ \"$2\", 0 ]/"
}
vg_text 3 "$(lv a 0 2 pv0 0)" >"$WORK/self-loop.vg"
POKE=poke_text
vg_text 3 "$(mirror_of a lv_a)" >"$WORK/self-loop-poke.vg"
case_of self-loop "$WORK/self-loop.vg" "lv_a is part of a loop"
vg_text 3 "$(lv a 0 2 pv0 0)" >"$WORK/two-loop.vg"
POKE=poke_text
vg_text 3 "$(mirror_of a lv_b; mirror_of b lv_a | sed 's/lv000b/lv000c/')" >"$WORK/two-loop-poke.vg"
case_of two-loop "$WORK/two-loop.vg" "is part of a loop"
# sections nested deeper than any metadata has: refused by the parser, not by the stack
vg_text 3 "$(lv a 0 2 pv0 0)" >"$WORK/deep.vg"
POKE=poke_text
vg_text 3 "$(lv a 0 2 pv0 0)" | python3 -c 'import sys; deep = "".join("n%d {\n" % i for i in range(5000))
sys.stdout.write(sys.stdin.read().replace("logical_volumes {", deep + "}\n" * 5000 + "logical_volumes {", 1))' \
	>"$WORK/deep-poke.vg"
case_of deep "$WORK/deep.vg" "nested deeper"

# A committed slot longer than its ring buffer (a copy that would wrap around itself): the
# area is reported damaged, and the text is still found by searching the ring; nothing written.
vg_text 3 "$(lv a 0 2 pv0 0)" >"$WORK/ring.vg"
make_image "$WORK/ring-a.img" 16M; make_image "$WORK/ring-b.img" 16M
"$WRITE_VG" --create-pvs "$WORK/ring.vg" "$WORK/ring-a.img" "$WORK/ring-b.img" >/dev/null
for size in 3000000 18446744073709551000; do
	for img in "$WORK/ring-a.img" "$WORK/ring-b.img"; do
		python3 - "$img" "$size" <<'EOP'
import struct, sys, zlib
crc = lambda b: zlib.crc32(b, 0xF597A6CF ^ 0xFFFFFFFF) ^ 0xFFFFFFFF
with open(sys.argv[1], "r+b") as f:
    f.seek(4096); hdr = bytearray(f.read(512))
    struct.pack_into("<Q", hdr, 48, int(sys.argv[2]))  # size of the committed slot
    struct.pack_into("<I", hdr, 0, crc(bytes(hdr[4:512])))
    f.seek(4096); f.write(hdr)
EOP
	done
	sums=$(md5sum "$WORK/ring-a.img" "$WORK/ring-b.img")
	rc=0
	"$VGRESCUE" scan "$WORK/ring-a.img" "$WORK/ring-b.img" >"$WORK/out.txt" 2>&1 || rc=$?
	assert_eq 1 "$rc" "scan of a slot of $size bytes"
	grep -q "committed slot size $size exceeds the 1043968-byte ring buffer" "$WORK/out.txt" ||
		{ cat "$WORK/out.txt"; fail "scan does not name the slot of $size bytes"; }
	"$VGRESCUE" map hostile/lv_a "$WORK/ring-a.img" "$WORK/ring-b.img" >"$WORK/out.txt" 2>&1 ||
		{ cat "$WORK/out.txt"; fail "map after a slot of $size bytes: the searched copy was not used"; }
	grep -q '^0 16384 linear .*ring-a.img 2048$' "$WORK/out.txt" || { cat "$WORK/out.txt"; fail "map after a slot of $size bytes"; }
	assert_eq "$sums" "$(md5sum "$WORK/ring-a.img" "$WORK/ring-b.img")" "images after reading a slot of $size bytes"
	n=$((n + 1))
done

# No loop, and layout must show every LV: a mirror standing on a plain image LV; and a mirror
# whose area "pv0" is the PV, beside an LV that happens to be called pv0 and stands on it
# (lvm2 resolves an area's name as a PV first).
no_loop() { # NAME LV-SECTIONS
	vg_text 3 "$(lv i 0 2 pv0 0)" >"$WORK/$1.vg"
	vg_text 3 "$2" >"$WORK/$1-poke.vg"
	make_image "$WORK/$1-a.img" 16M; make_image "$WORK/$1-b.img" 16M
	"$WRITE_VG" --create-pvs "$WORK/$1.vg" "$WORK/$1-a.img" "$WORK/$1-b.img" >/dev/null
	poke_text "$WORK/$1-a.img" "$WORK/$1-poke.vg"; poke_text "$WORK/$1-b.img" "$WORK/$1-poke.vg"
	"$VGRESCUE" layout "$WORK/$1-a.img" "$WORK/$1-b.img" >"$WORK/out.txt" 2>"$WORK/err.txt" ||
		{ cat "$WORK/err.txt"; fail "$1: taken for a loop"; }
	grep -q 'lv_m {' "$WORK/out.txt" || fail "$1: layout lost the mirror LV"
}
no_loop mirror-on-image "$(lv i 0 2 pv0 0; mirror_of m lv_i | sed 's/lv000m/lv000n/')"
no_loop pv-named-area "$(mirror_of m pv0 | sed 's/lv000m/lv000n/'; mirror_of x lv_m | sed 's/^lv_x {/pv0 {/; s/lv000x/lv000y/')"

# restore --from FILE with every hostile text, onto devices that hold a sane version of the VG:
# refused with the reason, the devices untouched
vg_text 3 "$(lv a 0 2 pv0 0)" >"$WORK/sane.vg"
make_image "$WORK/sane-a.img" 16M; make_image "$WORK/sane-b.img" 16M
"$WRITE_VG" --create-pvs "$WORK/sane.vg" "$WORK/sane-a.img" "$WORK/sane-b.img" >/dev/null
sums=$(md5sum "$WORK/sane-a.img" "$WORK/sane-b.img")
for bad in overlap:"both use extent" past-pv:beyond huge-poke:"out of range" past-dev:beyond \
	self-loop-poke:"is part of a loop" two-loop-poke:"is part of a loop" deep-poke:"nested deeper"; do
	rc=0
	"$VGRESCUE" restore --json hostile --from "$WORK/${bad%%:*}.vg" --write "$WORK/sane-a.img" "$WORK/sane-b.img" \
		>"$WORK/out.json" 2>"$WORK/err.txt" || rc=$?
	[ "$rc" = 1 ] || { cat "$WORK/err.txt"; fail "restore --from ${bad%%:*}.vg: exit $rc, expected 1"; }
	grep -q "${bad#*:}" "$WORK/err.txt" || { cat "$WORK/err.txt"; fail "restore --from ${bad%%:*}.vg does not say '${bad#*:}'"; }
	assert_eq "False 1" "$(json_get "$(cat "$WORK/out.json")" 'j["written"], len(j["refusals"])' | tr -d '(),')" \
		"restore --from ${bad%%:*}.vg: written, refusals"
	n=$((n + 1))
done
assert_eq "$sums" "$(md5sum "$WORK/sane-a.img" "$WORK/sane-b.img")" "sane images after hostile restores"
echo "$n hostile metadata cases refused cleanly"
