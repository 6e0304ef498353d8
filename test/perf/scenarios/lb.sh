# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034
# Load balancing: a VIP, four backends, DNAT of new connections.
sc_title="Load balancing"
sc_desc="A virtual IP 198.19.0.1:5001 (the generator's destination) in front of four backends 198.19.1.1-4: a new connection picks a backend by hash and is DNATed and committed, later packets follow the connection's NAT (OVN's OpenFlow: a \`select\` group of \`ct(commit,nat(dst=...))\` buckets). edgevs: the VIP served at the client's switch (lib/lb, Maglev), the backends behind a router (lib/l3) on the other port's switch, so its frames are also routed (MACs rewritten, TTL decremented), which OVS's pipeline does not do."
# The VIP is reached through the client's gateway (edgevs); OVS matches
# on the in-port and ignores the MACs.
# shellcheck source=../scenario-router.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scenario-router.sh"
# Room for every flow's connection (--ct-max): test/perf/scenario-ct.sh.
# shellcheck source=../scenario-ct.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scenario-ct.sh"
# A connection the group committed carries ct_mark 1: its later packets
# (one-way UDP stays +new, already NATed away from the VIP) and its replies
# follow the connection, as OVN's ct_label.natted does.
sc_ovs_flows="table=0,priority=10,ip,ct_state=-trk,actions=ct(table=1,zone=2,nat)
table=0,priority=0,actions=drop
table=1,priority=25,ip,ct_state=+trk,ct_mark=1,actions=resubmit(,2)
table=1,priority=20,ip,ct_state=+trk+new,in_port=1,nw_dst=198.19.0.1,actions=group:1
table=1,priority=0,actions=drop
table=2,priority=10,in_port=1,actions=output:2
table=2,priority=10,in_port=2,actions=output:1"
sc_ovs_groups="group_id=1,type=select,selection_method=dp_hash$(for b in 1 2 3 4; do printf ',bucket=bucket_id=%d,weight=100,actions=ct(commit,zone=2,exec(set_field:1->ct_mark),nat(dst=198.19.1.%d:5001),table=2)' $((b - 1)) "$b"; done)"
# Built when the daemon's module list has lib/lb's module.
sc_lb_built() {
	grep -q '&evs_lb_module' "$(dirname "${BASH_SOURCE[0]}")/../../../app/edgevs/modules.c" 2>/dev/null
}
sc_edgevs_config() {
	sc_lb_built || return 3
	cat <<JSON
{ $(sc_router_json "$1" "$2"),
  "lb_vips": [ { "name": "vu", "address": "198.19.0.1", "protocol": "udp", "port": 5001, "scope": "s1" },
              { "name": "vt", "address": "198.19.0.1", "protocol": "tcp", "port": 5001, "scope": "s1" } ],
  "lb_backends": [ $(for v in vu vt; do for b in 1 2 3 4; do
		[ "$v$b" = vu1 ] || printf ', '
		printf '{ "vip": "%s", "address": "198.19.1.%d", "port": 5001 }' "$v" "$b"
	done; done) ] }
JSON
}
