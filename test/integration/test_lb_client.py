#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Client side of test_lb.sh: HTTP/1.0 GETs to a VIP, one connection each.

  spread ADDR PORT N CONC       N GETs of /id with CONC threads: prints
                                {"counts": {backend: n}, "failures": n}
  loop ADDR PORT SECONDS        GETs of /id for SECONDS, one after another:
                                the same JSON (failures while a backend dies)
  fetch ADDR PORT PATH RATE     one GET of PATH read at RATE bytes/s: prints
                                "<bytes> <backend header>" (a long transfer)
The backends answer /id with their name (test_lb.sh writes it).
"""
import json
import socket
import sys
import threading
import time


def get(addr, port, path, timeout=3.0, rate=0):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect((addr, port))
        s.sendall(f"GET {path} HTTP/1.0\r\nHost: vip\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(4096 if rate == 0 else min(4096, max(1, rate // 10)))
            if not chunk:
                break
            data += chunk
            if rate:
                time.sleep(len(chunk) / rate)
    head, _, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.0 200") and not head.startswith(b"HTTP/1.1 200"):
        raise OSError("status: " + head.split(b"\r\n")[0].decode(errors="replace"))
    return body


def spread(addr, port, n, conc):
    counts, fails, lock = {}, [0], threading.Lock()
    todo = iter(range(n))

    def worker():
        while True:
            with lock:
                if next(todo, None) is None:
                    return
            try:
                who = get(addr, port, "/id").decode().strip()
            except OSError:
                with lock:
                    fails[0] += 1
                continue
            with lock:
                counts[who] = counts.get(who, 0) + 1

    ts = [threading.Thread(target=worker) for _ in range(conc)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return {"counts": counts, "failures": fails[0]}


def loop(addr, port, seconds):
    counts, fails, end = {}, 0, time.time() + seconds
    while time.time() < end:
        try:
            who = get(addr, port, "/id", timeout=5.0).decode().strip()
            counts[who] = counts.get(who, 0) + 1
        except OSError:
            fails += 1
        time.sleep(0.01)
    return {"counts": counts, "failures": fails}


def main():
    mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "spread":
        print(json.dumps(spread(addr, port, int(sys.argv[4]), int(sys.argv[5]))))
    elif mode == "loop":
        print(json.dumps(loop(addr, port, float(sys.argv[4]))))
    elif mode == "fetch":
        body = get(addr, port, sys.argv[4], timeout=30.0, rate=int(sys.argv[5]))
        print(len(body))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
