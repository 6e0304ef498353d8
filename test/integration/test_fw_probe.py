#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Probes for test_fw*.sh, run inside a namespace.

  connect IP PORT [TIMEOUT]   TCP connect: prints ok, refused or timeout
  udp IP PORT [TIMEOUT]       one datagram, waits for an answer: prints
                              reply, unreachable (ICMP error) or timeout
  udpbig IP PORT SIZE [TIMEOUT]
                              one SIZE-byte datagram of random bytes (the
                              network fragments it), waits for its echo:
                              prints intact, corrupt or timeout
  serve PORT                  TCP and UDP echo on PORT until killed
  hold IP PORT FILE           one TCP connection, a line a 0.2 s echoed back;
                              appends "ok N" / "dead" lines to FILE
"""
import errno
import socket
import sys
import threading
import time


def connect(ip, port, timeout):
    try:
        s = socket.create_connection((ip, int(port)), timeout=timeout)  # v4 or v6
        s.close()
        return "ok"
    except ConnectionRefusedError:
        return "refused"
    except (socket.timeout, TimeoutError):
        return "timeout"
    except OSError as e:
        return "error-%s" % errno.errorcode.get(e.errno, e.errno)


def udp(ip, port, timeout):
    fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.connect((ip, int(port)))
    try:
        s.send(b"probe")
        s.recv(100)
        return "reply"
    except ConnectionRefusedError:
        return "unreachable"
    except (socket.timeout, TimeoutError):
        return "timeout"


def udpbig(ip, port, size, timeout):
    import os

    fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.connect((ip, int(port)))
    data = os.urandom(size)
    try:
        s.send(data)
        return "intact" if s.recv(65535) == data else "corrupt"
    except (socket.timeout, TimeoutError):
        return "timeout"


def serve(port):
    def echo_tcp(c):
        with c:
            while True:
                d = c.recv(4096)
                if not d:
                    return
                c.sendall(d)

    def dual(kind):
        # one socket for IPv4 and IPv6
        s = socket.socket(socket.AF_INET6, kind)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::", port))
        return s

    def tcp():
        ls = dual(socket.SOCK_STREAM)
        ls.listen(64)
        while True:
            c, _ = ls.accept()
            threading.Thread(target=echo_tcp, args=(c,), daemon=True).start()

    us = dual(socket.SOCK_DGRAM)
    threading.Thread(target=tcp, daemon=True).start()
    while True:
        d, a = us.recvfrom(65535)
        us.sendto(d, a)


def hold(ip, port, path):
    s = socket.create_connection((ip, int(port)), timeout=3)
    s.settimeout(1.5)
    n = 0
    with open(path, "a", buffering=1) as f:
        while True:
            try:
                s.sendall(b"x" * 10)
                got = b""
                while len(got) < 10:
                    d = s.recv(10 - len(got))
                    if not d:
                        raise OSError("closed")
                    got += d
                n += 1
                f.write("ok %d\n" % n)
            except OSError:
                f.write("dead\n")
                return
            time.sleep(0.2)


def main():
    cmd = sys.argv[1]
    if cmd == "connect":
        print(connect(sys.argv[2], sys.argv[3], float(sys.argv[4]) if len(sys.argv) > 4 else 2))
    elif cmd == "udp":
        print(udp(sys.argv[2], sys.argv[3], float(sys.argv[4]) if len(sys.argv) > 4 else 2))
    elif cmd == "udpbig":
        print(udpbig(sys.argv[2], sys.argv[3], int(sys.argv[4]),
                     float(sys.argv[5]) if len(sys.argv) > 5 else 2))
    elif cmd == "serve":
        serve(int(sys.argv[2]))
    elif cmd == "hold":
        hold(sys.argv[2], sys.argv[3], sys.argv[4])


if __name__ == "__main__":
    main()
