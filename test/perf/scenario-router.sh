# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034
#
# The routed topology the routed and load-balancing scenarios share
# (sourced by test/perf/scenarios/*.sh): the generator's port 0 on switch
# s1, its port 1 on s2, a router between them, 198.18.0.0/16 routed to
# port 0 and 198.19.0.0/16 to port 1 via next hops whose MACs are the
# generator ports' (static neighbour and MAC entries: nothing to learn).
GW1=02:00:00:00:fe:01
GW2=02:00:00:00:fe:02
H1=02:45:56:47:00:01 # edgevs-gen's port 0
H2=02:45:56:47:00:02 # edgevs-gen's port 1
# Frames go to the router's MAC on each side.
sc_gen_args=(--dst-mac "0,$GW1" --dst-mac "1,$GW2" --no-learn)

# $1 $2: the device's two ports (JSON objects without switch). Prints the
# document's sections, without the enclosing braces.
sc_router_json() {
	cat <<JSON
  "switches": [ { "name": "s1" }, { "name": "s2" } ],
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
    { "router": "r", "prefix": "198.19.0.0/16", "nexthops": [ { "port": "r2", "via": "10.255.2.2" } ] } ]
JSON
}
