# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034
# Routing between two subnets: prefix match, MAC rewrite, TTL decrement.
sc_title="Routed"
sc_desc="A router between 198.18.0.0/16 (port 1) and 198.19.0.0/16 (port 2): prefix match on the destination, source and destination MAC rewritten, TTL decremented. The generator addresses its frames to the router's MAC; up to 65536 flows differ in the destination address within 198.19.0.0/16, more in the source port too. edgevs: two switches joined by a router (lib/l3), each /16 routed via a next hop whose MAC is the generator port's (static neighbour and MAC entries)."
# shellcheck source=../scenario-router.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scenario-router.sh"
sc_flow_mix() {
	if [ "$1" -le 65536 ]; then echo "--dst-ip 198.19.0.0 --sport-range 1 --dip-range $1"
	else echo "--dst-ip 198.19.0.0 --sport-range 1024 --dip-range 65536"; fi
}
sc_ovs_flows="table=0,priority=10,ip,nw_dst=198.19.0.0/16,actions=mod_dl_src:$GW2,mod_dl_dst:$H2,dec_ttl,output:2
table=0,priority=10,ip,nw_dst=198.18.0.0/16,actions=mod_dl_src:$GW1,mod_dl_dst:$H1,dec_ttl,output:1
table=0,priority=0,actions=drop"
sc_ovs_groups=""
sc_edgevs_config() { printf '{\n%s }\n' "$(sc_router_json "$1" "$2")"; }
