#!/usr/bin/env bash
# Self-test of the guest tooling, with dpdk-testpmd (net_vhost, io forwarding)
# standing in for the switch. Two real guests under TCG (KVM when it works):
#  - both socket modes: QEMU server + testpmd client, testpmd server + QEMU
#    client (the second one with 2 queue pairs per port);
#  - ping 56 and 1400 bytes, 1 MiB over TCP with a sha256 check, iperf3;
#  - a guest SIGKILLed and restarted on the same socket;
#  - the switch restarted while guests run (they reconnect, no guest action);
#  - clean guest shutdown.
# Prints "ok/not ok" lines, measurements, then "N passed, N failed".
# Needs root, qemu-system-x86, dpdk-testpmd. Ends on its own (SELFTEST_LIMIT
# seconds, default 480) and removes every process, socket and file it made.
# Usage: selftest.sh [--quick]   (--quick: one socket mode, no iperf3)
set -u

limit=${SELFTEST_LIMIT:-480}
if [ -z "${_GUEST_SELFTEST_INNER:-}" ]; then
	# timeout signals the whole process group; our TERM trap cleans up and
	# PDEATHSIG takes QEMU/testpmd down if even that is killed.
	_GUEST_SELFTEST_INNER=1 exec timeout -k 15 "$limit" bash "$0" "$@"
fi

quick=0
[ "${1:-}" = --quick ] && quick=1
here=$(cd "$(dirname "$0")" && pwd)
for tool in qemu-system-x86_64 dpdk-testpmd python3; do
	if ! command -v "$tool" >/dev/null; then
		echo "selftest: $tool not installed"
		echo "0 passed, 1 failed"
		exit 1
	fi
done
# shellcheck source=guest.sh
. "$here/guest.sh"
# shellcheck source=testpmd-switch.sh
. "$here/testpmd-switch.sh"

passed=0 failed=0 n=0
metrics=()
ok() { n=$((n + 1)); passed=$((passed + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { # DESCRIPTION CMD...: pass when CMD succeeds
	local d=$1
	shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}
metric() { metrics+=("$*"); echo "# $*"; }

finish() {
	trap - EXIT INT TERM
	sw_testpmd_stop
	guest_cleanup
	[ -n "${work:-}" ] && rm -rf "$work"
}
abort() {
	echo "selftest: interrupted" >&2
	finish
	echo "$passed passed, $((failed + 1)) failed"
	exit 1
}
trap finish EXIT
trap abort INT TERM

t0=$SECONDS
guest_init --no-trap || { echo "0 passed, 1 failed"; exit 1; }
work=$GUEST_RUN_DIR # removed by guest_cleanup; sockets live here too
echo "# accelerator: $GUEST_ACCEL_USED, QEMU: $("$GUEST_QEMU" --version | head -1)"

A_IP=10.99.0.1 B_IP=10.99.0.2

uptime_at_ready() { sed -n 's/.*evs-init: ready .*uptime=//p' "$(guest_console "$1")" | tail -1; }

ping_rtt() { # GUEST SIZE: prints avg RTT in ms, fails unless all replies came
	local out
	out=$(guest_exec "$1" --timeout 30 "ping -c 5 -i 0.2 -W 3 -s $2 $B_IP") || return 1
	grep -q ' 0% packet loss' <<<"$out" || return 1
	sed -n 's|.*min/avg/max = [^/]*/\([^/]*\)/.*|\1|p' <<<"$out"
}

wait_ping() { # GUEST IP SECS: until one ping gets through
	guest_exec "$1" --timeout $(($3 + 5)) \
		"i=0; while [ \$i -lt $3 ]; do ping -c 1 -W 1 $2 >/dev/null && exit 0; i=\$((i+1)); done; exit 1" \
		>/dev/null
}

tcp_transfer() { # 1 MiB a -> b with nc, compare sha256
	local sum_tx sum_rx t
	# sleep keeps nc's stdin open: busybox nc quits when stdin ends.
	guest_exec b 'rm -f /tmp/rx; (sleep 60 | nc -l -p 5001 >/tmp/rx 2>/dev/null &)' || return 1
	sum_tx=$(guest_exec a 'dd if=/dev/urandom of=/tmp/tx bs=64k count=16 2>/dev/null && sha256sum /tmp/tx') || return 1
	sleep 0.5
	t=$(date +%s.%N)
	guest_exec a --timeout 30 "nc $B_IP 5001 </tmp/tx" || return 1
	# the receiver ends when the sender's FIN arrives
	guest_exec b --timeout 30 'i=0; while pidof nc >/dev/null && [ $i -lt 100 ]; do usleep 100000; i=$((i+1)); done' ||
		return 1
	sum_rx=$(guest_exec b 'sha256sum /tmp/rx; killall sleep 2>/dev/null; true') || return 1
	metric "tcp 1 MiB transfer $mode: $(awk -v s="$t" -v e="$(date +%s.%N)" 'BEGIN {printf "%.2f", e - s}') s"
	[ "${sum_tx%% *}" = "${sum_rx%% *}" ] || { echo "# tx $sum_tx rx $sum_rx"; return 1; }
}

iperf() {
	local out
	guest_exec b 'iperf3 -s -D -1 >/dev/null 2>&1' || return 1
	sleep 0.5
	out=$(guest_exec a --timeout 40 "iperf3 -c $B_IP -t 5 -f m") || { echo "$out"; return 1; }
	metric "iperf3 a->b $mode: $(awk '/receiver/ {print $(NF-2), $(NF-1)}' <<<"$out")" \
		"(retransmits $(awk '/sender/ {print $(NF-1)}' <<<"$out"))"
}

exec_bulk() { # long command line in, every byte value out
	local long want got
	long=$(head -c 15000 /dev/urandom | base64 -w0)
	got=$(guest_exec a "x='$long'; echo \${#x}") || return 1
	[ "$got" = "${#long}" ] || { echo "# long command: got '$got'"; return 1; }
	want=$(for i in $(seq 0 255); do printf "\\$(printf %03o "$i")"; done | sha256sum)
	got=$(guest_exec a 'i=0; while [ $i -lt 256 ]; do printf "\\$(printf %03o $i)"; i=$((i+1)); done' | sha256sum)
	[ "$want" = "$got" ] || { echo "# binary output differs"; return 1; }
}

qemu_gone() { ! _guest_alive "$1"; }

queues_ok() { # GUEST N: ethtool -l shows N combined channels in use
	guest_exec "$1" 'ethtool -l eth0' | awk '/Current hardware settings/ {c = 1} c && /Combined/ {print $2; exit}' |
		grep -qx "$2"
}

B_EXTRA=(--mtu 9000 --ip6 fd00:99::2/64 --gw 10.99.0.254)

b_config_ok() { # the kernel command line options reached eth0
	local out
	out=$(guest_exec b 'cat /sys/class/net/eth0/mtu; ip -6 addr show dev eth0; ip route') || return 1
	grep -qx 9000 <<<"$out" && grep -q 'inet6 fd00:99::2/64' <<<"$out" &&
		grep -q 'default via 10.99.0.254' <<<"$out"
}

start_pair() { # MODE QUEUES: switch and both guests, in the order MODE needs
	local q=$2
	if [ "$1" = qemu-server ]; then
		guest_start a --vhost "$work/a.sock" --mode server --ip $A_IP/24 --queues "$q" || return 1
		guest_start b --vhost "$work/b.sock" --mode server --ip $B_IP/24 --queues "$q" || return 1
		sw_testpmd_start "$work/sw" client "$q" "$work/a.sock" "$work/b.sock" || return 1
	else
		sw_testpmd_start "$work/sw" server "$q" "$work/a.sock" "$work/b.sock" || return 1
		guest_start a --vhost "$work/a.sock" --mode client --ip $A_IP/24 --queues "$q" || return 1
		guest_start b --vhost "$work/b.sock" --mode client --ip $B_IP/24 --queues "$q" \
			"${B_EXTRA[@]}" || return 1
	fi
	guest_wait_ready a && guest_wait_ready b
}

restart_switch() {
	local tp_mode=client
	[ "$mode" = qemu-client ] && tp_mode=server
	sw_testpmd_stop
	sleep 1
	sw_testpmd_start "$work/sw" "$tp_mode" "$queues" "$work/a.sock" "$work/b.sock"
}

modes=(qemu-server qemu-client)
[ $quick = 1 ] && modes=(qemu-server)
for mode in "${modes[@]}"; do
	queues=1
	[ "$mode" = qemu-client ] && queues=2
	echo "# --- QEMU vhost-user $mode, $queues queue pair(s) ---"
	if ! start_pair "$mode" "$queues"; then
		nok "$mode: switch and two guests start and boot"
		tail -20 "$work/sw/testpmd.log" 2>/dev/null | sed 's/^/#   /'
		sw_testpmd_stop
		guest_cleanup
		guest_init --no-trap --dir "$work" >/dev/null
		continue
	fi
	ok "$mode: switch and two guests start and boot"
	metric "boot $mode: a $(guest_boot_seconds a) s, b $(guest_boot_seconds b) s from QEMU start" \
		"(guest kernel uptime at ready: a $(uptime_at_ready a) s, b $(uptime_at_ready b) s)"
	check "$mode: guest_exec returns output and exit status" \
		test "$(guest_exec a 'echo out; echo err >&2; exit 7'; echo "rc=$?")" = "$(printf 'out\nerr\nrc=7')"
	check "$mode: guest_exec carries a 20 KB command and binary output intact" exec_bulk
	if [ "$queues" -gt 1 ]; then
		check "$mode: guests use $queues queue pairs" queues_ok a "$queues"
		check "$mode: guest got MTU, IPv6 address and gateway from its command line" b_config_ok
	fi
	check "$mode: link comes up" wait_ping a $B_IP 20
	if rtt=$(ping_rtt a 56); then
		ok "$mode: ping 56 bytes"
		metric "ping 56 B $mode: avg $rtt ms"
	else
		nok "$mode: ping 56 bytes"
	fi
	if rtt=$(ping_rtt a 1400); then
		ok "$mode: ping 1400 bytes"
		metric "ping 1400 B $mode: avg $rtt ms"
	else
		nok "$mode: ping 1400 bytes"
	fi
	check "$mode: 1 MiB over TCP arrives intact (sha256)" tcp_transfer
	if [ $quick = 0 ]; then
		check "$mode: iperf3" iperf
	fi
	sw_testpmd_cmd 'show port stats all' |
		awk '/NIC statistics for port/ {p = $(NF-1)} /RX-packets/ {rx = $2}
			/TX-packets/ {print "# testpmd port " p ": rx " rx " packets, tx " $2}'

	# SIGKILL b, start it again on the same socket: the switch sees the
	# disconnect and the new QEMU without being touched.
	guest_kill b
	check "$mode: SIGKILLed guest is gone" test -z "$(guest_pid b)"
	if guest_restart b && guest_wait_ready b; then
		ok "$mode: guest restarts on the same socket"
		check "$mode: restarted guest reachable" wait_ping a $B_IP 20
	else
		nok "$mode: guest restarts on the same socket"
	fi

	# The switch goes away and comes back; guests do nothing.
	if restart_switch; then
		ok "$mode: switch restarts"
		check "$mode: guests talk again after switch restart" wait_ping a $B_IP 30
	else
		nok "$mode: switch restarts"
	fi

	pid_a=$(guest_pid a)
	t=$SECONDS
	guest_stop a 30
	check "$mode: clean guest shutdown" test -z "$(guest_pid a)"
	check "$mode: QEMU exited after shutdown" qemu_gone "$pid_a"
	metric "shutdown $mode: $((SECONDS - t)) s"
	grep -q 'reboot: Power down' "$(guest_console a)" || echo "# note: no 'Power down' in a's console"
	guest_kill b
	sw_testpmd_stop
done

echo "# measurements (TCG unless stated above):"
for m in "${metrics[@]}"; do echo "#   $m"; done
echo "# total $((SECONDS - t0)) s"
finish
leftover=$(pgrep -f "$work" || true)
check "no process left behind" test -z "$leftover"
check "no file left behind" test ! -e "$work"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
