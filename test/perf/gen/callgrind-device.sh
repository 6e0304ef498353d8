#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Instructions per packet of a device over vhost-user, by function: the
# device (edgevs L2, or dpdk-testpmd io forwarding: the ceiling) under
# callgrind, its forwarding thread only, between two vhost-user ports that
# edgevs-gen drives one way at full rate outside valgrind: 64 B, 1k flows
# that differ in the destination address (the matrix's L2 mix). Under
# valgrind the device is always the bottleneck, so every rx burst is full:
# the saturated case the matrix measures in cycles. Counts are deterministic
# enough to compare builds on a loaded machine, where cycles are not.
#
# --scenario NAME runs edgevs with test/perf/scenarios/NAME.sh's configuration
# and traffic instead (e.g. tunnel: the encap direction over GENEVE).
#
# --cache-sim adds callgrind's cache simulation (this host's geometry,
# given: L1 32 KiB 8-way, LL 32 MiB 16-way, its L3; valgrind's own guess
# here is a 256 MiB direct-mapped LL, which holds a 1M-flow conntrack
# table): D1 and LL misses per packet, reads and writes, in total and per
# function beside the instructions.
#
# --warm S: seconds of traffic before counting (default 5). Scenarios that
# commit every flow to conntrack need every flow seen once first, or the
# window counts new connections: under valgrind that is ~20 s for 64k flows
# (more with --cache-sim; the lb scenario's "create" in the profile tells).
#
# A TCP scenario (sc_l4=tcp, e.g. lb-tcp) opens every flow by a handshake
# first (edgevs-gen --connect at TCP_WARM_RATE handshakes/s, default 500:
# the device runs under valgrind), then sends --proto tcp-ack, as
# matrix.sh does.
#
# --virtio ",ARGS": the virtio_user options of the generator's ports
# (default: the suite's, virtio.sh; "" for DPDK's defaults;
# ",packed_vq=1"): what a guest's virtio options make the device's
# vhost-user side do.
#
# Usage: test/perf/gen/callgrind-device.sh [--device edgevs|testpmd] [--edgevs PATH]
#          [--gen PATH] [--flows N] [--duration S] [--top N] [--scenario NAME]
#          [--virtio ",ARGS"] [--cache-sim] [--warm S]
# KEEP=1 keeps the callgrind output (its directory is printed).
set -u
here=$(cd "$(dirname "$0")" && pwd)
newest() { ls -t "$here"/../../../build*/"$1" 2>/dev/null | grep -v -e asan -e sanit | head -n1; }
gen=$(newest app/edgevs-gen/edgevs-gen)
evs=$(newest app/edgevs/edgevs)
device=edgevs
flows=1000
duration=20
top=25
scenario=""
cache_sim=no
warm=5
# the suite's guest (GEN_VIRTIO); --virtio replaces it
# shellcheck source=virtio.sh
. "$here/virtio.sh"
virtio=$GEN_VIRTIO
while [ $# -gt 0 ]; do
	case "$1" in
	--device) device=$2; shift ;;
	--edgevs) evs=$2; shift ;;
	--gen) gen=$2; shift ;;
	--flows) flows=$2; shift ;;
	--duration) duration=$2; shift ;;
	--top) top=$2; shift ;;
	--scenario) scenario=$2; shift ;;
	--virtio) virtio=$2; shift ;;
	--cache-sim) cache_sim=yes ;;
	--warm) warm=$2; shift ;;
	-h | --help) sed -n '3,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "callgrind-device: unknown option $1" >&2; exit 1 ;;
	esac
	shift
done
case "$device" in edgevs | testpmd) ;; *) echo "callgrind-device: --device edgevs|testpmd" >&2; exit 1 ;; esac
command -v valgrind >/dev/null || { echo "callgrind-device: needs valgrind" >&2; exit 1; }
[ -x "$gen" ] || { echo "callgrind-device: edgevs-gen not found (--gen PATH)" >&2; exit 1; }
[ "$device" = testpmd ] || [ -x "$evs" ] || { echo "callgrind-device: edgevs not found (--edgevs PATH)" >&2; exit 1; }
ctl=$(dirname "$evs")/../edgevsctl/edgevsctl
prefix=evs-cgd-$$
tmp=$(mktemp -d "/tmp/$prefix.XXXXXX")
dut=""
gpid=""
stop() { # $1 pid: SIGINT, then KILL after 20 s (valgrind writes its output on exit)
	kill -INT "$1" 2>/dev/null
	for _ in $(seq 200); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
cleanup() {
	[ -n "$gpid" ] && stop "$gpid"
	[ -n "$dut" ] && stop "$dut"
	if [ -n "${KEEP:-}" ]; then echo "callgrind-device: kept $tmp" >&2; else rm -rf "$tmp"; fi
	rm -rf /var/run/dpdk/"$prefix"-* 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM
eal=(--no-huge -m 512 --no-shconf --no-pci --no-telemetry --log-level=lib.eal:warning)
cg=(valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" --separate-threads=yes
	--compress-strings=no --compress-pos=no --cache-sim="$cache_sim")
[ "$cache_sim" = no ] || cg+=(--I1=32768,8,64 --D1=32768,8,64 --LL=33554432,16,64)
gen_mix=(--sport-range 1 --dip-range "$flows")
dut_opts=()
dut_mem=() # a later -m replaces eal's
if [ -n "$scenario" ]; then
	# shellcheck source=/dev/null
	. "$here/../scenarios/$scenario.sh" || exit 1
	port() { echo "{ \"name\": \"p$1\", \"type\": \"vhost-user\", \"path\": \"$tmp/p$1.sock\" }"; }
	sc_edgevs_config "$(port 0)" "$(port 1)" >"$tmp/edgevs.json"
	# the scenario's flow mix where it has one (else edgevs-gen's default,
	# as matrix.sh does)
	gen_mix=("${sc_gen_args[@]}")
	if declare -F sc_flow_mix >/dev/null; then
		# shellcheck disable=SC2207
		gen_mix+=($(sc_flow_mix "$flows"))
	fi
	# conntrack sized for the flows as matrix.sh does (the default table,
	# 65536, refuses the rest of a 1M-flow run)
	if declare -F sc_edgevs_sizing >/dev/null; then
		read -r ct_max ct_mib <<<"$(sc_edgevs_sizing "$flows" 0)"
		dut_opts=(--ct-max "$ct_max")
		dut_mem=(-m "$ct_mib")
	fi
elif [ "$device" = edgevs ]; then
	cat >"$tmp/edgevs.json" <<JSON
{ "switches": [ { "name": "sw0" } ],
  "ports": [ { "name": "p0", "type": "vhost-user", "path": "$tmp/p0.sock", "switch": "sw0" },
             { "name": "p1", "type": "vhost-user", "path": "$tmp/p1.sock", "switch": "sw0" } ] }
JSON
fi
if [ "$device" = edgevs ]; then
	taskset -c 1 "${cg[@]}" --toggle-collect=pmd_main "$evs" --lcores 0@1,1@1 "${eal[@]}" \
		"${dut_mem[@]}" --file-prefix "$prefix-d" -- --config "$tmp/edgevs.json" \
		--socket "$tmp/ctl.sock" "${dut_opts[@]}" >"$tmp/dut.log" 2>&1 </dev/null &
	dut=$!
	ready() { [ -S "$tmp/p1.sock" ] && [ -S "$tmp/ctl.sock" ]; }
else
	# testpmd is stripped: its forwarding lcore is the thread with the most
	# instructions (callgrind writes one file per thread)
	taskset -c 1 "${cg[@]}" dpdk-testpmd --lcores 0@1,1@1 "${eal[@]}" --file-prefix "$prefix-d" \
		--vdev "net_vhost0,iface=$tmp/p0.sock,client=0" --vdev "net_vhost1,iface=$tmp/p1.sock,client=0" -- \
		--forward-mode=io --auto-start --disable-link-check --stats-period 3600 \
		--total-num-mbufs=32768 >"$tmp/dut.log" 2>&1 </dev/null &
	dut=$!
	ready() { grep -q "packet forwarding - ports=" "$tmp/dut.log" 2>/dev/null; }
fi
for _ in $(seq 1200); do ready && break; kill -0 "$dut" 2>/dev/null || break; sleep 0.1; done
ready || { tail -5 "$tmp/dut.log" >&2; echo "callgrind-device: $device did not start" >&2; exit 1; }
# count only while traffic flows: no start-up, no idle polls after the run
count() { # device packets so far
	if [ "$device" = edgevs ]; then
		"$ctl" -s "$tmp/ctl.sock" --json stats get | python3 -c '
import json, sys
print(sum(x["rx_packets"] for x in json.load(sys.stdin)["pmds"]))'
	else
		echo 0
	fi
}
cgc() { callgrind_control "$1" "$dut" >/dev/null || { echo "callgrind-device: callgrind_control failed" >&2; exit 1; }; }
# bounded: closing a vhost-user port waits for the device under valgrind
gen_start() { # $1 traffic seconds, then edgevs-gen options
	local secs=$1
	shift
	timeout -k 5 $((secs + 90)) taskset -c 0 "$gen" -l 0 "${eal[@]}" --file-prefix "$prefix-g" \
		--vdev "net_virtio_user0,path=$tmp/p0.sock,queue_size=1024$virtio" \
		--vdev "net_virtio_user1,path=$tmp/p1.sock,queue_size=1024$virtio" -- \
		--tx-port 0 --rx-port 1 --flows "$flows" "${gen_mix[@]}" \
		--duration "$secs" --rx-check 16 --json --no-progress "$@" >"$tmp/g.json" 2>"$tmp/g.err" &
	gpid=$!
}
# its report written, a generator stuck closing its ports is fine
gen_wait() {
	wait "$gpid" || [ -s "$tmp/g.json" ] || { gpid=""; tail -3 "$tmp/g.err" >&2; exit 1; }
	gpid=""
}
if [ "$device" = edgevs ]; then
	# part 1: idle polls only, the per-loop cost that a busy loop also pays
	cgc -z
	sleep 3
	cgc -d
	if [ "${sc_l4:-udp}" = tcp ]; then
		# every flow opened once, not counted
		rate=${TCP_WARM_RATE:-500}
		gen_start $((flows / rate + 3)) --connect --rate "$rate"
		gen_wait
		gen_mix+=(--proto tcp-ack)
	fi
	# part 2: traffic; the classifier settles first (masks, EMC verdict)
	gen_start $((duration + warm))
	sleep "$warm"
	cgc -z
	pkts0=$(count)
	sleep "$duration"
	cgc -d
	pkts=$(($(count) - pkts0))
	gen_wait
else
	# testpmd polls a vhost-user port only once a guest is there: the idle
	# part is taken with the generator connected and silent (a long
	# --learn-wait), and the traffic part holds the whole run, as the
	# totals testpmd prints count all of it; its idle polls are taken out.
	gen_start "$duration" --learn-wait 8000
	for _ in $(seq 300); do
		[ "$(grep -c "virtio is now ready" "$tmp/dut.log")" -ge 2 ] && break
		sleep 0.1
	done
	sleep 2
	cgc -z
	sleep 3
	cgc -d
	gen_wait
	cgc -d
fi
if [ "$device" = edgevs ]; then # what the classifier held: masks, EMC in use or not
	"$ctl" -s "$tmp/ctl.sock" --json flow stats | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("flow.stats:", json.dumps(d, separators=(",", ":"))[:600])' >&2
	[ -z "${DUMP:-}" ] || "$ctl" -s "$tmp/ctl.sock" --json flow dump >&2
fi
stop "$dut"
dut=""
if [ "$device" = testpmd ]; then
	# its totals since start-up: the traffic is all there is (no idle frames)
	pkts=$(sed -n '/Accumulated forward statistics/,/^ *+\{10,\}/s/.*RX-packets: *\([0-9]*\).*/\1/p' "$tmp/dut.log" | head -n1)
	# frames it could not hand to the generator cost less: few, or the
	# count is not the forwarding cost
	sed -n '/Accumulated forward statistics/,/^ *+\{10,\}/s/.*\(TX-dropped: *[0-9]*\).*/testpmd: \1/p' \
		"$tmp/dut.log" | head -n1 >&2
fi
[ -n "$pkts" ] && [ "$pkts" -gt 0 ] || { echo "callgrind-device: no packets forwarded" >&2; exit 1; }
# the forwarding thread: the thread with the most instructions in the traffic part
thr=$(for f in "$tmp"/cg.out.2-*; do
	printf '%s %s\n' "$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$f")" "${f##*-}"
done | sort -n | tail -n1 | cut -d' ' -f2)
python3 - "$pkts" "$tmp/cg.out.1-$thr" "$tmp/cg.out.2-$thr" "$device" "$flows" "$top" <<'PY'
import sys
n, top = int(sys.argv[1]), int(sys.argv[6])

def parse(path):
    """self cost (one list per event) and call counts per function of one dump"""
    self_cost, calls, fn, after_call, ob, ev = {}, {}, None, False, "", ["Ir"]
    for l in open(path):
        if l.startswith("events:"):
            ev = l.split()[1:]
        elif l.startswith("ob="):
            ob = l[3:].strip().rsplit("/", 1)[-1]
        elif l.startswith("fn="):
            fn, after_call = l[3:].strip(), False
            if fn.startswith("0x"):  # a stripped library: say which
                fn = "%s:%s" % (ob, fn)
        elif l.startswith("cfn="):
            cfn = l[4:].strip()
        elif l.startswith("calls="):
            calls[cfn] = calls.get(cfn, 0) + int(l[6:].split()[0])
            after_call = True
        elif l[:1].isdigit() and fn is not None:
            if after_call:  # the inclusive cost of the call just named
                after_call = False
            else:
                v = [int(x) for x in l.split()[1:]]
                c = self_cost.setdefault(fn, [0] * len(ev))
                for i, x in enumerate(v):
                    c[i] += x
    return self_cost, calls, ev

idle, idle_calls, ev = parse(sys.argv[2])
busy, busy_calls, _ = parse(sys.argv[3])
loop_fn = "evs_pipeline_service" if sys.argv[4] == "edgevs" else None
if loop_fn:
    idle_loops, loops = idle_calls.get(loop_fn, 0), busy_calls.get(loop_fn, 0)
    bursts = busy_calls.get("evs_pipeline_run", 0)
else:
    # testpmd io, stripped: a poll is a dequeue call (one per port per
    # loop), and only a dequeue that got packets is followed by an enqueue
    # (no retries). An idle poll's cost comes from the idle part: on a
    # loaded machine the generator falls behind now and then.
    idle_loops = idle_calls.get("rte_vhost_dequeue_burst", 0)
    loops = busy_calls.get("rte_vhost_dequeue_burst", 0)
    bursts = busy_calls.get("rte_vhost_enqueue_burst", 0)
# what the idle polls of the traffic part cost, taken out function by function
extra = (loops - bursts) / idle_loops if idle_loops else 0.0
zero = [0] * len(ev)
cost = {f: [b - i * extra for b, i in zip(c, idle.get(f, zero))] for f, c in busy.items()}
# misses: D1 (reads + writes) and LL data (reads + writes), with --cache-sim
pick = [[ev.index(e) for e in grp if e in ev] for grp in (("D1mr", "D1mw"), ("DLmr", "DLmw"))]
def misses(c, g):
    return sum(c[i] for i in pick[g])
total = sum(c[0] for c in cost.values())
print("%s, %s flows: %d packets in %d bursts (%.1f per burst); %.0f instructions per "
      "packet, forwarding thread, idle polls taken out (%d of %d loops, %.0f instructions each)"
      % (sys.argv[4], sys.argv[5], n, bursts, n / bursts if bursts else 0, total / n,
         loops - bursts, loops, sum(c[0] for c in idle.values()) / idle_loops if idle_loops else 0))
# every frame is parsed once (edgevs: evs_packet_parse, the decap's too): a
# count inside the measured window, where the rx counter is read beside it
# (on a loaded host callgrind_control acts later than the count is read)
parsed = busy_calls.get("evs_packet_parse", 0) if sys.argv[4] == "edgevs" else 0
if parsed:
    print("per parsed frame (%d evs_packet_parse calls, %.3f of the counted packets): "
          "%.0f instructions" % (parsed, parsed / n, total / parsed))
    n = parsed
if pick[0]:
    d1 = [sum(c[ev.index(e)] for c in cost.values()) / n for e in ("D1mr", "D1mw")]
    ll = [sum(c[ev.index(e)] for c in cost.values()) / n for e in ("DLmr", "DLmw")]
    print("cache: D1 misses per packet %.2f (read %.2f, write %.2f); LL data misses %.3f "
          "(read %.3f, write %.3f)" % (sum(d1), d1[0], d1[1], sum(ll), ll[0], ll[1]))
# functions per packet (per parsed frame when counted)
for f, c in sorted(cost.items(), key=lambda x: -x[1][0])[:top]:
    if c[0] / n >= 0.5:
        if pick[0]:
            print("%8.1f  D1 %5.2f  LL %5.3f  %s" % (c[0] / n, misses(c, 0) / n, misses(c, 1) / n, f))
        else:
            print("%8.1f  %s" % (c[0] / n, f))
PY
