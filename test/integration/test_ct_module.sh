#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The conntrack module in the daemon (doc/conntrack.md "The module"): the
# table sized by --ct-max, ct.stats/ct.list/ct.flush through the socket,
# ct_zone objects in the store and the config document, the module's
# counters per PMD in stats.get, forwarding unaffected while nothing emits
# ct; then the switch made stateful ("conntrack": {"zone": 5}): ping and an
# 8 MiB TCP transfer between the namespaces still work, ct.list shows the
# connections in zone 5, flow.trace shows ct + recirculate and the second
# pass matching ct_state.
set -o pipefail
. "$(dirname "$0")/lib.sh"
it_init ctm

two_hosts_start --ct-max 5000

st=$(rpc_ok ct.stats)
assert_eq "ct.stats: the table has --ct-max entries" "5000" "$(jget "$st" max_conns)"
assert_eq "ct.stats: empty" "0" "$(jget "$st" conns)"

rpc_ok ct_zone.add '{"zone":7,"limit":100,"tcp_liberal":true,"timeouts":{"udp_unreplied":5}}' >/dev/null
z=$(rpc_ok ct_zone.get '{"zone":7}')
assert_has "ct_zone.get: the limit" "$z" limit=100
cfg=$(rpc_ok config.get)
assert_match "config.get: the ct_zones section holds zone 7" '"zone": *7' "$(jget "$cfg" ct_zones)"
assert_fails "ct_zone.add: a zero timeout is refused" rpc_ok ct_zone.add '{"zone":8,"timeouts":{"icmp":0}}'

ping_check "ping a -> b (no stage emits ct)" a "$IP_B"
s=$(rpc_ok stats.get)
assert_eq "stats.get: the ct module's counters per PMD (nothing tracked)" "0" \
	"$(jget "$s" pmds.0.modules.ct.hit)"
assert_eq "stats.get: refusals counted by name" "0" "$(jget "$s" pmds.0.modules.ct.refused_global_limit)"
l=$(rpc_ok ct.list '{"zone":7}')
assert_eq "ct.list: no connections" "" "$(jget "$l" conns.0 2>/dev/null)"
assert_eq "ct.flush: nothing" "0" "$(jget "$(rpc_ok ct.flush)" flushed)"

rpc_ok switch.set '{"name":"sw0","conntrack":{"zone":5}}' >/dev/null
ping_check "stateful switch: ping a -> b" a "$IP_B"
tcp_xfer_check "stateful switch: 8 MiB a -> b" a b "$IP_B" 8
l=$(rpc_ok ct.list '{"zone":5,"port":5001}')
assert_match "ct.list: the TCP connection to port 5001 in zone 5" '"dport": *5001' "$l"
assert_match "ct.list: it is TCP" '"proto": *"tcp"' "$l"
l=$(rpc_ok ct.list '{"zone":5,"proto":1}')
assert_match "ct.list: the ping's ICMP connection" '"zone": *5' "$l"
s=$(rpc_ok stats.get)
assert_ge "stats.get: the ct module created connections" 2 \
	"$("${RPC[@]}" sum "$s" created)"
# A TCP SYN a -> b port 40000 -> 5001 as a frame (checksums do not matter to ct).
syn=$("$PY" - "$MAC_A" "$MAC_B" "$IP_A" "$IP_B" <<'PYEOF'
import socket, struct, sys
sm, dm, si, di = sys.argv[1:5]
mac = lambda m: bytes(int(x, 16) for x in m.split(":"))
tcp = struct.pack("!HHIIBBHHH", 40000, 5001, 1, 0, 5 << 4, 0x02, 1000, 0, 0)
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 1, 0, 64, 6, 0,
                 socket.inet_aton(si), socket.inet_aton(di))
print((mac(dm) + mac(sm) + b"\x08\x00" + ip + tcp).hex())
PYEOF
)
tr=$(rpc_ok flow.trace "{\"in_port\":\"pa\",\"packet\":\"$syn\"}")
assert_match "flow.trace: ct that recirculates on the first pass" \
	'ct\(zone=5,commit,recirc=0x[0-9a-f]+\)' "$(jget "$tr" passes.0.actions)"
assert_match "flow.trace: the second pass's megaflow matches ct_state +new+trk" \
	'ct_state=\+new-est-rel-rpl-inv\+trk' "$(jget "$tr" passes.1.megaflow)"
assert_match "flow.trace: and switches the packet to b" 'output\(port=(pb|1)\)' \
	"$(jget "$tr" passes.1.actions)"
assert_eq "a trace commits nothing" "" \
	"$(jget "$(rpc_ok ct.list '{"zone":5,"port":40000}')" conns.0 2>/dev/null)"

it_finish
