#!/usr/bin/env bash
# A two-tier tenant network routed by edgevs: "web" (10.0.1.0/24 on switch
# web) and "db" (10.0.2.0/24 on switch db), router t1 between them, each
# subnet's gateway a router port. Two Linux namespaces stand in for the
# VMs, on net_tap ports. Everything is built with edgevsctl on a running
# daemon; the config it ends with is printed (config.save writes it).
#
# Usage (root, after `ninja -C build`): examples/two-tier-tenant/two-tier.sh [--wait]
#
# Nothing static: the hosts ARP for their gateway and the router answers;
# the router ARPs for the hosts itself (neigh objects are only for hosts
# that cannot answer).
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build} # the meson build root
edgevs=$build/app/edgevs/edgevs
ctl=$build/app/edgevsctl/edgevsctl
dir=$(mktemp -d /tmp/two-tier.XXXXXX)
sock=$dir/edgevs.sock
tag=tt$$
wait_enter=0
[ "${1:-}" = --wait ] && wait_enter=1

pid=''
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	ip netns del "$tag-web" 2>/dev/null || true
	ip netns del "$tag-db" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
c() { printf '$ edgevsctl %s\n' "$*"; "$ctl" -s "$sock" "$@" >/dev/null || { tail -5 "$dir/edgevs.log"; exit 1; }; }

# the two subnets' logical switches (the daemon wants at least one to start)
printf '{"switches":[{"name":"web"},{"name":"db"}],"ports":[]}\n' >"$dir/edgevs.json"
"$edgevs" -l 0,1 --no-huge -m 512 --no-shconf --file-prefix "$tag" --no-pci \
	-- \
	--config "$dir/edgevs.json" --socket "$sock" >"$dir/edgevs.log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q 'edgevs: ready' "$dir/edgevs.log" && break; sleep 0.1; done
grep -q 'edgevs: ready' "$dir/edgevs.log" || { tail "$dir/edgevs.log"; exit 1; }

# one port per "VM" on its subnet's switch
c port add name=vm-web type=ethdev devargs="net_tap0,iface=${tag}w" switch=web
c port add name=vm-db type=ethdev devargs="net_tap1,iface=${tag}d" switch=db
# the tenant's router and its legs: the subnets' gateways (connected routes)
c router add name=t1
c router_port add name=t1-web router=t1 switch=web mac=02:74:31:00:00:01 'addresses=["10.0.1.1/24"]'
c router_port add name=t1-db router=t1 switch=db mac=02:74:31:00:00:02 'addresses=["10.0.2.1/24"]'

# the "VMs": an address on their subnet and a default route via the gateway
for vm in web:w:1:01 db:d:2:02; do
	IFS=: read -r name suffix net mac <<<"$vm"
	ns=$tag-$name
	ip netns add "$ns"
	for _ in $(seq 50); do ip link show "${tag}$suffix" >/dev/null 2>&1 && break; sleep 0.1; done
	ip link set "${tag}$suffix" netns "$ns"
	ip -n "$ns" link set "${tag}$suffix" address "02:00:00:00:$mac:0a" up
	ip -n "$ns" addr add "10.0.$net.10/24" dev "${tag}$suffix"
	ip -n "$ns" route add default via "10.0.$net.1"
done

echo '== web -> its gateway, then db, routed by t1'
ip netns exec "$tag-web" ping -c 2 -i 0.2 10.0.1.1
ip netns exec "$tag-web" ping -c 3 -i 0.2 10.0.2.10
echo '== what web and t1 learned by ARP'
ip -n "$tag-web" neigh show
"$ctl" -s "$sock" neigh show router=t1
echo '== the route t1 uses'
"$ctl" -s "$sock" route get router=t1 address=10.0.2.10
echo '== a TTL-1 ping gets Time Exceeded from the gateway (the first traceroute hop)'
ip netns exec "$tag-web" ping -c 1 -t 1 -W 1 10.0.2.10 || true
echo '== the router counters'
"$ctl" -s "$sock" router stats router=t1
if [ "$wait_enter" = 1 ]; then
	echo "running: ip netns exec $tag-web bash; edgevsctl -s $sock ...; Enter stops"
	read -r _
fi
