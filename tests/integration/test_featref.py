#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
The oracle's own test: tools/featref.py against features worked out by hand
(the same flows as tests/unit/test_feat.c) on a capture written here.

The capture (nanosecond pcap, Ethernet):
  A  UDP 10.0.0.1:5000 <-> 10.0.0.2:53, the unit test's five packets:
     0 ms d0 60, 1 ms d1 1500, 3 ms d0 40, 6 ms d1 1300, 10 ms d0 80 bytes
  B  TCP 10.0.0.3:80 -> 10.0.0.4:40000, a SYN+ACK first, then two ACKs from
     the same side (0, 2.5, 6.5 ms after 20 ms; 52, 40, 40 bytes): the
     receiver is the initiator, so everything is dst2src. Sizes: mean 44,
     deviations 8 -4 -4, M2 96, variance 48. Gaps 2.5 and 4 ms: mean 3.25,
     deviations -+0.75, M2 1.125, variance 1.125.
  C  UDP over IPv6, one packet of payload length 60: ps 100 (40 + 60)
  D  IPv4 in IPv4 (a tunnel): left out
  E  an ICMP port unreachable quoting A's first datagram: a flow of its own
It checks every statistic of A and B, their SPLT (N 8), C's size, that D
is left out and E is not, and that --check finds the mirror of sf_feat.c's
arithmetic equal to the exact values (min/max/mean) on it.

The spanflow binary is not used (the argument is kept for the common
signature). Exit 77 (skipped) without tshark.

Usage: test_featref.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import json
import math
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree clean

FEATREF = Path(__file__).resolve().parents[2] / "tools" / "featref.py"
T0 = 1700000000123456789
MS = 1000000


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip4(src, dst, proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0,
                    bytes(src), bytes(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def udp(sport, dport, n):
    return struct.pack("!HHHH", sport, dport, 8 + n, 0) + b"\0" * n


def tcp(sport, dport, flags):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 1, 5 << 4, flags, 65535, 0, 0)


def eth(payload, ethertype=0x0800):
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + struct.pack("!H", ethertype) + payload


def pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 65535, 1))
        for ts, frame in frames:
            f.write(struct.pack("<IIII", ts // 10**9, ts % 10**9, len(frame), len(frame)))
            f.write(frame)


A1, A2 = (10, 0, 0, 1), (10, 0, 0, 2)
B3, B4 = (10, 0, 0, 3), (10, 0, 0, 4)


def capture(path):
    frames = []
    a = [(0, 0, 60), (1, 1, 1500), (3, 0, 40), (6, 1, 1300), (10, 0, 80)]
    for t, d, size in a:
        src, dst, sp, dp = (A1, A2, 5000, 53) if d == 0 else (A2, A1, 53, 5000)
        frames.append((T0 + t * MS, eth(ip4(src, dst, 17, udp(sp, dp, size - 28)))))
    for t, flags, size in [(20000, 0x12, 52), (22500, 0x10, 40), (26500, 0x10, 40)]:
        seg = tcp(80, 40000, flags) + b"\0" * (size - 40)
        frames.append((T0 + t * 1000, eth(ip4(B3, B4, 6, seg))))
    v6 = struct.pack("!IHBB16s16s", 6 << 28, 60, 17, 64, b"\x20\x01\x0d\xb8" + b"\0" * 11 + b"\1",
                     b"\x20\x01\x0d\xb8" + b"\0" * 11 + b"\2") + udp(7000, 7001, 52)
    frames.append((T0 + 30 * MS, eth(v6, 0x86dd)))
    inner = ip4((192, 168, 0, 1), (192, 168, 0, 2), 17, udp(1, 2, 10))
    frames.append((T0 + 31 * MS, eth(ip4((172, 16, 0, 1), (172, 16, 0, 2), 4, inner))))
    quoted = ip4(A1, A2, 17, udp(5000, 53, 32))[:28]
    icmp = struct.pack("!BBHI", 3, 3, 0, 0) + quoted
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    frames.append((T0 + 32 * MS, eth(ip4(A2, A1, 1, icmp))))
    frames.sort(key=lambda f: f[0])
    pcap(path, frames)


FAILS = []


def expect(what, got, want, rel=0.0):
    if got == want or (isinstance(want, float) and abs(got - want) <= rel * abs(want)):
        return
    FAILS.append("%s: got %r, expected %r" % (what, got, want))


def main():
    if shutil.which("tshark") is None:
        print("SKIP: no tshark")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "feat.pcap"
        capture(path)
        p = subprocess.run([sys.executable, str(FEATREF), "--splt", "8", str(path)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=True)
        lines = map(json.loads, p.stdout.splitlines())
        flows = {(f["src"], f["sport"], f["proto"]): f for f in lines}
        expect("stderr", p.stderr.strip(), "featref: 1 tunnelled frames left out")
        chk = subprocess.run([sys.executable, str(FEATREF), "--check", str(path)],
                             stdout=subprocess.PIPE, text=True, check=True).stdout
        expect("--check", "min/max/counts equal" in chk, True)

    expect("flows", sorted(flows), sorted([("10.0.0.1", 5000, 17), ("10.0.0.4", 40000, 6),
                                           ("2001:db8::1", 7000, 17), ("10.0.0.2", 0, 1)]))
    a = flows.get(("10.0.0.1", 5000, 17), {})
    want_a = {
        "bidirectional_packets": 5, "src2dst_packets": 3, "dst2src_packets": 2,
        "bidirectional_min_ps": 40, "bidirectional_max_ps": 1500,
        "bidirectional_mean_ps": 596.0, "bidirectional_stddev_ps": math.sqrt(543880),
        "src2dst_min_ps": 40, "src2dst_max_ps": 80, "src2dst_mean_ps": 60.0,
        "src2dst_stddev_ps": 20.0,
        "dst2src_min_ps": 1300, "dst2src_max_ps": 1500, "dst2src_mean_ps": 1400.0,
        "dst2src_stddev_ps": math.sqrt(20000),
        "bidirectional_min_piat_ms": 1.0, "bidirectional_max_piat_ms": 4.0,
        "bidirectional_mean_piat_ms": 2.5, "bidirectional_stddev_piat_ms": math.sqrt(5 / 3),
        "src2dst_min_piat_ms": 3.0, "src2dst_max_piat_ms": 7.0, "src2dst_mean_piat_ms": 5.0,
        "src2dst_stddev_piat_ms": math.sqrt(8),
        "dst2src_min_piat_ms": 5.0, "dst2src_max_piat_ms": 5.0, "dst2src_mean_piat_ms": 5.0,
        "dst2src_stddev_piat_ms": 0.0,
        "splt_direction": [0, 1, 0, 1, 0, -1, -1, -1],
        "splt_ps": [60, 1500, 40, 1300, 80, -1, -1, -1],
        "splt_piat_ms": [0.0, 1.0, 2.0, 3.0, 4.0, -1, -1, -1],
    }
    for k, v in want_a.items():
        expect("A " + k, a.get(k), v, 1e-15)
    b = flows.get(("10.0.0.4", 40000, 6), {})
    want_b = {
        "dport": 80, "src2dst_packets": 0, "dst2src_packets": 3,
        "src2dst_min_ps": 0, "src2dst_mean_ps": 0.0, "src2dst_max_piat_ms": 0.0,
        "bidirectional_mean_ps": 44.0, "bidirectional_stddev_ps": math.sqrt(48),
        "dst2src_stddev_ps": math.sqrt(48), "bidirectional_mean_piat_ms": 3.25,
        "bidirectional_stddev_piat_ms": math.sqrt(1.125), "dst2src_min_piat_ms": 2.5,
        "dst2src_max_piat_ms": 4.0, "splt_direction": [1, 1, 1, -1, -1, -1, -1, -1],
        "splt_piat_ms": [0.0, 2.5, 4.0, -1, -1, -1, -1, -1],
    }
    for k, v in want_b.items():
        expect("B " + k, b.get(k), v, 1e-15)
    c = flows.get(("2001:db8::1", 7000, 17), {})
    expect("C bidirectional_max_ps", c.get("bidirectional_max_ps"), 100)
    expect("C stddev", c.get("bidirectional_stddev_piat_ms"), 0.0)
    e = flows.get(("10.0.0.2", 0, 1), {})
    expect("E ps", e.get("bidirectional_max_ps"), 20 + 8 + 28)

    for f in FAILS:
        print("FAIL " + f)
    print("featref: %d checks failed" % len(FAILS) if FAILS else "featref: all checks passed")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
