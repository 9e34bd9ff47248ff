#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Load vgtoold with many concurrent clients and record what was acknowledged.

usage: rpc-load.py SOCKET VG CLIENTS SECONDS OUT.json [PREFIX]

Each client owns LV names <PREFIX><i>-<k> (PREFIX defaults to "c") and runs a seeded mix of lv.create,
lv.resize, lv.remove and reads (lv.list, vg.show) until the time is up or
the daemon goes away (a kill -9 test). OUT.json maps every LV name a client
touched to what the acknowledged replies imply: {"extents": N} or
{"absent": true}, plus "maybe": the other state when a request was in flight
without an answer when the connection died. It also records counts of
requests and acknowledged changes.
"""
import json
import random
import socket
import sys
import threading
import time


class Client:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(60)
        self.sock.connect(path)
        self.buf = b""
        self.next_id = 1

    def call(self, method, params):
        rid = self.next_id
        self.next_id += 1
        self.sock.sendall((json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": params}) + "\n").encode())
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("daemon closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        reply = json.loads(line)
        assert reply.get("id") == rid, "reply out of order: %r" % reply
        return reply


def run_client(index, path, vg, deadline, out, counts, lock, prefix):
    rng = random.Random(1000 + index)
    try:
        client = Client(path)
    except OSError:
        return
    names = ["%s%d-%d" % (prefix, index, k) for k in range(3)]
    state = {}  # name -> extents (acknowledged), absent when missing
    requests = changes = 0
    try:
        while time.time() < deadline:
            name = rng.choice(names)
            op = rng.random()
            if op < 0.25:
                client.call("lv.list", {"vg": vg})
                requests += 1
                continue
            if name not in state:
                extents = rng.randint(1, 3)
                pending = (name, {"extents": extents})
                reply = client.call("lv.create", {"vg": vg, "name": name, "extents": extents})
            elif op < 0.6:
                extents = state[name] + rng.randint(1, 2)
                pending = (name, {"extents": extents})
                reply = client.call("lv.resize", {"vg": vg, "name": name, "extents": extents})
            else:
                pending = (name, {"absent": True})
                reply = client.call("lv.remove", {"vg": vg, "name": name})
            requests += 1
            if "result" in reply:
                changes += 1
                if "absent" in pending[1]:
                    state.pop(name, None)
                else:
                    state[name] = reply["result"]["lv"]["extents"]
            elif reply["error"]["data"]["reason"] not in ("ENOSPC",):
                raise AssertionError("unexpected refusal: %r" % reply)
            pending = None
    except (ConnectionError, OSError, ValueError):
        # the daemon died under us: the request in flight may or may not have landed
        if pending:
            with lock:
                out.setdefault(pending[0], {})["maybe"] = pending[1]
    with lock:
        for name in names:
            entry = out.setdefault(name, {})
            if name in state:
                entry["extents"] = state[name]
            else:
                entry["absent"] = True
        counts["requests"] += requests
        counts["changes"] += changes


def main():
    path, vg, clients, seconds, out_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    prefix = sys.argv[6] if len(sys.argv) > 6 else "c"
    deadline = time.time() + seconds
    out, counts, lock = {}, {"requests": 0, "changes": 0}, threading.Lock()
    threads = [threading.Thread(target=run_client, args=(i, path, vg, deadline, out, counts, lock, prefix))
               for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    json.dump({"lvs": out, "counts": counts, "prefix": prefix}, open(out_path, "w"), indent=1)
    print("%d requests, %d acknowledged changes" % (counts["requests"], counts["changes"]))


if __name__ == "__main__":
    main()
