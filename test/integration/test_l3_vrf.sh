#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Two tenants with the SAME addresses and MACs, each behind its own router
# (its own VRF), kept apart; and a next hop that never answers ARP.
#
#   tenant 1: a 198.18.1.2 --- s1a --- t1 (198.18.1.1 | 198.18.2.1) --- s1b --- b 198.18.2.2
#   tenant 2: c 198.18.1.2 --- s2a --- t2 (198.18.1.1 | 198.18.2.1) --- s2b --- d 198.18.2.2
#
# a and c, b and d, and the two routers' ports share addresses and MACs.
# Checks: each tenant pings across its router; tcpdump on the other
# tenant's host sees none of it; each router's routed count moves only with
# its tenant's traffic; each learned its own 198.18.2.2 on its own port.
# Then a route in t1 via 198.18.2.99, which nobody answers: a burst of 12
# packets is held 4 (the hold bound) and 8 dropped as hold_full; after the
# three probes the 4 are unresolved (host unreachable); the packet pool is
# back to its idle count (no mbuf leaked).
set -o pipefail
. "$(dirname "$0")/lib.sh"
it_init l3_vrf
it_require_cmd tcpdump

GW1=198.18.1.1
GW2=198.18.2.1
H1=198.18.1.2
H2=198.18.2.2
RMAC1=02:52:00:00:00:01
RMAC2=02:52:00:00:00:02

CONF=$IT_TMP/config.json
cat >"$CONF" <<JSON
{
  "switches": [ { "name": "s1a" }, { "name": "s1b" }, { "name": "s2a" }, { "name": "s2b" } ],
  "ports": [
    { "name": "pa", "type": "ethdev", "devargs": "net_tap0,iface=$(ifname a)", "switch": "s1a" },
    { "name": "pb", "type": "ethdev", "devargs": "net_tap1,iface=$(ifname b)", "switch": "s1b" },
    { "name": "pc", "type": "ethdev", "devargs": "net_tap2,iface=$(ifname c)", "switch": "s2a" },
    { "name": "pd", "type": "ethdev", "devargs": "net_tap3,iface=$(ifname d)", "switch": "s2b" }
  ],
  "routers": [ { "name": "t1" }, { "name": "t2" } ],
  "router_ports": [
    { "name": "t1a", "router": "t1", "switch": "s1a", "mac": "$RMAC1", "addresses": ["$GW1/24"] },
    { "name": "t1b", "router": "t1", "switch": "s1b", "mac": "$RMAC2", "addresses": ["$GW2/24"] },
    { "name": "t2a", "router": "t2", "switch": "s2a", "mac": "$RMAC1", "addresses": ["$GW1/24"] },
    { "name": "t2b", "router": "t2", "switch": "s2b", "mac": "$RMAC2", "addresses": ["$GW2/24"] }
  ]
}
JSON

ns_add a b c d
evs_start d "$CONF"
link_to_ns "$(ifname a)" a "$H1/24" "$MAC_A"
link_to_ns "$(ifname b)" b "$H2/24" "$MAC_B"
link_to_ns "$(ifname c)" c "$H1/24" "$MAC_A"
link_to_ns "$(ifname d)" d "$H2/24" "$MAC_B"
for n in a c; do nsx $n ip route add default via "$GW1"; done
for n in b d; do nsx $n ip route add default via "$GW2"; done

routed() { jget "$(rpc_ok router.stats "{\"router\":\"$1\"}")" routed; }

# --- each tenant routes across its own router ---
ping_check "tenant 1: a -> b through t1" a "$H2"
ping_check "tenant 2: c -> d through t2" c "$H2"
for t in 1 2; do
	assert_match "t$t learned $H2 itself (its own neighbour table)" "\"$H2\"" \
		"$(rpc_ok neigh.show "{\"router\":\"t$t\"}")"
done

# --- tenant 1's traffic never reaches tenant 2 (and back) ---
check_apart() { # FROM TO OTHER_SRC OTHER_DST OWN OTHER
	local from=$1 to=$2 osrc=$3 odst=$4 own=$5 other=$6 cap n0 o0 capn
	cap=$IT_TMP/apart-$from.pcap
	it_bg tpid nsx "$odst" timeout 6 tcpdump -nn -U -i "$(ifname "$odst")" -w "$cap" icmp 2>/dev/null
	it_bg spid nsx "$osrc" timeout 6 tcpdump -nn -U -i "$(ifname "$osrc")" -w "$cap.src" icmp 2>/dev/null
	sleep 1
	n0=$(routed "$own")
	o0=$(routed "$other")
	ping_check "$from -> $to: 20 echoes (marked payload)" "$from" "$H2" -c 20 -i 0.05 -p e1e1
	assert_eq "router $own routed the 40 packets (20 each way)" 40 $(($(routed "$own") - n0))
	assert_eq "router $other routed none of them" 0 $(($(routed "$other") - o0))
	it_wait "$tpid"
	it_wait "$spid"
	capn=$( (tcpdump -nn -r "$cap" 2>/dev/null; tcpdump -nn -r "$cap.src" 2>/dev/null) | wc -l)
	assert_eq "tcpdump on $odst and $osrc (same addresses, other tenant): no ICMP" 0 "$capn"
}
check_apart a b c d t1 t2
check_apart c d a b t2 t1

# --- a next hop that never answers ARP ---
st=$(rpc_ok stats.get)
idle=$(jget "$st" mbufs.in_use)
it_log "packet pool: $idle of $(jget "$st" mbufs.size) in use at rest"
rpc_ok route.add "{\"router\":\"t1\",\"prefix\":\"10.96.0.0/16\",\"nexthops\":[{\"port\":\"t1b\",\"via\":\"198.18.2.99\"}]}" >/dev/null
n0=$(rpc_ok neigh.show '{"router":"t1"}')
it_bg cpid nsx b timeout 8 tcpdump -nn -U -i "$(ifname b)" -w "$IT_TMP/arp.pcap" \
	arp 2>/dev/null
sleep 1
# 12 datagrams in one go (well within the first probe's second)
nsx a bash -c "for p in \$(seq 30000 30011); do echo x > /dev/udp/10.96.0.1/\$p; done" 2>/dev/null
unresolved_ge() { [ "$(jget "$(rpc_ok neigh.show '{"router":"t1"}')" counters.unresolved)" -ge "$1" ]; }
wait_until 8 unresolved_ge $(($(jget "$n0" counters.unresolved) + 4))
it_wait "$cpid"
n=$(rpc_ok neigh.show '{"router":"t1"}')
c() { echo $(($(jget "$n" "counters.$1") - $(jget "$n0" "counters.$1"))); }
assert_ge "neigh.show: held while resolving" 4 "$(c held)"
assert_eq "neigh.show: 8 dropped as the hold queue overflowed (hold_full)" 8 "$(c hold_full)"
assert_eq "neigh.show: the 4 held counted unresolved after the probes" 4 "$(c unresolved)"
assert_eq "neigh.show: 3 probes" 3 "$(c probes)"
probes=$(tcpdump -nn -r "$IT_TMP/arp.pcap" 2>/dev/null | grep -c "who-has 198.18.2.99")
assert_eq "tcpdump on b: 3 ARP requests for 198.18.2.99" 3 "$probes"
st=$(rpc_ok router.stats '{"router":"t1"}')
assert_ge "router.stats: the hold overflow by reason" 8 "$(jget "$st" drops.neigh_hold_full)"
assert_ge "router.stats: the unresolved by reason" 4 "$(jget "$st" drops.neigh_unresolved)"
pool_idle() { [ "$(jget "$(rpc_ok stats.get)" mbufs.in_use)" -le "$1" ]; }
if wait_until 5 pool_idle "$idle"; then
	it_pass "stats.get: the packet pool is back to $idle in use (no mbuf leaked)"
else
	it_fail "mbufs in use: $(jget "$(rpc_ok stats.get)" mbufs.in_use), idle was $idle"
fi
assert_ok "the daemon is alive" evs_alive

it_finish
