#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Conntrack differential test: the same packet sequences (TCP handshakes,
# simultaneous open, data, half-closes, RST in the middle (either side), stale RST, reopening
# after a close, a new ISN while SYN_SENT, retransmissions,
# out-of-window segments, window scaling, refused connections, UDP and ICMP
# echo exchanges, ICMP/ICMPv6 errors quoting a connection either way, IPv6) go through
# Linux nf_conntrack in a namespace and through lib/conntrack (ct-replay on
# the same frames); every packet's ct state must agree.
#
#   inj namespace                       ct namespace (forwarding)
#   L (client side) ---- veth ---- ctL  nftables prerouting: a counter per
#   R (server side) ---- veth ---- ctR  ct state + direction
#
# Nothing of the daemon runs: ct_linux.py sends, reads the counters, writes
# the pcap and compares (see it for the sequences).
. "$(dirname "$0")/lib.sh"
it_init ctl
it_require_cmd nft
REPLAY=$BUILD/test/integration/ct-replay
[ -x "$REPLAY" ] || it_die "ct-replay not built: $REPLAY"
"$PY" -c 'import scapy' 2>/dev/null || it_die "python3-scapy is not installed"

ns_add inj ct
L=$(ifname L) R=$(ifname R) CL=$(ifname cL) CR=$(ifname cR)
INJ=$(nsname inj) CT=$(nsname ct)
ip link add "$L" netns "$INJ" address 02:00:00:00:00:01 type veth peer name "$CL" netns "$CT" ||
	it_die "cannot create veth $L"
ip link add "$R" netns "$INJ" address 02:00:00:00:00:02 type veth peer name "$CR" netns "$CT" ||
	it_die "cannot create veth $R"
nsx ct sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
	net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
	net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 >/dev/null
for i in "$CL" "$CR"; do
	nsx ct sysctl -qw "net.ipv6.conf.$i.disable_ipv6=0" "net.ipv4.conf.$i.rp_filter=0" >/dev/null
done
for i in "$L" "$R"; do ip -n "$INJ" link set "$i" up; done
ip -n "$CT" link set "$CL" up
ip -n "$CT" link set "$CR" up
ip -n "$CT" addr add 10.0.1.254/24 dev "$CL"
ip -n "$CT" addr add 10.0.2.254/24 dev "$CR"
ip -n "$CT" addr add fd01::fe/64 dev "$CL" nodad
ip -n "$CT" addr add fd02::fe/64 dev "$CR" nodad
ip -n "$CT" neigh add 10.0.1.1 lladdr 02:00:00:00:00:01 dev "$CL" nud permanent
ip -n "$CT" neigh add 10.0.2.1 lladdr 02:00:00:00:00:02 dev "$CR" nud permanent
ip -n "$CT" neigh add fd01::1 lladdr 02:00:00:00:00:01 dev "$CL" nud permanent
ip -n "$CT" neigh add fd02::1 lladdr 02:00:00:00:00:02 dev "$CR" nud permanent
LMAC=$(ip -n "$CT" -br link show dev "$CL" | awk '{print $3}')
RMAC=$(ip -n "$CT" -br link show dev "$CR" | awk '{print $3}')

nsx ct nft -f - <<'NFT' || it_die "cannot load the nftables counters"
table inet evsct {
	counter inv {}
	counter untracked {}
	counter new {}
	counter est {}
	counter est_rpl {}
	counter rel {}
	counter rel_rpl {}
	chain pre {
		type filter hook prerouting priority -150; policy accept;
		ct state invalid counter name "inv"
		ct state untracked counter name "untracked"
		ct state new counter name "new"
		ct direction original ct state established counter name "est"
		ct direction reply ct state established counter name "est_rpl"
		ct direction original ct state related counter name "rel"
		ct direction reply ct state related counter name "rel_rpl"
	}
}
NFT
# Linux's defaults are the reference (the library uses the same ones)
it_log "nf_conntrack: loose=$(nsx ct sysctl -n net.netfilter.nf_conntrack_tcp_loose)" \
	"liberal=$(nsx ct sysctl -n net.netfilter.nf_conntrack_tcp_be_liberal)"

if nsx inj "$PY" "$IT_DIR/ct_linux.py" --ctns "$CT" --left "$L" --right "$R" \
	--lmac "$LMAC" --rmac "$RMAC" --pcap "$IT_TMP/ct.pcap" --replay "$REPLAY" \
	>"$IT_TMP/compare.txt" 2>&1; then
	it_pass "every verdict agrees with Linux"
else
	it_fail "verdicts differ from Linux"
fi
cat "$IT_TMP/compare.txt"
it_finish
