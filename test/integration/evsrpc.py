#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Raw JSON-RPC client and JSON helpers for the integration tests.

The tests talk to the daemon through this script rather than edgevsctl so
that they check the wire protocol itself (hello line, ids, error objects).
Standard library only.

  evsrpc.py call SOCK METHOD [PARAMS_JSON]   one request, prints the reply line
  evsrpc.py raw SOCK LINE                    sends LINE + '\\n' as is, prints the reply
                                             (LINE "hex:..." is sent as those bytes,
                                             "deep:N" as arrays nested N deep)
  evsrpc.py notify SOCK                      a notification (unknown method), then a
                                             request: the first reply must be the request's
  evsrpc.py hello SOCK                       prints the hello notification
  evsrpc.py oversize SOCK NBYTES             sends an NBYTES line, then 'version'
                                             on the same connection; prints both replies
  evsrpc.py pipeline SOCK N                  N requests in one write, checks N replies in order
  evsrpc.py clients SOCK N                   N connections at once, plus an idle half-line
                                             client and a vanished one; checks every reply
  evsrpc.py get JSON PATH                    value at PATH (a.b.0.c); strings printed raw,
                                             other values as JSON; exit 1 if absent
  evsrpc.py canon JSON|@FILE                 canonical form (sorted keys, compact)
  evsrpc.py find JSON KEY                    sum of the integers stored under KEY anywhere
                                             inside objects named 'drops' (0 if none)
  evsrpc.py sum JSON KEY                     sum of the integers stored under KEY anywhere
  evsrpc.py has JSON K=V...                  exit 0 if some object anywhere in JSON has all
                                             these fields (strings compared case-blind,
                                             V parsed as JSON when it is valid JSON)

Exit status: 0 on success, 1 on a failed check, 3 when the daemon could not
be reached or did not answer within the timeout.
"""

import json
import os
import socket
import sys
import time

TIMEOUT = float(os.environ.get("EVSRPC_TIMEOUT", "15"))


class Conn:
    """One control-socket connection that reads whole lines."""

    def __init__(self, path, read_hello=True, timeout=None):
        self.timeout = timeout if timeout is not None else TIMEOUT
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(self.timeout)
        self.s.connect(path)
        self.buf = b""
        self.hello = self.line() if read_hello else None

    def send(self, data):
        self.s.sendall(data)

    def line(self):
        deadline = time.monotonic() + self.timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no reply line within %.0f s" % self.timeout)
            self.s.settimeout(left)
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("daemon closed the connection")
            self.buf += chunk
        ln, self.buf = self.buf.split(b"\n", 1)
        return ln.decode("utf-8")

    def call(self, method, params=None, rid=1):
        req = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            req["params"] = params
        self.send(json.dumps(req).encode() + b"\n")
        return json.loads(self.line())

    def reply(self):
        """The next reply, passing over notifications (events)."""
        while True:
            msg = json.loads(self.line())
            if "id" in msg:
                return msg

    def close(self):
        self.s.close()


def check_hello(line):
    msg = json.loads(line)
    p = msg.get("params", {})
    if (msg.get("jsonrpc") != "2.0" or msg.get("method") != "hello" or "id" in msg
            or "api_version" not in p or not isinstance(p.get("pid"), int)):
        raise ValueError("bad hello line: %s" % line)
    return msg


def get_path(doc, path):
    cur = doc
    if path in ("", "."):
        return cur
    for part in path.split("."):
        if isinstance(cur, list):
            cur = cur[int(part)]
        elif isinstance(cur, dict):
            cur = cur[part]
        else:
            raise KeyError(path)
    return cur


def canon(v):
    return json.dumps(v, sort_keys=True, separators=(",", ":"))


def load_arg(a):
    if a.startswith("@"):
        with open(a[1:]) as f:
            return json.load(f)
    return json.loads(a)


def sum_key(v, key, inside_drops=False, want_drops=True):
    total = 0
    if isinstance(v, dict):
        for k, x in v.items():
            if k == key and isinstance(x, int) and not isinstance(x, bool) and (
                    inside_drops or not want_drops):
                total += x
            else:
                total += sum_key(x, key, inside_drops or k == "drops", want_drops)
    elif isinstance(v, list):
        for x in v:
            total += sum_key(x, key, inside_drops, want_drops)
    return total


def has_fields(v, want):
    if isinstance(v, dict):
        ok = True
        for k, x in want.items():
            y = v.get(k, None)
            if isinstance(x, str) and isinstance(y, str):
                ok = ok and x.lower() == y.lower()
            else:
                ok = ok and k in v and x == y
        if ok:
            return True
        return any(has_fields(x, want) for x in v.values())
    if isinstance(v, list):
        return any(has_fields(x, want) for x in v)
    return False


def cmd_pipeline(path, n):
    c = Conn(path)
    check_hello(c.hello)
    reqs = b"".join(
        json.dumps({"jsonrpc": "2.0", "id": i, "method": "version"}).encode() + b"\n"
        for i in range(1, n + 1))
    c.send(reqs)
    for i in range(1, n + 1):
        r = json.loads(c.line())
        if r.get("id") != i or "result" not in r:
            print("pipelined reply %d out of order or failed: %s" % (i, r))
            return 1
    print("ok: %d pipelined replies in order" % n)
    return 0


def cmd_clients(path, n):
    # An idle client holding half a request, and one that sends a request and
    # vanishes without reading: neither may hold up the others.
    idle = Conn(path)
    idle.send(b'{"jsonrpc":"2.0","id":1,"meth')
    gone = Conn(path, read_hello=False)
    gone.send(b'{"jsonrpc":"2.0","id":1,"method":"config.get"}\n' * 50)
    gone.close()
    conns = [Conn(path) for _ in range(n)]
    for c in conns:
        check_hello(c.hello)
    pids = {json.loads(c.hello)["params"]["pid"] for c in conns}
    if len(pids) != 1:
        print("hello pids differ: %s" % pids)
        return 1
    # Interleave: every client sends before any reads.
    for k, c in enumerate(conns):
        c.send(json.dumps({"jsonrpc": "2.0", "id": 1000 + k, "method": "config.get"}).encode()
               + b"\n")
        c.send(json.dumps({"jsonrpc": "2.0", "id": "s%d" % k, "method": "no.such"}).encode()
               + b"\n")
    first = None
    for k, c in enumerate(conns):
        r1 = json.loads(c.line())
        r2 = json.loads(c.line())
        if r1.get("id") != 1000 + k or "result" not in r1:
            print("client %d: bad reply to config.get: %s" % (k, r1))
            return 1
        if first is None:
            first = canon(r1["result"])
        elif canon(r1["result"]) != first:
            print("client %d: config.get differs between clients" % k)
            return 1
        if r2.get("id") != "s%d" % k or r2.get("error", {}).get("code") != -32601:
            print("client %d: expected -32601 for id s%d, got %s" % (k, k, r2))
            return 1
    # The idle client finishes its request and is answered too.
    idle.send(b'od":"version"}\n')
    r = json.loads(idle.line())
    if r.get("id") != 1 or "result" not in r:
        print("idle client: bad reply after completing its line: %s" % r)
        return 1
    for c in conns:
        c.close()
    idle.close()
    print("ok: %d concurrent clients, idle and vanished clients did not block" % n)
    return 0


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    cmd = argv[1]
    try:
        if cmd == "call":
            params = json.loads(argv[4]) if len(argv) > 4 else None
            c = Conn(argv[2])
            check_hello(c.hello)
            print(canon(c.call(argv[3], params)))
            return 0
        if cmd == "raw":
            c = Conn(argv[2])
            line = argv[3]
            if line.startswith("hex:"):
                data = bytes.fromhex(line[4:])
            elif line.startswith("deep:"):  # arrays nested N deep
                n = int(line[5:])
                data = b"[" * n + b"]" * n
            else:
                data = line.encode()
            c.send(data + b"\n")
            print(canon(json.loads(c.line())))
            return 0
        if cmd == "hello":
            c = Conn(argv[2])
            print(canon(check_hello(c.hello)))
            return 0
        if cmd == "oversize":
            c = Conn(argv[2])
            n = int(argv[3])
            # Stream it in pieces like a real client; the server answers as
            # soon as the line exceeds its limit.
            body = b'{"jsonrpc":"2.0","id":7,"method":"version","params":{"x":"'
            c.send(body)
            chunk = b"a" * 65536
            sent = len(body)
            while sent < n:
                c.send(chunk)
                sent += len(chunk)
            c.send(b'"}}\n')
            print(canon(json.loads(c.line())))
            print(canon(c.call("version", rid=8)))
            return 0
        if cmd == "notify":
            c = Conn(argv[2])
            c.send(b'{"jsonrpc":"2.0","method":"no.such.method"}\n'
                   b'{"jsonrpc":"2.0","method":"port.del","params":{"name":"nope"}}\n'
                   b'{"jsonrpc":"2.0","id":"after","method":"version"}\n')
            r = json.loads(c.line())
            if r.get("id") != "after" or "result" not in r:
                print("a notification was answered: %s" % canon(r))
                return 1
            print("ok: notifications got no reply")
            return 0
        if cmd == "pipeline":
            return cmd_pipeline(argv[2], int(argv[3]))
        if cmd == "clients":
            return cmd_clients(argv[2], int(argv[3]))
    except (OSError, TimeoutError, ConnectionError) as e:
        print("evsrpc: %s: %s" % (argv[2], e), file=sys.stderr)
        return 3
    except ValueError as e:
        print("evsrpc: %s" % e, file=sys.stderr)
        return 1
    if cmd == "get":
        try:
            v = get_path(json.loads(argv[2]), argv[3])
        except (KeyError, IndexError, ValueError, TypeError):
            return 1
        print(v if isinstance(v, str) else canon(v))
        return 0
    if cmd == "canon":
        print(canon(load_arg(argv[2])))
        return 0
    if cmd == "find":
        print(sum_key(load_arg(argv[2]), argv[3]))
        return 0
    if cmd == "sum":
        print(sum_key(load_arg(argv[2]), argv[3], want_drops=False))
        return 0
    if cmd == "has":
        want = {}
        for kv in argv[3:]:
            k, _, x = kv.partition("=")
            try:
                want[k] = json.loads(x)
            except ValueError:
                want[k] = x
        return 0 if has_fields(load_arg(argv[2]), want) else 1
    print("evsrpc: unknown command %s" % cmd, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
