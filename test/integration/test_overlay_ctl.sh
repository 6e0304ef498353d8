#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The overlay's objects through the socket (issue 13, step 1):
# - underlay, vtep, tunnel and sa objects added in one transaction;
# - keys are secrets: never in sa.get/sa.list/config.get/sa.stats/errors, and
#   the secrets file is 0600;
# - sa.rekey: make-before-break (the old inbound SA drains), refusals
#   (same SPI, missing SA, bad key) change nothing;
# - a restart from --config restores the SAs with their keys (sa.stats).
set -o pipefail
. "$(dirname "$0")/lib.sh"
it_init ov

CONF=$IT_TMP/host1.json
echo '{}' >"$CONF"
evs_start h1 "$CONF"
KEY1=000102030405060708090a0b0c0d0e0f
KEY2=101112131415161718191a1b1c1d1e1f101112131415161718191a1b1c1d1e1f
KEY3=f0e0d0c0b0a090807060504030201000

rpc_ok transact "{\"ops\":[
	{\"method\":\"port.add\",\"params\":{\"name\":\"up0\",\"devargs\":\"net_tap0,iface=$(ifname u)\"}},
	{\"method\":\"switch.add\",\"params\":{\"name\":\"web\"}},
	{\"method\":\"underlay.add\",\"params\":{\"name\":\"u1\",\"port\":\"up0\",\"address\":\"10.99.0.1\",\"next_hop_mac\":\"02:00:00:00:99:02\"}},
	{\"method\":\"vtep.add\",\"params\":{\"name\":\"h2\",\"underlay\":\"u1\",\"address\":\"10.99.0.2\",\"encrypt\":true}},
	{\"method\":\"tunnel.add\",\"params\":{\"switch\":\"web\",\"vni\":5001,\"encrypt\":true}},
	{\"method\":\"sa.add\",\"params\":{\"vtep\":\"h2\",\"dir\":\"in\",\"spi\":4096,\"key\":\"$KEY1\",\"salt\":\"01020304\"}},
	{\"method\":\"sa.add\",\"params\":{\"vtep\":\"h2\",\"dir\":\"out\",\"spi\":8192,\"key\":\"$KEY1\",\"salt\":\"01020304\"}}]}" >/dev/null
it_pass "underlay, vtep, tunnel and two SAs in one transaction"

r=$(rpc_ok sa.list)
assert_has "sa.list shows the inbound SA" "$r" vtep=h2 dir=in spi=4096 key='<set>'
assert_hasnt "sa.list never shows a key" "$r" key=$KEY1
assert_match "sa.list has its counters" '"packets":0' "$r"
assert_eq "config.get never shows a key" 0 "$(rpc_ok config.get | grep -c "$KEY1")"
assert_has "vtep.get shows the VTEP as written" "$(rpc_ok vtep.get '{"name":"h2"}')" name=h2 address=10.99.0.2 encrypt=true
assert_eq "the secrets file is 0600" 600 "$(stat -c %a "$CONF.secrets")"

# --- refusals change nothing ----------------------------------------------------
g0=$(jget "$(rpc_ok schema)" generation)
expect_error "sa.set with a bad key" -32602 /params/key \
	"$(rpc sa.set '{"vtep":"h2","dir":"in","spi":300,"key":"zz0102030405060708090a0b0c0d0e0f","salt":"01020304"}')"
expect_error "sa.rekey with the current SPI" -32602 /params/in/spi \
	"$(rpc sa.rekey "{\"vtep\":\"h2\",\"in\":{\"spi\":4096,\"key\":\"$KEY2\",\"salt\":\"0a0b0c0d\"}}")"
expect_error "sa.rekey of a VTEP without SAs" -32001 - \
	"$(rpc sa.rekey "{\"vtep\":\"nope\",\"out\":{\"spi\":9000,\"key\":\"$KEY2\",\"salt\":\"0a0b0c0d\"}}")"
r=$(rpc sa.rekey "{\"vtep\":\"h2\",\"in\":{\"spi\":4097,\"key\":\"$KEY2\",\"salt\":\"0a0b0c0d\"},\"out\":{\"spi\":8192,\"key\":\"$KEY2\",\"salt\":\"0a0b0c0d\"}}")
expect_error "a rekey whose out half is bad applies no half" -32602 /params/out/spi "$r"
assert_eq "no error message carries a key" 0 "$(echo "$r" | grep -c "$KEY2")"
assert_eq "the generation did not move" "$g0" "$(jget "$(rpc_ok schema)" generation)"
expect_error "a VNI in use by another switch" -32000 /params/ops/1/params/vni \
	"$(rpc transact '{"ops":[{"method":"switch.add","params":{"name":"db"}},{"method":"tunnel.add","params":{"switch":"db","vni":5001}}]}')"

# --- rekey: the old inbound drains ------------------------------------------------
r=$(rpc_ok sa.rekey "{\"vtep\":\"h2\",\"in\":{\"spi\":4097,\"key\":\"$KEY2\",\"salt\":\"0a0b0c0d\"},\"out\":{\"spi\":8193,\"key\":\"$KEY2\",\"salt\":\"0a0b0c0d\"}}")
assert_eq "sa.rekey: one SA draining" 1 "$(jget "$r" draining)"
s=$(rpc_ok sa.stats '{"vtep":"h2"}')
assert_eq "sa.stats: the new inbound SA" 4097 "$(jget "$s" in.spi)"
assert_eq "sa.stats: the new outbound SA" 8193 "$(jget "$s" out.spi)"
assert_eq "sa.stats: the old inbound drains" 4096 "$(jget "$s" draining.0.spi)"
assert_eq "sa.stats: outbound sequence space" 4294967295 "$(jget "$s" out.seq_remaining)"
assert_eq "sa.stats never shows a key" 0 "$(echo "$s" | grep -c "$KEY2")"
expect_error "sa.stats of an unknown VTEP" -32001 /params/vtep "$(rpc sa.stats '{"vtep":"nope"}')"

# --- restart: SAs and their keys come back from the file and the secrets ------
want=$(jcanon "$(rpc_ok config.get)")
evs_stop h1
assert_eq "the config file has no key" 0 "$(cat "$CONF" "$CONF".journal 2>/dev/null | grep -c "$KEY2")"
evs_start h1b "$CONF"
assert_eq "a restart restores the same document" "$want" "$(jcanon "$(rpc_ok config.get)")"
s=$(rpc_ok sa.stats '{"vtep":"h2"}')
assert_eq "the rekeyed inbound SA is installed after the restart" 4097 "$(jget "$s" in.spi)"
assert_eq "and the outbound one" 8193 "$(jget "$s" out.spi)"
r=$(rpc_ok sa.rekey "{\"vtep\":\"h2\",\"out\":{\"spi\":8194,\"key\":\"$KEY3\",\"salt\":\"0a0b0c0d\"}}")
assert_eq "an outbound-only rekey leaves nothing draining" 0 "$(jget "$r" draining)"
rpc_ok tunnel.set '{"switch":"web","vni":5001,"vteps":[{"vtep":"h2"}]}' >/dev/null
expect_error "a VTEP a tunnel lists cannot go" -32000 - "$(rpc vtep.del '{"name":"h2"}')"
# --- static remote MACs: in L2's table on the tunnel port, gone with the member --
rpc_ok tunnel.set '{"switch":"web","vni":5001,"vteps":[{"vtep":"h2","macs":["02:00:00:00:aa:01","02:00:00:00:aa:02"]}]}' >/dev/null
r=$(rpc_ok mac.list '{"switch":"web"}')
assert_eq "a member's static MACs are in the MAC table" 2 "$(echo "$r" | grep -o '"type": *"static"' | wc -l)"
assert_match "on the VTEP's tunnel port" '"port": *"vtep h2 geneve vni 5001' "$r"
expect_error "a multicast static MAC" -32602 /params/vteps/0/macs/0 \
	"$(rpc tunnel.set '{"switch":"web","vni":5001,"vteps":[{"vtep":"h2","macs":["01:00:5e:00:00:01"]}]}')"
assert_eq "the refusal left them" 2 "$(rpc_ok mac.list '{"switch":"web"}' | grep -o '"static"' | wc -l)"
rpc_ok tunnel.set '{"switch":"web","vni":5001,"vteps":[{"vtep":"h2","macs":["02:00:00:00:aa:02"]}]}' >/dev/null
r=$(rpc_ok mac.list '{"switch":"web"}')
assert_eq "one dropped from the list leaves the table" 1 "$(echo "$r" | grep -o '"static"' | wc -l)"
assert_match "the other stays" '02:00:00:00:AA:02' "$r"
rpc_ok transact '{"ops":[{"method":"tunnel.del","params":{"switch":"web"}},{"method":"vtep.del","params":{"name":"h2"}}]}' >/dev/null
assert_eq "the tunnel's removal took its static MACs" 0 "$(rpc_ok mac.list '{"switch":"web"}' | grep -o '"static"' | wc -l)"
assert_eq "deleting the VTEP deleted its SAs" "[]" "$(rpc_ok sa.list)"
evs_stop h1b
it_finish
