# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034
#
# The overlay topology the tunnel and encrypted scenarios share (sourced by
# test/perf/scenarios/*.sh): the generator's port 0 is a vNIC on switch
# "vn", its port 1 the underlay; the switch is carried over GENEVE VNI 5001
# to one remote host whose address is behind port 1. The generator sends
# plain UDP on port 0 to a MAC of the remote host's (H2, its port 1's) and
# receives the encapsulated frames on port 1: the encap direction.
U1=198.51.100.1 # this host's VTEP (TEST-NET-2: nothing else here uses it)
U2=198.51.100.2 # the remote host
UMAC=02:00:00:00:99:01
H2=02:45:56:47:00:02 # edgevs-gen's port 1: the underlay's next hop
VNI=5001
# No learning frames: port 1's would be plain frames on the underlay.
# Nothing comes back over the tunnel to teach edgevs the destination MAC:
# the tunnel lists it as a static MAC behind h2 (tunnel.vteps[].macs), so L2
# forwards it as known unicast, as OVS does by rule.
sc_gen_args=(--no-learn)

# $1 $2: the device's two ports (JSON objects without switch); $3: "true"
# to encrypt. Prints the document's sections without the enclosing braces.
sc_tunnel_json() {
	cat <<JSON
  "switches": [ { "name": "vn" } ],
  "ports": [ $(echo "$1" | sed 's/}$/, "switch": "vn" }/'), $2 ],
  "underlays": [ { "name": "u1", "port": "p1", "address": "$U1", "mac": "$UMAC",
                   "next_hop_mac": "$H2", "mtu": 9000 } ],
  "vteps": [ { "name": "h2", "underlay": "u1", "address": "$U2", "encap": "geneve" } ],
  "tunnels": [ { "switch": "vn", "vni": $VNI, "encrypt": $3,
                 "vteps": [ { "vtep": "h2", "macs": [ "$H2" ] } ] } ]
JSON
}

# OVS: a netdev bridge per side. br0 holds port 1 (the vNIC, ofport 1) and
# a GENEVE port (ofport 2, remote $U2, key $VNI); a private bridge holds
# the underlay port. OVS's userspace tunnel needs a route to the remote
# host through that bridge and its MAC: the bridge's own tap gets $U1/30
# (the route's source; gone with the tap when OVS stops), ovs/route/add and
# tnl/arp/set give OVS the route and the neighbour.
sc_ovs_flows="table=0,priority=10,in_port=1,actions=output:2
table=0,priority=10,in_port=2,actions=output:1
table=0,priority=0,actions=drop"
sc_ovs_groups=""
