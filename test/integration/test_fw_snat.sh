#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Source NAT of the firewall's connections (doc/firewall.md, "SNAT"): hosts
# a and c (198.18.1.0/24, switch in, filtered ports) reach x
# (203.0.113.10, switch out) through router r1; x has no route back to
# 198.18.1.0/24, only a neighbour entry for 203.0.113.100, the address an
# fw.snat rule translates the clients to. Without the rule TCP to x fails;
# with it TCP, UDP and ping work, and 8 concurrent connections from both
# clients reach x from 203.0.113.100 with 8 distinct ports (ss on x; the
# same translations in ct.list). Fragmented UDP and ICMP go through SNAT
# both ways (doc/conntrack.md, "Fragments").
set -o pipefail
. "$(dirname "$0")/lib.sh"
it_init fsn
it_require_cmd ss

IP_C=198.18.1.12
IP_A2=198.18.1.11
IP_X=203.0.113.10
NAT=203.0.113.100
GW_I=198.18.1.1
GW_O=203.0.113.1
RMAC_I=02:52:00:00:01:01
RMAC_O=02:52:00:00:01:02
MAC_C=02:49:54:00:00:0c
MAC_X=02:49:54:00:00:1a
PROBE=("$PY" "$IT_DIR/test_fw_probe.py")

CONF=$IT_TMP/config.json
cat >"$CONF" <<JSON
{
  "switches": [ { "name": "in" }, { "name": "out" } ],
  "ports": [
    { "name": "pa", "type": "ethdev", "devargs": "net_tap0,iface=$(ifname a)", "switch": "in" },
    { "name": "pc", "type": "ethdev", "devargs": "net_tap1,iface=$(ifname c)", "switch": "in" },
    { "name": "px", "type": "ethdev", "devargs": "net_tap2,iface=$(ifname x)", "switch": "out" }
  ],
  "routers": [ { "name": "r1" } ],
  "router_ports": [
    { "name": "r1i", "router": "r1", "switch": "in", "mac": "$RMAC_I", "addresses": ["$GW_I/24"] },
    { "name": "r1o", "router": "r1", "switch": "out", "mac": "$RMAC_O", "addresses": ["$GW_O/24"] }
  ],
  "neighbours": [
    { "port": "r1i", "address": "$IP_A2", "mac": "$MAC_A" },
    { "port": "r1i", "address": "$IP_C", "mac": "$MAC_C" },
    { "port": "r1o", "address": "$IP_X", "mac": "$MAC_X" }
  ],
  "fw_groups": [ { "name": "clients" } ],
  "fw_rules": [ { "id": 1, "group": "clients", "direction": "egress" } ],
  "fw_ports": [
    { "port": "pa", "addresses": ["$IP_A2"], "groups": ["clients"] },
    { "port": "pc", "addresses": ["$IP_C"], "groups": ["clients"] }
  ]
}
JSON
ns_add a c x
evs_start d "$CONF"
link_to_ns "$(ifname a)" a "$IP_A2/24" "$MAC_A"
link_to_ns "$(ifname c)" c "$IP_C/24" "$MAC_C"
link_to_ns "$(ifname x)" x "$IP_X/24" "$MAC_X"
for n in a c; do
	nsx $n ip route add default via "$GW_I"
	nsx $n ip neigh replace "$GW_I" lladdr "$RMAC_I" dev "$(ifname $n)" nud permanent
done
# x knows the NAT address only: replies to the clients' own addresses have no route
nsx x ip neigh replace "$NAT" lladdr "$RMAC_O" dev "$(ifname x)" nud permanent
it_bg srv nsx x "${PROBE[@]}" serve 8080
sleep 0.5
probe() { nsx "$1" "${PROBE[@]}" "${@:2}"; }

assert_eq "without SNAT x cannot answer the clients" "timeout" "$(probe a connect "$IP_X" 8080 2)"
rpc_ok fw.snat.add "{\"name\":\"out\",\"src\":\"198.18.1.0/24\",\"to_min\":\"$NAT\"}" >/dev/null
r=$(rpc fw.snat.add '{"name":"bad","src":"198.18.1.0/24","to_min":"2001:db8::1"}')
assert_eq "a range of the wrong family is refused" "-32602" "$(jget "$r" error.code)"
assert_eq "SNAT: a -> x TCP" "ok" "$(probe a connect "$IP_X" 8080)"
assert_eq "SNAT: c -> x UDP (the echo comes back untranslated)" "reply" "$(probe c udp "$IP_X" 8080)"
ping_check "SNAT: ping a -> x (ICMP identifiers translated)" a "$IP_X"
assert_eq "SNAT: c -> x UDP 4000 bytes (3 fragments each way) echoed intact" "intact" \
	"$(probe c udpbig "$IP_X" 8080 4000)"
ping_check "SNAT: ping -s 3000 a -> x (fragmented echoes translated)" a "$IP_X" -s 3000

for i in 1 2 3 4; do
	for n in a c; do
		it_bg h nsx $n "${PROBE[@]}" hold "$IP_X" 8080 "$IT_TMP/hold.$n.$i"
	done
done
ok_all() { for f in "$IT_TMP"/hold.*; do grep -q "ok 3" "$f" || return 1; done; }
if wait_until 15 ok_all; then it_pass "8 concurrent connections exchange data"; else
	it_fail "8 concurrent connections exchange data: $(grep -c ok "$IT_TMP"/hold.* | tr '\n' ' ')"
fi
peers=$(nsx x ss -Htn state established '( sport = :8080 )' | awk '{print $4}')
assert_eq "x sees 8 connections" "8" "$(echo "$peers" | grep -c .)"
assert_eq "all from the NAT address (IPv4-mapped on the dual-stack server)" "8" "$(echo "$peers" | grep -cF "$NAT")"
assert_eq "each with its own port" "8" "$(echo "$peers" | sort -u | grep -c .)"
l=$(rpc_ok ct.list '{"zone":65520,"port":8080}')
nat_ports=$("$PY" - "$l" "$NAT" <<'PYEOF'
import json, sys
conns = json.loads(sys.argv[1])["conns"]
tcp = [c for c in conns if c["orig"].get("dport") == 8080 and c.get("state") == "ESTABLISHED"]
assert all(c["reply"]["dst"] == sys.argv[2] for c in tcp), "a reply not to the NAT address"
print(len(tcp), len({c["reply"]["dport"] for c in tcp}),
      len({c["orig"]["src"] for c in tcp}))
PYEOF
)
assert_eq "ct.list: 8 established, 8 distinct NAT ports, from 2 clients" "8 8 2" "$nat_ports"
rpc_ok fw.snat.del '{"name":"out"}' >/dev/null
assert_eq "SNAT removed: new connections fail again" "timeout" "$(probe c connect "$IP_X" 8080 2)"

it_finish
