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

With --zeek, connections for Zeek's conn_state and history instead (client
10.9.2.1, server 10.9.3.1), each with the values Zeek's rules give, worked out
by hand from its TCP analyzer (ZEEK below; tests/integration/test_tcp_health.py
checks spanflow's records against them).

Usage: gen_tcp.py [--zeek] OUT.pcap      (needs python3-scapy: /usr/bin/python3)
"""

import sys

try:
    from scapy.layers.inet import IP, TCP
    from scapy.layers.l2 import Ether
    from scapy.utils import PcapWriter
except ImportError:  # the tables (ZEEK) are read without scapy
    IP = TCP = Ether = PcapWriter = None

T0 = 1767225600.0  # 2026-01-01 00:00:00 UTC
CLI, SRV = "10.9.0.1", "10.9.1.1"
OPTS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1000, 0)), ("NOP", None),
        ("WScale", 7)]


class Conv:
    """A connection: packets with explicit times, sequence numbers kept by hand."""

    def __init__(self, out, n, t, cisn, sisn, sport=None, srv_port=80, hosts=(CLI, SRV)):
        self.out, self.t = out, t
        self.cport = sport or 30000 + n
        self.sport = srv_port
        self.cseq, self.sseq = cisn, sisn
        self.hosts = hosts

    def pkt(self, dt, client, flags, seq, ack, payload=b"", win=65535, opts=None):
        self.t += dt
        src, dst = self.hosts if client else self.hosts[::-1]
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


# Zeek's view of each --zeek connection, by client port: (conn_state, history).
# Upper case letters are Zeek's originator's, '^' a swap of the roles.
ZEEK = {
    31001: ("S0", "S"),          # a SYN, nothing else
    31002: ("S0", "SAD"),        # SYN, then ACK and data with no answer
    31003: ("RSTOS0", "SR"),     # SYN, then the client's RST
    31004: ("RSTO", "ShR"),      # a scan: SYN, SYN/ACK, RST
    31005: ("SH", "SF"),         # SYN, then the client's FIN
    31006: ("S1", "^hADd"),      # first packet a SYN/ACK from port 80: roles swapped
    31007: ("SF", "^hADdFf"),    # SYN/ACK first between high ports, then an ACK to it
    31008: ("SF", "Hs^ADdFf"),   # SYN/ACK first, then the SYN it answers
    31009: ("RSTO", "ShAI"),     # FIN+RST in one packet
    31010: ("SH", "Q"),          # SYN+FIN in one packet
    31011: ("SF", "ShADTTaFf"),  # one segment sent 12 times: T at the 1st and the 10th
    31012: ("RSTRH", "Dr"),      # mid-stream data, the server's RST
    31013: ("SHR", "^hadf"),     # only the server seen, from port 80
    31014: ("S2", "ShAF"),       # only the client closed
    31015: ("S3", "ShAf"),       # only the server closed
    31016: ("SF", "ShADawwFf"),  # 10 zero windows from the server: w at the 1st and 10th
    31017: ("OTH", "^dD"),       # mid-stream, first packet data from port 80
}


def build_zeek():
    pkts = []
    n = 0

    def conv(cisn, sisn, srv_port=80):
        nonlocal n
        n += 1
        return Conv(pkts, n, T0 + n * 10.0, cisn, sisn, sport=31000 + n, srv_port=srv_port,
                    hosts=("10.9.2.1", "10.9.3.1"))

    c = conv(1000, 0)                       # 31001 S0
    c.c(0, "S", opts=OPTS)
    c = conv(2000, 0)                       # 31002 S0 SAD
    c.c(0, "S")
    c.pkt(0.5, True, "A", c.cseq, 777)
    c.pkt(0.1, True, "PA", c.cseq, 777, data(1))
    c = conv(3000, 0)                       # 31003 RSTOS0
    c.c(0, "S")
    c.pkt(0.1, True, "R", c.cseq, 0)
    c = conv(4000, 40000)                   # 31004 RSTO
    c.c(0, "S")
    c.s(0.01, "SA")
    c.pkt(0.001, True, "R", c.cseq, 0)
    c = conv(5000, 0)                       # 31005 SH
    c.c(0, "S")
    c.c(0.1, "FA")
    c = conv(6000, 60000)                   # 31006 ^hADd
    c.s(0, "SA")
    c.c(0.002, "A")
    c.c(0.001, "PA", data(2))
    c.s(0.010, "PA", data(3))
    c = conv(7000, 70000, srv_port=40007)   # 31007 ^hADdFf
    c.s(0, "SA")
    c.c(0.002, "A")
    c.c(0.001, "PA", data(4))
    c.s(0.010, "PA", data(5))
    c.close()
    c = conv(8000, 80000, srv_port=40008)   # 31008 Hs^ADdFf
    c.s(0, "SA")                            # acks 8000: the client's SYN is 7999
    c.cseq -= 1
    c.c(0.001, "S")
    c.c(0.002, "A")
    c.c(0.001, "PA", data(6))
    c.s(0.010, "PA", data(7))
    c.close()
    c = conv(9000, 90000)                   # 31009 ShAI
    c.handshake()
    c.c(0.001, "FR")
    c = conv(10000, 0)                      # 31010 Q
    c.c(0, "FS")
    c = conv(11000, 110000)                 # 31011 ShADTTaFf
    c.handshake()
    s0 = c.cseq
    c.c(0.001, "PA", data(8))
    for i in range(12):
        c.pkt(0.2 * (i + 1), True, "PA", s0, c.sseq, data(8))
    c.s(0.010, "A")
    c.close()
    c = conv(12000, 120000)                 # 31012 Dr
    c.c(0, "PA", data(9))
    c.pkt(0.005, False, "R", c.sseq, 0)
    c = conv(13000, 130000)                 # 31013 ^hadf
    c.s(0, "SA")
    c.s(0.01, "A")
    c.s(0.01, "PA", data(10))
    c.s(0.01, "FA")
    c = conv(14000, 140000)                 # 31014 S2
    c.handshake()
    c.c(0.001, "FA")
    c = conv(15000, 150000)                 # 31015 S3
    c.handshake()
    c.s(0.001, "FA")
    c = conv(16000, 160000)                 # 31016 ShADawwFf
    c.handshake()
    c.c(0.001, "PA", data(11, 500))
    for _ in range(10):
        c.s(0.1, "A", win=0)
    c.s(0.1, "A", win=4096)
    c.close()
    c = conv(17000, 170000)                 # 31017 ^dD
    c.s(0, "PA", data(12))
    c.c(0.01, "PA", data(13))
    pkts.sort(key=lambda p: p.time)
    return pkts


def main():
    args = sys.argv[1:]
    zeek = args[:1] == ["--zeek"]
    if zeek:
        args = args[1:]
    if len(args) != 1:
        sys.exit(__doc__)
    if PcapWriter is None:
        sys.exit("gen_tcp.py: needs python3-scapy (/usr/bin/python3 has it)")
    w = PcapWriter(args[0], linktype=1, sync=True, nano=False)
    for p in build_zeek() if zeek else build():
        w.write(p)
    w.close()


if __name__ == "__main__":
    main()
