#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Instructions per frame of a generator over vhost-user, by object: the
# generator under callgrind (its datapath thread only) with two virtio_user
# ports into dpdk-testpmd io forwarding (net_vhost), 64 B, 1k flows that
# differ in the destination address (flowgen's mix). Counts are
# deterministic enough to compare generators, builds or virtio_user
# arguments on a loaded machine, where rates are not.
#
#   edgevs-gen (default)  one way (--tx-port 0 --rx-port 1 --rx-check 16,
#                         as the matrix runs it), or both ways with --bidir
#   flowgen               dpdk-testpmd --forward-mode=flowgen (it sends on
#                         both ports and frees what it receives unread): the
#                         instructions of its forwarding lcore's thread
# A frame is counted once, sent and received: instructions of the datapath
# thread over frames sent.
#
# On a loaded machine the device's process is descheduled for tens of
# milliseconds at a time, its rings fill and the generator's driver calls
# move a few frames each (the count of refused bursts is printed): a longer
# ring (--queue-size 4096; the matrix runs 1024) absorbs that without
# changing what a frame costs.
#
# Usage: test/perf/gen/callgrind-virtio.sh [--gen PATH] [--generator edgevs-gen|flowgen]
#          [--bidir] [--virtio ",packed_vq=1,in_order=1"] [--duration S] [--queue-size N]
# --virtio ARGS: the virtio_user options (default: the suite's, virtio.sh;
# "" for DPDK's defaults).
# KEEP=1 keeps the callgrind output (its directory is printed).
set -u
here=$(cd "$(dirname "$0")" && pwd)
gen=$(ls -t "$here"/../../../build*/app/edgevs-gen/edgevs-gen 2>/dev/null | grep -v -e asan -e sanit | head -n1)
# the suite's guest (GEN_VIRTIO); --virtio replaces it
# shellcheck source=virtio.sh
. "$here/virtio.sh"
extra=$GEN_VIRTIO
which=edgevs-gen
bidir=0
duration=4
qsize=1024
while [ $# -gt 0 ]; do
	case "$1" in
	--gen) gen=$2; shift ;;
	--generator) which=$2; shift ;;
	--bidir) bidir=1 ;;
	--virtio) extra=$2; shift ;;
	--duration) duration=$2; shift ;;
	--queue-size) qsize=$2; shift ;;
	-h | --help) sed -n '3,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "callgrind-virtio: unknown option $1" >&2; exit 1 ;;
	esac
	shift
done
case "$which" in edgevs-gen | flowgen) ;; *) echo "callgrind-virtio: --generator edgevs-gen|flowgen" >&2; exit 1 ;; esac
command -v valgrind >/dev/null || { echo "callgrind-virtio: needs valgrind" >&2; exit 1; }
[ "$which" = flowgen ] || [ -x "$gen" ] || { echo "callgrind-virtio: edgevs-gen not found (--gen PATH)" >&2; exit 1; }
prefix=evs-cgv-$$
tmp=$(mktemp -d "/tmp/$prefix.XXXXXX")
dut=""
gpid=""
cleanup() {
	[ -n "$gpid" ] && kill -KILL "$gpid" 2>/dev/null && wait "$gpid" 2>/dev/null
	[ -n "$dut" ] && kill -INT "$dut" 2>/dev/null && wait "$dut"
	if [ -n "${KEEP:-}" ]; then echo "callgrind-virtio: kept $tmp" >&2; else rm -rf "$tmp"; fi
	rm -rf /var/run/dpdk/"$prefix"-* 2>/dev/null
}
trap cleanup EXIT
eal=(--no-huge -m 512 --no-shconf --no-pci --no-telemetry --log-level=lib.eal:warning)
dpdk-testpmd --lcores 0@1,1@1 "${eal[@]}" --file-prefix "$prefix-d" \
	--vdev "net_vhost0,iface=$tmp/p0.sock,client=0" --vdev "net_vhost1,iface=$tmp/p1.sock,client=0" -- \
	--forward-mode=io --auto-start --disable-link-check --stats-period 3600 --total-num-mbufs=32768 \
	>"$tmp/dut.log" 2>&1 </dev/null &
dut=$!
for _ in $(seq 100); do [ -S "$tmp/p1.sock" ] && break; sleep 0.1; done
vdevs=(--vdev "net_virtio_user0,path=$tmp/p0.sock,queue_size=$qsize$extra"
	--vdev "net_virtio_user1,path=$tmp/p1.sock,queue_size=$qsize$extra")
if [ "$which" = edgevs-gen ]; then
	dir=(--tx-port 0 --rx-port 1)
	[ $bidir = 1 ] && dir+=(--bidir)
	taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" \
		--toggle-collect=gen_lcore_loop "$gen" -l 0 "${eal[@]}" --file-prefix "$prefix-g" \
		"${vdevs[@]}" -- "${dir[@]}" --flows 1000 --sport-range 1 --dip-range 1000 \
		--duration "$duration" --rx-check 16 --rxd "$qsize" --txd "$qsize" \
		--json --no-progress >"$tmp/g.json" 2>"$tmp/g.err" ||
		{ tail -3 "$tmp/g.err" >&2; exit 1; }
	frames=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["total"]["tx_pkts"])' "$tmp/g.json")
	# Refused bursts (the device's ring full: it was descheduled) cost
	# driver calls that move few frames: compare runs with few of them.
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print("edgevs-gen: %.2f refused transmit bursts (ring full) per 32 frames sent" % (
    d["generator"]["tx_refused_bursts"] * 32 / max(1, d["total"]["tx_pkts"])))' "$tmp/g.json" >&2
	cg=$tmp/cg.out
else
	# testpmd is stripped: its forwarding lcore is the thread with the
	# most instructions (callgrind writes one file per thread). Its run
	# is as long as the generator's under valgrind: stopped by SIGINT.
	taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" --separate-threads=yes \
		dpdk-testpmd --lcores 0@0,1@0 "${eal[@]}" --file-prefix "$prefix-g" "${vdevs[@]}" -- \
		--forward-mode=flowgen --flowgen-flows=1000 --txpkts=60 --auto-start \
		--rxd="$qsize" --txd="$qsize" \
		--disable-link-check --stats-period 3600 --total-num-mbufs=32768 \
		>"$tmp/g.log" 2>&1 </dev/null &
	gpid=$!
	# Start-up under valgrind takes a while: count from the first frame.
	for _ in $(seq 600); do grep -q "Start automatic packet forwarding" "$tmp/g.log" && break; sleep 0.1; done
	sleep "$((duration + 3))"
	kill -INT "$gpid"
	wait "$gpid"
	gpid=""
	frames=$(sed -n '/Accumulated forward statistics/,/^ *+\{10,\}/s/.*TX-packets: *\([0-9]*\).*/\1/p' "$tmp/g.log" | head -n1)
	cg=$(for f in "$tmp"/cg.out*; do
		printf '%s %s\n' "$(sed -n 's/^totals: *\([0-9]*\).*/\1/p;s/^summary: *\([0-9]*\).*/\1/p' "$f" | head -n1)" "$f"
	done | sort -n | tail -n1 | cut -d' ' -f2)
fi
[ -n "$frames" ] && [ "$frames" -gt 0 ] || { echo "callgrind-virtio: no frames sent" >&2; exit 1; }
callgrind_annotate "$cg" >"$tmp/cg.txt"
python3 - "$frames" "$tmp/cg.txt" "$which$([ $bidir = 1 ] && echo " --bidir")" <<'PY'
import re, sys
n = int(sys.argv[1])
total, by_obj = 0, {}
for l in open(sys.argv[2]):
    m = re.match(r"\s*([\d,]+) \(.*?\)\s+(\S+?):(\S+) \[(.*)\]", l)
    if m:
        obj = m.group(4).rsplit("/", 1)[-1]
        by_obj[obj] = by_obj.get(obj, 0) + int(m.group(1).replace(",", ""))
    elif "PROGRAM TOTALS" in l:
        total = int(l.split()[0].replace(",", ""))
print("%s: %d frames; %.0f instructions per frame" % (sys.argv[3], n, total / n))
for obj, ir in sorted(by_obj.items(), key=lambda x: -x[1]):
    if ir / n >= 1:
        print("%8.0f  %s" % (ir / n, obj))
PY
