#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Two controllers racing with expect_generation.

Usage: racers.py SOCKET ROUNDS

Each round both controllers read the generation, then both send a transact
that adds their own switch, expecting that generation, before either reads
its reply. Exactly one must win; the loser gets -32005 and changes nothing.
Prints "wins_a wins_b conflicts other" and exits 1 on any other outcome.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evsrpc import Conn  # noqa: E402


def request(c, rid, gen, name):
    import json
    req = {"jsonrpc": "2.0", "id": rid, "method": "transact",
           "params": {"expect_generation": gen,
                      "ops": [{"method": "switch.add", "params": {"name": name}}]}}
    c.send(json.dumps(req).encode() + b"\n")


def main():
    import json
    sock, rounds = sys.argv[1], int(sys.argv[2])
    a, b = Conn(sock), Conn(sock)
    wins = {"a": 0, "b": 0}
    conflicts = other = 0
    for r in range(rounds):
        gen = a.call("schema")["result"]["generation"]
        na, nb = "ra%d" % r, "rb%d" % r
        # Alternate who sends first: the server serves one line at a time.
        first, second = ((a, na), (b, nb)) if r % 2 == 0 else ((b, nb), (a, na))
        request(first[0], 1, gen, first[1])
        request(second[0], 1, gen, second[1])
        ra, rb = json.loads(a.line()), json.loads(b.line())
        ok = [x for x in (ra, rb) if "result" in x]
        bad = [x for x in (ra, rb) if "error" in x]
        if len(ok) == 1 and len(bad) == 1 and bad[0]["error"]["code"] == -32005 and \
                ok[0]["result"]["generation"] == gen + 1:
            conflicts += 1
            wins["a" if "result" in ra else "b"] += 1
        else:
            other += 1
            print("round %d: unexpected %s / %s" % (r, ra, rb), file=sys.stderr)
        doc = a.call("config.get")["result"]
        names = {s["name"] for s in doc.get("switches", [])}
        winner = na if "result" in ra else nb
        loser = nb if "result" in ra else na
        if winner not in names or loser in names:
            other += 1
            print("round %d: switches %s" % (r, sorted(names)), file=sys.stderr)
    print(wins["a"], wins["b"], conflicts, other)
    return 0 if other == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
