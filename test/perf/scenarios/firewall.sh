# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034
# Stateful firewall: allow rules committed to conntrack, replies by state.
sc_title="Firewall with connection tracking"
sc_desc="A stateful allow rule: UDP and TCP from port 1 to 198.19.0.0/16 port 5001 are allowed and committed to connection tracking (\`ct(commit)\`), established traffic passes both ways, everything else is dropped. Every packet goes through conntrack. edgevs: a stateful switch (\`\"conntrack\": {\"zone\": 1}\`: every IP packet through conntrack, connections committed in zone 1, invalid ones dropped), the equivalent of allow-all rules with \`ct(commit)\`; up to 65536 flows differ in the destination address within 198.19.0.0/16."
sc_gen_args=()
sc_flow_mix() {
	if [ "$1" -le 65536 ]; then echo "--dst-ip 198.19.0.0 --sport-range 1 --dip-range $1"
	else echo "--dst-ip 198.19.0.0 --sport-range 1024 --dip-range 65536"; fi
}
sc_ovs_flows="table=0,priority=10,ip,ct_state=-trk,actions=ct(table=1,zone=1)
table=0,priority=0,actions=drop
table=1,priority=20,ip,ct_state=+trk+est,in_port=1,actions=output:2
table=1,priority=20,ip,ct_state=+trk+est,in_port=2,actions=output:1
table=1,priority=10,udp,ct_state=+trk+new,in_port=1,nw_dst=198.19.0.0/16,tp_dst=5001,actions=ct(commit,zone=1),output:2
table=1,priority=10,tcp,ct_state=+trk+new,in_port=1,nw_dst=198.19.0.0/16,tp_dst=5001,actions=ct(commit,zone=1),output:2
table=1,priority=0,actions=drop"
sc_ovs_groups=""
# edgevs has no rule language on a switch yet (lib/firewall's security
# groups are not on the seam): the stateful switch commits every IP
# connection, which is what the OVS pipeline does with this traffic.
sc_edgevs_config() {
	cat <<JSON
{ "switches": [ { "name": "sw0", "conntrack": { "zone": 1 } } ],
  "ports": [ $(echo "$1" | sed 's/}$/, "switch": "sw0" }/'),
             $(echo "$2" | sed 's/}$/, "switch": "sw0" }/') ] }
JSON
}
