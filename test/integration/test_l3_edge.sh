#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Routing at the edge with nothing static on the hosts or in the router's
# neighbour table: the router answers ARP / NS for its addresses, resolves
# its next hops and hosts itself, answers echo, and sends ICMP errors.
#
#   a 198.18.1.2 / 2001:db8:1::2 --- sw0 --- r1a (198.18.1.1, 2001:db8:1::1)
#   b 198.18.2.2 / 2001:db8:2::2 --- sw1 --- r1b (198.18.2.1, 2001:db8:2::1, MTU 1300)
#   c 198.18.2.3, d 198.18.2.4   --- sw1     (both hold 10.99.0.1: ECMP next hops)
#   e 198.18.3.2                 --- sw2 --- r2a (198.18.3.1): router r2, another VRF
#
# r1: 10.99.0.0/16 via c and d (ECMP), 203.0.113.0/24 reject (host),
# 198.18.3.0/24 -> VRF r2; r2: 198.18.1.0/24 -> VRF r1 (route leaking).
# Checks: pings both ways and to the gateways (IPv4 and IPv6) with hosts
# that only have a default route; ping -t 1 gets Time Exceeded from the
# gateway (seen by tcpdump); host unreachable for the reject route, net
# unreachable with no route; a DF ping over the 1300 MTU gets frag needed,
# a DF-clear one is fragmented (tshark on b sees the fragments);
# flows to 10.99.0.1 spread over c and d; a next hop that never answers
# (host unreachable after three probes); a leaked route; the ECMP route
# withdrawn and restored under traffic; route.bulk; router.stats,
# stats.get and flow.stats counters.
set -o pipefail
. "$(dirname "$0")/lib.sh"
it_init l3_edge
it_require_cmd tcpdump

GW_A=198.18.1.1
GW_B=198.18.2.1
GW_E=198.18.3.1
GW6_A=2001:db8:1::1
GW6_B=2001:db8:2::1
HA=198.18.1.2
HB=198.18.2.2
HC=198.18.2.3
HD=198.18.2.4
HE=198.18.3.2
H6A=2001:db8:1::2
H6B=2001:db8:2::2
VIP=10.99.0.1
MAC_C=02:49:54:00:00:0c
MAC_D=02:49:54:00:00:0d
MAC_E=02:49:54:00:00:0e

CONF=$IT_TMP/config.json
cat >"$CONF" <<JSON
{
  "switches": [ { "name": "sw0" }, { "name": "sw1" }, { "name": "sw2" } ],
  "ports": [
    { "name": "pa", "type": "ethdev", "devargs": "net_tap0,iface=$(ifname a)", "switch": "sw0" },
    { "name": "pb", "type": "ethdev", "devargs": "net_tap1,iface=$(ifname b)", "switch": "sw1" },
    { "name": "pc", "type": "ethdev", "devargs": "net_tap2,iface=$(ifname c)", "switch": "sw1" },
    { "name": "pd", "type": "ethdev", "devargs": "net_tap3,iface=$(ifname d)", "switch": "sw1" },
    { "name": "pe", "type": "ethdev", "devargs": "net_tap4,iface=$(ifname e)", "switch": "sw2" }
  ],
  "routers": [ { "name": "r1" }, { "name": "r2" } ],
  "router_ports": [
    { "name": "r1a", "router": "r1", "switch": "sw0", "mac": "02:52:00:00:00:01",
      "addresses": ["$GW_A/24", "$GW6_A/64"] },
    { "name": "r1b", "router": "r1", "switch": "sw1", "mac": "02:52:00:00:00:02",
      "addresses": ["$GW_B/24", "$GW6_B/64"], "mtu": 1300 },
    { "name": "r2a", "router": "r2", "switch": "sw2", "mac": "02:52:00:00:00:03",
      "addresses": ["$GW_E/24"] }
  ],
  "routes": [
    { "router": "r1", "prefix": "10.99.0.0/16",
      "nexthops": [ { "port": "r1b", "via": "$HC" }, { "port": "r1b", "via": "$HD" } ] },
    { "router": "r1", "prefix": "203.0.113.0/24", "type": "reject", "reject": "host" },
    { "router": "r1", "prefix": "198.18.3.0/24", "type": "vrf", "vrf": "r2" },
    { "router": "r2", "prefix": "198.18.1.0/24", "type": "vrf", "vrf": "r1" }
  ]
}
JSON

ns_add a b c d e
evs_start d "$CONF"
link_to_ns "$(ifname a)" a "$HA/24" "$MAC_A"
link_to_ns "$(ifname b)" b "$HB/24" "$MAC_B"
link_to_ns "$(ifname c)" c "$HC/24" "$MAC_C"
link_to_ns "$(ifname d)" d "$HD/24" "$MAC_D"
link_to_ns "$(ifname e)" e "$HE/24" "$MAC_E"
nsx a ip route add default via "$GW_A"
for n in b c d; do
	nsx $n ip route add default via "$GW_B"
done
nsx e ip route add default via "$GW_E"
for n in c d; do
	nsx $n ip addr add "$VIP/32" dev lo
	nsx $n sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
done
# IPv6 on a and b only: static addresses, no DAD, the gateway as default route
for n in a b; do
	nsx $n sysctl -qw "net.ipv6.conf.$(ifname $n).disable_ipv6=0"
done
nsx a ip -6 addr add "$H6A/64" dev "$(ifname a)" nodad
nsx b ip -6 addr add "$H6B/64" dev "$(ifname b)" nodad
nsx a ip -6 route add default via "$GW6_A"
nsx b ip -6 route add default via "$GW6_B"

# --- ARP and echo with a default gateway only ---
ping_check "ping a -> gateway $GW_A (ARP for it answered by the router)" a "$GW_A"
assert_eq "a learned the gateway's MAC by ARP" "02:52:00:00:00:01" "$(neigh_mac a "$GW_A")"
ping_check "ping a -> the router's far address $GW_B" a "$GW_B"
ping_check "ping a -> b: the router resolves b itself" a "$HB"
ping_check "ping b -> a" b "$HA"
out=$(nsx a ping -n -c 1 -W 2 "$HB" 2>&1)
assert_match "the reply crossed one router each way (TTL 64 - 1)" "ttl=63" "$out"
neigh=$(rpc_ok neigh.show '{"router":"r1"}')
assert_match "the router learned b (no neigh object)" "$HB" "$neigh"

# --- IPv6: neighbour discovery both ways ---
ping_check "ping -6 a -> gateway $GW6_A (NS answered)" a "$GW6_A"
ping_check "ping -6 a -> b: the router solicits b" a "$H6B"
ping_check "ping -6 b -> a" b "$H6A"

# --- ICMP errors ---
cap=$IT_TMP/te.pcap
it_bg tpid nsx a timeout 10 tcpdump -nn -U -i "$(ifname a)" -c 1 -w "$cap" \
	"icmp and icmp[0] == 11 and src host $GW_A" 2>/dev/null
sleep 1
out=$(nsx a ping -n -c 1 -W 2 -t 1 "$HB" 2>&1)
assert_match "ping -t 1: Time to live exceeded from the gateway" "From $GW_A .*Time to live exceeded" "$out"
it_wait "$tpid"
assert_match "tcpdump saw the time exceeded from $GW_A" "ICMP time exceeded" \
	"$(tcpdump -nn -r "$cap" 2>/dev/null)"
out=$(nsx a ping -n -c 1 -W 2 203.0.113.5 2>&1)
assert_match "reject route: host unreachable from the gateway" "From $GW_A .*Destination Host Unreachable" "$out"
out=$(nsx a ping -n -c 1 -W 2 192.0.2.1 2>&1)
assert_match "no route: net unreachable from the gateway" "From $GW_A .*Destination Net Unreachable" "$out"
# --- DF clear over the 1300 MTU: the router fragments, b's kernel reassembles ---
# (before any DF ping: a must not know the path MTU, or it fragments itself)
cap=$IT_TMP/frag.pcap
it_bg fpid nsx b timeout 10 tcpdump -nn -U -i "$(ifname b)" -c 2 -w "$cap" \
	"icmp[0] == 8 or (ip[6:2] & 0x1fff != 0)" 2>/dev/null
sleep 1
ping_check "DF-clear 1400-byte ping a -> b over the 1300 MTU (fragmented, reassembled)" \
	a "$HB" -M dont -s 1400
it_wait "$fpid"
frags=$(tshark -r "$cap" -T fields -e ip.len -e ip.frag_offset -e ip.flags.mf -e ip.ttl 2>/dev/null |
	tr '\t' ' ' | tr '\n' ';')
# 1408 bytes of ICMP: 1280 (a multiple of 8 under 1300 - 20) + 128, TTL 63 in each
assert_eq "tshark on b: two fragments, 1300 + 148 bytes at 0 and 160 (x 8), MF on the first" \
	"1300 0 1 63;148 160 0 63;" "$frags"
st=$(rpc_ok router.stats '{"router":"r1"}')
assert_ge "router.stats: packets fragmented" 5 "$(jget "$st" fragmented)"
assert_ge "router.stats: fragments sent" 10 "$(jget "$st" fragments)"
out=$(nsx a ping -n -c 1 -W 2 -M do -s 1400 "$HB" 2>&1)
assert_match "DF ping over the 1300 MTU: frag needed with the MTU" "mtu = 1300" "$out"
ping_check "a smaller DF ping goes through" a "$HB" -M do -s 1200

out=$(nsx a ping -6 -n -c 1 -W 2 -M do -s 1400 "$H6B" 2>&1)
assert_match "IPv6 over the 1300 MTU: packet too big with the MTU" "[Pp]acket too big.*1300" "$out"
out=$(nsx a ping -6 -n -c 1 -W 2 -t 1 "$H6B" 2>&1)
assert_match "ping -6 -t 1: time exceeded from the gateway" "From $GW6_A .*Time exceeded" "$out"

# --- ECMP: UDP flows to 10.99.0.1 spread over c and d ---
# the router resolves both next hops (the same neighbours as the hosts)
ping_check "ping a -> c" a "$HC"
ping_check "ping a -> d" a "$HD"
ping_check "ping a -> $VIP (one of the ECMP next hops answers)" a "$VIP" ||
	it_log "drops: $(jget "$(rpc_ok stats.get)" drops) r1: $(rpc_ok router.stats '{"router":"r1"}')"
c0=$(rx_packets c "$(ifname c)")
d0=$(rx_packets d "$(ifname d)")
nsx a bash -c "for p in \$(seq 20000 20199); do echo x > /dev/udp/$VIP/\$p; done" 2>/dev/null
sleep 0.5
c1=$(( $(rx_packets c "$(ifname c)") - c0 ))
d1=$(( $(rx_packets d "$(ifname d)") - d0 ))
it_log "ECMP: c received $c1, d received $d1 of 200 flows"
assert_ge "c got a share of the 200 flows" 40 "$c1"
assert_ge "d got a share of the 200 flows" 40 "$d1"

# --- a next hop that never answers: held, probed 3 times, host unreachable ---
rpc_ok route.add '{"router":"r1","prefix":"10.96.0.0/16","nexthops":[{"port":"r1b","via":"198.18.2.99"}]}' >/dev/null
out=$(nsx a ping -n -c 1 -W 6 10.96.0.1 2>&1)
assert_match "an unanswered next hop: host unreachable from the gateway" "From $GW_A .*Destination Host Unreachable" "$out"
n=$(rpc_ok neigh.show '{"router":"r1"}')
assert_ge "neigh.show: the held packet counted as unresolved" 1 "$(jget "$n" counters.unresolved)"

# --- route leaking between VRFs ---
ping_check "ping a -> e through r1 and r2 (leaked routes both ways)" a "$HE"

# --- the ECMP route withdrawn and restored under traffic ---
# (-c, not -w: with a deadline ping stops at the first error)
it_bg ppid nsx a ping -n -i 0.05 -c 120 -W 1 "$VIP" >"$IT_TMP/bg.out" 2>&1
sleep 1
rpc_ok route.del '{"router":"r1","prefix":"10.99.0.0/16"}' >/dev/null
out=$(nsx a ping -n -c 1 -W 2 "$VIP" 2>&1)
assert_match "withdrawn: net unreachable" "Destination Net Unreachable" "$out"
rpc_ok route.add "{\"router\":\"r1\",\"prefix\":\"10.99.0.0/16\",\"nexthops\":[{\"port\":\"r1b\",\"via\":\"$HC\"},{\"port\":\"r1b\",\"via\":\"$HD\"}]}" >/dev/null
sleep 1
ping_check "restored: $VIP answers again" a "$VIP"
it_wait "$ppid"
read -r tx rx <<<"$(ping_counts "$IT_TMP/bg.out")"
it_log "background ping: $rx of $tx answered across the withdrawal"
assert_ge "the background ping got replies across the change" 60 "$rx"
assert_ok "the daemon is alive" evs_alive

# --- route.bulk: 1000 /32s of 10.98.0.0/16 via c, all or nothing ---
pfx=$(for i in $(seq 0 999); do printf '"10.98.%d.%d/32",' $((i / 256)) $((i % 256)); done)
pfx="[${pfx%,}]"
r=$(rpc_ok route.bulk "{\"router\":\"r1\",\"op\":\"add\",\"prefixes\":$pfx,\"nexthops\":[{\"port\":\"r1b\",\"via\":\"$HC\"}]}")
assert_eq "route.bulk add: 1000 routes" 1000 "$(jget "$r" count)"
n4=$(jget "$r" routes4)
route=$(rpc_ok route.get '{"router":"r1","address":"10.98.3.7"}')
assert_match "route.get finds a bulk route via c" "$HC" "$route"
nsx c ip addr add 10.98.3.7/32 dev lo
ping_check "ping a -> 10.98.3.7 over a bulk route" a 10.98.3.7
expect_error "route.bulk: a prefix with a route already" -32000 /params/prefixes/1 \
	"$(rpc route.bulk '{"router":"r1","op":"add","prefixes":["10.97.0.0/16","10.98.0.5/32"],"nexthops":[{"port":"r1b"}]}')"
r=$(rpc_ok route.get '{"router":"r1","address":"10.97.1.1"}')
assert_eq "... and nothing of it was added (no route)" "" "$(jget "$r" route.prefix 2>/dev/null)"
expect_error "route.bulk: host bits set" -32602 /params/prefixes/0 \
	"$(rpc route.bulk '{"router":"r1","op":"del","prefixes":["10.98.0.1/16"]}')"
expect_error "route.bulk: a connected route is not the bulk method's" "-32[0-9]+" /params/prefixes/0 \
	"$(rpc route.bulk '{"router":"r1","op":"del","prefixes":["198.18.1.0/24"]}')"
r=$(rpc_ok route.bulk "{\"router\":\"r1\",\"op\":\"del\",\"prefixes\":$pfx}")
assert_eq "route.bulk del: the 1000 are gone" $((n4 - 1000)) "$(jget "$r" routes4)"
ping_none "10.98.3.7 has no route after the bulk del" a 10.98.3.7

# --- counters ---
st=$(rpc_ok router.stats '{"router":"r1"}')
assert_ge "router.stats: routed" 10 "$(jget "$st" routed)"
assert_ge "router.stats: echo answered in the datapath" 10 "$(jget "$st" echo_answered)"
assert_ge "router.stats: ARP answered" 1 "$(jget "$st" arp_answered)"
assert_ge "router.stats: NS answered" 1 "$(jget "$st" nd_answered)"
assert_ge "router.stats: ARP requests sent" 3 "$(jget "$st" arp_sent)"
assert_ge "router.stats: NS sent" 1 "$(jget "$st" nd_sent)"
assert_ge "router.stats: ICMP errors sent" 5 "$(jget "$st" icmp_errors_sent)"
assert_ge "router.stats: TTL drops by reason" 2 "$(jget "$st" drops.ttl_exceeded)"
st=$(rpc_ok stats.get)
assert_ge "stats.get: the l3 module's routed total" 10 "$(jget "$st" pmds.0.modules.l3.routed)"
fs=$(rpc_ok flow.stats)
assert_ge "flow.stats: packets injected by the management lcore" 10 "$(jget "$fs" 0.injected)"

it_finish
