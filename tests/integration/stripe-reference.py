#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The bytes of an LV as device-mapper would show them, assembled from stock
lvm2's reports alone: independent of vgtool's parser and mapping, so
`vgrescue extract` can be judged against it.

    stripe-reference.py SEGS.json PVS.json EXTENT_BYTES DEV=IMAGE...

SEGS.json: `lvs --segments -o lv_name,seg_start_pe,seg_size_pe,stripes,
stripe_size,seg_pe_ranges --units s --nosuffix --reportformat json` of one
LV; PVS.json: `pvs -o pv_name,pe_start --units b --nosuffix --reportformat
json`. DEV=IMAGE reads the PV lvm2 calls DEV from the file IMAGE. The LV
image goes to standard output; one line per piece read,
"segment:stripe:image-name:offset:length:chunk", to standard error.
"""
import json
import os
import sys


def main():
    segs = json.load(open(sys.argv[1]))["report"][0]["seg"]
    pe_start = {p["pv_name"]: int(p["pe_start"]) for p in json.load(open(sys.argv[2]))["report"][0]["pv"]}
    extent = int(sys.argv[3])
    image = dict(arg.split("=", 1) for arg in sys.argv[4:])
    out = sys.stdout.buffer
    segs.sort(key=lambda s: int(s["seg_start_pe"]))
    expected_start = 0
    for number, seg in enumerate(segs, 1):
        assert int(seg["seg_start_pe"]) == expected_start, "segments leave a gap"
        size = int(seg["seg_size_pe"])
        expected_start += size
        stripes = int(seg["stripes"])
        ranges = seg["seg_pe_ranges"].split()
        assert len(ranges) == stripes
        area = size // stripes * extent
        chunk = int(seg["stripe_size"]) * 512 if stripes > 1 else area
        pieces = []
        for k, r in enumerate(ranges):
            dev, pes = r.rsplit(":", 1)
            first = int(pes.split("-")[0])
            offset = pe_start[dev] + first * extent
            pieces.append((open(image[dev], "rb"), offset))
            print("%d:%d:%s:%d:%d:%d" % (number, k, os.path.basename(image[dev]), offset, area, chunk),
                  file=sys.stderr)
        # dm-stripe: chunk i of the segment comes from stripe i % stripes, row i // stripes
        for row in range(area // chunk):
            for f, offset in pieces:
                f.seek(offset + row * chunk)
                data = f.read(chunk)
                assert len(data) == chunk, "short read"
                out.write(data)


main()
