#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Guest-to-guest ping RTT and iperf3 TCP throughput through edgevs (measures,
# asserts nothing). Two guests (TCG unless KVM works) on vhost-user ports of
# one edgevs switch; RUNS runs of each measurement, then the medians.
#
# Usage: tcg-bench.sh [--build DIR] [--runs N] [--mode server|client] [--queues N]
#   --mode is QEMU's side (server: edgevs connects). Needs root.
# Lcores: edgevs -l 0,1 (management lcore 0, PMD lcore 1, --pmd-sleep-us 20
# so that the idle PMD leaves CPU time to the guests); QEMU threads float.
set -u
root=$(cd "$(dirname "$0")/../../.." && pwd)
build=$root/build runs=3 mode=server queues=1
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift ;;
	--runs) runs=$2; shift ;;
	--mode) mode=$2; shift ;;
	--queues) queues=$2; shift ;;
	*) echo "tcg-bench: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
# shellcheck source=guest.sh
. "$root/test/integration/guest/guest.sh"
guest_init --no-trap || exit 1
dir=$GUEST_RUN_DIR prefix=tcgb$$ evs_pid=
cleanup() {
	guest_cleanup
	[ -n "$evs_pid" ] && kill -TERM "$evs_pid" 2>/dev/null && timeout 10 tail --pid="$evs_pid" -f /dev/null
	rm -rf /var/run/dpdk/"$prefix"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

sw_mode=client
[ "$mode" = client ] && sw_mode=server
cat >"$dir/evs.json" <<EOF
{ "switches": [ { "name": "sw0" } ],
  "ports": [
    { "name": "a", "type": "vhost-user", "switch": "sw0", "path": "$dir/a.sock", "mode": "$sw_mode", "queues": $queues },
    { "name": "b", "type": "vhost-user", "switch": "sw0", "path": "$dir/b.sock", "mode": "$sw_mode", "queues": $queues } ] }
EOF
start_evs() {
	python3 "$GUEST_TOOLS/guestctl.py" run --parent $$ -- "$build/app/edgevs/edgevs" -l 0,1 \
		--no-huge -m 512 --no-shconf --no-pci --file-prefix "$prefix" -- \
		--config "$dir/evs.json" --socket "$dir/ctl.sock" --pmd-sleep-us 20 \
		>"$dir/evs.log" 2>&1 </dev/null &
	evs_pid=$!
	for _ in $(seq 100); do grep -q 'edgevs: ready' "$dir/evs.log" && return 0; sleep 0.1; done
	tail "$dir/evs.log" >&2
	return 1
}
[ "$sw_mode" = server ] && { start_evs || exit 1; }
guest_start a --vhost "$dir/a.sock" --mode "$mode" --ip 10.66.0.1/24 --queues "$queues" || exit 1
guest_start b --vhost "$dir/b.sock" --mode "$mode" --ip 10.66.0.2/24 --queues "$queues" || exit 1
[ "$sw_mode" = client ] && { start_evs || exit 1; }
guest_wait_ready a && guest_wait_ready b || exit 1
guest_exec a 'i=0; while [ $i -lt 30 ]; do ping -c 1 -W 1 10.66.0.2 >/dev/null && exit 0; i=$((i+1)); done; exit 1' >/dev/null ||
	{ echo "tcg-bench: no connectivity" >&2; exit 1; }

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "# edgevs, QEMU $mode mode, $queues queue pair(s), accelerator $GUEST_ACCEL_USED, load $(cut -d' ' -f1-3 /proc/loadavg)"
for size in 56 1400; do
	vals=()
	for ((r = 1; r <= runs; r++)); do
		out=$(guest_exec a --timeout 40 "ping -c 10 -i 0.2 -s $size 10.66.0.2")
		v=$(sed -n 's|.*min/avg/max = [^/]*/\([^/]*\)/.*|\1|p' <<<"$out")
		echo "ping $size B run $r: avg ${v:-?} ms ($(grep -o '[0-9]*% packet loss' <<<"$out"))"
		vals+=("${v:-0}")
	done
	echo "ping $size B median of avg RTT: $(printf '%s\n' "${vals[@]}" | median) ms"
done
vals=()
for ((r = 1; r <= runs; r++)); do
	guest_exec b 'iperf3 -s -D -1 >/dev/null 2>&1' >/dev/null
	sleep 0.5
	out=$(guest_exec a --timeout 40 "iperf3 -c 10.66.0.2 -t 5 -f m")
	v=$(awk '/receiver/ {print $(NF-2)}' <<<"$out")
	echo "iperf3 run $r: ${v:-?} Mbit/s (retransmits $(awk '/sender/ {print $(NF-1)}' <<<"$out"))"
	vals+=("${v:-0}")
done
echo "iperf3 TCP a->b median: $(printf '%s\n' "${vals[@]}" | median) Mbit/s"
"$build/app/edgevsctl/edgevsctl" -s "$dir/ctl.sock" port stats 2>/dev/null | head -20
