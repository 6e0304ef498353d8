#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The Linux kernel as the independent overlay peer (issue 13): a QEMU guest
# (Debian kernel) on an edgevs vhost-user port that is edgevs's underlay. The
# guest has a geneve device (VNI 5001) and ip xfrm transport-mode SAs with
# rfc4106(gcm(aes)) on the tunnel's UDP; edgevs has the same switch over
# GENEVE with ESP, a namespace on a tap port:
#
#   ns a --tap-- [ edgevs: switch web, tunnel vni 5001, ESP ] --vhost-user-- guest
#                                                      (eth0 underlay, gnv0 + xfrm)
#
# Ping both ways through the encrypted tunnel; the guest's xfrm states and
# edgevs's SAs count the packets; a wrong key on one side is an auth drop.
# Then, in the same boot, tunnel-mode SAs inside UDP 4500 with ESN on both
# sides: ping and a 1 MiB TCP transfer each way (SHA-256); and a vxlan
# device in the guest against a VXLAN VTEP of edgevs (clear), ping both ways.
# Last, an IPv6 underlay: a geneve device over IPv6 in the guest (VNI 7001)
# against a second underlay of edgevs on the same port (fd00:99::1, its
# neighbours resolved by ND both ways); a capture in the guest (tshark on
# the host reads it) checks the outer IPv6 + UDP + GENEVE layout; ping both
# ways clear, then rfc4106 transport-mode SAs over IPv6: ping and a TCP
# transfer each way (SHA-256); then the same SAs in UDP 4500 with edgevs
# sending zero UDP checksums (vtep.udp_zero_csum6_tx, RFC 6935/6936): the
# kernel takes them on a socket with UDP_NO_CHECK6_RX, the guest's capture
# shows the zeros, both SAs count the ping.
set -o pipefail
: "${IT_TIMEOUT:=420}"
export IT_TIMEOUT
. "$(dirname "$0")/lib.sh"
it_init ovx
it_require_cmd qemu-system-x86_64
# shellcheck source=guest/guest.sh
. "$IT_DIR/guest/guest.sh"
guest_init --no-trap --dir "$IT_TMP/guests" || it_die "guest tooling: cannot build or find the guest kernel/initramfs"
trap '_rc=$?; guest_cleanup; (exit $_rc); it_cleanup' EXIT
it_log "accelerator $GUEST_ACCEL_USED"

SOCK=$IT_TMP/underlay.sock
EVS_U_MAC=02:99:00:00:00:01
G_MAC=52:54:00:00:99:02
KOUT=000102030405060708090a0b0c0d0e0f # edgevs -> Linux, SPI 0x1000
KIN=f0e0d0c0b0a090807060504030201000  # Linux -> edgevs, SPI 0x2000
SALT=0a0b0c0d

ns_add a b c
evs_start d -
rpc_ok transact "{\"ops\":[
	{\"method\":\"switch.add\",\"params\":{\"name\":\"web\"}},
	{\"method\":\"port.add\",\"params\":{\"name\":\"vm\",\"devargs\":\"net_tapX,iface=$(ifname a)\",\"switch\":\"web\"}},
	{\"method\":\"port.add\",\"params\":{\"name\":\"up0\",\"type\":\"vhost-user\",\"path\":\"$SOCK\",\"mode\":\"client\"}},
	{\"method\":\"underlay.add\",\"params\":{\"name\":\"u1\",\"port\":\"up0\",\"address\":\"10.99.0.1\",\"mac\":\"$EVS_U_MAC\",\"next_hop_mac\":\"$G_MAC\"}},
	{\"method\":\"vtep.add\",\"params\":{\"name\":\"linux\",\"underlay\":\"u1\",\"address\":\"10.99.0.2\",\"encrypt\":true}},
	{\"method\":\"tunnel.add\",\"params\":{\"switch\":\"web\",\"vni\":5001}},
	{\"method\":\"sa.add\",\"params\":{\"vtep\":\"linux\",\"dir\":\"out\",\"spi\":4096,\"key\":\"$KOUT\",\"salt\":\"$SALT\"}},
	{\"method\":\"sa.add\",\"params\":{\"vtep\":\"linux\",\"dir\":\"in\",\"spi\":8192,\"key\":\"$KIN\",\"salt\":\"$SALT\"}}]}" >/dev/null
link_to_ns "$(ifname a)" a 10.50.0.1/24
ip -n "$(nsname a)" link set "$(ifname a)" mtu 1400

guest_start lx --vhost "$SOCK" --mode server --mac "$G_MAC" --ip 10.99.0.2/24 \
	--device-opts 'csum=off,guest_csum=off' || it_die "QEMU did not start"
guest_wait_ready lx || it_die "guest did not boot: $(tail -5 "$(guest_console lx)")"
it_log "guest booted in $(guest_boot_seconds lx) s"

gx() { guest_exec lx --timeout 30 "$1"; }
# the guest's side: geneve + xfrm transport SAs on the tunnel's UDP (the
# layout of any Linux host), a static neighbour for edgevs's VTEP (the
# underlay has no ARP of its own yet)
out=$(gx "
ip neigh replace 10.99.0.1 lladdr $EVS_U_MAC dev eth0 nud permanent &&
ip link add gnv0 type geneve id 5001 remote 10.99.0.1 &&
ip link set gnv0 address 02:50:00:00:00:02 mtu 1400 &&
ip addr add 10.50.0.2/24 dev gnv0 && ip link set gnv0 up &&
ip xfrm state add src 10.99.0.1 dst 10.99.0.2 proto esp spi 0x1000 mode transport aead 'rfc4106(gcm(aes))' 0x$KOUT$SALT 128 &&
ip xfrm state add src 10.99.0.2 dst 10.99.0.1 proto esp spi 0x2000 mode transport aead 'rfc4106(gcm(aes))' 0x$KIN$SALT 128 &&
ip xfrm policy add src 10.99.0.2 dst 10.99.0.1 proto udp dport 6081 dir out tmpl src 10.99.0.2 dst 10.99.0.1 proto esp mode transport &&
ip xfrm policy add src 10.99.0.1 dst 10.99.0.2 proto udp dport 6081 dir in tmpl src 10.99.0.1 dst 10.99.0.2 proto esp mode transport &&
echo guest-ready" 2>&1)
assert_match "the guest set up geneve and xfrm rfc4106(gcm(aes))" guest-ready "$out"

ping_check "ns a -> the Linux guest over GENEVE + ESP" a 10.50.0.2
out=$(gx "ping -c 3 -W 2 10.50.0.1" 2>&1)
assert_match "the Linux guest -> ns a over GENEVE + ESP" ' 0% packet loss' "$out"
s=$(rpc_ok sa.stats '{"vtep":"linux"}')
assert_ge "edgevs verified the kernel's ESP" 3 "$(jget "$s" in.packets)"
assert_eq "with no auth failure" 0 "$(jget "$s" in.drops.auth)"
out=$(gx "ip -s xfrm state list" 2>&1)
# packets the kernel's state of SPI 0x1000 (edgevs -> Linux) processed
kpk=$(echo "$out" | "$PY" -c '
import re, sys
for st in re.split(r"\n(?=src )", sys.stdin.read()):
    if "spi 0x00001000" in st:
        m = re.search(r"(\d+)\(packets\)\s*\n?\s*add", st) or re.findall(r"(\d+)\(packets\)", st)
        print(m.group(1) if hasattr(m, "group") else m[-1])
')
assert_ge "the kernel decrypted edgevs's ESP (its SA 0x1000 counted packets)" 3 "${kpk:-0}"

# a wrong key on the kernel's outbound: edgevs counts auth failures, delivers nothing
# (sequence numbers moved past what edgevs saw, or they would be replays)
out=$(gx "ip xfrm state delete src 10.99.0.2 dst 10.99.0.1 proto esp spi 0x2000 &&
    ip xfrm state add src 10.99.0.2 dst 10.99.0.1 proto esp spi 0x2000 mode transport replay-oseq 5000 aead 'rfc4106(gcm(aes))' 0x$KOUT$SALT 128 && echo rekeyed" 2>&1)
assert_match "the guest's inbound-to-edgevs SA now has another key" rekeyed "$out"
gx "ping -c 3 -W 1 10.50.0.1" >/dev/null 2>&1
s=$(rpc_ok sa.stats '{"vtep":"linux"}')
assert_ge "a wrong key on the Linux side is an auth drop on edgevs's SA" 1 "$(jget "$s" in.drops.auth)"

# --- tunnel mode, ESP-in-UDP 4500, ESN ------------------------------------------
# Both sides switch to rfc4106 SAs in tunnel mode inside UDP 4500 (encap
# espinudp 4500 4500) with 64-bit sequence numbers (flag esn: the AAD is
# SPI || seq hi || seq lo) and a 128-packet replay window. The kernel takes
# ESP-in-UDP only from a socket marked UDP_ENCAP_ESPINUDP (an IKE daemon's):
# espinudp_sock.c holds one in the guest.
K2OUT=101112131415161718191a1b1c1d1e1f # edgevs -> Linux, SPI 0x1100
K2IN=202122232425262728292a2b2c2d2e2f  # Linux -> edgevs, SPI 0x2100
cc -Os -static -nostdlib -fno-stack-protector -fno-asynchronous-unwind-tables \
	-Wl,--build-id=none -s -o "$IT_TMP/espinudp" "$IT_DIR/espinudp_sock.c" ||
	it_die "cannot build espinudp_sock"
sock_b64=$(gzip -9c "$IT_TMP/espinudp" | base64 -w0)
rpc_ok transact "{\"ops\":[
	{\"method\":\"sa.set\",\"params\":{\"vtep\":\"linux\",\"dir\":\"out\",\"spi\":4352,\"key\":\"$K2OUT\",\"mode\":\"tunnel\",\"udp_encap\":true,\"esn\":true}},
	{\"method\":\"sa.set\",\"params\":{\"vtep\":\"linux\",\"dir\":\"in\",\"spi\":8448,\"key\":\"$K2IN\",\"mode\":\"tunnel\",\"udp_encap\":true,\"esn\":true,\"window\":128}}]}" >/dev/null
ip -n "$(nsname a)" link set "$(ifname a)" mtu 1300
out=$(gx "
ip xfrm policy flush && ip xfrm state flush && ip link set gnv0 mtu 1300 &&
echo $sock_b64 | base64 -d | gunzip >/tmp/espinudp && chmod +x /tmp/espinudp &&
{ setsid /tmp/espinudp </dev/null >/dev/null 2>&1 & } &&
ip xfrm state add src 10.99.0.1 dst 10.99.0.2 proto esp spi 0x1100 mode tunnel flag esn replay-window 128 aead 'rfc4106(gcm(aes))' 0x$K2OUT$SALT 128 encap espinudp 4500 4500 0.0.0.0 &&
ip xfrm state add src 10.99.0.2 dst 10.99.0.1 proto esp spi 0x2100 mode tunnel flag esn replay-window 128 aead 'rfc4106(gcm(aes))' 0x$K2IN$SALT 128 encap espinudp 4500 4500 0.0.0.0 &&
ip xfrm policy add src 10.99.0.2 dst 10.99.0.1 proto udp dport 6081 dir out tmpl src 10.99.0.2 dst 10.99.0.1 proto esp mode tunnel &&
ip xfrm policy add src 10.99.0.1 dst 10.99.0.2 proto udp dport 6081 dir in tmpl src 10.99.0.1 dst 10.99.0.2 proto esp mode tunnel &&
sleep 0.5 && netstat -uln | grep -q ':4500 ' && echo tunnel-ready" 2>&1)
assert_match "the guest set up rfc4106 tunnel-mode SAs with ESN in UDP 4500 (and its encap socket)" \
	tunnel-ready "$out"
ping_check "ns a -> the Linux guest, tunnel mode in UDP 4500 with ESN" a 10.50.0.2
out=$(gx "ping -c 3 -W 2 10.50.0.1" 2>&1)
assert_match "the Linux guest -> ns a, tunnel mode in UDP 4500 with ESN" ' 0% packet loss' "$out"
# a TCP transfer each way, compared by SHA-256 (busybox nc in the guest)
head -c $((1 << 20)) /dev/urandom >"$IT_TMP/to-guest"
want=$(sha256sum "$IT_TMP/to-guest" | cut -d' ' -f1)
gx "rm -f /tmp/r; { setsid sh -c 'nc -l -p 5001 >/tmp/r' </dev/null >/dev/null 2>&1 & }; echo listening" >/dev/null
nsx a timeout 120 "$PY" "$IT_DIR/tcpxfer.py" send 10.50.0.2 5001 "$IT_TMP/to-guest" >"$IT_TMP/to-guest.out" 2>&1
assert_eq "1 MiB over TCP from ns a to the Linux guest arrives whole (SHA-256)" "$want" \
	"$(gx "sleep 1; sha256sum /tmp/r" 2>&1 | awk '{print $1}')"
it_bg rpid nsx a timeout 120 "$PY" "$IT_DIR/tcpxfer.py" recv 10.50.0.1 5002 "$IT_TMP/from-guest" >"$IT_TMP/from-guest.out" 2>&1
sleep 0.5
sent=$(guest_exec lx --timeout 120 "dd if=/dev/urandom of=/tmp/s bs=1024 count=1024 2>/dev/null && sha256sum /tmp/s && nc 10.50.0.1 5002 </tmp/s" 2>&1 | awk '/\/tmp\/s/ {print $1}')
it_wait "$rpid"
assert_eq "1 MiB over TCP from the Linux guest to ns a arrives whole (SHA-256)" "$((1 << 20)) $sent" \
	"$(cat "$IT_TMP/from-guest.out")"
s=$(rpc_ok sa.stats '{"vtep":"linux"}')
assert_ge "edgevs's tunnel-mode ESN SA verified the kernel's packets" 500 "$(jget "$s" in.packets)"
assert_eq "with no auth failure or replay" "0 0" "$(jget "$s" in.drops.auth) $(jget "$s" in.drops.replay)"
assert_eq "the kernel sends from 4500: the port edgevs answers to" "4500 4500" \
	"$(jget "$s" in.udp_peer_port) $(jget "$s" out.udp_dport_now)"
out=$(gx "ip -s xfrm state list" 2>&1)
kpk=$(echo "$out" | "$PY" -c '
import re, sys
for st in re.split(r"\n(?=src )", sys.stdin.read()):
    if "spi 0x00001100" in st and "esn" in st and "espinudp" in st:
        print(re.findall(r"(\d+)\(packets\)", st)[-1])
')
assert_ge "the kernel decrypted edgevs's tunnel-mode ESP-in-UDP with ESN (its SA 0x1100)" 500 "${kpk:-0}"

# --- VXLAN: a vxlan device in the guest against edgevs's vxlan VTEP ---------
# A second address on the guest's underlay is the VXLAN host (one VTEP an
# address), a second switch (VNI 6001) with ns b on it; clear, beside the
# encrypted GENEVE one.
rpc_ok transact "{\"ops\":[
	{\"method\":\"switch.add\",\"params\":{\"name\":\"web2\"}},
	{\"method\":\"port.add\",\"params\":{\"name\":\"vm2\",\"devargs\":\"net_tapY,iface=$(ifname b)\",\"switch\":\"web2\"}},
	{\"method\":\"vtep.add\",\"params\":{\"name\":\"lxv\",\"underlay\":\"u1\",\"address\":\"10.99.0.3\",\"encap\":\"vxlan\"}},
	{\"method\":\"tunnel.add\",\"params\":{\"switch\":\"web2\",\"vni\":6001,\"vteps\":[{\"vtep\":\"lxv\"}]}}]}" >/dev/null
link_to_ns "$(ifname b)" b 10.60.0.1/24
ip -n "$(nsname b)" link set "$(ifname b)" mtu 1400
out=$(gx "
ip addr add 10.99.0.3/24 dev eth0 &&
ip link add vx0 type vxlan id 6001 remote 10.99.0.1 local 10.99.0.3 dstport 4789 &&
ip link set vx0 address 02:60:00:00:00:02 mtu 1400 &&
ip addr add 10.60.0.2/24 dev vx0 && ip link set vx0 up && echo vxlan-ready" 2>&1)
assert_match "the guest set up a vxlan device (VNI 6001, port 4789)" vxlan-ready "$out"
ping_check "ns b -> the Linux guest over VXLAN" b 10.60.0.2
out=$(gx "ping -c 3 -W 2 10.60.0.1" 2>&1)
assert_match "the Linux guest -> ns b over VXLAN" ' 0% packet loss' "$out"
# --- IPv6 underlay: geneve over IPv6 against an IPv6 underlay of edgevs ------
# Checksums: Linux's geneve over IPv6 computes the UDP checksum (udp6zerocsumtx
# off, its default); edgevs computes it over IPv6 and verifies it (a zero
# one is its zero_csum6 drop). The guest's device takes zero ones too
# (udp6zerocsumrx, for the last leg; checksummed frames either way). The
# capture proves both directions' sums.
t6=$(date +%s)
K6OUT=303132333435363738393a3b3c3d3e3f # edgevs -> Linux, SPI 0x3000
K6IN=404142434445464748494a4b4c4d4e4f  # Linux -> edgevs, SPI 0x4000
rpc_ok transact "{\"ops\":[
	{\"method\":\"switch.add\",\"params\":{\"name\":\"web6\"}},
	{\"method\":\"port.add\",\"params\":{\"name\":\"vm3\",\"devargs\":\"net_tapZ,iface=$(ifname c)\",\"switch\":\"web6\"}},
	{\"method\":\"underlay.add\",\"params\":{\"name\":\"u6\",\"port\":\"up0\",\"address\":\"fd00:99::1\",\"mac\":\"$EVS_U_MAC\"}},
	{\"method\":\"vtep.add\",\"params\":{\"name\":\"l6\",\"underlay\":\"u6\",\"address\":\"fd00:99::2\"}},
	{\"method\":\"tunnel.add\",\"params\":{\"switch\":\"web6\",\"vni\":7001,\"vteps\":[{\"vtep\":\"l6\"}]}}]}" >/dev/null
link_to_ns "$(ifname c)" c 10.70.0.1/24
ip -n "$(nsname c)" link set "$(ifname c)" mtu 1300
cc -Os -static -nostdlib -fno-stack-protector -fno-asynchronous-unwind-tables \
	-Wl,--build-id=none -s -o "$IT_TMP/pktcap" "$IT_DIR/pktcap_sock.c" ||
	it_die "cannot build pktcap_sock"
cap_b64=$(gzip -9c "$IT_TMP/pktcap" | base64 -w0)
out=$(gx "
ip -6 addr add fd00:99::2/64 dev eth0 nodad &&
ip link add gnv6 type geneve id 7001 remote fd00:99::1 udp6zerocsumrx &&
echo 1 >/proc/sys/net/ipv6/conf/gnv6/disable_ipv6 &&
ip link set gnv6 address 02:70:00:00:00:02 mtu 1300 &&
ip addr add 10.70.0.2/24 dev gnv6 && ip link set gnv6 up &&
echo $cap_b64 | base64 -d | gunzip >/tmp/pktcap && chmod +x /tmp/pktcap &&
{ setsid sh -c '/tmp/pktcap >/tmp/c6.pcap' </dev/null >/dev/null 2>&1 & } && echo geneve6-ready" 2>&1)
assert_match "the guest set up geneve over IPv6 (VNI 7001) and a capture on its underlay" \
	geneve6-ready "$out"
ping_check "ns c -> the Linux guest over GENEVE/IPv6" c 10.70.0.2
out=$(gx "ping -c 3 -W 2 10.70.0.1" 2>&1)
assert_match "the Linux guest -> ns c over GENEVE/IPv6" ' 0% packet loss' "$out"
out=$(gx "ip -6 neigh show fd00:99::1 dev eth0" 2>&1)
assert_match "the kernel resolved edgevs's IPv6 VTEP by ND (edgevs answered its NS)" \
	"$EVS_U_MAC" "$out"
gx "base64 /tmp/c6.pcap" 2>/dev/null | base64 -d >"$IT_TMP/c6.pcap" 2>/dev/null
# The kernel's own frames are captured on their way out, where a device
# with checksum offload still holds a partial UDP checksum: the layout is
# read without checksum checks; the checksum is checked on edgevs's frames
# (what the guest received; the kernel's were verified by edgevs: no
# bad_csum drop, below).
T6=(tshark -r "$IT_TMP/c6.pcap" -o udp.check_checksum:FALSE)
n6=$("${T6[@]}" 2>/dev/null | wc -l)
assert_ge "the guest captured the GENEVE/IPv6 frames on its underlay" 12 "$n6"
assert_eq "each is IPv6 + UDP to 6081 + GENEVE VNI 7001, Ethernet inside" \
	"$n6" "$("${T6[@]}" -Y 'ipv6.nxt == 17 && udp.dstport == 6081 && udp.checksum != 0 && geneve.version == 0 && geneve.vni == 7001 && geneve.proto_type == 0x6558 && eth.type' 2>/dev/null | wc -l)"
TC6=(tshark -r "$IT_TMP/c6.pcap" -o udp.check_checksum:TRUE)
c6=$("${TC6[@]}" -Y 'ipv6.src == fd00:99::1' 2>/dev/null | wc -l)
assert_ge "edgevs's frames among them" 4 "$c6"
assert_eq "each of edgevs's has a UDP checksum that verifies" "$c6" \
	"$("${TC6[@]}" -Y 'ipv6.src == fd00:99::1 && udp.checksum.status == 1' 2>/dev/null | wc -l)"
assert_eq "both ways: ICMP echo inside, from edgevs and from the kernel" "fd00:99::1 fd00:99::2 " \
	"$("${T6[@]}" -Y 'icmp' -T fields -e ipv6.src 2>/dev/null | sort -u | tr '\n' ' ')"
e6=$("${T6[@]}" -Y 'ipv6.src == fd00:99::1' 2>/dev/null | wc -l)
assert_eq "edgevs's outer IPv6: hop limit 64, flow label 0, no extension header, UDP filling the payload, source port from 49152" \
	"$e6 $e6" "$("${T6[@]}" -Y 'ipv6.src == fd00:99::1 && ipv6.hlim == 64 && ipv6.flow == 0 && ipv6.nxt == 17 && udp.srcport >= 49152' 2>/dev/null | wc -l) $("${T6[@]}" -Y 'ipv6.src == fd00:99::1' -E occurrence=f -T fields -e frame.number -e ipv6.plen -e udp.length -e frame.len 2>/dev/null |
		awk '$2 == $3 {n++} $2 != $3 {bad = bad " (frame " $1 ": plen " $2 " udp " $3 " len " $4 ")"} END {print n + 0 bad}')"
# the same leg encrypted: rfc4106 transport-mode SAs over IPv6 on both sides
rpc_ok transact "{\"ops\":[
	{\"method\":\"sa.add\",\"params\":{\"vtep\":\"l6\",\"dir\":\"out\",\"spi\":12288,\"key\":\"$K6OUT\",\"salt\":\"$SALT\"}},
	{\"method\":\"sa.add\",\"params\":{\"vtep\":\"l6\",\"dir\":\"in\",\"spi\":16384,\"key\":\"$K6IN\",\"salt\":\"$SALT\"}},
	{\"method\":\"tunnel.set\",\"params\":{\"switch\":\"web6\",\"vni\":7001,\"vteps\":[{\"vtep\":\"l6\"}],\"encrypt\":true}}]}" >/dev/null
out=$(gx "
ip xfrm state add src fd00:99::1 dst fd00:99::2 proto esp spi 0x3000 mode transport aead 'rfc4106(gcm(aes))' 0x$K6OUT$SALT 128 &&
ip xfrm state add src fd00:99::2 dst fd00:99::1 proto esp spi 0x4000 mode transport aead 'rfc4106(gcm(aes))' 0x$K6IN$SALT 128 &&
ip xfrm policy add src fd00:99::2 dst fd00:99::1 proto udp dport 6081 dir out tmpl src fd00:99::2 dst fd00:99::1 proto esp mode transport &&
ip xfrm policy add src fd00:99::1 dst fd00:99::2 proto udp dport 6081 dir in tmpl src fd00:99::1 dst fd00:99::2 proto esp mode transport &&
echo xfrm6-ready" 2>&1)
assert_match "the guest set up rfc4106 transport-mode SAs over IPv6" xfrm6-ready "$out"
ping_check "ns c -> the Linux guest over GENEVE/IPv6 + ESP" c 10.70.0.2
out=$(gx "ping -c 3 -W 2 10.70.0.1" 2>&1)
assert_match "the Linux guest -> ns c over GENEVE/IPv6 + ESP" ' 0% packet loss' "$out"
head -c $((256 << 10)) /dev/urandom >"$IT_TMP/to-guest6"
want=$(sha256sum "$IT_TMP/to-guest6" | cut -d' ' -f1)
gx "rm -f /tmp/r6; { setsid sh -c 'nc -l -p 5003 >/tmp/r6' </dev/null >/dev/null 2>&1 & }; echo listening" >/dev/null
nsx c timeout 60 "$PY" "$IT_DIR/tcpxfer.py" send 10.70.0.2 5003 "$IT_TMP/to-guest6" >"$IT_TMP/to-guest6.out" 2>&1
assert_eq "256 KiB over TCP from ns c to the Linux guest over GENEVE/IPv6 + ESP (SHA-256)" "$want" \
	"$(gx "sleep 1; sha256sum /tmp/r6" 2>&1 | awk '{print $1}')"
it_bg rpid nsx c timeout 60 "$PY" "$IT_DIR/tcpxfer.py" recv 10.70.0.1 5004 "$IT_TMP/from-guest6" >"$IT_TMP/from-guest6.out" 2>&1
sleep 0.5
sent=$(guest_exec lx --timeout 60 "dd if=/dev/urandom of=/tmp/s6 bs=1024 count=256 2>/dev/null && sha256sum /tmp/s6 && nc 10.70.0.1 5004 </tmp/s6" 2>&1 | awk '/\/tmp\/s6/ {print $1}')
it_wait "$rpid"
assert_eq "256 KiB over TCP from the Linux guest to ns c over GENEVE/IPv6 + ESP (SHA-256)" "$((256 << 10)) $sent" \
	"$(cat "$IT_TMP/from-guest6.out")"
s=$(rpc_ok sa.stats '{"vtep":"l6"}')
assert_ge "edgevs verified the kernel's ESP over IPv6" 100 "$(jget "$s" in.packets)"
assert_eq "with no auth failure or replay" "0 0" "$(jget "$s" in.drops.auth) $(jget "$s" in.drops.replay)"
out=$(gx "ip -s xfrm state list" 2>&1)
kpk=$(echo "$out" | "$PY" -c '
import re, sys
for st in re.split(r"\n(?=src )", sys.stdin.read()):
    if "spi 0x00003000" in st:
        print(re.findall(r"(\d+)\(packets\)", st)[-1])
')
assert_ge "the kernel decrypted edgevs's ESP over IPv6 (its SA 0x3000)" 100 "${kpk:-0}"
# ESP in UDP over IPv6 with zero UDP checksums (RFC 6935/6936): edgevs's
# VTEP says udp_zero_csum6_tx, so its ESP in UDP and the GENEVE inside carry
# zero; the kernel takes them on its encapsulation socket (UDP_NO_CHECK6_RX,
# espinudp_sock.c) and its geneve device (udp6zerocsumrx); a capture in the
# guest (a fresh pktcap: 16 frames) shows the zeros.
rpc_ok transact "{\"ops\":[
	{\"method\":\"vtep.set\",\"params\":{\"name\":\"l6\",\"udp_zero_csum6_tx\":true}},
	{\"method\":\"sa.set\",\"params\":{\"vtep\":\"l6\",\"dir\":\"out\",\"spi\":12544,\"key\":\"$K6OUT\",\"salt\":\"$SALT\",\"udp_encap\":true}},
	{\"method\":\"sa.set\",\"params\":{\"vtep\":\"l6\",\"dir\":\"in\",\"spi\":16640,\"key\":\"$K6IN\",\"salt\":\"$SALT\",\"udp_encap\":true}}]}" >/dev/null
out=$(gx "
ip xfrm state del src fd00:99::1 dst fd00:99::2 proto esp spi 0x3000 &&
ip xfrm state del src fd00:99::2 dst fd00:99::1 proto esp spi 0x4000 &&
ip xfrm state add src fd00:99::1 dst fd00:99::2 proto esp spi 0x3100 mode transport aead 'rfc4106(gcm(aes))' 0x$K6OUT$SALT 128 encap espinudp 4500 4500 :: &&
ip xfrm state add src fd00:99::2 dst fd00:99::1 proto esp spi 0x4100 mode transport aead 'rfc4106(gcm(aes))' 0x$K6IN$SALT 128 encap espinudp 4500 4500 :: &&
netstat -uln | grep -q ':::4500 ' &&
{ setsid sh -c '/tmp/pktcap >/tmp/z6.pcap' </dev/null >/dev/null 2>&1 & } && sleep 0.5 && echo udp6-ready" 2>&1)
assert_match "the guest set up ESP-in-UDP transport SAs over IPv6 (and a socket taking zero checksums)" \
	udp6-ready "$out"
ping_check "ns c -> the Linux guest over GENEVE/IPv6 + ESP in UDP, zero checksums" c 10.70.0.2
out=$(gx "ping -c 3 -W 2 10.70.0.1" 2>&1)
assert_match "the Linux guest -> ns c over GENEVE/IPv6 + ESP in UDP" ' 0% packet loss' "$out"
gx "sleep 1; base64 /tmp/z6.pcap" 2>/dev/null | base64 -d >"$IT_TMP/z6.pcap" 2>/dev/null
TZ6=(tshark -r "$IT_TMP/z6.pcap" -o udp.check_checksum:FALSE)
z6=$("${TZ6[@]}" -Y 'ipv6.src == fd00:99::1 && udp.srcport == 4500 && udp.dstport == 4500' 2>/dev/null | wc -l)
assert_ge "the guest captured edgevs's ESP in UDP over IPv6" 3 "$z6"
assert_eq "each with a zero UDP checksum" "$z6" \
	"$("${TZ6[@]}" -Y 'ipv6.src == fd00:99::1 && udp.srcport == 4500 && udp.checksum == 0' 2>/dev/null | wc -l)"
out=$(gx "ip -s xfrm state list" 2>&1)
kpk=$(echo "$out" | "$PY" -c '
import re, sys
for st in re.split(r"\n(?=src )", sys.stdin.read()):
    if "spi 0x00003100" in st and "espinudp" in st:
        print(re.findall(r"(\d+)\(packets\)", st)[-1])
')
assert_ge "the kernel decrypted edgevs's zero-checksum ESP in UDP (its SA 0x3100)" 3 "${kpk:-0}"
s=$(rpc_ok sa.stats '{"vtep":"l6"}')
assert_ge "edgevs verified the kernel's ESP in UDP over IPv6" 3 "$(jget "$s" in.packets)"
it_log "IPv6 underlay leg: $(($(date +%s) - t6)) s"
st=$(rpc_ok overlay.stats)
assert_eq "no unknown-VTEP, not-member or bad-checksum drops" "0 0 0" \
	"$(jget "$st" drops.unknown_vtep) $(jget "$st" drops.not_member) $(jget "$st" tunnel_drops.bad_csum)"
guest_stop lx
evs_stop d
it_finish
