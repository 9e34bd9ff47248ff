#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Compare what stock lvm2 reports about volume groups with what
`vgrescue dump --json` reports about the same devices.

usage: compare-lvm.py OURS.json PVS.json VGS.json LVS.json

The lvm2 reports must come from
  pvs -o pv_name,pv_uuid,pe_start,pv_pe_count,vg_name --units s --nosuffix --reportformat json
  vgs -o vg_name,vg_uuid,vg_seqno,vg_extent_size,vg_tags --units s --nosuffix --reportformat json
  lvs -a --segments -o vg_name,lv_name,lv_uuid,lv_tags,seg_start_pe,seg_size_pe,segtype,stripes,
      stripe_size,seg_pe_ranges --units s --nosuffix --reportformat json
Exits 1 and prints every difference when the two views disagree.
"""
import json
import sys


def report(path, key):
    with open(path) as f:
        return json.load(f)["report"][0][key]


def tags(text):
    return sorted(t for t in text.split(",") if t)


def stock_view(pvs_path, vgs_path, lvs_path):
    view = {}
    for vg in report(vgs_path, "vg"):
        view[vg["vg_name"]] = {
            "id": vg["vg_uuid"].replace("-", ""),
            "seqno": int(vg["vg_seqno"]),
            "extent_size": int(float(vg["vg_extent_size"])),
            "tags": tags(vg["vg_tags"]),
            "pvs": {},
            "lvs": {},
        }
    for pv in report(pvs_path, "pv"):
        if not pv["vg_name"]:
            continue
        view[pv["vg_name"]]["pvs"][pv["pv_uuid"].replace("-", "")] = {
            "device": pv["pv_name"],
            "pe_start": int(float(pv["pe_start"])),
            "pe_count": int(pv["pv_pe_count"]),
        }
    for seg in report(lvs_path, "seg"):
        lvs = view[seg["vg_name"]]["lvs"]
        lv = lvs.setdefault(seg["lv_name"], {
            "id": seg["lv_uuid"].replace("-", ""),
            "tags": tags(seg["lv_tags"]),
            "segments": [],
        })
        lv["segments"].append({
            "start": int(seg["seg_start_pe"]),
            "count": int(seg["seg_size_pe"]),
            "type": seg["segtype"],
            "stripes": int(seg["stripes"]),
            "stripe_size": int(float(seg["stripe_size"])),
            "ranges": seg["seg_pe_ranges"].split(),
        })
    return view


def our_view(path):
    with open(path) as f:
        ours = json.load(f)
    view = {}
    for vg in ours["vgs"]:
        devices = {pv["key"]: pv["device"] for pv in vg["pvs"]}
        v = view[vg["name"]] = {
            "id": vg["id"],
            "seqno": vg["seqno"],
            "extent_size": vg["extent_size_sectors"],
            "tags": sorted(vg["tags"]),
            "pvs": {pv["id"]: {"device": pv["device"], "pe_start": pv["pe_start_sectors"],
                               "pe_count": pv["pe_count"]} for pv in vg["pvs"]},
            "lvs": {},
        }
        for lv in vg["lvs"]:
            segs = []
            for s in lv["segments"]:
                per_stripe = s["extent_count"] // s["stripe_count"]
                segs.append({
                    "start": s["start_extent"],
                    "count": s["extent_count"],
                    "type": "linear" if s["type"] == "striped" and s["stripe_count"] == 1 else s["type"],
                    "stripes": s["stripe_count"],
                    "stripe_size": s["stripe_size_sectors"],
                    "ranges": ["%s:%d-%d" % (devices[st["pv"]], st["first_pe"], st["first_pe"] + per_stripe - 1)
                               for st in s["stripes"]],
                })
            v["lvs"][lv["name"]] = {"id": lv["id"], "tags": sorted(lv["tags"]), "segments": segs}
    return view


def diff(a, b, path, out):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a:
                out.append("%s/%s: only stock lvm2 has it: %r" % (path, k, b[k]))
            elif k not in b:
                out.append("%s/%s: only vgtool has it: %r" % (path, k, a[k]))
            else:
                diff(a[k], b[k], "%s/%s" % (path, k), out)
    elif a != b:
        out.append("%s: vgtool %r, stock lvm2 %r" % (path, a, b))


def main():
    ours = our_view(sys.argv[1])
    stock = stock_view(sys.argv[2], sys.argv[3], sys.argv[4])
    problems = []
    diff(ours, stock, "", problems)
    if not stock:
        problems.append("stock lvm2 found no VG at all")
    for p in problems:
        print("DIFFERENCE " + p)
    if problems:
        sys.exit(1)
    print("vgtool and stock lvm2 agree on %d VG(s), %d LV(s)" %
          (len(stock), sum(len(v["lvs"]) for v in stock.values())))


if __name__ == "__main__":
    main()
