#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Performance matrix: scenario x flows x frame size x device, forwarding rate
# through a device on one core between two ports, offered by edgevs-gen on
# the other core at unlimited rate, median of several runs with min-max.
# Devices, each started afresh for every run:
#   testpmd  dpdk-testpmd io forwarding: the ceiling (ignores the scenario)
#   ovs      Open vSwitch with DPDK (private ovsdb-server + ovs-vswitchd,
#            test/perf/ovs.sh), the scenario's OpenFlow pipeline
#   edgevs   the edgevs daemon with the scenario's configuration
#   edgevs-old  another edgevs build (--edgevs-old, e.g. test/perf/build-at.sh
#            63610e3: before the pipeline v2 engine), L2 only
# Scenarios are test/perf/scenarios/NAME.sh; a device without the pipeline
# gets a "not built" row, never a number (sc_ovs_not_built: no OVS pipeline).
#
# Every run records the generator's busy share (its own count) and the
# device's PMD busy cycles (testpmd --record-core-cycles, edgevs stats.get,
# OVS pmd-stats-show), so a row where the device had cycles to spare, i.e.
# the generator (or the host) was the limit, is flagged and is not a
# device figure.
#
# Usage: test/perf/gen/matrix.sh [options]
#   --gen PATH / --edgevs PATH   binaries (default: newest non-sanitizer build)
#   --edgevs-old PATH  an older edgevs build, device "edgevs-old"
#   --old-scenarios LIST  the scenarios it runs (default "l2": an old build
#                      may not know a newer scenario's objects)
#   --devices LIST     "testpmd ovs edgevs edgevs-old" (default: those available)
#   --scenarios LIST   default "l2"
#   --flows LIST       default "1000 65536 1000000"
#   --sizes LIST       default "64" (64..9018 or imix)
#   --runs N           runs per cell (default 5)
#   --duration S       seconds of traffic per run (default 5)
#   --port vhost|memif both device ports (default vhost: the device is the
#                      vhost-user server, the generator's virtio_user the guest)
#   --rx-check N       generator decodes 1 received frame in N (default 16:
#                      latency/sequence on that sample, loss on every frame)
#   --flow-mix M       scenario (default): how the scenario varies its flows
#                      (L2: the destination address, as testpmd flowgen
#                      does); ports: the source port (edgevs-gen's default)
#   --no-huge          4 KiB pages for the generator, testpmd and edgevs
#                      (default: 2 MiB hugepages for every process, reserved
#                      for the run and given back, as OVS needs them anyway)
#   --conn-rate        new-connection rate instead: TCP handshakes through the
#                      device (edgevs-gen --connect, a new flow per SYN, 16.7M
#                      flows, 3 s), completed per second, and the device's
#                      connection-table entries per second where it tells
#   --out DIR          runs.csv, SCENARIO.md, SCENARIO.png (default ./perf-out)
#   --report CSV       measure nothing: tables and plots from the runs.csv of
#                      earlier runs (concatenated ones too) into --out
# Env: GEN_CORE (default 0), DUT_CORE (default 1), CTL_CORE (the device's
# management lcore / OVS's non-PMD threads, default DUT_CORE);
# TCP_WARM_RATE: handshakes/s of a TCP scenario's warm-up (default 250000).
# Ends on its own and removes every process and file it started.

set -u

here=$(cd "$(dirname "$0")" && pwd)
perf=$(cd "$here/.." && pwd)
root=$(cd "$here/../../.." && pwd)
newest() { ls -t "$root"/build*/"$1" 2>/dev/null | grep -v -e asan -e sanit | head -n1; }
gen=$(newest app/edgevs-gen/edgevs-gen)
evs=$(newest app/edgevs/edgevs)
evs_old=""
old_scenarios=l2
flow_mix=scenario
huge=1
devices=""
scenarios="l2"
flows="1000 65536 1000000"
sizes="64"
runs=5
duration=5
port=vhost
conn=0
out=./perf-out
rx_check=16
conn_args=()
report_csv=""
gen_core=${GEN_CORE:-0}
TCP_WARM_RATE=${TCP_WARM_RATE:-250000}
dut_core=${DUT_CORE:-1}
# The device's management lcore / OVS's handler and revalidator threads share
# its core: the device gets one core, all of it, and the generator the other.
ctl_core=${CTL_CORE:-$dut_core}

while [ $# -gt 0 ]; do
	case "$1" in
	--gen) gen=$2; shift ;;
	--edgevs) evs=$2; shift ;;
	--edgevs-old) evs_old=$2; shift ;;
	--old-scenarios) old_scenarios=$2; shift ;;
	--flow-mix) flow_mix=$2; shift ;;
	--no-huge) huge=0 ;;
	--devices | --duts) devices=$2; shift ;;
	--scenarios) scenarios=$2; shift ;;
	--flows) flows=$2; shift ;;
	--sizes) sizes=$2; shift ;;
	--runs) runs=$2; shift ;;
	--duration) duration=$2; shift ;;
	--port) port=$2; shift ;;
	--conn-rate) conn=1 ;;
	--rx-check) rx_check=$2; shift ;;
	--report) report_csv=$2; shift ;;
	--out) out=$2; shift ;;
	-h | --help) sed -n '3,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "matrix: unknown option $1 (--help)" >&2; exit 1 ;;
	esac
	shift
done
# shellcheck source=../ovs.sh
. "$perf/ovs.sh"
# shellcheck source=virtio.sh
. "$here/virtio.sh"
[ -n "$gen" ] && [ -x "$gen" ] || { echo "matrix: edgevs-gen not found (--gen PATH)" >&2; exit 1; }
if [ -z "$devices" ]; then
	devices="testpmd"
	ovs_available && devices="$devices ovs"
	[ -n "$evs" ] && [ -x "$evs" ] && devices="$devices edgevs"
	[ -n "$evs_old" ] && devices="$devices edgevs-old"
fi
case " $devices " in *" edgevs-old "*) [ -x "$evs_old" ] || { echo "matrix: --edgevs-old PATH" >&2; exit 1; } ;; esac
case "$flow_mix" in scenario | ports) ;; *) echo "matrix: --flow-mix scenario|ports" >&2; exit 1 ;; esac
case "$port" in vhost | memif) ;; *) echo "matrix: --port vhost|memif" >&2; exit 1 ;; esac
for s in $scenarios; do
	[ -f "$perf/scenarios/$s.sh" ] || { echo "matrix: no scenario $s (test/perf/scenarios/)" >&2; exit 1; }
done
if [ $conn = 1 ]; then
	flows=16777216
	sizes=78 # the smallest TCP frame with the whole stamp (latency)
	duration=3
	conn_args=(--connect)
fi
ctl=$(dirname "$evs")/../edgevsctl/edgevsctl
bounce_tool=$(dirname "$gen")/../../test/perf/core-bounce
ctl_old=$(dirname "${evs_old:-.}")/../edgevsctl/edgevsctl

mkdir -p "$out"
prefix="evs-matrix-$$"
tmp=$(mktemp -d "/tmp/${prefix}.XXXXXX")
dut_pid=""
# Memory is faulted in and zeroed at start-up: no more than the pools need.
# Hugepages (test/perf/huge.sh): with 4 KiB pages most mbuf touches miss
# the TLB on both cores (a nested page walk in a VM), and OVS gets
# hugepages in any case.
eal=(--no-shconf --no-pci --no-telemetry --log-level=lib.eal:warning)
# The generator (256 MiB) next to the biggest device (edgevs with room
# for 1.5M connections, or 4M in --conn-rate runs: test/perf/scenario-ct.sh).
[ -z "$report_csv" ] || huge=0 # measures nothing
huge_mib=$((256 + (conn == 1 ? 2048 + 512 : 1024 + 768)))
if [ $huge = 1 ] && huge_reserve $huge_mib; then
	read -r -a he <<<"$(huge_eal)"
	eal+=("${he[@]}")
	# only host-backed pages in the pool: see test/perf/hugepage_sort.c
	huge_sort "$(dirname "$gen")/../../test/perf/hugepage-sort" $huge_mib &&
		echo "matrix: hugepages $huge_sort_line" >&2
elif [ $huge = 1 ]; then
	echo "matrix: not enough free hugepages: 4 KiB pages (--no-huge)" >&2
	huge=0
fi
[ $huge = 1 ] || eal+=(--no-huge)
gen_mem=(-m 256)
dut_mem=(-m 512)

stop_dut() {
	if [ -n "$dut_pid" ] && kill -0 "$dut_pid" 2>/dev/null; then
		kill -INT "$dut_pid" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$dut_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$dut_pid" 2>/dev/null
		wait "$dut_pid" 2>/dev/null
	fi
	dut_pid=""
	ovs_stop
	rm -rf "$tmp"/*.sock "$tmp/ovs"
}
cleanup() {
	stop_dut
	huge_release
	rm -rf "$tmp" /var/run/dpdk/"$prefix"-* 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

sock() { if [ -n "$ovs_dir" ]; then ovs_sock "$1"; else echo "$tmp/p$1.sock"; fi; }
gen_dev() {
	if [ "$port" = vhost ]; then echo "net_virtio_user$1,path=$(sock "$1"),queue_size=1024$GEN_VIRTIO"
	else echo "net_memif$1,role=client,socket=$(sock "$1"),socket-abstract=no,id=0"; fi
}
memif_server() { echo "net_memif$1,role=server,socket=$tmp/p$1.sock,socket-abstract=no,id=0"; }
testpmd_dev() {
	if [ "$port" = vhost ]; then echo "net_vhost$1,iface=$tmp/p$1.sock,client=0"
	else memif_server "$1"; fi
}
edgevs_port() {
	if [ "$port" = vhost ]; then
		echo "{ \"name\": \"p$1\", \"type\": \"vhost-user\", \"path\": \"$tmp/p$1.sock\" }"
	else
		echo "{ \"name\": \"p$1\", \"type\": \"ethdev\", \"devargs\": \"$(memif_server "$1")\" }"
	fi
}

# Start device $1 for the sourced scenario: 0 up, 3 pipeline not built, 1 failed.
start_dut() {
	case "$1" in
	testpmd)
		stdbuf -oL dpdk-testpmd --lcores "0@$ctl_core,1@$dut_core" "${eal[@]}" "${dut_mem[@]}" \
			--file-prefix "$prefix-tp" --vdev "$(testpmd_dev 0)" --vdev "$(testpmd_dev 1)" -- \
			--forward-mode=io --auto-start --disable-link-check --stats-period 3600 \
			--total-num-mbufs=32768 --record-core-cycles >"$tmp/dut.log" 2>&1 </dev/null &
		dut_pid=$!
		;;
	edgevs | edgevs-old)
		sc_edgevs_config "$(edgevs_port 0)" "$(edgevs_port 1)" >"$tmp/edgevs.json" || return 3
		local bin=$evs mem=("${dut_mem[@]}") opts=() ctm mib
		[ "$1" = edgevs-old ] && bin=$evs_old
		# Room for every connection a run can open (default 65536): the
		# scenario's sc_edgevs_sizing FLOWS CONN prints "CT_MAX MEM_MIB".
		if declare -F sc_edgevs_sizing >/dev/null; then
			read -r ctm mib <<<"$(sc_edgevs_sizing "$f" "$conn")"
			mem=(-m "$mib") && opts=(--ct-max "$ctm")
		elif [ $conn = 1 ]; then
			mem=(-m 1024) && opts=(--ct-max 2097152)
		fi
		"$bin" --lcores "0@$ctl_core,1@$dut_core" "${eal[@]}" "${mem[@]}" --file-prefix "$prefix-evs" -- \
			--config "$tmp/edgevs.json" --socket "$tmp/ctl.sock" "${opts[@]}" >"$tmp/dut.log" 2>&1 </dev/null &
		dut_pid=$!
		;;
	ovs)
		# A scenario OVS-DPDK cannot run (its text says why).
		[ -n "${sc_ovs_not_built:-}" ] && return 3
		ovs_hugepages_reserve || { echo "matrix: no hugepages for OVS" >&2; return 1; }
		ovs_start "$tmp/ovs" "$dut_core" "$ctl_core" "$port" "$prefix-ovs" >"$tmp/dut.log" 2>&1 ||
			{ cat "$tmp/ovs/ovs-vswitchd.log" >>"$tmp/dut.log" 2>/dev/null; return 1; }
		ovs_flows >>"$tmp/dut.log" 2>&1 || return 1
		# Room for every connection a run can open (default 3M).
		ovs_appctl dpctl/ct-set-maxconns 20000000 >/dev/null
		return 0
		;;
	esac
	for _ in $(seq 300); do
		if [ "$1" = testpmd ]; then
			grep -q "packet forwarding - ports=" "$tmp/dut.log" 2>/dev/null && return 0
		elif [ -S "$tmp/p0.sock" ] && [ -S "$tmp/p1.sock" ] && [ -S "$tmp/ctl.sock" ]; then
			return 0
		fi
		kill -0 "$dut_pid" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

# The device's PMD counters: prints "busy_cycles packets" (cumulative).
dut_counters() {
	case "$1" in
	edgevs | edgevs-old)
		"$([ "$1" = edgevs ] && echo "$ctl" || echo "$ctl_old")" -s "$tmp/ctl.sock" --json stats get 2>/dev/null | python3 -c '
import json, sys
p = json.load(sys.stdin)["pmds"]
print(sum(x["busy_cycles"] for x in p), sum(x["rx_packets"] for x in p))' 2>/dev/null || echo "- -"
		;;
	ovs)
		ovs_pmd_stats | awk '{print $1, $3}'
		;;
	*) echo "0 0" ;;
	esac
}

# Ticks the hypervisor took from the generator's and the device's cores
# (/proc/stat's steal): "GEN DUT".
steal_ticks() {
	awk -v g="cpu$gen_core" -v d="cpu$dut_core" '$1 == g { sg = $9 } $1 == d { sd = $9 }
		END { print sg + 0, sd + 0 }' /proc/stat
}

# A cache line's round trip between the two cores in ns (test/perf/core_bounce.c),
# or "-": the host may run the two vCPUs on cores that share an L3 or not.
# Taken while the device polls (the lowest of 50 batches: some run between
# its time slices) and the generator's core is free.
bounce_ns() {
	local out
	out=$("$bounce_tool" "$gen_core" "$dut_core" 50 2>/dev/null) && echo "${out% ns}" || echo -
}

# Before a run, both cores idle: wait (up to BOUNCE_WAIT s, default 120) for
# the host to put the two vCPUs where they share a cache (a round trip below
# BOUNCE_NEAR_NS, redo.sh). Here the host moves them every minute or so; on
# cores that share none every device forwards a third slower and the
# generator a quarter as fast (2026-12-07: 49-64 ns against 308-504 ns).
bounce_waited=0
wait_near() {
	local b t0=$SECONDS
	[ -x "$bounce_tool" ] || return 0
	while :; do
		b=$(bounce_ns)
		[ "$b" = - ] || [ "$b" -lt "$BOUNCE_NEAR_NS" ] && break
		[ $((SECONDS - t0)) -lt "${BOUNCE_WAIT:-120}" ] || break
		sleep 2
	done
	bounce_waited=$((bounce_waited + SECONDS - t0))
}

# One run: writes the CSV fields from rx_mpps on to $tmp/line. Not in a
# subshell: it stops the device, which must be reaped by this shell.
run_once() { # device flows size
	local dev=$1 f=$2 s=$3 before after conns=- sz mix=() steal0 steal1 bounce0 bounce1
	sz=(--size "$s")
	[ "$s" = imix ] && sz=(--imix)
	# The scenario's flow mix (sc_flow_mix prints edgevs-gen options).
	if [ "$flow_mix" = scenario ] && [ $conn = 0 ] && declare -F sc_flow_mix >/dev/null; then
		read -r -a mix <<<"$(sc_flow_mix "$f")"
	fi
	# Stateful scenarios: every connection made once before the measured
	# run (each run starts a fresh device), so that it measures established
	# traffic, not a first packet per flow (the rate of those is the
	# --conn-rate scenario's). Every device gets the same warm-up. UDP at
	# many flows: 4 s of the traffic itself. TCP (sc_l4=tcp): a handshake
	# per flow through the device, at a rate every device completes
	# (OVS-DPDK: ~420k handshakes/s), each flow at least once; then its
	# segments are in window (edgevs-gen --proto tcp-ack).
	local warm=()
	if [ $conn = 0 ] && [ "$sc_l4" = tcp ]; then
		warm=(--connect --rate "$TCP_WARM_RATE" --duration $((f / TCP_WARM_RATE + 2)))
	elif [ $conn = 0 ] && [ "$f" -gt 32768 ] && [[ "$sc" =~ ^(firewall|lb)$ ]]; then
		warm=(--duration 4)
	fi
	if [ ${#warm[@]} -gt 0 ]; then
		timeout -k 5 $((f / TCP_WARM_RATE + 60)) "$gen" --lcores "0@$gen_core" "${eal[@]}" \
			"${gen_mem[@]}" --file-prefix "$prefix-g" --vdev "$(gen_dev 0)" --vdev "$(gen_dev 1)" -- \
			--tx-port 0 --rx-port 1 --flows "$f" "${sz[@]}" --json --no-progress \
			"${sc_gen_args[@]}" "${mix[@]}" "${warm[@]}" >/dev/null 2>&1 || true
		[ "$sc_l4" = tcp ] && mix+=(--proto tcp-ack)
	fi
	[ "$dev" = ovs ] && ovs_clear_stats
	bounce0=$(bounce_ns)
	before=$(dut_counters "$dev")
	steal0=$(steal_ticks)
	timeout -k 5 $((duration + 60)) "$gen" --lcores "0@$gen_core" "${eal[@]}" "${gen_mem[@]}" \
		--file-prefix "$prefix-g" --vdev "$(gen_dev 0)" --vdev "$(gen_dev 1)" -- \
		--tx-port 0 --rx-port 1 --flows "$f" "${sz[@]}" --duration "$duration" --json \
		--no-progress --rx-check "$rx_check" "${sc_gen_args[@]}" "${mix[@]}" "${conn_args[@]}" \
		>"$tmp/run.json" 2>"$tmp/run.err" || return 1
	steal1=$(steal_ticks)
	bounce1=$(bounce_ns)
	# Frames sent and none came back: a port that did not come up (vhost
	# queues never enabled), not a measurement; the attempt is retried.
	python3 -c 'import json, sys; t = json.load(open(sys.argv[1]))["total"]; sys.exit(t["tx_pkts"] > 0 and t["rx_pkts"] == 0)' \
		"$tmp/run.json" || { echo "matrix: nothing came back" >>"$tmp/run.err"; return 1; }
	after=$(dut_counters "$dev")
	# MATRIX_CT_STATS=FILE: each edgevs run's conntrack counters, appended
	if [ -n "${MATRIX_CT_STATS:-}" ] && [ "$dev" = edgevs ]; then
		"$ctl" -s "$tmp/ctl.sock" --json ct stats >>"$MATRIX_CT_STATS" 2>&1 || true
	fi
	if [ $conn = 1 ]; then
		case "$dev" in
		ovs) conns=$(ovs_ct_conns) ;;
		edgevs) conns=$("$ctl" -s "$tmp/ctl.sock" --json ct stats 2>/dev/null |
			python3 -c 'import json, sys; print(json.load(sys.stdin)["conns"])' 2>/dev/null || echo -) ;;
		esac
	fi
	stop_dut
	if [ "$dev" = testpmd ]; then
		# Its busy cycles and packets, printed when it stops.
		after=$(sed -n 's/.*total cycles=\([0-9]*\) \/ total io packets=\([0-9]*\).*/\1 \2/p' \
			"$tmp/dut.log" | tail -n1)
		[ -n "$after" ] || after="- -"
	fi
	python3 - "$tmp/run.json" "$before" "$after" "$conns" "$steal0" "$steal1" "$bounce0" "$bounce1" \
		>"$tmp/line" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
t, g = r["total"], r.get("generator", {})
b0, p0 = sys.argv[2].split()
b1, p1 = sys.argv[3].split()
busy = pk = "-"
if "-" not in (b0, b1, p0, p1):
    busy, pk = int(b1) - int(b0), int(p1) - int(p0)
# the hypervisor's share of each core, in ticks (USER_HZ) over the
# generator's whole run (start-up too) per second of its window: a bound
s0, s1 = [int(x) for x in sys.argv[5].split()], [int(x) for x in sys.argv[6].split()]
steal = ["%.1f" % (100.0 * (b - a) / 100 / r["duration_s"]) for a, b in zip(s0, s1)]
print("%.4f,%.4f,%.4f,%.4f,%d,%.1f,%d,%s,%s,%s,%s,%s" % (
    t["rx_mpps"], t["tx_mpps"], t["loss_pct"], r["duration_s"], r["config"]["tsc_hz"],
    g.get("busy_pct", -1), g.get("tx_refused_bursts", -1), busy, pk, sys.argv[4],
    r["connect"]["connections"] if "connect" in r else "-", ",".join(steal + sys.argv[7:9])))
EOF
}

if [ -n "$report_csv" ]; then
	mkdir -p "$out"
	[ "$report_csv" -ef "$out/runs.csv" ] || cp "$report_csv" "$out/runs.csv"
	scenarios=$(tail -n +2 "$out/runs.csv" | cut -d, -f1 | uniq | tr '\n' ' ')
	port=$(sed -n '2s/^[^,]*,[^,]*,\([^,]*\),.*/\1/p' "$out/runs.csv")
	runs=$(tail -n +2 "$out/runs.csv" | cut -d, -f6 | sort -n | tail -n1)
fi
csv="$out/runs.csv"
[ -n "$report_csv" ] || echo "scenario,device,port,flows,size,run,status,load1,rx_mpps,tx_mpps,loss_pct,window_s,tsc_hz,gen_busy_pct,gen_refused,dut_busy_cycles,dut_pkts,conns,handshakes,steal_gen_pct,steal_dut_pct,bounce_before_ns,bounce_after_ns,redone" >"$csv"
# gen_bound, gen_cpf, redo_run: when a run is measured again
# shellcheck source=redo.sh
. "$here/redo.sh"
record() { # key status fields
	echo "$1,$2,$(cut -d' ' -f1 /proc/loadavg),$3" >>"$csv"
}

for sc in $scenarios; do
	[ -z "$report_csv" ] || break
	sc_gen_args=()
	sc_l4=udp
	unset -f sc_flow_mix sc_edgevs_sizing
	unset sc_ovs_tunnel sc_ovs_not_built
	# shellcheck source=/dev/null
	. "$perf/scenarios/$sc.sh"
	for f in $flows; do
		for s in $sizes; do
			for r in $(seq "$runs"); do
				# Devices interleaved per run: host noise hits them alike.
				for dev in $devices; do
					# testpmd ignores the scenario: measured once, under the first.
					if [ "$dev" = testpmd ] && [ "$sc" != "${scenarios%% *}" ]; then
						continue
					fi
					# The older build: its before/after scenarios only.
					[ "$dev" = edgevs-old ] && [[ " $old_scenarios " != *" $sc "* ]] && continue
					key="$sc,$dev,$port,$f,$s,$r"
					line=""
					redone=0
					fails=0
					# a device that fails to come up gets three tries
					while :; do
						: >"$tmp/run.err"
						wait_near
						start_dut "$dev"
						rc=$?
						if [ $rc = 3 ]; then
							line=not-built
							break
						fi
						if [ $rc = 0 ] && run_once "$dev" "$f" "$s"; then
							line=$(cat "$tmp/line")
							# The host moved the vCPUs apart during the run, or
							# slowed the generator (its cost per frame doubled
							# or more, and the device's with it): again.
							if [ $conn = 0 ] && redo_run "$line" "$s $f" "$redone"; then
								redone=$((redone + 1))
								echo "matrix: $key: host-slowed run ($(echo "$line" | cut -d, -f1) Mpps, generator $(gen_cpf "$line") cycles/frame, round trip $(echo "$line" | cut -d, -f15) ns): again" >&2
								stop_dut
								continue
							fi
							break
						fi
						line=""
						fails=$((fails + 1))
						{ cat "$tmp/dut.log" "$tmp/run.err" "$tmp"/ovs/ovs-vswitchd.log; } \
							>"$out/failed-$sc-$dev-$f-$s-$r-$fails.log" 2>/dev/null
						echo "matrix: $key failed (attempt $fails): $(tail -n2 "$tmp/run.err" 2>/dev/null | tr '\n' ' ')" >&2
						stop_dut
						[ $fails -lt 3 ] || break
					done
					stop_dut
					case "$line" in
					not-built) record "$key" not-built ",,,,,,,,,,,,,,,0" ;;
					"") record "$key" failed ",,,,,,,,,,,,,,,$redone" ;;
					*)
						record "$key" ok "$line,$redone"
						echo "matrix: $key: $(echo "$line" | cut -d, -f1) Mpps" >&2
						;;
					esac
				done
			done
		done
	done
done

[ -n "$report_csv" ] || echo "matrix: waited $bounce_waited s in all for the vCPUs to share a cache" >&2
python3 "$here/matrix_report.py" "$csv" "$out" "$runs" "$duration" "$conn"
if command -v gnuplot >/dev/null; then
	for sc in $scenarios; do
		[ -s "$out/$sc.dat" ] || continue
		n=$(grep -c '^"' "$out/$sc.dat")
		[ "$n" -gt 0 ] || continue
		# shellcheck source=/dev/null
		. "$perf/scenarios/$sc.sh"
		# The title on two lines: one line is wider than the plot (the
		# key sits outside, right) and pngcairo cuts it at the edges.
		gnuplot <<EOF
set terminal pngcairo size 900,540 noenhanced
set output "$out/$sc.png"
set title "$sc_title\nMpps through one device core ($port ports), median and min-max"
set xlabel "flows"
set ylabel "Mpps"
set logscale x
set yrange [0:*]
set key outside right
set grid
plot for [i=0:$((n - 1))] "$out/$sc.dat" index i using 1:2:3:4 with yerrorlines title columnheader(1)
EOF
	done
fi
echo "matrix: results in $out" >&2
