#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Control-plane figures through the socket of a running edgevs.

Usage: test/perf/ctl-scale.py SOCKET [MACS]    (default 20000)

Needs a switch sw0 (max_macs large enough) with ports pa and pb, and a MAC
table that holds MACS (test/perf/ctl-scale.sh starts such a daemon), and an
admin client (root: admins may send long lines). Measures:
- config.apply of a document with MACS static MACs, again unchanged, and
  with one MAC moved;
- mac.add and mac.del round trips on that config (median, max);
- a 5000-op transact;
and, during the big ones, how long a second client waits for `version`
(the management lcore's pause for other clients), and the daemon's own
account of the steps (store.stats: the longest step's wall and CPU time).
Env: CTL_SCALE_POLL_MS=MS: the second client pauses MS between calls
(default 0: back to back, which is a load of its own on the management
lcore's core).
Prints figures; asserts nothing (doc/performance.md, "Control plane").
"""
import json
import multiprocessing
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                "integration"))
from evsrpc import Conn  # noqa: E402

BATCH = 5000


def mac(i):
    return "0a:00:%02x:%02x:%02x:%02x" % ((i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255,
                                          i & 255)


def ok(r):
    if "error" in r:
        raise SystemExit("error: %s" % r["error"])
    return r["result"]


def _poll(sock, stop, out):
    p = Conn(sock)
    longest = 0.0
    pause = float(os.environ.get("CTL_SCALE_POLL_MS", "0")) / 1e3
    while not stop.is_set():
        t = time.monotonic()
        ok(p.call("version"))
        longest = max(longest, time.monotonic() - t)
        if pause:
            time.sleep(pause)
    p.close()
    out.value = longest


class Poller:
    """A second client calling `version` in a loop: its longest wait is how
    long the management lcore kept other clients waiting. A separate process,
    so that this client's own JSON work (which holds Python's GIL) does not
    count as the daemon's pause."""

    def __init__(self, sock):
        self.stop = multiprocessing.Event()
        self.out = multiprocessing.Value("d", 0.0)
        self.proc = multiprocessing.Process(target=_poll, args=(sock, self.stop, self.out))

    def __enter__(self):
        self.proc.start()
        time.sleep(0.3)
        return self

    def __exit__(self, *a):
        time.sleep(0.2)
        self.stop.set()
        self.proc.join()

    def longest_ms(self):
        return self.out.value * 1e3


def thread_cpu():
    """CPU seconds of each of the daemon's threads by name (CTL_SCALE_PID):
    what the work cost, whatever else the shared machine runs."""
    pid, out = os.environ.get("CTL_SCALE_PID"), {}
    if not pid:
        return out
    hz = os.sysconf("SC_CLK_TCK")
    for t in os.listdir("/proc/%s/task" % pid):
        try:
            f = open("/proc/%s/task/%s/stat" % (pid, t)).read()
        except OSError:
            continue
        name = f[f.index("(") + 1:f.rindex(")")]
        fl = f[f.rindex(")") + 2:].split()
        out[name] = out.get(name, 0.0) + (int(fl[11]) + int(fl[12])) / hz
    return out


CPU_NAMES = (("edgevs", "management lcore"), ("evs-ctl-parse", "parse thread"),
             ("evs-journal", "journal writer"), ("evs-journal-doc", "snapshot serialiser"))
last_cpu = ""


def timed(c, method, params):
    """The daemon's time: from the first byte of the request (serialised
    beforehand: the client's own JSON work is not the daemon's) to the reply."""
    line = (json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}) +
            "\n").encode()
    global last_cpu
    c0 = thread_cpu()
    t = time.monotonic()
    c.send(line)
    r = ok(json.loads(c.line()))
    t = time.monotonic() - t
    c1 = thread_cpu()
    last_cpu = ", ".join("%s %.2f s" % (label, c1[k] - c0.get(k, 0.0))
                         for k, label in CPU_NAMES if k in c1)
    last_cpu = " [CPU: %s]" % last_cpu if last_cpu else ""
    return r, t


def steps(c):
    """The daemon's account of the last large transaction's steps."""
    r = c.call("store.stats")
    if "error" in r:
        return ""
    la = r["result"]["last"]
    return (" [steps: %d, longest %.1f ms wall / %.1f ms CPU (began in %s), %.2f s CPU in all]"
            % (la["steps"], la["step_max_ms"], la["step_max_cpu_ms"], la["step_max_phase"],
               la["cpu_ms"] / 1e3))


def main():
    sock = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    c = Conn(sock)
    doc = ok(c.call("config.get"))
    doc["macs"] = [{"switch": "sw0", "mac": mac(i), "port": "pa" if i % 2 else "pb"}
                   for i in range(n)]
    size = len(json.dumps(doc))
    with Poller(sock) as p:
        r, t = timed(c, "config.apply", {"config": doc})
    print("config.apply of %d static MACs (%.1f MB): %.2f s, changed %d; another client's "
          "longest wait %.0f ms%s%s" % (n, size / 1e6, t, r["changed"], p.longest_ms(), last_cpu,
                                        steps(c)))
    if "--traffic" in sys.argv:
        time.sleep(1)
        del doc["macs"]
        r, t = timed(c, "config.apply", {"config": doc})
        print("config.apply removing them again: %.2f s, changed %d%s" % (t, r["changed"],
                                                                          last_cpu))
        return
    with Poller(sock) as p:
        r, t = timed(c, "config.apply", {"config": doc})
    print("the same document again: %.2f s, changed %d; longest wait %.0f ms%s%s" %
          (t, r["changed"], p.longest_ms(), last_cpu, steps(c)))
    doc["macs"][n // 2]["port"] = "pa" if doc["macs"][n // 2]["port"] == "pb" else "pb"
    r, t = timed(c, "config.apply", {"config": doc})
    print("the document with one MAC moved: %.2f s, changed %d%s" % (t, r["changed"], last_cpu))

    lat_add, lat_del = [], []
    for i in range(30):
        m = "0e:00:00:00:%02x:%02x" % (i >> 8, i & 255)
        lat_add.append(timed(c, "mac.add", {"switch": "sw0", "mac": m, "port": "pa"})[1])
        lat_del.append(timed(c, "mac.del", {"switch": "sw0", "mac": m})[1])
    for name, lat in (("mac.add", lat_add), ("mac.del", lat_del)):
        print("%s round trip with %d MACs configured: median %.1f ms, max %.1f ms" %
              (name, n, statistics.median(lat) * 1e3, max(lat) * 1e3))

    ops = [{"method": "mac.add", "params": {"switch": "sw0", "mac": mac(n + i), "port": "pa"}}
           for i in range(BATCH)]
    with Poller(sock) as p:
        r, t = timed(c, "transact", {"ops": ops})
    print("a %d-op transact: %.0f ms; another client's longest wait %.0f ms" %
          (BATCH, t * 1e3, p.longest_ms()))
    c.close()


if __name__ == "__main__":
    main()
