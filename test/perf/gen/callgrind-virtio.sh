#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Instructions per frame of edgevs-gen over vhost-user, by function: the
# generator under callgrind (its datapath loop only) with two virtio_user
# ports into dpdk-testpmd io forwarding (net_vhost), one way, 64 B, 1k
# flows, --rx-check 16. Counts are deterministic enough to compare builds or
# virtio_user arguments on a loaded machine, where rates are not.
#
# Usage: test/perf/gen/callgrind-virtio.sh [--gen PATH] [--virtio ",packed_vq=1,in_order=1"]
set -u
here=$(cd "$(dirname "$0")" && pwd)
gen=$(ls -t "$here"/../../../build*/app/edgevs-gen/edgevs-gen 2>/dev/null | grep -v -e asan -e sanit | head -n1)
extra=""
while [ $# -gt 0 ]; do
	case "$1" in
	--gen) gen=$2; shift ;;
	--virtio) extra=$2; shift ;;
	*) echo "callgrind-virtio: unknown option $1" >&2; exit 1 ;;
	esac
	shift
done
[ -x "$gen" ] && command -v valgrind >/dev/null || { echo "callgrind-virtio: needs valgrind and edgevs-gen" >&2; exit 1; }
prefix=evs-cgv-$$
tmp=$(mktemp -d "/tmp/$prefix.XXXXXX")
dut=""
trap '[ -n "$dut" ] && kill -INT "$dut" 2>/dev/null && wait "$dut"; rm -rf "$tmp"' EXIT
eal=(--no-huge -m 512 --no-shconf --no-pci --no-telemetry --log-level=lib.eal:warning)
dpdk-testpmd --lcores 0@1,1@1 "${eal[@]}" --file-prefix "$prefix-d" \
	--vdev "net_vhost0,iface=$tmp/p0.sock,client=0" --vdev "net_vhost1,iface=$tmp/p1.sock,client=0" -- \
	--forward-mode=io --auto-start --disable-link-check --stats-period 3600 --total-num-mbufs=32768 \
	>"$tmp/dut.log" 2>&1 </dev/null &
dut=$!
for _ in $(seq 100); do [ -S "$tmp/p1.sock" ] && break; sleep 0.1; done
taskset -c 0 valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" --toggle-collect=gen_lcore_loop \
	"$gen" -l 0 "${eal[@]}" --file-prefix "$prefix-g" \
	--vdev "net_virtio_user0,path=$tmp/p0.sock,queue_size=1024$extra" \
	--vdev "net_virtio_user1,path=$tmp/p1.sock,queue_size=1024$extra" -- \
	--tx-port 0 --rx-port 1 --flows 1000 --sport-range 1 --dip-range 1000 --duration 4 \
	--rx-check 16 --json --no-progress >"$tmp/g.json" 2>"$tmp/g.err" ||
	{ tail -3 "$tmp/g.err" >&2; exit 1; }
callgrind_annotate "$tmp/cg.out" >"$tmp/cg.txt"
python3 - "$tmp/g.json" "$tmp/cg.txt" <<'PY'
import json, re, sys
n = json.load(open(sys.argv[1]))["total"]["tx_pkts"]
total, rows = 0, []
for l in open(sys.argv[2]):
    m = re.match(r"\s*([\d,]+) \(.*?\)\s+(\S+?):(\S+) \[(.*)\]", l)
    if m:
        ir = int(m.group(1).replace(",", ""))
        rows.append((ir, m.group(3), m.group(4).rsplit("/", 1)[-1]))
    elif "PROGRAM TOTALS" in l:
        total = int(l.split()[0].replace(",", ""))
print("%d frames; %.0f instructions per frame" % (n, total / n))
by_obj = {}
for ir, fn, obj in rows:
    by_obj[obj] = by_obj.get(obj, 0) + ir
for obj, ir in sorted(by_obj.items(), key=lambda x: -x[1]):
    print("%8.0f  %s" % (ir / n, obj))
PY
