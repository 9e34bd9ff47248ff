#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# 64 clients issue creates, resizes, removes and reads against one VG for a
# bounded time. Afterwards every acknowledged change is on disk and nothing
# else is, far fewer commits were written than changes acknowledged (group
# commit), and stock lvm2 agrees. Then the same with kill -9 in the middle:
# after a restart the metadata is consistent and every acknowledged change
# survived.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd python3

D="$WORK/d"
mkdir -p "$D/img"
make_image "$D/img/d1.img" 2G
make_image "$D/img/d2.img" 2G
start_daemon "$D"
rpc vg.create '{"name":"vg_load","pvs":["'$D'/img/d1.img","'$D'/img/d2.img"]}' >/dev/null

python3 "$top_srcdir/tests/integration/rpc-load.py" "$SOCK" vg_load 64 6 "$WORK/load1.json"
commits=$(json_get "$(rpc host.status)" 'j["commits"]')
changes=$(json_get "$(cat "$WORK/load1.json")" 'j["counts"]["changes"]')
echo "$changes acknowledged changes in $commits commits"
[ "$changes" -gt 100 ] || fail "the load test made only $changes changes"
[ "$commits" -lt "$changes" ] || fail "group commit: $commits commits for $changes changes"
stop_daemon
"$VGRESCUE" dump --json "$D"/img/*.img >"$WORK/dump1.json"
python3 "$top_srcdir/tests/integration/check-load.py" "$WORK/load1.json" "$WORK/dump1.json" vg_load

# kill -9 in the middle of the load
start_daemon "$D"
python3 "$top_srcdir/tests/integration/rpc-load.py" "$SOCK" vg_load 64 8 "$WORK/load2.json" k &
load_pid=$!
sleep 3
kill -9 "$VGTOOLD_PID"
wait "$VGTOOLD_PID" 2>/dev/null || true
VGTOOLD_PID=
wait "$load_pid"
"$VGRESCUE" dump --json "$D"/img/*.img >"$WORK/dump2.json"
python3 "$top_srcdir/tests/integration/check-load.py" "$WORK/load2.json" "$WORK/dump2.json" vg_load
start_daemon "$D"
rpc vg.show '{"name":"vg_load"}' >/dev/null || fail "vg_load unreadable after kill -9"
stop_daemon

if [ "$(id -u)" = 0 ] && command -v lvm >/dev/null; then
	loops=("$(take_loop "$D/img/d1.img")" "$(take_loop "$D/img/d2.img")")
	use_stock_lvm "${loops[@]}"
	stock_lvm vgck vg_load || fail "vgck after kill -9"
	agree_with_stock "${loops[@]}"
fi
echo "every acknowledged change survived, with group commit"
