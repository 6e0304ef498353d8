#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Route churn through the control socket: for SECONDS, route.bulk adds a
batch of BATCH /32s (10.200.0.0/16) to ROUTER via PORT, then deletes it,
again and again on one connection. Prints 'changes N seconds S rate R'
(a change is one route added or deleted). Standard library only.

  route_churn.py SOCK ROUTER PORT VIA SECONDS [BATCH]
"""
import json
import sys
import time

from evsrpc import Conn


def main():
    path, router, port, via, seconds = sys.argv[1:6]
    batch = int(sys.argv[6]) if len(sys.argv) > 6 else 100
    conn = Conn(path)
    changes, k, rid = 0, 0, 0
    t0 = time.monotonic()
    end = t0 + float(seconds)
    while time.monotonic() < end:
        base = (k % 600) * batch  # a fresh range each round: adds never collide
        pfx = [f"10.200.{(base + i) >> 8 & 255}.{(base + i) & 255}/32" for i in range(batch)]
        for op in ("add", "del"):
            params = {"router": router, "op": op, "prefixes": pfx}
            if op == "add":
                params["nexthops"] = [{"port": port, "via": via}]
            rid += 1
            conn.send(json.dumps({"jsonrpc": "2.0", "id": rid, "method": "route.bulk",
                                  "params": params}).encode() + b"\n")
            reply = conn.reply()
            if "result" not in reply:
                raise SystemExit(f"route_churn: route.bulk {op}: {reply}")
            changes += batch
        k += 1
    dt = time.monotonic() - t0
    print(f"changes {changes} seconds {dt:.2f} rate {int(changes / dt)}")


main()
