#!/usr/bin/env bash
# An encrypted logical switch spanning two hosts: two edgevs daemons on one
# machine ("host1", "host2"), joined by a veth pair as their underlay
# (af_packet ports), one Linux namespace per host standing in for a VM on
# switch "web". The switch is carried over GENEVE (VNI 5001) and protected
# with ESP AES-GCM-128 (RFC 4106, transport mode on the tunnel's UDP), one SA
# pair per host pair; then both hosts are rekeyed make-before-break.
#
# Usage (root, after `ninja -C build`): examples/encrypted-overlay/encrypted-overlay.sh [--wait]
#
# The keys below are examples: a controller generates them and pushes them
# to both hosts. They are secrets: no method returns them (sa.list shows
# "<set>"), and the daemon keeps them in <config>.secrets (mode 0600).
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build} # the meson build root
edgevs=$build/app/edgevs/edgevs
ctl=$build/app/edgevsctl/edgevsctl
dir=$(mktemp -d /tmp/enc-overlay.XXXXXX)
tag=eo$$
wait_enter=0
[ "${1:-}" = --wait ] && wait_enter=1

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	ip netns del "$tag-vm1" 2>/dev/null || true
	ip netns del "$tag-vm2" 2>/dev/null || true
	ip link del "${tag}u1" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT


start() { # start HOST
	printf '{}\n' >"$dir/$1.json"
	"$edgevs" -l 0,1 --no-huge -m 512 --no-shconf --file-prefix "$tag$1" --no-pci -- \
		--config "$dir/$1.json" --socket "$dir/$1.sock" >"$dir/$1.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do grep -q 'edgevs: ready' "$dir/$1.log" && break; sleep 0.1; done
	grep -q 'edgevs: ready' "$dir/$1.log" || { tail "$dir/$1.log"; exit 1; }
}
c() { # c HOST ARGS...: edgevsctl against HOST
	local h=$1
	shift
	printf '%s$ edgevsctl %s\n' "$h" "$*"
	"$ctl" -s "$dir/$h.sock" "$@" || { tail -5 "$dir/$h.log"; exit 1; }
}
start host1
start host2

# the underlay: a veth pair, MTU room for GENEVE + ESP around 1500-byte
# frames. Made after the daemons start: DPDK 22.11's af_packet driver joins
# the fanout group (pid ^ ifindex) & 0xffff of the network namespace, and two
# daemons whose ports land on one group cannot both attach (doc/ports.md),
# so a clash takes a fresh pair.
gid() { echo $((($1 ^ $(cat "/sys/class/net/$2/ifindex")) & 0xffff)); }
for _ in 1 2 3; do
	ip link add "${tag}u1" mtu 1700 type veth peer name "${tag}u2" mtu 1700
	[ "$(gid "${pids[0]}" "${tag}u1")" != "$(gid "${pids[1]}" "${tag}u2")" ] && break
	ip link del "${tag}u1"
done
ip link set "${tag}u1" up
ip link set "${tag}u2" up
mac1=$(cat "/sys/class/net/${tag}u1/address")
mac2=$(cat "/sys/class/net/${tag}u2/address")

# each host: the switch, its VM's port, the underlay, the other host, the tunnel
setup() { # setup HOST N UPLINK MYADDR MYMAC PEERADDR PEERMAC
	c "$1" switch add name=web >/dev/null
	c "$1" port add name=vm type=ethdev devargs="net_tap$2,iface=${tag}v$2" switch=web >/dev/null
	c "$1" port add name=up0 type=ethdev devargs="net_af_packet$2,iface=$3" >/dev/null
	c "$1" underlay add name=u1 port=up0 address="$4" mac="$5" next_hop_mac="$7" mtu=1600 >/dev/null
	c "$1" vtep add name=peer underlay=u1 address="$6" >/dev/null
	c "$1" tunnel add switch=web vni=5001 encrypt=true >/dev/null
}
setup host1 1 "${tag}u1" 10.99.0.1 "$mac1" 10.99.0.2 "$mac2"
setup host2 2 "${tag}u2" 10.99.0.2 "$mac2" 10.99.0.1 "$mac1"

# one SA per direction: host1's outbound is host2's inbound and back
K12=000102030405060708090a0b0c0d0e0f
K21=f0e0d0c0b0a090807060504030201000
c host1 sa add vtep=peer dir=out spi=4096 key=$K12 salt=0a0b0c0d >/dev/null
c host2 sa add vtep=peer dir=in spi=4096 key=$K12 salt=0a0b0c0d >/dev/null
c host2 sa add vtep=peer dir=out spi=8192 key=$K21 salt=0a0b0c0d >/dev/null
c host1 sa add vtep=peer dir=in spi=8192 key=$K21 salt=0a0b0c0d >/dev/null

# the VMs
for n in 1 2; do
	ip netns add "$tag-vm$n"
	ip link set "${tag}v$n" netns "$tag-vm$n"
	ip -n "$tag-vm$n" addr add "10.50.0.$n/24" dev "${tag}v$n"
	ip -n "$tag-vm$n" link set "${tag}v$n" up
done
ip netns exec "$tag-vm1" ping -c 3 -W 2 10.50.0.2
c host1 sa list
c host2 sa stats vtep=peer

# make-before-break rekey: both hosts install their new inbound SA, then both
# switch their outbound; each old inbound SA keeps accepting for 10 s
c host1 sa rekey vtep=peer 'in={"spi":8193,"key":"202122232425262728292a2b2c2d2e2f","salt":"01020304"}'
c host2 sa rekey vtep=peer 'in={"spi":4097,"key":"101112131415161718191a1b1c1d1e1f","salt":"01020304"}'
c host1 sa rekey vtep=peer 'out={"spi":4097,"key":"101112131415161718191a1b1c1d1e1f","salt":"01020304"}'
c host2 sa rekey vtep=peer 'out={"spi":8193,"key":"202122232425262728292a2b2c2d2e2f","salt":"01020304"}'
ip netns exec "$tag-vm1" ping -c 3 -W 2 10.50.0.2
c host2 sa stats vtep=peer
c host2 overlay stats

if [ $wait_enter = 1 ]; then
	echo "vm1: ip netns exec $tag-vm1 bash; the underlay: tcpdump -ni ${tag}u2 esp"
	read -r -p "Enter to tear it all down. "
fi
