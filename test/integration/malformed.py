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
"""

import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003


def frames(dst, src):
    from scapy.all import ICMP, IP, TCP, UDP, Dot1Q, Ether, raw
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
    # A multicast source MAC.
    out.append(("src_mac_mcast", raw(Ether(dst=dst, src="01:00:5e:00:00:01") /
                                     IP(src="198.18.1.1", dst="198.18.1.2") / ICMP())))
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


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    if argv[1] == "send":
        cmd_send(argv[2], argv[3], argv[4], int(argv[5]))
    elif argv[1] == "runts":
        cmd_runts(argv[2], int(argv[3]))
    elif argv[1] == "count":
        cmd_count(argv[2], argv[3], float(argv[4]), argv[5] if len(argv) > 5 else "src")
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
