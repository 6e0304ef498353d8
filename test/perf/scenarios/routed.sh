# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034
# Routing between two subnets: prefix match, MAC rewrite, TTL decrement.
sc_title="Routed"
sc_desc="A router between 198.18.0.0/16 (port 1) and 198.19.0.0/16 (port 2): prefix match on the destination, source and destination MAC rewritten, TTL decremented. The generator addresses its frames to the router's MAC; up to 65536 flows differ in the destination address within 198.19.0.0/16, more in the source port too. edgevs: two switches joined by a router (lib/l3), each /16 routed via a next hop whose MAC is the generator port's (static neighbour and MAC entries)."
GW1=02:00:00:00:fe:01
GW2=02:00:00:00:fe:02
H1=02:45:56:47:00:01 # edgevs-gen's port 0
H2=02:45:56:47:00:02 # edgevs-gen's port 1
sc_gen_args=(--dst-mac "0,$GW1" --dst-mac "1,$GW2" --no-learn)
sc_flow_mix() {
	if [ "$1" -le 65536 ]; then echo "--dst-ip 198.19.0.0 --sport-range 1 --dip-range $1"
	else echo "--dst-ip 198.19.0.0 --sport-range 1024 --dip-range 65536"; fi
}
sc_ovs_flows="table=0,priority=10,ip,nw_dst=198.19.0.0/16,actions=mod_dl_src:$GW2,mod_dl_dst:$H2,dec_ttl,output:2
table=0,priority=10,ip,nw_dst=198.18.0.0/16,actions=mod_dl_src:$GW1,mod_dl_dst:$H1,dec_ttl,output:1
table=0,priority=0,actions=drop"
sc_ovs_groups=""
sc_edgevs_config() {
	cat <<JSON
{ "switches": [ { "name": "s1" }, { "name": "s2" } ],
  "ports": [ $(echo "$1" | sed 's/}$/, "switch": "s1" }/'),
             $(echo "$2" | sed 's/}$/, "switch": "s2" }/') ],
  "macs": [ { "switch": "s1", "mac": "$H1", "port": "p0" },
            { "switch": "s2", "mac": "$H2", "port": "p1" } ],
  "routers": [ { "name": "r" } ],
  "router_ports": [
    { "name": "r1", "router": "r", "switch": "s1", "mac": "$GW1", "addresses": [ "10.255.1.1/24" ] },
    { "name": "r2", "router": "r", "switch": "s2", "mac": "$GW2", "addresses": [ "10.255.2.1/24" ] } ],
  "neighbours": [ { "port": "r1", "address": "10.255.1.2", "mac": "$H1" },
                  { "port": "r2", "address": "10.255.2.2", "mac": "$H2" } ],
  "routes": [
    { "router": "r", "prefix": "198.18.0.0/16", "nexthops": [ { "port": "r1", "via": "10.255.1.2" } ] },
    { "router": "r", "prefix": "198.19.0.0/16", "nexthops": [ { "port": "r2", "via": "10.255.2.2" } ] } ] }
JSON
}
