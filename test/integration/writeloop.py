#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write loop for test_persist.sh: switch.add sw1, sw2, ... on one connection,
appending each acknowledged name to ACKED (flushed before the next request),
until the daemon goes away or N switches are added.

  writeloop.py SOCK ACKED N
"""
import json
import socket
import sys


def main():
    sock, acked, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    f = s.makefile("rwb")
    f.readline()  # hello
    with open(acked, "a") as out:
        for i in range(1, n + 1):
            name = "sw%d" % i
            req = {"jsonrpc": "2.0", "id": i, "method": "switch.add",
                   "params": {"name": name}}
            try:
                f.write(json.dumps(req).encode() + b"\n")
                f.flush()
                line = f.readline()
            except OSError:
                return 0
            if not line:
                return 0
            rep = json.loads(line)
            if "result" not in rep:
                print("switch.add %s: %s" % (name, line.decode().strip()), file=sys.stderr)
                return 1
            out.write(name + "\n")
            out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
