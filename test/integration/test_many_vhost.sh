#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Hundreds of vhost-user ports in one daemon (doc/ports.md):
# - one config.apply adds 1000 server-mode ports to switch sw0 (beside a tap
#   port pa in ns a); port.list shows them all, each has its socket;
# - two of them get virtio_user peers (dpdk-testpmd io-forwarding to taps in
#   ns b and c): a pings b and c through them, while every ARP broadcast is
#   flooded to all 1000 ports (those without a guest count guest_not_ready);
# - stats.get and port.stats work at that size;
# - one config.apply removes them all: sockets gone, file descriptors and
#   DPDK heap (telemetry /eal/heap_info) back to what they were before.
# 1000, not 1024: rte_vhost watches listening and connected sockets in one
# set of 1024 descriptors (one taken by its wake-up pipe).
set -o pipefail
. "$(dirname "$0")/lib.sh"
it_init mv
it_require_cmd dpdk-testpmd

N=${MANY_VHOST_N:-1000}
IP_C=198.18.1.3
MAC_C=02:49:54:00:00:0c
MP=("$PY" "$IT_DIR/manyports.py")
VDIR=$IT_TMP/vs
mkdir -p "$VDIR"
BASE="{\"switches\":[{\"name\":\"sw0\"}],\"ports\":[{\"name\":\"pa\",\"type\":\"ethdev\",\"devargs\":\"net_tap0,iface=$(ifname a)\",\"switch\":\"sw0\"}]}"
echo "$BASE" >"$IT_TMP/config.json"

ns_add a b c
evs_start d "$IT_TMP/config.json" --mbufs 32767
link_to_ns "$(ifname a)" a "$IP_A/24" "$MAC_A"
TELE=/var/run/dpdk/$IT_ID-d/dpdk_telemetry.v2
heap() { "${MP[@]}" heap "$TELE"; }
nfds() { find "/proc/$EVS_PID/fd" -mindepth 1 -maxdepth 1 | wc -l; }
# port.list of 1000 ports is too long for one argument (128 KiB): read it on stdin
link_up() {
	rpc port.list | "$PY" -c 'import json,sys; sys.exit(not any(p["name"] == sys.argv[1] and
		p.get("link") == "up" for p in json.load(sys.stdin)["result"]))' "$1"
}
nports() { rpc port.list | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["result"]))'; }
# rte_vhost starts its event thread and wake-up pipe with the first socket and
# keeps them: one port added and removed first, so the baseline includes them.
"${MP[@]}" apply "$EVS_SOCK" "$BASE" 1 "$VDIR" >/dev/null
"${MP[@]}" apply "$EVS_SOCK" "$BASE" 0 "$VDIR" >/dev/null
heap0=$(heap) || it_die "no DPDK telemetry at $TELE"
fds0=$(nfds)

# --- add N vhost-user ports in one request ----------------------------------
t0=$(date +%s%N)
r=$("${MP[@]}" apply "$EVS_SOCK" "$BASE" "$N" "$VDIR")
t1=$(date +%s%N)
assert_match "config.apply with $N vhost-user ports" '"result"' "$r"
it_log "config.apply of $N vhost-user ports: $(((t1 - t0) / 1000000)) ms"
assert_eq "port.list shows every port" $((N + 1)) "$(nports)"
assert_eq "a listening socket per vhost-user port" "$N" "$(find "$VDIR" -type s | wc -l)"
heap1=$(heap)
fds1=$(nfds)
it_log "DPDK heap allocated: $heap0 -> $heap1 bytes ($(((heap1 - heap0) / N)) per port); fds $fds0 -> $fds1"
assert_ge "file descriptors: one listening socket per port at least" $((fds0 + N)) "$fds1"

# --- two of them carry traffic ------------------------------------------------
TP_PIDS=()
# --stats-period keeps testpmd running without a terminal (else EOF on stdin ends it)
tp_start() { # H SOCK TAP
	"$(command -v dpdk-testpmd)" --lcores 0@0,1@0 "${IT_EAL_MEM[@]}" \
		--file-prefix "$IT_ID-tp$1" --vdev "net_virtio_user0,path=$2,queues=1" \
		--vdev "net_tap0,iface=$3" -- --forward-mode=io --auto-start --stats-period 60 \
		--total-num-mbufs=8192 --nb-cores=1 >"$IT_TMP/testpmd-$1.log" 2>&1 </dev/null &
	IT_PIDS+=($!)
	TP_PIDS+=($!)
}
tp_ready() { # H TAP NS IP MAC
	wait_until 30 grep -q "io packet forwarding - ports=" "$IT_TMP/testpmd-$1.log" ||
		{ tail -n 20 "$IT_TMP/testpmd-$1.log" >&2; it_die "testpmd $1 not forwarding after 30 s"; }
	link_to_ns "$2" "$3" "$4/24" "$5"
}
tp_start b "$VDIR/v7.sock" "$(ifname b)"
tp_start c "$VDIR/v$((N - 1)).sock" "$(ifname c)"
tp_ready b "$(ifname b)" b "$IP_B" "$MAC_B"
tp_ready c "$(ifname c)" c "$IP_C" "$MAC_C"
assert_ok "v7 link up with its peer" wait_until 10 link_up v7
assert_ok "v$((N - 1)) link up with its peer" wait_until 10 link_up "v$((N - 1))"
heapg=$(heap)
it_log "DPDK heap with two guests connected: +$(((heapg - heap1) / 2)) bytes per connected guest"
ping_check "a -> b through vhost-user port v7 among $N" a "$IP_B"
ping_check "a -> c through vhost-user port v$((N - 1)) among $N" a "$IP_C"
ping_check "b -> c, vhost-user to vhost-user" b "$IP_C"

st=$(rpc_ok stats.get)
assert_ge "stats.get: floods counted" 1 "$("${RPC[@]}" sum "$st" flooded)"
assert_eq "stats.get: port count" $((N + 1)) "$(jget "$st" ports.count)"
snap=$(jget "$st" snapshot_bytes)
it_log "datapath snapshot with $((N + 1)) ports: $snap bytes"
assert_ge "the snapshot a change publishes stays small (64 KiB >= it)" "$snap" 65536
st=$(rpc_ok port.stats "{\"name\":\"v$((N / 2))\"}")
assert_ge "port.stats v$((N / 2)): flooded broadcasts reached a port without a guest (guest_not_ready)" 1 \
	"$("${RPC[@]}" sum "$st" guest_not_ready)"

for p in "${TP_PIDS[@]}"; do
	kill -TERM "$p" 2>/dev/null
	timeout 15 tail --pid="$p" -f /dev/null || kill -KILL "$p" 2>/dev/null
	it_wait "$p"
done
rm -rf "/var/run/dpdk/$IT_ID-tpb" "/var/run/dpdk/$IT_ID-tpc"

# --- remove them all in one request -----------------------------------------
t0=$(date +%s%N)
r=$("${MP[@]}" apply "$EVS_SOCK" "$BASE" 0 "$VDIR")
t1=$(date +%s%N)
assert_match "config.apply removing the $N vhost-user ports" '"result"' "$r"
it_log "config.apply removing $N vhost-user ports: $(((t1 - t0) / 1000000)) ms"
assert_eq "port.list: only pa left" 1 "$(nports)"
assert_eq "every vhost-user socket removed" 0 "$(find "$VDIR" -type s | wc -l)"
heap2=$(heap)
fds2=$(nfds)
it_log "after removal: DPDK heap $heap2 bytes (before adding: $heap0), fds $fds2 (before: $fds0)"
assert_ge "the ports' DPDK memory is back (heap0 + 64 KiB >= now)" "$heap2" $((heap0 + 65536))
assert_ge "adding the ports took DPDK memory (so the check above can fail)" $((heap0 + N * 64)) "$heap1"
assert_eq "file descriptors back to what they were" "$fds0" "$fds2"
evs_alive || it_die "the daemon died"

it_finish
