#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# What Open vSwitch's NORMAL bridge does with each generator's traffic: its
# own counters (EMC and megaflow hits, MAC moves, processing cycles per
# packet) after one run of testpmd flowgen (both ways: the same source MAC
# from both ports), edgevs-gen with flowgen's flows (the destination
# address varies) and edgevs-gen with its default flows (the source port
# varies), over vhost-user, OVS's PMD on CPU 1 and the generator on CPU 0.
# Why issue 8's OVS figure under flowgen (584 cycles/packet) is twice the
# matrix's (doc/performance.md).
#
# Usage: test/perf/ovs-gen-mix.sh [--gen PATH] [--flows N] [--duration S]   (as root)
# Prints a Markdown table; removes everything it started.
set -u
here=$(cd "$(dirname "$0")" && pwd)
gen=$(ls -t "$here"/../../build*/app/edgevs-gen/edgevs-gen 2>/dev/null | grep -v -e asan -e sanit | head -n1)
flows=1000
dur=4
while [ $# -gt 0 ]; do
	case "$1" in
	--gen) gen=$2; shift ;;
	--flows) flows=$2; shift ;;
	--duration) dur=$2; shift ;;
	*) echo "ovs-gen-mix: unknown option $1" >&2; exit 1 ;;
	esac
	shift
done
# shellcheck source=ovs.sh
. "$here/ovs.sh"
# shellcheck source=gen/virtio.sh
. "$here/gen/virtio.sh" # the suite's guest options (GEN_VIRTIO)
ovs_available && [ -x "$gen" ] || { echo "ovs-gen-mix: needs OVS-DPDK and edgevs-gen (--gen)" >&2; exit 1; }
# shellcheck disable=SC2034 # read by ovs_flows
sc_ovs_flows="table=0,priority=0,actions=NORMAL"
# shellcheck disable=SC2034
sc_ovs_groups=""
prefix=evs-ogm-$$
tmp=$(mktemp -d "/tmp/$prefix.XXXXXX")
trap 'ovs_stop; huge_release; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
huge_reserve $((ovs_mem + 256 + 128)) || { echo "ovs-gen-mix: no hugepages" >&2; exit 1; }
eal=(-m 256 --in-memory --single-file-segments --no-shconf --no-pci --no-telemetry
	--log-level=lib.eal:warning --file-prefix "$prefix-g")

one() { # kind
	local g0 g1 mix=()
	ovs_start "$tmp/ovs" 1 1 vhost "$prefix-ovs" >"$tmp/start.log" 2>&1 && ovs_flows >>"$tmp/start.log" 2>&1 ||
		{ echo "| $1 | OVS did not start | | | | |"; ovs_stop; return; }
	g0="net_virtio_user0,path=$(ovs_sock 0),queue_size=1024$GEN_VIRTIO"
	g1="net_virtio_user1,path=$(ovs_sock 1),queue_size=1024$GEN_VIRTIO"
	ovs_clear_stats
	ovs_appctl coverage/read-counter mac_learning_moved >"$tmp/moved0" 2>/dev/null || echo 0 >"$tmp/moved0"
	if [ "$1" = flowgen ]; then
		timeout -s INT $((dur + 5)) dpdk-testpmd --lcores 0@0,1@0 "${eal[@]}" --vdev "$g0" --vdev "$g1" -- \
			--forward-mode=flowgen --auto-start --disable-link-check --flowgen-flows="$flows" \
			--txpkts=60 --stats-period 3600 --total-num-mbufs=32768 >"$tmp/g.log" 2>&1 </dev/null
	else
		[ "$1" = dip ] && mix=(--sport-range 1 --dip-range "$flows")
		"$gen" --lcores 0@0 "${eal[@]}" --vdev "$g0" --vdev "$g1" -- --tx-port 0 --rx-port 1 \
			--flows "$flows" "${mix[@]}" --duration "$dur" --json --no-progress --rx-check 16 \
			>"$tmp/g.json" 2>"$tmp/g.err"
	fi
	local moved0 moved1
	moved0=$(cat "$tmp/moved0")
	moved1=$(ovs_appctl coverage/read-counter mac_learning_moved 2>/dev/null || echo 0)
	ovs_appctl dpif-netdev/pmd-stats-show | awk -v k="$1" -v m=$((moved1 - moved0)) '
		/pmd thread/ {pmd = 1} /main thread/ {pmd = 0}
		pmd && /packets received:/ {p = $3}
		pmd && /emc hits:/ {e = $3}
		pmd && /megaflow hits:/ {f = $3}
		pmd && /processing cycles:/ {c = $3}
		END {
			name = "edgevs-gen, its default flows (source port)"
			if (k == "flowgen") name = "testpmd flowgen (both ways, one source MAC)"
			if (k == "dip") name = "edgevs-gen, flowgen'"'"'s flows (destination address)"
			if (p == 0) { printf "| %s | no packets | | | | |\n", name; exit }
			printf "| %s | %d | %.1f | %.1f | %d | %.0f |\n", name, p, 100 * e / p, 100 * f / p, m, c / p
		}'
	ovs_stop
	rm -rf "$tmp/ovs"
}
echo "| generator | packets OVS received | EMC hits % | megaflow hits % | MAC moves | processing cycles/pkt |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
load=$(cut -d' ' -f1 /proc/loadavg)
for k in flowgen dip ports; do one "$k"; done
echo
echo "$flows flows, 64 B, $dur s per generator, vhost-user, load average $load at the start."
