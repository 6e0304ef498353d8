#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Smoke test of edgevs-gen, no performance assertions:
#  1. dpdk-testpmd io-forwards between two net_memif ports; edgevs-gen runs
#     each scenario against it for a few seconds and must see its frames
#     come back (every sampled flow, no crash), with sane pacing;
#  2. edgevs-gen writes a few frames of each kind to a pcap (net_pcap) and
#     tshark, an independent decoder, must agree with every header field and
#     checksum.
# Ends on its own and removes everything it created.
#
# Usage: test/perf/gen/smoke.sh [path/to/edgevs-gen]
# Env:   EVS_GEN_DURATION (seconds per scenario, default 2),
#        TESTPMD (default dpdk-testpmd), GEN_LCORES (default 0),
#        TESTPMD_LCORES (default 0,1: main + one forwarding lcore).

set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
gen=${1:-${EVS_GEN:-}}
if [ -z "$gen" ]; then
	gen=$(ls -t "$root"/build*/app/edgevs-gen/edgevs-gen 2>/dev/null | head -n1)
fi
testpmd=${TESTPMD:-dpdk-testpmd}
dur=${EVS_GEN_DURATION:-2}
gen_lcores=${GEN_LCORES:-0}
tp_lcores=${TESTPMD_LCORES:-0,1}

if [ -z "$gen" ] || [ ! -x "$gen" ]; then
	echo "smoke: edgevs-gen binary not found (build it, or pass its path)" >&2
	exit 1
fi
for tool in "$testpmd" tshark python3; do
	if ! command -v "$tool" >/dev/null; then
		echo "smoke: $tool not found (apt-get install -y dpdk tshark python3)" >&2
		exit 1
	fi
done

prefix="evsgen-smoke-$$"
tmp=$(mktemp -d "/tmp/${prefix}.XXXXXX")
tp_pid=""
passed=0
failed=0

cleanup() {
	stop_testpmd
	rm -rf "$tmp" /var/run/dpdk/"$prefix"-* 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

eal_common=(--no-huge -m 512 --no-pci --no-telemetry --log-level=lib.eal:warning)
memif() { # $1 port index, $2 role
	echo "net_memif$1,role=$2,socket=$tmp/memif$1.sock,socket-abstract=no,id=0"
}

ok() {
	echo "PASS $1"
	passed=$((passed + 1))
}
ko() {
	echo "FAIL $1: $2"
	failed=$((failed + 1))
}

# ------------------------------------------------------------- testpmd --
# A fresh testpmd per scenario: DPDK 22.11's memif can crash the side that
# stays up when its peer disconnects while it polls, so no reconnects.
start_testpmd() { # [vdev args]: default two memif servers
	local vdevs=("$@")
	[ ${#vdevs[@]} -eq 0 ] && vdevs=(--vdev "$(memif 0 server)" --vdev "$(memif 1 server)")
	rm -f "$tmp"/*.sock
	# Line-buffered so that the readiness line reaches the log at once.
	stdbuf -oL "$testpmd" -l "$tp_lcores" "${eal_common[@]}" --file-prefix "$prefix-tp" \
		"${vdevs[@]}" -- \
		--forward-mode=io --auto-start --disable-link-check --stats-period 3600 \
		--total-num-mbufs=16384 \
		>"$tmp/testpmd.log" 2>&1 </dev/null &
	tp_pid=$!
	for _ in $(seq 600); do
		grep -q "packet forwarding - ports=" "$tmp/testpmd.log" 2>/dev/null && return 0
		kill -0 "$tp_pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "smoke: testpmd did not start:" >&2
	tail -20 "$tmp/testpmd.log" >&2
	return 1
}

stop_testpmd() {
	if [ -n "$tp_pid" ] && kill -0 "$tp_pid" 2>/dev/null; then
		kill -INT "$tp_pid" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$tp_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$tp_pid" 2>/dev/null
	fi
	if [ -n "$tp_pid" ]; then
		wait "$tp_pid" 2>/dev/null
		case $? in
		134 | 139) echo "  note: testpmd crashed when its memif peer left (DPDK 22.11 memif; not a failure here)" ;;
		esac
	fi
	tp_pid=""
}

# Checks one JSON result: $1 scenario name, $2 json file, $3 extra checks.
check_json() {
	python3 - "$1" "$2" "$3" <<'EOF'
import json, sys
name, path, extra = sys.argv[1], sys.argv[2], sys.argv[3]
r = json.load(open(path))
if "rfc2544" in r:
    s = r["rfc2544"]
    # No performance assertion: a loaded machine may find no loss-free rate.
    ok = len(s["trials"]) >= 1 and all(t["tx_pkts"] > 0 for t in s["trials"])
    print("  rfc2544: %d trials, throughput %.0f pps offered, %.3f Mpps received"
          % (len(s["trials"]), s["throughput_pps"], s["throughput_rx_mpps"]))
    sys.exit(0 if ok else 1)
t = r["total"]
lat = t["latency_ns"]
print("  tx %.3f Mpps %.3f Gb/s, rx %.3f Mpps, loss %.4f%%, reordered %d, lat p50 %s p99 %s us, "
      "flows sampled %d missing %s, foreign %d"
      % (t["tx_mpps"], t["tx_gbps"], t["rx_mpps"], t["loss_pct"], t["reordered"],
         "%.1f" % (lat["p50"] / 1e3) if lat else "-", "%.1f" % (lat["p99"] / 1e3) if lat else "-",
         t["flows"]["sampled"], t["flows"]["sample_missing"], r["rx_foreign"]))
errs = []
if t["tx_pkts"] <= 0: errs.append("nothing sent")
if t["rx_pkts"] <= 0: errs.append("nothing received")
if t["rx_pkts"] > t["tx_pkts"]: errs.append("received more than sent")
missing = t["flows"]["sample_missing"]  # None: not checked (--rx-check)
if (t["tx_pkts"] >= 10 * r["config"]["flows"] and t["loss_pct"] < 50
        and missing not in (0, None)):
    errs.append("%d sampled flows never arrived" % t["flows"]["sample_missing"])
if "latency" in extra and not lat: errs.append("no latency measured")
if "connect" in extra:
    # Every completed handshake was answered twice; none without a SYN.
    c = r["connect"]
    print("  connections %d completed, %d SYN-ACKs, %d ACKs sent"
          % (c["connections"], c["synack_sent"], c["ack_sent"]))
    if not 0 < c["connections"] <= c["ack_sent"] <= c["synack_sent"] <= t["rx_pkts"]:
        errs.append("handshake counts out of order")
if "rxcheck8" in extra:
    # One frame in 8 decoded: the latency samples are that share of what
    # arrived, every frame is still counted, reception per flow unchecked.
    n = lat["samples"] if lat else 0
    if not (0.9 * t["rx_pkts"] / 8 - 64 <= n <= 1.1 * t["rx_pkts"] / 8 + 64):
        errs.append("%d latency samples for %d frames received with --rx-check 8"
                    % (n, t["rx_pkts"]))
    if missing is not None: errs.append("per-flow reception reported without decoding every frame")
if "rate" in extra:
    # Faster than asked is a pacing bug; slower can be a busy machine.
    want = r["config"]["rate_pps"] / 1e6
    if t["tx_mpps"] > 1.02 * want:
        errs.append("paced at %.4f Mpps, asked %.4f" % (t["tx_mpps"], want))
    elif t["tx_mpps"] < 0.9 * want:
        print("  note: paced at %.4f Mpps, below the %.4f asked (machine busy?)"
              % (t["tx_mpps"], want))
if errs:
    print("  " + "; ".join(errs))
    sys.exit(1)
EOF
}

run_gen() { # $1 name, $2 extra checks, rest: generator options
	local name=$1 extra=$2
	shift 2
	local out="$tmp/$name.json"
	if ! start_testpmd; then
		ko "$name" "testpmd did not start"
		return
	fi
	if ! timeout -k 5 120 "$gen" -l "$gen_lcores" "${eal_common[@]}" --file-prefix "$prefix-g" \
		--vdev "$(memif 0 client)" --vdev "$(memif 1 client)" -- \
		--tx-port 0 --rx-port 1 --json --no-progress "$@" >"$out" 2>"$tmp/$name.err"; then
		ko "$name" "edgevs-gen exited with an error: $(tail -3 "$tmp/$name.err" | tr '\n' ' ')"
		stop_testpmd
		return
	fi
	stop_testpmd
	if check_json "$name" "$out" "$extra"; then
		ok "$name"
	else
		ko "$name" "see above"
	fi
}

echo "== edgevs-gen against testpmd io forwarding (net_memif), ${dur}s per scenario"
run_gen udp64_1k_flows latency --size 64 --flows 1000 --duration "$dur"
run_gen imix latency --imix --flows 1000 --duration "$dur"
run_gen tcp_syn "" --proto tcp-syn --size 64 --flows 1000 --duration "$dur"
run_gen tcp_ack_vlan latency --proto tcp-ack --vlan 10 --size 128 --flows 100 --duration "$dur"
run_gen vxlan latency --encap vxlan --size 128 --flows 1000 --duration "$dur"
run_gen geneve latency --encap geneve --size 256 --flows 100 --duration "$dur"
run_gen udp_paced_100k "latency rate" --rate 100k --flows 1000 --flow-order scatter --duration "$dur"
run_gen bidir latency --bidir --size 64 --flows 1000 --duration "$dur"
run_gen tcp_connect "latency connect" --connect --size 78 --flows 100000 --duration "$dur"
run_gen bidir_rx_check_8 "latency rxcheck8" --bidir --rx-check 8 --size 64 --flows 1000 --duration "$dur"
run_gen rfc2544 "" --rfc2544 --trial 0.5 --max-trials 4 --flows 100

# --------------------------------------------------------- wire format --
echo "== wire format of generated frames, decoded by tshark"
pcap_case() { # $1 name, rest: generator options; writes $tmp/$1.pcap
	local name=$1
	shift
	timeout -k 5 60 "$gen" -l "$gen_lcores" "${eal_common[@]}" --file-prefix "$prefix-p" \
		--vdev "net_pcap0,tx_pcap=$tmp/$name.pcap" -- --tx-port 0 --no-progress \
		--rate 1000 --duration 0.05 --flows 4 --json "$@" >"$tmp/$name.pcap.json" \
		2>"$tmp/$name.pcap.err"
}

wire_check() { # $1 name, $2 kind
	local name=$1 kind=$2
	if ! pcap_case "$name" "${@:3}"; then
		ko "wire_$name" "edgevs-gen failed: $(tail -3 "$tmp/$name.pcap.err" | tr '\n' ' ')"
		return
	fi
	tshark -r "$tmp/$name.pcap" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
		-o tcp.check_checksum:TRUE -o tcp.relative_sequence_numbers:FALSE \
		-T fields -E separator='|' -E occurrence=a -E aggregator=',' \
		-e frame.len -e eth.src -e eth.dst -e vlan.id -e ip.src -e ip.dst -e ip.ttl \
		-e ip.flags.df -e ip.checksum.status -e udp.srcport -e udp.dstport \
		-e udp.checksum.status -e tcp.srcport -e tcp.dstport -e tcp.flags \
		-e tcp.checksum.status -e vxlan.vni -e geneve.vni -e geneve.proto_type -e data.data \
		-e tcp.payload \
		>"$tmp/$name.txt" 2>"$tmp/$name.tshark.err"
	if python3 - "$kind" "$tmp/$name.txt" "$tmp/$name.pcap.json" <<'EOF'; then
import json, sys
kind, path, jpath = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [l.rstrip("\n").split("|") for l in open(path) if l.strip()]
sent = json.load(open(jpath))["total"]["tx_pkts"]
errs = []
if len(rows) == 0 or len(rows) != sent:
    errs.append("%d frames in pcap, generator says %d" % (len(rows), sent))
for i, r in enumerate(rows):
    (flen, esrc, edst, vid, isrc, idst, ttl, df, ipck, usp, udp, uck, tsp, tdp, tfl, tck,
     vni, gvni, gproto, data, tpay) = r
    e = []
    def want(cond, what):
        if not cond: e.append(what)
    inner_src = isrc.split(",")[-1]
    inner_dst = idst.split(",")[-1]
    # Flow pattern, 4 flows: source port walks 1024..1027, addresses fixed.
    want(inner_src == "198.18.0.1" and inner_dst == "198.19.0.1", "inner addresses %s %s" % (isrc, idst))
    want(all(c == "1" for c in ipck.split(",")), "IPv4 checksum status %s" % ipck)
    want(set(ttl.split(",")) == {"64"} and set(df.split(",")) <= {"1", "True"}, "ttl/df %s/%s" % (ttl, df))
    want(esrc.split(",")[0] == "02:45:56:47:00:01", "source MAC %s" % esrc)
    payload = (data or tpay).replace(":", "")
    want(payload.startswith("4547"), "stamp magic, payload %s" % payload[:16])
    want(int(payload[6:12], 16) == i % 4, "stamp flow id %s (frame %d)" % (payload[6:12], i))
    if kind in ("udp_vlan", "vxlan", "geneve", "geneve_inner"):
        sp = usp.split(",")[-1]
        want(sp == str(1024 + i % 4) and udp.split(",")[-1] == "5001", "UDP ports %s %s" % (usp, udp))
        want(uck.split(",")[-1] == "1", "inner UDP checksum status %s" % uck)
    if kind == "udp_vlan":
        want(vid == "10" and flen == "60", "vlan %s len %s" % (vid, flen))
        want(int(payload[12:20], 16) == i, "stamp sequence %s" % payload[12:20])
    if kind in ("tcp_syn", "tcp_ack"):
        want(tsp == str(1024 + i % 4) and tdp == "5001", "TCP ports %s %s" % (tsp, tdp))
        want(tck == "1", "TCP checksum status %s" % tck)
        want(tfl == ("0x0002" if kind == "tcp_syn" else "0x0018"), "TCP flags %s" % tfl)
    if kind == "vxlan":
        want(vni == "100" and udp.split(",")[0] == "4789", "VXLAN vni %s port %s" % (vni, udp))
        want(uck.split(",")[0] == "3", "outer UDP checksum should be absent, status %s" % uck)
        want(edst.split(",")[-1] == "02:45:56:47:01:02", "inner MAC %s" % edst)
    if kind == "geneve_inner":
        # --size 64 --inner-size: a 64-byte inner frame (60 without FCS)
        # inside 50 bytes of outer headers
        want(flen == "110", "frame length %s, want 110" % flen)
    if kind in ("geneve", "geneve_inner"):
        want(gvni and int(gvni, 0) == 100 and udp.split(",")[0] == "6081",
             "GENEVE vni %s port %s" % (gvni, udp))
        want(gproto in ("0x6558", "25944"), "GENEVE protocol %s" % gproto)
    if e:
        errs.append("frame %d: %s" % (i, "; ".join(e)))
for x in errs[:5]:
    print("  " + x)
print("  %d frames decoded" % len(rows))
sys.exit(1 if errs else 0)
EOF
		ok "wire_$name"
	else
		ko "wire_$name" "tshark disagrees (see above; $(head -c 200 "$tmp/$name.tshark.err"))"
	fi
}

wire_check udp_vlan udp_vlan --size 64 --vlan 10
wire_check tcp_syn tcp_syn --proto tcp-syn --size 64
wire_check tcp_ack tcp_ack --proto tcp-ack --size 100
wire_check vxlan vxlan --encap vxlan --size 150
wire_check geneve geneve --encap geneve --size 150
wire_check geneve_inner geneve_inner --encap geneve --size 64 --inner-size
if pcap_case inner_size_plain --inner-size --size 64; then
	ko inner_size_needs_encap "accepted --inner-size without --encap"
elif grep -q "needs --encap" "$tmp/inner_size_plain.pcap.err"; then
	ok inner_size_needs_encap
else
	ko inner_size_needs_encap "$(tail -1 "$tmp/inner_size_plain.pcap.err")"
fi

# ---------------------------------------------------------- port types --
echo "== other port types"
ns="evsgen$$"
ns_up=""
if ip netns add "$ns" 2>/dev/null; then
	ns_up=1
fi
cleanup_ns() {
	[ -n "$ns_up" ] && ip netns del "$ns" 2>/dev/null
	ns_up=""
}
trap 'cleanup_ns; cleanup' EXIT

port_case() { # $1 name, $2 netns or "", then EAL vdev args, "--", generator options
	local name=$1 netns=$2
	shift 2
	local pre=()
	[ -n "$netns" ] && pre=(ip netns exec "$netns")
	if "${pre[@]}" timeout -k 5 60 "$gen" -l "$gen_lcores" "${eal_common[@]}" \
		--file-prefix "$prefix-$name" "$@" --json --no-progress --duration "$dur" \
		>"$tmp/$name.json" 2>"$tmp/$name.err" &&
		check_json "$name" "$tmp/$name.json" latency; then
		ok "$name"
	else
		ko "$name" "$(tail -3 "$tmp/$name.err" | tr '\n' ' ')"
	fi
}

port_case ring_loop "" --vdev net_ring0 -- --tx-port 0 --rx-port 0 --flows 1000 --imix

# vhost-user: the generator is the virtio side, testpmd the vhost side.
if start_testpmd --vdev "net_vhost0,iface=$tmp/v0.sock,queues=1" \
	--vdev "net_vhost1,iface=$tmp/v1.sock,queues=1"; then
	port_case virtio_user "" --vdev "net_virtio_user0,path=$tmp/v0.sock,queues=1" \
		--vdev "net_virtio_user1,path=$tmp/v1.sock,queues=1" -- --tx-port 0 --rx-port 1 \
		--flows 1000 --rate 200k
	stop_testpmd
else
	ko virtio_user "testpmd with vhost ports did not start"
fi
# The performance suite's guest (virtio.sh: vector receive path): every
# frame decoded, IMIX up to 1518 B in one buffer each.
# shellcheck source=virtio.sh
. "$here/virtio.sh"
if start_testpmd --vdev "net_vhost0,iface=$tmp/v0.sock,queues=1" \
	--vdev "net_vhost1,iface=$tmp/v1.sock,queues=1"; then
	port_case virtio_user_suite "" --vdev "net_virtio_user0,path=$tmp/v0.sock,queues=1$GEN_VIRTIO" \
		--vdev "net_virtio_user1,path=$tmp/v1.sock,queues=1$GEN_VIRTIO" -- --tx-port 0 --rx-port 1 \
		--flows 1000 --imix --rate 200k
	stop_testpmd
else
	ko virtio_user_suite "testpmd with vhost ports did not start"
fi

if [ -n "$ns_up" ]; then
	# af_packet over a veth pair in a namespace of ours.
	ip -n "$ns" link add gen-v0 type veth peer name gen-v1 &&
		ip -n "$ns" link set gen-v0 up && ip -n "$ns" link set gen-v1 up
	port_case af_packet "$ns" --vdev net_af_packet0,iface=gen-v0 \
		--vdev net_af_packet1,iface=gen-v1 -- --tx-port 0 --rx-port 1 --flows 1000 --rate 100k
	# net_tap through a Linux bridge (a learning switch): the taps exist
	# once the generator runs, so it waits while they are enslaved.
	ip -n "$ns" link add gen-br type bridge && ip -n "$ns" link set gen-br up
	(
		for _ in $(seq 100); do
			ip -n "$ns" link show gen-tap1 >/dev/null 2>&1 && break
			sleep 0.1
		done
		for t in gen-tap0 gen-tap1; do
			ip -n "$ns" link set "$t" master gen-br
			ip -n "$ns" link set "$t" up
		done
	) &
	port_case tap_bridge "$ns" --vdev net_tap0,iface=gen-tap0 --vdev net_tap1,iface=gen-tap1 \
		-- --tx-port 0 --rx-port 1 --flows 100 --rate 50k --learn-wait 3000
	wait
	cleanup_ns
else
	echo "SKIP af_packet, tap_bridge: cannot create a network namespace (not root?)"
fi

echo "edgevs-gen smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
