#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Performance matrix: forwarding rate of a device under test between two
# net_memif ports, measured by edgevs-gen, for flow counts x frame sizes,
# median of several runs. The device runs its forwarding lcore on one core,
# the generator on the other. Devices:
#   testpmd  dpdk-testpmd io forwarding: the ceiling
#   edgevs   the edgevs daemon, one logical switch with both ports (MAC
#            learning), when its binary is given or found in a build dir
#
# Usage: test/perf/gen/matrix.sh [options]
#   --gen PATH         edgevs-gen binary (default: newest build*/app/edgevs-gen/edgevs-gen)
#   --edgevs PATH      edgevs binary (default: newest build*/app/edgevs/edgevs, if any)
#   --duts LIST        "testpmd edgevs" (default: those available)
#   --flows LIST       default "1 1000 100000 1000000"
#   --sizes LIST       default "64 512 1400"
#   --runs N           runs per cell, median reported (default 3)
#   --duration S       seconds per run (default 5)
#   --mode fwd|rfc2544 fwd: rate received at unlimited offered load (default);
#                      rfc2544: highest zero-loss rate (slower)
#   --out DIR          results: runs.csv, table.md, mpps.png (default ./perf-out)
#   --port0 memif|vhost the generator's transmit side: memif (default) or
#                      vhost-user (device: vhost-user server; generator:
#                      virtio_user, a stand-in guest sending through the switch)
# Ends on its own and removes every process and file it started in /tmp.

set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
# newest build, but never a sanitizer build (its timings mean nothing)
gen=$(ls -t "$root"/build*/app/edgevs-gen/edgevs-gen 2>/dev/null | grep -v -e asan -e sanit | head -n1)
evs=$(ls -t "$root"/build*/app/edgevs/edgevs 2>/dev/null | grep -v -e asan -e sanit | head -n1)
duts=""
flows="1 1000 100000 1000000"
sizes="64 512 1400"
runs=3
duration=5
mode=fwd
out=./perf-out
port0=memif
gen_core=${GEN_CORE:-0}
dut_cores=${DUT_CORES:-0,1} # main (idle) + forwarding lcore

while [ $# -gt 0 ]; do
	case "$1" in
	--gen) gen=$2; shift ;;
	--edgevs) evs=$2; shift ;;
	--duts) duts=$2; shift ;;
	--flows) flows=$2; shift ;;
	--sizes) sizes=$2; shift ;;
	--runs) runs=$2; shift ;;
	--duration) duration=$2; shift ;;
	--mode) mode=$2; shift ;;
	--out) out=$2; shift ;;
	--port0) port0=$2; shift ;;
	*) echo "matrix: unknown option $1" >&2; exit 1 ;;
	esac
	shift
done
if [ -z "$gen" ] || [ ! -x "$gen" ]; then
	echo "matrix: edgevs-gen not found (--gen PATH)" >&2
	exit 1
fi
if [ -z "$duts" ]; then
	duts="testpmd"
	[ -n "$evs" ] && [ -x "$evs" ] && duts="testpmd edgevs"
fi
case "$mode" in fwd | rfc2544) ;; *) echo "matrix: --mode fwd|rfc2544" >&2; exit 1 ;; esac

mkdir -p "$out"
prefix="evsgen-matrix-$$"
tmp=$(mktemp -d "/tmp/${prefix}.XXXXXX")
dut_pid=""
eal=(--no-huge -m 512 --no-shconf --no-pci --no-telemetry --log-level=lib.eal:warning)
case "$port0" in memif | vhost) ;; *) echo "matrix: --port0 memif|vhost" >&2; exit 1 ;; esac

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
	rm -f "$tmp"/*.sock
}
cleanup() {
	stop_dut
	rm -rf "$tmp" /var/run/dpdk/"$prefix"-* 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

memif() { # $1 index, $2 role
	echo "net_memif$1,role=$2,socket=$tmp/m$1.sock,socket-abstract=no,id=0"
}
# Port 0 of the device and of the generator.
dut_dev0() {
	if [ "$port0" = vhost ]; then echo "net_vhost0,iface=$tmp/v0.sock,client=0"; else memif 0 server; fi
}
gen_dev0() {
	if [ "$port0" = vhost ]; then echo "net_virtio_user0,path=$tmp/v0.sock"; else memif 0 client; fi
}
evs_port0() {
	if [ "$port0" = vhost ]; then
		echo "{ \"name\": \"a\", \"type\": \"vhost-user\", \"switch\": \"sw0\", \"path\": \"$tmp/v0.sock\" }"
	else
		echo "{ \"name\": \"a\", \"type\": \"ethdev\", \"switch\": \"sw0\", \"devargs\": \"$(memif 0 server)\" }"
	fi
}
sock0() { if [ "$port0" = vhost ]; then echo "$tmp/v0.sock"; else echo "$tmp/m0.sock"; fi; }

start_dut() { # $1 name; sets dut_pid
	case "$1" in
	testpmd)
		stdbuf -oL dpdk-testpmd -l "$dut_cores" "${eal[@]}" --file-prefix "$prefix-tp" \
			--vdev "$(dut_dev0)" --vdev "$(memif 1 server)" -- \
			--forward-mode=io --auto-start --disable-link-check --stats-period 3600 \
			--total-num-mbufs=16384 >"$tmp/testpmd.log" 2>&1 </dev/null &
		dut_pid=$!
		;;
	edgevs)
		cat >"$tmp/edgevs.json" <<EOF
{ "switches": [ { "name": "sw0" } ],
  "ports": [
    $(evs_port0),
    { "name": "b", "type": "ethdev", "switch": "sw0", "devargs": "$(memif 1 server)" } ] }
EOF
		"$evs" -l "$dut_cores" "${eal[@]}" --file-prefix "$prefix-evs" -- \
			--config "$tmp/edgevs.json" --socket "$tmp/ctl.sock" \
			>"$tmp/edgevs.log" 2>&1 </dev/null &
		dut_pid=$!
		;;
	esac
	for _ in $(seq 300); do
		if [ "$1" = testpmd ]; then
			grep -q "packet forwarding - ports=" "$tmp/testpmd.log" 2>/dev/null && return 0
		elif [ -S "$(sock0)" ] && [ -S "$tmp/m1.sock" ]; then
			return 0
		fi
		kill -0 "$dut_pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "matrix: $1 did not come up; its log:" >&2
	tail -20 "$tmp/$1.log" >&2
	return 1
}

# Prints: rx_mpps rx_gbps tx_mpps loss_pct tsc_hz
run_once() { # $1 flows, $2 size
	local args=(--tx-port 0 --rx-port 1 --flows "$1" --size "$2" --json --no-progress)
	if [ "$mode" = rfc2544 ]; then
		args+=(--rfc2544 --trial "$duration" --max-trials 12)
	else
		args+=(--duration "$duration")
	fi
	timeout -k 5 600 "$gen" -l "$gen_core" "${eal[@]}" --file-prefix "$prefix-g" \
		--vdev "$(gen_dev0)" --vdev "$(memif 1 client)" -- "${args[@]}" \
		>"$tmp/run.json" 2>"$tmp/run.err" || return 1
	python3 - "$tmp/run.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
if "rfc2544" in r:
    r = r["rfc2544"]["result"]
    if r is None:
        print("0 0 0 100 0"); sys.exit(0)
t = r["total"]
print("%.4f %.4f %.4f %.4f %d" % (t["rx_mpps"], t["rx_gbps"], t["tx_mpps"], t["loss_pct"],
                                  r["config"]["tsc_hz"]))
EOF
}

csv="$out/runs.csv"
echo "dut,flows,size,run,rx_mpps,rx_gbps,tx_mpps,loss_pct,tsc_hz,pmd_cpp" >"$csv"
ctl=$(dirname "$evs")/../edgevsctl/edgevsctl
# edgevs's own figure: PMD busy cycles per packet (idle polling excluded)
pmd_cpp() { # $1 dut
	[ "$1" = edgevs ] && [ -x "$ctl" ] || { echo "-"; return; }
	"$ctl" -s "$tmp/ctl.sock" --json stats get 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["pmds"][0]["cycles_per_packet"])' 2>/dev/null ||
		echo "-"
}
# The device is restarted for every run: DPDK 22.11's memif can crash the
# side that stays up when its peer disconnects while it polls.
for dut in $duts; do
	for f in $flows; do
		for s in $sizes; do
			for r in $(seq "$runs"); do
				# A failed run (device crashed, link never up) is tried once more.
				for attempt in 1 2; do
					line=""
					if start_dut "$dut" && line=$(run_once "$f" "$s"); then
						line="$line $(pmd_cpp "$dut")"
						stop_dut
						break
					fi
					line=""
					cp "$tmp/$dut.log" "$out/failed-$dut-$f-$s-$r-$attempt.log" 2>/dev/null
					echo "$dut flows $f size $s run $r: failed (attempt $attempt):" \
						"$(tail -n2 "$tmp/run.err" 2>/dev/null | tr '\n' ' ')"
					stop_dut
				done
				[ -n "$line" ] || continue
				set -- $line
				echo "$dut,$f,$s,$r,$1,$2,$3,$4,$5,$6" >>"$csv"
				printf "%-8s flows %-8s size %-5s run %s: rx %s Mpps (tx %s, loss %s%%)\n" \
					"$dut" "$f" "$s" "$r" "$1" "$3" "$4"
			done
		done
	done
done

# Medians, ratio to testpmd, DUT cycles per packet (its forwarding lcore polls
# all the time, so cycles/packet = TSC Hz / packets per second).
python3 - "$csv" "$out" "$mode" "$runs" "$duration" <<'EOF'
import csv, statistics, sys, os
path, out, mode, runs, duration = sys.argv[1:6]
rows = list(csv.DictReader(open(path)))
cells = {}
for r in rows:
    cells.setdefault((r["dut"], int(r["flows"]), int(r["size"])), []).append(r)
med = {}
for k, rs in cells.items():
    med[k] = {x: statistics.median(float(r[x]) for r in rs)
              for x in ("rx_mpps", "rx_gbps", "tx_mpps", "loss_pct", "tsc_hz")}
    vals = [float(r["pmd_cpp"]) for r in rs if r.get("pmd_cpp", "-") not in ("-", "")]
    med[k]["pmd_cpp"] = statistics.median(vals) if vals else None
lines = ["| device | flows | size (B) | Mpps | Gb/s | vs testpmd | core cycles/pkt | PMD busy cycles/pkt | loss % |",
         "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
for (dut, f, s), m in sorted(med.items()):
    ceil = med.get(("testpmd", f, s), {}).get("rx_mpps", 0)
    ratio = "%.2f" % (m["rx_mpps"] / ceil) if ceil else "-"
    cpp = "%.0f" % (m["tsc_hz"] / (m["rx_mpps"] * 1e6)) if m["rx_mpps"] > 0 else "-"
    busy = "%.0f" % m["pmd_cpp"] if m.get("pmd_cpp") is not None else "-"
    lines.append("| %s | %d | %d | %.3f | %.3f | %s | %s | %s | %.3f |"
                 % (dut, f, s, m["rx_mpps"], m["rx_gbps"], ratio, cpp, busy, m["loss_pct"]))
what = ("rate received at unlimited offered load" if mode == "fwd"
        else "RFC 2544 zero-loss throughput")
table = "\n".join(lines)
open(os.path.join(out, "table.md"), "w").write(
    "Mpps = %s, median of %s runs of %s s.\n\n%s\n" % (what, runs, duration, table))
print(table)
with open(os.path.join(out, "mpps.dat"), "w") as d:
    for (dut, s) in sorted({(k[0], k[2]) for k in med}):
        d.write('"%s %d B"\n' % (dut, s))
        for f in sorted({k[1] for k in med if k[0] == dut and k[2] == s}):
            d.write("%d %.4f\n" % (f, med[(dut, f, s)]["rx_mpps"]))
        d.write("\n\n")
EOF

if command -v gnuplot >/dev/null && [ -s "$out/mpps.dat" ]; then
	nblocks=$(grep -c '^"' "$out/mpps.dat")
	maxf=$(echo $flows | tr ' ' '\n' | sort -n | tail -n1)
	gnuplot <<EOF
set terminal pngcairo size 900,540 noenhanced
set output "$out/mpps.png"
set title "Forwarding rate between two memif ports (one core)"
set xlabel "flows"
set ylabel "Mpps"
set logscale x
set xrange [0.5:$((maxf * 2))]
set yrange [0:*]
set key outside right
set grid
plot for [i=0:$((nblocks - 1))] "$out/mpps.dat" index i using 1:2 with linespoints title columnheader(1)
EOF
fi
echo "matrix: results in $out (runs.csv, table.md${nblocks:+, mpps.png})"
