#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# PVP-style throughput with a virtio_user stand-in guest (measures, asserts
# nothing):
#
#   edgevs-gen --memif-- [switch] --vhost-user-- dpdk-testpmd virtio_user (macswap)
#
# switch = edgevs (memif port + vhost-user server port on one logical switch),
# or the ceiling: dpdk-testpmd io-forwarding net_memif <-> net_vhost.
# The generator sends on its memif port to the "guest" MAC and receives the
# frames the guest swaps back. Prints one line per run and the medians.
#
# Usage: pvp.sh [--runs N] [--duration S] [--size B] [--flows N] [--duts "edgevs testpmd"]
#               [--build DIR] [--rate PPS]   (--rate: offered load, e.g. 500k; default: as fast as it can)
# Lcores (2-core machine): the switch's forwarding lcore alone on CPU 1; the
# guest's forwarding lcore and the generator share CPU 0.
set -u
root=$(cd "$(dirname "$0")/../../.." && pwd)
runs=3 duration=5 size=64 flows=1 duts="edgevs testpmd" build=$root/build rate=
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift ;;
	--duration) duration=$2; shift ;;
	--size) size=$2; shift ;;
	--flows) flows=$2; shift ;;
	--duts) duts=$2; shift ;;
	--build) build=$2; shift ;;
	--rate) rate=$2; shift ;;
	*) echo "pvp: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
evs=$build/app/edgevs/edgevs gen=$build/app/edgevs-gen/edgevs-gen
tmp=$(mktemp -d /tmp/evs-pvp.XXXXXX)
prefix=pvp$$
eal=(--no-huge -m 512 --no-shconf --no-pci --log-level='*:warning')
GUEST_MAC=02:00:00:00:00:99
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do timeout 10 tail --pid="$p" -f /dev/null || kill -KILL "$p" 2>/dev/null; done
	rm -rf "$tmp" /var/run/dpdk/"$prefix"-*
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for() { # SECS CMD...
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		"${@:2}" && return 0
		sleep 0.1
	done
	return 1
}

start_switch() { # DUT
	if [ "$1" = edgevs ]; then
		cat >"$tmp/evs.json" <<EOF
{ "switches": [ { "name": "sw0" } ],
  "ports": [
    { "name": "m", "type": "ethdev", "switch": "sw0",
      "devargs": "net_memif0,role=server,socket=$tmp/m.sock,socket-abstract=no" },
    { "name": "v", "type": "vhost-user", "switch": "sw0", "path": "$tmp/v.sock", "mode": "server" } ] }
EOF
		"$evs" -l 0,1 "${eal[@]}" --file-prefix "$prefix-sw" -- --config "$tmp/evs.json" \
			--socket "$tmp/ctl.sock" >"$tmp/sw.log" 2>&1 </dev/null &
	else
		stdbuf -oL dpdk-testpmd --lcores 0@0,1@1 "${eal[@]}" --file-prefix "$prefix-sw" \
			--vdev "net_memif0,role=server,socket=$tmp/m.sock,socket-abstract=no" \
			--vdev "net_vhost0,iface=$tmp/v.sock,queues=1" -- --forward-mode=io \
			--auto-start --disable-link-check --stats-period 3600 --total-num-mbufs=16384 \
			>"$tmp/sw.log" 2>&1 </dev/null &
	fi
	sw_pid=$!
	pids+=("$sw_pid")
	wait_for 30 test -S "$tmp/v.sock" || { tail "$tmp/sw.log" >&2; return 1; }
}

start_guest() {
	stdbuf -oL dpdk-testpmd --lcores 0@0,1@0 "${eal[@]}" --file-prefix "$prefix-vm" \
		--vdev "net_virtio_user0,path=$tmp/v.sock,queues=1,mac=$GUEST_MAC" -- \
		--forward-mode=macswap --auto-start --disable-link-check --stats-period 3600 \
		--total-num-mbufs=16384 >"$tmp/vm.log" 2>&1 </dev/null &
	vm_pid=$!
	pids+=("$vm_pid")
	wait_for 30 grep -q "packet forwarding - ports=" "$tmp/vm.log" || { tail "$tmp/vm.log" >&2; return 1; }
}

stop() { # PID
	kill -TERM "$1" 2>/dev/null
	timeout 15 tail --pid="$1" -f /dev/null || kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

run_once() { # prints rx_mpps loss_pct
	timeout -k 5 120 "$gen" -l 0 "${eal[@]}" --file-prefix "$prefix-g" \
		--vdev "net_memif0,role=client,socket=$tmp/m.sock,socket-abstract=no" -- \
		--tx-port 0 --rx-port 0 --dst-mac "0,$GUEST_MAC" --size "$size" --flows "$flows" \
		--duration "$duration" ${rate:+--rate "$rate"} --json --no-progress >"$tmp/run.json" 2>"$tmp/run.err" || {
		tail -3 "$tmp/run.err" >&2
		echo "0 100"
		return
	}
	python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["total"]; print("%.4f %.3f" % (t["rx_mpps"], t["loss_pct"]))' \
		"$tmp/run.json"
}

echo "# PVP: size $size B, rate ${rate:-max}, $flows flow(s), $duration s per run, $runs runs; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for dut in $duts; do
	res=()
	for ((r = 1; r <= runs; r++)); do
		start_switch "$dut" || exit 1
		start_guest || exit 1
		sleep 1
		out=$(run_once)
		echo "$dut run $r: rx ${out% *} Mpps, loss ${out#* } %"
		res+=("${out% *}")
		stop "$vm_pid"
		stop "$sw_pid"
		rm -rf /var/run/dpdk/"$prefix"-* "$tmp"/*.sock
	done
	printf '%s\n' "${res[@]}" | sort -n | awk -v d="$dut" '{a[NR]=$1} END {printf "%s median: %s Mpps\n", d, a[int((NR+1)/2)]}'
done
