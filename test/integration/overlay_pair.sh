# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2034  # MAC_UA, MAC_UB: the sourcing test's
#
# Two edgevs hosts on one machine joined by a veth underlay, for the
# two-daemon overlay tests (sourced after lib.sh's it_init):
#   ovl_pair MTU [NS...]  the veth $UA (host A's end) / $UB with that MTU
#                  and IPv6 off (no stray frames), their MACs $MAC_UA /
#                  $MAC_UB, namespaces NS... (default a and b), daemons A and B
#   rpcA / rpcB    rpc_ok on host A / B
#   xfer TAG MiB   a TCP transfer from ns a to $IP_B, compared by SHA-256
ovl_pair() {
	local mtu=$1 try
	shift
	if [ $# -eq 0 ]; then ns_add a b; else ns_add "$@"; fi
	evs_start A -
	evs_start B -
	UA=$(ifname ua)
	UB=$(ifname ub)
	# the daemons' af_packet ports must not share a fanout group (lib.sh,
	# af_packet_gid): a clash takes a new pair, whose ifindexes differ
	for try in 1 2 3 4 5; do
		ip link add "$UA" type veth peer name "$UB" || it_die "cannot create the underlay veth"
		[ "$(af_packet_gid "$EVS_PID_A" "$UA")" != "$(af_packet_gid "$EVS_PID_B" "$UB")" ] && break
		it_log "af_packet fanout groups of $UA and $UB clash: another veth pair ($try)"
		ip link del "$UA"
	done
	IT_LINKS+=("$UA")
	for l in "$UA" "$UB"; do
		sysctl -qw "net.ipv6.conf.$l.disable_ipv6=1" >/dev/null 2>&1
		ip link set "$l" mtu "$mtu" up
	done
	MAC_UA=$(cat "/sys/class/net/$UA/address")
	MAC_UB=$(cat "/sys/class/net/$UB/address")
}

rpcA() { RPC_SOCK=$EVS_SOCK_A rpc_ok "$@"; }
rpcB() { RPC_SOCK=$EVS_SOCK_B rpc_ok "$@"; }

xfer() {
	local src=$IT_TMP/$1.src dst=$IT_TMP/$1.dst want rpid
	head -c $(($2 << 20)) /dev/urandom >"$src"
	want=$(sha256sum "$src" | cut -d' ' -f1)
	it_bg rpid nsx b timeout 90 "$PY" "$IT_DIR/tcpxfer.py" recv "$IP_B" 5001 "$dst" >"$IT_TMP/$1.out" 2>&1
	nsx a timeout 90 "$PY" "$IT_DIR/tcpxfer.py" send "$IP_B" 5001 "$src" >"$IT_TMP/$1.sent" 2>&1
	it_wait "$rpid"
	assert_eq "$1: TCP transfer of $2 MiB arrives whole (SHA-256)" "$(($2 << 20)) $want" \
		"$(cat "$IT_TMP/$1.out")"
}
