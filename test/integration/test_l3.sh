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
src=$IT_TMP/xfer.src
dst=$IT_TMP/xfer.dst
head -c $((4 << 20)) /dev/urandom >"$src"
want=$(sha256sum "$src" | cut -d' ' -f1)
it_bg rpid nsx b timeout 60 "$PY" "$IT_DIR/tcpxfer.py" recv "$HB" 5001 "$dst" >"$IT_TMP/recv.out" 2>&1
sent=$(nsx a timeout 60 "$PY" "$IT_DIR/tcpxfer.py" send "$HB" 5001 "$src" 2>&1)
src_rc=$?
it_wait "$rpid"
assert_eq "TCP sender finished" "0" "$src_rc"
assert_eq "TCP bytes and sha256 seen by the receiver" "$((4 << 20)) $want" "$(cat "$IT_TMP/recv.out")"

# TTL 1 to a routed destination: dropped at the router, counted.
before=$(jget "$(rpc_ok stats.get)" drops_by_owner.l3.ttl_exceeded)
ping_none "ping a -> b with TTL 1" a "$HB" -t 1
after=$(jget "$(rpc_ok stats.get)" drops_by_owner.l3.ttl_exceeded)
assert_eq "stats.get: the three TTL-expired echoes counted as l3 ttl_exceeded" 3 $((after - before))

route=$(rpc_ok route.get "{\"router\":\"r1\",\"address\":\"$HB\"}")
assert_match "route.get shows the connected route via r1b" "r1b" "$route"

it_finish
