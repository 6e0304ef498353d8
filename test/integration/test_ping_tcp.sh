#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Two namespace hosts on one logical switch (the shape of config/default.json:
# sw0 with two net_tap ports) reach each other through edgevs: ping with
# small and 1400-byte packets (DF set, so nothing is fragmented), then an
# 8 MiB TCP transfer whose sha256 must match on both ends. The port counters
# must show the traffic.
set -o pipefail
. "$(dirname "$0")/lib.sh"
it_init pt

two_hosts_start

ping_check "ping a -> b" a "$IP_B"
ping_check "ping b -> a" b "$IP_A"
ping_check "1400-byte ping a -> b (DF)" a "$IP_B" -s 1400 -M do
ping_check "1472-byte ping a -> b (full 1500 MTU, DF)" a "$IP_B" -s 1472 -M do
ping_check "fast ping a -> b (100 x 10 ms)" a "$IP_B" -c 100 -i 0.01

# 8 MiB of random data, a -> b, checksummed at both ends.
tcp_xfer_check "8 MiB a -> b" a b "$IP_B" 8

# The same traffic shows up in the port counters (8 MiB is > 5000 frames).
st=$(rpc_ok port.stats '{"name":"pa"}')
rx_pa=$(jget "$st" rx_packets)
assert_ge "port.stats pa: received packets" 5000 "$rx_pa"
assert_ge "port.stats pa: received bytes" $((8 << 20)) "$(jget "$st" rx_bytes)"
st=$(rpc_ok port.stats '{"name":"pb"}')
assert_ge "port.stats pb: transmitted packets" 5000 "$(jget "$st" tx_packets)"
assert_ge "port.stats pb: transmitted bytes" $((8 << 20)) "$(jget "$st" tx_bytes)"
rx_pb=$(jget "$st" rx_packets)
st=$(rpc_ok port.stats)
assert_ge "port.stats (all ports): received packets of pa and pb" $((rx_pa + rx_pb)) \
	"$("${RPC[@]}" sum "$st" rx_packets)"
st=$(rpc_ok stats.get)
assert_ge "stats.get: packets received by the PMDs" $((rx_pa + rx_pb)) "$(jget "$st" ports.rx_packets)"

# The learned MACs of both hosts are in the switch's table.
macs=$(rpc_ok mac.list '{"switch":"sw0"}')
assert_has "mac.list holds host a, learned on pa" "$macs" mac="$MAC_A" port=pa type=dynamic switch=sw0
assert_has "mac.list holds host b, learned on pb" "$macs" mac="$MAC_B" port=pb type=dynamic switch=sw0

it_finish
