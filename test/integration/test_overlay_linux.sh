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
set -o pipefail
: "${IT_TIMEOUT:=300}"
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

ns_add a
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
guest_stop lx
evs_stop d
it_finish
