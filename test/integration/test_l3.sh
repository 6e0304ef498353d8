#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Routing between two subnets: hosts a (198.18.1.0/24 on sw0) and b
# (198.18.2.0/24 on sw1) behind router r1, whose ports are their default
# gateways. The router's neighbours are static (neigh objects) and the hosts
# know the gateway MACs statically: the static path (test_l3_edge.sh has
# nothing static: ARP/ND, resolution, ICMP errors). Checks: ping both ways (TTL decremented
# once), a TCP transfer with a checksum, TTL-expired traffic dropped and
# counted, the route seen by route.get.
set -o pipefail
. "$(dirname "$0")/lib.sh"
it_init l3

. "$IT_DIR/l3_static.sh"
l3_static_up

ping_check "ping a -> b through r1" a "$HB"
ping_check "ping b -> a through r1" b "$HA"
out=$(nsx a ping -n -c 1 -W 2 "$HB" 2>&1)
assert_match "the reply crossed one router each way (TTL 64 - 1)" "ttl=63" "$out"
ping_check "1400-byte ping a -> b (DF, under the 1500 MTU)" a "$HB" -s 1400 -M do

# 4 MiB a -> b, checksummed at both ends.
tcp_xfer_check "4 MiB a -> b through r1" a b "$HB" 4

# TTL 1 to a routed destination: dropped at the router, counted.
before=$(jget "$(rpc_ok stats.get)" drops_by_owner.l3.ttl_exceeded)
ping_none "ping a -> b with TTL 1" a "$HB" -t 1
after=$(jget "$(rpc_ok stats.get)" drops_by_owner.l3.ttl_exceeded)
assert_eq "stats.get: the three TTL-expired echoes counted as l3 ttl_exceeded" 3 $((after - before))

route=$(rpc_ok route.get "{\"router\":\"r1\",\"address\":\"$HB\"}")
assert_match "route.get shows the connected route via r1b" "r1b" "$route"

it_finish
