#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""route.bulk timing: N IPv4 /24s from 20.0.0.0 and N/10 IPv6 /64s from
2001:db8:1000::, added then deleted in one call each through the control
socket. Prints each call's wall time (request written to reply read) and
the daemon's CPU time over it (from /proc)."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from evsrpc import Conn  # noqa: E402


def daemon_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def call(conn, pid, method, params):
    line = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
                      separators=(",", ":")).encode() + b"\n"
    c0, t0 = daemon_cpu(pid), time.monotonic()
    conn.send(line)
    reply = conn.reply()
    t1, c1 = time.monotonic(), daemon_cpu(pid)
    if "result" not in reply:
        raise SystemExit(f"{method}: {reply}")
    if "error" in reply:
        raise SystemExit(f"{method}: {reply['error']}")
    return t1 - t0, c1 - c0, len(line), reply["result"]


def main():
    path, n, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    v4 = [f"{20 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}.0/24" for i in range(n)]
    v6 = [f"2001:db8:{0x1000 + (i >> 16):x}:{i & 0xffff:x}::/64" for i in range(n // 10)]
    s = Conn(path, timeout=600)  # a call of a million routes on a loaded machine
    for fam, pfx in (("IPv4", v4), ("IPv6", v6)):
        for op in ("add", "del"):
            params = {"router": "r1", "op": op, "prefixes": pfx}
            if op == "add":
                params["nexthops"] = [{"port": "r1a",
                                       "via": "198.18.0.2" if fam == "IPv4" else "2001:db8::2"}]
            wall, cpu, size, res = call(s, pid, "route.bulk", params)
            print(f"route.bulk {op} {len(pfx)} {fam} routes: {wall:.2f} s wall, "
                  f"{cpu:.2f} s daemon CPU, {size / 1e6:.1f} MB request, "
                  f"routes4={res['routes4']} routes6={res['routes6']}")


main()
