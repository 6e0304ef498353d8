#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""One TCP transfer for the integration tests (standard library only).

  tcpxfer.py recv ADDR PORT OUTFILE   accept one connection, store what it sends
  tcpxfer.py send ADDR PORT INFILE [RATE]
                                      connect (retrying for 10 s), send the file
                                      (at most RATE bytes/s when given)

Both print "<bytes> <sha256>" of what went over the connection and exit 0;
any error or a stall longer than 30 s exits 1.
"""

import hashlib
import socket
import sys
import time


def main(argv):
    mode, addr, port, path = argv[1], argv[2], int(argv[3]), argv[4]
    h = hashlib.sha256()
    n = 0
    if mode == "recv":
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((addr, port))
        ls.listen(1)
        ls.settimeout(30)
        s, _ = ls.accept()
        s.settimeout(30)
        with open(path, "wb") as f:
            while True:
                b = s.recv(1 << 16)
                if not b:
                    break
                f.write(b)
                h.update(b)
                n += len(b)
        s.close()
    elif mode == "send":
        deadline = time.monotonic() + 10
        while True:
            try:
                s = socket.create_connection((addr, port), timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        s.settimeout(30)
        rate = int(argv[5]) if len(argv) > 5 else 0
        t0 = time.monotonic()
        with open(path, "rb") as f:
            while True:
                b = f.read(1 << 16)
                if not b:
                    break
                s.sendall(b)
                h.update(b)
                n += len(b)
                if rate:  # paced: a test can act while the transfer runs
                    ahead = n / rate - (time.monotonic() - t0)
                    if ahead > 0:
                        time.sleep(ahead)
        s.shutdown(socket.SHUT_WR)
        s.recv(1)  # wait for the receiver's close: everything arrived
        s.close()
    else:
        print(__doc__)
        return 2
    print(n, h.hexdigest())
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except OSError as e:
        print("tcpxfer: %s" % e, file=sys.stderr)
        sys.exit(1)
