# SPDX-License-Identifier: BSD-3-Clause
#
# The static two-subnet routing set-up that test_l3.sh and test_l3_churn.sh
# share (sourced after lib.sh and it_init): host a (198.18.1.2 on sw0) and
# host b (198.18.2.2 on sw1) behind router r1, whose ports are their default
# gateways; r1's neighbours and the hosts' gateway MACs are static, so no
# ARP is involved (test_l3_edge.sh covers that path).

GW_A=198.18.1.1
GW_B=198.18.2.1
HA=198.18.1.2
HB=198.18.2.2
RMAC_A=02:52:00:00:00:01
RMAC_B=02:52:00:00:00:02

# l3_static_up [ROUTES_JSON]: write the config (with r1's routes, a JSON
# array, if given), start the daemon and both hosts.
l3_static_up() {
	local conf=$IT_TMP/config.json
	cat >"$conf" <<JSON
{
  "switches": [ { "name": "sw0" }, { "name": "sw1" } ],
  "ports": [
    { "name": "pa", "type": "ethdev", "devargs": "net_tap0,iface=$(ifname a)", "switch": "sw0" },
    { "name": "pb", "type": "ethdev", "devargs": "net_tap1,iface=$(ifname b)", "switch": "sw1" }
  ],
  "routers": [ { "name": "r1" } ],
  "router_ports": [
    { "name": "r1a", "router": "r1", "switch": "sw0", "mac": "$RMAC_A", "addresses": ["$GW_A/24"] },
    { "name": "r1b", "router": "r1", "switch": "sw1", "mac": "$RMAC_B", "addresses": ["$GW_B/24"] }
  ],
  "routes": ${1:-[]},
  "neighbours": [
    { "port": "r1a", "address": "$HA", "mac": "$MAC_A" },
    { "port": "r1b", "address": "$HB", "mac": "$MAC_B" }
  ]
}
JSON
	ns_add a b
	evs_start d "$conf"
	link_to_ns "$(ifname a)" a "$HA/24" "$MAC_A"
	link_to_ns "$(ifname b)" b "$HB/24" "$MAC_B"
	nsx a ip route add default via "$GW_A"
	nsx b ip route add default via "$GW_B"
	nsx a ip neigh replace "$GW_A" lladdr "$RMAC_A" dev "$(ifname a)" nud permanent
	nsx b ip neigh replace "$GW_B" lladdr "$RMAC_B" dev "$(ifname b)" nud permanent
}
