#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Two edgevs hosts on one machine joined by a veth underlay (af_packet
# ports), a namespace on a tap of each, one logical switch spanning both
# over GENEVE (issue 13):
# - in the clear: ARP (broadcast, head-end replicated) and ping across hosts,
#   a TCP transfer compared by SHA-256;
# - encrypted (SAs on both, the switch's encrypt on): tshark on the underlay
#   sees only ESP, and decrypts it with the test keys to GENEVE with VNI 5001;
#   a captured packet with one bit flipped is an auth drop, the same packet
#   replayed a replay drop, both counted on the SA;
# - a rekey (in on both, then out on both) under a running transfer loses
#   nothing: the transfer completes with the right SHA-256 and no packet is
#   dropped for an unknown SPI or a failed decrypt;
# - a DF ping too big for the encrypted tunnel is answered with ICMP
#   "fragmentation needed" carrying the tunnel's inner MTU.
set -o pipefail
. "$(dirname "$0")/lib.sh"
it_init ovl
it_require_cmd tshark sha256sum

# shellcheck source=overlay_pair.sh
. "$IT_DIR/overlay_pair.sh"
ovl_pair 1700
IP_A=10.50.0.1
IP_B=10.50.0.2

# host HOST UPLINK LOCAL REMOTE MYMAC PEERMAC TAP (PEERMAC "": resolved with ARP)
host() {
	local nh=""
	[ -n "$6" ] && nh=",\"next_hop_mac\":\"$6\""
	RPC_SOCK=$(eval echo "\$EVS_SOCK_$1") rpc_ok transact "{\"ops\":[
	{\"method\":\"switch.add\",\"params\":{\"name\":\"web\"}},
	{\"method\":\"port.add\",\"params\":{\"name\":\"up0\",\"devargs\":\"net_af_packet$1,iface=$2\"}},
	{\"method\":\"port.add\",\"params\":{\"name\":\"vm\",\"devargs\":\"net_tap$1,iface=$7\",\"switch\":\"web\"}},
	{\"method\":\"underlay.add\",\"params\":{\"name\":\"u1\",\"port\":\"up0\",\"address\":\"$3\",\"mac\":\"$5\"$nh,\"mtu\":1600}},
	{\"method\":\"vtep.add\",\"params\":{\"name\":\"peer\",\"underlay\":\"u1\",\"address\":\"$4\"}},
	{\"method\":\"tunnel.add\",\"params\":{\"switch\":\"web\",\"vni\":5001}}]}" >/dev/null
}
host A "$UA" 10.99.0.1 10.99.0.2 "$MAC_UA" "" "$(ifname a)"
host B "$UB" 10.99.0.2 10.99.0.1 "$MAC_UB" "$MAC_UA" "$(ifname b)"
link_to_ns "$(ifname a)" a "$IP_A/24"
link_to_ns "$(ifname b)" b "$IP_B/24"

# --- in the clear -----------------------------------------------------------------
ping_check "ping across hosts over GENEVE (ARP broadcast replicated, reply learned)" a "$IP_B"
# host A has no next-hop MAC configured: it asked B's VTEP address with ARP
n=$(rpcA underlay.neighbours)
assert_eq "host A resolved B's VTEP over the underlay (ARP)" "10.99.0.2 ${MAC_UB^^}" \
	"$(jget "$n" neighbours.0.address) $(jget "$n" neighbours.0.mac)"
assert_match "and uses it" "reachable|stale" "$(jget "$n" neighbours.0.state)"
assert_ge "host A held frames until then and sent them on" 1 "$(jget "$n" released)"
# B's announcement may have resolved A's entry before A asked: ask B here
# (a host 10.99.0.9 on the underlay) so that B's answer is tested every time
"$PY" - "$UA" <<'EOF' || it_fail "could not send an ARP request to B"
import sys
from scapy.all import ARP, Ether, sendp
mac = "02:00:00:00:99:09"
sendp(Ether(dst="ff:ff:ff:ff:ff:ff", src=mac) / ARP(op=1, hwsrc=mac, psrc="10.99.0.9", pdst="10.99.0.2"),
      iface=sys.argv[1], verbose=False)
EOF
for _ in $(seq 50); do
	[ "$(jget "$(rpcB underlay.neighbours)" answered)" -ge 1 ] && break
	sleep 0.1
done
assert_ge "host B answered the request for its VTEP address" 1 "$(jget "$(rpcB underlay.neighbours)" answered)"
assert_ge "host A tunnelled packets out" 2 "$(jget "$(rpcA overlay.stats)" tx_packets)"
assert_ge "host B delivered packets in" 2 "$(jget "$(rpcB overlay.stats)" rx_packets)"
xfer clear 4

# --- encrypted ---------------------------------------------------------------------
KAB=000102030405060708090a0b0c0d0e0f # A -> B
KBA=f0e0d0c0b0a090807060504030201000 # B -> A
SALT=0a0b0c0d
sa() { # sa HOST DIR SPI KEY
	RPC_SOCK=$(eval echo "\$EVS_SOCK_$1") rpc_ok sa.add \
		"{\"vtep\":\"peer\",\"dir\":\"$2\",\"spi\":$3,\"key\":\"$4\",\"salt\":\"$SALT\"}" >/dev/null
}
sa A out 4096 $KAB
sa B in 4096 $KAB
sa B out 8192 $KBA
sa A in 8192 $KBA
rpcA tunnel.set '{"switch":"web","vni":5001,"encrypt":true}' >/dev/null
rpcB tunnel.set '{"switch":"web","vni":5001,"encrypt":true}' >/dev/null
PCAP=$IT_TMP/underlay.pcap
# each side sees what it receives (af_packet transmits bypass the capture)
it_bg cap tshark -i "$UA" -i "$UB" -w "$PCAP" -q 2>"$IT_TMP/cap.err"
# tshark takes seconds to start on a loaded machine: wait until it captures
wait_until 30 grep -q "Capturing on" "$IT_TMP/cap.err" ||
	it_fail "tshark did not start capturing: $(cat "$IT_TMP/cap.err")"
sleep 0.5
ping_check "ping across hosts, encrypted" a "$IP_B"
sleep 1
kill "$cap" 2>/dev/null
it_wait "$cap"
n_all=$(tshark -r "$PCAP" 2>/dev/null | wc -l)
n_esp=$(tshark -r "$PCAP" -Y esp 2>/dev/null | wc -l)
assert_ge "the underlay carried the ping" 4 "$n_all"
assert_eq "the underlay carries only ESP" "$n_all" "$n_esp"
dec=$(tshark -r "$PCAP" -o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE \
	-o "uat:esp_sa:\"IPv4\",\"10.99.0.1\",\"10.99.0.2\",\"0x00001000\",\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x$KAB$SALT\",\"NULL\",\"\"" \
	-o "uat:esp_sa:\"IPv4\",\"10.99.0.2\",\"10.99.0.1\",\"0x00002000\",\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x$KBA$SALT\",\"NULL\",\"\"" \
	-Y "geneve.vni == 5001 && icmp" -T fields -e esp.spi 2>/dev/null | sort -u | tr '\n' ' ')
assert_eq "tshark decrypts both directions with the test keys to GENEVE VNI 5001 + ICMP" \
	"0x00001000 0x00002000 " "$dec"
assert_eq "host B decrypted (no decrypt drops)" 0 "$(jget "$(rpcB overlay.stats)" drops.decrypt)"
MAC_VB=$(ip -n "$(nsname b)" -br link show "$(ifname b)" | awk '{print $3}')
t=$(rpcA flow.trace "{\"in_port\":\"vm\",\"dst_mac\":\"$MAC_VB\",\"src_mac\":\"02:00:00:00:0a:01\"}")
assert_match "flow.trace: b's MAC goes to the tunnel port, GENEVE VNI 5001, ESP with its SA" \
	'vtep peer geneve vni 5001 esp spi 0x00001000' "$(jget "$t" actions)"

# a flipped bit, then a replay, of a captured A -> B packet, sent into B's underlay
"$PY" - "$PCAP" "$UA" <<'EOF' || it_fail "could not re-inject a captured ESP packet"
import sys
from scapy.all import rdpcap, sendp, IP
pkts = [p for p in rdpcap(sys.argv[1]) if IP in p and p[IP].proto == 50 and p[IP].dst == "10.99.0.2"]
good = bytes(pkts[0])
bad = bytearray(good)
# a new sequence number (it is in the AAD): past the replay check, fails the ICV
bad[14 + 20 + 4] ^= 0x40
sendp(bytes(bad), iface=sys.argv[2], verbose=False)
sendp(good, iface=sys.argv[2], verbose=False)
EOF
sleep 1
s=$(rpcB sa.stats '{"vtep":"peer"}')
assert_eq "a flipped bit is an auth failure, counted on the SA" 1 "$(jget "$s" in.drops.auth)"
assert_eq "a replayed packet is a replay drop, counted on the SA" 1 "$(jget "$s" in.drops.replay)"
# flow.trace from the underlay port: the captured packet (replayed by now),
# and the same inner frame sealed anew with the test key under a sequence
# number B has not seen: decrypted, decapsulated, the inner pass; the SA's
# counters and window untouched
"$PY" - "$PCAP" "$KAB" "$SALT" >"$IT_TMP/trace.hex" <<'EOF' || it_fail "could not build the trace packets"
import struct, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from scapy.all import IP, rdpcap
pkts = [p for p in rdpcap(sys.argv[1]) if IP in p and p[IP].proto == 50 and p[IP].dst == "10.99.0.2"]
good = bytes(pkts[0])
esp = 14 + 20
spi, seq = good[esp:esp + 4], struct.unpack("!I", good[esp + 4:esp + 8])[0]
key, salt = bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3])
pt = AESGCM(key).decrypt(salt + good[esp + 8:esp + 16], good[esp + 16:], spi + good[esp + 4:esp + 8])
new = seq + 100  # ahead of the window's top: new to B
hdr = spi + struct.pack("!I", new)
fresh = good[:esp] + hdr + struct.pack("!Q", new) + AESGCM(key).encrypt(salt + struct.pack("!Q", new), pt, hdr)
print(good.hex(), fresh.hex(), new)
EOF
read -r old_hex fresh_hex fresh_seq <"$IT_TMP/trace.hex"
t=$(rpcB flow.trace "{\"in_port\":\"up0\",\"packet\":\"$old_hex\"}")
assert_match "flow.trace from the underlay: the captured ESP packet is a replay now" \
	'^drop: decrypt \(spi 0x00001000 seq [0-9]+: replay\)$' "$(jget "$t" underlay.0.decision)"
before_in=$(jget "$(rpcB sa.stats '{"vtep":"peer"}')" in.packets)
t=$(rpcB flow.trace "{\"in_port\":\"up0\",\"packet\":\"$fresh_hex\"}")
assert_match "flow.trace from the underlay: decrypted with B's SA (ICV, window)" \
	"^esp spi 0x00001000 of vtep peer, seq $fresh_seq: ICV good, in the replay window" \
	"$(jget "$t" underlay.0.decision)"
assert_match "then decapsulated" "^geneve vni 5001 from 10\.99\.0\.1 to 10\.99\.0\.2" \
	"$(jget "$t" underlay.1.decision)"
assert_match "into the tunnel port" "^in_port vtep peer geneve vni 5001" "$(jget "$t" underlay.2.decision)"
assert_match "and the inner frame's pass: its key has the VNI" "tun_vni=5001" "$(jget "$t" key)"
assert_eq "the trace counted nothing on the SA" "$before_in 1 1" \
	"$(s=$(rpcB sa.stats '{"vtep":"peer"}'); echo "$(jget "$s" in.packets) $(jget "$s" in.drops.auth) $(jget "$s" in.drops.replay)")"
xfer encrypted 4

# --- rekey under a running transfer ---------------------------------------------
# (the injected frames also reached host A's af_packet socket as outgoing
# ones: counters are compared from here)
declare -A before
for h in A B; do
	st=$(RPC_SOCK=$(eval echo "\$EVS_SOCK_$h") rpc_ok overlay.stats)
	before[$h]="$(jget "$st" drops.unknown_spi) $(jget "$st" drops.decrypt) $(jget "$st" drops.no_sa)"
done
src=$IT_TMP/rekey.src
head -c $((128 << 20)) /dev/urandom >"$src"
want=$(sha256sum "$src" | cut -d' ' -f1)
it_bg rpid nsx b timeout 90 "$PY" "$IT_DIR/tcpxfer.py" recv "$IP_B" 5002 "$IT_TMP/rekey.dst" >"$IT_TMP/rekey.out" 2>&1
it_bg spid nsx a timeout 90 "$PY" "$IT_DIR/tcpxfer.py" send "$IP_B" 5002 "$src" $((24 << 20)) # >= 5 s: the rekey happens inside it
sleep 0.5
K2AB=101112131415161718191a1b1c1d1e1f
K2BA=202122232425262728292a2b2c2d2e2f
rpcA sa.rekey "{\"vtep\":\"peer\",\"in\":{\"spi\":8193,\"key\":\"$K2BA\",\"salt\":\"$SALT\"}}" >/dev/null
rpcB sa.rekey "{\"vtep\":\"peer\",\"in\":{\"spi\":4097,\"key\":\"$K2AB\",\"salt\":\"$SALT\"}}" >/dev/null
rpcA sa.rekey "{\"vtep\":\"peer\",\"out\":{\"spi\":4097,\"key\":\"$K2AB\",\"salt\":\"$SALT\"}}" >/dev/null
rpcB sa.rekey "{\"vtep\":\"peer\",\"out\":{\"spi\":8193,\"key\":\"$K2BA\",\"salt\":\"$SALT\"}}" >/dev/null
assert_ok "the transfer was still running when the rekey ended" kill -0 "$spid"
it_wait "$spid"
it_wait "$rpid"
assert_eq "a transfer across a rekey arrives whole (SHA-256)" "$((128 << 20)) $want" \
	"$(cat "$IT_TMP/rekey.out")"
s=$(rpcB sa.stats '{"vtep":"peer"}')
assert_eq "host B now receives with the new SA" 4097 "$(jget "$s" in.spi)"
assert_ge "the new SA carried part of the transfer" 1 "$(jget "$s" in.packets)"
assert_ge "the old SA, draining, carried part of it" 1 "$(jget "$s" draining.0.packets)"
for h in A B; do
	st=$(RPC_SOCK=$(eval echo "\$EVS_SOCK_$h") rpc_ok overlay.stats)
	assert_eq "host $h: no packet lost in the rekey (unknown SPI, decrypt, no SA)" \
		"${before[$h]}" "$(jget "$st" drops.unknown_spi) $(jget "$st" drops.decrypt) $(jget "$st" drops.no_sa)"
done

# --- too big for the tunnel ---------------------------------------------------------
# host A's underlay MTU down to 1500: the encrypted tunnel's inner MTU is that
# less outer IPv4/UDP/GENEVE (36), inner Ethernet (14) and ESP's most (45);
# a DF ping over it is answered "frag needed" from b's address
rpcA underlay.set '{"name":"u1","mtu":1500}' >/dev/null
out=$(nsx a ping -c 1 -W 2 -M do -s 1450 "$IP_B" 2>&1)
assert_match "a DF packet too big for the tunnel gets ICMP frag needed with the tunnel's MTU" \
	"(From $IP_B icmp_seq=1 Frag needed and DF set \(mtu = 1405\)|mtu=1405)" "$out"
assert_ge "host A counted the ICMP it sent" 1 "$(jget "$(rpcA overlay.stats)" too_big_icmp)"
# 40 at once (DF whatever the path MTU: IP_PMTUDISC_PROBE): the tunnel port
# answers a burst of 10 and then 100 a second; the rest are dropped and counted
s0=$(rpcA overlay.stats)
nsx a "$PY" -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 10, 3)  # IP_MTU_DISCOVER: IP_PMTUDISC_PROBE
for _ in range(40):
    s.sendto(b"x" * 1450, (sys.argv[1], 9))' "$IP_B"
sleep 0.5
s1=$(rpcA overlay.stats)
icmp=$(($(jget "$s1" too_big_icmp) - $(jget "$s0" too_big_icmp)))
limited=$(($(jget "$s1" too_big_limited) - $(jget "$s0" too_big_limited)))
assert_eq "every too-big frame answered or limited" 40 $((icmp + limited))
assert_ge "too-big ICMP is rate-limited per tunnel port" 20 "$limited"
ping_check "a ping that fits still crosses" a "$IP_B"
evs_stop A
evs_stop B
it_finish
