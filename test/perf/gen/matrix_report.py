#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Tables of test/perf/gen/matrix.sh: runs.csv -> SCENARIO.md, SCENARIO.dat, summary.json.

Usage: matrix_report.py RUNS_CSV OUT_DIR RUNS DURATION CONN(0|1)

A cell's figures are medians over its runs (Mpps with min-max). The device's
cycles per packet are its own busy cycles over the packets it handled; its
busy share is those cycles over the generator's transmit window.

A device is saturated when it was busy 90% of the window. A run whose
generator worked 80% of the window or more at over twice its lowest cost
per frame of the matrix is measured again by matrix.sh
(test/perf/gen/redo.sh), twice at most: on this VM the host slows both
processes for seconds at a time (the generator's cycles per frame triple,
the device's rise by a third on bursts the generator cannot fill). The note
says how many runs of a cell were redone. A full transmit
ring on the generator's side is not enough: a device that idled a third of
the window can still fill the ring now and then (its core was preempted, or
it polled the other port), and such a row (testpmd io 64% busy with the
ring full in 11% of the bursts, 2026-12-06) measured the generator. Only
when the device reports no busy cycles is back-pressure (the ring full in
half the bursts) taken as the sign. Otherwise the generator (or the host)
was the limit, and the row is flagged, not compared.
"""
import csv
import json
import os
import statistics
import sys

SATURATED_PCT = 90.0
# Transmit bursts the device's ring refused, of all bursts: the sign of a
# saturated device only when the device has no busy counter.
PUSHBACK_PCT = 50.0
BURST = 32  # edgevs-gen's default burst
ORDER = {"testpmd": 0, "ovs": 1, "edgevs-old": 2, "edgevs": 3}
NAMES = {"testpmd": "testpmd io (ceiling)", "ovs": "OVS-DPDK", "edgevs": "edgevs",
         "edgevs-old": os.environ.get("EVS_OLD_NAME", "edgevs (older build)")}


def num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def cell_stats(rows):
    ok = [r for r in rows if r["status"] == "ok"]
    if not ok:
        status = "not-built" if any(r["status"] == "not-built" for r in rows) else "failed"
        return {"status": status}
    mpps = [num(r["rx_mpps"]) for r in ok]
    cpp, busy, conns, refused, hs = [], [], [], [], []
    for r in ok:
        bursts = num(r["tx_mpps"]) * 1e6 * num(r["window_s"]) / BURST
        if bursts > 0 and num(r["gen_refused"]) is not None:
            refused.append(min(100.0, 100.0 * num(r["gen_refused"]) / bursts))
        b, p, w, hz = num(r["dut_busy_cycles"]), num(r["dut_pkts"]), num(r["window_s"]), num(r["tsc_hz"])
        if b is not None and p:
            cpp.append(b / p)
        if b is not None and w and hz:
            busy.append(min(100.0, 100.0 * b / (w * hz)))
        c = num(r["conns"])
        if c is not None and w:
            conns.append(c / w)
        h = num(r.get("handshakes"))
        if h is not None and w:
            hs.append(h / w)
    s = {
        "status": "ok",
        "runs": len(ok),
        "mpps": med(mpps),
        "mpps_min": min(mpps),
        "mpps_max": max(mpps),
        "cycles_per_packet": med(cpp),
        "device_busy_pct": med(busy),
        "gen_busy_pct": med(num(r["gen_busy_pct"]) for r in ok),
        "gen_refused_pct": med(refused),
        "loss_pct": med(num(r["loss_pct"]) for r in ok),
        "load1": med(num(r["load1"]) for r in ok),
        # the hypervisor's share of each core (older runs.csv: none)
        "steal_gen_pct_max": max((num(r.get("steal_gen_pct")) or 0.0 for r in ok), default=None),
        "steal_dut_pct_max": max((num(r.get("steal_dut_pct")) or 0.0 for r in ok), default=None),
        # a cache line's round trip between the two cores before each run (ns)
        "bounce_ns": med(num(r.get("bounce_before_ns")) for r in ok),
        "conns_per_s": med(conns),
        "conns_min": min(conns) if conns else None,
        "conns_max": max(conns) if conns else None,
        "handshakes_per_s": med(hs),
        "handshakes_min": min(hs) if hs else None,
        "handshakes_max": max(hs) if hs else None,
    }
    # runs measured again because the host slowed the generator (redo.sh
    # redo_run): said in the note, not hidden
    s["redone"] = sum(int(r.get("redone") or 0) for r in rows)
    s["flag"] = ""
    if s["device_busy_pct"] is not None:
        saturated = s["device_busy_pct"] >= SATURATED_PCT
    else:
        saturated = s["gen_refused_pct"] is not None and s["gen_refused_pct"] >= PUSHBACK_PCT
    if not saturated:
        if s["gen_busy_pct"] is not None and s["gen_busy_pct"] >= SATURATED_PCT:
            s["flag"] = "generator-bound: not a device figure"
        else:
            s["flag"] = "device not saturated (host noise?): not a device figure"
    return s


def fmt(x, f="%.0f"):
    return f % x if x is not None else "-"


def note_of(st):
    redo = ("%d host-slowed run%s redone" % (st["redone"], "s" if st["redone"] > 1 else "")
            if st.get("redone") else "")
    return "; ".join(x for x in (st["flag"], redo) if x)


def gen_col(st):
    return "%s, %s" % (fmt(st["gen_busy_pct"]), fmt(st["gen_refused_pct"]))


def main():
    path, out, runs, duration, conn = sys.argv[1:6]
    with open(path) as fh:
        rows = list(csv.DictReader(fh))
    cells = {}
    for r in rows:
        cells.setdefault((r["scenario"], r["device"], int(r["flows"]), r["size"]), []).append(r)
    stats = {k: cell_stats(v) for k, v in cells.items()}
    scenarios = list(dict.fromkeys(r["scenario"] for r in rows))
    port = rows[0]["port"] if rows else "-"
    first = scenarios[0] if scenarios else None
    summary = {}

    def size_key(s):
        return (1, 0) if s == "imix" else (0, int(s))

    for sc in scenarios:
        # testpmd ran once, under the first scenario: it is every scenario's ceiling.
        own = {(f, s) for (c, d, f, s) in stats if c == sc}
        keys = sorted({(d, f, s) for (c, d, f, s) in stats
                       if c == sc or (d == "testpmd" and c == first and (f, s) in own)},
                      key=lambda k: (size_key(k[2]), k[1], ORDER.get(k[0], 9)))
        get = lambda d, f, s: stats.get((first if d == "testpmd" else sc, d, f, s), {"status": "-"})
        lines = []
        if conn == "1":
            lines.append("| device | TCP handshakes completed/s, median (min-max) "
                         "| device's new connections/s | SYN Mpps received | SYN loss % "
                         "| device busy % | generator busy %, ring full % | load | note |")
            lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        else:
            lines.append("| device | flows | size (B) | Mpps, median (min-max) | vs OVS | vs testpmd "
                         "| device cycles/pkt | device busy % | generator busy %, ring full % | loss % | load | note |")
            lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        dat = {}
        for d, f, s in keys:
            st = get(d, f, s)
            summary.setdefault(sc, {}).setdefault(d, {}).setdefault(str(f), {})[s] = st
            name = NAMES.get(d, d)
            if st["status"] != "ok":
                note = "not built" if st["status"] == "not-built" else "run failed (see runs.csv)"
                if conn == "1":
                    lines.append("| %s | - | - | - | - | - | - | - | %s |" % (name, note))
                else:
                    lines.append("| %s | %d | %s | - | - | - | - | - | - | - | - | %s |" % (name, f, s, note))
                continue
            if conn == "1":
                hps = ("%.0f (%.0f-%.0f)" % (st["handshakes_per_s"], st["handshakes_min"],
                                             st["handshakes_max"])
                       if st["handshakes_per_s"] is not None else "-")
                cps = ("%.0f" % st["conns_per_s"] if st["conns_per_s"] is not None
                       else "- (no connection table)")
                lines.append("| %s | %s | %s | %.3f | %s | %s | %s | %s | %s |" % (
                    name, hps, cps, st["mpps"], fmt(st["loss_pct"], "%.2f"), fmt(st["device_busy_pct"]),
                    gen_col(st), fmt(st["load1"], "%.1f"), st["flag"]))
                continue
            ratios = []
            for ref in ("ovs", "testpmd"):
                rs = get(ref, f, s)
                ok = rs.get("status") == "ok" and rs["mpps"] and not rs["flag"] and not st["flag"]
                ratios.append("%.2f" % (st["mpps"] / rs["mpps"]) if ok else "-")
            lines.append("| %s | %d | %s | %.3f (%.3f-%.3f) | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                name, f, s, st["mpps"], st["mpps_min"], st["mpps_max"], ratios[0], ratios[1],
                fmt(st["cycles_per_packet"]), fmt(st["device_busy_pct"]), gen_col(st),
                fmt(st["loss_pct"], "%.2f"), fmt(st["load1"], "%.1f"), note_of(st)))
            dat.setdefault("%s %s B" % (name, s), []).append((f, st["mpps"], st["mpps_min"], st["mpps_max"]))
        # Runs of this scenario's own devices (testpmd's are the first scenario's).
        n = max((int(r["run"]) for r in rows if r["scenario"] == sc and r["device"] != "testpmd"),
                default=int(runs))
        what = ("TCP handshakes, each SYN a new flow (edgevs-gen --connect), %s s per run" % duration
                if conn == "1"
                else "rate received at unlimited offered load, %d runs of %s s" % (n, duration))
        with open(os.path.join(out, "%s.md" % sc), "w") as fh:
            fh.write("Ports: %s. Figures: %s.\n\n%s\n" % (port, what, "\n".join(lines)))
        with open(os.path.join(out, "%s.dat" % sc), "w") as fh:
            for title, pts in dat.items():
                fh.write('"%s"\n' % title)
                for p in sorted(pts):
                    fh.write("%d %.4f %.4f %.4f\n" % p)
                fh.write("\n\n")
        print("\n".join(lines))
    with open(os.path.join(out, "summary.json"), "w") as fh:
        json.dump(summary, fh, indent=1)


if __name__ == "__main__":
    main()
