#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Route load through the control socket (doc/l3.md, "Route load"): starts
# edgevs with one switch and a router sized for the load (no hugepages),
# then route-load.py sends N IPv4 /24s (and N/10 IPv6 /64s) with route.bulk
# and deletes them, timing each call from the first byte sent to the reply.
# Usage: test/perf/route-load.sh [BUILD_DIR] [N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
n=${2:-1000000}
tmp=$(mktemp -d "${ROUTE_LOAD_DIR:-/tmp}/evs-routeload.XXXXXX")
cat >"$tmp/config.json" <<JSON
{ "switches": [ { "name": "sw0" } ],
  "routers": [ { "name": "r1", "max_routes4": $((n + 1024)), "max_routes6": $((n / 10 + 1024)) } ],
  "router_ports": [ { "name": "r1a", "router": "r1", "switch": "sw0",
                      "mac": "02:52:00:00:00:01", "addresses": ["198.18.0.1/24", "2001:db8::1/64"] } ] }
JSON
"$build/app/edgevs/edgevs" -l 0,1 --no-huge -m 6144 --file-prefix "routeload$$" -- \
	--config "$tmp/config.json" --state-dir "$tmp/state" --socket "$tmp/s.sock" \
	--pmd-sleep-us 20 >"$tmp/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 300); do grep -q "ready" "$tmp/log" 2>/dev/null && break; sleep 0.1; done
grep -q "ready" "$tmp/log" || { cat "$tmp/log"; exit 1; }
python3 "$here/route-load.py" "$tmp/s.sock" "$n" "$pid"
