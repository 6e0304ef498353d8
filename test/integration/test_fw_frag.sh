#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# IP fragments through the stateful firewall (doc/conntrack.md,
# "Fragments"): a (client) and b (server, group "web") on one switch. With
# b's ingress rules allowing ICMP and UDP 5001 only, `ping -s 3000` and a
# 4000-byte UDP datagram pass both ways, IPv4 and IPv6, and come back
# byte for byte (the receiving kernels reassemble them: the reference);
# tcpdump on b sees the pieces arrive as fragments. A big datagram to a
# denied port is dropped whole (its later pieces meet the same rules, with
# the datagram's ports). DNAT of a public address:port to b carries a
# fragmented datagram both ways. ct.stats shows no fragment refused. Then
# SNAT and DNAT on one connection (hairpin): b sees the SNAT address.
set -o pipefail
. "$(dirname "$0")/lib.sh"
it_init ffr
it_require_cmd tcpdump

PROBE=("$PY" "$IT_DIR/test_fw_probe.py")
V6_A=fd00:1::a
V6_B=fd00:1::b
VIP=198.18.1.200

CONF=$IT_TMP/config.json
cat >"$CONF" <<JSON
{
  "switches": [ { "name": "sw0" } ],
  "ports": [
    { "name": "pa", "type": "ethdev", "devargs": "net_tap0,iface=$(ifname a)", "switch": "sw0" },
    { "name": "pb", "type": "ethdev", "devargs": "net_tap1,iface=$(ifname b)", "switch": "sw0" }
  ],
  "fw_groups": [ { "name": "web" } ],
  "fw_rules": [
    { "id": 10, "group": "web", "direction": "ingress", "protocol": "icmp" },
    { "id": 11, "group": "web", "direction": "ingress", "protocol": "icmpv6" },
    { "id": 12, "group": "web", "direction": "ingress", "protocol": "udp", "dport_min": 5001 },
    { "id": 13, "group": "web", "direction": "egress" }
  ],
  "fw_ports": [ { "port": "pb", "addresses": ["$IP_B", "$V6_B"], "groups": ["web"] } ]
}
JSON
ns_add a b
evs_start d "$CONF"
link_to_ns "$(ifname a)" a "$IP_A/24" "$MAC_A"
link_to_ns "$(ifname b)" b "$IP_B/24" "$MAC_B"
for n in a b; do # ns_add turns IPv6 off; these two speak it
	nsx $n sysctl -qw net.ipv6.conf.all.disable_ipv6=0 "net.ipv6.conf.$(ifname $n).disable_ipv6=0" >/dev/null
done
nsx a ip addr add "$V6_A/64" dev "$(ifname a)" nodad
nsx b ip addr add "$V6_B/64" dev "$(ifname b)" nodad
for p in 5001 5002; do
	it_bg srv nsx b "${PROBE[@]}" serve $p
done
sleep 0.5
probe() { nsx "$1" "${PROBE[@]}" "${@:2}"; }
stat() { jget "$(rpc_ok ct.stats)" "counters.$1"; }

cap=$IT_TMP/frag.pcap
it_bg tcpd nsx b timeout 15 tcpdump -n -U -i "$(ifname b)" -w "$cap" \
	"(ip and ip[6:2] & 0x3fff != 0) or (ip6 and ip6[6] == 44)"
sleep 1
ping_check "ping -s 3000 a -> b through b's ingress rules" a "$IP_B" -s 3000
assert_eq "UDP 4000 bytes to an allowed port: echoed intact" "intact" \
	"$(probe a udpbig "$IP_B" 5001 4000)"
assert_eq "UDP 4000 bytes to a denied port: dropped whole" "timeout" \
	"$(probe a udpbig "$IP_B" 5002 4000 2)"
assert_eq "IPv6 UDP 4000 bytes (after neighbour discovery): intact" "intact" \
	"$(probe a udpbig "$V6_B" 5001 4000 3)"
ping_check "IPv6 ping -s 3000 a -> b" a "$V6_B" -s 3000
# DNAT: a public address:port to b's 5001; the pieces follow the first
rpc_ok fw.dnat.add "{\"name\":\"dns\",\"address\":\"$VIP\",\"protocol\":\"udp\",\"port\":53,\"to\":\"$IP_B\",\"to_port\":5001}" >/dev/null
nsx a ip neigh replace "$VIP" lladdr "$MAC_B" dev "$(ifname a)" nud permanent
assert_eq "DNAT: UDP 4000 bytes to $VIP:53 reach b:5001 and come back intact" "intact" \
	"$(probe a udpbig "$VIP" 53 4000)"
it_wait "$tcpd" # its timeout ends the capture
n4=$(nsx b tcpdump -n -r "$cap" ip 2>/dev/null | grep -c .)
n6=$(nsx b tcpdump -n -r "$cap" ip6 2>/dev/null | grep -c .)
# ping: 5 requests of 3 pieces; UDP: 2 allowed datagrams of 3 pieces (the
# denied one never reaches b)
assert_ge "b saw the IPv4 pieces as fragments" 21 "$n4"
assert_ge "b saw the IPv6 pieces as fragments" 18 "$n6"
den=$(nsx b tcpdump -n -r "$cap" "ip and udp dst port 5002" 2>/dev/null | grep -c .)
assert_eq "no piece of the denied datagram reached b" "0" "$den"
for c in invalid_frag_no_first invalid_frag_overlap invalid_frag_table_full invalid_frag_bad_offset; do
	assert_eq "ct.stats: $c" "0" "$(stat $c)"
done
# Hairpin: a's own network is source-translated too (fw.snat): a reaching
# the DNAT address gets both translations in one connection, so b answers
# the SNAT address (through the switch) and a still hears the public one
NAT=198.18.1.250
rpc_ok fw.snat.add "{\"name\":\"hp\",\"src\":\"198.18.1.0/24\",\"to_min\":\"$NAT\"}" >/dev/null
nsx b ip neigh replace "$NAT" lladdr "$MAC_A" dev "$(ifname b)" nud permanent
assert_eq "hairpin (DNAT + SNAT): UDP 4000 bytes to $VIP:53 intact" "intact" \
	"$(probe a udpbig "$VIP" 53 4000)"
l=$(rpc_ok ct.list '{"zone":65520,"port":5001}')
hp=$("$PY" - "$l" "$VIP" "$IP_B" "$NAT" <<'PYEOF'
import json, sys
vip, b, nat = sys.argv[2:5]
conns = json.loads(sys.argv[1])["conns"]
print(sum(1 for c in conns if c["orig"]["dst"] == vip and c["orig"]["dport"] == 53
          and c["reply"]["src"] == b and c["reply"]["sport"] == 5001 and c["reply"]["dst"] == nat))
PYEOF
)
assert_eq "ct.list: one connection translated both ways (to b:5001, from $NAT)" "1" "$hp"
it_finish
