#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Malformed JSON, wrong types, unknown methods, a line over 1 MiB, a client
# that stalls half-way through a line, a client that disconnects mid-request:
# each gets an error or is dropped, and the daemon keeps serving everyone.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd python3

D="$WORK/d"
mkdir -p "$D/img"
make_image "$D/img/d1.img" 64M
start_daemon "$D" "client_timeout = 2"
rpc vg.create '{"name":"vg0","pvs":["'$D'/img/d1.img"]}' >/dev/null

python3 - "$SOCK" <<'PY'
import json, socket, sys, time
path = sys.argv[1]

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s

def lines(s, n):
    buf = b""
    while buf.count(b"\n") < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    return [json.loads(l) for l in buf.split(b"\n") if l]

def code(reply):
    return reply["error"]["code"]

# several bad requests on one connection, each answered, the connection kept
s = conn()
s.sendall(b'this is not json\n'
          b'[1,2,3]\n'
          b'{"jsonrpc":"1.0","id":1,"method":"host.status"}\n'
          b'{"jsonrpc":"2.0","id":2,"method":"no.such"}\n'
          b'{"jsonrpc":"2.0","id":3,"method":"lv.create","params":{"vg":"vg0","name":7,"size":"8M"}}\n'
          b'{"jsonrpc":"2.0","id":4,"method":"lv.create","params":{"vg":"vg0","name":"a","size":"8M","colour":"red"}}\n'
          b'{"jsonrpc":"2.0","id":5,"method":"lv.create","params":[1]}\n'
          b'{"jsonrpc":"2.0","id":6,"method":"host.status"}\n')
r = lines(s, 8)
assert [code(x) for x in r[:7]] == [-32700, -32600, -32600, -32601, -32602, -32602, -32602], r
assert r[4]["error"]["data"]["field"] == "name", r[4]
assert r[5]["error"]["data"]["field"] == "colour", r[5]
assert "result" in r[7], r[7]
s.close()

# a line over 1 MiB: refused and dropped
s = conn()
try:
    s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"host.status","params":{"x":"' + b"a" * (1 << 20) + b'"}}\n')
except OSError:
    pass
r = lines(s, 1)
assert r and r[0]["error"]["data"]["reason"] == "E2BIG", r
s.close()

# half a line, then silence: dropped after the client timeout
s = conn()
s.sendall(b'{"jsonrpc":"2.0","id":1,"meth')
start = time.time()
r = lines(s, 1)
assert r and r[0]["error"]["data"]["reason"] == "ETIMEDOUT", r
assert time.time() - start < 8
s.close()

# a client that vanishes mid-request, and one that vanishes before reading its reply
s = conn()
s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"lv.cre')
s.close()
s = conn()
s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"lv.create","params":{"vg":"vg0","name":"orphaned","size":"8M"}}\n')
s.close()

# everyone else is still served
s = conn()
s.sendall(b'{"jsonrpc":"2.0","id":9,"method":"lv.list","params":{"vg":"vg0"}}\n')
r = lines(s, 1)
assert r[0]["id"] == 9 and "result" in r[0], r
print("bad input handled; lvs:", [lv["name"] for lv in r[0]["result"]["lvs"]])
PY
kill -0 "$VGTOOLD_PID" || fail "vgtoold died"
echo "vgtoold survived bad input"
