#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# lib/tunnel against the Linux kernel's VXLAN as the independent peer, over
# an IPv4 and an IPv6 underlay (this kernel has vxlan but no geneve: GENEVE
# is checked against tshark/scapy in the unit suite).
#
#   lx namespace                         ev namespace               vm4 / vm6
#   vx4 (VNI 100) 192.168.77.1 --+        vxlan-peer (lib/tunnel)
#   vx6 (VNI 200) 192.168.78.1 --+- L ==== E -- raw socket -- tap --- 192.168.77.2
#                  fd78::1        10.0.9.1   10.0.9.2            --- 192.168.78.2, fd78::2
#                                 fd09::1    fd09::2
#
# ARP, ND, ping (small and 1400-byte) and a 2 MB TCP transfer with its
# SHA-256 go from Linux's encapsulation through our decapsulation and back
# through our encapsulation into Linux's decapsulation. The peers' counters
# must show no checksum or format drops.
. "$(dirname "$0")/lib.sh"
it_init vxl
PEER=$BUILD/test/integration/vxlan-peer
[ -x "$PEER" ] || it_die "vxlan-peer not built: $PEER"

ns_add lx ev vm4 vm6 vm6z
L=$(ifname L) E=$(ifname E) T4=$(ifname t4) T6=$(ifname t6) T6Z=$(ifname t6z)
for n in lx ev vm4 vm6 vm6z; do
	nsx "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0
done
ip link add "$L" netns "$(nsname lx)" type veth peer name "$E" netns "$(nsname ev)" ||
	it_die "cannot create veth $L"
ip -n "$(nsname lx)" link set "$L" up
ip -n "$(nsname ev)" link set "$E" up
ip -n "$(nsname lx)" addr add 10.0.9.1/24 dev "$L"
ip -n "$(nsname ev)" addr add 10.0.9.2/24 dev "$E"
ip -n "$(nsname lx)" addr add fd09::1/64 dev "$L" nodad
ip -n "$(nsname ev)" addr add fd09::2/64 dev "$E" nodad
LMAC=$(ip -n "$(nsname lx)" -br link show dev "$L" | awk '{print $3}')
# veth leaves transmit checksums to an offload that never happens: make
# Linux fill its UDP checksums, as a NIC would, so that we can verify them.
it_require_cmd ethtool
nsx lx ethtool -K "$L" tx off >/dev/null || it_die "cannot turn off tx checksum offload"

# Linux's side: one vxlan device per underlay family.
nsx lx ip link add vx4 type vxlan id 100 dstport 4789 local 10.0.9.1 remote 10.0.9.2 dev "$L" ||
	it_skip "this kernel has no vxlan"
nsx lx ip link add vx6 type vxlan id 200 dstport 4789 local fd09::1 remote fd09::2 dev "$L" ||
	it_die "cannot create an IPv6 vxlan device"
# and one over IPv6 without UDP checksums both ways (RFC 6935/6936), on 4790
nsx lx ip link add vx6z type vxlan id 300 dstport 4790 local fd09::1 remote fd09::2 dev "$L" \
	udp6zerocsumtx udp6zerocsumrx || it_die "cannot create a zero-checksum IPv6 vxlan device"
nsx lx ip link set vx4 up
nsx lx ip link set vx6 up
nsx lx ip link set vx6z up
nsx lx ip addr add 192.168.79.1/24 dev vx6z
nsx lx ip addr add 192.168.77.1/24 dev vx4
nsx lx ip addr add 192.168.78.1/24 dev vx6
nsx lx ip addr add fd78::1/64 dev vx6 nodad

# Ours: lib/tunnel between the underlay and a tap per VNI. IPv4: with a UDP
# checksum (Linux verifies it); IPv6: always with one.
start_peer() { # VAR TAP VNI LOCAL REMOTE CSUM [PORT ZERO6]
	local __v=$1 out=$IT_TMP/peer-$2.out
	it_bg "$__v" ip netns exec "$(nsname ev)" "$PEER" "$E" "$2" "$3" "$4" "$5" "$LMAC" "$6" \
		${7:+"$7" "$8"} >"$out" 2>&1
	wait_until 10 grep -q ready "$out" || it_die "vxlan-peer $2 did not start: $(cat "$out")"
}
start_peer P4 "$T4" 100 10.0.9.2 10.0.9.1 1
start_peer P6 "$T6" 200 fd09::2 fd09::1 1
start_peer P6z "$T6Z" 300 fd09::2 fd09::1 1 4790 1
ip -n "$(nsname ev)" link set "$T6Z" netns "$(nsname vm6z)"
nsx vm6z ip link set "$T6Z" mtu 1430 up
nsx vm6z ip addr add 192.168.79.2/24 dev "$T6Z"
ip -n "$(nsname ev)" link set "$T4" netns "$(nsname vm4)"
ip -n "$(nsname ev)" link set "$T6" netns "$(nsname vm6)"
nsx vm4 ip link set "$T4" mtu 1450 up
nsx vm6 ip link set "$T6" mtu 1430 up
nsx vm4 ip addr add 192.168.77.2/24 dev "$T4"
nsx vm6 ip addr add 192.168.78.2/24 dev "$T6"
nsx vm6 ip addr add fd78::2/64 dev "$T6" nodad

ping_check "Linux vxlan -> lib/tunnel, IPv4 underlay: ARP and ping" lx 192.168.77.2
ping_check "1400-byte pings, IPv4 underlay" lx 192.168.77.2 -s 1400
ping_check "Linux vxlan -> lib/tunnel, IPv6 underlay: ARP and ping" lx 192.168.78.2
ping_check "IPv6 inside, IPv6 underlay: ND and ping6" lx fd78::2
ping_check "1380-byte pings, IPv6 underlay" lx 192.168.78.2 -s 1380

# Zero IPv6 UDP checksums both ways against Linux's udp6zerocsumtx/rx: pings
# cross, and tshark on the underlay sees every frame of 4790 with a zero
# checksum, from each side.
it_require_cmd tshark
it_bg CAP ip netns exec "$(nsname ev)" tshark -i "$E" -w "$IT_TMP/z6.pcap" -q -f "udp port 4790" \
	2>"$IT_TMP/z6.err"
wait_until 30 grep -q "Capturing on" "$IT_TMP/z6.err" ||
	it_fail "tshark did not start capturing: $(cat "$IT_TMP/z6.err")"
ping_check "zero-checksum IPv6 underlay: ARP and ping both ways" lx 192.168.79.2
ping_check "zero-checksum IPv6 underlay: 1380-byte pings" lx 192.168.79.2 -s 1380
sleep 0.5
kill "$CAP" 2>/dev/null
it_wait "$CAP"
for src in fd09::1 fd09::2; do
	n=$(tshark -r "$IT_TMP/z6.pcap" -Y "ipv6.src == $src && vxlan" 2>/dev/null | wc -l)
	assert_ge "zero-checksum IPv6 underlay: frames from $src" 4 "$n"
	assert_eq "every one from $src with a zero UDP checksum" "$n" \
		"$(tshark -r "$IT_TMP/z6.pcap" -Y "ipv6.src == $src && vxlan && udp.checksum == 0" 2>/dev/null | wc -l)"
done

# A TCP transfer from behind lib/tunnel to Linux, compared by SHA-256.
head -c 2000000 /dev/urandom >"$IT_TMP/blob"
it_bg RX nsx lx "$PY" "$IT_DIR/tcpxfer.py" recv 192.168.77.1 5001 "$IT_TMP/blob.rx" >"$IT_TMP/rx.out"
sleep 0.3
assert_ok "2 MB TCP from behind lib/tunnel to Linux" \
	nsx vm4 "$PY" "$IT_DIR/tcpxfer.py" send 192.168.77.1 5001 "$IT_TMP/blob"
it_wait "$RX" || it_fail "the receiver failed: $(cat "$IT_TMP/rx.out")"
assert_eq "the transfer's SHA-256" "$(sha256sum <"$IT_TMP/blob" | cut -d' ' -f1)" \
	"$(awk '{print $2}' "$IT_TMP/rx.out")"

# Counters: traffic both ways, and no checksum or header drop on our side.
for p in 4 6 6z; do
	v=P$p
	kill -TERM "${!v}"
	it_wait "${!v}"
	out=$(tail -n 1 "$IT_TMP/peer-$(ifname t$p).out")
	it_log "peer IPv$p: $out"
	dec=$(echo "$out" | awk '{print $4}')
	enc=$(echo "$out" | awk '{print $2}')
	assert_ge "IPv$p underlay: frames decapsulated" 10 "$dec"
	assert_ge "IPv$p underlay: frames encapsulated" 10 "$enc"
	for r in bad_csum zero_csum6 bad_outer bad_flags bad_inner too_big no_room; do
		assert_eq "IPv$p underlay: no $r drop" 0 \
			"$(echo "$out" | tr ' ' '\n' | grep -A1 -x "drop_$r" | tail -n 1)"
	done
done
it_finish
