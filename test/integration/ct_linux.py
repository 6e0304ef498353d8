#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Differential conntrack test: the same packet sequences through Linux
nf_conntrack and through lib/conntrack (ct-replay), verdicts compared.

Runs inside the injector namespace. Client-side packets go out of --left,
server-side ones out of --right, addressed to the conntrack namespace's
interfaces, which forwards them; an nftables prerouting chain there counts
each packet under its ct state and direction. The same frames are written to
a pcap and replayed through the library. Prints one line per packet and
exits 1 on any disagreement.
"""
import argparse
import json
import subprocess
import sys
import time

from scapy.all import (ICMP, IP, TCP, UDP, Ether, ICMPv6DestUnreach, ICMPv6EchoReply,
                       ICMPv6EchoRequest, IPv6, Raw, conf, sendp, wrpcap)

conf.verb = 0
C4, S4, R4 = "10.0.1.1", "10.0.2.1", "10.0.2.99"
C6, S6 = "fd01::1", "fd02::1"
VERDICTS = ["inv", "new", "est", "est_rpl", "rel", "rel_rpl"]


class Seq:
    """A named packet sequence; each packet is ('L'|'R', scapy L3 packet)."""

    def __init__(self, name):
        self.name = name
        self.pkts = []

    def add(self, side, pkt, note=""):
        self.pkts.append((side, pkt, note))
        return pkt


def tcp(s, side, port, flags, seq, ack=0, data=b"", v6=False, win=65535, wscale=None, note=""):
    src, dst = (C6, S6) if v6 else (C4, S4)
    sp, dp = port, 80
    if side == "R":
        src, dst, sp, dp = dst, src, dp, sp
    ip = IPv6(src=src, dst=dst) if v6 else IP(src=src, dst=dst)
    opts = [("NOP", None), ("WScale", wscale)] if wscale is not None else []
    p = ip / TCP(sport=sp, dport=dp, flags=flags, seq=seq, ack=ack, window=win, options=opts)
    if data:
        p = p / Raw(data)
    return s.add(side, p, note or flags)


def handshake(s, port, **kw):
    tcp(s, "L", port, "S", 1000, **kw)
    tcp(s, "R", port, "SA", 5000, 1001, **kw)
    tcp(s, "L", port, "A", 1001, 5001, **kw)


def scenarios():
    out = []

    s = Seq("handshake_data_close")
    handshake(s, 10001)
    tcp(s, "L", 10001, "PA", 1001, 5001, b"x" * 100)
    tcp(s, "R", 10001, "A", 5001, 1101)
    tcp(s, "R", 10001, "PA", 5001, 1101, b"y" * 50)
    tcp(s, "L", 10001, "A", 1101, 5051)
    tcp(s, "L", 10001, "FA", 1101, 5051)
    tcp(s, "R", 10001, "A", 5051, 1102)
    tcp(s, "R", 10001, "FA", 5051, 1102)
    tcp(s, "L", 10001, "A", 1102, 5052)
    out.append(s)

    s = Seq("retransmissions")
    tcp(s, "L", 10002, "S", 1000)
    tcp(s, "L", 10002, "S", 1000, note="SYN again")
    tcp(s, "R", 10002, "SA", 5000, 1001)
    tcp(s, "R", 10002, "SA", 5000, 1001, note="SYN-ACK again")
    tcp(s, "L", 10002, "A", 1001, 5001)
    tcp(s, "L", 10002, "PA", 1001, 5001, b"z" * 200)
    tcp(s, "L", 10002, "PA", 1001, 5001, b"z" * 200, note="data again")
    tcp(s, "R", 10002, "A", 5001, 1201)
    out.append(s)

    s = Seq("out_of_window")
    handshake(s, 10003)
    tcp(s, "L", 10003, "PA", 1001 + 10_000_000, 5001, b"w" * 10, note="seq past window")
    tcp(s, "R", 10003, "A", 5001, 1001 + 5_000_000, note="acks unsent data")
    tcp(s, "L", 10003, "PA", 1001, 5001, b"w" * 10, note="in window")
    out.append(s)

    s = Seq("rst_in_the_middle")
    handshake(s, 10004)
    tcp(s, "L", 10004, "PA", 1001, 5001, b"d" * 100)
    tcp(s, "R", 10004, "R", 5001, note="RST")
    tcp(s, "L", 10004, "A", 1101, 5001, note="ACK after RST")
    tcp(s, "L", 10004, "S", 90000, note="SYN reopens")
    tcp(s, "R", 10004, "SA", 70000, 90001)
    tcp(s, "L", 10004, "A", 90001, 70001)
    out.append(s)

    s = Seq("stale_rst")
    handshake(s, 10017)
    tcp(s, "R", 10017, "PA", 5001, 1001, b"q" * 100)
    tcp(s, "L", 10017, "A", 1001, 5101)
    tcp(s, "R", 10017, "R", 5050, note="RST below what the client acked")
    tcp(s, "L", 10017, "PA", 1001, 5101, b"k" * 5)
    out.append(s)

    s = Seq("half_close")
    handshake(s, 10005)
    tcp(s, "L", 10005, "FA", 1001, 5001)
    tcp(s, "R", 10005, "A", 5001, 1002)
    tcp(s, "R", 10005, "PA", 5001, 1002, b"h" * 20, note="data after client FIN")
    tcp(s, "L", 10005, "A", 1002, 5021)
    tcp(s, "R", 10005, "FA", 5021, 1002)
    tcp(s, "L", 10005, "A", 1002, 5022)
    out.append(s)

    s = Seq("icmp_errors")
    syn = tcp(s, "L", 10006, "S", 1000)
    s.add("R", IP(src=R4, dst=C4) / ICMP(type=11, code=0) / bytes(syn), "TTL exceeded")
    q = s.add("L", IP(src=C4, dst=S4) / UDP(sport=3000, dport=53) / Raw(b"q" * 12), "udp")
    s.add("R", IP(src=S4, dst=C4) / ICMP(type=3, code=3) / bytes(q), "port unreachable")
    other = IP(src=C4, dst=S4) / UDP(sport=3001, dport=53) / Raw(b"q" * 12)
    s.add("R", IP(src=S4, dst=C4) / ICMP(type=3, code=3) / bytes(other), "quotes nothing")
    out.append(s)

    s = Seq("udp")
    q = IP(src=C4, dst=S4) / UDP(sport=4000, dport=53) / Raw(b"a" * 8)
    r = IP(src=S4, dst=C4) / UDP(sport=53, dport=4000) / Raw(b"b" * 8)
    s.add("L", q, "request")
    s.add("L", q.copy(), "request again")
    s.add("R", r, "reply")
    s.add("L", q.copy(), "request after reply")
    out.append(s)

    s = Seq("icmp_echo")
    s.add("L", IP(src=C4, dst=S4) / ICMP(type=8, id=77, seq=1), "echo request")
    s.add("R", IP(src=S4, dst=C4) / ICMP(type=0, id=77, seq=1), "echo reply")
    s.add("L", IP(src=C4, dst=S4) / ICMP(type=8, id=77, seq=2), "echo request 2")
    s.add("R", IP(src=S4, dst=C4) / ICMP(type=0, id=78, seq=1), "reply nobody asked for")
    out.append(s)

    s = Seq("invalid_starts")
    tcp(s, "L", 10009, "SA", 1, 1, note="SYN-ACK first")
    tcp(s, "L", 10010, "FA", 1, 1, note="FIN first")
    tcp(s, "L", 10011, "A", 1, 1, note="ACK first (picked up)")
    tcp(s, "R", 10011, "A", 1, 1, note="its reply")
    tcp(s, "L", 10012, "R", 1, note="RST first")
    tcp(s, "L", 10013, "SF", 1, note="SYN+FIN")
    out.append(s)

    s = Seq("refused")
    tcp(s, "L", 10014, "S", 1000)
    tcp(s, "R", 10014, "RA", 0, 1001, note="RST-ACK refusal")
    tcp(s, "L", 10014, "S", 3000, note="SYN again after refusal")
    out.append(s)

    s = Seq("ipv6")
    handshake(s, 10015, v6=True)
    tcp(s, "L", 10015, "PA", 1001, 5001, b"6" * 30, v6=True)
    s.add("L", IPv6(src=C6, dst=S6) / ICMPv6EchoRequest(id=9, seq=1), "echo6 request")
    s.add("R", IPv6(src=S6, dst=C6) / ICMPv6EchoReply(id=9, seq=1), "echo6 reply")
    u = s.add("L", IPv6(src=C6, dst=S6) / UDP(sport=5000, dport=53) / Raw(b"u" * 8), "udp6")
    s.add("R", IPv6(src=S6, dst=C6) / ICMPv6DestUnreach(code=4) / bytes(u), "unreach6")
    out.append(s)

    s = Seq("reopen_after_close")
    handshake(s, 10018)
    tcp(s, "L", 10018, "FA", 1001, 5001)
    tcp(s, "R", 10018, "FA", 5001, 1002)
    tcp(s, "L", 10018, "A", 1002, 5002)
    tcp(s, "L", 10018, "S", 40000, note="SYN in TIME_WAIT")
    tcp(s, "R", 10018, "SA", 80000, 40001)
    out.append(s)

    s = Seq("client_rst_then_syn")
    handshake(s, 10019)
    tcp(s, "L", 10019, "R", 1001, note="client RST")
    tcp(s, "L", 10019, "S", 7000, note="client SYN")
    out.append(s)

    s = Seq("new_isn_while_syn_sent")
    tcp(s, "L", 10020, "S", 1000)
    tcp(s, "L", 10020, "S", 2000, note="SYN with another ISN")
    tcp(s, "R", 10020, "SA", 5000, 2001, note="SYN-ACK of the second")
    tcp(s, "L", 10020, "A", 2001, 5001)
    out.append(s)

    s = Seq("error_toward_server")
    handshake(s, 10021)
    srv = tcp(s, "R", 10021, "PA", 5001, 1001, b"r" * 10)
    s.add("L", IP(src="10.0.1.99", dst=S4) / ICMP(type=3, code=4) / bytes(srv)[:48],
          "frag needed, client side")
    out.append(s)

    s = Seq("simultaneous_open")
    tcp(s, "L", 10022, "S", 1000)
    tcp(s, "R", 10022, "S", 5000, note="SYN from the other side")
    tcp(s, "L", 10022, "SA", 1000, 5001, note="SYN-ACK from the client")
    tcp(s, "R", 10022, "SA", 5000, 1001)
    tcp(s, "L", 10022, "A", 1001, 5001)
    out.append(s)

    s = Seq("data_in_syn_recv")
    tcp(s, "L", 10023, "S", 1000)
    tcp(s, "R", 10023, "SA", 5000, 1001)
    tcp(s, "L", 10023, "PA", 1001, 5001, b"e" * 40, note="data with the third ACK")
    tcp(s, "R", 10023, "A", 5001, 1041)
    out.append(s)

    s = Seq("other_side_first")
    r = IP(src=S4, dst=C4) / UDP(sport=7000, dport=7001) / Raw(b"s" * 8)
    q = IP(src=C4, dst=S4) / UDP(sport=7001, dport=7000) / Raw(b"c" * 8)
    s.add("R", r, "server speaks first")
    s.add("L", q, "client answers")
    s.add("R", r.copy(), "server again")
    s.add("L", IP(src=C4, dst=S4) / ICMP(type=13, id=5), "timestamp request")
    s.add("R", IP(src=S4, dst=C4) / ICMP(type=14, id=5), "timestamp reply")
    s.add("L", IP(src=C4, dst=S4, proto=47) / Raw(b"g" * 8), "GRE")
    s.add("R", IP(src=S4, dst=C4, proto=47) / Raw(b"g" * 8), "GRE back")
    out.append(s)

    s = Seq("stray_syn_then_ack")
    handshake(s, 10024)
    tcp(s, "L", 10024, "S", 90000, note="stray SYN")
    tcp(s, "L", 10024, "A", 1001, 5001, note="the usual ACK after it")
    tcp(s, "R", 10024, "SA", 70000, 90001, note="answer to the stray SYN")
    tcp(s, "L", 10024, "PA", 1001, 5001, b"o" * 10, note="old sequence space")
    tcp(s, "L", 10024, "A", 90001, 70001, note="new sequence space")
    out.append(s)

    s = Seq("established_flag_bits")
    handshake(s, 10025)
    tcp(s, "L", 10025, "AE", 1001, 5001, b"e" * 10, note="ACK+ECE")
    tcp(s, "R", 10025, "AC", 5001, 1011, note="ACK+CWR")
    tcp(s, "L", 10025, "AU", 1011, 5001, b"u" * 5, note="ACK+URG")
    tcp(s, "R", 10025, "PAEC", 5001, 1016, b"p" * 7, note="PSH+ACK+ECE+CWR")
    tcp(s, "L", 10025, "A", 1016, 5001 + 90_000, note="acks unsent data")
    tcp(s, "L", 10025, "A", 1016, 5008, win=0, note="zero window")
    out.append(s)

    s = Seq("window_scale")
    tcp(s, "L", 10016, "S", 1000, wscale=7)
    tcp(s, "R", 10016, "SA", 5000, 1001, wscale=7)
    tcp(s, "L", 10016, "A", 1001, 5001, win=1000)
    tcp(s, "R", 10016, "PA", 5001 + 100_000, 1001, b"s" * 10, win=1000, note="inside scaled window")
    tcp(s, "R", 10016, "PA", 5001 + 200_000, 1001, b"s" * 10, win=1000, note="past it")
    out.append(s)
    return out


def nft_counts(ctns):
    res = subprocess.run(["ip", "netns", "exec", ctns, "nft", "-j", "list", "counters"],
                         check=True, capture_output=True, text=True)
    counts = {}
    for obj in json.loads(res.stdout)["nftables"]:
        c = obj.get("counter")
        if c is not None and c.get("table") == "evsct":
            counts[c["name"]] = c["packets"]
    return counts


def linux_verdict(ctns, before):
    # the packet is processed in softirq context, maybe on another CPU
    for _ in range(100):
        now = nft_counts(ctns)
        moved = [k for k in now if now[k] != before.get(k, 0)]
        if moved:
            return ",".join(sorted(moved)), now
        time.sleep(0.01)
    return "none", before


def main():
    ap = argparse.ArgumentParser()
    for a in ("ctns", "left", "right", "lmac", "rmac", "pcap", "replay"):
        ap.add_argument("--" + a, required=True)
    args = ap.parse_args()

    frames, where, labels = [], [], []
    t0 = 1_000_000.0
    for s in scenarios():
        for i, (side, pkt, note) in enumerate(s.pkts):
            dst = args.lmac if side == "L" else args.rmac
            f = Ether(dst=dst, src="02:00:00:00:00:0%s" % ("1" if side == "L" else "2")) / pkt
            f = Ether(bytes(f))  # checksums computed once, the same bytes both ways
            f.time = t0 + len(frames) * 0.01
            frames.append(f)
            where.append(args.left if side == "L" else args.right)
            labels.append("%s[%d] %s %s" % (s.name, i, side, note))
    wrpcap(args.pcap, frames)

    linux = []
    counts = nft_counts(args.ctns)
    for f, ifc in zip(frames, where):
        sendp(f, iface=ifc)
        v, counts = linux_verdict(args.ctns, counts)
        linux.append(v)

    res = subprocess.run([args.replay, args.pcap], check=True, capture_output=True, text=True)
    ours = res.stdout.split()
    if len(ours) != len(frames):
        print("replay printed %d verdicts for %d frames" % (len(ours), len(frames)))
        return 1
    bad = 0
    for lab, lv, ov in zip(labels, linux, ours):
        mark = "ok  " if lv == ov else "DIFF"
        bad += lv != ov
        print("%s %-48s linux=%-8s edgevs=%s" % (mark, lab, lv, ov))
    print("%d packets, %d disagreements" % (len(frames), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
