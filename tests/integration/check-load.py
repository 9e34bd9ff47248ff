#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Check the LVs on disk against what rpc-load.py saw acknowledged.

usage: check-load.py LOAD.json DUMP.json VG
DUMP.json is `vgrescue dump --json` of the devices. Every acknowledged
change must be there; nothing unacknowledged may be (apart from a request
in flight when the daemon died, which may have landed or not)."""
import json
import sys


def main():
    load = json.load(open(sys.argv[1]))
    dump = json.load(open(sys.argv[2]))
    vg = [v for v in dump["vgs"] if v["name"] == sys.argv[3]]
    if not vg:
        sys.exit("VG %s not found on disk" % sys.argv[3])
    on_disk = {lv["name"]: lv["extents"] for lv in vg[0]["lvs"]}
    problems = []
    for name, want in load["lvs"].items():
        have = {"absent": True} if name not in on_disk else {"extents": on_disk[name]}
        allowed = [{k: v for k, v in want.items() if k != "maybe"}]
        if "maybe" in want:
            allowed.append(want["maybe"])
        if have not in allowed:
            problems.append("%s: on disk %r, acknowledged %r" % (name, have, allowed))
    stray = [n for n in on_disk if n not in load["lvs"] and n.startswith(load["prefix"])]
    problems += ["%s is on disk but no client created it" % n for n in stray]
    for p in problems:
        print("MISMATCH " + p)
    if problems:
        sys.exit(1)
    print("all %d LVs match what was acknowledged" % len(load["lvs"]))


if __name__ == "__main__":
    main()
