#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The files of docs/toolstacks.md, checked for real:
#  - the libvirt pool and domain XML validate against libvirt's schemas
#    (virt-xml-validate), and a broken copy does not;
#  - the xl domain config passes a strict parser of the xl.cfg syntax
#    (check-xl-cfg.py) with exactly the disks expected, and broken copies
#    do not;
#  - the QEMU script passes bash -n, and its -blockdev options open an LV's
#    bytes (a loop device at the byte range `vgrescue map` prints) with
#    qemu-img and qemu-io (as root);
#  - the example API client runs against a vgtoold (none backend, image
#    files): creates a VG on a mirror and an LV with an idempotency key
#    (again: the same LV; other parameters under that key: EEXIST on
#    idempotency_key), reports errors with reason and field, waits for a
#    mirror copy job, and follows the events of it all.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd python3 virt-xml-validate qemu-img qemu-io
EX="$top_srcdir/docs/examples"
CHECK_XL="$top_srcdir/tests/integration/check-xl-cfg.py"

# --- libvirt ---
for xml in libvirt-pool.xml libvirt-domain.xml; do
	virt-xml-validate "$EX/$xml" >"$WORK/xml.out" 2>&1 || { cat "$WORK/xml.out"; fail "$xml does not validate"; }
done
sed "s/type='block'/type='blok'/" "$EX/libvirt-domain.xml" >"$WORK/bad-domain.xml"
! virt-xml-validate "$WORK/bad-domain.xml" >/dev/null 2>&1 || fail "virt-xml-validate accepts a disk of type 'blok'"
sed "s/<format type='lvm2'\/>/<format type='lvm3'\/>/" "$EX/libvirt-pool.xml" >"$WORK/bad-pool.xml"
! virt-xml-validate "$WORK/bad-pool.xml" >/dev/null 2>&1 || fail "virt-xml-validate accepts a pool format lvm3"
grep -q "<source dev='/dev/vg_raid/vm1-disk0'/>" "$EX/libvirt-domain.xml" || fail "the domain's disk is not the LV path"

# --- Xen ---
out=$(python3 "$CHECK_XL" "$EX/xl-vm1.cfg") || fail "xl-vm1.cfg does not pass the xl.cfg check"
assert_eq "vm1 /dev/vg_raid/vm1-disk0:xvda:rw:raw:phy /dev/vg_raid/vm1-disk1:xvdb:w:raw:phy" \
	"$(json_get "$out" 'j["name"] + " " + " ".join("%(target)s:%(vdev)s:%(access)s:%(format)s:%(backendtype)s" % d for d in j["disks"])')" \
	"the disks of xl-vm1.cfg"
bad_xl() { # SED-EXPRESSION MESSAGE: the check must refuse the edited config, saying MESSAGE
	sed "$1" "$EX/xl-vm1.cfg" >"$WORK/bad.cfg"
	! python3 "$CHECK_XL" "$WORK/bad.cfg" >/dev/null 2>"$WORK/err" || fail "the xl.cfg check accepts: $1"
	grep -qF "$2" "$WORK/err" || { cat "$WORK/err"; fail "the xl.cfg check does not say '$2' for: $1"; }
}
bad_xl 's/^vcpus = 1/vcpu = 1/' "unknown setting vcpu"
bad_xl 's/^memory = 1024/memory = "1024"/' "memory must be an integer"
bad_xl 's/xvdb,w"/xvdb,wx"/' "access 'wx' is not one of"
bad_xl 's/vdev=xvda, //' "vdev None is not a virtual device name"
bad_xl 's/phy:\/dev/phyx:\/dev/' "unknown target prefix phyx:"
bad_xl 's/^\t"phy:.*/&\n\t"phy:\/dev\/vg_raid\/other,xvda,w",/' "a vdev is used twice"

# --- QEMU ---
bash -n "$EX/qemu-vm1.sh" || fail "qemu-vm1.sh: syntax"
rc=0
"$EX/qemu-vm1.sh" "$WORK/nothing" 2>"$WORK/err" || rc=$?
assert_eq 1 "$rc" "qemu-vm1.sh on a path that is no block device"
grep -q 'is not a block device' "$WORK/err" || fail "qemu-vm1.sh: no message for a path that is no block device"

# --- the API client against a real vgtoold ---
D="$WORK/d"
mkdir -p "$D/img"
for i in a b c p; do make_image "$D/img/$i.img" 64M; done
start_daemon "$D"
client() { python3 "$EX/vgtool-client.py" --socket "$SOCK" "$@"; }
img() { echo "\"$D/img/$1.img\""; }
python3 "$EX/vgtool-client.py" --socket "$SOCK" events --since 0 >"$WORK/events.txt" &
events_pid=$!
client call mirror.create '{"name":"md0","legs":['"$(img a)"','"$(img b)"'],"assume_clean":true}' >/dev/null ||
	fail "client: mirror.create"
client call vg.create '{"name":"vg_raid","pvs":["md0"]}' >/dev/null || fail "client: vg.create vg_raid"
client call vg.create '{"name":"vg_plain","pvs":['"$(img p)"']}' >/dev/null || fail "client: vg.create vg_plain"

lv=$(client create-lv vg_raid vm1-disk0 8M --key vm1-disk0-create) || fail "client: create-lv"
assert_eq "/dev/vg_raid/vm1-disk0 8388608" "$(json_get "$lv" 'j["path"], j["size_bytes"]' | tr -d "(),'")" \
	"create-lv: path and size"
again=$(client create-lv vg_raid vm1-disk0 8M --key vm1-disk0-create) || fail "client: create-lv again, same key"
assert_eq "$(json_get "$lv" 'j["id"]')" "$(json_get "$again" 'j["id"]')" "the LV id for the same key"
rc=0
client create-lv vg_raid vm1-disk0 16M --key vm1-disk0-create >/dev/null 2>"$WORK/err" || rc=$?
assert_eq 1 "$rc" "create-lv with the key of another request"
assert_eq "EEXIST idempotency_key -32602" "$(json_get "$(cat "$WORK/err")" 'j["error"]["reason"], j["error"]["field"], j["error"]["code"]' | tr -d "(),'")" \
	"the error of a reused key"
rc=0
client call lv.create '{"vg":"vg_raid","name":"vm1-disk1","size":"banana"}' >/dev/null 2>"$WORK/err" || rc=$?
assert_eq 1 "$rc" "lv.create with a bad size"
assert_eq "EINVAL size" "$(json_get "$(cat "$WORK/err")" 'j["error"]["reason"], j["error"]["field"]' | tr -d "(),'")" \
	"the error of a bad size"
rc=0
client create-lv vg_raid vm1-disk1 1T >/dev/null 2>"$WORK/err" || rc=$?
assert_eq 1 "$rc" "create-lv larger than the VG"
assert_eq ENOSPC "$(json_get "$(cat "$WORK/err")" 'j["error"]["reason"]')" "the error of a full VG"

# a job: a new leg for md0 is copied in the background
client call mirror.fail_leg '{"name":"md0","device":'"$(img b)"'}' >/dev/null || fail "client: fail_leg"
client call mirror.remove_leg '{"name":"md0","device":'"$(img b)"'}' >/dev/null || fail "client: remove_leg"
out=$(client call mirror.add_leg '{"name":"md0","device":'"$(img c)"'}') || fail "client: add_leg"
job=$(json_get "$out" 'j["job"]["id"]')
done_job=$(client wait-job "$job" --timeout 50) || fail "client: wait-job $job: $done_job"
assert_eq "done True" "$(json_get "$done_job" 'j["state"], j["progress"] == 1' | tr -d "(),'")" "the job after wait-job"
cmp -n "$(json_get "$(client call mirror.show '{"name":"md0"}')" 'j["mirror"]["size_bytes"]')" \
	"$D/img/a.img" "$D/img/c.img" || fail "the new leg does not hold the mirror's data after the job"

# the events seen meanwhile (from the first: --since 0): the LV's commit, the leg's fate, the job's end
for i in $(seq 1 100); do grep -q '"job.done"' "$WORK/events.txt" && break; sleep 0.1; done
kill "$events_pid"; wait "$events_pid" 2>/dev/null || true
ev=$(python3 -c 'import json, sys; print(json.dumps([json.loads(l) for l in open(sys.argv[1])]))' "$WORK/events.txt")
assert_eq "commit:vg_raid:2 mirror.degraded:md0 mirror.leg_removed:md0 mirror.recovered:md0 job.done:md0" \
	"$(json_get "$ev" '" ".join(":".join(str(x) for x in (e["type"], e.get("vg") or e.get("mirror") or e.get("target"), e.get("seqno")) if x is not None) for e in j if e["type"] != "job.progress")')" \
	"the events, but job.progress"
assert_eq 1 "$(json_get "$ev" 'sum(1 for e in j if e["type"] == "job.done" and e.get("job") == '"$job"')')" "job.done events of job $job"
assert_eq "$(json_get "$ev" 'list(range(1, len(j) + 1))')" "$(json_get "$ev" '[e["seq"] for e in j]')" "event sequence numbers"

# a retried create across a daemon restart: the client retries while the socket is gone,
# and the daemon (which keeps keys in memory) answers with the LV created before
stop_daemon
python3 "$EX/vgtool-client.py" --socket "$SOCK" create-lv vg_raid vm1-disk0 8M --key vm1-disk0-create --retries 6 \
	>"$WORK/retry.out" 2>"$WORK/retry.err" &
retry_pid=$!
sleep 1
start_daemon "$D"
wait "$retry_pid" || { cat "$WORK/retry.err"; fail "client: create-lv retried across a restart"; }
assert_eq "$(json_get "$lv" 'j["id"]')" "$(json_get "$(cat "$WORK/retry.out")" 'j["id"]')" "the LV id after a retry across a restart"

# no daemon: exit status 3
rc=0
python3 "$EX/vgtool-client.py" --socket "$WORK/nosock" call host.status >/dev/null 2>&1 || rc=$?
assert_eq 3 "$rc" "client without a daemon"

# --- QEMU's block layer on an LV (root: a loop device stands where the LV's path would be) ---
if [ "$(id -u)" = 0 ]; then
	client create-lv vg_plain vm2-disk0 12M >/dev/null || fail "client: create-lv vg_plain"
	stop_daemon
	map=$("$VGRESCUE" map --json vg_plain/vm2-disk0 "$D/img/p.img") || fail "vgrescue map vm2-disk0"
	off=$(json_get "$map" 'j["segments"][0]["stripes"][0]["offset_bytes"]')
	len=$(json_get "$map" 'j["size_bytes"]')
	assert_eq $((12 << 20)) "$len" "vm2-disk0's size"
	loop=$(losetup -f --show --offset "$off" --sizelimit "$len" "$D/img/p.img") || fail "losetup at the LV's range"
	echo "$loop" >>"$LOOP_REGISTRY"
	# the script's own -blockdev, taken from the command line it would run
	printf '#!/bin/bash\nprintf "%%s\\n" "$@"\n' >"$WORK/show-args"
	chmod +x "$WORK/show-args"
	args=$(QEMU="$WORK/show-args" "$EX/qemu-vm1.sh" "$loop") || fail "qemu-vm1.sh $loop"
	blockdev=$(grep -A1 -x -- -blockdev <<<"$args" | tail -1)
	assert_eq "driver=host_device,node-name=disk0,filename=$loop,cache.direct=on,aio=native" "$blockdev" "qemu-vm1.sh's -blockdev"
	opts=${blockdev/node-name=disk0,/}
	info=$(qemu-img info --output=json --image-opts "$opts") || fail "qemu-img info --image-opts $opts"
	assert_eq "$len" "$(json_get "$info" 'j["virtual-size"]')" "the size QEMU sees"
	qemu-io --image-opts "$opts" -c "write -P 0x5a 4096 1M" -c "read -P 0x5a 4096 1M" >"$WORK/qio.out" 2>&1 ||
		{ cat "$WORK/qio.out"; fail "qemu-io write/read through $opts"; }
	release_loops
	# what QEMU wrote is in the LV, and nothing outside it moved
	"$VGRESCUE" extract vg_plain/vm2-disk0 --to "$WORK/vm2.out" "$D/img/p.img" 2>/dev/null || fail "extract vm2-disk0"
	python3 -c 'import sys; d = open(sys.argv[1], "rb").read()
assert d[:4096] == bytes(4096) and d[4096:4096 + (1 << 20)] == b"\x5a" * (1 << 20) and d[4096 + (1 << 20):] == bytes(len(d) - 4096 - (1 << 20)), "LV content"' \
		"$WORK/vm2.out" || fail "QEMU's writes are not where the LV is"
	"$VGRESCUE" layout --vg vg_plain "$D/img/p.img" >/dev/null || fail "vg_plain's metadata after QEMU's writes"
fi
echo "toolstack examples check out"
