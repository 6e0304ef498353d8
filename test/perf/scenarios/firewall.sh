# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034
# Stateful firewall: allow rules committed to conntrack, replies by state.
sc_title="Firewall with connection tracking"
sc_desc="A stateful allow rule: UDP and TCP from port 1 to 198.19.0.0/16 port 5001 are allowed and committed to connection tracking (\`ct(commit)\`), established traffic passes both ways, everything else is dropped. Every packet goes through conntrack."
sc_gen_args=()
sc_ovs_flows="table=0,priority=10,ip,ct_state=-trk,actions=ct(table=1,zone=1)
table=0,priority=0,actions=drop
table=1,priority=20,ip,ct_state=+trk+est,in_port=1,actions=output:2
table=1,priority=20,ip,ct_state=+trk+est,in_port=2,actions=output:1
table=1,priority=10,udp,ct_state=+trk+new,in_port=1,nw_dst=198.19.0.0/16,tp_dst=5001,actions=ct(commit,zone=1),output:2
table=1,priority=10,tcp,ct_state=+trk+new,in_port=1,nw_dst=198.19.0.0/16,tp_dst=5001,actions=ct(commit,zone=1),output:2
table=1,priority=0,actions=drop"
sc_ovs_groups=""
sc_edgevs_config() { return 3; } # not built yet: lib/conntrack + lib/firewall
