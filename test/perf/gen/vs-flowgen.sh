#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Is edgevs-gen at least as fast as testpmd's flowgen engine? Both drive the
# same device, dpdk-testpmd io forwarding on one core between two ports, from
# one core of their own, both directions at once (flowgen sends on both of
# its ports; edgevs-gen runs with --bidir), and the figure is what the
# device forwarded (its own per-second Rx-pps, summed over its two ports,
# median over the run). The generator that makes the device forward more is
# the faster one; when both saturate the device they tie.
#
# Usage: test/perf/gen/vs-flowgen.sh [--gen PATH] [--port vhost|memif]
#          [--flows N] [--size B] [--duration S] [--runs N] [--rx-check "1 16"]
# --rx-check: edgevs-gen runs, one per value (default 1: every frame decoded).
# Prints a Markdown table on stdout (one line per run on stderr); removes
# everything it started.

set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
gen=$(ls -t "$root"/build*/app/edgevs-gen/edgevs-gen 2>/dev/null | grep -v -e asan -e sanit | head -n1)
port=vhost
flows=1000
size=64
duration=6
runs=3
rx_check=1
gen_core=${GEN_CORE:-0}
dut_core=${DUT_CORE:-1}
while [ $# -gt 0 ]; do
	case "$1" in
	--gen) gen=$2; shift ;;
	--port) port=$2; shift ;;
	--flows) flows=$2; shift ;;
	--size) size=$2; shift ;;
	--duration) duration=$2; shift ;;
	--runs) runs=$2; shift ;;
	--rx-check) rx_check=$2; shift ;;
	*) echo "vs-flowgen: unknown option $1" >&2; exit 1 ;;
	esac
	shift
done
[ -x "$gen" ] || { echo "vs-flowgen: edgevs-gen not found (--gen PATH)" >&2; exit 1; }
case "$port" in vhost | memif) ;; *) echo "vs-flowgen: --port vhost|memif" >&2; exit 1 ;; esac

prefix="evs-vsfg-$$"
tmp=$(mktemp -d "/tmp/${prefix}.XXXXXX")
pids=()
eal=(--no-huge -m 1024 --no-shconf --no-pci --no-telemetry --log-level=lib.eal:warning)
stop_all() {
	local p
	for p in "${pids[@]}"; do
		kill -INT "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	pids=()
	rm -f "$tmp"/*.sock
}
trap 'stop_all; [ -n "${KEEP:-}" ] || rm -rf "$tmp" /var/run/dpdk/"$prefix"-* 2>/dev/null' EXIT
trap 'exit 130' INT TERM

dut_dev() { # $1 index
	if [ "$port" = vhost ]; then echo "net_vhost$1,iface=$tmp/p$1.sock,client=0"
	else echo "net_memif$1,role=server,socket=$tmp/p$1.sock,socket-abstract=no,id=0"; fi
}
gen_dev() {
	if [ "$port" = vhost ]; then echo "net_virtio_user$1,path=$tmp/p$1.sock,queue_size=1024"
	else echo "net_memif$1,role=client,socket=$tmp/p$1.sock,socket-abstract=no,id=0"; fi
}
start_dut() {
	stdbuf -oL dpdk-testpmd --lcores "0@$dut_core,1@$dut_core" "${eal[@]}" --file-prefix "$prefix-d" \
		--vdev "$(dut_dev 0)" --vdev "$(dut_dev 1)" -- --forward-mode=io --auto-start \
		--disable-link-check --stats-period 1 --total-num-mbufs=32768 --record-core-cycles \
		>"$tmp/dut.log" 2>&1 </dev/null &
	pids+=($!)
	for _ in $(seq 100); do
		[ -S "$tmp/p0.sock" ] && [ -S "$tmp/p1.sock" ] && return 0
		sleep 0.1
	done
	echo "vs-flowgen: device did not come up" >&2
	tail "$tmp/dut.log" >&2
	return 1
}
# Median of the device's summed Rx-pps over the seconds when both ports
# were moving, the first and last such second dropped (ramp up/down).
dut_mpps() {
	python3 - "$tmp/dut.log" <<'EOF'
import re, statistics, sys
pps = [int(x) for x in re.findall(r"Rx-pps:\s+(\d+)", open(sys.argv[1]).read())]
tot = [pps[i] + pps[i + 1] for i in range(0, len(pps) - 1, 2)]
tot = [t for t in tot if t > 0]
tot = tot[1:-1] if len(tot) > 2 else tot
print("%.3f" % (statistics.median(tot) / 1e6) if tot else "0")
EOF
}
run_gen() { # $1 rx-check
	timeout -k 5 $((duration + 30)) "$gen" --lcores "0@$gen_core" "${eal[@]}" --file-prefix "$prefix-g" \
		--vdev "$(gen_dev 0)" --vdev "$(gen_dev 1)" -- --tx-port 0 --rx-port 1 --bidir \
		--flows "$flows" --size "$size" --duration "$duration" --json --no-progress \
		--rx-check "$1" \
		>"$tmp/gen.json" 2>"$tmp/gen.err"
}
run_flowgen() {
	stdbuf -oL dpdk-testpmd --lcores "0@$gen_core,1@$gen_core" "${eal[@]}" --file-prefix "$prefix-f" \
		--vdev "$(gen_dev 0)" --vdev "$(gen_dev 1)" -- --forward-mode=flowgen --auto-start \
		--disable-link-check --flowgen-flows="$flows" --txpkts=$((size - 4)) \
		--stats-period 3600 --total-num-mbufs=32768 >"$tmp/fg.log" 2>&1 </dev/null &
	local p=$!
	# The window starts when it forwards (its EAL start-up is not traffic).
	for _ in $(seq 200); do
		grep -q "packet forwarding - ports=" "$tmp/fg.log" 2>/dev/null && break
		sleep 0.1
	done
	sleep "$duration"
	kill -INT "$p" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
}

declare -A res
loads=""
for r in $(seq "$runs"); do
	for g in $(for c in $rx_check; do echo "edgevs-gen:$c"; done) flowgen; do
		start_dut || exit 1
		load=$(cut -d' ' -f1 /proc/loadavg)
		loads="$loads $load"
		if [ "$g" = flowgen ]; then run_flowgen; else run_gen "${g#*:}"; fi
		stop_all
		m=$(dut_mpps)
		res[$g]="${res[$g]:-} $m"
		echo "run $r $g: device forwarded $m Mpps (load $load)" >&2
	done
done
# Markdown on stdout: median (min-max) per generator.
{
	echo "| generator (one core) | device forwarded, Mpps: median (min-max) | runs |"
	echo "| --- | ---: | ---: |"
	for g in $(for c in $rx_check; do echo "edgevs-gen:$c"; done) flowgen; do
		echo "$g ${res[$g]}"
	done | python3 -c '
import statistics, sys
for line in sys.stdin:
    g, *v = line.split()
    v = [float(x) for x in v]
    name = "testpmd flowgen" if g == "flowgen" else "edgevs-gen --bidir --rx-check " + g.split(":")[1]
    print("| %s | %.2f (%.2f-%.2f) | %d |" % (name, statistics.median(v), min(v), max(v), len(v)))'
	echo
	echo "Port $port, $flows flows, $size B, $duration s runs, load average during the runs:$loads."
}
