#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Control-plane figures (doc/performance.md, "Control plane"): starts edgevs
# with one switch and two null ports (no hugepages, no root needed beyond
# what EAL wants), runs ctl-scale.py against it, stops it.
# Usage: test/perf/ctl-scale.sh [BUILD_DIR] [MACS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
macs=${2:-20000}
tmp=$(mktemp -d "${CTL_SCALE_DIR:-/tmp}/evs-ctlscale.XXXXXX")
cat >"$tmp/config.json" <<JSON
{ "switches": [ { "name": "sw0", "max_macs": 1048576 } ],
  "ports": [ { "name": "pa", "devargs": "net_null0", "switch": "sw0" },
             { "name": "pb", "devargs": "net_null1", "switch": "sw0" } ] }
JSON
table=65536
while [ "$table" -lt $((macs + 6000)) ]; do table=$((table * 2)); done
"$build/app/edgevs/edgevs" -l 0,1 --no-huge -m 4096 --file-prefix "ctlscale$$" -- \
	--config "$tmp/config.json" --state-dir "$tmp/state" --socket "$tmp/s.sock" \
	--pmd-sleep-us 20 --mac-table "$table" >"$tmp/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 300); do grep -q "ready" "$tmp/log" 2>/dev/null && break; sleep 0.1; done
grep -q "ready" "$tmp/log" || { cat "$tmp/log"; exit 1; }
EVSRPC_TIMEOUT=${EVSRPC_TIMEOUT:-900} python3 "$here/ctl-scale.py" "$tmp/s.sock" "$macs"
