#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Checks of matrix_report.py on hand-made runs: medians and ranges, the
device's cycles per packet and busy share, the bottleneck flag, ratios left
out for flagged rows, "not built", and the connection rate."""
import csv
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
FIELDS = ("scenario,device,port,flows,size,run,status,load1,rx_mpps,tx_mpps,loss_pct,window_s,"
          "tsc_hz,gen_busy_pct,gen_refused,dut_busy_cycles,dut_pkts,conns,handshakes,steal_gen_pct,"
          "steal_dut_pct,bounce_before_ns,bounce_after_ns,redone").split(",")
HZ = 1_000_000_000
WINDOW = 2.0


def run(device, flows, mpps, busy_share, refused_share, gen_busy, r=1, scenario="l2", conns="-",
        handshakes="-"):
    """One ok run: busy_share of the window busy, refused_share of the bursts refused."""
    pkts = int(mpps * 1e6 * WINDOW)
    return dict(scenario=scenario, device=device, port="vhost", flows=flows, size="64", run=r,
                status="ok", load1="0.1", rx_mpps=mpps, tx_mpps=mpps, loss_pct=0.0,
                window_s=WINDOW, tsc_hz=HZ, gen_busy_pct=gen_busy,
                gen_refused=int(refused_share * pkts / 32), dut_busy_cycles=int(busy_share * WINDOW * HZ),
                dut_pkts=pkts, conns=conns, handshakes=handshakes, steal_gen_pct="0.0",
                steal_dut_pct="0.0", bounce_before_ns="55", bounce_after_ns="-", redone=0)


def other(device, flows, status, scenario="l2"):
    row = {k: "" for k in FIELDS}
    row.update(scenario=scenario, device=device, port="vhost", flows=flows, size="64", run=1,
               status=status, load1="0.1")
    return row


def read(path):
    with open(path) as fh:
        return fh.read()


def report(rows, conn=False):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "runs.csv")
        with open(path, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=FIELDS)
            w.writeheader()
            w.writerows(rows)
        subprocess.run([sys.executable, os.path.join(HERE, "matrix_report.py"), path, d, "3", "2",
                        "1" if conn else "0"], check=True, stdout=subprocess.DEVNULL)
        summary = json.loads(read(os.path.join(d, "summary.json")))
        tables = {f[:-3]: read(os.path.join(d, f)) for f in os.listdir(d) if f.endswith(".md")}
    return summary, tables


class Report(unittest.TestCase):
    def test_median_range_cycles_and_busy(self):
        rows = [run("ovs", 1000, m, 0.95, 0.0, 50, r=i) for i, m in enumerate((3.0, 1.0, 2.0), 1)]
        s, _ = report(rows)
        c = s["l2"]["ovs"]["1000"]["64"]
        self.assertAlmostEqual(c["mpps"], 2.0)
        self.assertAlmostEqual(c["mpps_min"], 1.0)
        self.assertAlmostEqual(c["mpps_max"], 3.0)
        # 0.95 s of busy cycles over 2e6 * mpps packets
        self.assertAlmostEqual(c["cycles_per_packet"], 0.95 * WINDOW * HZ / (2.0e6 * WINDOW), places=1)
        self.assertAlmostEqual(c["device_busy_pct"], 95.0, places=3)
        self.assertEqual(c["flag"], "")
        self.assertAlmostEqual(c["bounce_ns"], 55.0)

    def test_ring_full_does_not_make_an_idle_device_saturated(self):
        # The quiet run of 2026-12-06: testpmd io 64% busy, the ring full in
        # 11% of the bursts, the generator 100% busy: the generator's figure.
        s, t = report([run("testpmd", 1000, 4.5, 0.64, 0.11, 100)])
        c = s["l2"]["testpmd"]["1000"]["64"]
        self.assertAlmostEqual(c["gen_refused_pct"], 11.0, places=1)
        self.assertIn("generator-bound", c["flag"])
        self.assertIn("generator-bound", t["l2"])

    def test_device_busy_below_the_threshold_is_flagged_whatever_the_pushback(self):
        s, _ = report([run("edgevs", 1000, 5.0, 0.82, 0.9, 100)])
        self.assertIn("generator-bound", s["l2"]["edgevs"]["1000"]["64"]["flag"])

    def test_busy_device_is_saturated(self):
        s, _ = report([run("edgevs", 1000, 5.0, 0.91, 0.0, 100)])
        self.assertEqual(s["l2"]["edgevs"]["1000"]["64"]["flag"], "")

    def test_pushback_counts_only_without_a_busy_counter(self):
        rows = [run("testpmd", 1000, 5.0, 0.5, 0.6, 100), run("testpmd", 65536, 5.0, 0.5, 0.11, 100)]
        for r in rows:
            r["dut_busy_cycles"] = r["dut_pkts"] = "-"
        s, _ = report(rows)
        self.assertEqual(s["l2"]["testpmd"]["1000"]["64"]["flag"], "")
        self.assertIn("generator-bound", s["l2"]["testpmd"]["65536"]["64"]["flag"])

    def test_idle_device_with_busy_generator_is_flagged(self):
        s, t = report([run("testpmd", 1000, 9.0, 0.6, 0.0, 99), run("edgevs", 1000, 5.0, 0.97, 0.3, 80)])
        self.assertIn("generator-bound", s["l2"]["testpmd"]["1000"]["64"]["flag"])
        # No ratio against a flagged ceiling.
        line = [x for x in t["l2"].splitlines() if x.startswith("| edgevs")][0]
        self.assertEqual(line.split("|")[6].strip(), "-")

    def test_redone_runs_are_noted_not_flagged(self):
        rows = [run("edgevs", 1000, 6.0, 0.95, 0.3, 80, r=1), run("edgevs", 1000, 6.1, 0.95, 0.3, 80, r=2)]
        rows[0]["redone"] = 2
        rows[1]["redone"] = 1
        s, t = report(rows)
        self.assertEqual(s["l2"]["edgevs"]["1000"]["64"]["flag"], "")
        self.assertEqual(s["l2"]["edgevs"]["1000"]["64"]["redone"], 3)
        line = [x for x in t["l2"].splitlines() if x.startswith("| edgevs")][0]
        self.assertIn("3 host-slowed runs redone", line)

    def test_idle_device_and_idle_generator_is_flagged_as_noise(self):
        s, _ = report([run("ovs", 1000, 1.0, 0.3, 0.0, 40)])
        self.assertIn("not saturated", s["l2"]["ovs"]["1000"]["64"]["flag"])

    def test_ratios_between_saturated_devices(self):
        _, t = report([run("testpmd", 1000, 10.0, 0.99, 0.5, 90), run("ovs", 1000, 4.0, 0.99, 0.5, 60),
                       run("edgevs", 1000, 6.0, 0.99, 0.5, 70)])
        line = [x for x in t["l2"].splitlines() if x.startswith("| edgevs")][0].split("|")
        self.assertEqual(line[5].strip(), "1.50")  # vs OVS
        self.assertEqual(line[6].strip(), "0.60")  # vs testpmd

    def test_not_built_and_failed_rows(self):
        rows = [run("testpmd", 1000, 10.0, 0.99, 0.5, 90, scenario="routed"),
                other("edgevs", 1000, "not-built", "routed"), other("ovs", 1000, "failed", "routed")]
        s, t = report(rows)
        self.assertEqual(s["routed"]["edgevs"]["1000"]["64"]["status"], "not-built")
        self.assertIn("not built", t["routed"])
        self.assertIn("run failed", t["routed"])
        self.assertNotIn("| edgevs | 1000 | 64 | 0", t["routed"])

    def test_testpmd_is_every_scenario_ceiling(self):
        rows = [run("testpmd", 1000, 10.0, 0.99, 0.5, 90, scenario="l2"),
                run("ovs", 1000, 5.0, 0.99, 0.5, 60, scenario="l2"),
                run("ovs", 1000, 2.0, 0.99, 0.5, 60, scenario="firewall")]
        _, t = report(rows)
        line = [x for x in t["firewall"].splitlines() if x.startswith("| OVS")][0].split("|")
        self.assertEqual(line[6].strip(), "0.20")

    def test_ceiling_only_at_the_scenarios_own_cells(self):
        rows = [run("testpmd", 1000, 10.0, 0.99, 0.5, 90), run("testpmd", 65536, 9.0, 0.99, 0.5, 90),
                run("ovs", 65536, 2.0, 0.99, 0.5, 60, scenario="lb")]
        _, t = report(rows)
        self.assertNotIn("| 1000 |", t["lb"])
        self.assertIn("| 65536 |", t["lb"])

    def test_connection_rate(self):
        rows = [run("ovs", 16777216, 1.0, 0.99, 0.5, 60, scenario="firewall", conns=str(int(3e6)),
                    handshakes=str(int(2e6)))]
        s, t = report(rows, conn=True)
        c = s["firewall"]["ovs"]["16777216"]["64"]
        self.assertAlmostEqual(c["conns_per_s"], 1.5e6)
        self.assertAlmostEqual(c["handshakes_per_s"], 1.0e6)
        self.assertIn("| 1000000 (1000000-1000000) | 1500000 |", t["firewall"])


def attempt(mpps, gen_busy, dev_busy, hz=2_600_000_000, window=4.0, bounce_after="-"):
    """run_once's line for one attempt: mpps sent and received."""
    return "%.4f,%.4f,0.01,%.4f,%d,%.1f,100,%d,%d,-,-,0.0,0.0,55,%s" % (
        mpps, mpps, window, hz, gen_busy, int(dev_busy * window * hz), int(mpps * 1e6 * window),
        bounce_after)


def redo(attempts):
    """matrix.sh's rule over a sequence of (line, redos so far): 1 = measure again."""
    script = ['. "%s"' % os.path.join(HERE, "redo.sh")]
    for line, n in attempts:
        script.append('if redo_run "%s" "64 1000" %d; then echo 1; else echo 0; fi' % (line, n))
    out = subprocess.run(["bash", "-c", "\n".join(script)], check=True, capture_output=True, text=True)
    return [int(x) for x in out.stdout.split()]


class Redo(unittest.TestCase):
    # 2026-12-06 22:10, testpmd io at 1k flows: a run at full speed with the
    # generator the limit (98.3% busy: not generator-bound by the rule),
    # 15.41 Mpps at 99.2% (generator-bound at 164 cycles/frame: the usual
    # cost), and the host slowing both to 4.15 Mpps (623 cycles/frame).
    full = attempt(15.55, 98.3, 0.916)
    limit = attempt(15.41, 99.2, 0.85)
    slowed = attempt(4.15, 99.5, 0.463)

    def test_generator_cost_per_frame(self):
        out = subprocess.run(["bash", "-c", '. "%s"; gen_cpf "%s"' % (os.path.join(HERE, "redo.sh"),
                                                                      self.slowed)],
                             check=True, capture_output=True, text=True)
        self.assertEqual(int(out.stdout), 623)

    def test_slowed_run_is_redone_twice_at_most(self):
        self.assertEqual(redo([(self.full, 0), (self.slowed, 0), (self.slowed, 1), (self.slowed, 2)]),
                         [0, 1, 1, 0])

    def test_generator_at_its_usual_cost_is_not_redone(self):
        # the ceiling's expected flag costs no redo once a reference exists
        self.assertEqual(redo([(self.full, 0), (self.limit, 0), (self.limit, 0)]), [0, 0, 0])

    def test_without_a_reference_once(self):
        self.assertEqual(redo([(self.limit, 0), (self.limit, 1)]), [1, 0])

    def test_a_slowed_first_attempt_does_not_become_the_reference(self):
        # the first attempt (slowed) is redone once; the next one at full
        # speed lowers the reference, and a later slowed one is redone
        self.assertEqual(redo([(self.slowed, 0), (self.full, 0), (self.slowed, 0)]), [1, 0, 1])

    def test_slowed_generator_is_redone_whatever_the_device(self):
        # 2026-12-07 07:51, firewall 64k: edgevs 261 cycles/packet with the
        # generator at 95 cycles/frame (36% busy), then 367 at 96% busy
        # while the generator, 99.7% busy, cost 379 a frame
        fast = attempt(9.8919, 36.2, 0.99)
        slowed = attempt(6.8330, 99.7, 0.96)
        self.assertEqual(redo([(fast, 0), (slowed, 0), (slowed, 1), (slowed, 2)]), [0, 1, 1, 0])

    def test_idle_generator_is_never_redone(self):
        # OVS at ~1 Mpps: 15% busy, ~390 cycles/frame of mostly idle polls
        ovs = attempt(1.0, 15.0, 0.99)
        self.assertEqual(redo([(self.full, 0), (ovs, 0)]), [0, 0])

    def test_vcpus_apart_is_redone_twice_at_most_whatever_the_generator(self):
        # 2026-12-07 10:20, routed 64k: OVS 516 cycles/packet with the vCPUs
        # 322 ns apart (its generator 45% busy), 412 once they shared a cache
        near = attempt(6.2648, 23.9, 0.99, bounce_after="52")
        apart = attempt(4.9989, 44.9, 0.99, bounce_after="322")
        self.assertEqual(redo([(near, 0), (apart, 0), (apart, 1), (apart, 2), (near, 0)]),
                         [0, 1, 1, 0, 0])

    def test_vcpus_apart_before_any_reference(self):
        self.assertEqual(redo([(attempt(5.8, 100.0, 0.99, bounce_after="333"), 0)]), [1])

    def test_slowed_but_mostly_idle_generator_is_not_redone(self):
        self.assertEqual(redo([(self.full, 0), (attempt(2.0, 79.0, 0.99), 0)]), [0, 0])


if __name__ == "__main__":
    unittest.main()
