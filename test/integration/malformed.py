#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Malformed frames for the integration tests (needs python3-scapy).

  malformed.py send IFACE DST_MAC SRC_MAC N   send N frames of every kind below
                                              out of IFACE; prints "<kind> <count>"
                                              lines, kind = the drop reason expected
  malformed.py runts PCAP N                   write N runts (1..13 bytes) to PCAP
  malformed.py count IFACE MAC SECONDS [src|dst]
                                              count frames from (or to) MAC received
                                              on IFACE during SECONDS; prints the count
  malformed.py prio-send IFACE DST_MAC SRC_MAC PCP N
                                              send N priority-tagged frames (VID 0,
                                              priority PCP) out of IFACE
  malformed.py prio-count IFACE MAC SECONDS [EXPECT]  for frames from MAC received on IFACE
                                              during SECONDS, print one line per outer
                                              tag seen: "untagged N" or "vid/pcp N"
"""

import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003


def frames(dst, src):
    from scapy.all import ICMP, IP, LLC, STP, TCP, UDP, Dot1Q, Dot3, Ether, raw
    eth = lambda t: raw(Ether(dst=dst, src=src, type=t))  # noqa: E731
    ip = raw(IP(src="198.18.1.1", dst="198.18.1.2", proto=6) / TCP())
    out = []
    # A VLAN tag cut short, or only the tag with no inner type.
    out.append(("bad_vlan", eth(0x8100) + b"\x00"))
    out.append(("bad_vlan", eth(0x8100) + b"\x00\x64"))
    out.append(("bad_vlan", eth(0x88a8) + b"\x00\x64\x81"))
    # Three stacked tags: more than the two the parser supports.
    out.append(("bad_vlan", raw(Ether(dst=dst, src=src) / Dot1Q(vlan=1) / Dot1Q(vlan=2) /
                                Dot1Q(vlan=3) / IP(src="198.18.1.1", dst="198.18.1.2") / ICMP())))
    # IPv4 header cut short, IHL below 5, total length past the frame, bad version.
    out.append(("bad_l3", eth(0x0800) + ip[:10]))
    out.append(("bad_l3", eth(0x0800) + b"\x44" + ip[1:]))
    out.append(("bad_l3", eth(0x0800) + ip[:2] + struct.pack("!H", 1400) + ip[4:]))
    out.append(("bad_l3", eth(0x0800) + b"\x65" + ip[1:]))
    # IPv6 and ARP headers cut short.
    out.append(("bad_l3", eth(0x86dd) + b"\x60\x00\x00\x00\x00\x08\x11\x40"))
    out.append(("bad_l3", eth(0x0806) + b"\x00\x01\x08\x00\x06\x04\x00\x01"))
    # TCP/UDP/ICMP headers cut short (the IPv4 total length agrees with the frame).
    for proto, l4 in ((6, b"\x04\x00\x00\x50"), (17, b"\x04\x00"), (1, b"\x08")):
        hdr = raw(IP(src="198.18.1.1", dst="198.18.1.2", proto=proto, len=20 + len(l4)))
        out.append(("bad_l4", eth(0x0800) + hdr + l4))
    # A multicast source MAC; the all-zero source.
    out.append(("src_mac_mcast", raw(Ether(dst=dst, src="01:00:5e:00:00:01") /
                                     IP(src="198.18.1.1", dst="198.18.1.2") / ICMP())))
    out.append(("src_mac_zero", raw(Ether(dst=dst, src="00:00:00:00:00:00") /
                                    IP(src="198.18.1.1", dst="198.18.1.2") / ICMP())))
    # The 802.1D link-local group, which a bridge never forwards: an STP BPDU
    # (802.3 length + LLC), pause, LACP, LLDP; one of them priority-tagged.
    out.append(("link_local", raw(Dot3(dst="01:80:c2:00:00:00", src=src) / LLC() / STP())))
    out.append(("link_local", raw(Ether(dst="01:80:c2:00:00:01", src=src, type=0x8808)) +
                b"\x00\x01\xff\xff" + bytes(42)))
    out.append(("link_local", raw(Ether(dst="01:80:c2:00:00:02", src=src, type=0x8809)) +
                b"\x01\x01" + bytes(44)))
    out.append(("link_local", raw(Ether(dst="01:80:c2:00:00:0e", src=src) / Dot1Q(prio=7, vlan=0,
                                                                             type=0x88cc)) +
                bytes(46)))
    # Type/length values no standard defines, and an 802.3 length past the frame.
    out.append(("bad_ethertype", eth(0x05dd) + bytes(46)))
    out.append(("bad_ethertype", eth(0x05ff) + bytes(46)))
    out.append(("bad_length", eth(100) + bytes(46)))
    out.append(("bad_length", raw(Ether(dst=dst, src=src) / Dot1Q(vlan=0, type=47)) + bytes(46)))
    return out


def cmd_send(iface, dst, src, n):
    fr = frames(dst, src)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    counts = {}
    for _ in range(n):
        for kind, f in fr:
            s.send(f)
            counts[kind] = counts.get(kind, 0) + 1
        time.sleep(0.01)
    for k in sorted(counts):
        print(k, counts[k])


def cmd_runts(path, n):
    from scapy.all import wrpcap
    from scapy.packet import Raw
    pk = [Raw(bytes([0x02] * (1 + i % 13))) for i in range(n)]
    wrpcap(path, pk, linktype=1)


def cmd_count(iface, mac, seconds, field="src"):
    want = bytes.fromhex(mac.replace(":", ""))
    off = 6 if field == "src" else 0
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.settimeout(0.2)
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        try:
            data, addr = s.recvfrom(65535)
        except socket.timeout:
            continue
        if addr[2] != socket.PACKET_OUTGOING and data[off:off + 6] == want:
            n += 1
    print(n)


def cmd_prio_send(iface, dst, src, pcp, n):
    from scapy.all import Dot1Q, Ether, raw
    f = raw(Ether(dst=dst, src=src) / Dot1Q(prio=pcp, vlan=0, type=0x88b5)) + bytes(46)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    for _ in range(n):
        s.send(f)
        time.sleep(0.01)


SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 0x10


def outer_tag(data, anc):
    """(vid, pcp) of the outer tag, None if untagged. The kernel moves a
    received tag out of the data into PACKET_AUXDATA."""
    for level, kind, cdata in anc:
        if level == SOL_PACKET and kind == PACKET_AUXDATA and len(cdata) >= 20:
            status, _, _, _, _, tci = struct.unpack("=IIIHHH", cdata[:18])
            if status & TP_STATUS_VLAN_VALID:
                return tci & 0xfff, tci >> 13
    if len(data) >= 16 and data[12:14] in (b"\x81\x00", b"\x88\xa8"):
        tci = struct.unpack("!H", data[14:16])[0]
        return tci & 0xfff, tci >> 13
    return None


def cmd_prio_count(iface, mac, seconds, expect=0):
    """Stops early once @expect frames were seen (0: run the whole time), so
    a long window costs nothing when the frames arrive."""
    want = bytes.fromhex(mac.replace(":", ""))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.bind((iface, 0))
    s.settimeout(0.2)
    end = time.monotonic() + seconds
    seen = {}
    while time.monotonic() < end:
        try:
            data, anc, _, addr = s.recvmsg(65535, socket.CMSG_LEN(64))
        except socket.timeout:
            continue
        if addr[2] == socket.PACKET_OUTGOING or data[6:12] != want:
            continue
        tag = outer_tag(data, anc)
        k = "untagged" if tag is None else "%d/%d" % tag
        seen[k] = seen.get(k, 0) + 1
        if expect and sum(seen.values()) >= expect:
            # linger briefly: a frame beyond the expected count must show
            end = min(end, time.monotonic() + 0.3)
    for k in sorted(seen):
        print(k, seen[k])


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    if argv[1] == "send":
        cmd_send(argv[2], argv[3], argv[4], int(argv[5]))
    elif argv[1] == "runts":
        cmd_runts(argv[2], int(argv[3]))
    elif argv[1] == "prio-send":
        cmd_prio_send(argv[2], argv[3], argv[4], int(argv[5]), int(argv[6]))
    elif argv[1] == "prio-count":
        cmd_prio_count(argv[2], argv[3], float(argv[4]), int(argv[5]) if len(argv) > 5 else 0)
    elif argv[1] == "count":
        cmd_count(argv[2], argv[3], float(argv[4]), argv[5] if len(argv) > 5 else "src")
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
