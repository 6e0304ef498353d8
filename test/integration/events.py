#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Subscriber for test_events.sh: subscribes to TOPICs and appends every
event's params to OUT as one JSON line (flushed), until killed.

  events.py SOCK OUT TOPIC...
"""
import json
import socket
import sys


def main():
    sock, out, topics = sys.argv[1], sys.argv[2], sys.argv[3:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    f = s.makefile("rwb")
    f.readline()  # hello
    req = {"jsonrpc": "2.0", "id": 1, "method": "subscribe", "params": {"topics": topics}}
    f.write(json.dumps(req).encode() + b"\n")
    f.flush()
    with open(out, "a") as o:
        for line in f:
            m = json.loads(line)
            if m.get("id") == 1:
                o.write(json.dumps({"subscribed": m.get("result", m.get("error"))}) + "\n")
            elif m.get("method") == "event":
                o.write(json.dumps(m["params"]) + "\n")
            o.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
