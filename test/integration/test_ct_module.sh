#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The conntrack module in the daemon (doc/conntrack.md "The module"): the
# table sized by --ct-max, ct.stats/ct.list/ct.flush through the socket,
# ct_zone objects in the store and the config document, the module's
# counters per PMD in stats.get, and forwarding unaffected with no stage
# emitting ct. (No user-facing stateful stage yet: connections of real
# traffic are covered through the pipeline by the unit suite.)
set -o pipefail
. "$(dirname "$0")/lib.sh"
it_init ctm

two_hosts_start --ct-max 5000

st=$(rpc_ok ct.stats)
assert_eq "ct.stats: the table has --ct-max entries" "5000" "$(jget "$st" max_conns)"
assert_eq "ct.stats: empty" "0" "$(jget "$st" conns)"

rpc_ok ct_zone.add '{"zone":7,"limit":100,"tcp_liberal":true,"timeouts":{"udp_unreplied":5}}' >/dev/null
z=$(rpc_ok ct_zone.get '{"zone":7}')
assert_has "ct_zone.get: the limit" "$z" limit=100
cfg=$(rpc_ok config.get)
assert_match "config.get: the ct_zones section holds zone 7" '"zone": *7' "$(jget "$cfg" ct_zones)"
assert_fails "ct_zone.add: a zero timeout is refused" rpc_ok ct_zone.add '{"zone":8,"timeouts":{"icmp":0}}'

ping_check "ping a -> b (no stage emits ct)" a "$IP_B"
s=$(rpc_ok stats.get)
assert_eq "stats.get: the ct module's counters per PMD (nothing tracked)" "0" \
	"$(jget "$s" pmds.0.modules.ct.hit)"
assert_eq "stats.get: refusals counted by name" "0" "$(jget "$s" pmds.0.modules.ct.refused_global_limit)"
l=$(rpc_ok ct.list '{"zone":7}')
assert_eq "ct.list: no connections" "" "$(jget "$l" conns.0 2>/dev/null)"
assert_eq "ct.flush: nothing" "0" "$(jget "$(rpc_ok ct.flush)" flushed)"

it_finish
