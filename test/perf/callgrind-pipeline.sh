#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Instructions per packet of the datapath without ports (bench-pipeline's
# timed bursts: parse, classify, execute), by function: two callgrind runs
# of N1 and N2 packets, their difference over N2 - N1 packets, so set-up and
# warm-up cancel. Deterministic on a loaded machine.
#
# Usage: test/perf/callgrind-pipeline.sh BUILD_DIR [bench-pipeline options...]
#   e.g. test/perf/callgrind-pipeline.sh build --flows 1000 [--routed]
# N1, N2 (environment): packet counts (default 262144 and 524288).
set -eu
[ $# -ge 1 ] && [ -x "$1/test/perf/bench-pipeline" ] ||
	{ echo "usage: $0 BUILD_DIR [bench-pipeline options] (bench-pipeline not built?)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "callgrind-pipeline: needs valgrind" >&2; exit 1; }
build=$1
shift
N1=${N1:-262144}
N2=${N2:-524288}
tmp=$(mktemp -d /tmp/evs-cgp.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
for n in "$N1" "$N2"; do
	valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$n" --toggle-collect=timed_burst \
		"$build/test/perf/bench-pipeline" --reps 1 --packets "$n" "$@" >/dev/null 2>&1
	callgrind_annotate --inclusive=no --threshold=100 "$tmp/cg.$n" >"$tmp/cg.$n.txt"
done
python3 - "$tmp/cg.$N1.txt" "$tmp/cg.$N2.txt" "$N1" "$N2" <<'PY'
import re, sys

def table(path):
    total, fns = 0, {}
    for l in open(path):
        m = re.match(r"\s*([\d,]+)\s+\(.*?\)\s+(\S.*)", l)
        if not m:
            continue
        v, f = int(m.group(1).replace(",", "")), m.group(2)
        if "PROGRAM TOTALS" in f:
            total = v
            continue
        f = f.split(":")[-1].split(" [")[0]
        fns[f] = fns.get(f, 0) + v
    return total, fns

n1, n2 = int(sys.argv[3]), int(sys.argv[4])
t1, d1 = table(sys.argv[1])
t2, d2 = table(sys.argv[2])
print("instructions/packet %.1f" % ((t2 - t1) / (n2 - n1)))
rows = sorted((((d2.get(k, 0) - d1.get(k, 0)) / (n2 - n1)), k) for k in set(d1) | set(d2))
for v, k in reversed(rows):
    if abs(v) >= 1:
        print("%8.1f  %s" % (v, k))
PY
