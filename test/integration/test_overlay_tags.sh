#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# A source security tag across hosts (issue 13, GENEVE options): two edgevs
# hosts on a veth underlay, one switch; host A sends its ports' fw tags in a
# GENEVE option (tunnel source_tags) and a static option from the store;
# host B's server port allows TCP 5001 only from remote ports tagged "web"
# (fw.rule remote_tag):
# - tshark on the underlay: A's frames carry the static option and the tag
#   option (class 0xfff0 type 1) with web's id; untagged a2's carry no tag;
# - a1 (tagged web on A) connects to the server on B, a2 (untagged) cannot;
# - flow.trace from B's underlay with a captured frame shows the remote tag
#   and the rule that allows it;
# - tags changed under traffic: a2 gets web, a1 loses it: new connections
#   follow (a2 connects, a1 is refused).
set -o pipefail
. "$(dirname "$0")/lib.sh"
it_init ovt
it_require_cmd tshark

# shellcheck source=overlay_pair.sh
. "$IT_DIR/overlay_pair.sh"
ovl_pair 1700 a1 a2 b1

# host HOST UPLINK LOCAL REMOTE MYMAC PEERMAC PORTS-AND-POLICY-OPS
host() {
	RPC_SOCK=$(eval echo "\$EVS_SOCK_$1") rpc_ok transact "{\"ops\":[
	{\"method\":\"switch.add\",\"params\":{\"name\":\"web\"}},
	{\"method\":\"port.add\",\"params\":{\"name\":\"up0\",\"devargs\":\"net_af_packet$1,iface=$2\"}},
	{\"method\":\"underlay.add\",\"params\":{\"name\":\"u1\",\"port\":\"up0\",\"address\":\"$3\",\"mac\":\"$5\",\"next_hop_mac\":\"$6\",\"mtu\":1600}},
	{\"method\":\"vtep.add\",\"params\":{\"name\":\"peer\",\"underlay\":\"u1\",\"address\":\"$4\"}},
	$7]}" >/dev/null
}
host A "$UA" 10.99.0.1 10.99.0.2 "$MAC_UA" "$MAC_UB" \
	"{\"method\":\"port.add\",\"params\":{\"name\":\"vm1\",\"devargs\":\"net_tapA1,iface=$(ifname a1)\",\"switch\":\"web\"}},
	{\"method\":\"port.add\",\"params\":{\"name\":\"vm2\",\"devargs\":\"net_tapA2,iface=$(ifname a2)\",\"switch\":\"web\"}},
	{\"method\":\"fw.port.add\",\"params\":{\"port\":\"vm1\",\"tags\":[\"web\",\"blue\"]}},
	{\"method\":\"tunnel.add\",\"params\":{\"switch\":\"web\",\"vni\":5001,\"source_tags\":true,
	  \"options\":[{\"class\":258,\"type\":5,\"data\":\"deadbeef\"}]}}"
host B "$UB" 10.99.0.2 10.99.0.1 "$MAC_UB" "$MAC_UA" \
	"{\"method\":\"port.add\",\"params\":{\"name\":\"srv\",\"devargs\":\"net_tapB1,iface=$(ifname b1)\",\"switch\":\"web\"}},
	{\"method\":\"fw.group.add\",\"params\":{\"name\":\"srv\"}},
	{\"method\":\"fw.rule.add\",\"params\":{\"id\":7,\"group\":\"srv\",\"direction\":\"ingress\",\"protocol\":\"tcp\",\"dport_min\":5001,\"remote_tag\":\"web\"}},
	{\"method\":\"fw.port.add\",\"params\":{\"port\":\"srv\",\"addresses\":[\"10.50.0.21\"],\"groups\":[\"srv\"]}},
	{\"method\":\"tunnel.add\",\"params\":{\"switch\":\"web\",\"vni\":5001,\"option_classes\":[258]}}"
link_to_ns "$(ifname a1)" a1 10.50.0.11/24
link_to_ns "$(ifname a2)" a2 10.50.0.12/24
link_to_ns "$(ifname b1)" b1 10.50.0.21/24

# the server: answers "ok" on every connection
it_bg srv nsx b1 "$PY" -c '
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.50.0.21", 5001))
s.listen(16)
while True:
    c, _ = s.accept()
    c.sendall(b"ok")
    c.close()
'
# connect N: "ok" when namespace N's connection to the server is answered
connect() {
	nsx "$1" timeout 5 "$PY" -c '
import socket, sys
try:
    c = socket.create_connection(("10.50.0.21", 5001), timeout=2)
    print(c.recv(2).decode())
except OSError as e:
    print("refused:", e)
' 2>&1
}
# ARP first (the firewall filters IP only): both clients know the server
nsx a1 ping -q -c 1 -W 2 10.50.0.21 >/dev/null 2>&1
nsx a2 ping -q -c 1 -W 2 10.50.0.21 >/dev/null 2>&1

PCAP=$IT_TMP/underlay.pcap
# B's side sees what A sends (af_packet transmits bypass the capture)
it_bg cap tshark -i "$UB" -w "$PCAP" -q 2>"$IT_TMP/cap.err"
wait_until 30 grep -q "Capturing on" "$IT_TMP/cap.err" ||
	it_fail "tshark did not start capturing: $(cat "$IT_TMP/cap.err")"
sleep 0.5
assert_eq "a1 (tagged web on host A) connects to the server on host B" "ok" "$(connect a1)"
assert_match "a2 (untagged) is refused by the remote_tag rule" "refused" "$(connect a2)"
sleep 0.5
kill "$cap" 2>/dev/null
it_wait "$cap"

# what A sent: the static option, then the tag option with web's and blue's ids
web_id=$("$PY" -c '
import struct, sys
def crc32c(crc, data):
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc
def tag_id(name):
    b = name.encode()
    h = len(b)
    for i in range(0, len(b), 8):
        h = crc32c(h, b[i:i + 8].ljust(8, b"\0"))
    return h or 1
print("%08x%08x" % (tag_id("web"), tag_id("blue")))
')
fields() { tshark -r "$PCAP" -Y "$1" -T fields "${@:2}" 2>/dev/null | sort -u | tr '\n' ' '; }
assert_match "a1's frames carry the store's option and the tag option (tshark)" \
	"0x0102,0xfff0" "$(fields "geneve && tcp && ip.src == 10.50.0.11" -e geneve.option.class)"
assert_match "the tag option holds web's and blue's ids (CRC32C of the names)" "$web_id" \
	"$(fields "geneve && tcp && ip.src == 10.50.0.11" -e geneve.option.unknown.data)"
assert_eq "a2's frames carry only the store's option" "0x0102 " \
	"$(fields "geneve && tcp && ip.src == 10.50.0.12" -e geneve.option.class)"
st=$(rpcB fw.rule.get '{"id":7}')
assert_ge "the remote_tag rule allowed a1's connection" 1 "$(jget "$st" hits)"
assert_ge "and B's firewall denied a2's (default deny)" 1 \
	"$(jget "$(rpcB fw.stats)" counters.default_deny)"

# flow.trace from B's underlay: a1's SYN as captured
n=$(tshark -r "$PCAP" -Y "geneve && tcp.flags.syn == 1 && tcp.flags.ack == 0 && ip.src == 10.50.0.11" \
	-T fields -e frame.number 2>/dev/null | head -n1)
hex=$("$PY" - "$PCAP" "${n:-0}" <<'EOF'
import sys
from scapy.all import rdpcap
n = int(sys.argv[2])
if n > 0:
    print(bytes(rdpcap(sys.argv[1])[n - 1]).hex())
EOF
)
[ -n "$hex" ] || it_fail "no captured SYN from a1"
t=$(rpcB flow.trace "{\"in_port\":\"up0\",\"packet\":\"$hex\"}")
jcanon "$t" >"$IT_TMP/trace.json"
assert_match "flow.trace shows the remote tag the firewall sees" '"remote_tags":\["web"\]' \
	"$(jcanon "$t" | tr -d ' \n')"
assert_match "and the rule that allows the connection" "ingress of port [0-9]+[^;]*: allow by rule 7" \
	"$(cat "$IT_TMP/trace.json")"
assert_match "and the class of the store's option" '"classes":\[258\]' "$(jcanon "$t" | tr -d ' \n')"

# tags changed under traffic: a2 gets web, a1 loses it
rpcA fw.port.add '{"port":"vm2","tags":["web"]}' >/dev/null
rpcA fw.port.set '{"port":"vm1","tags":["blue"]}' >/dev/null
assert_eq "a2, now tagged web, connects" "ok" "$(connect a2)"
assert_match "a1, no longer tagged web, is refused" "refused" "$(connect a1)"
it_log "host B overlay: $(rpcB overlay.stats | tr -d ' \n' | head -c 600)"
evs_stop A
evs_stop B
it_finish
