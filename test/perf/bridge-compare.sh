#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Ping RTT and TCP throughput between two namespace hosts, joined first by
# edgevs (net_tap ports, one switch), then in the same run by a Linux bridge
# (veth pairs) with the same namespaces and addresses. Prints a Markdown table.
#
#   sudo BUILD=build test/perf/bridge-compare.sh
#
# Options (environment): PINGS (200), PING_INTERVAL (0.01), IPERF_TIME (10),
# PMD_SLEEP_US (0: the edgevs PMD busy-polls; 20 is what the tests use).
#
# Placement on a 2-core machine: the edgevs PMD lcore owns CPU 1, its
# management lcore and both iperf3 ends are pinned to CPU 0. The bridge run
# pins iperf3 the same way (the kernel forwards in the senders' softirq).
# Only our own namespaces and the 198.18.7.0/24 test range are used.
set -o pipefail
. "$(dirname "$0")/../integration/lib.sh"
IT_TIMEOUT=${IT_TIMEOUT:-240}
it_init pf
it_require_cmd ping iperf3 taskset

PINGS=${PINGS:-200}
PING_INTERVAL=${PING_INTERVAL:-0.01}
IPERF_TIME=${IPERF_TIME:-10}
PMD_SLEEP_US=${PMD_SLEEP_US:-0}
H1=198.18.7.1
H2=198.18.7.2

# measure LABEL: ping + iperf3 between h1 and h2; appends a table row.
ROWS=()
measure() {
	local label=$1 out rtt bps retr loss rmin ravg rmax rmdev
	nsx h1 ping -q -c 5 -i 0.1 -W 2 "$H2" >/dev/null 2>&1 || it_die "$label: h1 cannot reach h2"
	out=$(nsx h1 taskset -c 0 ping -n -q -c "$PINGS" -i "$PING_INTERVAL" -W 2 "$H2" 2>&1)
	rtt=$(echo "$out" | sed -n 's|^rtt min/avg/max/mdev = \([0-9.]*\)/\([0-9.]*\)/\([0-9.]*\)/\([0-9.]*\) ms|\1 \2 \3 \4|p')
	loss=$(echo "$out" | sed -n 's/.* \([0-9.]*%\) packet loss.*/\1/p')
	[ -n "$rtt" ] || it_die "$label: ping gave no RTT: $out"
	read -r rmin ravg rmax rmdev <<<"$rtt"
	it_bg spid nsx h2 taskset -c 0 iperf3 -s -1 -B "$H2" >"$IT_TMP/iperf3-s.log" 2>&1
	sleep 0.5
	out=$(nsx h1 taskset -c 0 iperf3 -c "$H2" -t "$IPERF_TIME" -P 1 -J 2>"$IT_TMP/iperf3-c.err")
	it_wait "$spid"
	read -r bps retr < <(echo "$out" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)["end"]
print("%.2f" % (d["sum_received"]["bits_per_second"] / 1e9), d["sum_sent"].get("retransmits", 0))') ||
		it_die "$label: iperf3 failed: $(cat "$IT_TMP/iperf3-c.err") $out"
	ROWS+=("| $label | $ravg | $rmdev | $rmin / $rmax | $loss | $bps | $retr |")
	it_pass "$label measured"
}

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
ns_add h1 h2

# --- edgevs --------------------------------------------------------------------
CONF=$IT_TMP/config.json
cat >"$CONF" <<JSON
{
  "switches": [ { "name": "sw0" } ],
  "ports": [
    { "name": "p1", "type": "ethdev", "devargs": "net_tap0,iface=$(ifname 1)", "switch": "sw0" },
    { "name": "p2", "type": "ethdev", "devargs": "net_tap1,iface=$(ifname 2)", "switch": "sw0" }
  ]
}
JSON
evs_start d "$CONF" --pmd-sleep-us "$PMD_SLEEP_US"
link_to_ns "$(ifname 1)" h1 "$H1/24"
link_to_ns "$(ifname 2)" h2 "$H2/24"
measure "edgevs (net_tap ports, PMD on CPU 1)"
evs_stop d

# --- Linux bridge ---------------------------------------------------------------
BR=$(ifname br)
ip link add "$BR" type bridge || it_die "cannot create bridge $BR"
IT_LINKS+=("$BR")
for h in 1 2; do
	ip link add "$(ifname v$h)" type veth peer name "$(ifname h$h)" || it_die "cannot create veth"
	IT_LINKS+=("$(ifname v$h)")
	ip link set "$(ifname v$h)" master "$BR" up
done
ip link set "$BR" up
link_to_ns "$(ifname h1)" h1 "$H1/24"
link_to_ns "$(ifname h2)" h2 "$H2/24"
measure "Linux bridge (veth pairs)"

cat <<EOF

### edgevs vs Linux bridge, $(date -u +%Y-%m-%d), $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1))

| path | ping avg (ms) | ping mdev (ms) | ping min / max (ms) | loss | TCP Gbit/s (iperf3 -t $IPERF_TIME, 1 stream) | TCP retransmits |
| --- | --- | --- | --- | --- | --- | --- |
$(printf '%s\n' "${ROWS[@]}")

- ping: $PINGS echoes every ${PING_INTERVAL}s, 56-byte payload; iperf3 client and server pinned to CPU 0.
- edgevs: EAL ${IT_EAL_MEM[*]}, -l 0,1; its PMD lcore busy-polls CPU 1 (--pmd-sleep-us $PMD_SLEEP_US)
  and has it to itself; iperf3 (both ends), the kernel's side of the taps and the management
  lcore share CPU 0. DPDK's net_tap opens its taps without virtio-net headers, so the kernel
  segments TCP into MTU-sized frames and every frame costs a read/write system call each way;
  veth pairs hand 64 KiB GSO packets across with no copy. The TCP column measures that
  kernel<->userspace path more than the switch (see stats.get busy cycles per packet for that).
- bridge: the same namespaces and addresses, veth pairs into one Linux bridge.
- load average at the start: $LOAD0 (other work on the machine skews both rows alike).
EOF
it_finish
