#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# VLANs and isolation between logical switches.
#
#   sw1: access ports a1, b1 (namespaces a1, b1: 198.18.2.1, 198.18.2.2)
#   sw2: access ports a2, b2 (namespaces a2, b2: the SAME addresses)
#   trunk port t: VLAN 100 = sw1, VLAN 200 = sw2, no native switch; its tap
#   sits in namespace t with sub-interfaces t.100 (198.18.2.3, sw1) and
#   t.200 (198.18.4.3, sw2; a2/b2 also hold 198.18.4.1/.2) and t.300 (a VLAN
#   the port does not carry).
#
# Proves: each host reaches the host of its own switch (checked by the MAC
# that answered), nothing of sw1 ever arrives in sw2 and the other way round
# (kernel rx counters stay still), the trunk reaches each switch through its
# tag, tags are pushed/popped correctly on the wire (tcpdump on the trunk),
# and untagged or unknown-VLAN frames on the trunk are dropped and counted.
set -o pipefail
. "$(dirname "$0")/lib.sh"
it_init vl

M_A1=02:49:54:01:00:01
M_B1=02:49:54:01:00:02
M_A2=02:49:54:02:00:01
M_B2=02:49:54:02:00:02
M_T=02:49:54:03:00:01

CONF=$IT_TMP/config.json
cat >"$CONF" <<JSON
{
  "switches": [ { "name": "sw1" }, { "name": "sw2" } ],
  "ports": [
    { "name": "a1", "type": "ethdev", "devargs": "net_tap0,iface=$(ifname a1)", "switch": "sw1" },
    { "name": "b1", "type": "ethdev", "devargs": "net_tap1,iface=$(ifname b1)", "switch": "sw1" },
    { "name": "a2", "type": "ethdev", "devargs": "net_tap2,iface=$(ifname a2)", "switch": "sw2" },
    { "name": "b2", "type": "ethdev", "devargs": "net_tap3,iface=$(ifname b2)", "switch": "sw2" },
    { "name": "t", "type": "ethdev", "devargs": "net_tap4,iface=$(ifname t)",
      "vlans": [ { "vlan": 100, "switch": "sw1" }, { "vlan": 200, "switch": "sw2" } ] }
  ]
}
JSON
ns_add a1 b1 a2 b2 t
evs_start d "$CONF"
link_to_ns "$(ifname a1)" a1 198.18.2.1/24 $M_A1
link_to_ns "$(ifname b1)" b1 198.18.2.2/24 $M_B1
link_to_ns "$(ifname a2)" a2 198.18.2.1/24 $M_A2
link_to_ns "$(ifname b2)" b2 198.18.2.2/24 $M_B2
nsx a2 ip addr add 198.18.4.1/24 dev "$(ifname a2)"
nsx b2 ip addr add 198.18.4.2/24 dev "$(ifname b2)"
# t answers ARP only on the interface that holds the address, so the trunk
# namespace itself never bridges the two VLANs.
nsx t sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.default.arp_ignore=1
link_to_ns "$(ifname t)" t "" $M_T
TI=$(ifname t)
for v in 100 200 300; do
	nsx t ip link add link "$TI" name "$TI.$v" type vlan id $v || it_die "cannot create $TI.$v"
done
nsx t ip addr add 198.18.2.3/24 dev "$TI.100"
nsx t ip addr add 198.18.4.3/24 dev "$TI.200"
nsx t ip addr add 198.18.6.3/24 dev "$TI.300"
for v in 100 200 300; do nsx t ip link set "$TI.$v" up; done

# Same addresses on both switches: each host reaches its own peer only.
ping_check "sw1: a1 -> 198.18.2.2" a1 198.18.2.2
assert_eq "sw1: 198.18.2.2 answered by b1's MAC" "$M_B1" "$(neigh_mac a1 198.18.2.2)"
ping_check "sw2: a2 -> 198.18.2.2" a2 198.18.2.2
assert_eq "sw2: 198.18.2.2 answered by b2's MAC" "$M_B2" "$(neigh_mac a2 198.18.2.2)"
ping_check "sw1: b1 -> 198.18.2.1" b1 198.18.2.1
assert_eq "sw1: 198.18.2.1 answered by a1's MAC" "$M_A1" "$(neigh_mac b1 198.18.2.1)"

# No leak: traffic on sw1 (ARP broadcasts included: neighbours flushed
# first) must not reach sw2's hosts, and the other way round.
rx_a2=$(rx_packets a2 "$(ifname a2)")
rx_b2=$(rx_packets b2 "$(ifname b2)")
nsx a1 ip neigh flush all
nsx b1 ip neigh flush all
ping_check "sw1 traffic (with fresh ARP) a1 -> b1" a1 198.18.2.2 -c 20 -i 0.05
nsx a1 ping -q -b -c 3 -i 0.2 -W 1 198.18.2.255 >/dev/null 2>&1
assert_eq "no sw1 frame reached a2" "$rx_a2" "$(rx_packets a2 "$(ifname a2)")"
assert_eq "no sw1 frame reached b2" "$rx_b2" "$(rx_packets b2 "$(ifname b2)")"
rx_a1=$(rx_packets a1 "$(ifname a1)")
rx_b1=$(rx_packets b1 "$(ifname b1)")
nsx a2 ip neigh flush all
ping_check "sw2 traffic (with fresh ARP) a2 -> b2" a2 198.18.2.2 -c 20 -i 0.05
assert_eq "no sw2 frame reached a1" "$rx_a1" "$(rx_packets a1 "$(ifname a1)")"
assert_eq "no sw2 frame reached b1" "$rx_b1" "$(rx_packets b1 "$(ifname b1)")"

# The trunk: VLAN 100 is sw1, VLAN 200 is sw2.
ping_check "trunk VLAN 100 -> a1 (sw1)" t 198.18.2.1
assert_eq "VLAN 100: 198.18.2.1 answered by a1's MAC" "$M_A1" "$(neigh_mac t 198.18.2.1)"
ping_check "trunk VLAN 100 -> b1 (sw1)" t 198.18.2.2
assert_eq "VLAN 100: 198.18.2.2 answered by b1's MAC" "$M_B1" "$(neigh_mac t 198.18.2.2)"
ping_check "trunk VLAN 200 -> a2 (sw2)" t 198.18.4.1
assert_eq "VLAN 200: 198.18.4.1 answered by a2's MAC" "$M_A2" "$(neigh_mac t 198.18.4.1)"
ping_check "a1 -> trunk (sw1 out through VLAN 100)" a1 198.18.2.3
ping_check "b2 -> trunk (sw2 out through VLAN 200)" b2 198.18.4.3
ping_none "sw2 cannot reach the trunk's VLAN 100 address" a2 198.18.2.3

# Tags on the wire, seen on the trunk's kernel interface: what t sends on
# t.100 and what it gets back from a1 carry VLAN 100; sw2's replies VLAN 200.
if command -v tcpdump >/dev/null 2>&1; then
	cap=$IT_TMP/trunk.txt
	it_bg tpid nsx t timeout 20 tcpdump -l -n -e -i "$TI" -c 40 icmp or arp >"$cap" 2>"$IT_TMP/tcpdump.err"
	sleep 1
	nsx t ping -q -c 3 -i 0.2 -W 1 198.18.2.1 >/dev/null
	nsx t ping -q -c 3 -i 0.2 -W 1 198.18.4.1 >/dev/null
	sleep 0.5
	kill -INT "$tpid" 2>/dev/null
	it_wait "$tpid"
	assert_ge "tcpdump: echo replies from a1 arrive tagged 100" 3 \
		"$(grep -c "^[0-9:.]* $M_A1 > $M_T, .*vlan 100,.*ICMP echo reply" "$cap")"
	assert_ge "tcpdump: echo replies from a2 arrive tagged 200" 3 \
		"$(grep -c "^[0-9:.]* $M_A2 > $M_T, .*vlan 200,.*ICMP echo reply" "$cap")"
	assert_eq "tcpdump: nothing from a1 with any other tag" 0 \
		"$(grep "^[0-9:.]* $M_A1 > " "$cap" | grep -vc "vlan 100,")"
	assert_eq "tcpdump: nothing from a2 with any other tag" 0 \
		"$(grep "^[0-9:.]* $M_A2 > " "$cap" | grep -vc "vlan 200,")"
	# And the access side receives plain (untagged) frames.
	it_bg tpid nsx a1 timeout 20 tcpdump -l -n -e -i "$(ifname a1)" -c 6 icmp >"$cap" 2>/dev/null
	sleep 1
	nsx t ping -q -c 3 -i 0.2 -W 1 198.18.2.1 >/dev/null
	sleep 0.5
	kill -INT "$tpid" 2>/dev/null
	it_wait "$tpid"
	assert_ge "tcpdump: the trunk's echo requests reach a1" 3 "$(grep -c "$M_T > $M_A1, ethertype IPv4" "$cap")"
	assert_eq "tcpdump: and untagged" 0 "$(grep -c "vlan" "$cap")"
else
	it_log "tcpdump not installed: tag-on-the-wire checks skipped"
fi

# Untagged frames on the trunk (no native switch) and VLAN 300 (not
# carried) reach nobody and are counted as drops.
stats0=$(rpc_ok stats.get)
rx_a1=$(rx_packets a1 "$(ifname a1)")
rx_a2=$(rx_packets a2 "$(ifname a2)")
nsx t ip addr add 198.18.2.9/24 dev "$TI"
nsx t ping -q -c 3 -i 0.1 -W 1 -I "$TI" 198.18.2.1 >/dev/null 2>&1
nsx t ping -q -c 3 -i 0.1 -W 1 198.18.6.1 >/dev/null 2>&1
sleep 0.3
assert_eq "untagged/VLAN 300 frames from the trunk reached no sw1 host" "$rx_a1" "$(rx_packets a1 "$(ifname a1)")"
assert_eq "untagged/VLAN 300 frames from the trunk reached no sw2 host" "$rx_a2" "$(rx_packets a2 "$(ifname a2)")"
stats1=$(rpc_ok stats.get)
for r in no_switch vlan_not_member; do
	d=$(("$("${RPC[@]}" find "$stats1" $r)" - "$("${RPC[@]}" find "$stats0" $r)"))
	assert_ge "stats.get drops '$r' grew (untagged / VLAN 300 frames on the trunk)" 1 "$d"
done

# The switches and the port memberships are what switch.list reports.
sl=$(rpc_ok switch.list)
assert_has "switch.list: sw1" "$sl" name=sw1
assert_has "switch.list: sw2" "$sl" name=sw2

it_finish
