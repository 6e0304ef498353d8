#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Ports added and removed at run time do not disturb the others: while host
# a pings host b every 5 ms, a third port (tap in namespace c) is added and
# removed six times, by port.add/port.del and by config.apply, and each time
# it is added it must forward (a pings c). The a <-> b ping must lose nothing.
set -o pipefail
. "$(dirname "$0")/lib.sh"
it_init pc

CYCLES=6
two_hosts_start
ns_add c
IP_C=198.18.1.3
# c keeps one MAC across its incarnations, as a guest re-plugged into the
# switch would: a's neighbour entry stays valid, so a -> c only works if
# edgevs forgot what it had learned on the removed port.
MAC_C=02:49:54:00:00:0c

ping_check "warm-up ping a -> b" a "$IP_B"

# The ping that must not lose anything: 4000 x 5 ms = 20 s at least, longer
# than the churn below.
plog=$IT_TMP/ping.txt
it_bg ppid nsx a ping -n -q -c 4000 -i 0.005 -W 5 "$IP_B" >"$plog" 2>&1
sleep 0.5

doc0=$(rpc_ok config.get)
for i in $(seq 1 $CYCLES); do
	ifc=$(ifname c$i)
	port="{\"name\":\"pc\",\"type\":\"ethdev\",\"devargs\":\"net_tap9,iface=$ifc\",\"switch\":\"sw0\"}"
	if [ $((i % 2)) -eq 1 ]; then
		how="port.add"
		r=$(rpc port.add "$port")
		jget "$r" result >/dev/null || it_fail "cycle $i: port.add: $r"
	else
		how="config.apply"
		doc=$("$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); d["ports"].append(json.loads(sys.argv[2])); print(json.dumps({"config": d}))' "$doc0" "$port")
		r=$(rpc config.apply "$doc")
		jget "$r" result >/dev/null || it_fail "cycle $i: config.apply (add): $r"
	fi
	assert_has "cycle $i: $how: pc listed" "$(rpc_ok port.list)" name=pc
	link_to_ns "$ifc" c "$IP_C/24" "$MAC_C"
	ping_check "cycle $i: the new port forwards (a -> c)" a "$IP_C" -c 3 -i 0.1
	if [ $((i % 2)) -eq 1 ]; then
		r=$(rpc port.del '{"name":"pc"}')
		jget "$r" result >/dev/null || it_fail "cycle $i: port.del: $r"
	else
		r=$(rpc config.apply "{\"config\":$doc0}")
		jget "$r" result >/dev/null || it_fail "cycle $i: config.apply (remove): $r"
	fi
	assert_hasnt "cycle $i: pc gone from port.list" "$(rpc_ok port.list)" name=pc
	wait_until 10 bash -c "! ip -n $(nsname c) link show dev $ifc" ||
		it_fail "cycle $i: tap $ifc still exists after the port was removed"
done
kill -0 "$ppid" 2>/dev/null ||
	it_fail "the a -> b ping ended before the churn did: the test proved nothing (make it longer)"
it_wait "$ppid"
read -r tx rx < <(ping_counts "$plog")
assert_ge "a -> b pings sent during the churn" 4000 "$tx"
assert_eq "a -> b pings answered (zero loss while ports come and go)" "$tx" "$rx"
assert_eq "config.get is back to the start" "$(jcanon "$doc0")" "$(jcanon "$(rpc_ok config.get)")"

it_finish
