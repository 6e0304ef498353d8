#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Security groups at the vNIC (doc/firewall.md), driven only through the
# socket, with real TCP/UDP/ICMP between three namespaces on one switch:
# a (client), b (the web server, group "web"), c (another client).
# Allowed TCP/UDP/ICMP pass; a denied port times out although a server
# listens; reject answers TCP with a reset and UDP with ICMP port
# unreachable (seen by tcpdump in a); replies to a's allowed outbound pass
# while unsolicited inbound to a is dropped; removing a rule under traffic
# cuts new connections and keeps (or, with kill_on_delete, ends) the
# established ones; a full zone refuses new connections (counted) while
# established ones flow; a tag given to a port moves it into a remote group
# live; bad objects get clear errors and change nothing.
set -o pipefail
. "$(dirname "$0")/lib.sh"
it_init fw
it_require_cmd tcpdump

IP_C=198.18.1.3
MAC_C=02:49:54:00:00:0c
PROBE=("$PY" "$IT_DIR/test_fw_probe.py")
ZONE=65520

CONF=$IT_TMP/config.json
cat >"$CONF" <<JSON
{
  "switches": [ { "name": "sw0", "mac_aging": 300, "max_macs": 8192 } ],
  "ports": [
    { "name": "pa", "type": "ethdev", "devargs": "net_tap0,iface=$(ifname a)", "switch": "sw0" },
    { "name": "pb", "type": "ethdev", "devargs": "net_tap1,iface=$(ifname b)", "switch": "sw0" },
    { "name": "pc", "type": "ethdev", "devargs": "net_tap2,iface=$(ifname c)", "switch": "sw0" }
  ]
}
JSON
ns_add a b c
evs_start d "$CONF"
link_to_ns "$(ifname a)" a "$IP_A/24" "$MAC_A"
link_to_ns "$(ifname b)" b "$IP_B/24" "$MAC_B"
link_to_ns "$(ifname c)" c "$IP_C/24" "$MAC_C"
V6_A=fd00:1::a
V6_B=fd00:1::b
for n in a b; do # ns_add turns IPv6 off; these two speak it
	nsx $n sysctl -qw net.ipv6.conf.all.disable_ipv6=0 "net.ipv6.conf.$(ifname $n).disable_ipv6=0" >/dev/null
done
nsx a ip addr add "$V6_A/64" dev "$(ifname a)" nodad
nsx b ip addr add "$V6_B/64" dev "$(ifname b)" nodad

probe() { nsx "$1" "${PROBE[@]}" "${@:2}"; }
# refused WHAT CODE TEXT METHOD PARAMS: the call fails with CODE and a message holding TEXT.
refused() {
	local r
	r=$(rpc "$4" "$5")
	assert_eq "$1: code" "$2" "$(jget "$r" error.code)"
	assert_match "$1: message" "$3" "$(jget "$r" error.message)"
}
# grows FILE N: FILE has at least N "ok" lines.
grows() { [ "$(grep -c ok "$1")" -ge "$2" ]; }
# eventually WHAT SECONDS CMD...: CMD succeeds within SECONDS.
eventually() {
	local what=$1
	shift
	if wait_until "$@"; then it_pass "$what"; else it_fail "$what: not within $1 s"; fi
}
for p in 5001 5002 5003 5004 7001; do
	it_bg srv nsx b "${PROBE[@]}" serve $p
done
it_bg srv nsx a "${PROBE[@]}" serve 6001
sleep 0.5

ping_check "no groups: nothing is filtered" a "$IP_B"

# --- objects and their errors ---
rpc_ok fw.group.add '{"name":"web","description":"the web tier"}' >/dev/null
rpc_ok fw.group.add '{"name":"client"}' >/dev/null
refused "a rule prefix with host bits set" -32602 "host bits" fw.rule.add '{"id":99,"group":"web","direction":"ingress","src":"10.0.0.1/24"}'
refused "a rule of a missing group" -32001 "fw.group" fw.rule.add '{"id":99,"group":"nope","direction":"ingress"}'
refused "ports without a port protocol" -32602 "ICMP has no ports" fw.rule.add '{"id":99,"group":"web","direction":"ingress","protocol":"icmp","dport_min":80}'
refused "a port naming a missing group" -32001 "no fw.group" fw.port.add '{"port":"pb","groups":["nope"]}'
assert_eq "failed requests changed nothing" "[]" "$(rpc_ok fw.rule.list)"

rpc_ok transact '{"ops":[
 {"method":"fw.rule.add","params":{"id":10,"group":"web","direction":"ingress","protocol":"icmp"}},
 {"method":"fw.rule.add","params":{"id":11,"group":"web","direction":"ingress","protocol":"tcp","dport_min":5001}},
 {"method":"fw.rule.add","params":{"id":12,"group":"web","direction":"ingress","protocol":"tcp","dport_min":5003,"action":"reject"}},
 {"method":"fw.rule.add","params":{"id":13,"group":"web","direction":"ingress","protocol":"udp","dport_min":5004,"action":"reject"}},
 {"method":"fw.rule.add","params":{"id":14,"group":"web","direction":"ingress","protocol":"udp","dport_min":5001}},
 {"method":"fw.rule.add","params":{"id":16,"group":"web","direction":"egress","protocol":"tcp"}},
 {"method":"fw.rule.add","params":{"id":20,"group":"client","direction":"egress"}},
 {"method":"fw.port.add","params":{"port":"pb","addresses":["'"$IP_B"'","'"$V6_B"'"],"tags":["web"],"groups":["web"]}},
 {"method":"fw.port.add","params":{"port":"pa","addresses":["'"$IP_A"'","'"$V6_A"'"],"groups":["client"]}}
]}' >/dev/null
refused "a group in use cannot go" -32000 "in use" fw.group.del '{"name":"client"}'
assert_match "fw.port.get: filtered" '"filtered": *true' "$(rpc_ok fw.port.get '{"port":"pb"}')"
assert_match "config.get: the fw_rules section" '"id": *16' "$(jget "$(rpc_ok config.get)" fw_rules)"

# --- allowed, denied, rejected ---
ping_check "ingress ICMP allowed: ping a -> b" a "$IP_B"
ping_check "c (no fw.port) -> b: b's ingress ICMP rule allows any source" c "$IP_B"
assert_eq "TCP 5001 allowed" "ok" "$(probe a connect "$IP_B" 5001)"
assert_eq "UDP 5001 allowed (the echo comes back on state)" "reply" "$(probe a udp "$IP_B" 5001)"
assert_eq "TCP 5002 denied: times out although b listens" "timeout" "$(probe a connect "$IP_B" 5002 2)"
# IPv6: neighbour discovery passes unfiltered, the rules apply to the rest
assert_eq "IPv6 TCP 5001 allowed (after neighbour discovery)" "ok" "$(probe a connect "$V6_B" 5001 3)"
assert_eq "IPv6 TCP 5002 denied" "timeout" "$(probe a connect "$V6_B" 5002 2)"
assert_eq "IPv6 UDP 5004 rejected: ICMPv6 port unreachable" "unreachable" \
	"$(probe a udp "$V6_B" 5004 2)"
# DNAT: c (not filtered) reaches b's 5001 at a public address; b's ingress
# rules see the translated destination, so a DNAT to 5002 stays denied
VIP=198.18.1.200
nsx c ip neigh replace "$VIP" lladdr "$MAC_B" dev "$(ifname c)" nud permanent
rpc_ok fw.dnat.add "{\"name\":\"web\",\"address\":\"$VIP\",\"protocol\":\"tcp\",\"port\":80,\"to\":\"$IP_B\",\"to_port\":5001}" >/dev/null
rpc_ok fw.dnat.add "{\"name\":\"hidden\",\"address\":\"$VIP\",\"protocol\":\"tcp\",\"port\":81,\"to\":\"$IP_B\",\"to_port\":5002}" >/dev/null
refused "one DNAT per public address and port" -32000 "already translates" fw.dnat.add \
	"{\"name\":\"dup\",\"address\":\"$VIP\",\"protocol\":\"tcp\",\"port\":80,\"to\":\"$IP_A\"}"
assert_eq "DNAT: c -> $VIP:80 reaches b:5001" "ok" "$(probe c connect "$VIP" 80)"
assert_eq "DNAT: c -> $VIP:81 is b:5002, which b's rules deny" "timeout" "$(probe c connect "$VIP" 81 2)"
l=$(rpc_ok ct.list "{\"zone\":$ZONE,\"port\":80}")
assert_match "ct.list: the DNAT connection, answered by b:5001, marked with rule 11" \
	"\"mark\": *11,.*\"reply\": *\\{\"dport\": *[0-9]+, *\"dst\": *\"$IP_C\", *\"sport\": *5001, *\"src\": *\"$IP_B\"" "$l"
rpc_ok fw.dnat.del '{"name":"web"}' >/dev/null
rpc_ok fw.dnat.del '{"name":"hidden"}' >/dev/null
cap=$IT_TMP/reject.pcap
it_bg tcpd nsx a timeout 8 tcpdump -c 2 -n -U -i "$(ifname a)" -w "$cap" "src host $IP_B and (tcp[tcpflags] & tcp-rst != 0 or icmp)"
sleep 1
assert_eq "TCP 5003 rejected: connection refused although b listens" "refused" \
	"$(probe a connect "$IP_B" 5003 2)"
assert_eq "UDP 5004 rejected: ICMP port unreachable although b listens" "unreachable" \
	"$(probe a udp "$IP_B" 5004 2)"
it_wait "$tcpd" # two packets, or the timeout
rd=$(tcpdump -n -r "$cap" 2>/dev/null)
assert_match "tcpdump: the reset came from b's address, port 5003" "$IP_B\.5003 > $IP_A\.[0-9]+: Flags \[R" "$rd"
assert_match "tcpdump: the ICMP port unreachable quoting UDP 5004" "$IP_B > $IP_A: ICMP $IP_B udp port 5004 unreachable" "$rd"
s=$(rpc_ok stats.get)
assert_ge "stats.get: two reject answers sent" 2 "$(jget "$s" pmds.0.modules.fw.reject_sent)"
assert_ge "stats.get: denied packets counted by reason" 1 "$(jget "$s" drops_by_owner.fw.fw_deny)"
lg=$(rpc_ok fw.log)
assert_match "fw.log: the default deny of port 5002" '"dport": *5002' "$lg"
assert_match "fw.log: the reject by rule 12" '"rule": *12' "$lg"
assert_ge "fw.rule.get: hits of rule 11" 1 "$(jget "$(rpc_ok fw.rule.get '{"id":11}')" hits)"
l=$(rpc_ok ct.list "{\"zone\":$ZONE,\"port\":5001}")
assert_match "ct.list: the allowed connection in the firewall's zone, marked with rule 11" '"mark": *11' "$l"

# --- stateful: replies of allowed outbound pass, unsolicited inbound dropped ---
assert_eq "b -> a TCP 6001: b's egress allows, a's ingress has no rule: dropped" "timeout" \
	"$(probe b connect "$IP_A" 6001 2)"
assert_eq "a -> b again: a's egress and b's ingress allow, the replies pass" "ok" \
	"$(probe a connect "$IP_B" 5001)"
syn=$("$PY" - "$MAC_A" "$MAC_B" "$IP_A" "$IP_B" <<'PYEOF'
import socket, struct, sys
sm, dm, si, di = sys.argv[1:5]
mac = lambda m: bytes(int(x, 16) for x in m.split(":"))
tcp = struct.pack("!HHIIBBHHH", 40000, 5002, 1, 0, 5 << 4, 0x02, 1000, 0, 0)
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 1, 0, 64, 6, 0,
                 socket.inet_aton(si), socket.inet_aton(di))
print((mac(dm) + mac(sm) + b"\x08\x00" + ip + tcp).hex())
PYEOF
)
tr=$(rpc_ok flow.trace "{\"in_port\":\"pa\",\"packet\":\"$syn\"}")
assert_match "flow.trace: ct that recirculates on the first pass" "ct\\(zone=$ZONE,recirc=0x4657,continue\\+known\\)" \
	"$(jget "$tr" passes.0.actions)"
assert_match "flow.trace: the rule that decided and ct_state" \
	'ct_state 0x21 \(new\): egress of port 0: allow by rule 20; ingress of port 1 \(by dst\): deny by rule 0' "$tr"
# the destination's port is looked up per packet: one megaflow for new
# connections to every address, not one each
assert_match "flow.trace: the fw opcode on the second pass" 'fw\(src_port=0,dst_port=by_dst' \
	"$(jget "$tr" passes.1.actions)"

# --- rule removal under traffic ---
h1=$IT_TMP/hold1
it_bg hold1 nsx a "${PROBE[@]}" hold "$IP_B" 5001 "$h1"
eventually "an established connection exchanges data" 10 grep -q "ok 5" "$h1"
rpc_ok fw.rule.del '{"id":11}' >/dev/null
assert_eq "rule 11 deleted: a new connection to 5001 times out" "timeout" \
	"$(probe a connect "$IP_B" 5001 2)"
eventually "kill_on_delete false: the established connection keeps flowing" 5 \
	grows "$h1" $(($(grep -c ok "$h1") + 3))
rpc_ok fw.rule.add '{"id":17,"group":"web","direction":"ingress","protocol":"tcp","dport_min":5001,"kill_on_delete":true}' >/dev/null
h2=$IT_TMP/hold2
it_bg hold2 nsx a "${PROBE[@]}" hold "$IP_B" 5001 "$h2"
eventually "a connection under rule 17 exchanges data" 10 grep -q "ok 5" "$h2"
rpc_ok fw.rule.del '{"id":17}' >/dev/null
eventually "kill_on_delete: the connection rule 17 allowed is cut" 10 grep -q dead "$h2"
eventually "and the one rule 11 allowed still flows" 5 grows "$h1" $(($(grep -c ok "$h1") + 3))
assert_eq "hold1 still alive" "" "$(grep dead "$h1")"

# --- a full zone refuses new connections, established ones flow ---
rpc_ok fw.rule.add '{"id":40,"group":"web","direction":"ingress","protocol":"tcp","dport_min":5002}' >/dev/null
rpc_ok ct_zone.add "{\"zone\":$ZONE}" >/dev/null
n0=$(jget "$(rpc_ok ct_zone.get "{\"zone\":$ZONE}")" conns)
rpc_ok ct_zone.set "{\"zone\":$ZONE,\"limit\":$((n0 + 1))}" >/dev/null
assert_eq "zone limit: one more connection fits" "ok" "$(probe a connect "$IP_B" 5002)"
assert_eq "zone full: the next is refused (times out)" "timeout" "$(probe a connect "$IP_B" 5002 2)"
assert_ge "refusals counted: drops fw_ct_refused" 1 \
	"$(jget "$(rpc_ok stats.get)" drops_by_owner.fw.fw_ct_refused)"
eventually "zone full: the established connection keeps flowing" 5 \
	grows "$h1" $(($(grep -c ok "$h1") + 3))
rpc_ok ct_zone.del "{\"zone\":$ZONE}" >/dev/null
assert_eq "limit gone: new connections again" "ok" "$(probe a connect "$IP_B" 5002)"
rpc_ok fw.rule.del '{"id":40}' >/dev/null

# --- a tag moves a port into a remote group live ---
rpc_ok fw.rule.add '{"id":30,"group":"web","direction":"ingress","protocol":"tcp","dport_min":7001,"src_tag":"trusted"}' >/dev/null
assert_eq "7001 only from ports tagged trusted: a is not" "timeout" "$(probe a connect "$IP_B" 7001 2)"
rpc_ok fw.port.set '{"port":"pa","tags":["trusted"]}' >/dev/null
assert_eq "a tagged trusted: 7001 allowed" "ok" "$(probe a connect "$IP_B" 7001)"
rpc_ok fw.port.set '{"port":"pa","tags":[]}' >/dev/null
assert_eq "the tag removed: denied again" "timeout" "$(probe a connect "$IP_B" 7001 2)"

# --- ungrouping ---
rpc_ok fw.port.del '{"port":"pb"}' >/dev/null
rpc_ok fw.port.del '{"port":"pa"}' >/dev/null
assert_eq "no groups any more: 5002 answers" "ok" "$(probe a connect "$IP_B" 5002)"
rpc_ok fw.group.del '{"name":"client"}' >/dev/null
assert_eq "a group deleted with its rules" "0" "$(jget "$(rpc_ok fw.rule.list)" 20.id 2>/dev/null || echo 0)"

it_finish
