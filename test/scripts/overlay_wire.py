#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Encrypted GENEVE as tshark sees it with the test keys.

Usage: overlay_wire.py OVERLAY_WIRE_TOOL

The tool writes GENEVE frames protected by ESP AES-GCM in transport mode on
the tunnel's UDP (IPv4 and IPv6, 128/256-bit keys, once in ESP-in-UDP).
tshark, given the SAs, must verify every ICV, find UDP (next header 17) to
port 6081 inside, dissect GENEVE with the right VNI and give back the inner
frame. A copy with one bit flipped in an ICV must fail tshark's check.
"""
import os
import subprocess
import sys
import tempfile

results = {"passed": 0, "failed": 0}


def check(cond, what):
    if cond:
        results["passed"] += 1
    else:
        results["failed"] += 1
        print("FAIL:", what)


def tshark(pcap, sas, fields):
    cmd = ["tshark", "-r", pcap, "-o", "esp.enable_encryption_decode:TRUE", "-o",
           "esp.enable_authentication_check:TRUE", "-T", "fields", "-E", "separator=|"]
    for s in sas:
        cmd += ["-o", 'uat:esp_sa:"%s","%s","%s","0x%08x","AES-GCM with 16 octet ICV [RFC4106]",'
                '"0x%s","NULL",""' % ("IPv4" if s["family"] == 4 else "IPv6", s["src"], s["dst"],
                                      s["spi"], s["keysalt"])]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [dict(zip(fields, line.split("|"))) for line in out.splitlines()]


def flip_last_byte_of_last_frame(src, dst):
    data = bytearray(open(src, "rb").read())
    data[-1] ^= 0x01  # the last byte of the last record: its ICV
    open(dst, "wb").write(bytes(data))


def main():
    tool = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="evs_overlay_wire.") as tmp:
        pcap = os.path.join(tmp, "overlay.pcap")
        out = subprocess.run([tool, pcap], check=True, capture_output=True, text=True).stdout
        sas, frames = [], []
        for line in out.splitlines():
            f = line.split()
            if f and f[0] == "S":
                sas.append({"family": int(f[1]), "src": f[2], "dst": f[3], "spi": int(f[4]),
                            "keysalt": f[5], "udp": f[6] == "1"})
            elif f and f[0] == "F":
                frames.append({"sa": int(f[1]), "vni": int(f[2]), "inner": bytes.fromhex(f[3])})
        check(len(sas) == 4 and len(frames) == 16, "the tool's SAs and frames")
        fields = ["esp.spi", "esp.icv_good", "esp.icv_bad", "esp.protocol", "geneve.vni",
                  "esp.contained_data", "udp.dstport"]
        rows = tshark(pcap, sas, fields)
        check(len(rows) == len(frames), "tshark read every frame")
        for i, (fr, r) in enumerate(zip(frames, rows)):
            sa = sas[fr["sa"]]
            what = "frame %d (IPv%d, %s)" % (i, sa["family"],
                                             "ESP-in-UDP" if sa["udp"] else "ESP")
            check(int(r["esp.spi"], 16) == sa["spi"], what + ": SPI")
            check(r["esp.icv_good"] == "1", what + ": ICV verified by tshark")
            check(r["esp.protocol"] == "0x11", what + ": next header UDP")
            check(r["geneve.vni"] and int(r["geneve.vni"], 16) == fr["vni"], what + ": VNI")
            ports = r["udp.dstport"].split(",")
            check(ports[-1] == "6081" and (ports[0] == "4500") == sa["udp"], what + ": ports")
            inner = bytes.fromhex(r["esp.contained_data"] or "")
            check(inner[16:] == fr["inner"], what + ": inner frame after UDP and GENEVE")
        bad = os.path.join(tmp, "tampered.pcap")
        flip_last_byte_of_last_frame(pcap, bad)
        rows = tshark(bad, sas, fields)
        check(rows[-1]["esp.icv_bad"] == "1" and rows[-1]["esp.icv_good"] != "1",
              "a flipped ICV bit fails tshark's check")
        check(all(r["esp.icv_good"] == "1" for r in rows[:-1]), "the other frames still pass")
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    return 0 if results["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
