# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034
# Routing between two subnets: prefix match, MAC rewrite, TTL decrement.
sc_title="Routed"
sc_desc="A router between 198.18.0.0/16 (port 1) and 198.19.0.0/16 (port 2): prefix match on the destination, source and destination MAC rewritten, TTL decremented. The generator addresses its frames to the router's MAC."
GW1=02:00:00:00:fe:01
GW2=02:00:00:00:fe:02
H1=02:45:56:47:00:01 # edgevs-gen's port 0
H2=02:45:56:47:00:02 # edgevs-gen's port 1
sc_gen_args=(--dst-mac "0,$GW1" --dst-mac "1,$GW2" --no-learn)
sc_ovs_flows="table=0,priority=10,ip,nw_dst=198.19.0.0/16,actions=mod_dl_src:$GW2,mod_dl_dst:$H2,dec_ttl,output:2
table=0,priority=10,ip,nw_dst=198.18.0.0/16,actions=mod_dl_src:$GW1,mod_dl_dst:$H1,dec_ttl,output:1
table=0,priority=0,actions=drop"
sc_ovs_groups=""
sc_edgevs_config() { return 3; } # not built yet: lib/l3 (issue: routing)
