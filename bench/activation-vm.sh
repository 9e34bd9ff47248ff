#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Figure 5: activating LVS LVs in a QEMU VM on Debian's kernel (md and
# device-mapper for real): `vgtool vg activate` through vgtoold (activation
# = "kernel") against `vgchange -ay` of stock lvm2 on the same VG, each
# command timed whole, every device removed again in between. Both without udev (the nodes made
# by libdevmapper), both checked to leave exactly LVS devices. The VM is
# slow (TCG), so only the ratio means much.
#
# usage: activation-vm.sh [-r RUNS] [LVS]     (default 3 runs, 1000 LVs)
set -euo pipefail
. "$(dirname "$0")/common.sh"
. "$top_srcdir/tests/vm/vm-lib.sh"

RUNS=3
while getopts r: opt; do
	case $opt in
	r) RUNS=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
NLV=${1:-1000}

bench_header "Figure 5: activating $NLV LVs in the QEMU VM ($RUNS runs each)"
vm_prepare >/dev/null || skip "no kernel for the VM"
D="$WORK/f5"
mkdir -p "$D/img"
# one-extent LVs and room to spare
make_image "$D/img/pv.img" "$((NLV * 4 + 64))M"
start_daemon "$D"
make_pvs "$SOCK" "$(mda_bytes_for "$NLV")" "$D/img/pv.img"
rpc vg.create "{\"name\":\"vg_act\",\"pvs\":[\"$D/img/pv.img\"]}" >/dev/null
bpy populate "$SOCK" vg_act "$NLV" 16 lv
stop_daemon

cat >"$WORK/guest.sh" <<EOG
set -e
now() { cut -d' ' -f1 /proc/uptime; }
lvs_active() { ls /dev/mapper | grep -c '^vg_act-' || true; }
mkdir -p /etc/vgtool /var/lib/vgtool /run/vgtool
cat >/etc/vgtool/vgtoold.conf <<EOC
daemon { socket = "/run/vgtool/vgtoold.sock" state_dir = "/var/lib/vgtool" activation = "kernel" }
devices { scan = [ "/dev" ] filter = [ "a|^/dev/vda\\\$|", "r|.*|" ] }
EOC
/usr/sbin/vgtoold --config /etc/vgtool/vgtoold.conf --foreground 2>>/tmp/vgtoold.log &
pid=\$!
until /usr/sbin/vgtool host status >/dev/null 2>&1; do sleep 0.05; done
for run in \$(seq $RUNS); do
	/usr/sbin/vgtool vg deactivate vg_act >/dev/null
	[ "\$(lvs_active)" = 0 ] || { echo "VMBENCH FAILED: vg deactivate left \$(lvs_active) LVs"; exit 1; }
	t0=\$(now)
	/usr/sbin/vgtool vg activate vg_act >/dev/null
	t1=\$(now)
	n=\$(lvs_active)
	[ "\$n" = $NLV ] || { echo "VMBENCH FAILED: vgtool vg activate activated \$n LVs"; tail /tmp/vgtoold.log; exit 1; }
	/usr/sbin/vgtool vg deactivate vg_act >/dev/null
	t2=\$(now)
	/usr/sbin/lvm vgchange -ay vg_act >/dev/null 2>/tmp/vgchange.err || { echo "VMBENCH FAILED: vgchange: \$(tail -3 /tmp/vgchange.err)"; exit 1; }
	t3=\$(now)
	n=\$(lvs_active)
	[ "\$n" = $NLV ] || { echo "VMBENCH FAILED: vgchange activated \$n LVs"; exit 1; }
	/usr/sbin/dmsetup remove_all
	echo "VMBENCH ours_s=\$(echo \$t0 \$t1 | awk '{ print \$2 - \$1 }') stock_s=\$(echo \$t2 \$t3 | awk '{ print \$2 - \$1 }')"
done
kill -TERM \$pid; wait \$pid
EOG
vm_run "$WORK/vm.out" "$WORK/guest.sh" "$D/img/pv.img" || {
	grep -a VMBENCH "$WORK/vm.out" || true
	tail -20 "$WORK/vm.out"
	fail "the activation benchmark failed in the VM"
}
mapfile -t lines < <(grep -a '^VMBENCH ours_s=' "$WORK/vm.out" | tr -d '\r' | sed 's/^VMBENCH //')
[ "${#lines[@]}" = "$RUNS" ] || fail "expected $RUNS runs, got ${#lines[@]}"
printf '%s\n' "${lines[@]}" >"$WORK/runs"
next_run() { # one run's line after the other, for median_of_runs
	local n
	n=$(cat "$WORK/runs.read" 2>/dev/null || echo 0)
	echo $((n + 1)) >"$WORK/runs.read"
	sed -n "$((n + 1))p" "$WORK/runs"
}
medians=$(median_of_runs "$RUNS" next_run)
ours_ms=$(bpy ratio "$(kv "$medians" ours_s)" 0.001)
stock_ms=$(bpy ratio "$(kv "$medians" stock_s)" 0.001)
bench_report 5 "activate $NLV LVs in the QEMU VM (vg activate vs vgchange -ay)" "$ours_ms" "$stock_ms" ms "faster"
