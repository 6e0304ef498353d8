# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034
# L2: one learning switch between the two ports.
sc_title="L2 switching"
sc_desc="One learning switch between the two ports: edgevs one logical switch (MAC learning, megaflow cache), Open vSwitch a netdev bridge with the \`NORMAL\` action. Flows differ in the destination address (198.19.0.1 on), as testpmd flowgen's do."
sc_gen_args=()
# $1 flows: the destination address varies, one frame per flow per round,
# source address and ports fixed: testpmd flowgen's mix (doc/edgevs-gen.md).
sc_flow_mix() { echo "--sport-range 1 --dip-range $1"; }
sc_ovs_flows="table=0,priority=0,actions=NORMAL"
sc_ovs_groups=""
# $1 $2: how the device's two ports are declared (JSON objects without switch)
sc_edgevs_config() {
	cat <<JSON
{ "switches": [ { "name": "sw0" } ],
  "ports": [ $(echo "$1" | sed 's/}$/, "switch": "sw0" }/'),
             $(echo "$2" | sed 's/}$/, "switch": "sw0" }/') ] }
JSON
}
