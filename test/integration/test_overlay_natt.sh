#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# ESP-in-UDP (RFC 3948) and tunnel mode between two edgevs daemons (issue
# 13), test_overlay.sh's set-up: a veth underlay (af_packet ports), a
# namespace on a tap of each host, one logical switch over GENEVE, encrypted.
# 1. IPv4 underlay, transport mode in UDP 4500: ping and a TCP transfer
#    (SHA-256); tshark sees only udpencap + ESP from and to 4500, and
#    decrypts both directions with the test keys to GENEVE VNI 5001; a
#    NAT-keepalive and an IKE packet (non-ESP marker) sent to host B are
#    counted drops (keepalive, non_esp), nothing else.
# 2. Tunnel mode in UDP on configured ports (4600 <-> 4700), both hosts:
#    tshark decrypts to an inner IPv4 header from the same addresses, then
#    GENEVE; ping and a transfer.
# 3. The same over an IPv6 underlay (addresses changed under the SAs: the
#    outer header follows); then host A sends zero UDP checksums
#    (vtep.udp_zero_csum6_tx), read by tshark and scapy, taken by B.
# 4. NAT-keepalives sent by host A once its SA asks (one a second): tshark
#    and scapy read them, host B counts them.
set -o pipefail
. "$(dirname "$0")/lib.sh"
it_init ont
it_require_cmd tshark sha256sum

# shellcheck source=overlay_pair.sh
. "$IT_DIR/overlay_pair.sh"
ovl_pair 1800
IP_A=10.50.0.1
IP_B=10.50.0.2
KAB=000102030405060708090a0b0c0d0e0f # A -> B
KBA=f0e0d0c0b0a090807060504030201000 # B -> A
SALT=0a0b0c0d

# host HOST UPLINK LOCAL REMOTE MYMAC PEERMAC TAP SA-EXTRA-OUT SA-EXTRA-IN
host() {
	local nh=""
	[ -n "$6" ] && nh=",\"next_hop_mac\":\"$6\""
	RPC_SOCK=$(eval echo "\$EVS_SOCK_$1") rpc_ok transact "{\"ops\":[
	{\"method\":\"switch.add\",\"params\":{\"name\":\"web\"}},
	{\"method\":\"port.add\",\"params\":{\"name\":\"up0\",\"devargs\":\"net_af_packet$1,iface=$2\"}},
	{\"method\":\"port.add\",\"params\":{\"name\":\"vm\",\"devargs\":\"net_tap$1,iface=$7\",\"switch\":\"web\"}},
	{\"method\":\"underlay.add\",\"params\":{\"name\":\"u1\",\"port\":\"up0\",\"address\":\"$3\",\"mac\":\"$5\"$nh,\"mtu\":1700}},
	{\"method\":\"vtep.add\",\"params\":{\"name\":\"peer\",\"underlay\":\"u1\",\"address\":\"$4\"}},
	{\"method\":\"tunnel.add\",\"params\":{\"switch\":\"web\",\"vni\":5001,\"encrypt\":true}},
	{\"method\":\"sa.add\",\"params\":{\"vtep\":\"peer\",\"dir\":\"out\",$8,\"udp_encap\":true}},
	{\"method\":\"sa.add\",\"params\":{\"vtep\":\"peer\",\"dir\":\"in\",$9,\"udp_encap\":true}}]}" >/dev/null
}
SA_AB="\"spi\":4096,\"key\":\"$KAB\",\"salt\":\"$SALT\""
SA_BA="\"spi\":8192,\"key\":\"$KBA\",\"salt\":\"$SALT\""
host A "$UA" 10.99.0.1 10.99.0.2 "$MAC_UA" "" "$(ifname a)" "$SA_AB" "$SA_BA"
host B "$UB" 10.99.0.2 10.99.0.1 "$MAC_UB" "$MAC_UA" "$(ifname b)" "$SA_BA" "$SA_AB"
link_to_ns "$(ifname a)" a "$IP_A/24"
link_to_ns "$(ifname b)" b "$IP_B/24"

# capture TAG: a ping from a to b with tshark on both veth ends -> $IT_TMP/TAG.pcap
capture() {
	local cap
	it_bg cap tshark -i "$UA" -i "$UB" -w "$IT_TMP/$1.pcap" -q 2>"$IT_TMP/$1.err"
	wait_until 30 grep -q "Capturing on" "$IT_TMP/$1.err" ||
		it_fail "tshark did not start capturing: $(cat "$IT_TMP/$1.err")"
	sleep 0.5
	ping_check "$1: ping across hosts" a "$IP_B"
	sleep 1
	kill "$cap" 2>/dev/null
	it_wait "$cap"
}
# decrypt PCAP FAMILY A B SPORTS FILTER FIELDS...: tshark with the test keys
decrypt() {
	local pcap=$1 fam=$2 a=$3 b=$4 ports=$5 filter=$6
	shift 6
	local d=()
	for p in $ports; do d+=(-d "udp.port==$p,udpencap"); done
	tshark -r "$pcap" "${d[@]}" -o esp.enable_encryption_decode:TRUE \
		-o esp.enable_authentication_check:TRUE \
		-o "uat:esp_sa:\"$fam\",\"$a\",\"$b\",\"0x00001000\",\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x$KAB$SALT\",\"NULL\",\"\"" \
		-o "uat:esp_sa:\"$fam\",\"$b\",\"$a\",\"0x00002000\",\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x$KBA$SALT\",\"NULL\",\"\"" \
		-Y "$filter" -T fields -E occurrence=a "$@" 2>/dev/null
}

# --- 1. IPv4, transport mode in UDP 4500 ------------------------------------------
capture udp4
# (ARP resolves B's VTEP first: IP frames only)
n_all=$(tshark -r "$IT_TMP/udp4.pcap" -Y ip 2>/dev/null | wc -l)
assert_ge "the underlay carried the ping" 4 "$n_all"
assert_eq "the underlay carries only ESP in UDP 4500 -> 4500" "$n_all" \
	"$(tshark -r "$IT_TMP/udp4.pcap" -Y 'udpencap && esp && udp.srcport == 4500 && udp.dstport == 4500' 2>/dev/null | wc -l)"
assert_eq "IPv4 ESP-in-UDP carries a zero UDP checksum (RFC 3948 2.1)" "$n_all" \
	"$(tshark -r "$IT_TMP/udp4.pcap" -Y 'udp.checksum == 0' 2>/dev/null | wc -l)"
assert_eq "tshark decrypts both directions to GENEVE VNI 5001 + ICMP" "0x00001000 0x00002000 " \
	"$(decrypt "$IT_TMP/udp4.pcap" IPv4 10.99.0.1 10.99.0.2 "" "geneve.vni == 5001 && icmp" -e esp.spi | sort -u | tr '\n' ' ')"
xfer udp4 4
s=$(rpcB sa.stats '{"vtep":"peer"}')
assert_ge "host B's inbound SA verified the transfer" 1000 "$(jget "$s" in.packets)"
assert_eq "its peer sends from 4500 (no NAT): the port B answers to" "4500 4500" \
	"$(jget "$s" in.udp_peer_port) $(jget "$s" out.udp_dport_now)"
g=$(rpcB sa.get '{"vtep":"peer","dir":"out"}')
assert_eq "sa.get shows the outbound SA as written and the port it sends to now" \
	"8192 true 4500" "$(jget "$g" spi) $(jget "$g" udp_encap) $(jget "$g" udp_dport_now)"
before=$(rpcB overlay.stats)
"$PY" - "$UA" "$MAC_UA" "$MAC_UB" <<'EOF' || it_fail "could not send the keepalive and IKE packets"
import sys
from scapy.all import IP, UDP, Ether, Raw, sendp
e = Ether(src=sys.argv[2], dst=sys.argv[3]) / IP(src="10.99.0.1", dst="10.99.0.2") / UDP(sport=4500, dport=4500)
sendp(e / Raw(b"\xff"), iface=sys.argv[1], verbose=False)              # NAT-keepalive
sendp(e / Raw(b"\x00" * 4 + b"\x11" * 28), iface=sys.argv[1], verbose=False)  # non-ESP marker: IKE
EOF
for _ in $(seq 30); do
	[ "$(jget "$(rpcB overlay.stats)" drops.non_esp)" -ge 1 ] && break
	sleep 0.1
done
after=$(rpcB overlay.stats)
assert_eq "host B: a NAT-keepalive is a counted drop (keepalive)" 1 \
	$(($(jget "$after" drops.keepalive) - $(jget "$before" drops.keepalive)))
assert_eq "host B: an IKE packet (non-ESP marker) is a counted drop (non_esp)" 1 \
	$(($(jget "$after" drops.non_esp) - $(jget "$before" drops.non_esp)))
assert_eq "neither reached an SA or the decap (unknown_spi, decrypt, tunnel)" \
	"$(jget "$before" drops.unknown_spi) $(jget "$before" drops.decrypt) $(jget "$before" drops.tunnel)" \
	"$(jget "$after" drops.unknown_spi) $(jget "$after" drops.decrypt) $(jget "$after" drops.tunnel)"

# --- 2. tunnel mode in UDP on configured ports -----------------------------------
mode() { # mode HOST SPORT DPORT: both SAs of the peer in tunnel mode, in UDP
	RPC_SOCK=$(eval echo "\$EVS_SOCK_$1") rpc_ok transact "{\"ops\":[
	{\"method\":\"sa.set\",\"params\":{\"vtep\":\"peer\",\"dir\":\"out\",\"mode\":\"tunnel\",\"udp_sport\":$2,\"udp_dport\":$3}},
	{\"method\":\"sa.set\",\"params\":{\"vtep\":\"peer\",\"dir\":\"in\",\"mode\":\"tunnel\",\"udp_dport\":$2}}]}" >/dev/null
}
err=$(RPC_SOCK=$EVS_SOCK_A rpc sa.set '{"vtep":"peer","dir":"out","mode":"tunnel"}')
assert_match "one SA of a peer in tunnel mode, the other in transport: refused" \
	"inbound SA is in transport mode" "$err"
mode A 4600 4700
mode B 4700 4600
capture tun4
n_all=$(tshark -r "$IT_TMP/tun4.pcap" -Y ip 2>/dev/null | wc -l)
assert_eq "tunnel mode: only ESP in UDP between 4600 and 4700" "$n_all" \
	"$(tshark -r "$IT_TMP/tun4.pcap" -Y '(udp.srcport == 4600 && udp.dstport == 4700) || (udp.srcport == 4700 && udp.dstport == 4600)' 2>/dev/null | wc -l)"
assert_eq "tshark decrypts it to an inner IPv4 header between the same hosts, then GENEVE 5001" \
	"10.99.0.1,10.99.0.1,10.50.0.1 10.99.0.2,10.99.0.2,10.50.0.2 " \
	"$(decrypt "$IT_TMP/tun4.pcap" IPv4 10.99.0.1 10.99.0.2 "4600 4700" "geneve.vni == 5001 && icmp" -e ip.src | sort -u | tr '\n' ' ')"
xfer tun4 4

# --- 3. IPv6 underlay ------------------------------------------------------------
v6() { # v6 HOST LOCAL REMOTE
	RPC_SOCK=$(eval echo "\$EVS_SOCK_$1") rpc_ok transact "{\"ops\":[
	{\"method\":\"underlay.set\",\"params\":{\"name\":\"u1\",\"address\":\"$2\"}},
	{\"method\":\"vtep.set\",\"params\":{\"name\":\"peer\",\"address\":\"$3\"}}]}" >/dev/null
}
v6 A fd99::1 fd99::2
v6 B fd99::2 fd99::1
capture tun6
n_all=$(tshark -r "$IT_TMP/tun6.pcap" -Y 'ipv6 && udp' 2>/dev/null | wc -l)
assert_ge "IPv6 underlay: the ping crossed it" 4 "$n_all"
assert_eq "IPv6 underlay: ESP in UDP with a UDP checksum that verifies (RFC 8200)" "$n_all" \
	"$(tshark -r "$IT_TMP/tun6.pcap" -o udp.check_checksum:TRUE -Y 'udp.checksum.status == 1' 2>/dev/null | wc -l)"
assert_eq "tshark decrypts it to an inner IPv6 header between the same hosts, then GENEVE 5001" \
	"fd99::1,fd99::1/10.50.0.1 fd99::2,fd99::2/10.50.0.2 " \
	"$(decrypt "$IT_TMP/tun6.pcap" IPv6 fd99::1 fd99::2 "4600 4700" "geneve.vni == 5001 && icmp" -e ipv6.src -e ip.src | tr '\t' '/' | sort -u | tr '\n' ' ')"
xfer tun6 4
# zero UDP checksums over IPv6 (RFC 6935/6936): A's VTEP says
# udp_zero_csum6_tx, so its ESP in UDP carries zero (and the GENEVE inside,
# which B takes with udp_zero_csum6_rx); B's are still computed; tshark
# decrypts A's, scapy reads the outer checksums.
rpcA vtep.set '{"name":"peer","udp_zero_csum6_tx":true}' >/dev/null
rpcB underlay.set '{"name":"u1","udp_zero_csum6_rx":true}' >/dev/null
capture zero6
n_a=$(tshark -r "$IT_TMP/zero6.pcap" -Y 'ipv6.src == fd99::1 && udp.srcport == 4600' 2>/dev/null | wc -l)
n_b=$(tshark -r "$IT_TMP/zero6.pcap" -Y 'ipv6.src == fd99::2 && udp.srcport == 4700' 2>/dev/null | wc -l)
assert_ge "zero checksums: the ping crossed both ways (frames each way)" 2 $((n_a < n_b ? n_a : n_b))
assert_eq "A's ESP in UDP over IPv6 carries a zero UDP checksum, B's one that verifies" "$n_a $n_b" \
	"$(tshark -r "$IT_TMP/zero6.pcap" -Y 'ipv6.src == fd99::1 && udp.srcport == 4600 && udp.checksum == 0' 2>/dev/null | wc -l) $(tshark -r "$IT_TMP/zero6.pcap" -o udp.check_checksum:TRUE -Y 'ipv6.src == fd99::2 && udp.srcport == 4700 && udp.checksum.status == 1' 2>/dev/null | wc -l)"
assert_eq "tshark decrypts A's zero-checksum ESP in UDP to GENEVE 5001" "0x00001000 " \
	"$(decrypt "$IT_TMP/zero6.pcap" IPv6 fd99::1 fd99::2 "4600 4700" "ipv6.src == fd99::1 && geneve.vni == 5001 && icmp" -e esp.spi | sort -u | tr '\n' ' ')"
"$PY" - "$IT_TMP/zero6.pcap" <<'EOF2' || it_fail "scapy: A's outer UDP checksums are not zero, or B's not right"
import sys
from scapy.all import IPv6, UDP, Ether, rdpcap
seen = {4600: 0, 4700: 0}
for p in rdpcap(sys.argv[1]):
    if IPv6 not in p or UDP not in p or p[UDP].sport not in seen:
        continue
    seen[p[UDP].sport] += 1
    if p[UDP].sport == 4600:
        assert p[UDP].chksum == 0, p
    else:
        q = p.copy()
        del q[UDP].chksum
        assert Ether(bytes(q))[UDP].chksum == p[UDP].chksum != 0, p
assert seen[4600] and seen[4700], seen
EOF2
xfer zero6 1
# --- 4. NAT-keepalives sent (RFC 3948 2.3), over the IPv6 underlay --------------
# host A's outbound SA asks for one a second; tshark on B's end reads each as
# a NAT-keepalive from 4600 to B's receive port 4700 with a good checksum,
# scapy as one 0xFF byte; B counts them as keepalive drops.
kb=$(rpcB overlay.stats)
it_bg cap tshark -i "$UB" -w "$IT_TMP/ka.pcap" -q -f "udp and ip6" 2>"$IT_TMP/ka.err"
wait_until 30 grep -q "Capturing on" "$IT_TMP/ka.err" ||
	it_fail "tshark did not start capturing: $(cat "$IT_TMP/ka.err")"
rpcA sa.set '{"vtep":"peer","dir":"out","keepalive":1}' >/dev/null
sleep 3.5
kill "$cap" 2>/dev/null
it_wait "$cap"
n_udp=$(tshark -r "$IT_TMP/ka.pcap" -Y 'udp.length == 9' 2>/dev/null | wc -l)
assert_ge "host A sent a keepalive a second" 2 "$n_udp"
assert_eq "tshark reads each as a NAT-keepalive fd99::1:4600 -> fd99::2:4700, checksum good" \
	"$n_udp" "$(tshark -r "$IT_TMP/ka.pcap" -d udp.port==4700,udpencap -o udp.check_checksum:TRUE \
		-Y 'udpencap.nat_keepalive && ipv6.src == fd99::1 && ipv6.dst == fd99::2 && udp.srcport == 4600 && udp.dstport == 4700 && udp.checksum.status == 1 && ipv6.hlim == 64' 2>/dev/null | wc -l)"
"$PY" - "$IT_TMP/ka.pcap" <<'EOF' || it_fail "scapy: the keepalives are not one 0xFF byte with the checksum it computes"
import sys
from scapy.all import UDP, Ether, rdpcap
ka = [p for p in rdpcap(sys.argv[1]) if UDP in p and p[UDP].len == 9]
assert ka
for p in ka:
    assert bytes(p[UDP].payload) == b"\xff", p
    q = p.copy()
    del q[UDP].chksum
    assert Ether(bytes(q))[UDP].chksum == p[UDP].chksum, p
EOF
ka=$(rpcA sa.stats '{"vtep":"peer"}')
assert_ge "host A's sa.stats counts them" "$n_udp" "$(jget "$ka" nat.keepalives_sent)"
assert_eq "none left unsent" 0 "$(jget "$ka" nat.keepalives_unsent)"
assert_ge "host B counted them as keepalive drops" "$n_udp" \
	$(($(jget "$(rpcB overlay.stats)" drops.keepalive) - $(jget "$kb" drops.keepalive)))

for h in A B; do
	st=$(RPC_SOCK=$(eval echo "\$EVS_SOCK_$h") rpc_ok overlay.stats)
	assert_eq "host $h: no encrypt, decrypt or unknown-SPI drops" "0 0 0" \
		"$(jget "$st" drops.encrypt) $(jget "$st" drops.decrypt) $(jget "$st" drops.unknown_spi)"
done
evs_stop A
evs_stop B
it_finish
