#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""lib/tunnel's wire format against tshark and scapy, both ways.

Usage: tunnel_wire.py TUNNEL_WIRE_TOOL

1. The tool encapsulates inner frames (VXLAN/GENEVE x IPv4/IPv6, options,
   UDP checksums) into a pcap; tshark must dissect each one as the tunnel,
   VNI, options and good checksums the tool announced, and scapy must find
   the same, recompute the same checksums and give back the inner frame.
2. scapy writes a pcap of good and bad tunnel frames; the tool decapsulates
   them and must accept or drop each exactly as expected.
"""
import os
import subprocess
import sys
import tempfile

from scapy.all import IP, UDP, Dot1Q, Ether, IPv6, Padding, Raw, load_contrib, rdpcap, wrpcap
from scapy.layers.vxlan import VXLAN

load_contrib("geneve")
from scapy.contrib.geneve import GENEVE, GeneveOptions  # noqa: E402

results = {"passed": 0, "failed": 0}


def check(cond, what):
    if cond:
        results["passed"] += 1
    else:
        results["failed"] += 1
        print("FAIL:", what)


def tshark_fields(pcap, fields):
    cmd = ["tshark", "-r", pcap, "-o", "udp.check_checksum:TRUE", "-o",
           "ip.check_checksum:TRUE", "-T", "fields", "-E", "separator=|"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [dict(zip(fields, line.split("|"))) for line in out.splitlines()]


def first(v):
    return v.split(",")[0] if v else ""


def part_encap(tool, tmp):
    pcap = os.path.join(tmp, "edgevs.pcap")
    out = subprocess.run([tool, "write", pcap], check=True, capture_output=True,
                         text=True).stdout
    want = []
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == "F":
            want.append({"type": int(f[1]), "family": int(f[2]), "vni": int(f[3]),
                         "csum": f[4] == "1", "opts": None if f[5] == "-" else bytes.fromhex(f[5]),
                         "inner": bytes.fromhex(f[6])})
    check(len(want) == 24, "24 frames announced, got %d" % len(want))
    rows = tshark_fields(pcap, ["udp.dstport", "vxlan.vni", "geneve.vni", "geneve.option.class",
                                "geneve.option.type", "geneve.flags.critical",
                                "udp.checksum.status", "ip.checksum.status", "eth.type"])
    check(len(rows) == len(want), "tshark read every frame")
    for i, (w, r) in enumerate(zip(want, rows)):
        what = "frame %d (%s over IPv%d)" % (i, "GENEVE" if w["type"] else "VXLAN", w["family"])
        check(first(r["udp.dstport"]) == ("6081" if w["type"] else "4789"), what + ": port")
        if w["type"]:
            check(int(r["geneve.vni"], 16) == w["vni"], what + ": tshark GENEVE VNI")
        else:
            check(int(r["vxlan.vni"]) == w["vni"], what + ": tshark VXLAN VNI")
        if w["opts"]:
            check(r["geneve.option.class"] == "0x0102,0xffff" and
                  r["geneve.option.type"] == "0x85,0x01" and r["geneve.flags.critical"] == "1",
                  what + ": tshark options and C flag")
        # Checksum status: 1 good, 3 not present, 4 illegal: zero over IPv6
        # (tshark's enum; lib/tunnel sends it only when asked, RFC 6935).
        check(first(r["udp.checksum.status"]) ==
              ("1" if w["csum"] else "3" if w["family"] == 4 else "4"),
              what + ": tshark outer UDP checksum")
        if w["family"] == 4:
            check(first(r["ip.checksum.status"]) == "1", what + ": tshark IPv4 checksum")
        check(first(r["eth.type"]) == ("0x0800" if w["family"] == 4 else "0x86dd"),
              what + ": EtherType")

    for i, (w, p) in enumerate(zip(want, rdpcap(pcap))):
        what = "frame %d (scapy)" % i
        l3 = p[IP] if w["family"] == 4 else p[IPv6]
        u = p[UDP]
        check(49152 <= u.sport <= 65535, what + ": source port in the dynamic range")
        check(u.len == len(bytes(u)), what + ": UDP length")
        if w["type"]:
            g = p[GENEVE]
            check(g.vni == w["vni"] and g.proto == 0x6558 and g.version == 0 and g.oam == 0,
                  what + ": GENEVE header")
            check(g.optionlen * 4 == (len(w["opts"]) if w["opts"] else 0), what + ": opt len")
            if w["opts"]:
                # scapy 2.5 parses only the first option; compare it, then the bytes.
                o = g.options[0]
                check((o.classid, o.type, o.length) == (0x0102, 0x85, 1) and
                      bytes(g)[8:8 + g.optionlen * 4] == w["opts"], what + ": GENEVE options")
            tun = g
        else:
            tun = p[VXLAN]
            check(tun.vni == w["vni"] and tun.flags == 0x08, what + ": VXLAN header")
        check(bytes(tun.payload) == w["inner"], what + ": inner frame")
        # scapy recomputes the same checksums.
        q = p.copy()
        ql3 = q[IP] if w["family"] == 4 else q[IPv6]
        if w["family"] == 4:
            del ql3.chksum
        if u.chksum:
            del q[UDP].chksum
        q = Ether(bytes(q))
        check(bytes(q) == bytes(p), what + ": checksums as scapy computes them")
        check(l3.ttl == 64 if w["family"] == 4 else l3.hlim == 64, what + ": TTL")


INNER = bytes(Ether(src="02:00:00:00:00:bb", dst="02:00:00:00:00:aa") /
              IP(src="10.1.0.1", dst="10.1.0.2") / UDP(sport=5000, dport=53) / Raw(b"x" * 30))


def outer4(dport=4789, **ip):
    return Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / \
        IP(src="192.0.2.9", dst="192.0.2.1", **ip) / UDP(sport=50000, dport=dport)


def outer6(dport=4789, chksum=None):
    u = UDP(sport=50000, dport=dport) if chksum is None else \
        UDP(sport=50000, dport=dport, chksum=chksum)
    return Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / \
        IPv6(src="2001:db8::9", dst="2001:db8::1") / u


def geneve(**kw):
    """scapy's GENEVE does not set the protocol from a raw payload."""
    kw.setdefault("proto", 0x6558)
    return GENEVE(**kw)


def opt(cls, typ, data):
    return GeneveOptions(classid=cls, type=typ, length=len(data) // 4, data=data)


def part_decap(tool, tmp):
    src4, src6 = "c0000209", "20010db8000000000000000000000009"
    cases = [
        ("vxlan v4", outer4() / VXLAN(vni=100) / INNER, "ok 100 2147483648 0 " + src4),
        ("vxlan v6 checksum", outer6() / VXLAN(vni=200) / INNER, "ok 200 2147483648 0 " + src6),
        ("geneve v4 options", outer4(6081) / geneve(vni=0xabcdef, critical=1, options=[
            opt(0x0102, 0x85, b"\xde\xad\xbe\xef"), opt(0xFFFF, 1, b"12345678")]) / INNER,
         "ok 11259375 2147483651 20 " + src4),
        ("geneve v6 unknown non-critical option", outer6(6081) / geneve(vni=100, options=[
            opt(0x0001, 0x02, b"abcd")]) / INNER, "ok 100 2147483648 8 " + src6),
        ("vlan-tagged underlay", Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") /
         Dot1Q(vlan=7) / IP(src="192.0.2.9", dst="192.0.2.1") / UDP(sport=1, dport=4789) /
         VXLAN(vni=100) / INNER, "ok 100 2147483648 0 " + src4),
        ("link padding", outer4() / VXLAN(vni=100) / INNER / Padding(b"\0" * 9),
         "ok 100 2147483648 0 " + src4),
        ("unknown critical option", outer4(6081) / geneve(vni=100, critical=1, options=[
            opt(0x0003, 0x80, b"abcd")]) / INNER, "drop critical_option"),
        ("unknown vni", outer4() / VXLAN(vni=300) / INNER, "drop bad_vni"),
        ("vxlan I flag clear", outer4() / VXLAN(vni=100, flags=0) / INNER, "drop bad_flags"),
        ("geneve version 1", outer4(6081) / geneve(vni=100, version=1) / INNER,
         "drop bad_flags"),
        ("geneve oam", outer4(6081) / geneve(vni=100, oam=1) / INNER, "drop oam"),
        ("geneve carrying IPv4", outer4(6081) / geneve(vni=100, proto=0x0800) /
         IP(src="10.1.0.1", dst="10.1.0.2") / Raw(b"y" * 20), "drop bad_protocol"),
        ("wrong udp checksum v4", outer4() / VXLAN(vni=100) / INNER, "drop bad_csum"),
        ("zero udp checksum v6", outer6(chksum=0) / VXLAN(vni=100) / INNER, "drop zero_csum6"),
        ("outer fragment", outer4(flags="MF") / VXLAN(vni=100) / INNER, "drop fragment"),
        ("another udp port", outer4(4790) / VXLAN(vni=100) / INNER, "drop not_tunnel"),
        ("inner runt", outer4() / VXLAN(vni=100) / Raw(b"abcdef"), "drop bad_inner"),
    ]
    frames = []
    for name, pkt, _ in cases:
        if name == "wrong udp checksum v4":
            pkt = Ether(bytes(pkt))
            pkt[UDP].chksum = 0x1234
        frames.append(pkt)
    pcap = os.path.join(tmp, "scapy.pcap")
    wrpcap(pcap, frames)
    out = subprocess.run([tool, "decap", pcap], check=True, capture_output=True,
                         text=True).stdout
    lines = [l for l in out.splitlines() if l.startswith(("ok ", "drop "))]
    check(len(lines) == len(cases), "one verdict per scapy frame (%d)" % len(lines))
    for (name, _, want), got in zip(cases, lines):
        if want.startswith("ok"):
            f = got.split()
            check(" ".join(f[:5]) == want, "%s: %s, want %s" % (name, " ".join(f[:5]), want))
            check(len(f) == 6 and bytes.fromhex(f[5]) == INNER or
                  (name == "geneve carrying IPv4"), name + ": inner frame given back")
        else:
            check(got == want, "%s: %s, want %s" % (name, got, want))


def main():
    tool = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="evs_tunnel_wire.") as tmp:
        part_encap(tool, tmp)
        part_decap(tool, tmp)
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    return 0 if results["failed"] == 0 and results["passed"] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
