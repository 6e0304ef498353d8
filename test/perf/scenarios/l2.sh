# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034
# L2: one learning switch between the two ports.
sc_title="L2 switching"
sc_desc="One learning switch between the two ports: edgevs one logical switch (MAC learning, megaflow cache), Open vSwitch a netdev bridge with the \`NORMAL\` action."
sc_gen_args=()
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
