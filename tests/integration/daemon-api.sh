#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vgtoold with the none backend on image files, driven by raw JSON-RPC:
# every VG/LV method, refusals with stable reasons, dry runs that write
# nothing, idempotent retries, a restart that finds everything again, and
# stock lvm2 reading the result.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd python3

D="$WORK/d"
mkdir -p "$D/img"
for i in 1 2 3 4; do make_image "$D/img/d$i.img" 256M; done
start_daemon "$D"

expect_error() { # REASON METHOD PARAMS
	local out
	if out=$(rpc "$2" "$3"); then fail "$2 $3 succeeded, expected $1"; fi
	[ "$(json_get "$out" 'j["data"]["reason"]')" = "$1" ] || fail "$2: expected reason $1, got $out"
	echo "$out"
}

out=$(rpc vg.create '{"name":"vg_bulk","pvs":["'$D'/img/d1.img","'$D'/img/d2.img"]}')
assert_eq 2 "$(json_get "$out" 'j["vg"]["pv_count"]')" "vg_bulk PVs"
rpc vg.create '{"name":"vg_raid","pvs":["'$D'/img/d3.img"]}' >/dev/null
out=$(rpc lv.create '{"vg":"vg_bulk","name":"lv_rushes","size":"100M"}')
assert_eq 25 "$(json_get "$out" 'j["lv"]["extents"]')" "lv_rushes extents (100M rounds up to 25 x 4 MiB)"
rpc lv.create '{"vg":"vg_raid","name":"lv_files","size":"50%FREE"}' >/dev/null
rpc lv.resize '{"name":"vg_bulk/lv_rushes","size":"+40M"}' >/dev/null
assert_eq 35 "$(json_get "$(rpc lv.show '{"vg":"vg_bulk","name":"lv_rushes"}')" 'j["lv"]["extents"]')" "after +40M"

# refusals carry stable reasons and name what was wrong
expect_error EEXIST vg.create '{"name":"vg_bulk","pvs":["'$D'/img/d4.img"]}' >/dev/null
expect_error ENOSPC lv.create '{"vg":"vg_bulk","name":"huge","size":"10T"}' | grep -q "needed" || fail "ENOSPC message"
expect_error EINVAL lv.create '{"vg":"vg_bulk","name":"bad/name","size":"1G"}' >/dev/null
expect_error EINVAL lv.create '{"vg":"vg_bulk","name":"x","size":"12GB"}' | grep -q binary || fail "size message"
expect_error EPERM lv.resize '{"vg":"vg_bulk","name":"lv_rushes","size":"-8M"}' >/dev/null
expect_error EBUSY vg.create '{"name":"vg_x","pvs":["'$D'/img/d1.img"]}' | grep -q vg_bulk || fail "PV in use message"
expect_error ENOENT lv.show '{"vg":"vg_bulk","name":"nope"}' >/dev/null
out=$(expect_error EINVAL lv.create '{"vg":"vg_bulk","name":"x","size":-7}')
assert_eq size "$(json_get "$out" 'j["data"]["field"]')" "the field at fault"

# a dry run writes nothing
sum_before=$(cat "$D"/img/*.img | sha256sum)
out=$(rpc lv.create '{"vg":"vg_bulk","name":"planned","size":"8M","dry_run":true}')
assert_eq True "$(json_get "$out" 'j["dry_run"]')" "dry run flag"
rpc vg.extend '{"name":"vg_bulk","pvs":["'$D'/img/d4.img"],"dry_run":true}' >/dev/null
assert_eq "$sum_before" "$(cat "$D"/img/*.img | sha256sum)" "images after dry runs"
expect_error ENOENT lv.show '{"vg":"vg_bulk","name":"planned"}' >/dev/null

# retries: creating what exists identically, removing what is gone
rpc lv.create '{"vg":"vg_bulk","name":"lv_vm1","size":"8M"}' >/dev/null
out=$(rpc lv.create '{"vg":"vg_bulk","name":"lv_vm1","size":"8M"}')
assert_eq True "$(json_get "$out" 'j.get("unchanged", False)')" "identical create is a success"
rpc lv.remove '{"vg":"vg_bulk","name":"lv_vm1","idempotency_key":"k1"}' >/dev/null
rpc lv.remove '{"vg":"vg_bulk","name":"lv_vm1","idempotency_key":"k1"}' >/dev/null || fail "retried remove"
first=$(rpc lv.create '{"vg":"vg_bulk","name":"lv_vm2","size":"8M","idempotency_key":"k2"}')
again=$(rpc lv.create '{"vg":"vg_bulk","name":"lv_vm2","size":"8M","idempotency_key":"k2"}')
assert_eq "$first" "$again" "a retry with the same key returns the first result"
expect_error EEXIST lv.create '{"vg":"vg_bulk","name":"lv_vm3","size":"8M","idempotency_key":"k2"}' |
	grep -q "different request" || fail "key reuse for another request"

# membership: extend, move a PV with its LV, rename, merge
rpc vg.extend '{"name":"vg_raid","pvs":["'$D'/img/d4.img"]}' >/dev/null
rpc lv.create '{"vg":"vg_raid","name":"on_d4","size":"8M","pvs":["'$D'/img/d4.img"]}' >/dev/null
# lv_files straddles d3 and d4 for a while: moving d4 is refused, naming it
rpc lv.resize '{"vg":"vg_raid","name":"lv_files","size":"+8M","pvs":["'$D'/img/d4.img"]}' >/dev/null
expect_error EBUSY vg.move_pv '{"pv":"'$D'/img/d4.img","from":"vg_raid","to":"vg_bulk"}' | grep -q lv_files ||
	fail "the refusal does not name the straddling LV"
rpc lv.resize '{"vg":"vg_raid","name":"lv_files","size":"-8M","force":true}' >/dev/null
out=$(rpc vg.move_pv '{"pv":"'$D'/img/d4.img","from":"vg_raid","to":"vg_bulk"}')
assert_eq 3 "$(json_get "$out" '[v for v in j["vgs"] if v["name"]=="vg_bulk"][0]["pv_count"]')" "vg_bulk after move"
rpc lv.show '{"vg":"vg_bulk","name":"on_d4"}' >/dev/null || fail "on_d4 did not move with its PV"
rpc vg.rename '{"name":"vg_raid","new_name":"vg_mirror"}' >/dev/null
rpc lv.rename '{"vg":"vg_bulk","name":"on_d4","new_name":"moved"}' >/dev/null

# history and restore: an archived version comes back as the next seqno
hist=$(rpc metadata.history '{"vg":"vg_bulk"}')
[ "$(json_get "$hist" 'len(j["versions"])')" -ge 3 ] || fail "too little history: $hist"
with_vm2=$(json_get "$hist" '[v["seqno"] for v in j["versions"]][0]')
rpc lv.remove '{"vg":"vg_bulk","name":"lv_vm2"}' >/dev/null
expect_error ENOENT lv.show '{"vg":"vg_bulk","name":"lv_vm2"}' >/dev/null
rpc metadata.restore '{"vg":"vg_bulk","seqno":'$with_vm2'}' >/dev/null
rpc lv.show '{"vg":"vg_bulk","name":"lv_vm2"}' >/dev/null || fail "restore did not bring lv_vm2 back"
expect_error ENOTSUP lv.activate '{"vg":"vg_bulk","name":"lv_vm2"}' | grep -q kernel || fail "activation message"

# events: a subscriber sees commits, and can resume from a sequence number
python3 - "$SOCK" <<'PY'
import json, socket, sys
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.settimeout(10); s.connect(sys.argv[1]); return s
sub = conn()
sub.sendall(b'{"jsonrpc":"2.0","id":1,"method":"events.subscribe"}\n')
buf = b""
while b"\n" not in buf:
    buf += sub.recv(65536)
line, buf = buf.split(b"\n", 1)
start = json.loads(line)["result"]["seq"]
w = conn()
w.sendall(b'{"jsonrpc":"2.0","id":2,"method":"lv.create","params":{"vg":"vg_bulk","name":"evt","size":"4M"}}\n')
w.recv(65536)
while b"\n" not in buf:
    buf += sub.recv(65536)
event = json.loads(buf.split(b"\n", 1)[0])
assert event["method"] == "event" and event["params"]["type"] == "commit" and event["params"]["vg"] == "vg_bulk", event
assert event["params"]["seq"] == start + 1, (event, start)
# resuming from before that event replays it
again = conn()
again.sendall(('{"jsonrpc":"2.0","id":3,"method":"events.subscribe","params":{"since":%d}}\n' % start).encode())
data = b""
while data.count(b"\n") < 2:
    data += again.recv(65536)
replayed = json.loads(data.split(b"\n")[1])
assert replayed["params"]["seq"] == start + 1, replayed
print("events ok")
PY

# a new image file in the scan directory is noticed and usable without a restart
python3 - "$SOCK" "$D/img/d5.img" <<'PY'
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.settimeout(10); s.connect(sys.argv[1])
s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"events.subscribe"}\n')
buf = b""
while b"\n" not in buf:
    buf += s.recv(65536)
buf = buf.split(b"\n", 1)[1]
# made under a name the filter rejects, then moved in whole, as an administrator would
with open(sys.argv[2] + ".part", "wb") as f:
    f.truncate(64 << 20)
os.rename(sys.argv[2] + ".part", sys.argv[2])
while True:
    while b"\n" not in buf:
        buf += s.recv(65536)
    line, buf = buf.split(b"\n", 1)
    ev = json.loads(line)["params"]
    if ev["type"] == "device.added" and ev["device"] == sys.argv[2]:
        break
print("device event ok")
PY
rpc host.status >/dev/null # the rescan happens at the end of the event's round
rpc vg.extend '{"name":"vg_bulk","pvs":["'$D'/img/d5.img"]}' >/dev/null || fail "the new image file is not usable"

# a restart finds the same state
before=$(rpc lv.list)
# lv.list writes its JSON text directly: every entry is exactly what lv.show answers
for lv in $(json_get "$before" '" ".join(x["vg"] + "/" + x["name"] for x in j["lvs"])'); do
	assert_eq "$(json_get "$(rpc lv.show '{"vg":"'${lv%%/*}'","name":"'${lv#*/}'"}')" 'json.dumps(j["lv"], sort_keys=True)')" \
		"$(json_get "$before" 'json.dumps([x for x in j["lvs"] if x["vg"] + "/" + x["name"] == "'$lv'"][0], sort_keys=True)')" \
		"lv.list's entry for $lv against lv.show"
done
[ "$(json_get "$before" 'len(j["lvs"])')" -ge 3 ] || fail "too few LVs to compare: $before"
stop_daemon
start_daemon "$D"
assert_eq "$before" "$(rpc lv.list)" "LVs after a restart"
[ -f "$D/state/backup/vg_bulk" ] && [ -f "$D/state/backup/vg_mirror" ] || fail "backups missing"
ls "$D/state/archive" | grep -q '^vg_bulk_' || fail "no archived versions of vg_bulk"
stop_daemon

if [ "$(id -u)" = 0 ] && command -v lvm >/dev/null; then
	loops=()
	for i in 1 2 3 4 5; do loops+=("$(take_loop "$D/img/d$i.img")"); done
	use_stock_lvm "${loops[@]}"
	agree_with_stock "${loops[@]}"
	stock_lvm vgck vg_bulk || fail "vgck vg_bulk"
	stock_lvm vgcfgrestore -q --test -f "$D/state/backup/vg_bulk" vg_bulk || fail "lvm2 refuses our backup file"
fi
echo "vgtoold's API works end to end"
