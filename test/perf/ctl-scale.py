#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Control-plane figures through the socket of a running edgevs.

Usage: test/perf/ctl-scale.py SOCKET [MACS]    (default 20000)

Needs a switch sw0 with a port pa on it (test/perf/ctl-scale.sh starts such a
daemon). Loads MACS static MACs with transact (batches under the 1 MiB line
cap), then measures:
- one mac.add and one mac.del round trip on that full config (median, p99);
- a config.apply of the whole document with one MAC changed (when it fits);
- how long a second client waits for `version` while a batch is applied
  (the management lcore's pause for other clients).
Prints figures; asserts nothing (doc/performance.md, "Control plane").
"""
import json
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                "integration"))
from evsrpc import Conn  # noqa: E402

BATCH = 5000
LINE_CAP = 1 << 20


def mac(i):
    return "0a:00:%02x:%02x:%02x:%02x" % ((i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255,
                                          i & 255)


def ok(r):
    if "error" in r:
        raise SystemExit("error: %s" % r["error"])
    return r["result"]


def main():
    sock = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    c = Conn(sock)
    ok(c.call("switch.set", {"name": "sw0", "max_macs": 1 << 20}))
    t0 = time.monotonic()
    for b in range(0, n, BATCH):
        ops = [{"method": "mac.add", "params": {"switch": "sw0", "mac": mac(i), "port": "pa"}}
               for i in range(b, min(n, b + BATCH))]
        ok(c.call("transact", {"ops": ops}))
    t_load = time.monotonic() - t0
    print("load %d static MACs by transact (%d per request): %.2f s, %.0f objects/s" %
          (n, BATCH, t_load, n / t_load))

    lat_add, lat_del = [], []
    for i in range(200):
        m = "0e:00:00:00:%02x:%02x" % (i >> 8, i & 255)
        t = time.monotonic()
        ok(c.call("mac.add", {"switch": "sw0", "mac": m, "port": "pa"}))
        lat_add.append(time.monotonic() - t)
        t = time.monotonic()
        ok(c.call("mac.del", {"switch": "sw0", "mac": m}))
        lat_del.append(time.monotonic() - t)
    for name, lat in (("mac.add", lat_add), ("mac.del", lat_del)):
        lat.sort()
        print("%s round trip with %d MACs configured: median %.3f ms, p99 %.3f ms" %
              (name, n, statistics.median(lat) * 1e3, lat[int(len(lat) * 0.99) - 1] * 1e3))

    doc = ok(c.call("config.get"))
    doc["macs"][len(doc["macs"]) // 2]["port"] = "pa"  # same port: a no-op change
    doc["macs"].pop()
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "config.apply",
                       "params": {"config": doc}})
    if len(body) < LINE_CAP:
        t = time.monotonic()
        r = ok(c.call("config.apply", {"config": doc}))
        print("config.apply of the whole document (%d MACs, one removed): %.1f ms, "
              "changed %s" % (len(doc["macs"]), (time.monotonic() - t) * 1e3,
                              r.get("changed")))
    else:
        print("config.apply of the whole document: %d bytes, over the 1 MiB line cap: "
              "not measured" % len(body))

    # A second client's wait while a batch of BATCH adds is applied.
    waits, stop = [], threading.Event()

    def poller():
        p = Conn(sock)
        while not stop.is_set():
            t = time.monotonic()
            ok(p.call("version"))
            waits.append(time.monotonic() - t)
        p.close()

    th = threading.Thread(target=poller)
    th.start()
    time.sleep(0.2)
    ops = [{"method": "mac.add", "params": {"switch": "sw0", "mac": mac(n + i), "port": "pa"}}
           for i in range(BATCH)]
    t = time.monotonic()
    ok(c.call("transact", {"ops": ops}))
    t_batch = time.monotonic() - t
    time.sleep(0.2)
    stop.set()
    th.join()
    print("while a %d-op transact ran (%.1f ms): another client's longest wait %.1f ms "
          "(%d calls)" % (BATCH, t_batch * 1e3, max(waits) * 1e3, len(waits)))
    c.close()


if __name__ == "__main__":
    main()
