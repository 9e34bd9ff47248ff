#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Drivers and timers of the vgtool benchmarks (bench/*.sh call these).

usage: bench.py COMMAND ARGS...

  populate SOCK VG COUNT CLIENTS PREFIX
        create COUNT one-extent LVs PREFIX<n> with CLIENTS concurrent clients
        (the daemon's group commit folds them into few commits)
  lvtime SOCK VG RUNS PREFIX
        RUNS times: one lv.create (one extent), then its lv.remove, one client;
        prints "create_ms=MEDIAN remove_ms=MEDIAN"
  startup VGTOOLD CONF SOCK
        start the daemon, time until host.status answers and until lv.list
        answers (whole host), stop it; prints "status_ms=... list_ms=... lvs=N"
  throughput SOCK VG CLIENTS PER_CLIENT PREFIX
        each client creates PER_CLIENT LVs then removes them; prints
        "create_per_s=... remove_per_s=..."
  cmdtime RUNS CMD...
        run CMD RUNS times (must succeed), print "ms=MEDIAN" of the wall times;
        {i} in CMD is replaced by the run number
  median X...   the median of numbers
  ratio A B     A / B with two decimals (or "n/a")
"""
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import threading
import time


class Client:
    def __init__(self, path, timeout=300):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.next_id = 1

    def call(self, method, params=None):
        rid = self.next_id
        self.next_id += 1
        req = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            req["params"] = params
        self.sock.sendall((json.dumps(req) + "\n").encode())
        while b"\n" not in self.buf:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("vgtoold closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError("%s %r: %s" % (method, params, reply["error"]))
        return reply["result"]

    def close(self):
        self.sock.close()


def run_threads(n, target):
    errors = []

    def wrap(i):
        try:
            target(i)
        except Exception as e:  # reported after join
            errors.append(e)
    threads = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def populate(sock, vg, count, clients, prefix):
    count, clients = int(count), int(clients)

    def work(i):
        c = Client(sock)
        for k in range(i, count, clients):
            c.call("lv.create", {"vg": vg, "name": "%s%d" % (prefix, k), "extents": 1})
        c.close()
    t0 = time.monotonic()
    run_threads(clients, work)
    print("populated %s with %d LVs in %.1f s" % (vg, count, time.monotonic() - t0), file=sys.stderr)


def lvtime(sock, vg, runs, prefix):
    c = Client(sock)
    creates, removes = [], []
    for i in range(int(runs)):
        name = "%s%d" % (prefix, i)
        t0 = time.monotonic()
        c.call("lv.create", {"vg": vg, "name": name, "extents": 1})
        t1 = time.monotonic()
        c.call("lv.remove", {"vg": vg, "name": name})
        t2 = time.monotonic()
        creates.append((t1 - t0) * 1000)
        removes.append((t2 - t1) * 1000)
    print("create_ms=%.3f remove_ms=%.3f" % (statistics.median(creates), statistics.median(removes)))


def startup(vgtoold, conf, sock):
    try:
        os.unlink(sock)
    except FileNotFoundError:
        pass
    log = open(conf + ".log", "a")
    t0 = time.monotonic()
    proc = subprocess.Popen([vgtoold, "--config", conf], stderr=log)
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError("vgtoold exited with %d at start (see %s.log)" % (proc.returncode, conf))
            try:
                c = Client(sock)
                c.call("host.status")
                break
            except (FileNotFoundError, ConnectionRefusedError):
                time.sleep(0.0005)
        t1 = time.monotonic()
        lvs = c.call("lv.list")["lvs"]
        t2 = time.monotonic()
        c.close()
    finally:
        proc.terminate()
        proc.wait()
    print("status_ms=%.3f list_ms=%.3f lvs=%d" % ((t1 - t0) * 1000, (t2 - t0) * 1000, len(lvs)))


def throughput(sock, vg, clients, per_client, prefix):
    """CLIENTS client processes (not threads: no GIL between them), each with
    its own connection; the parent times the create phase and the remove
    phase between barriers."""
    clients, per_client = int(clients), int(per_client)
    barrier = multiprocessing.Barrier(clients + 1)
    failed = multiprocessing.Value("i", 0)

    def child(i):
        try:
            c = Client(sock)
        except OSError:
            failed.value = 1
            c = None
        for method in ("lv.create", "lv.remove"):
            barrier.wait()
            try:
                for k in range(per_client if c else 0):
                    params = {"vg": vg, "name": "%s%d-%d" % (prefix, i, k)}
                    if method == "lv.create":
                        params["extents"] = 1
                    c.call(method, params)
            except Exception as e:
                print("client %d: %s" % (i, e), file=sys.stderr)
                failed.value = 1
            barrier.wait()
    procs = [multiprocessing.Process(target=child, args=(i,)) for i in range(clients)]
    for p in procs:
        p.start()
    rates = []
    for _ in range(2):
        barrier.wait()
        t0 = time.monotonic()
        barrier.wait()
        rates.append(clients * per_client / (time.monotonic() - t0))
    for p in procs:
        p.join()
    if failed.value:
        sys.exit("throughput: a client failed")
    print("create_per_s=%.1f remove_per_s=%.1f" % (rates[0], rates[1]))


def cmdtime(runs, *cmd):
    times = []
    for i in range(int(runs)):
        argv = [a.replace("{i}", str(i)) for a in cmd]
        t0 = time.monotonic()
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if done.returncode != 0:
            sys.stderr.write(done.stderr.decode(errors="replace"))
            sys.exit("%s exited with %d" % (" ".join(argv), done.returncode))
        times.append((time.monotonic() - t0) * 1000)
    print("ms=%.3f" % statistics.median(times))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "populate":
        populate(*args)
    elif cmd == "lvtime":
        lvtime(*args)
    elif cmd == "startup":
        startup(*args)
    elif cmd == "throughput":
        throughput(*args)
    elif cmd == "cmdtime":
        cmdtime(*args)
    elif cmd == "median":
        print("%.3f" % statistics.median(float(a) for a in args))
    elif cmd == "ratio":
        a, b = float(args[0]), float(args[1])
        print("%.2f" % (a / b) if b > 0 else "n/a")
    else:
        sys.exit("bench.py: unknown command %s" % cmd)


if __name__ == "__main__":
    main()
