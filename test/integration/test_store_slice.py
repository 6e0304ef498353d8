#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A large config.apply runs in steps: another client is served meanwhile.

Usage: test_store_slice.py SOCKET MACS BOUND_MS

Applies the running document plus MACS static MACs on switch sw0 / port pa
in one config.apply while a second process calls mac.get for one of them in
a loop. Checks: every get answered before the apply's reply says "no such
mac" until the transaction commits and finds it from then on (the
half-applied transaction is invisible; the reply itself waits for the
journal, so the last gets may already see it), at least three answered
"no such mac" meanwhile, the longest took at most BOUND_MS, and after the
reply the MAC is there. Prints the measured figures.
"""
import json
import multiprocessing
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evsrpc import Conn  # noqa: E402


def mac(i):
    return "0a:00:%02x:%02x:%02x:%02x" % ((i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255,
                                          i & 255)


def reader(sock, probe, stop, out):
    c = Conn(sock)
    longest, old, new, flips = 0.0, 0, 0, 0
    while not stop.is_set():
        t = time.monotonic()
        r = c.call("mac.get", {"switch": "sw0", "mac": probe})
        longest = max(longest, time.monotonic() - t)
        if "result" in r:
            new += 1
        else:
            old += 1
            flips += new > 0  # old state again after the new one: not atomic
    c.close()
    out[0], out[1], out[2], out[3] = longest, old, new, flips


def main():
    sock, n, bound = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    a = Conn(sock)
    doc = a.call("config.get")["result"]
    doc["macs"] = doc.get("macs", []) + [
        {"switch": "sw0", "mac": mac(i), "port": "pa"} for i in range(n)]
    line = (json.dumps({"jsonrpc": "2.0", "id": 9, "method": "config.apply",
                        "params": {"config": doc}}) + "\n").encode()
    probe = mac(n - 1)
    stop = multiprocessing.Event()
    out = multiprocessing.Array("d", 4)
    p = multiprocessing.Process(target=reader, args=(sock, probe, stop, out))
    p.start()
    time.sleep(0.3)
    t = time.monotonic()
    a.send(line)
    r = json.loads(a.line())
    took = time.monotonic() - t
    stop.set()
    p.join()
    longest, old, new, flips = out[0] * 1e3, int(out[1]), int(out[2]), int(out[3])
    fails = []
    if "result" not in r:
        fails.append("the apply failed: %s" % r)
    if flips:
        fails.append("%d gets saw the old state after one saw the new" % flips)
    if old < 3:
        fails.append("only %d gets answered before the commit" % old)
    if longest > bound:
        fails.append("the longest get took %.0f ms (bound %.0f)" % (longest, bound))
    if "result" not in a.call("mac.get", {"switch": "sw0", "mac": probe}):
        fails.append("after the apply the MAC is missing")
    print("config.apply of %d MACs: %.2f s; %d gets meanwhile, longest %.0f ms "
          "(bound %.0f ms); %d saw the old state, then %d the new" %
          (n, took, old + new, longest, bound, old, new))
    for f in fails:
        print("FAIL: " + f)
    a.close()
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
