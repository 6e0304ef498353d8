#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Helpers of test_many_vhost.sh (standard library only).

  manyports.py apply SOCK BASE_JSON N DIR   config.apply of BASE_JSON plus N vhost-user
                                            server ports v0..v<N-1> on switch sw0
                                            (sockets DIR/v<i>.sock) in one request;
                                            prints the reply line
  manyports.py heap TELEMETRY_SOCK          bytes allocated on DPDK heap 0 now
                                            (telemetry /eal/heap_info,0)
"""

import json
import socket
import sys


def rpc(path, method, params, timeout=120):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    f = s.makefile("rwb")
    f.readline()  # hello notification
    f.write(json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                        "params": params}).encode() + b"\n")
    f.flush()
    line = f.readline()
    s.close()
    return line.decode().strip()


def cmd_apply(sock, base, n, d):
    doc = json.loads(base)
    doc["ports"] += [{"name": "v%d" % i, "type": "vhost-user", "mode": "server",
                      "path": "%s/v%d.sock" % (d, i), "switch": "sw0"} for i in range(n)]
    print(rpc(sock, "config.apply", {"config": doc}))


def cmd_heap(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(10)
    s.connect(path)
    s.recv(16384)  # greeting
    s.send(b"/eal/heap_info,0")
    reply = json.loads(s.recv(65536).decode())
    s.close()
    print(reply["/eal/heap_info"]["Alloc_size"])


def main(argv):
    if len(argv) >= 6 and argv[1] == "apply":
        cmd_apply(argv[2], argv[3], int(argv[4]), argv[5])
    elif len(argv) >= 3 and argv[1] == "heap":
        cmd_heap(argv[2])
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
