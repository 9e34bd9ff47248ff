#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A strict check of an xl domain configuration (xl.cfg(5)), for hosts where
xl itself cannot be installed: check-xl-cfg.py FILE.

The file syntax: KEY = VALUE lines, '#' comments; a VALUE is a string in
double or single quotes, an integer, or a [ list ] of those (it may span
lines; a trailing comma is allowed). Every key must be one this checker
knows, with a value of the right type. Every disk string is parsed as
xl-disk-configuration(5) says: comma-separated KEY=VALUE parameters, flags
and positional parameters (target, format, vdev, access; after a deprecated
"phy:"-style prefix on the target: target, vdev, access), each given at most
once, with known values.

Prints {"name": ..., "disks": [{"target", "vdev", "access", "format",
"backendtype"}]} on success; exits 1 naming the line and what is wrong.
"""
import json
import re
import sys

STR, INT, STR_LIST = "a string", "an integer", "a list of strings"
KEYS = {
    "name": STR, "type": STR, "builder": STR, "memory": INT, "maxmem": INT, "vcpus": INT,
    "maxvcpus": INT, "kernel": STR, "ramdisk": STR, "cmdline": STR, "extra": STR, "root": STR,
    "bootloader": STR, "boot": STR, "disk": STR_LIST, "vif": STR_LIST, "on_poweroff": STR,
    "on_reboot": STR, "on_crash": STR, "serial": STR, "vnc": INT, "sdl": INT, "uuid": STR,
}
ENUMS = {
    "type": {"pv", "pvh", "hvm"},
    "on_poweroff": {"destroy", "restart", "rename-restart", "preserve", "coredump-destroy",
                    "coredump-restart", "soft-reset"},
}
ENUMS["on_reboot"] = ENUMS["on_crash"] = ENUMS["on_poweroff"]
DISK_FORMATS = {"raw", "qcow", "qcow2", "vhd", "qed", "empty"}
DISK_ACCESS = {"r", "ro", "w", "rw"}
DISK_BACKENDTYPES = {"phy", "qdisk", "tap", "standalone"}
DISK_DEVTYPES = {"disk", "cdrom"}
DISK_FLAGS = {"cdrom", "discard", "no-discard", "direct-io-safe", "colo"}
DISK_KEYS = {"target", "format", "vdev", "access", "devtype", "backendtype", "backend", "script"}
LEGACY_PREFIXES = {"phy", "raw", "file", "tap", "tap2", "aio", "qcow", "qcow2", "vhd"}
VDEV = re.compile(r"^((xvd|hd|sd)[a-z]+|d[0-9]+(p[0-9]+)?)$")


class Bad(Exception):
    pass


def tokens(text):
    """(line, kind, value) for every token: name, =, [, ], ',', string, int, newline."""
    pos, line = 0, 1
    spec = re.compile(r"""[ \t\r]+|\#[^\n]*|(?P<nl>\n)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<int>-?[0-9]+)
                          |"(?P<dq>[^"\n]*)"|'(?P<sq>[^'\n]*)'|(?P<punct>[=\[\],;])""", re.X)
    while pos < len(text):
        m = spec.match(text, pos)
        if not m:
            raise Bad("line %d: unexpected %r" % (line, text[pos:pos + 20]))
        pos = m.end()
        if m.group("nl"):
            yield line, "newline", None
            line += 1
        elif m.group("name"):
            yield line, "name", m.group("name")
        elif m.group("int"):
            yield line, "int", int(m.group("int"))
        elif m.group("dq") is not None or m.group("sq") is not None:
            yield line, "string", m.group("dq") if m.group("dq") is not None else m.group("sq")
        elif m.group("punct"):
            yield line, m.group("punct"), None
    yield line, "end", None


def parse(text):
    toks = list(tokens(text))
    i, settings = 0, {}

    def skip_newlines():
        nonlocal i
        while toks[i][1] == "newline":
            i += 1

    while True:
        skip_newlines()
        line, kind, key = toks[i]
        if kind == "end":
            return settings
        if kind != "name":
            raise Bad("line %d: expected a setting name" % line)
        if toks[i + 1][1] != "=":
            raise Bad("line %d: expected '=' after %s" % (line, key))
        i += 2
        line, kind, value = toks[i]
        if kind in ("string", "int"):
            i += 1
        elif kind == "[":
            i += 1
            value, kind = [], "list"
            while True:
                skip_newlines()
                if toks[i][1] == "]":
                    i += 1
                    break
                if toks[i][1] not in ("string", "int"):
                    raise Bad("line %d: %s: a list holds strings or integers" % (toks[i][0], key))
                value.append(toks[i][2])
                i += 1
                skip_newlines()
                if toks[i][1] == ",":
                    i += 1
                elif toks[i][1] != "]":
                    raise Bad("line %d: %s: expected ',' or ']' in the list" % (toks[i][0], key))
        else:
            raise Bad("line %d: %s: expected a value" % (line, key))
        if toks[i][1] == ";":
            i += 1
        if toks[i][1] not in ("newline", "end"):
            raise Bad("line %d: %s: unexpected text after the value" % (toks[i][0], key))
        if key not in KEYS:
            raise Bad("line %d: unknown setting %s" % (line, key))
        if key in settings:
            raise Bad("line %d: %s is set twice" % (line, key))
        want = KEYS[key]
        ok = (want == STR and kind == "string") or (want == INT and kind == "int") or \
             (want == STR_LIST and kind == "list" and all(isinstance(v, str) for v in value))
        if not ok:
            raise Bad("line %d: %s must be %s" % (line, key, want))
        if key in ENUMS and value not in ENUMS[key]:
            raise Bad("line %d: %s = %r: not one of %s" % (line, key, value, ", ".join(sorted(ENUMS[key]))))
        settings[key] = (line, value)


def parse_disk(spec):
    """One DISKSPEC of xl-disk-configuration(5) as a dict, or Bad."""
    disk, positional = {}, []
    for part in [p.strip() for p in spec.split(",")]:
        if "=" in part:
            key, value = part.split("=", 1)
            if key not in DISK_KEYS:
                raise Bad("unknown disk parameter %s" % key)
            if key in disk:
                raise Bad("disk parameter %s given twice" % key)
            disk[key] = value
        elif part in DISK_FLAGS:
            disk[part] = True
        else:
            positional.append(part)
    if positional:
        target = positional[0]
        prefix = target.split(":", 1)[0] if ":" in target and not target.startswith("/") else None
        if prefix is not None:
            if prefix not in LEGACY_PREFIXES:
                raise Bad("unknown target prefix %s:" % prefix)
            target = target.split(":", 1)[1]
            if prefix == "phy":
                disk.setdefault("backendtype", "phy")
            names = ["target", "vdev", "access"]
        else:
            names = ["target", "format", "vdev", "access"]
        if len(positional) > len(names):
            raise Bad("too many positional parameters (%d)" % len(positional))
        positional[0] = target
        for name, value in zip(names, positional):
            if value == "":
                continue  # an empty positional parameter takes the default
            if name in disk:
                raise Bad("disk parameter %s given twice" % name)
            disk[name] = value
    if not disk.get("target", "").startswith("/"):
        raise Bad("the target must be an absolute path")
    if "vdev" not in disk or not VDEV.match(disk["vdev"]):
        raise Bad("vdev %r is not a virtual device name (xvda, hda, sda, d0p1)" % disk.get("vdev"))
    disk.setdefault("format", "raw")
    disk.setdefault("access", "rw")
    for key, allowed in (("format", DISK_FORMATS), ("access", DISK_ACCESS),
                         ("backendtype", DISK_BACKENDTYPES), ("devtype", DISK_DEVTYPES)):
        if key in disk and disk[key] not in allowed:
            raise Bad("%s %r is not one of %s" % (key, disk[key], ", ".join(sorted(allowed))))
    return disk


def main():
    path = sys.argv[1]
    try:
        settings = parse(open(path).read())
        for key in ("name", "memory"):
            if key not in settings:
                raise Bad("%s is not set" % key)
        disks = []
        line, specs = settings.get("disk", (0, []))
        for spec in specs:
            try:
                d = parse_disk(spec)
            except Bad as e:
                raise Bad("line %d: disk %r: %s" % (line, spec, e))
            disks.append({k: d.get(k) for k in ("target", "vdev", "access", "format", "backendtype")})
        vdevs = [d["vdev"] for d in disks]
        if len(set(vdevs)) != len(vdevs):
            raise Bad("line %d: a vdev is used twice: %s" % (line, vdevs))
    except Bad as e:
        print("%s: %s" % (path, e), file=sys.stderr)
        return 1
    print(json.dumps({"name": settings["name"][1], "disks": disks}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
