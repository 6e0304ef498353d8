#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Cross-check lib/crypto's ESP against Python's cryptography (AESGCM).

Usage: esp_xcheck.py CRYPTO_XCHECK_TOOL [SEED]

1. The tool encrypts random packets with random SAs (every mode, family,
   ESP-in-UDP, key length, ESN); here each is parsed per RFC 4303/4106/3948,
   opened with AESGCM and compared with the plaintext the tool started from.
2. Here the same plaintexts are sealed independently (random IVs, random
   sequence numbers, ESN high halves far from zero); the tool opens them and
   must give back the plaintext byte for byte.
"""
import os
import random
import struct
import subprocess
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ESP, UDP, IPIP, IPV6 = 50, 17, 4, 41
NAT_T_PORT = 4500


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def ip_info(pkt):
    """(version, header length, total length, protocol) of an IP packet."""
    v = pkt[0] >> 4
    if v == 4:
        return 4, (pkt[0] & 15) * 4, struct.unpack("!H", pkt[2:4])[0], pkt[9]
    if v == 6:
        return 6, 40, 40 + struct.unpack("!H", pkt[4:6])[0], pkt[6]
    raise ValueError("not IP")


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def open_wire(sa, wire, plain):
    """Verify one packet the tool encrypted against its plaintext."""
    l2, mode, udp, esn, seq = sa["l2"], sa["mode"], sa["udp"], sa["esn"], sa["seq"]
    pv, phl, plen, pproto = ip_info(plain[l2:])
    ip = wire[l2:]
    v, hl, tot, proto = ip_info(ip)
    check(tot == len(ip), "outer length %d != %d" % (tot, len(ip)))
    if v == 4:
        check(csum(ip[:hl]) == 0xFFFF, "IPv4 header checksum")
    check(proto == (UDP if udp else ESP), "outer protocol %d" % proto)
    off = hl
    if udp:
        sport, dport, ulen, ucs = struct.unpack("!HHHH", ip[off:off + 8])
        check(dport == NAT_T_PORT and sport == NAT_T_PORT, "UDP ports")
        check(ulen == tot - hl, "UDP length")
        if v == 4:
            check(ucs == 0, "IPv4 ESP-in-UDP checksum is zero (RFC 3948)")
        else:
            pseudo = ip[8:40] + struct.pack("!IxxxB", ulen, UDP)
            check(ucs != 0 and csum(pseudo + ip[off:]) == 0xFFFF, "IPv6 UDP checksum")
        off += 8
    spi, seq_lo = struct.unpack("!II", ip[off:off + 8])
    check(spi == sa["spi"], "SPI")
    check(seq_lo == seq & 0xFFFFFFFF, "sequence number")
    iv = ip[off + 8:off + 16]
    aad = ip[off:off + 4] + (struct.pack("!I", seq >> 32) if esn else b"") + ip[off + 4:off + 8]
    body = ip[off + 16:]
    check(len(body) >= 18 and (len(body) - 16) % 4 == 0, "ESP payload alignment")
    pt = AESGCM(sa["key"]).decrypt(sa["salt"] + iv, body, aad)
    padlen, nh = pt[-2], pt[-1]
    check(pt[-2 - padlen:-2] == bytes(range(1, padlen + 1)), "padding bytes")
    check(padlen < 4, "minimal padding")
    payload = pt[:-2 - padlen]
    if mode == 0:
        check(nh == pproto, "next header %d != %d" % (nh, pproto))
        check(payload == plain[l2 + phl:l2 + plen], "transport payload")
        # The IP header is the original but for length, protocol, checksum.
        if v == 4:
            mask = lambda h: h[:2] + h[4:9] + h[12:]  # noqa: E731
        else:
            mask = lambda h: h[:4] + h[7:]  # noqa: E731
        check(mask(ip[:hl]) == mask(plain[l2:l2 + phl]), "transport IP header")
        check(wire[:l2] == plain[:l2], "link header")
    else:
        check(nh == (IPIP if pv == 4 else IPV6), "tunnel next header")
        check(payload == plain[l2:l2 + plen], "tunnel inner packet")
        if l2:
            etype = struct.unpack("!H", wire[l2 - 2:l2])[0]
            check(etype == (0x0800 if v == 4 else 0x86DD), "EtherType of the outer family")
            check(wire[:l2 - 2] == plain[:l2 - 2], "link addresses")


def seal(sa, plain, rng):
    """Our own ESP packet of @plain for @sa (random IV), and the window top."""
    l2, mode, udp, esn = sa["l2"], sa["mode"], sa["udp"], sa["esn"]
    pv, phl, plen, pproto = ip_info(plain[l2:])
    if esn:
        seq = rng.randrange(1 << 33, 1 << 63)
    else:
        seq = rng.randrange(1, 1 << 32)
    top = max(0, seq - rng.randrange(0, 60))
    if mode == 0:
        inner, nh = plain[l2 + phl:l2 + plen], pproto
    else:
        inner, nh = plain[l2:l2 + plen], (IPIP if pv == 4 else IPV6)
    padlen = (-(len(inner) + 2)) % 4
    pt = inner + bytes(range(1, padlen + 1)) + bytes([padlen, nh])
    spi_seq = struct.pack("!II", sa["spi"], seq & 0xFFFFFFFF)
    aad = spi_seq[:4] + (struct.pack("!I", seq >> 32) if esn else b"") + spi_seq[4:]
    iv = os.urandom(8)
    esp = spi_seq + iv + AESGCM(sa["key"]).encrypt(sa["salt"] + iv, pt, aad)
    if mode == 0:
        hdr = bytearray(plain[l2:l2 + phl])
        outer_v = pv
    else:
        outer_v = sa["outer_v"]
        hdr = bytearray(sa["outer_hdr"])
    proto = UDP if udp else ESP
    body = esp
    if udp:
        body = struct.pack("!HHHH", 31000, NAT_T_PORT, 8 + len(esp), 0) + esp
    if outer_v == 4:
        struct.pack_into("!H", hdr, 2, len(hdr) + len(body))
        hdr[9] = proto
        struct.pack_into("!H", hdr, 10, 0)
        struct.pack_into("!H", hdr, 10, 0xFFFF - csum(bytes(hdr)))
    else:
        struct.pack_into("!H", hdr, 4, len(body))
        hdr[6] = proto
    link = bytearray(plain[:l2])
    if l2 and mode == 1:
        struct.pack_into("!H", link, l2 - 2, 0x0800 if outer_v == 4 else 0x86DD)
    return bytes(link) + bytes(hdr) + body, top


def main():
    tool = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 4106
    rng = random.Random(seed)
    out = subprocess.run([tool, "encrypt", str(seed), "150"], check=True, capture_output=True,
                         text=True).stdout
    sas, fails = [], 0
    for line in out.splitlines():
        f = line.split()
        if not f or f[0] != "E":
            continue
        sa = {"spi": int(f[1]), "key": bytes.fromhex(f[2]), "salt": bytes.fromhex(f[3]),
              "esn": f[4] == "1", "mode": int(f[5]), "udp": f[6] == "1", "l2": int(f[7]),
              "seq": int(f[8])}
        plain, wire = bytes.fromhex(f[9]), bytes.fromhex(f[10])
        if sa["mode"] == 1:
            ov, ohl, _, _ = ip_info(wire[sa["l2"]:])
            sa["outer_v"], sa["outer_hdr"] = ov, wire[sa["l2"]:sa["l2"] + ohl]
        try:
            open_wire(sa, wire, plain)
        except Exception as e:  # an InvalidTag is a failure like any other
            fails += 1
            print("edgevs -> python: packet %d (%s): %r" % (len(sas), line[:60], e))
        sas.append((sa, plain))
    if len(sas) < 150:
        print("only %d packets from the tool" % len(sas))
        return 1
    modes = {(s["mode"], s["udp"], s["esn"], len(s["key"])) for s, _ in sas}
    print("edgevs -> python: %d packets, %d combinations, %d failures" %
          (len(sas), len(modes), fails))

    lines = []
    for sa, plain in sas:
        wire, top = seal(sa, plain, rng)
        lines.append("D %d %s %s %d %d %d %d %d %s %s" % (
            sa["spi"], sa["key"].hex(), sa["salt"].hex(), sa["esn"], sa["mode"], sa["udp"],
            sa["l2"], top, wire.hex(), plain.hex()))
    # One tampered packet must be refused, or the tool proves nothing.
    bad = bytearray(bytes.fromhex(lines[0].split()[9]))
    bad[-1] ^= 1
    f0 = lines[0].split()
    f0[9] = bad.hex()
    lines.append(" ".join(f0))
    res = subprocess.run([tool, "decrypt"], input="\n".join(lines) + "\n", capture_output=True,
                         text=True).stdout.splitlines()
    res = [r for r in res if r.startswith(("ok ", "FAIL "))]
    back = sum(1 for r in res[:-1] if r.startswith("ok "))
    for r in res[:-1]:
        if not r.startswith("ok "):
            print("python -> edgevs:", r)
    print("python -> edgevs: %d of %d opened; tampered packet: %s" % (back, len(sas), res[-1]))
    tampered_refused = res[-1].startswith("FAIL") and res[-1].endswith("auth")
    ok = fails == 0 and back == len(sas) and len(res) == len(sas) + 1 and tampered_refused
    passed = (len(sas) - fails) + back + (1 if tampered_refused else 0)
    print("%d passed, %d failed" % (passed, 2 * len(sas) + 1 - passed))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
