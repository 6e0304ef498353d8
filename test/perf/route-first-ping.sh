#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# How long a packet the management lcore must handle waits for it (doc/l3.md,
# "The management path"): host a flushes its ARP cache and pings its gateway,
# ROUNDS times; each first echo's RTT includes the ARP request punted to the
# management lcore and its answer injected back (the echo itself is
# answered in the datapath). Prints the RTTs' min / median / mean / max.
# Usage: test/perf/route-first-ping.sh [BUILD_DIR] [ROUNDS]   (root)
set -o pipefail
[ -n "${1:-}" ] && export BUILD=$1
ROUNDS=${2:-40}
. "$(dirname "$0")/../integration/lib.sh"
it_init rfp

GW=198.18.1.1
cat >"$IT_TMP/config.json" <<JSON
{ "switches": [ { "name": "sw0" } ],
  "ports": [ { "name": "pa", "type": "ethdev", "devargs": "net_tap0,iface=$(ifname a)", "switch": "sw0" } ],
  "routers": [ { "name": "r1" } ],
  "router_ports": [ { "name": "r1a", "router": "r1", "switch": "sw0",
                      "mac": "02:52:00:00:00:01", "addresses": ["$GW/24"] } ] }
JSON
ns_add a
evs_start d "$IT_TMP/config.json"
link_to_ns "$(ifname a)" a 198.18.1.2/24 "$MAC_A"
ping_check "warm-up ping to the gateway" a "$GW" >/dev/null
rtts=()
for _ in $(seq "$ROUNDS"); do
	nsx a ip neigh flush dev "$(ifname a)"
	out=$(nsx a ping -n -c 1 -W 1 "$GW" 2>&1)
	[[ "$out" =~ time=([0-9.]+)\ ms ]] && rtts+=("${BASH_REMATCH[1]}")
	sleep 0.05
done
printf '%s\n' "${rtts[@]}" | sort -g | awk -v r="$ROUNDS" '
	{ v[NR] = $1; s += $1 }
	END { if (NR == 0) { print "no replies"; exit 1 }
	      printf "first ping to the gateway (ARP via the management lcore), %d of %d rounds: " \
		     "min %.3f median %.3f mean %.3f max %.3f ms\n", NR, r, v[1], v[int((NR + 1) / 2)], s / NR, v[NR] }'
it_finish >/dev/null
