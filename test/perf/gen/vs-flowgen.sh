#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Is edgevs-gen at least as fast as testpmd's flowgen engine? Both drive the
# same device, dpdk-testpmd io forwarding on one core between two ports, from
# one core of their own, both directions at once (flowgen sends on both of
# its ports; edgevs-gen runs with --bidir), and the figure is what the
# device forwarded (its own per-second Rx-pps, summed over its two ports,
# median over the run). The generator that makes the device forward more is
# the faster one; when both saturate the device they tie. edgevs-gen also
# runs one way only (--tx-port 0 --rx-port 1, as test/perf/gen/matrix.sh
# drives every device), and varies its flows as flowgen does (the
# destination address; flowgen also sends the same source MAC from both
# ports, which does not matter to testpmd io). The device's busy cycles per
# packet (--record-core-cycles) and busy share tell whether it was saturated.
#
# Usage: test/perf/gen/vs-flowgen.sh [--gen PATH] [--port vhost|memif]
#          [--flows N] [--size B] [--duration S] [--runs N] [--rx-check "1 16"]
#          [--modes "bidir uni"] [--no-huge] [--json FILE]
# --json FILE: the runs as JSON too ({generator: {"mpps": [...], "cpp": [...]}}).
# --rx-check: edgevs-gen runs, one per value and mode (default 16).
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
rx_check=16
modes="bidir uni"
json_out=""
huge=1
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
	--modes) modes=$2; shift ;;
	--json) json_out=$2; shift ;;
	--no-huge) huge=0 ;;
	*) echo "vs-flowgen: unknown option $1" >&2; exit 1 ;;
	esac
	shift
done
[ -x "$gen" ] || { echo "vs-flowgen: edgevs-gen not found (--gen PATH)" >&2; exit 1; }
case "$port" in vhost | memif) ;; *) echo "vs-flowgen: --port vhost|memif" >&2; exit 1 ;; esac

prefix="evs-vsfg-$$"
tmp=$(mktemp -d "/tmp/${prefix}.XXXXXX")
pids=()
# shellcheck source=../huge.sh
. "$here/../huge.sh"
# shellcheck source=virtio.sh
. "$here/virtio.sh"
eal=(-m 512 --no-shconf --no-pci --no-telemetry --log-level=lib.eal:warning)
if [ $huge = 1 ] && huge_reserve 1152; then
	read -r -a he <<<"$(huge_eal)"
	eal+=("${he[@]}")
	huge_sort "$(dirname "$gen")/../../test/perf/hugepage-sort" 1152 &&
		echo "vs-flowgen: hugepages $huge_sort_line" >&2
else
	eal+=(--no-huge)
fi
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
trap 'stop_all; huge_release; [ -n "${KEEP:-}" ] || rm -rf "$tmp" /var/run/dpdk/"$prefix"-* 2>/dev/null' EXIT
trap 'exit 130' INT TERM

dut_dev() { # $1 index
	if [ "$port" = vhost ]; then echo "net_vhost$1,iface=$tmp/p$1.sock,client=0"
	else echo "net_memif$1,role=server,socket=$tmp/p$1.sock,socket-abstract=no,id=0"; fi
}
gen_dev() {
	if [ "$port" = vhost ]; then echo "net_virtio_user$1,path=$tmp/p$1.sock,queue_size=1024$GEN_VIRTIO"
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
# "Mpps cycles/pkt": the median of the device's summed Rx-pps over the
# seconds when a port was moving, the first and last such second dropped
# (ramp up/down), and its busy cycles per packet (printed when it stops).
dut_figures() {
	python3 - "$tmp/dut.log" <<'EOF'
import re, statistics, sys
log = open(sys.argv[1]).read()
pps = [int(x) for x in re.findall(r"Rx-pps:\s+(\d+)", log)]
tot = [pps[i] + pps[i + 1] for i in range(0, len(pps) - 1, 2)]
tot = [t for t in tot if t > 0]
tot = tot[1:-1] if len(tot) > 2 else tot
cyc = re.findall(r"total cycles=(\d+) / total io packets=(\d+)", log)
cpp = int(cyc[-1][0]) / int(cyc[-1][1]) if cyc and int(cyc[-1][1]) else 0
print("%.3f %.0f" % (statistics.median(tot) / 1e6 if tot else 0, cpp))
EOF
}
run_gen() { # $1 mode (bidir|uni) $2 rx-check
	local dir=()
	[ "$1" = bidir ] && dir=(--bidir)
	timeout -k 5 $((duration + 30)) "$gen" --lcores "0@$gen_core" "${eal[@]}" --file-prefix "$prefix-g" \
		--vdev "$(gen_dev 0)" --vdev "$(gen_dev 1)" -- --tx-port 0 --rx-port 1 "${dir[@]}" \
		--flows "$flows" --sport-range 1 --dip-range "$flows" --size "$size" \
		--duration "$duration" --json --no-progress --rx-check "$2" \
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

gens="$(for m in $modes; do for c in $rx_check; do echo "edgevs-gen:$m:$c"; done; done) flowgen"
declare -A res cpp
loads=""
for r in $(seq "$runs"); do
	for g in $gens; do
		start_dut || exit 1
		load=$(cut -d' ' -f1 /proc/loadavg)
		loads="$loads $load"
		ok=1
		if [ "$g" = flowgen ]; then
			run_flowgen
		else
			IFS=: read -r _ m c <<<"$g"
			run_gen "$m" "$c" || ok=0
		fi
		stop_all
		if [ $ok = 0 ]; then
			echo "run $r $g: edgevs-gen failed: $(tail -n1 "$tmp/gen.err")" >&2
			continue
		fi
		read -r m c <<<"$(dut_figures)"
		res[$g]="${res[$g]:-} $m"
		cpp[$g]="${cpp[$g]:-} $c"
		echo "run $r $g: device forwarded $m Mpps, $c cycles/packet (load $load)" >&2
	done
done
if [ -n "$json_out" ]; then
	for g in $gens; do
		echo "$g ${res[$g]:-} /${cpp[$g]:-}"
	done | python3 -c '
import json, sys
out = {}
for line in sys.stdin:
    a, c = line.split("/")
    g, *v = a.split()
    out[g] = {"mpps": [float(x) for x in v], "cpp": [float(x) for x in c.split()]}
json.dump(out, open(sys.argv[1], "w"), indent=1)' "$json_out"
fi
# Markdown on stdout: median (min-max) per generator.
{
	echo "| generator (one core) | device forwarded, Mpps: median (min-max) | device cycles/pkt, median | runs |"
	echo "| --- | ---: | ---: | ---: |"
	for g in $gens; do
		echo "$g ${res[$g]:-} /${cpp[$g]:-}"
	done | python3 -c '
import statistics, sys
for line in sys.stdin:
    a, c = line.split("/")
    g, *v = a.split()
    v = [float(x) for x in v]
    c = [float(x) for x in c.split()]
    if g == "flowgen":
        name = "testpmd flowgen (both ways)"
    else:
        _, m, rc = g.split(":")
        name = "edgevs-gen %s--rx-check %s" % ("--bidir " if m == "bidir" else "one way ", rc)
    if not v:
        print("| %s | failed (see the log) | - | 0 |" % name)
        continue
    print("| %s | %.2f (%.2f-%.2f) | %.0f | %d |" % (name, statistics.median(v), min(v), max(v),
                                                 statistics.median(c), len(v)))'
	echo
	echo "Port $port, $flows flows, $size B, $duration s runs, $([ $huge = 1 ] && echo "hugepages" || echo "4 KiB pages"), load average during the runs:$loads."
}
