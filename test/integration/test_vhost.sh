#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# vhost-user ports carry traffic to a virtio_user peer, in both modes.
#
#   ns a --tap-- [edgevs sw0] --vhost-user-- [dpdk-testpmd io fwd] --tap-- ns b/c
#
# Server mode: edgevs owns the socket (port v1), testpmd connects with
# --vdev net_virtio_user0,path=SOCK. Client mode: testpmd owns the socket
# (net_virtio_user0,...,server=1) and edgevs connects (port v2). In each mode
# the peer is restarted once and traffic must resume (edgevs accepts the new
# connection as server; reconnects as client). testpmd io-forwards between its
# virtio_user port and a net_tap whose kernel side is in ns b (or c), so a
# pings b through edgevs and testpmd; also an 8 MiB TCP transfer (sha256).
#
# testpmd runs without hugepages (--no-huge -m 512; virtio_user shares its
# memory with the backend through memfd, no --single-file-segments needed)
# with both its lcores on CPU 0, so it does not compete with the edgevs PMD.
set -o pipefail
. "$(dirname "$0")/lib.sh"
it_init vh
it_require_cmd dpdk-testpmd

IP_C=198.18.1.3
MAC_C=02:49:54:00:00:0c
SOCK_S=$IT_TMP/v1.sock   # edgevs is the server
SOCK_C=$IT_TMP/v2.sock   # testpmd is the server

CONF=$IT_TMP/config.json
cat >"$CONF" <<JSON
{
  "switches": [ { "name": "sw0" } ],
  "ports": [
    { "name": "pa", "type": "ethdev", "devargs": "net_tap0,iface=$(ifname a)", "switch": "sw0" },
    { "name": "v1", "type": "vhost-user", "path": "$SOCK_S", "mode": "server", "switch": "sw0" }
  ]
}
JSON
ns_add a b c
evs_start d "$CONF"
link_to_ns "$(ifname a)" a "$IP_A/24" "$MAC_A"
wait_until 10 test -S "$SOCK_S" || it_die "edgevs did not create the vhost-user socket $SOCK_S"
it_pass "edgevs created the vhost-user server socket"

# tp_start H VIRTIO_DEVARGS TAP: a testpmd forwarding virtio_user <-> tap.
TP_RUNS=0
tp_start() {
	local h=$1 vdev=$2 tap=$3 pid log
	# A new log each time: the background redirection truncates a reused
	# file only when the child gets to it, and the previous run's "ready"
	# line would fool tp_wait_ready.
	TP_RUNS=$((TP_RUNS + 1))
	log=$IT_TMP/testpmd-$h-$TP_RUNS.log
	printf -v "TPLOG_$h" '%s' "$log"
	"$(command -v dpdk-testpmd)" --lcores 0@0,1@0 "${IT_EAL_MEM[@]}" \
		--file-prefix "$IT_ID-tp$h" --vdev "$vdev" --vdev "net_tap0,iface=$tap" \
		-- --forward-mode=io --auto-start --stats-period 5 --total-num-mbufs=8192 \
		--nb-cores=1 >"$log" 2>&1 </dev/null &
	pid=$!
	IT_PIDS+=("$pid")
	printf -v "TP_$h" '%s' "$pid"
}
tp_stop() {
	local v="TP_$1"
	kill -TERM "${!v}" 2>/dev/null
	timeout 15 tail --pid="${!v}" -f /dev/null || kill -KILL "${!v}" 2>/dev/null
	it_wait "${!v}"
	rm -rf "/var/run/dpdk/$IT_ID-tp$1"
}
# port_link_is PORT STATE: port.list shows the port's link in STATE.
port_link_is() { jhas "$(rpc port.list)" name="$1" link="$2"; }
# wait_link WHAT PORT: the vhost-user port's link comes up within 10 s (the
# client reconnects once a second; a server accepts at once).
wait_link() {
	if wait_until 10 port_link_is "$2" up; then
		it_pass "$1"
	else
		it_fail "$1: port $2 link not up after 10 s: $(rpc port.list)"
	fi
}
# vh_ping WHAT NS DST PORT TP [ping args]: ping_check, with the vhost port's
# counters, the switch's drops and the peer's view printed when it fails.
vh_ping() {
	local what=$1 ns=$2 dst=$3 port=$4 tp=$5
	shift 5
	ping_check "$what" "$ns" "$dst" "$@" && return 0
	echo "--- diagnostics: port.stats $port" >&2
	rpc port.stats "{\"name\":\"$port\"}" >&2
	echo "--- stats.get drops / pmds" >&2
	jget "$(rpc stats.get)" result.drops >&2
	jget "$(rpc stats.get)" result.pmds >&2
	echo "--- testpmd $tp (last stats)" >&2
	local l="TPLOG_$tp"
	grep -E "statistics for port|RX-packets|TX-packets" "${!l}" | tail -n 6 >&2
	echo "--- edgevs log" >&2
	grep -v "^VHOST_CONFIG: .*\(read message\|-[A-Z_]*: [01]\)" "$EVS_LOG" | tail -n 25 >&2
	return 1
}
tp_wait_ready() { # H TAP NS ADDR MAC
	local v="TP_$1" l="TPLOG_$1"
	if ! wait_until 30 grep -q "io packet forwarding - ports=" "${!l}"; then
		tail -n 30 "${!l}" >&2
		kill -0 "${!v}" 2>/dev/null || it_die "testpmd $1 exited"
		it_die "testpmd $1 did not start forwarding within 30 s"
	fi
	link_to_ns "$2" "$3" "$4/24" "$5"
}

# --- edgevs as vhost-user server --------------------------------------------
assert_ok "server mode: v1 link down while no peer is connected" port_link_is v1 down
tp_start 1 "net_virtio_user0,path=$SOCK_S,queues=1" "$(ifname b)"
tp_wait_ready 1 "$(ifname b)" b "$IP_B" "$MAC_B"
wait_link "server mode: v1 link up once testpmd connected" v1
vh_ping "server mode: a -> b through vhost-user" a "$IP_B" v1 1 -c 10 -i 0.1 -W 3
ping_check "server mode: b -> a" b "$IP_A"
ping_check "server mode: 1400-byte ping (DF)" a "$IP_B" -s 1400 -M do
tcp_xfer_check "server mode: 8 MiB a -> b" a b "$IP_B" 8
st=$(rpc_ok port.stats '{"name":"v1"}')
assert_ge "port.stats v1: transmitted packets" 5000 "$("${RPC[@]}" sum "$st" tx_packets)"
assert_ge "port.stats v1: received packets (the ACKs)" 200 "$("${RPC[@]}" sum "$st" rx_packets)"

# The peer goes away and comes back: edgevs takes the new connection.
tp_stop 1
ping_none "server mode: nothing gets through while the peer is gone" a "$IP_B"
evs_alive || it_die "edgevs died when its vhost-user peer went away"
assert_ok "server mode: v1 link down after the peer left" port_link_is v1 down
tp_start 1 "net_virtio_user0,path=$SOCK_S,queues=1" "$(ifname b)"
tp_wait_ready 1 "$(ifname b)" b "$IP_B" "$MAC_B"
wait_link "server mode: v1 link up again with the new peer" v1
vh_ping "server mode: traffic resumes after the peer restarted" a "$IP_B" v1 1 -c 10 -i 0.1 -W 3
tp_stop 1

# --- edgevs as vhost-user client --------------------------------------------
# The port is added before the peer exists: the client keeps trying.
r=$(rpc port.add "{\"name\":\"v2\",\"type\":\"vhost-user\",\"path\":\"$SOCK_C\",\"mode\":\"client\",\"switch\":\"sw0\"}")
assert_match "port.add vhost-user client before its peer exists" '"result"' "$r"
assert_ok "client mode: v2 link down while its server is absent" port_link_is v2 down
tp_start 2 "net_virtio_user0,path=$SOCK_C,queues=1,server=1" "$(ifname c)"
tp_wait_ready 2 "$(ifname c)" c "$IP_C" "$MAC_C"
wait_link "client mode: edgevs connected to the new server" v2
vh_ping "client mode: a -> c through vhost-user" a "$IP_C" v2 2 -c 10 -i 0.1 -W 3
ping_check "client mode: 1400-byte ping (DF)" a "$IP_C" -s 1400 -M do
tp_stop 2
evs_alive || it_die "edgevs died when its vhost-user server went away"
wait_until 5 port_link_is v2 down || it_fail "client mode: v2 link still up after its server left"
tp_start 2 "net_virtio_user0,path=$SOCK_C,queues=1,server=1" "$(ifname c)"
tp_wait_ready 2 "$(ifname c)" c "$IP_C" "$MAC_C"
wait_link "client mode: edgevs reconnected to the restarted server" v2
vh_ping "client mode: edgevs reconnected after the peer restarted" a "$IP_C" v2 2 -c 10 -i 0.1 -W 5
tp_stop 2

# --- removal ------------------------------------------------------------------
r=$(rpc port.del '{"name":"v2"}')
assert_match "port.del v2 (client)" '"result"' "$r"
r=$(rpc port.del '{"name":"v1"}')
assert_match "port.del v1 (server)" '"result"' "$r"
assert_fails "the server socket file is removed with its port" test -e "$SOCK_S"
assert_hasnt "no vhost-user port left" "$(rpc_ok port.list)" type=vhost-user

it_finish
