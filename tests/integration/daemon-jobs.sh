#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Mirror copies as jobs in vgtoold (none backend, image files, copy_rate
# limited so a 256 MiB copy takes a few seconds): add-leg answers at once
# and the copy runs as a job with growing progress while other requests are
# answered; changes to the mirror's legs are refused naming the job; cancel
# leaves a checkpoint mdadm reads; adding the leg again resumes; kill -9
# and SIGTERM mid-copy, then a restart, resume from the checkpoint; at the
# end the legs hold the same data and mdadm agrees with the daemon. The same
# through vgtool: --no-wait, job list/cancel/wait, and following a copy.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd python3 mdadm cmp

D="$WORK/d"
mkdir -p "$D/img"
for leg in a b c d; do make_image "$D/img/$leg.img" 256M; done
make_image "$D/img/other.img" 64M
make_image "$D/img/r1.img" 32M
make_image "$D/img/r2.img" 32M
# big enough that its resync is still running when SIGTERM comes, on a loaded machine too
make_image "$D/img/s1.img" 128M
make_image "$D/img/s2.img" 128M
# r1 and r2 differ until a resync makes them equal
dd if=/dev/urandom of="$D/img/r1.img" bs=1M seek=1 count=8 conv=notrunc status=none
dd if=/dev/urandom of="$D/img/s1.img" bs=1M seek=20 count=8 conv=notrunc status=none
# slow while the first copy is looked at, faster once only its end matters
SLOW=$((16 << 20)) FAST=$((96 << 20))
start_daemon "$D" "copy_rate = $SLOW"
img() { echo "\"$D/img/$1.img\""; }

job_field() { json_get "$(rpc job.show '{"id":'"$1"'}')" 'j["job"]["'"$2"'"]'; }

# wait_progress ID FRACTION: until the job has done at least FRACTION
wait_progress() {
	local i
	for i in $(seq 1 600); do
		[ "$(json_get "$(rpc job.show '{"id":'"$1"'}')" 'int(j["job"]["progress"] >= '"$2"')')" = 1 ] && return 0
		sleep 0.05
	done
	fail "job $1 did not reach $2"
}

examine() { mdadm --examine "$D/img/$1.img" 2>/dev/null; }
recovery_offset() { # sectors, or "none"
	examine "$1" | awk '/Recovery Offset/ { print $4; found = 1 } END { if (!found) print "none" }'
}
leg_state() { # the daemon's state of a leg
	json_get "$(rpc mirror.show '{"name":"md0"}')" '[l["state"] for l in j["mirror"]["legs"] if l["device"] == "'"$D/img/$1.img"'"][0]'
}

# restart_resumes LEG: start vgtoold again; its only job on md0 must be the
# copy to LEG, resumed by itself from LEG's checkpoint: RESUMED_JOB, RESUMED_OFFSET
restart_resumes() {
	local out md0
	RESUMED_OFFSET=$(recovery_offset "$1")
	[ "$RESUMED_OFFSET" != none ] && [ "$RESUMED_OFFSET" -gt 0 ] || fail "no checkpoint on $1: $RESUMED_OFFSET"
	start_daemon "$D" "copy_rate = $FAST"
	out=$(rpc job.list)
	md0='[x for x in j["jobs"] if x["target"] == "md0"]'
	assert_eq "['mirror.recover']" "$(json_get "$out" '[x["kind"] for x in '"$md0"']')" "md0's jobs after a restart"
	assert_eq $((size - RESUMED_OFFSET * 512)) "$(json_get "$out" "$md0"'[0]["total_bytes"]')" \
		"the copy resumes at $1's checkpoint"
	RESUMED_JOB=$(json_get "$out" "$md0"'[0]["id"]')
}
# resync_offset LEG: sectors, or "clean" (mdadm shows no resync offset of an active array)
resync_offset() {
	"$VGRESCUE" md examine --json "$D/img/$1.img" |
		sed -n 's/.*"resync_offset_sectors": *\([0-9]*\).*/\1/p' | sed 's/^18446744073709551615$/clean/'
}

# the legs hold the same data, and mdadm sees what the daemon sees
check_in_sync() { # LEG LEG
	local show size
	show=$(rpc mirror.show '{"name":"md0"}')
	assert_eq clean "$(json_get "$show" 'j["mirror"]["state"]')" "md0 state"
	size=$(json_get "$show" 'j["mirror"]["size_bytes"]')
	cmp -n "$size" "$D/img/$1.img" "$D/img/$2.img" || fail "$1 and $2 differ in the data area"
	for leg in "$1" "$2"; do
		assert_eq in_sync "$(leg_state "$leg")" "daemon: $leg"
		assert_eq none "$(recovery_offset "$leg")" "mdadm: recovery offset of $leg"
		examine "$leg" | grep -q "State : clean" || fail "mdadm: $leg is not clean"
		assert_eq "$(json_get "$show" 'j["mirror"]["events"]')" "$(examine "$leg" | awk '/Events :/ { print $3 }')" \
			"mdadm's events of $leg against the daemon's"
	done
	examine "$1" | grep -q "Array State : AA " || fail "mdadm: $1 does not see two active legs"
}

# subscribe FILE: record every event of this run (from its first) while the daemon lives
subscribe() {
	python3 - "$SOCK" >"$1" <<'EOF' &
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"events.subscribe","params":{"since":0}}\n')
buf = b""
while True:
    data = s.recv(65536)
    if not data:
        break
    buf += data
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        msg = json.loads(line)
        if msg.get("method") == "event":
            print(json.dumps(msg["params"]), flush=True)
EOF
	EVENTS_PID=$!
}
# count_events FILE TYPE JOB
count_events() {
	python3 -c 'import json,sys
events = [json.loads(line) for line in open(sys.argv[1])]
print(sum(1 for e in events if e["type"] == sys.argv[2] and e.get("job") == int(sys.argv[3])))' "$@"
}

# a mirror created without assume_clean is resynced by a job, as md does on its first start
out=$(rpc mirror.create '{"name":"md_r","legs":['$(img r1)','$(img r2)']}')
assert_eq mirror.resync "$(json_get "$out" 'j["job"]["kind"]')" "the new mirror's job"
wait_job "$(json_get "$out" 'j["job"]["id"]')" done
out=$(rpc mirror.show '{"name":"md_r"}')
assert_eq "clean True" "$(json_get "$out" 'j["mirror"]["state"] + " " + str(j["mirror"]["in_sync"])')" "md_r after its resync"
cmp -n "$(json_get "$out" 'j["mirror"]["size_bytes"]')" "$D/img/r1.img" "$D/img/r2.img" || fail "md_r's legs differ after the resync"
for leg in r1 r2; do
	examine "$leg" | grep -q "State : clean" || fail "mdadm: $leg is not clean: $(examine "$leg")"
done

rpc mirror.create '{"name":"md0","legs":['$(img a)','$(img b)'],"assume_clean":true}' >/dev/null
rpc vg.create '{"name":"vg_m","pvs":["md0"]}' >/dev/null
rpc lv.create '{"vg":"vg_m","name":"lv_before","size":"40M"}' >/dev/null
rpc vg.create '{"name":"vg_other","pvs":['$(img other)']}' >/dev/null
rpc mirror.fail_leg '{"name":"md0","device":'$(img b)'}' >/dev/null
rpc mirror.remove_leg '{"name":"md0","device":'$(img b)'}' >/dev/null
size=$(json_get "$(rpc mirror.show '{"name":"md0"}')" 'j["mirror"]["size_bytes"]')
subscribe "$D/events1"

# add-leg answers with the job once c's superblock says recovering
out=$(rpc mirror.add_leg '{"name":"md0","device":'$(img c)'}')
job=$(json_get "$out" 'j["job"]["id"]')
assert_eq mirror.add_leg "$(json_get "$out" 'j["job"]["kind"]')" "the job's kind"
assert_eq running "$(json_get "$out" 'j["job"]["state"]')" "the job right after add_leg"
assert_eq "$size" "$(json_get "$out" 'j["job"]["total_bytes"]')" "the job's total: the whole mirror"
assert_eq recovering "$(json_get "$out" '[l["state"] for l in j["mirror"]["legs"] if l["device"].endswith("/c.img")][0]')" \
	"c in the add_leg reply"
assert_eq "[$job]" "$(json_get "$(rpc job.list)" '[x["id"] for x in j["jobs"] if x["state"] == "running"]')" "running jobs"
assert_eq 1 "$(json_get "$(rpc host.status)" 'j["jobs"]')" "host.status jobs"
assert_eq "$job" "$(json_get "$(rpc mirror.show '{"name":"md0"}')" 'j["mirror"]["job"]')" "the job in mirror.show"

wait_progress "$job" 0.02
p1=$(job_field "$job" done_bytes)
# other VGs, and the mirror's own VG, are served while the copy runs
rpc vg.list >/dev/null
rpc lv.create '{"vg":"vg_other","name":"lv_during","size":"8M"}' >/dev/null
rpc lv.create '{"vg":"vg_m","name":"lv_on_mirror","size":"8M"}' >/dev/null
assert_eq running "$(job_field "$job" state)" "the job after requests on other VGs"
p2=$(job_field "$job" done_bytes)
[ "$p2" -gt "$p1" ] || fail "progress did not grow: $p1 then $p2"

# cancel: the checkpoint is on c, the mirror goes on degraded with c recovering
out=$(rpc job.cancel '{"id":'"$job"'}')
assert_eq cancelled "$(json_get "$out" 'j["job"]["state"]')" "the cancelled job"
done_at_cancel=$(json_get "$out" 'j["job"]["done_bytes"]')
offset=$(recovery_offset c)
assert_eq $((done_at_cancel / 512)) "$offset" "mdadm's recovery offset of c against the job's progress"
[ "$offset" -gt 0 ] || fail "no progress recorded on c"
assert_eq recovering "$(leg_state c)" "c after the cancel"
assert_eq cancelled "$(json_get "$(rpc job.cancel '{"id":'"$job"'}')" 'j["job"]["state"]')" "cancelling again"
rpc lv.create '{"vg":"vg_m","name":"lv_after_cancel","size":"8M"}' >/dev/null
assert_eq "$offset" "$(recovery_offset c)" "c's checkpoint after a commit on the mirror"

# adding c again resumes from the checkpoint
out=$(rpc mirror.add_leg '{"name":"md0","device":'$(img c)'}')
job2=$(json_get "$out" 'j["job"]["id"]')
[ "$job2" -gt "$job" ] || fail "job numbers must grow: $job then $job2"
assert_eq mirror.recover "$(json_get "$out" 'j["job"]["kind"]')" "the resumed job's kind"
assert_eq $((size - offset * 512)) "$(json_get "$out" 'j["job"]["total_bytes"]')" "the resumed copy starts at the checkpoint"
# the mirror's legs stay as they are while the job runs
out=$(rpc mirror.fail_leg '{"name":"md0","device":'$(img a)'}') && fail "fail_leg during a copy succeeded"
assert_eq EBUSY "$(json_get "$out" 'j["data"]["reason"]')" "fail_leg during a copy"
echo "$out" | grep -q "job $job2" || fail "the refusal does not name job $job2: $out"
out=$(rpc mirror.scrub '{"name":"md0"}') && fail "scrub during a copy succeeded"
echo "$out" | grep -q "job cancel $job2" || fail "the refusal does not say how to cancel: $out"

# SIGTERM in the middle of the copy and of a new mirror's resync: checkpoints, a clean exit
out=$(rpc mirror.create '{"name":"md_s","legs":['$(img s1)','$(img s2)']}')
size_s=$(json_get "$out" 'j["mirror"]["size_bytes"]')
wait_progress "$(json_get "$out" 'j["job"]["id"]')" 0.05
wait_progress "$job2" 0.05
done_before=$(job_field "$job2" done_bytes)
kill -TERM "$VGTOOLD_PID"
status=0
wait "$VGTOOLD_PID" || status=$?
VGTOOLD_PID=
wait "$EVENTS_PID" 2>/dev/null || true
assert_eq 0 "$status" "vgtoold's exit status after SIGTERM"
grep -q "stopped for shutdown" "$D/vgtoold.log" || fail "no word of the stopped job in the log"
[ "$(recovery_offset c)" != none ] && [ $(($(recovery_offset c) * 512)) -ge $((offset * 512 + done_before)) ] ||
	fail "c's checkpoint ($(recovery_offset c) sectors) is behind what the job had done ($done_before bytes from $offset)"
[ "$(count_events "$D/events1" job.progress "$job")" -ge 2 ] || fail "too few job.progress events: $(cat "$D/events1")"
assert_eq 1 "$(count_events "$D/events1" job.cancelled "$job")" "job.cancelled events of job $job"
resync_at=$(resync_offset s1)
[ "$resync_at" != clean ] && [ "$resync_at" -gt 0 ] && [ $((resync_at * 512)) -lt "$size_s" ] ||
	fail "no resync checkpoint on s1: $(examine s1)"
assert_eq "$resync_at" "$(resync_offset s2)" "the resync checkpoint on both legs of md_s"

# the next daemon resumes the copy by itself and completes it
restart_resumes c
job3=$RESUMED_JOB offset=$RESUMED_OFFSET
subscribe "$D/events2"
out=$(rpc job.list)
assert_eq "[['mirror.resync', $((size_s - resync_at * 512))]]" \
	"$(json_get "$out" '[[x["kind"], x["total_bytes"]] for x in j["jobs"] if x["target"] == "md_s"]')" \
	"md_s's resync resumes at its checkpoint"
wait_job "$(json_get "$out" '[x["id"] for x in j["jobs"] if x["target"] == "md_s"][0]')" done
cmp -n "$size_s" "$D/img/s1.img" "$D/img/s2.img" || fail "md_s's legs differ after the resumed resync"
assert_eq "clean clean" "$(resync_offset s1) $(resync_offset s2)" "md_s's resync offsets once clean"
wait_job "$job3" done
check_in_sync a c
sleep 0.2
[ "$(count_events "$D/events2" job.progress "$job3")" -ge 2 ] || fail "too few job.progress events: $(cat "$D/events2")"
assert_eq 1 "$(count_events "$D/events2" job.done "$job3")" "job.done events of job $job3"
assert_eq 1 "$(count_events "$D/events2" mirror.recovered "$job3")" "mirror.recovered events of job $job3"
# a few a second at most, over however long the copy took on this machine
max=$((($(job_field "$job3" finished) - $(job_field "$job3" started) + 1) * 2 + 2))
[ "$(count_events "$D/events2" job.progress "$job3")" -le "$max" ] || fail "more than a few job.progress events a second"

# kill -9 in the middle of a replacement: the next daemon resumes by itself
out=$(rpc mirror.replace_leg '{"name":"md0","old":'$(img c)',"new":'$(img d)'}')
job4=$(json_get "$out" 'j["job"]["id"]')
assert_eq mirror.replace_leg "$(json_get "$out" 'j["job"]["kind"]')" "the replacement's job"
wait_progress "$job4" 0.2
# a checkpoint is written every 64 MiB or every second: the kill comes after the first one
for i in $(seq 1 100); do
	case "$(recovery_offset d)" in none | 0) sleep 0.05 ;; *) break ;; esac
done
kill -KILL "$VGTOOLD_PID"
wait "$VGTOOLD_PID" 2>/dev/null || true
VGTOOLD_PID=
wait "$EVENTS_PID" 2>/dev/null || true
examine d | grep -q "Device Role : Replacement device 1" || fail "mdadm does not see d as c's replacement: $(examine d)"
restart_resumes d
wait_job "$RESUMED_JOB" done
check_in_sync a d
examine c >/dev/null && fail "c still carries an md superblock after it was replaced"
rpc lv.show '{"vg":"vg_m","name":"lv_after_cancel"}' >/dev/null || fail "lv_after_cancel is gone"
# vgtool: --no-wait prints the job, job list/cancel/wait, and add-leg follows
# a resumed copy with plain progress lines (no terminal here)
VGTOOL="$top_builddir/cli/vgtool"
vgt() { "$VGTOOL" --socket "$SOCK" "$@"; }
vgt mirror fail-leg md0 "$D/img/d.img" >/dev/null
vgt mirror remove-leg md0 "$D/img/d.img" >/dev/null
out=$(vgt mirror add-leg md0 "$D/img/c.img" --no-wait)
job6=$(echo "$out" | sed -n 's/^(follow it with: vgtool job wait \([0-9]*\))$/\1/p')
[ -n "$job6" ] || fail "add-leg --no-wait does not say how to follow the job: $out"
vgt job list | grep -Eq "^ *$job6 +mirror.add_leg +md0 +running " || fail "job list: $(vgt job list)"
vgt job cancel "$job6" | grep -Eq "state: +cancelled" || fail "job cancel did not cancel job $job6"
rc=0
vgt job wait "$job6" >"$WORK/out" 2>"$WORK/err" || rc=$?
assert_eq 1 "$rc" "job wait on a cancelled job"
grep -q "job $job6 (mirror.add_leg) was cancelled" "$WORK/err" || fail "job wait: $(cat "$WORK/err")"
vgt mirror add-leg md0 "$D/img/c.img" >"$WORK/out" || fail "add-leg (resume) failed: $(cat "$WORK/out")"
tail -n 1 "$WORK/out" | grep -Eq "^job [0-9]+ \(mirror.recover\): done$" || fail "add-leg did not end with done: $(cat "$WORK/out")"
[ "$(grep -Ec "^job [0-9]+: [0-9]+%$" "$WORK/out")" -ge 2 ] || fail "no progress lines: $(cat "$WORK/out")"
check_in_sync a c
assert_eq 0 "$(json_get "$(rpc host.status)" 'j["jobs"]')" "running jobs at the end"
out=$(rpc job.show '{"id":99}') && fail "job.show of an unknown job succeeded"
assert_eq ENOENT "$(json_get "$out" 'j["data"]["reason"]')" "an unknown job"
stop_daemon
echo "daemon-jobs: ok"
