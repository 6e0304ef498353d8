#!/usr/bin/env bash
# A load-balanced web tier: clients on switch "front" (10.0.1.0/24) reach
# the VIP 10.0.100.10:80, served by three backends on switch "web"
# (10.0.2.11-13, python3 -m http.server on 8080, weights 1:1:2) behind
# router t1. The VIP is balanced at the client's own switch (no appliance):
# Maglev picks a backend per new connection, conntrack keeps it, replies are
# un-NATed on the way back. HTTP health checks run from namespace "probe",
# whose only interface is a port of switch "web" (the lb.health object).
#
# Usage (root, after `ninja -C build`): examples/three-backend-lb/three-backend-lb.sh [--wait]
#
# Neighbours are static here so that the first connections do not wait for
# ARP (the router would learn them too: doc/l3.md): the hosts know their
# gateway's MAC and the router has a neigh object per backend.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build} # the meson build root
edgevs=$build/app/edgevs/edgevs
ctl=$build/app/edgevsctl/edgevsctl
dir=$(mktemp -d /tmp/three-backend-lb.XXXXXX)
sock=$dir/edgevs.sock
tag=lb$$
wait_enter=0
[ "${1:-}" = --wait ] && wait_enter=1

pid=''
srv=()
cleanup() {
	for p in "${srv[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	for n in client probe b1 b2 b3; do ip netns del "$tag-$n" 2>/dev/null || true; done
	rm -rf "$dir"
}
trap cleanup EXIT
c() { printf '$ edgevsctl %s\n' "$*"; "$ctl" -s "$sock" "$@" >/dev/null || { tail -5 "$dir/edgevs.log"; exit 1; }; }

printf '{"switches":[{"name":"front"},{"name":"web"}],"ports":[]}\n' >"$dir/edgevs.json"
"$edgevs" -l 0,1 --no-huge -m 512 --no-shconf --file-prefix "$tag" --no-pci \
	-- --config "$dir/edgevs.json" --socket "$sock" >"$dir/edgevs.log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q 'edgevs: ready' "$dir/edgevs.log" && break; sleep 0.1; done
grep -q 'edgevs: ready' "$dir/edgevs.log" || { tail "$dir/edgevs.log"; exit 1; }

# hosts: NAME SWITCH ADDRESS MAC (one tap port each)
hosts="client:front:10.0.1.10:02:00:00:00:01:0a
b1:web:10.0.2.11:02:00:00:00:02:0b
b2:web:10.0.2.12:02:00:00:00:02:0c
b3:web:10.0.2.13:02:00:00:00:02:0d
probe:web:10.0.2.250:02:00:00:00:02:fa"
i=0
while IFS=: read -r name sw ip mac; do
	c port add name="$name" type=ethdev devargs="net_tap$i,iface=${tag}$i" switch="$sw"
	i=$((i + 1))
done <<<"$hosts"
c router add name=t1
c router_port add name=t1-front router=t1 switch=front mac=02:74:31:00:00:01 'addresses=["10.0.1.1/24"]'
c router_port add name=t1-web router=t1 switch=web mac=02:74:31:00:00:02 'addresses=["10.0.2.1/24"]'
c neigh add port=t1-front address=10.0.1.10 mac=02:00:00:00:01:0a
for b in 11:0b 12:0c 13:0d; do
	c neigh add port=t1-web address="10.0.2.${b%:*}" mac="02:00:00:00:02:${b#*:}"
done

i=0
while IFS=: read -r name sw ip mac; do
	ns=$tag-$name
	ifc=${tag}$i
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	for _ in $(seq 50); do ip link show "$ifc" >/dev/null 2>&1 && break; sleep 0.1; done
	ip link set "$ifc" netns "$ns"
	ip -n "$ns" link set "$ifc" address "$mac" up
	ip -n "$ns" addr add "$ip/24" dev "$ifc"
	gw=10.0.1.1 gmac=02:74:31:00:00:01
	[ "$sw" = web ] && gw=10.0.2.1 gmac=02:74:31:00:00:02
	ip -n "$ns" route add default via "$gw"
	ip -n "$ns" neigh replace "$gw" lladdr "$gmac" dev "$ifc" nud permanent
	if [ "${name#b}" != "$name" ]; then
		mkdir -p "$dir/$name"
		echo "$name" >"$dir/$name/id"
		ip netns exec "$ns" python3 -m http.server 8080 --bind "$ip" \
			--directory "$dir/$name" >"$dir/$name.log" 2>&1 &
		srv+=($!)
	fi
	i=$((i + 1))
done <<<"$hosts"

# the servers listen before they are health-checked (python starts slowly on a busy machine)
for b in 11 12 13; do
	for _ in $(seq 100); do
		ip netns exec "$tag-probe" python3 -c "import socket; socket.create_connection(('10.0.2.$b', 8080), 1)" \
			2>/dev/null && break
		sleep 0.2
	done
done

# the VIP, served at switch "front"; backends with HTTP health checks
c lb.health add name=default netns="$tag-probe"
c lb.vip add name=web address=10.0.100.10 port=80 scope=front
for b in 11:1 12:1 13:2; do
	c lb.backend add vip=web address="10.0.2.${b%:*}" port=8080 weight="${b#*:}" \
		check=http interval_ms=500 timeout_ms=400 rise=2 fall=3
done
sleep 1

# N connections from the client to the VIP, each asking which backend it is
connect_n() {
	for _ in $(seq "$1"); do
		ip netns exec "$tag-client" python3 -c "
import socket
try:
    s = socket.create_connection(('10.0.100.10', 80), 2)
    s.sendall(b'GET /id HTTP/1.0\r\n\r\n')
    d = b''
    while (c := s.recv(4096)):
        d += c
    print(d.split(b'\r\n\r\n', 1)[1].decode().strip())
except OSError as e:
    print('failed:', e)"
	done | sort | uniq -c
}
echo '== 40 connections from the client to the VIP: which backend answered'
connect_n 40
echo '== per VIP and backend'
"$ctl" -s "$sock" -j lb stats | python3 -c "
import json, sys
for v in json.load(sys.stdin)['vips']:
    print(v['name'], v['address'], 'connections', v['connections'], 'packets', v['packets'])
    for b in v['backends']:
        print('  ', b['address'], b['state'], b['health'], 'weight', b['weight'], 'connections', b['connections'], 'live', b['live_connections'])"
echo '== b3 drained (weight 0): new connections go to b1 and b2 only'
c lb.backend set vip=web address=10.0.2.13 port=8080 weight=0
connect_n 20
# one-arm: backends whose own gateway is not t1 answer the switch instead
# of the client when the VIP has snat (t1's address on their subnet)
echo '== snat=10.0.2.1: the backends see 10.0.2.1 as the client'
c lb.vip set name=web snat=10.0.2.1
ip netns exec "$tag-client" python3 -c "
import socket
s = socket.create_connection(('10.0.100.10', 80), 2)
s.sendall(b'GET /id HTTP/1.0\r\n\r\n')
print(s.recv(4096).split(b'\r\n\r\n', 1)[-1].decode().strip() or 'answered')" ||
	echo 'failed'
if [ "$wait_enter" = 1 ]; then
	echo "running: ip netns exec $tag-client curl http://10.0.100.10/id; edgevsctl -s $sock ...; Enter stops"
	read -r _
fi
