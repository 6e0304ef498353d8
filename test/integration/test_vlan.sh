#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# VLANs and isolation between logical switches.
#
#   sw1: access ports a1, b1 (namespaces a1, b1: 198.18.2.1, 198.18.2.2)
#   sw2: access ports a2, b2 (namespaces a2, b2: the SAME addresses, plus
#        198.18.4.1, 198.18.4.2)
#   trunk port t: VLAN 100 = sw1, VLAN 200 = sw2, no native switch. Its tap
#   sits in namespace t, where a userspace 802.1Q host (vlanhost.py) holds
#   198.18.2.3 on VLAN 100 and 198.18.4.3 on VLAN 200: it builds the tags
#   itself and reads received tags from PACKET_AUXDATA, so the test needs no
#   kernel VLAN support (the 8021q module is often missing in VMs) and checks
#   the tags independently of any kernel VLAN code.
#
# Proves: each host reaches the host of its own switch (checked by the MAC
# that answered), nothing of sw1 ever arrives in sw2 and the other way round
# (kernel rx counters stay still), the trunk reaches each switch through its
# tag and only through it, every frame leaving the trunk carries the tag of
# its switch (vlanhost's log and tcpdump), access ports get untagged frames,
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
# The trunk's kernel interface has no address: only vlanhost.py talks there.
link_to_ns "$(ifname t)" t "" $M_T
TI=$(ifname t)
VH=("$PY" "$IT_DIR/vlanhost.py")
it_bg vhpid nsx t "${VH[@]}" serve "$TI" "$M_T" 100 100=198.18.2.3 200=198.18.4.3 >"$IT_TMP/trunk.log" 2>&1
# trunk_ping VLAN SRC DST COUNT: vlanhost's summary line.
trunk_ping() { nsx t "${VH[@]}" ping "$TI" "$M_T" "$@" 2>&1; }

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
assert_eq "trunk VLAN 100 -> 198.18.2.1: answered by a1, all tagged 100" \
	"sent 5 replies 5 mac $M_A1 wrongtag 0" "$(trunk_ping 100 198.18.2.3 198.18.2.1 5)"
assert_eq "trunk VLAN 100 -> 198.18.2.2: answered by b1, all tagged 100" \
	"sent 5 replies 5 mac $M_B1 wrongtag 0" "$(trunk_ping 100 198.18.2.3 198.18.2.2 5)"
assert_eq "trunk VLAN 200 -> 198.18.4.1: answered by a2, all tagged 200" \
	"sent 5 replies 5 mac $M_A2 wrongtag 0" "$(trunk_ping 200 198.18.4.3 198.18.4.1 5)"
assert_eq "trunk VLAN 200 -> 198.18.2.2 (sw2's b2, same address as b1)" \
	"sent 5 replies 5 mac $M_B2 wrongtag 0" "$(trunk_ping 200 198.18.4.3 198.18.2.2 5)"
ping_check "a1 -> trunk (sw1 leaves through VLAN 100)" a1 198.18.2.3
ping_check "b2 -> trunk (sw2 leaves through VLAN 200)" b2 198.18.4.3
ping_none "sw2 cannot reach the trunk's VLAN 100 address" a2 198.18.2.3
nsx a1 ip addr add 198.18.4.11/24 dev "$(ifname a1)"
ping_none "sw1 cannot reach the trunk's VLAN 200 address" a1 198.18.4.3
nsx a1 ip addr del 198.18.4.11/24 dev "$(ifname a1)"

# Every frame the trunk received from a switch's hosts carried that switch's tag.
tlog=$IT_TMP/trunk.log
for pair in "$M_A1 100" "$M_B1 100" "$M_A2 200" "$M_B2 200"; do
	read -r mac vlan <<<"$pair"
	n=$(grep -c "^rx vlan=$vlan src=$mac " "$tlog")
	bad=$(grep "^rx vlan=" "$tlog" | grep " src=$mac " | grep -vc "^rx vlan=$vlan ")
	assert_ge "trunk received frames from $mac tagged $vlan" 1 "$n"
	assert_eq "trunk received no frame from $mac with another tag or none" 0 "$bad"
done

# The same seen by tcpdump (libpcap puts the tag back from the kernel's
# metadata), and the access side gets the frames untagged.
if command -v tcpdump >/dev/null 2>&1; then
	# Each capture gets its own files: a background redirection truncates
	# only when the child runs, so a reused file could show the last run.
	cap=$IT_TMP/tcpdump-trunk.txt
	it_bg tpid nsx t timeout 20 tcpdump -l -n -e -i "$TI" icmp >"$cap" 2>"$cap.err"
	wait_until 5 grep -q "listening on" "$cap.err"
	trunk_ping 100 198.18.2.3 198.18.2.1 3 >/dev/null
	trunk_ping 200 198.18.4.3 198.18.4.1 3 >/dev/null
	sleep 0.5
	kill -TERM "$tpid" 2>/dev/null
	it_wait "$tpid"
	assert_ge "tcpdump on the trunk: echo replies from a1 tagged 100" 3 \
		"$(grep -c "$M_A1 > $M_T, ethertype 802.1Q (0x8100), .*vlan 100,.*ICMP echo reply" "$cap")"
	assert_ge "tcpdump on the trunk: echo replies from a2 tagged 200" 3 \
		"$(grep -c "$M_A2 > $M_T, ethertype 802.1Q (0x8100), .*vlan 200,.*ICMP echo reply" "$cap")"
	assert_eq "tcpdump on the trunk: nothing from a1 untagged or with another tag" 0 \
		"$(grep " $M_A1 > " "$cap" | grep -vc "vlan 100,")"
	cap=$IT_TMP/tcpdump-a1.txt
	it_bg tpid nsx a1 timeout 20 tcpdump -l -n -e -i "$(ifname a1)" icmp >"$cap" 2>"$cap.err"
	wait_until 5 grep -q "listening on" "$cap.err"
	trunk_ping 100 198.18.2.3 198.18.2.1 3 >/dev/null
	sleep 0.5
	kill -TERM "$tpid" 2>/dev/null
	it_wait "$tpid"
	assert_ge "tcpdump on a1: the trunk's echo requests arrive" 3 \
		"$(grep -c "$M_T > $M_A1, ethertype IPv4" "$cap")"
	assert_eq "tcpdump on a1: untagged" 0 "$(grep -c "802.1Q\|vlan [0-9]" "$cap")"
else
	it_log "tcpdump not installed: the tcpdump view of the tags is skipped (vlanhost checked them)"
fi

# Untagged frames on the trunk (no native switch) and VLAN 300 (not
# carried) reach nobody and are counted as drops.
stats0=$(rpc_ok stats.get)
rx_a1=$(rx_packets a1 "$(ifname a1)")
rx_a2=$(rx_packets a2 "$(ifname a2)")
assert_eq "untagged ARP from the trunk gets no answer" \
	"sent 0 replies 0 mac none wrongtag 0" "$(trunk_ping 0 198.18.2.9 198.18.2.1 3)"
assert_eq "VLAN 300 ARP from the trunk gets no answer" \
	"sent 0 replies 0 mac none wrongtag 0" "$(trunk_ping 300 198.18.2.9 198.18.2.1 3)"
assert_eq "untagged/VLAN 300 frames from the trunk reached no sw1 host" "$rx_a1" "$(rx_packets a1 "$(ifname a1)")"
assert_eq "untagged/VLAN 300 frames from the trunk reached no sw2 host" "$rx_a2" "$(rx_packets a2 "$(ifname a2)")"
stats1=$(rpc_ok stats.get)
for r in no_switch vlan_not_member; do
	d=$(("$("${RPC[@]}" find "$stats1" $r)" - "$("${RPC[@]}" find "$stats0" $r)"))
	assert_ge "stats.get drops '$r' counted the 3 ARP requests" 3 "$d"
done

# The switches and the port memberships are what switch.list reports.
sl=$(rpc_ok switch.list)
assert_has "switch.list: sw1" "$sl" name=sw1
assert_has "switch.list: sw2" "$sl" name=sw2

it_finish
