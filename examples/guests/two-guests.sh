#!/usr/bin/env bash
# Two QEMU guests on vhost-user ports of one switch, talking to each other.
#
# Usage: examples/guests/two-guests.sh [--switch auto|edgevs|testpmd]
#            [--mode server|client|both] [--queues N] [--edgevs PATH] [--wait]
#
#   --switch  edgevs (build/app/edgevs/edgevs, the default), or dpdk-testpmd
#             forwarding port 0 <-> port 1 as a stand-in; auto: edgevs when
#             built, else testpmd
#   --mode    QEMU's side of the vhost-user sockets. server (default): QEMU
#             listens and the switch connects, so the switch can restart
#             without touching the guests. client: the switch listens.
#             both: one run in each mode.
#   --queues  queue pairs per guest NIC (default 1)
#   --wait    keep everything running until Enter, to poke at the guests
#
# Runs as root on Debian 12 with qemu-system-x86 and DPDK installed; builds
# the guest kernel+initramfs on first use (test/integration/guest/out/).
# Guests run under TCG here (KVM when it works); the QEMU command lines are
# printed so that you can start your own guests the same way.
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
switch=edgevs mode=server queues=1 wait_enter=0
edgevs=$root/build/app/edgevs/edgevs
edgevsctl=$root/build/app/edgevsctl/edgevsctl
while [ $# -gt 0 ]; do
	case $1 in
	--switch) switch=$2; shift ;;
	--mode) mode=$2; shift ;;
	--queues) queues=$2; shift ;;
	--edgevs) edgevs=$2; edgevsctl=$(dirname "$2")/../edgevsctl/edgevsctl; shift ;;
	--wait) wait_enter=1 ;;
	-h | --help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "two-guests: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
case $mode in server | client | both) ;; *) echo "two-guests: --mode server|client|both" >&2; exit 2 ;; esac
if [ "$mode" = both ]; then
	args=()
	[ "$wait_enter" = 1 ] && args+=(--wait)
	"$0" --switch "$switch" --mode server --queues "$queues" --edgevs "$edgevs" "${args[@]}" || exit
	exec "$0" --switch "$switch" --mode client --queues "$queues" --edgevs "$edgevs" "${args[@]}"
fi
[[ $queues =~ ^[1-8]$ ]] || { echo "two-guests: --queues 1..8" >&2; exit 2; }
if [ "$switch" = auto ]; then
	switch=testpmd
	[ -x "$edgevs" ] && [ -x "$edgevsctl" ] && switch=edgevs
fi
if [ "$switch" = edgevs ] && { [ ! -x "$edgevs" ] || [ ! -x "$edgevsctl" ]; }; then
	echo "two-guests: $edgevs not built (meson setup build && ninja -C build), or use --switch testpmd" >&2
	exit 1
fi
[ "$(id -u)" = 0 ] || echo "two-guests: not root; QEMU or the switch may fail" >&2

. "$root/test/integration/guest/guest.sh"
. "$root/test/integration/guest/testpmd-switch.sh"

say() { printf '\n== %s\n' "$*"; }
run() { printf '%s$ %s\n' "$1" "$2"; guest_exec "$1" "$2"; }

guest_init --no-trap || exit 1
dir=$GUEST_RUN_DIR
sock_a=$dir/vm-a.sock sock_b=$dir/vm-b.sock
# The switch's side of each socket is the opposite of QEMU's.
sw_mode=client
[ "$mode" = client ] && sw_mode=server

# ---- the switch ---------------------------------------------------------
# Each backend: start it, make two vhost-user ports on sock_a/sock_b in
# $sw_mode with $queues queue pairs, show stats, stop it.
EVS_PID='' EVS_SOCK=$dir/edgevs.sock EVS_PREFIX=evs-example$$

edgevs_start() {
	local i
	printf '{"switches":[{"name":"sw0"}],"ports":[]}\n' >"$dir/edgevs.json"
	# No hugepages needed: --no-huge memory is memfd-backed and shareable.
	python3 "$GUEST_TOOLS/guestctl.py" run --parent $$ -- \
		"$edgevs" -l 0,1 --no-huge -m 512 --no-shconf --file-prefix "$EVS_PREFIX" \
		--no-pci -- --config "$dir/edgevs.json" --socket "$EVS_SOCK" \
		</dev/null >"$dir/edgevs.log" 2>&1 &
	EVS_PID=$!
	disown "$EVS_PID"
	for ((i = 0; i < 100; i++)); do
		grep -q 'edgevs: ready' "$dir/edgevs.log" 2>/dev/null && break
		kill -0 "$EVS_PID" 2>/dev/null || break
		sleep 0.1
	done
	grep -q 'edgevs: ready' "$dir/edgevs.log" || { tail "$dir/edgevs.log" >&2; return 1; }
	"$edgevsctl" -s "$EVS_SOCK" port add name=vm-a type=vhost-user path="$sock_a" \
		mode="$sw_mode" queues="$queues" switch=sw0 >/dev/null &&
		"$edgevsctl" -s "$EVS_SOCK" port add name=vm-b type=vhost-user path="$sock_b" \
			mode="$sw_mode" queues="$queues" switch=sw0 >/dev/null
}
edgevs_stats() {
	# port list: the guest's state, negotiated features and lifecycle
	# counters under "vhost"; port stats: packets, drops by reason and
	# checksums completed (tx_csum_sw) or handed on (tx_csum_passed).
	"$edgevsctl" -s "$EVS_SOCK" port list
	"$edgevsctl" -s "$EVS_SOCK" port stats
}
edgevs_stop() {
	local i
	[ -n "$EVS_PID" ] || return 0
	kill -TERM "$EVS_PID" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$EVS_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$EVS_PID" 2>/dev/null
	EVS_PID=
	rm -rf "/var/run/dpdk/$EVS_PREFIX"
}

testpmd_start() { sw_testpmd_start "$dir/testpmd" "$sw_mode" "$queues" "$sock_a" "$sock_b"; }
testpmd_stats() { sw_testpmd_cmd 'show port stats all' | grep -E 'statistics for|packets'; }
testpmd_stop() { sw_testpmd_stop; }

cleanup() {
	trap - EXIT INT TERM
	"${switch}_stop"
	guest_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "switch: $switch, vhost-user ports in $sw_mode mode, QEMU in $mode mode, $queues queue pair(s)"
"${switch}_start" || { echo "two-guests: the switch did not start" >&2; exit 1; }

say "booting two guests (accelerator: $GUEST_ACCEL_USED)"
guest_start vm-a --vhost "$sock_a" --mode "$mode" --mac 52:54:00:00:00:0a \
	--ip 10.10.0.1/24 --queues "$queues" || exit 1
guest_start vm-b --vhost "$sock_b" --mode "$mode" --mac 52:54:00:00:00:0b \
	--ip 10.10.0.2/24 --queues "$queues" || exit 1
guest_wait_ready vm-a && guest_wait_ready vm-b || exit 1
echo "booted in $(guest_boot_seconds vm-a) s and $(guest_boot_seconds vm-b) s"

say "the guests talk"
run vm-a 'ip -br addr show eth0'
run vm-b 'ip -br addr show eth0'
run vm-a 'ethtool -k eth0 | grep -E "^(tx|rx)-checksumming|segmentation-offload"'
run vm-a 'ethtool -l eth0 | sed -n "/Current/,\$p"'
run vm-a 'ping -c 3 -W 5 10.10.0.2'
run vm-a 'ping -c 3 -W 5 -s 1400 10.10.0.2'
guest_exec vm-b '(sleep 60 | nc -l -p 5001 >/tmp/rx 2>/dev/null &)'
run vm-a 'dd if=/dev/urandom of=/tmp/tx bs=64k count=16 2>/dev/null; sha256sum /tmp/tx; nc 10.10.0.2 5001 </tmp/tx'
guest_exec vm-b --timeout 30 'i=0; while pidof nc >/dev/null && [ $i -lt 100 ]; do usleep 100000; i=$((i+1)); done; killall sleep' >/dev/null 2>&1
run vm-b 'sha256sum /tmp/rx'
guest_exec vm-b 'iperf3 -s -D -1 >/dev/null 2>&1'
sleep 0.5
run vm-a 'iperf3 -c 10.10.0.2 -t 3 -f m | tail -4'

say "switch counters"
"${switch}_stats"

say "QEMU command lines (copy and adapt: paths, MACs, memory)"
for g in vm-a vm-b; do
	echo "# $g"
	guest_cmdline "$g" --multiline
done
cat <<EOF
# Notes: memory-backend-memfd share=on is what lets the switch read and write
# guest memory (without it nothing reaches the switch). vectors=0 and
# event_idx=off are for TCG only (QEMU 7.2 + vhost-user + MSI-X crashes
# under TCG); with KVM drop them and keep the defaults. The guest kernel
# takes evs.ip=, evs.mtu=, evs.queues=... on its command line (see
# test/integration/guest/rootfs/init).
EOF

if [ "$wait_enter" = 1 ]; then
	say "running; in another shell:"
	echo "  socat -,raw,echo=0,escape=0x0f UNIX-CONNECT:$dir/vm-a/console.sock    # vm-a's console (Ctrl-O to quit)"
	echo "  python3 $GUEST_TOOLS/guestctl.py exec --sock $dir/vm-a/ctl.sock -- ping -c1 10.10.0.2"
	[ "$switch" = edgevs ] && echo "  $edgevsctl -s $EVS_SOCK port stats"
	read -r -p "press Enter to stop everything " _
fi
say "stopping"
guest_stop vm-a
guest_stop vm-b
echo "done"
