#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
gen_tcp: TCP conversations that exercise tshark's tcp.analysis verdicts,
for the TCP health test (tests/integration/test_tcp_health.py).

One capture, one connection per scenario (client 10.9.0.1, server
10.9.1.1, client port 30000 + n), deterministic (times from 2026-01-01,
fixed sequence numbers):

  handshake   SYN (MSS, WS, SACK, TS) / SYN-ACK / ACK, data both ways, FINs
  syn_retry   SYN, SYN again 1 s later, SYN-ACK, ACK
  synack_retry  SYN, SYN-ACK, SYN-ACK again, ACK
  fast_rtx    segment 2 of 6 lost, three duplicate ACKs, fast retransmission
  rto_rtx     a segment sent again 300 ms later (timeout retransmission)
  spurious    a segment sent again after it was acknowledged
  reorder     segments 2 and 3 swapped, 1 ms apart (out of order)
  zero_window receiver at window 0, zero window probes and their ACKs, update
  keepalive   keep-alives (1 byte at seq - 1) and their ACKs
  wrap        sequence numbers across 2^32, with a retransmission after the wrap
  rst_mid     data, then RST from the server mid-stream
  simultaneous  both ends send SYN, then SYN-ACK
  refused     SYN answered by RST-ACK
  no_opts     SYN without options, SYN-ACK with MSS only
  reuse       a connection closed by FINs, then the same ports with a new ISN
  midstream   no handshake seen: data and ACKs only

Usage: gen_tcp.py OUT.pcap      (needs python3-scapy: /usr/bin/python3)
"""

import sys

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether
from scapy.utils import PcapWriter

T0 = 1767225600.0  # 2026-01-01 00:00:00 UTC
CLI, SRV = "10.9.0.1", "10.9.1.1"
OPTS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1000, 0)), ("NOP", None),
        ("WScale", 7)]


class Conv:
    """A connection: packets with explicit times, sequence numbers kept by hand."""

    def __init__(self, out, n, t, cisn, sisn, sport=None):
        self.out, self.t = out, t
        self.cport = sport or 30000 + n
        self.sport = 80
        self.cseq, self.sseq = cisn, sisn

    def pkt(self, dt, client, flags, seq, ack, payload=b"", win=65535, opts=None):
        self.t += dt
        src, dst = (CLI, SRV) if client else (SRV, CLI)
        sp, dp = (self.cport, self.sport) if client else (self.sport, self.cport)
        p = (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") /
             IP(src=src, dst=dst, id=1) /
             TCP(sport=sp, dport=dp, flags=flags, seq=seq & 0xffffffff, ack=ack & 0xffffffff,
                 window=win, options=opts or []) / payload)
        p.time = self.t
        self.out.append(p)

    def c(self, dt, flags, payload=b"", **kw):
        """Client sends at its next seq, acking the server's next seq."""
        self.pkt(dt, True, flags, self.cseq, self.sseq, payload, **kw)
        self.cseq += len(payload) + (1 if "S" in flags or "F" in flags else 0)

    def s(self, dt, flags, payload=b"", **kw):
        self.pkt(dt, False, flags, self.sseq, self.cseq, payload, **kw)
        self.sseq += len(payload) + (1 if "S" in flags or "F" in flags else 0)

    def handshake(self, opts=OPTS, sopts=OPTS):
        self.c(0, "S", opts=opts)
        self.s(0.010, "SA", opts=sopts)
        self.c(0.002, "A")

    def close(self):
        self.c(0.001, "FA")
        self.s(0.010, "FA")
        self.c(0.002, "A")


def data(n, k=100):
    return bytes([65 + n % 26]) * k


def build():
    pkts = []
    n = 0

    def conv(cisn, sisn, **kw):
        nonlocal n
        n += 1
        return Conv(pkts, n, T0 + n * 10.0, cisn, sisn, **kw)

    # handshake
    c = conv(1000, 50000)
    c.handshake()
    c.c(0.001, "PA", data(1))
    c.s(0.010, "PA", data(2, 300))
    c.c(0.002, "A")
    c.close()
    # syn_retry
    c = conv(2000, 60000)
    c.c(0, "S", opts=OPTS)
    c.cseq -= 1
    c.c(1.0, "S", opts=OPTS)
    c.s(0.020, "SA", opts=OPTS)
    c.c(0.003, "A")
    c.close()
    # synack_retry
    c = conv(3000, 70000)
    c.c(0, "S", opts=OPTS)
    c.s(0.010, "SA", opts=OPTS)
    c.sseq -= 1
    c.s(0.500, "SA", opts=OPTS)
    c.c(0.002, "A")
    c.close()
    # fast_rtx: client sends 6 segments, segment 2 lost; server dup-ACKs
    c = conv(4000, 80000)
    c.handshake()
    segs = []
    for i in range(6):
        segs.append(c.cseq)
        if i == 1:
            c.cseq += 100  # lost on the way: never captured
            continue
        c.c(0.0005, "PA", data(i))
    c.pkt(0.010, False, "A", c.sseq, segs[1])
    for _ in range(3):
        c.pkt(0.0003, False, "A", c.sseq, segs[1])
    c.pkt(0.001, True, "PA", segs[1], c.sseq, data(1))
    c.pkt(0.010, False, "A", c.sseq, c.cseq)
    c.close()
    # rto_rtx
    c = conv(5000, 90000)
    c.handshake()
    s0 = c.cseq
    c.c(0.001, "PA", data(3))
    c.pkt(0.300, True, "PA", s0, c.sseq, data(3))
    c.s(0.010, "A")
    c.close()
    # spurious
    c = conv(6000, 100000)
    c.handshake()
    s0 = c.cseq
    c.c(0.001, "PA", data(4))
    c.s(0.010, "A")
    c.pkt(0.200, True, "PA", s0, c.sseq, data(4))
    c.s(0.010, "A")
    c.close()
    # reorder: segments 2 and 3 swapped
    c = conv(7000, 110000)
    c.handshake()
    base = c.cseq
    c.pkt(0.001, True, "PA", base, c.sseq, data(1))
    c.pkt(0.0005, True, "PA", base + 200, c.sseq, data(3))
    c.pkt(0.0005, True, "PA", base + 100, c.sseq, data(2))
    c.cseq = base + 300
    c.s(0.010, "A")
    c.close()
    # zero_window
    c = conv(8000, 120000)
    c.handshake()
    c.c(0.001, "PA", data(5, 1000))
    c.s(0.005, "A", win=0)
    c.c(0.200, "PA", data(6, 1))            # zero window probe
    c.cseq -= 1
    c.s(0.005, "A", win=0)                  # its ACK: still 0
    c.c(0.400, "PA", data(6, 1))            # again
    c.cseq -= 1
    c.s(0.005, "A", win=0)
    c.s(0.300, "A", win=8192)               # window opens
    c.c(0.001, "PA", data(7, 500))
    c.s(0.010, "A")
    c.close()
    # keepalive
    c = conv(9000, 130000)
    c.handshake()
    c.c(0.001, "PA", data(8))
    c.s(0.010, "A")
    for _ in range(2):
        c.pkt(5.0, True, "A", c.cseq - 1, c.sseq, b"\x00")
        c.s(0.010, "A")
    c.close()
    # wrap
    c = conv(0xffffff00, 140000)
    c.handshake()
    s1 = c.cseq
    for i in range(4):
        c.c(0.0005, "PA", data(i))
    c.pkt(0.250, True, "PA", s1 + 200, c.sseq, data(2))
    c.s(0.010, "A")
    c.close()
    # rst_mid
    c = conv(10000, 150000)
    c.handshake()
    c.c(0.001, "PA", data(9))
    c.s(0.005, "RA")
    # simultaneous open
    c = conv(11000, 160000)
    c.c(0, "S", opts=OPTS)
    c.s(0.0001, "S", opts=OPTS)
    c.cseq -= 1
    c.sseq -= 1
    c.pkt(0.005, True, "SA", c.cseq, c.sseq + 1, opts=OPTS)
    c.pkt(0.0001, False, "SA", c.sseq, c.cseq + 1, opts=OPTS)
    c.cseq += 1
    c.sseq += 1
    c.c(0.002, "A")
    c.close()
    # refused
    c = conv(12000, 0)
    c.c(0, "S", opts=OPTS)
    c.pkt(0.004, False, "RA", 0, c.cseq)
    # no_opts
    c = conv(13000, 170000)
    c.handshake(opts=[], sopts=[("MSS", 536)])
    c.c(0.001, "PA", data(10))
    c.s(0.005, "A")
    c.close()
    # reuse: same ports, new ISN after the FINs
    c = conv(14000, 180000)
    c.handshake()
    c.c(0.001, "PA", data(11))
    c.close()
    c2 = Conv(pkts, 0, c.t + 2.0, 24000, 280000, sport=c.cport)
    c2.handshake()
    c2.c(0.001, "PA", data(12))
    c2.close()
    # midstream
    c = conv(15000, 190000)
    c.c(0, "PA", data(13))
    c.s(0.010, "PA", data(14))
    c.c(0.002, "PA", data(15))
    c.s(0.010, "A")
    pkts.sort(key=lambda p: p.time)
    return pkts


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    w = PcapWriter(sys.argv[1], linktype=1, sync=True, nano=False)
    for p in build():
        w.write(p)
    w.close()


if __name__ == "__main__":
    main()
