#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""An 802.1Q access port in userspace (standard library only), for kernels
without VLAN devices (no 8021q, no bridge VLAN filtering): frames tagged VLAN
on the raw interface IFACE go untagged to a tap TAP created here, the tap's
frames go out of IFACE tagged VLAN. The Linux stack behind the tap (ARP,
vxlan...) is then a host on that VLAN. Frames in other VLANs or untagged
are not passed (counted). The kernel strips a received tag into
PACKET_AUXDATA; the tag is rebuilt from there.

  vlanwire.py IFACE TAP VLAN SECONDS
      runs for SECONDS (or until SIGTERM); prints "passed <in> <out> other <n>"
"""

import fcntl
import os
import select
import signal
import socket
import struct
import sys
import time

SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 0x10
PACKET_OUTGOING = 4
ETH_P_ALL = 0x0003
TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000


def main():
    iface, tap, vlan, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    raw.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    raw.bind((iface, 0))
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", tap.encode(), IFF_TAP | IFF_NO_PI))
    counts = {"in": 0, "out": 0, "other": 0}
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
    print("ready", flush=True)
    end = time.time() + seconds
    while not stop[0] and time.time() < end:
        r, _, _ = select.select([raw, fd], [], [], 0.2)
        if raw in r:
            data, anc, _, addr = raw.recvmsg(65535, socket.CMSG_SPACE(32))
            if addr[2] == PACKET_OUTGOING:
                continue
            tag = None
            for level, kind, val in anc:
                if level == SOL_PACKET and kind == PACKET_AUXDATA:
                    status, _, _, _, _, tci = struct.unpack("IIIHHH", val[:18])
                    if status & TP_STATUS_VLAN_VALID:
                        tag = tci & 0xFFF
            if tag is None and data[12:14] == b"\x81\x00":  # a tag left in the frame
                tag = struct.unpack("!H", data[14:16])[0] & 0xFFF
                data = data[:12] + data[16:]
            if tag == vlan:
                os.write(fd, data)
                counts["in"] += 1
            else:
                counts["other"] += 1
        if fd in r:
            data = os.read(fd, 65535)
            raw.send(data[:12] + struct.pack("!HH", 0x8100, vlan) + data[12:])
            counts["out"] += 1
    print("passed %d %d other %d" % (counts["in"], counts["out"], counts["other"]), flush=True)


if __name__ == "__main__":
    main()
