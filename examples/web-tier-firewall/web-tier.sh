#!/usr/bin/env bash
# A web tier protected by security groups (doc/firewall.md). One switch,
# four Linux namespaces standing in for VMs on net_tap ports:
#   lb    10.0.0.10  tagged "lb"   (the load balancer, the only web client)
#   web1  10.0.0.21  group "web"   (HTTP on 80, from ports tagged lb only;
#                                   talks to the database; ssh rejected)
#   db    10.0.0.31  group "db"    (5432, from ports tagged web only)
#   admin 10.0.0.99  no group      (an outsider on the same segment)
# web1 is tagged "web", so the db group's rule naming the tag lets it in;
# tagging another port "web" would let that one in too, live.
#
# Usage (root, after `ninja -C build`): examples/web-tier-firewall/web-tier.sh [--wait]
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build} # the meson build root
edgevs=$build/app/edgevs/edgevs
ctl=$build/app/edgevsctl/edgevsctl
dir=$(mktemp -d /tmp/web-tier.XXXXXX)
sock=$dir/edgevs.sock
tag=wt$$
wait_enter=0
[ "${1:-}" = --wait ] && wait_enter=1
vms="lb:10 web1:21 db:31 admin:99"

pid=''
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	for vm in $vms; do ip netns del "$tag-${vm%%:*}" 2>/dev/null || true; done
	rm -rf "$dir"
}
trap cleanup EXIT
c() { printf '$ edgevsctl %s\n' "$*"; "$ctl" -s "$sock" "$@" >/dev/null || { tail -5 "$dir/edgevs.log"; exit 1; }; }
vm() { ip netns exec "$tag-$1" "${@:2}"; }
# try VM ADDR PORT: a TCP connect, "ok", "refused" or "timeout"
try() {
	vm "$1" python3 -c "
import socket, sys
try:
    socket.create_connection(('$2', $3), timeout=2).close(); print('ok')
except ConnectionRefusedError: print('refused')
except OSError: print('timeout')"
}

printf '{"switches":[{"name":"tier"}],"ports":[]}\n' >"$dir/edgevs.json"
"$edgevs" -l 0,1 --no-huge -m 512 --no-shconf --file-prefix "$tag" --no-pci \
	-- --config "$dir/edgevs.json" --socket "$sock" >"$dir/edgevs.log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q 'edgevs: ready' "$dir/edgevs.log" && break; sleep 0.1; done
grep -q 'edgevs: ready' "$dir/edgevs.log" || { tail "$dir/edgevs.log"; exit 1; }

i=0
for vm in $vms; do
	name=${vm%%:*} host=${vm##*:}
	c port add name="$name" type=ethdev devargs="net_tap$i,iface=$tag$i" switch=tier
	ip netns add "$tag-$name"
	for _ in $(seq 50); do ip link show "$tag$i" >/dev/null 2>&1 && break; sleep 0.1; done
	ip link set "$tag$i" netns "$tag-$name"
	ip -n "$tag-$name" link set "$tag$i" up
	ip -n "$tag-$name" addr add "10.0.0.$host/24" dev "$tag$i"
	i=$((i + 1))
done
# the services: HTTP on web1, a stand-in database on db (listening on 5432)
# (ip netns exec execs the server, so $! is the server's PID)
listen() {
	ip netns exec "$tag-$1" python3 -c "import socket,time; s=socket.socket(); s.bind(('$2',$3)); s.listen(); time.sleep(3600)" </dev/null >/dev/null 2>&1 &
	pids+=($!)
}
ip netns exec "$tag-web1" python3 -m http.server 80 --bind 10.0.0.21 </dev/null >/dev/null 2>&1 &
pids+=($!)
listen web1 10.0.0.21 22
listen db 10.0.0.31 5432
sleep 1

echo '== the security groups'
c fw.group add name=web description="HTTP from the load balancer"
c fw.group add name=db description="the database, for the web tier only"
c fw.rule add id=100 group=web direction=ingress protocol=tcp dport_min=80 src_tag=lb
c fw.rule add id=101 group=web direction=ingress protocol=icmp
c fw.rule add id=102 group=web direction=ingress protocol=tcp dport_min=22 action=reject
c fw.rule add id=110 group=web direction=egress protocol=tcp dport_min=5432 dst_tag=db
c fw.rule add id=200 group=db direction=ingress protocol=tcp dport_min=5432 src_tag=web
echo '== the ports: addresses, tags, groups'
c fw.port add port=lb 'addresses=["10.0.0.10"]' 'tags=["lb"]'
c fw.port add port=web1 'addresses=["10.0.0.21"]' 'tags=["web"]' 'groups=["web"]'
c fw.port add port=db 'addresses=["10.0.0.31"]' 'tags=["db"]' 'groups=["db"]'

echo "== lb -> web1:80 (allowed by rule 100):       $(try lb 10.0.0.21 80)"
echo "== admin -> web1:80 (not tagged lb: denied):   $(try admin 10.0.0.21 80)"
echo "== admin -> web1:22 (rule 102 rejects):        $(try admin 10.0.0.21 22)"
echo "== web1 -> db:5432 (rules 110 and 200):        $(try web1 10.0.0.31 5432)"
echo "== lb -> db:5432 (not tagged web: denied):     $(try lb 10.0.0.31 5432)"
echo '== admin pings web1 (rule 101)'
vm admin ping -c 2 -i 0.2 -W 1 10.0.0.21 | tail -2
echo '== the connections, with the rule that allowed each (mark)'
"$ctl" -s "$sock" ct list zone=65520
echo '== what was denied'
"$ctl" -s "$sock" fw log
if [ "$wait_enter" = 1 ]; then
	echo "running: ip netns exec $tag-admin bash; edgevsctl -s $sock ...; Enter stops"
	read -r _
fi
