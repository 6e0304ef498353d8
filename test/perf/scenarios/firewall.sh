# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034
# Stateful firewall: allow rules committed to conntrack, replies by state.
sc_title="Firewall with connection tracking"
sc_desc="A stateful allow rule: UDP and TCP from port 1 to 198.19.0.0/16 port 5001 are allowed and committed to connection tracking (\`ct(commit)\`), established traffic passes both ways, everything else is dropped. Every packet goes through conntrack. edgevs: the firewall module (lib/firewall, doc/firewall.md): port 1 in security group \`client\`, whose egress rules allow UDP and TCP to 198.19.0.0/16 port 5001 (stateful: committed in the firewall's zone), port 2 in group \`server\` without rules, everything else denied by default, replies passing by state; up to 65536 flows differ in the destination address within 198.19.0.0/16."
sc_gen_args=()
# Room for every flow's connection (--ct-max): test/perf/scenario-ct.sh.
# shellcheck source=../scenario-ct.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scenario-ct.sh"
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
# Rules on the sending port's egress: the destination port is then not
# looked up (doc/firewall.md), so the 65536 destinations need no fw.port
# addresses. Port 2 is filtered too (group "server", no rules: nothing new
# from it), so every reply goes through conntrack and passes by state,
# whatever address it goes to (--connect uses 16384 sources).
sc_edgevs_config() {
	cat <<JSON
{ "switches": [ { "name": "sw0" } ],
  "ports": [ $(echo "$1" | sed 's/}$/, "switch": "sw0" }/'),
             $(echo "$2" | sed 's/}$/, "switch": "sw0" }/') ],
  "fw_groups": [ { "name": "client" }, { "name": "server" } ],
  "fw_rules": [
    { "id": 10, "group": "client", "direction": "egress", "protocol": "udp",
      "dst": "198.19.0.0/16", "dport_min": 5001 },
    { "id": 11, "group": "client", "direction": "egress", "protocol": "tcp",
      "dst": "198.19.0.0/16", "dport_min": 5001 } ],
  "fw_ports": [ { "port": "p0", "addresses": [ "198.18.0.1" ], "groups": [ "client" ] },
                { "port": "p1", "groups": [ "server" ] } ] }
JSON
}
