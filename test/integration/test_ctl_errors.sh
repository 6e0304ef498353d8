#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The control socket under bad input, while traffic flows between a and b:
# malformed JSON, invalid requests, unknown methods, invalid params (wrong
# type, unknown field, missing field, bad MAC), conflicts and missing objects
# each get the right JSON-RPC code and data.path, and leave the state exactly
# as it was (config.get and port.list identical before and after). Also:
# notifications get no reply, oversized lines and deep nesting get an error
# and the connection goes on, pipelined requests are answered in order,
# several clients at once (with an idle and a vanished one) are all served,
# and edgevsctl's exit codes (0 ok, 1 server error, 2 usage/connection).
# The a -> b ping that runs through all of it must lose nothing.
set -o pipefail
. "$(dirname "$0")/lib.sh"
it_init ce

two_hosts_start
ping_check "ping a -> b before the abuse" a "$IP_B"
plog=$IT_TMP/ping.txt
it_bg ppid nsx a ping -n -q -c 1000 -i 0.02 -W 5 "$IP_B" >"$plog" 2>&1

hello=$("${RPC[@]}" hello "$EVS_SOCK")
assert_eq "hello carries the daemon's pid" "$EVS_PID" "$(jget "$hello" params.pid)"
assert_match "hello carries an api_version" '^[0-9]' "$(jget "$hello" params.api_version)"

doc0=$(jcanon "$(rpc_ok config.get)")
ports0=$(jcanon "$(rpc_ok port.list)")
# unchanged WHAT: config.get and port.list are what they were at the start.
unchanged() {
	assert_eq "$1: config.get unchanged" "$doc0" "$(jcanon "$(rpc_ok config.get)")"
	assert_eq "$1: port.list unchanged" "$ports0" "$(jcanon "$(rpc_ok port.list)")"
}
raw() { "${RPC[@]}" raw "$EVS_SOCK" "$1"; }
V='"jsonrpc":"2.0"'

# --- not JSON / not a request -------------------------------------------
expect_error "truncated JSON" -32700 - "$(raw "{$V,\"id\":1,\"method\":")"
expect_error "garbage line" -32700 - "$(raw 'hello there')"
expect_error "invalid UTF-8" -32700 - "$(raw "hex:7b226a736f6e727063223a22322e30222c226964223a312c226d6574686f64223a22ff227d")"
expect_error "arrays nested 40000 deep" -32700 - "$(raw deep:40000)"
expect_error "JSON that is not an object" -32600 - "$(raw '"version"')"
expect_error "no jsonrpc member" -32600 - "$(raw '{"id":1,"method":"version"}')"
expect_error "jsonrpc 1.0" -32600 - "$(raw '{"jsonrpc":"1.0","id":1,"method":"version"}')"
expect_error "no method" -32600 - "$(raw "{$V,\"id\":1}")"
expect_error "method not a string" -32600 - "$(raw "{$V,\"id\":1,\"method\":42}")"
r=$(raw "{$V,\"id\":\"abc\",\"method\":\"no.such.method\"}")
expect_error "unknown method" -32601 - "$r"
assert_eq "the error echoes a string id" "abc" "$(jget "$r" id)"
r=$(raw "{$V,\"id\":1,\"method\":")
assert_eq "a parse error has id null" "null" "$(jget "$r" id)"
assert_ok "notifications (even failing ones) get no reply" "${RPC[@]}" notify "$EVS_SOCK"
unchanged "after malformed requests"

# --- invalid params -------------------------------------------------------
expect_error "port.add: name of the wrong type" -32602 /params/name \
	"$(rpc port.add "{\"name\":1,\"type\":\"ethdev\",\"devargs\":\"net_tap5,iface=$(ifname x)\",\"switch\":\"sw0\"}")"
expect_error "port.add: unknown field" -32602 /params/colour \
	"$(rpc port.add "{\"name\":\"px\",\"type\":\"ethdev\",\"devargs\":\"net_tap5,iface=$(ifname x)\",\"switch\":\"sw0\",\"colour\":\"red\"}")"
expect_error "port.add: missing name" -32602 /params/name \
	"$(rpc port.add "{\"type\":\"ethdev\",\"devargs\":\"net_tap5,iface=$(ifname x)\",\"switch\":\"sw0\"}")"
expect_error "port.add: ethdev without devargs" -32602 /params/devargs \
	"$(rpc port.add '{"name":"px","type":"ethdev","switch":"sw0"}')"
expect_error "port.add: unknown type" -32602 /params/type \
	"$(rpc port.add "{\"name\":\"px\",\"type\":\"nic\",\"devargs\":\"net_tap5,iface=$(ifname x)\",\"switch\":\"sw0\"}")"
expect_error "port.add: VLAN 4095" -32602 /params/vlans/0/vlan \
	"$(rpc port.add "{\"name\":\"px\",\"type\":\"ethdev\",\"devargs\":\"net_tap5,iface=$(ifname x)\",\"vlans\":[{\"vlan\":4095,\"switch\":\"sw0\"}]}")"
expect_error "port.add: vhost-user with a relative path" -32602 /params/path \
	"$(rpc port.add '{"name":"px","type":"vhost-user","path":"rel.sock","mode":"server","switch":"sw0"}')"
expect_error "port.del: missing name" -32602 /params/name "$(rpc port.del '{}')"
expect_error "port.del: unknown field" -32602 /params/force "$(rpc port.del '{"name":"pa","force":true}')"
expect_error "params not an object" "-32602|-32600" /params "$(rpc port.del '["pa"]')"
expect_error "switch.add: max_macs of the wrong type" -32602 /params/max_macs \
	"$(rpc switch.add '{"name":"swx","max_macs":"many"}')"
expect_error "mac.add: bad MAC" -32602 /params/mac \
	"$(rpc mac.add '{"switch":"sw0","mac":"02:00:00:00:00:zz","port":"pa"}')"
expect_error "mac.add: MAC too short" -32602 /params/mac \
	"$(rpc mac.add '{"switch":"sw0","mac":"02:00:00:00:00","port":"pa"}')"
expect_error "mac.add: multicast MAC cannot be static" -32602 /params/mac \
	"$(rpc mac.add '{"switch":"sw0","mac":"01:00:5e:00:00:01","port":"pa"}')"
expect_error "mac.add: missing port" -32602 /params/port \
	"$(rpc mac.add '{"switch":"sw0","mac":"02:00:00:00:00:01"}')"
expect_error "config.apply: config not an object" -32602 /params/config \
	"$(rpc config.apply '{"config":[]}')"
expect_error "config.apply: unknown field deep inside" -32602 /params/config/ports/1/speed \
	"$(rpc config.apply "{\"config\":$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); d["ports"][1]["speed"]=10; print(json.dumps(d))' "$CONF")}")"
unchanged "after invalid params"

# --- conflicts and missing objects -----------------------------------------
expect_error "port.add: duplicate port name" -32000 /params/name \
	"$(rpc port.add "{\"name\":\"pa\",\"type\":\"ethdev\",\"devargs\":\"net_tap5,iface=$(ifname x)\",\"switch\":\"sw0\"}")"
expect_error "switch.add: duplicate switch" -32000 /params/name "$(rpc switch.add '{"name":"sw0"}')"
expect_error "switch.del: switch in use by a port" -32000 /params/name "$(rpc switch.del '{"name":"sw0"}')"
expect_error "port.del: no such port" -32001 /params/name "$(rpc port.del '{"name":"nope"}')"
expect_error "port.stats: no such port" -32001 /params/name "$(rpc port.stats '{"name":"nope"}')"
expect_error "switch.del: no such switch" -32001 /params/name "$(rpc switch.del '{"name":"nope"}')"
expect_error "port.add: no such switch" -32001 /params/switch \
	"$(rpc port.add "{\"name\":\"px\",\"type\":\"ethdev\",\"devargs\":\"net_tap5,iface=$(ifname x)\",\"switch\":\"nope\"}")"
expect_error "mac.add: no such switch" -32001 /params/switch \
	"$(rpc mac.add '{"switch":"nope","mac":"02:00:00:00:00:01","port":"pa"}')"
expect_error "mac.add: no such port" -32001 /params/port \
	"$(rpc mac.add '{"switch":"sw0","mac":"02:00:00:00:00:01","port":"nope"}')"
expect_error "mac.del: no such entry" -32001 /params/mac \
	"$(rpc mac.del '{"switch":"sw0","mac":"02:00:00:00:00:99"}')"
expect_error "port.add: a device that cannot be created" -32003 - \
	"$(rpc port.add '{"name":"px","type":"ethdev","devargs":"net_nosuchdriver0","switch":"sw0"}')"
assert_eq "no interface left behind by failed adds" "" "$(ip -o link show | grep -o "$(ifname x)")"
unchanged "after conflicts and missing objects"

# --- the socket itself ------------------------------------------------------
r=$("${RPC[@]}" oversize "$EVS_SOCK" $((1536 * 1024)))
# Past max_line (1 MiB) only admins may send a line (root is): it is parsed and
# checked like any request (version takes no params). test_access.sh has the
# non-admin side.
expect_error "a 1.5 MiB line from an admin is parsed" -32602 /params/x "$(echo "$r" | head -n 1)"
assert_eq "the connection serves the next request after a large line" "8" \
	"$(jget "$(echo "$r" | sed -n 2p)" id)"
assert_match "and answers it" '"result"' "$(echo "$r" | sed -n 2p)"
assert_ok "100 pipelined requests answered in order" "${RPC[@]}" pipeline "$EVS_SOCK" 100
assert_ok "20 clients at once (plus an idle and a vanished one)" "${RPC[@]}" clients "$EVS_SOCK" 20
l=$(rpc_ok list)
for m in version stats.get port.add port.del port.list port.stats switch.add switch.del \
	switch.list mac.add mac.del mac.list mac.flush config.get config.apply config.save list help; do
	assert_match "list has $m" "\"$m\"" "$l"
done
h=$(rpc_ok help '{"method":"port.add"}')
assert_eq "help port.add names the method" "port.add" "$(jget "$h" name)"
assert_match "help port.add gives its usage" "name=" "$(jget "$h" usage)"
assert_match "help port.add says what it does" "[A-Za-z]" "$(jget "$h" help)"
expect_error "help for an unknown method" -32001 - "$(rpc help '{"method":"no.such"}')"
unchanged "after socket abuse"

# --- edgevsctl ---------------------------------------------------------------
if [ -x "$EDGEVSCTL" ]; then
	out=$(ctl --json version 2>&1)
	assert_eq "edgevsctl --json version: exit 0" 0 $?
	assert_eq "edgevsctl --json version: JSON with a version" "$(jget "$(rpc_ok version)" version)" \
		"$(jget "$out" version 2>/dev/null || jget "$out" result.version)"
	out=$(ctl port list 2>&1)
	assert_eq "edgevsctl port list: exit 0" 0 $?
	assert_match "edgevsctl port list shows pa and pb" "pa.*pb|pb.*pa" "$(echo $out)"
	err=$(ctl port del name=nope 2>&1 >/dev/null)
	assert_eq "edgevsctl port del name=nope: exit 1" 1 $?
	assert_match "edgevsctl prints the server's message on stderr" "nope" "$err"
	ctl no such >/dev/null 2>&1
	assert_eq "edgevsctl unknown method: exit 1" 1 $?
	"$EDGEVSCTL" -s "$IT_TMP/absent.sock" version >/dev/null 2>&1
	assert_eq "edgevsctl with no daemon behind the socket: exit 2" 2 $?
	"$EDGEVSCTL" -s "$EVS_SOCK" --no-such-option version >/dev/null 2>&1
	assert_eq "edgevsctl with a bad option: exit 2" 2 $?
	assert_ok "edgevsctl port add name=pz devargs=... switch=sw0" \
		ctl port add name=pz "devargs=net_tap6,iface=$(ifname z)" switch=sw0 queues=1
	assert_has "pz is in port.list" "$(rpc_ok port.list)" name=pz
	assert_ok "edgevsctl port del name=pz" ctl port del name=pz
	assert_ok "edgevsctl --json call config.apply (the starting document)" \
		ctl --json call config.apply "{\"config\":$doc0}"
	out=$(ctl --json call config.get)
	assert_eq "edgevsctl --json call config.get = config.get" "$doc0" \
		"$(jcanon "$(jget "$out" result 2>/dev/null || echo "$out")")"
	unchanged "after edgevsctl"
else
	it_fail "edgevsctl not built ($EDGEVSCTL)"
fi

# --- forwarding went on ----------------------------------------------------
evs_alive || it_die "the daemon died"
ping_check "ping a -> b after the abuse" a "$IP_B"
it_wait "$ppid"
read -r tx rx < <(ping_counts "$plog")
assert_ge "background pings sent" 1000 "$tx"
assert_eq "background pings answered (no loss while the socket was abused)" "$tx" "$rx"

it_finish
