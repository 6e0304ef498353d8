#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Control-plane figures (doc/performance.md, "Control plane"): starts edgevs
# with one switch and two ports (no hugepages), runs ctl-scale.py against it,
# stops it.
# Usage: test/perf/ctl-scale.sh [BUILD_DIR] [MACS]
# Env: CTL_SCALE_DIR (temp dir parent, default /tmp; /dev/shm keeps the disk
#      out of the figures), CTL_SCALE_RATE=PPS: the ports are memif and
#      edgevs-gen sends PPS frames/s of one flow pa -> pb through the switch
#      while the MACS are applied and removed again; it prints the frames sent,
#      received and lost (the change does not touch that flow: zero expected).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
macs=${2:-20000}
rate=${CTL_SCALE_RATE:-}
tmp=$(mktemp -d "${CTL_SCALE_DIR:-/tmp}/evs-ctlscale.XXXXXX")
prefix="ctlscale$$"
pid="" gpid=""
cleanup() {
	[ -n "$gpid" ] && kill "$gpid" 2>/dev/null && wait "$gpid" 2>/dev/null
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp" /var/run/dpdk/"$prefix"-* 2>/dev/null
}
trap cleanup EXIT
memif() { echo "net_memif$1,role=$2,socket=$tmp/m$1.sock,socket-abstract=no,id=0"; }
if [ -n "$rate" ]; then
	pa="\"devargs\": \"$(memif 0 server)\"" pb="\"devargs\": \"$(memif 1 server)\""
else
	pa='"devargs": "net_null0"' pb='"devargs": "net_null1"'
fi
cat >"$tmp/config.json" <<JSON
{ "switches": [ { "name": "sw0", "max_macs": 1048576 } ],
  "ports": [ { "name": "pa", $pa, "switch": "sw0" },
             { "name": "pb", $pb, "switch": "sw0" } ] }
JSON
table=65536
while [ "$table" -lt $((macs + 6000)) ]; do table=$((table * 2)); done
"$build/app/edgevs/edgevs" -l 0,1 --no-huge -m 4096 --no-pci --file-prefix "$prefix-evs" -- \
	--config "$tmp/config.json" --state-dir "$tmp/state" --socket "$tmp/s.sock" \
	--pmd-sleep-us 20 --mac-table "$table" >"$tmp/log" 2>&1 &
pid=$!
for _ in $(seq 300); do grep -q "ready" "$tmp/log" 2>/dev/null && break; sleep 0.1; done
grep -q "ready" "$tmp/log" || { cat "$tmp/log"; exit 1; }
export CTL_SCALE_PID=$pid EVSRPC_TIMEOUT=${EVSRPC_TIMEOUT:-900}
if [ -z "$rate" ]; then
	python3 "$here/ctl-scale.py" "$tmp/s.sock" "$macs"
	exit 0
fi
# Traffic during the change: learning frames first, then one flow at $rate;
# the apply starts 2 s in and the generator runs until it is done.
"$build/app/edgevs-gen/edgevs-gen" -l 1 --no-huge -m 512 --no-pci --no-telemetry \
	--file-prefix "$prefix-gen" --vdev "$(memif 0 client)" --vdev "$(memif 1 client)" -- \
	--tx-port 0 --rx-port 1 --rate "$rate" --duration 0 --json --no-progress \
	>"$tmp/gen.json" 2>"$tmp/gen.err" &
gpid=$!
sleep 3
python3 "$here/ctl-scale.py" "$tmp/s.sock" "$macs" --traffic
sleep 1
kill -INT "$gpid"
wait "$gpid" || { cat "$tmp/gen.err"; exit 1; }
gpid=""
python3 - "$tmp/gen.json" "$rate" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))["total"]
print("edgevs-gen at %s frames/s through sw0 during both applies: sent %d, received %d, "
      "lost %d (%.4f%%)" % (sys.argv[2], t["tx_pkts"], t["rx_pkts"], t["lost"], t["loss_pct"]))
EOF
