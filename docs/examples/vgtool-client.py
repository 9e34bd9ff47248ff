#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A small client of vgtoold's JSON-RPC API (docs/api.md), for a toolstack
to copy. Python 3 standard library only.

    vgtool-client.py [--socket PATH] call METHOD [PARAMS-JSON]
    vgtool-client.py [--socket PATH] create-lv VG NAME SIZE [--key KEY] [--retries N]
    vgtool-client.py [--socket PATH] wait-job ID [--timeout SECONDS]
    vgtool-client.py [--socket PATH] events [--since SEQ] [--count N] [--timeout SECONDS]

Each command prints one JSON object per line on standard output. An error
reply is printed as {"error": {"code", "message", "reason", "field"}} on
standard error, and the exit status is 1; 3 when the daemon cannot be
reached.

The protocol: a Unix stream socket, one JSON object per line each way.
Replies come in the order of the requests on a connection; after
events.subscribe the connection carries event notifications (objects with
"method": "event" and no "id").
"""
import argparse
import json
import socket
import sys
import time
import uuid

DEFAULT_SOCKET = "/run/vgtool/vgtoold.sock"


class VgtoolError(Exception):
    """An error reply: code (JSON-RPC), message, reason (ENOSPC, EEXIST, ...)
    and field (the parameter at fault, when the daemon names one)."""

    def __init__(self, error):
        data = error.get("data") or {}
        self.code = error.get("code")
        self.message = error.get("message", "")
        self.reason = data.get("reason")
        self.field = data.get("field")
        super().__init__(self.message)

    def as_dict(self):
        return {"code": self.code, "message": self.message, "reason": self.reason, "field": self.field}


class Connection:
    """One connection to vgtoold. Not thread-safe: one request at a time."""

    def __init__(self, path=DEFAULT_SOCKET, timeout=30.0):
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        self._sock.connect(path)
        self._buf = b""
        self._next_id = 1

    def close(self):
        self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _send(self, obj):
        self._sock.sendall(json.dumps(obj).encode() + b"\n")

    def read_message(self):
        """The next JSON object the daemon sends (a reply or an event)."""
        while b"\n" not in self._buf:
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ConnectionError("vgtoold closed the connection")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def call(self, method, params=None):
        """Send one request and return its result; raise VgtoolError on an error reply."""
        request_id = self._next_id
        self._next_id += 1
        request = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params:
            request["params"] = params
        self._send(request)
        while True:
            msg = self.read_message()
            if msg.get("id") != request_id:
                continue  # an event notification on a subscribed connection
            if "error" in msg:
                raise VgtoolError(msg["error"])
            return msg["result"]


def create_lv(path, vg, name, size, key=None, retries=3, **extra):
    """lv.create with an idempotency key: when the connection breaks before
    the reply (daemon restart, timeout), the same request is sent again with
    the same key, and the daemon answers with the first result instead of
    creating a second LV or refusing with EEXIST. Returns the lv object; its
    "path" is what the hypervisor opens.

    The daemon keeps keys in memory. After a daemon restart it answers a
    create of an LV that exists with the same size with that LV
    ("unchanged": true), so give retried creates an absolute size: a
    relative one (100%FREE) cannot be compared and is refused as EEXIST."""
    params = dict(extra, vg=vg, name=name, size=size, idempotency_key=key or str(uuid.uuid4()))
    for attempt in range(retries + 1):
        try:
            with Connection(path) as conn:
                return conn.call("lv.create", params)["lv"]
        except (ConnectionError, socket.timeout, FileNotFoundError):
            if attempt == retries:
                raise
            time.sleep(0.5 * (attempt + 1))


def wait_job(path, job_id, timeout=600.0, interval=0.2):
    """Poll job.show until the job is no longer running; return the job.
    (A toolstack that already holds an events connection can wait for the
    job.done / job.failed / job.cancelled event instead.)"""
    deadline = time.monotonic() + timeout
    with Connection(path) as conn:
        while True:
            job = conn.call("job.show", {"id": job_id})["job"]
            if job["state"] != "running":
                return job
            if time.monotonic() > deadline:
                raise TimeoutError("job %d still running after %.0f s" % (job_id, timeout))
            time.sleep(interval)


def events(path, since=None, timeout=None):
    """Yield the params of every event: type, seq, time and the type's fields.
    With since, the events after that sequence number kept by the daemon come
    first, so a toolstack that restarts resumes where it stopped (an ESTALE
    error says they are gone: re-read the state, subscribe from now)."""
    with Connection(path, timeout=timeout) as conn:
        reply = conn.call("events.subscribe", {"since": since} if since is not None else None)
        assert reply.get("subscribed")
        while True:
            msg = conn.read_message()
            if msg.get("method") == "event":
                yield msg["params"]


def main():
    ap = argparse.ArgumentParser(description="vgtoold JSON-RPC example client")
    ap.add_argument("--socket", default=DEFAULT_SOCKET)
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("call")
    p.add_argument("method")
    p.add_argument("params", nargs="?", default=None)
    p = sub.add_parser("create-lv")
    p.add_argument("vg")
    p.add_argument("name")
    p.add_argument("size")
    p.add_argument("--key")
    p.add_argument("--retries", type=int, default=3)
    p = sub.add_parser("wait-job")
    p.add_argument("id", type=int)
    p.add_argument("--timeout", type=float, default=600.0)
    p = sub.add_parser("events")
    p.add_argument("--since", type=int)
    p.add_argument("--count", type=int, help="stop after this many events")
    p.add_argument("--timeout", type=float, help="stop when no event comes for this long")
    args = ap.parse_args()

    try:
        if args.command == "call":
            with Connection(args.socket) as conn:
                out = conn.call(args.method, json.loads(args.params) if args.params else None)
            print(json.dumps(out))
        elif args.command == "create-lv":
            print(json.dumps(create_lv(args.socket, args.vg, args.name, args.size, args.key, args.retries)))
        elif args.command == "wait-job":
            job = wait_job(args.socket, args.id, args.timeout)
            print(json.dumps(job))
            return 0 if job["state"] == "done" else 1
        elif args.command == "events":
            seen = 0
            try:
                for event in events(args.socket, args.since, args.timeout):
                    print(json.dumps(event), flush=True)
                    seen += 1
                    if args.count and seen >= args.count:
                        break
            except socket.timeout:
                pass
    except VgtoolError as e:
        print(json.dumps({"error": e.as_dict()}), file=sys.stderr)
        return 1
    except TimeoutError as e:
        print(str(e), file=sys.stderr)
        return 1
    except (OSError, ConnectionError) as e:
        print("cannot talk to vgtoold at %s: %s" % (args.socket, e), file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
