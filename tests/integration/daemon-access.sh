#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Peer credentials decide before parsing: a member of the read group may
# read but not change; a stranger is refused outright; socat, the plainest
# client there is, speaks to the socket.
. "$top_srcdir/tests/integration/lib.sh"
require_root
require_cmd python3 setpriv socat
[ -x /usr/bin/python3 ] || skip "no /usr/bin/python3 for an unprivileged client"
getent group nogroup >/dev/null || skip "no group called nogroup"

D="$WORK/d"
mkdir -p "$D/img"
make_image "$D/img/d1.img" 64M
chmod 755 "$WORK" "$D"
start_daemon "$D" 'socket_mode = "0666" read_group = "nogroup"'
rpc vg.create '{"name":"vg0","pvs":["'$D'/img/d1.img"]}' >/dev/null

as() { # UID GID CMD...: run a client with only those credentials
	local uid=$1 gid=$2
	shift 2
	setpriv --reuid="$uid" --regid="$gid" --clear-groups "$@"
}

# socat, one request per connection
out=$(echo '{"jsonrpc":"2.0","id":1,"method":"vg.list"}' | socat -t 5 - UNIX-CONNECT:"$SOCK")
json_get "$out" 'j["result"]["vgs"][0]["name"]' | grep -qx vg0 || fail "socat got: $out"

# the read group reads, and is refused changes
out=$(echo '{"jsonrpc":"2.0","id":1,"method":"lv.list"}' | as 65534 "$(getent group nogroup | cut -d: -f3)" socat -t 5 - UNIX-CONNECT:"$SOCK")
json_get "$out" '"result" in j' | grep -qx True || fail "the read group cannot read: $out"
out=$(echo '{"jsonrpc":"2.0","id":2,"method":"lv.create","params":{"vg":"vg0","name":"x","size":"4M"}}' |
	as 65534 "$(getent group nogroup | cut -d: -f3)" socat -t 5 - UNIX-CONNECT:"$SOCK")
assert_eq -32002 "$(json_get "$out" 'j["error"]["code"]')" "a change by the read group"

# a stranger is refused before anything it sends is read: the refusal comes
# first, whatever it sends is discarded unread, and the daemon half-closes
out=$(as 54321 54321 /usr/bin/python3 - "$SOCK" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
try:
    s.sendall(b'{"jsonrpc":"2.0","id":3,"method":"lv.list"}\n')
except OSError:
    pass
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
print(data.decode().splitlines()[0])
PY
)
assert_eq -32002 "$(json_get "$out" 'j["error"]["code"]')" "a stranger"
json_get "$out" 'j["id"]' | grep -qx None || fail "the stranger's request was parsed: $out"

rpc lv.list >/dev/null || fail "root cannot use the daemon after all that"
echo "peer credentials are checked"
