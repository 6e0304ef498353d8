#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# IPv6 on the router's link-local addresses: router advertisements, hosts
# and next hops that only know the router by its link-local address.
#
#   a (no address: RA/SLAAC)   --- sw0 --- r1a (2001:db8:1::1/64, ipv6_ra)
#   b 2001:db8:2::2            --- sw1 --- r1b (2001:db8:2::1/64)
#   c fe80::c (2001:db8:99::1 on lo) --- sw1
#
# r1: 2001:db8:99::/64 via fe80::c on r1b (a link-local next hop).
# Checks: a autoconfigures a default route via r1a's link-local address
# from the router's advertisement (ip -6 route: proto ra) and a SLAAC
# address from its prefix; a pings r1a's link-local address; b and c use
# r1b's link-local address as their default gateway (NS for it answered);
# a pings b and c's 2001:db8:99::1 (the router solicits fe80::c from its
# link-local address); router.stats counts the advertisements.
set -o pipefail
. "$(dirname "$0")/lib.sh"
it_init l3_nd

# fe80:: + modified EUI-64 of the router ports' MACs
LL_R1A=fe80::52:ff:fe00:1
LL_R1B=fe80::52:ff:fe00:2
H6B=2001:db8:2::2
FAR=2001:db8:99::1

CONF=$IT_TMP/config.json
cat >"$CONF" <<JSON
{
  "switches": [ { "name": "sw0" }, { "name": "sw1" } ],
  "ports": [
    { "name": "pa", "type": "ethdev", "devargs": "net_tap0,iface=$(ifname a)", "switch": "sw0" },
    { "name": "pb", "type": "ethdev", "devargs": "net_tap1,iface=$(ifname b)", "switch": "sw1" },
    { "name": "pc", "type": "ethdev", "devargs": "net_tap2,iface=$(ifname c)", "switch": "sw1" }
  ],
  "routers": [ { "name": "r1" } ],
  "router_ports": [
    { "name": "r1a", "router": "r1", "switch": "sw0", "mac": "02:52:00:00:00:01",
      "addresses": ["2001:db8:1::1/64"], "ipv6_ra": true },
    { "name": "r1b", "router": "r1", "switch": "sw1", "mac": "02:52:00:00:00:02",
      "addresses": ["2001:db8:2::1/64"] }
  ],
  "routes": [
    { "router": "r1", "prefix": "2001:db8:99::/64",
      "nexthops": [ { "port": "r1b", "via": "fe80::c" } ] }
  ]
}
JSON

ns_add a b c
evs_start d "$CONF"
link_to_ns "$(ifname a)" a "" 02:49:54:00:00:0a
link_to_ns "$(ifname b)" b "" 02:49:54:00:00:0b
link_to_ns "$(ifname c)" c "" 02:49:54:00:00:0c
# a: IPv6 on, accepting RAs (a host: forwarding off); it solicits once its
# link-local address is up
nsx a sysctl -qw "net.ipv6.conf.$(ifname a).accept_ra=1" \
	"net.ipv6.conf.$(ifname a).disable_ipv6=0"
for n in b c; do
	nsx $n sysctl -qw "net.ipv6.conf.$(ifname $n).accept_ra=0" \
		"net.ipv6.conf.$(ifname $n).disable_ipv6=0"
done
nsx b ip -6 addr add "$H6B/64" dev "$(ifname b)" nodad
nsx c ip -6 addr add fe80::c/64 dev "$(ifname c)" nodad
nsx c sysctl -qw net.ipv6.conf.lo.disable_ipv6=0
nsx c ip -6 addr add "$FAR/128" dev lo
for n in b c; do
	wait_until 10 nsx $n ip -6 route replace default via "$LL_R1B" dev "$(ifname $n)" ||
		it_fail "$n: default route via $LL_R1B"
done

# --- router advertisement: a default route and an address for a ---
has_ra_route() { nsx a ip -6 route show default | grep -q "via $LL_R1A .*proto ra"; }
if wait_until 20 has_ra_route; then
	it_pass "a: default route via r1a's link-local address from its RA"
else
	it_fail "a: no RA default route: $(nsx a ip -6 route 2>&1 | tr '\n' ';')"
fi
it_log "a's routes: $(nsx a ip -6 route | tr '\n' ';')"
assert_match "a: the prefix on-link from the RA" "2001:db8:1::/64 .*proto ra" \
	"$(nsx a ip -6 route)"
# and past duplicate address detection: a tentative address answers no NS, so
# the router could not deliver the first echo reply to it
has_slaac() {
	nsx a ip -6 addr show dev "$(ifname a)" scope global | grep "2001:db8:1:" | grep -qv tentative
}
wait_until 10 has_slaac
assert_match "a: a SLAAC address from the prefix (EUI-64 of its MAC)" \
	"2001:db8:1:0:49:54ff:fe00:a/64" "$(nsx a ip -6 addr show dev "$(ifname a)")"

# --- the link-local addresses answer ---
ping_check "ping -6 a -> r1a's link-local address" a "$LL_R1A%$(ifname a)"
ping_check "ping -6 b -> r1b's link-local address" b "$LL_R1B%$(ifname b)"
assert_eq "b learned r1b's MAC for its link-local address" "02:52:00:00:00:02" \
	"$(nsx b ip -6 neigh show "$LL_R1B" dev "$(ifname b)" | awk '{print $3}')"

# --- routed: default routes to link-local gateways, a link-local next hop ---
ping_check "ping -6 a -> b (a: RA default route; b: a link-local gateway)" a "$H6B"
ping_check "ping -6 a -> $FAR via the link-local next hop fe80::c" a "$FAR"
out=$(nsx a ping -6 -n -c 1 -W 2 "$FAR" 2>&1)
assert_match "... one router on the way (hop limit 64 - 1)" "ttl=63" "$out"
neigh=$(rpc_ok neigh.show '{"router":"r1"}')
assert_match "neigh.show: the router resolved fe80::c" "fe80::c" "$neigh"

st=$(rpc_ok router.stats '{"router":"r1"}')
assert_ge "router.stats: router advertisements sent" 1 "$(jget "$st" ra_sent)"
assert_ge "router.stats: NS answered (r1b's link-local address)" 1 "$(jget "$st" nd_answered)"
assert_ge "router.stats: NS sent (for fe80::c)" 1 "$(jget "$st" nd_sent)"

it_finish
