#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A userspace 802.1Q host on a raw interface (standard library only).

Kernels without VLAN support (no 8021q module) cannot have VLAN
sub-interfaces, so the trunk end of the VLAN test is this: it speaks ARP and
ICMP echo over tagged frames it builds itself, and reads the tags of what it
receives from PACKET_AUXDATA (the kernel strips the tag into metadata).

  vlanhost.py serve IFACE MAC SECONDS VLAN=IP...
      answer ARP requests and echo requests for IP on VLAN (0 = untagged),
      with the same tag; print one line per frame received:
      "rx vlan=<n|none> src=<mac> dst=<mac> <arp-req|arp-rep|echo-req|echo-rep|other>"
  vlanhost.py ping IFACE MAC VLAN SRC_IP DST_IP COUNT
      resolve DST_IP with ARP on VLAN, send COUNT echo requests, print
      "sent <n> replies <n> mac <resolved|none> wrongtag <n>" where wrongtag
      counts ARP/echo replies for us that came back with another tag (or none)
"""

import os
import select
import socket
import struct
import sys
import time

SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 0x10
PACKET_OUTGOING = 4
ETH_P_ALL = 0x0003
BCAST = b"\xff" * 6


def mac_b(s):
    return bytes.fromhex(s.replace(":", ""))


def mac_s(b):
    return ":".join("%02x" % x for x in b)


def csum(data):
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def eth(dst, src, vlan, etype, payload):
    if vlan:
        return dst + src + struct.pack("!HHH", 0x8100, vlan, etype) + payload
    return dst + src + struct.pack("!H", etype) + payload


def arp(op, smac, sip, tmac, tip):
    return struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + smac + sip + tmac + tip


def ipv4_icmp(src, dst, icmp_type, ident, seq, payload):
    icmp = struct.pack("!BBHHH", icmp_type, 0, 0, ident, seq) + payload
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 0, 0x4000, 64, 1, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + icmp


class Raw:
    def __init__(self, iface):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        self.s.bind((iface, 0))

    def send(self, frame):
        self.s.send(frame)

    def recv(self, timeout):
        """(vlan or None, frame without tag) or None on timeout; skips our own."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.s], [], [], left)[0]:
                return None
            data, anc, _, addr = self.s.recvmsg(65535, socket.CMSG_SPACE(64))
            if addr[2] == PACKET_OUTGOING:
                continue
            vlan = None
            for level, typ, val in anc:
                if level == SOL_PACKET and typ == PACKET_AUXDATA and len(val) >= 20:
                    status, _, _, _, _, tci = struct.unpack("IIIHHH", val[:18])
                    if status & TP_STATUS_VLAN_VALID:
                        vlan = tci & 0x0FFF
            # A tag the kernel left in band (not accelerated) counts too.
            if vlan is None and len(data) >= 18 and data[12:14] == b"\x81\x00":
                vlan = struct.unpack("!H", data[14:16])[0] & 0x0FFF
                data = data[:12] + data[16:]
            return vlan, data


def classify(f):
    """(kind, details) of an untagged frame."""
    if len(f) < 14:
        return "other", None
    etype = struct.unpack("!H", f[12:14])[0]
    p = f[14:]
    if etype == 0x0806 and len(p) >= 28:
        op = struct.unpack("!H", p[6:8])[0]
        return ("arp-req" if op == 1 else "arp-rep"), (p[8:14], p[14:18], p[24:28])
    if etype == 0x0800 and len(p) >= 28 and p[9] == 1:
        ihl = (p[0] & 0x0F) * 4
        icmp = p[ihl:]
        if len(icmp) >= 8 and icmp[0] in (0, 8):
            ident, seq = struct.unpack("!HH", icmp[4:8])
            return ("echo-req" if icmp[0] == 8 else "echo-rep"), (p[12:16], p[16:20], ident,
                                                                   seq, icmp[8:])
    return "other", None


def serve(iface, mac, seconds, specs):
    r = Raw(iface)
    me = mac_b(mac)
    ips = {}
    for sp in specs:
        v, ip = sp.split("=")
        ips[(int(v) or None, socket.inet_aton(ip))] = True
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        got = r.recv(end - time.monotonic())
        if got is None:
            break
        vlan, f = got
        kind, d = classify(f)
        print("rx vlan=%s src=%s dst=%s %s" % (vlan if vlan is not None else "none",
                                               mac_s(f[6:12]), mac_s(f[0:6]), kind), flush=True)
        if kind == "arp-req" and (vlan, d[2]) in ips:
            smac, sip, tip = d
            r.send(eth(smac, me, vlan, 0x0806, arp(2, me, tip, smac, sip)))
        elif kind == "echo-req" and f[0:6] == me and (vlan, d[1]) in ips:
            src, dst, ident, seq, payload = d
            r.send(eth(f[6:12], me, vlan, 0x0800, ipv4_icmp(dst, src, 0, ident, seq, payload)))


def ping(iface, mac, vlan, src_ip, dst_ip, count):
    r = Raw(iface)
    me = mac_b(mac)
    vlan = vlan or None
    sip, dip = socket.inet_aton(src_ip), socket.inet_aton(dst_ip)
    wrong = 0
    peer = None
    for _ in range(3):
        r.send(eth(BCAST, me, vlan, 0x0806, arp(1, me, sip, b"\x00" * 6, dip)))
        end = time.monotonic() + 1
        while peer is None and time.monotonic() < end:
            got = r.recv(end - time.monotonic())
            if got is None:
                break
            v, f = got
            kind, d = classify(f)
            if kind == "arp-rep" and f[0:6] == me and d[1] == dip:
                if v == vlan:
                    peer = d[0]
                else:
                    wrong += 1
        if peer is not None:
            break
    sent = replies = 0
    ident = os.getpid() & 0xFFFF
    if peer is not None:
        for seq in range(1, count + 1):
            r.send(eth(peer, me, vlan, 0x0800,
                       ipv4_icmp(sip, dip, 8, ident, seq, b"edgevs-vlan-test" * 3)))
            sent += 1
            end = time.monotonic() + 1
            while time.monotonic() < end:
                got = r.recv(end - time.monotonic())
                if got is None:
                    break
                v, f = got
                kind, d = classify(f)
                if kind == "echo-rep" and f[0:6] == me and d[2] == ident and d[3] == seq:
                    if v == vlan:
                        replies += 1
                        break
                    wrong += 1
            time.sleep(0.05)
    print("sent %d replies %d mac %s wrongtag %d" %
          (sent, replies, mac_s(peer) if peer else "none", wrong))


def main(argv):
    if len(argv) >= 6 and argv[1] == "serve":
        serve(argv[2], argv[3], float(argv[4]), argv[5:])
    elif len(argv) == 8 and argv[1] == "ping":
        ping(argv[2], argv[3], int(argv[4]), argv[5], argv[6], int(argv[7]))
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
