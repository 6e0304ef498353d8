#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Encryption per port and per port tag (issue 13): two edgevs hosts on a
# veth underlay, one switch, two VMs (namespaces) on each. vm1 is encrypted
# (host A: by name in the tunnel's encrypt_ports; host B: by its fw.port tag
# "pci" in encrypt_tags), vm2 is not, and neither is the switch or the VTEP:
# - vm1 <-> vm1 crosses the underlay only as ESP, vm2 <-> vm2 as clear
#   GENEVE (tshark on the underlay: no clear frame carries vm1's addresses);
# - vm2 on A -> vm1 on B arrives in the clear: B drops it (clear_refused).
set -o pipefail
. "$(dirname "$0")/lib.sh"
it_init ovp
it_require_cmd tshark

# shellcheck source=overlay_pair.sh
. "$IT_DIR/overlay_pair.sh"
ovl_pair 1700 a1 a2 b1 b2

# host HOST UPLINK LOCAL REMOTE MYMAC PEERMAC POLICY-OPS
host() {
	local h=${1,,}
	RPC_SOCK=$(eval echo "\$EVS_SOCK_$1") rpc_ok transact "{\"ops\":[
	{\"method\":\"switch.add\",\"params\":{\"name\":\"web\"}},
	{\"method\":\"port.add\",\"params\":{\"name\":\"up0\",\"devargs\":\"net_af_packet$1,iface=$2\"}},
	{\"method\":\"port.add\",\"params\":{\"name\":\"vm1\",\"devargs\":\"net_tap${1}1,iface=$(ifname "${h}1")\",\"switch\":\"web\"}},
	{\"method\":\"port.add\",\"params\":{\"name\":\"vm2\",\"devargs\":\"net_tap${1}2,iface=$(ifname "${h}2")\",\"switch\":\"web\"}},
	{\"method\":\"underlay.add\",\"params\":{\"name\":\"u1\",\"port\":\"up0\",\"address\":\"$3\",\"mac\":\"$5\",\"next_hop_mac\":\"$6\",\"mtu\":1600}},
	{\"method\":\"vtep.add\",\"params\":{\"name\":\"peer\",\"underlay\":\"u1\",\"address\":\"$4\"}},
	$7]}" >/dev/null
}
host A "$UA" 10.99.0.1 10.99.0.2 "$MAC_UA" "$MAC_UB" \
	'{"method":"tunnel.add","params":{"switch":"web","vni":5001,"encrypt_ports":["vm1"]}}'
host B "$UB" 10.99.0.2 10.99.0.1 "$MAC_UB" "$MAC_UA" \
	'{"method":"fw.port.add","params":{"port":"vm1","tags":["pci"]}},
	{"method":"tunnel.add","params":{"switch":"web","vni":5001,"encrypt_tags":["pci"]}}'
KAB=000102030405060708090a0b0c0d0e0f # A -> B
KBA=f0e0d0c0b0a090807060504030201000 # B -> A
sa() { # sa HOST DIR SPI KEY
	RPC_SOCK=$(eval echo "\$EVS_SOCK_$1") rpc_ok sa.add \
		"{\"vtep\":\"peer\",\"dir\":\"$2\",\"spi\":$3,\"key\":\"$4\",\"salt\":\"0a0b0c0d\"}" >/dev/null
}
sa A out 4096 $KAB
sa B in 4096 $KAB
sa B out 8192 $KBA
sa A in 8192 $KBA
link_to_ns "$(ifname a1)" a1 10.50.0.11/24
link_to_ns "$(ifname a2)" a2 10.50.0.12/24
link_to_ns "$(ifname b1)" b1 10.50.0.21/24
link_to_ns "$(ifname b2)" b2 10.50.0.22/24

PCAP=$IT_TMP/underlay.pcap
# each side sees what it receives (af_packet transmits bypass the capture)
it_bg cap tshark -i "$UA" -i "$UB" -w "$PCAP" -q 2>"$IT_TMP/cap.err"
wait_until 30 grep -q "Capturing on" "$IT_TMP/cap.err" ||
	it_fail "tshark did not start capturing: $(cat "$IT_TMP/cap.err")"
sleep 0.5
ping_check "vm1 on A -> vm1 on B (both encrypted)" a1 10.50.0.21
ping_check "vm2 on A -> vm2 on B (both clear)" a2 10.50.0.22
ping_check "vm1 on B -> vm1 on A" b1 10.50.0.11
sleep 1
kill "$cap" 2>/dev/null
it_wait "$cap"
n_esp=$(tshark -r "$PCAP" -Y esp 2>/dev/null | wc -l)
n_clear=$(tshark -r "$PCAP" -Y "geneve && icmp" 2>/dev/null | wc -l)
n_leak=$(tshark -r "$PCAP" -Y "geneve && (ip.addr == 10.50.0.11 || ip.addr == 10.50.0.21)" \
	2>/dev/null | wc -l)
assert_ge "vm1's pings crossed the underlay as ESP (both ways, both directions)" 20 "$n_esp"
assert_ge "vm2's pings crossed it as clear GENEVE" 10 "$n_clear"
assert_eq "no clear GENEVE frame carries vm1's addresses" 0 "$n_leak"
dec=$(tshark -r "$PCAP" -o esp.enable_encryption_decode:TRUE \
	-o "uat:esp_sa:\"IPv4\",\"10.99.0.1\",\"10.99.0.2\",\"0x00001000\",\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x${KAB}0a0b0c0d\",\"NULL\",\"\"" \
	-Y "esp && geneve && icmp" -T fields -e geneve.vni -e ip.src 2>/dev/null | sort -u | tr '\n' ' ')
# VNI 5001 = 0x001389; ip.src: the outer, then the inner source
assert_match "A's ESP decrypts (test key) to vm1's GENEVE on VNI 5001" "0x001389.*10\.50\.0\.11" "$dec"
sa_pk=$(jget "$(rpcA sa.stats '{"vtep":"peer"}')" out.packets)
assert_ge "A's outbound SA counted vm1's packets" 5 "$sa_pk"

# vm2 on A (clear) -> vm1 on B (encrypted by tag): arrives clear, dropped
cr0=$(jget "$(rpcB overlay.stats)" drops.clear_refused)
ping_none "vm2 on A cannot reach vm1 on B in the clear" a2 10.50.0.21
cr1=$(jget "$(rpcB overlay.stats)" drops.clear_refused)
# the ARP requests for vm1 (broadcast, clear) already stop there
assert_ge "B counted them as clear_refused" 1 "$((cr1 - cr0))"
ping_check "vm2 on A still reaches vm2 on B" a2 10.50.0.22

# the tag leaves vm1 on B: clear traffic to it is delivered again
rpcB fw.port.set '{"port":"vm1","tags":[]}' >/dev/null
nsx a2 ip neigh flush to 10.50.0.21 # forget the failed resolution
ping_check "without the tag, vm2 on A reaches vm1 on B" a2 10.50.0.21
it_log "host A overlay: $(rpcA overlay.stats | tr -d ' \n' | head -c 600)"
it_log "host B overlay: $(rpcB overlay.stats | tr -d ' \n' | head -c 600)"
evs_stop A
evs_stop B
it_finish
