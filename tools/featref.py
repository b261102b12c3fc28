#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
featref: an independent reference for spanflow's flow features (lib/feat),
computed from tshark's per-packet fields.

For every flow of a capture it prints one JSON line with nfstream's column
names: {bidirectional,src2dst,dst2src}_{min,mean,stddev,max}_{ps,piat_ms},
the packet counts they are over, and with --splt N the lists splt_direction,
splt_ps and splt_piat_ms (N values each, -1 past the flow's last packet).

Definitions (lib/feat/sf_feat.h has the nfstream sources):
  * flow: IP version, the two (address, port) ends unordered, protocol,
    VLAN id (first tag, 0 if none); ports for TCP, UDP, UDP-Lite, SCTP and
    DCCP, 0 otherwise and for every fragment. With --idle S a packet S
    seconds or more after its flow's newest one starts a new flow
    (spanflow's idle timeout); TCP ends and active timeouts are not
    modelled (features cover a flow's whole life, not one record).
  * src (initiator): the sender of the flow's first packet, unless that
    packet is a TCP SYN+ACK: then its receiver.
  * ps: IP-layer octets: IPv4 total length, IPv6 40 + payload length.
  * times: frame.time_epoch read as integer ns (no float); like spanflow's
    file clock, a frame older than one before it counts at the newest time
    seen so far. piat: the gap to the previous packet of the direction
    (src2dst, dst2src) or of the flow (bidirectional); n packets give n - 1
    gaps. Statistics of no values are 0; stddev is the sample one (n - 1),
    0 with fewer than two values. Units: bytes, and ms (ns / 1e6).
  * SPLT: the first N packets: direction (0 src2dst, 1 dst2src), ps
    (capped at 65535), gap to the flow's previous packet in whole us
    (truncated, capped at 2^32 - 1) written as ms; the first gap is 0.
  * plain captures only: a packet with more than one IP header (a tunnel)
    is left out and counted; an ICMP/ICMPv6 error's quoted header does
    not count as a second one.

Two ways to the same numbers, and a check that they agree:
  * default: the operations lib/feat/sf_feat.c does, in the same order, on
    the same integers, in Python floats (IEEE doubles, no fused multiply-
    add): means from exact integer sums, Welford's M2 with those means.
    spanflow's values must be these, bit for bit.
  * --exact: each value from exact rational arithmetic (integer sums and
    sums of squares), rounded once to a double.
  * --check: computes both and reports how far apart they are (mean, min,
    max must be equal; stddev within a few units in the last place).

Usage:
  tools/featref.py [--splt N] [--idle S] [--exact | --check] capture.pcap
As a module: featref.analyze(path, splt=0, idle_ns=0) returns the flows.
Requires tshark (developed with 4.0). Python 3 stdlib only.
"""

import argparse
import decimal
import fractions
import json
import math
import shutil
import subprocess
import sys

FIELDS = [
    "frame.time_epoch", "vlan.id",
    "ip.src", "ip.dst", "ip.len", "ip.proto", "ip.flags.mf", "ip.frag_offset",
    "ipv6.src", "ipv6.dst", "ipv6.plen", "ipv6.nxt",
    "ipv6.hopopts.nxt", "ipv6.routing.nxt", "ipv6.fraghdr.nxt", "ipv6.dstopts.nxt",
    "tcp.srcport", "tcp.dstport", "tcp.flags",
    "udp.srcport", "udp.dstport", "sctp.srcport", "sctp.dstport",
    "dccp.srcport", "dccp.dstport",
]
TSHARK_PREFS = [
    "-o", "ip.defragment:FALSE",
    "-o", "ipv6.defragment:FALSE",
    "-o", "tcp.desegment_tcp_streams:FALSE",
    "-o", "tcp.analyze_sequence_numbers:FALSE",
    "-o", "tcp.calculate_timestamps:FALSE",
    "-o", "udp.calculate_timestamps:FALSE",
]
PORT_PROTOS = {6, 17, 136, 132, 33}
SPLT_MAX = 255
NS_PER_MS = 1e6


class RefError(Exception):
    pass


def epoch_ns(text):
    """'1700000000.123456789' -> integer ns, exactly."""
    sec, _, frac = text.partition(".")
    if len(frac) > 9:
        raise RefError("time %r has more than 9 decimals" % text)
    return int(sec) * 1000000000 + int(frac.ljust(9, "0") or "0")


def _int(v):
    return int(v, 0) if v else 0


def m2_add(m2, x, sum_old, k):
    """Welford's M2 after the k-th value x of a stream whose first k - 1
    values sum to sum_old: sf_feat.c's m2_add, operation for operation."""
    if k < 2:
        return m2
    xd = float(x)
    p = (xd - float(sum_old) / float(k - 1)) * (xd - float(sum_old + x) / float(k))
    return m2 + p


class Dir:
    __slots__ = ("packets", "bytes", "first", "last", "pmin", "pmax",
                 "ps_m2", "piat_m2", "ps_min", "ps_max", "sizes", "gaps")

    def __init__(self):
        self.packets = self.bytes = self.first = self.last = 0
        self.pmin = self.pmax = 0
        self.ps_m2 = self.piat_m2 = 0.0
        self.ps_min = self.ps_max = 0
        self.sizes = []   # every value, for the exact computation
        self.gaps = []


class Flow:
    """One flow's state, as struct sf_feat holds it (plus the raw values)."""

    def __init__(self, key, src_end, splt):
        self.key = key
        self.src_end = src_end  # index into key's ends of the initiator
        self.dir = [Dir(), Dir()]
        self.first = 0
        self.pmin = self.pmax = 0
        self.ps_m2 = self.piat_m2 = 0.0
        self.gaps = []
        self.splt_n = splt
        self.splt = []  # (dir, ps, gap_us)

    def newest(self):
        return max(self.dir[0].last, self.dir[1].last)

    def packet(self, d, ts, ip_len):
        """sf_feat_packet()"""
        a, b = self.dir
        before = a.packets + b.packets
        bytes_before = a.bytes + b.bytes
        gap = 0
        if before == 0:
            self.first = ts
        else:
            newest = self.newest()
            gap = ts - newest if ts > newest else 0
            if before == 1 or gap < self.pmin:
                self.pmin = gap
            if before == 1 or gap > self.pmax:
                self.pmax = gap
            self.piat_m2 = m2_add(self.piat_m2, gap, newest - self.first, before)
            self.gaps.append(gap)
        self.ps_m2 = m2_add(self.ps_m2, ip_len, bytes_before, before + 1)
        if before < self.splt_n:
            self.splt.append((d, min(ip_len, 65535), min(gap // 1000, 2**32 - 1)))

        s = self.dir[d]
        if s.packets == 0:
            s.first = s.last = ts
        else:
            dgap = ts - s.last if ts > s.last else 0
            if s.packets == 1 or dgap < s.pmin:
                s.pmin = dgap
            if s.packets == 1 or dgap > s.pmax:
                s.pmax = dgap
            s.piat_m2 = m2_add(s.piat_m2, dgap, s.last - s.first, s.packets)
            s.last += dgap
            s.gaps.append(dgap)
        if s.packets == 0 or ip_len < s.ps_min:
            s.ps_min = ip_len
        if ip_len > s.ps_max:
            s.ps_max = ip_len
        s.ps_m2 = m2_add(s.ps_m2, ip_len, s.bytes, s.packets + 1)
        s.packets += 1
        s.bytes += ip_len
        s.sizes.append(ip_len)

    # ------------------------------------------------------------ results

    def streams(self):
        """(way name, sizes state, gaps state) as sf_feat_result() sees them:
        (n, sum, min, max, m2) for sizes and (gaps, sum_ns, min, max, m2)."""
        a, b = self.dir
        out = []
        for name, s in (("src2dst", a), ("dst2src", b)):
            g = s.packets - 1 if s.packets else 0
            out.append((name, (s.packets, s.bytes, s.ps_min, s.ps_max, s.ps_m2, s.sizes),
                        (g, s.last - s.first, s.pmin, s.pmax, s.piat_m2, s.gaps)))
        n = a.packets + b.packets
        if a.packets == 0 or (b.packets and b.ps_min < a.ps_min):
            ps_min = b.ps_min
        else:
            ps_min = a.ps_min
        out.insert(0, ("bidirectional",
                       (n, a.bytes + b.bytes, ps_min, max(a.ps_max, b.ps_max), self.ps_m2,
                        a.sizes + b.sizes),
                       (n - 1 if n else 0, self.newest() - self.first, self.pmin, self.pmax,
                        self.piat_m2, self.gaps)))
        return out

    def result(self, exact=False):
        cols = {}
        for name, ps, piat in self.streams():
            n, total, lo, hi, m2, values = ps
            cols[name + "_packets"] = n
            cols[name + "_min_ps"] = lo
            if exact:
                cols[name + "_mean_ps"] = float(fractions.Fraction(total, n)) if n else 0.0
                cols[name + "_stddev_ps"] = exact_stddev(values, 1)
            else:
                cols[name + "_mean_ps"] = float(total) / float(n) if n else 0.0
                cols[name + "_stddev_ps"] = math.sqrt(m2 / float(n - 1)) if n > 1 else 0.0
            cols[name + "_max_ps"] = hi
            g, total, lo, hi, m2, values = piat
            if g == 0:
                vals = (0.0, 0.0, 0.0, 0.0)
            elif exact:
                vals = (float(fractions.Fraction(lo, 10**6)),
                        float(fractions.Fraction(total, g * 10**6)),
                        exact_stddev(values, 10**6), float(fractions.Fraction(hi, 10**6)))
            else:
                vals = (float(lo) / NS_PER_MS, float(total) / float(g) / NS_PER_MS,
                        math.sqrt(m2 / float(g - 1)) / NS_PER_MS if g > 1 else 0.0,
                        float(hi) / NS_PER_MS)
            for stat, v in zip(("min", "mean", "stddev", "max"), vals):
                cols["%s_%s_piat_ms" % (name, stat)] = v
        return cols

    def splt_lists(self):
        pad = [-1] * (self.splt_n - len(self.splt))
        return {
            "splt_direction": [e[0] for e in self.splt] + pad,
            "splt_ps": [e[1] for e in self.splt] + pad,
            "splt_piat_ms": [e[2] / 1000 for e in self.splt] + pad,
        }


def exact_stddev(values, unit):
    """Sample standard deviation of integer values, in units of `unit`,
    from exact integer sums, rounded once to a double (0 under 2 values)."""
    n = len(values)
    if n < 2:
        return 0.0
    s = sum(values)
    sq = sum(v * v for v in values)
    var = fractions.Fraction(n * sq - s * s, n * (n - 1) * unit * unit)
    with decimal.localcontext() as ctx:
        ctx.prec = 60
        root = (decimal.Decimal(var.numerator) / decimal.Decimal(var.denominator)).sqrt()
    return float(root)


# ---------------------------------------------------------------- tshark

def tshark_rows(path):
    tshark = shutil.which("tshark")
    if tshark is None:
        raise RefError("tshark not found")
    cmd = [tshark, "-n", "-r", path] + TSHARK_PREFS + [
        "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,"]
    for f in FIELDS:
        cmd += ["-e", f]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RefError("tshark failed on %s: %s" % (path, p.stderr.strip()))
    for line in p.stdout.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(FIELDS) - len(cols))
        yield {f: (c.split(",") if c else []) for f, c in zip(FIELDS, cols)}


def first(row, field):
    v = row[field]
    return v[0] if v else ""


def packet_key(row):
    """(ipver, saddr, daddr, proto, ip_len, fragment) of the outer IP
    header, None without one, "tunnel" with a second IP header."""
    v4 = row["ip.src"]
    v6 = row["ipv6.src"]
    if not v4 and not v6:
        return None
    # A second IP header is a tunnel's, unless the outer one carries an
    # ICMP error quoting its datagram (the same IP version, one quote).
    if len(v4) + len(v6) > 1:
        quoted = (len(v4) == 2 and not v6 and _int(first(row, "ip.proto")) == 1) or \
            (len(v6) == 2 and not v4 and _int(first(row, "ipv6.nxt")) == 58)
        if not quoted:
            return "tunnel"
    if v4:
        frag = first(row, "ip.flags.mf") in ("1", "True") or _int(first(row, "ip.frag_offset"))
        return (4, v4[0], first(row, "ip.dst"), _int(first(row, "ip.proto")),
                _int(first(row, "ip.len")), bool(frag))
    nxt = _int(first(row, "ipv6.nxt"))
    frag = False
    # Walk the extension headers tshark decoded (in the usual order).
    for f in ("ipv6.hopopts.nxt", "ipv6.dstopts.nxt", "ipv6.routing.nxt", "ipv6.fraghdr.nxt"):
        if row[f]:
            nxt = _int(row[f][-1])
            frag = frag or f == "ipv6.fraghdr.nxt"
    return (6, v6[0], first(row, "ipv6.dst"), nxt, 40 + _int(first(row, "ipv6.plen")), frag)


def ports(row, proto, frag):
    if frag or proto not in PORT_PROTOS:
        return 0, 0
    for l4 in ("tcp", "udp", "sctp", "dccp"):
        if row[l4 + ".srcport"]:
            return _int(row[l4 + ".srcport"][0]), _int(row[l4 + ".dstport"][0])
    return 0, 0


def analyze(path, splt=0, idle_ns=0):
    """Flows of the capture, in the order their first packets came, and the
    number of frames left out (no IP, tunnelled)."""
    if not 0 <= splt <= SPLT_MAX:
        raise RefError("--splt must be 0..%d" % SPLT_MAX)
    open_flows = {}
    flows = []
    skipped = {"no_ip": 0, "tunnel": 0}
    clock = 0
    for row in tshark_rows(path):
        ts = epoch_ns(first(row, "frame.time_epoch"))
        clock = max(clock, ts)
        pk = packet_key(row)
        if pk is None:
            skipped["no_ip"] += 1
            continue
        if pk == "tunnel":
            skipped["tunnel"] += 1
            continue
        ipver, src, dst, proto, ip_len, frag = pk
        sport, dport = ports(row, proto, frag)
        vlan = _int(first(row, "vlan.id"))
        a, b = (src, sport), (dst, dport)
        ends = tuple(sorted((a, b)))
        key = (ipver, ends, proto, vlan)
        sender = 0 if a == ends[0] else 1
        f = open_flows.get(key)
        if f is not None and idle_ns and clock - f.newest() >= idle_ns:
            f = None
        if f is None:
            synack = proto == 6 and (_int(first(row, "tcp.flags")) & 0x12) == 0x12
            f = Flow(key, sender ^ 1 if synack else sender, splt)
            open_flows[key] = f
            flows.append(f)
        # Record direction: 0 from the initiator (both ends equal: the
        # sender is always end 0, so every packet has the first's direction).
        d = int(sender != f.src_end)
        f.packet(d, clock, ip_len)
    return flows, skipped


def flow_line(f, exact=False):
    ipver, ends, proto, vlan = f.key
    src, dst = ends[f.src_end], ends[f.src_end ^ 1]
    out = {"src": src[0], "sport": src[1], "dst": dst[0], "dport": dst[1], "proto": proto}
    if vlan:
        out["vlan"] = vlan
    out.update(f.result(exact))
    if f.splt_n:
        out.update(f.splt_lists())
    return out


def ulps(a, b):
    """Units in the last place between two doubles of the same sign."""
    if a == b:
        return 0
    return abs(int.from_bytes(_pack(a), "big", signed=True) -
               int.from_bytes(_pack(b), "big", signed=True))


def _pack(x):
    import struct
    return struct.pack(">d", x)


def check(flows):
    """Mirror (sf_feat.c's operations) against exact values: the worst
    difference per column kind; raises if min/max/mean disagree."""
    worst = {"stddev": 0, "mean": 0}
    for f in flows:
        got, want = f.result(False), f.result(True)
        for k, v in want.items():
            u = ulps(float(got[k]), float(v))
            kind = "stddev" if "stddev" in k else "mean" if "mean" in k else "other"
            if kind == "other" and u:
                raise RefError("flow %s: %s %r != exact %r" % (f.key, k, got[k], v))
            if kind != "other":
                worst[kind] = max(worst[kind], u)
    return worst


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pcap")
    ap.add_argument("--splt", type=int, default=0, help="SPLT length N (0..255)")
    ap.add_argument("--idle", type=float, default=0,
                    help="idle timeout in seconds (0: one flow per key for the whole capture)")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--exact", action="store_true", help="exact rational values")
    g.add_argument("--check", action="store_true",
                   help="compare sf_feat.c's arithmetic with the exact values")
    args = ap.parse_args()
    try:
        flows, skipped = analyze(args.pcap, args.splt, int(args.idle * 1e9))
        if args.check:
            worst = check(flows)
            print("%s: %d flows; min/max/counts equal, mean %d ulp, stddev %d ulp at worst "
                  "(tunnelled frames left out: %d, frames without IP: %d)"
                  % (args.pcap, len(flows), worst["mean"], worst["stddev"],
                     skipped["tunnel"], skipped["no_ip"]))
            return 0
        for f in flows:
            print(json.dumps(flow_line(f, args.exact)))
        if skipped["tunnel"]:
            print("featref: %d tunnelled frames left out" % skipped["tunnel"], file=sys.stderr)
    except RefError as e:
        print("featref: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
