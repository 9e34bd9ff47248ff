#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""One JSON-RPC call to vgtoold: rpc.py SOCKET METHOD [PARAMS-JSON].

Prints the result (or the error object) as JSON; exits 0 for a result, 1 for
an error reply, 3 when the daemon cannot be reached."""
import json
import socket
import sys


def call(path, method, params=None, timeout=30):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    request = {"jsonrpc": "2.0", "id": 1, "method": method}
    if params is not None:
        request["params"] = params
    s.sendall((json.dumps(request) + "\n").encode())
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return json.loads(data.decode().splitlines()[0])


def main():
    params = json.loads(sys.argv[3]) if len(sys.argv) > 3 else None
    try:
        reply = call(sys.argv[1], sys.argv[2], params)
    except OSError as e:
        print("cannot reach vgtoold at %s: %s" % (sys.argv[1], e), file=sys.stderr)
        sys.exit(3)
    if "error" in reply:
        print(json.dumps(reply["error"]))
        sys.exit(1)
    print(json.dumps(reply["result"]))


if __name__ == "__main__":
    main()
