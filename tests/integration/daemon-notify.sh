#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vgtoold speaks systemd's notify protocol itself: READY=1 once it answers on
# its socket, STOPPING=1 on SIGTERM; under systemd (JOURNAL_STREAM set) its
# log lines carry syslog priority prefixes. The unit file is well-formed.
. "$top_srcdir/tests/integration/lib.sh"
require_cmd python3

D="$WORK/d"
mkdir -p "$D/img" "$D/state"
make_image "$D/img/d1.img" 64M
cat >"$D/vgtoold.conf" <<EOC
daemon { socket = "$D/sock" state_dir = "$D/state" activation = "none" }
devices { scan = [ "$D/img" ] filter = [ "a|^$D/img/.*\\.img\$|", "r|.*|" ] }
EOC
SOCK="$D/sock"
python3 - "$VGTOOLD" "$D" <<'PY'
import os, signal, socket, subprocess, sys, time
vgtoold, d = sys.argv[1], sys.argv[2]
notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
notify.bind(d + "/notify")
notify.settimeout(10)
env = dict(os.environ, NOTIFY_SOCKET=d + "/notify", JOURNAL_STREAM="8:12345")
log = open(d + "/log", "w")
p = subprocess.Popen([vgtoold, "--config", d + "/vgtoold.conf", "--foreground"], env=env, stderr=log)
msg = notify.recv(4096).decode()
assert msg == "READY=1", msg
# ready means answering
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(d + "/sock")
s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"host.status"}\n')
assert b'"result"' in s.recv(65536)
s.close()
p.send_signal(signal.SIGTERM)
msg = notify.recv(4096).decode()
assert msg == "STOPPING=1", msg
assert p.wait(timeout=10) == 0
log.close()
lines = open(d + "/log").read().splitlines()
assert lines and all(l.startswith("<6>") for l in lines), lines
print("notify protocol and journal priorities ok:", lines)
PY
[ ! -e "$D/sock" ] || fail "the socket was left behind after SIGTERM"
unit="$top_builddir/daemon/vgtoold.service"
[ -f "$unit" ] || fail "no unit file built"
grep -q '^Type=notify$' "$unit" || fail "the unit is not Type=notify"
grep -q '^ExecStart=/.*/vgtoold --config ' "$unit" || fail "ExecStart not expanded: $(grep ExecStart "$unit")"
if command -v systemd-analyze >/dev/null && [ -x "$(grep -o '^ExecStart=[^ ]*' "$unit" | cut -d= -f2)" ]; then
	systemd-analyze verify "$unit" 2>&1 | grep -v -e 'Command .* not executable' || true
fi
echo "vgtoold speaks sd_notify"
