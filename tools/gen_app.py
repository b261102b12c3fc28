#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
gen_app: flows whose application metadata spanflow's --app finds, for the
app test (tests/integration/test_app_meta.py), with the values each flow's
record must carry (EXPECT below) worked out from the protocols' rules, not
by running spanflow.

One capture, one flow per scenario (client 10.20.0.n port 41000 + n,
server 10.20.1.n), deterministic (times from 2026-01-02, fixed sequence
numbers):

  tls_split2    a ClientHello (Chrome-like: FoxIO's JA4 example lists, GREASE in
                ciphers, extensions, groups, versions, key shares) over 2 segments
  tls_split3    the same shape over 3 segments
  tls_reorder   over 3 segments sent 1, 3, 2 (the second arrives last)
  tls_first_late over 2 segments sent 2, 1 (the first arrives last)
  tls_pq        a 1,9xx-byte ClientHello (an X25519MLKEM768 key share, as
                browsers send since 2024) in one record over 2 segments
  tls_grease    GREASE everywhere (other GREASE values), no SNI, ALPN http/1.1
  tls12         TLS 1.2 only (no supported_versions), no SNI, no ALPN
  tls_ipv6      over IPv6 (2001:db8:20::1 -> 2001:db8:20::2)
  tls_vxlan     inside VXLAN (UDP 4789, VNI 4242), outer 192.0.2.1 -> 192.0.2.2
  tls_gre       inside GRE (IPv4 in IPv4), outer 198.51.100.1 -> 198.51.100.2
  dns_udp       A www.example.com, answered (NOERROR)
  dns_udp_nx    AAAA nx.example.com, NXDOMAIN
  dns_tcp       TXT tcp.example.com over TCP (2-byte lengths), NOTAUTH (rcode 9: all 4 bits)
  http_split    a request head split over 2 segments (inside the Host line)
  http_port     HTTP on port 6881 and
  tls_port      TLS on port 6888: tshark takes neither (BitTorrent's ports) unless told
  tls_hostile   a ClientHello whose SNI extension's length runs past the
                record: spanflow gives up on it (no metadata, counted malformed)

JA3 (Salesforce) and JA4 (FoxIO technical_details/JA4.md) of each hello are
worked out in fingerprints() from the lists the hello is built from, and
the EXPECT literals were checked against it (main() checks them again).

Usage: gen_app.py OUT.pcap      (needs python3-scapy: /usr/bin/python3)
"""

import hashlib
import struct
import sys

try:
    from scapy.layers.dns import DNS, DNSQR, DNSRR
    from scapy.layers.inet import GRE, IP, TCP, UDP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import Ether
    from scapy.layers.vxlan import VXLAN
    from scapy.utils import PcapWriter
except ImportError:  # the tables (EXPECT) are read without scapy
    PcapWriter = None

T0 = 1767312000.0  # 2026-01-02 00:00:00 UTC
PORT0 = 41000

# What each flow's record says (JSON keys), by scenario; "flow" is (proto,
# client address, client port, server address, server port), inner 5-tuple
# for tunnels. Fields not listed must be absent.
EXPECT = {
    "tls_split2": dict(
        flow=(6, "10.20.0.1", 41001, "10.20.1.1", 443), app="tls",
        tls_sni="split2.example.com", tls_alpn="h2", tls_version="TLS 1.3",
        tls_ja3="ccc7f777f177293b641bd872f08a0065",
        tls_ja4="t13d1516h2_8daaf6152771_d8a2da3f94cd"),
    "tls_split3": dict(
        flow=(6, "10.20.0.2", 41002, "10.20.1.2", 443), app="tls",
        tls_sni="split3.example.com", tls_alpn="h2", tls_version="TLS 1.3",
        tls_ja3="ccc7f777f177293b641bd872f08a0065",
        tls_ja4="t13d1516h2_8daaf6152771_d8a2da3f94cd"),
    "tls_reorder": dict(
        flow=(6, "10.20.0.3", 41003, "10.20.1.3", 443), app="tls",
        tls_sni="reorder.example.com", tls_alpn="h2", tls_version="TLS 1.3",
        tls_ja3="ccc7f777f177293b641bd872f08a0065",
        tls_ja4="t13d1516h2_8daaf6152771_d8a2da3f94cd"),
    # X25519MLKEM768 (0x11ec) first in groups: another JA3, the same JA4
    # (JA4 does not look at groups).
    "tls_pq": dict(
        flow=(6, "10.20.0.4", 41004, "10.20.1.4", 443), app="tls",
        tls_sni="pq.example.com", tls_alpn="h2", tls_version="TLS 1.3",
        tls_ja3="c1a78d723e2412756116b0749d418083",
        tls_ja4="t13d1516h2_8daaf6152771_d8a2da3f94cd"),
    "tls_grease": dict(
        flow=(6, "10.20.0.5", 41005, "10.20.1.5", 443), app="tls",
        tls_alpn="http/1.1", tls_version="TLS 1.3",
        tls_ja3="5ff16b2624384b703ace305e2f5e232e",
        tls_ja4="t13i1515h1_8daaf6152771_d8a2da3f94cd"),
    "tls12": dict(
        flow=(6, "10.20.0.6", 41006, "10.20.1.6", 443), app="tls",
        tls_version="TLS 1.2",
        tls_ja3="884e5cf123a6793307874987a8f3e4ff",
        tls_ja4="t12i140700_0f0837046578_d1cfe3902ac7"),
    "tls_ipv6": dict(
        flow=(6, "2001:db8:20::1", 41007, "2001:db8:20::2", 443), app="tls",
        tls_sni="v6.example.com", tls_alpn="h2", tls_version="TLS 1.3",
        tls_ja3="ccc7f777f177293b641bd872f08a0065",
        tls_ja4="t13d1516h2_8daaf6152771_d8a2da3f94cd"),
    "tls_vxlan": dict(
        flow=(6, "10.20.0.8", 41008, "10.20.1.8", 443), app="tls",
        tls_sni="vxlan.example.com", tls_alpn="h2", tls_version="TLS 1.3",
        tls_ja3="ccc7f777f177293b641bd872f08a0065",
        tls_ja4="t13d1516h2_8daaf6152771_d8a2da3f94cd"),
    "tls_gre": dict(
        flow=(6, "10.20.0.9", 41009, "10.20.1.9", 443), app="tls",
        tls_sni="gre.example.com", tls_alpn="h2", tls_version="TLS 1.3",
        tls_ja3="ccc7f777f177293b641bd872f08a0065",
        tls_ja4="t13d1516h2_8daaf6152771_d8a2da3f94cd"),
    "dns_udp": dict(
        flow=(17, "10.20.0.10", 41010, "10.20.1.10", 53), app="dns",
        dns_qname="www.example.com", dns_qtype=1, dns_rcode=0),
    "dns_udp_nx": dict(
        flow=(17, "10.20.0.11", 41011, "10.20.1.11", 53), app="dns",
        dns_qname="nx.example.com", dns_qtype=28, dns_rcode=3),
    "dns_tcp": dict(
        flow=(6, "10.20.0.12", 41012, "10.20.1.12", 53), app="dns",
        dns_qname="tcp.example.com", dns_qtype=16, dns_rcode=9),
    "http_split": dict(
        flow=(6, "10.20.0.13", 41013, "10.20.1.13", 80), app="http",
        http_method="GET", http_host="split.example.com",
        http_user_agent="gen_app/1.0 (split head; +https://example.com)"),
    "http_port": dict(
        flow=(6, "10.20.0.14", 41014, "10.20.1.14", 6881), app="http",
        http_method="POST", http_host="odd-port.example.com:6881",
        http_user_agent="curl/8.5.0"),
    "tls_port": dict(
        flow=(6, "10.20.0.15", 41015, "10.20.1.15", 6888), app="tls",
        tls_sni="port6888.example.com", tls_alpn="h2", tls_version="TLS 1.3",
        tls_ja3="ccc7f777f177293b641bd872f08a0065",
        tls_ja4="t13d1516h2_8daaf6152771_d8a2da3f94cd"),
    "tls_hostile": dict(flow=(6, "10.20.0.16", 41016, "10.20.1.16", 443)),
    # The hello's first segment arrives after its second: the stream's start
    # comes from the client's SYN.
    "tls_first_late": dict(
        flow=(6, "10.20.0.17", 41017, "10.20.1.17", 443), app="tls",
        tls_sni="late.example.com", tls_alpn="h2", tls_version="TLS 1.3",
        tls_ja3="ccc7f777f177293b641bd872f08a0065",
        tls_ja4="t13d1516h2_8daaf6152771_d8a2da3f94cd"),
}

# ---- TLS ClientHello ----

GREASE = {0x0a0a + 0x1010 * i for i in range(16)}
# FoxIO's JA4 example (technical_details/JA4.md): ciphers in Chrome's order,
# signature algorithms in the order sent.
FOX_CIPHERS = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
               0xc014, 0x009c, 0x009d, 0x002f, 0x0035]
FOX_SIGALGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]


def u16(v):
    return struct.pack(">H", v)


def vec16(b):
    return u16(len(b)) + b


class Ext:
    """An extension: its type, its bytes, and what it says (for the fingerprints)."""

    def __init__(self, etype, data=b"", **what):
        self.type, self.data, self.what = etype, data, what


def ext_sni(name):
    n = name.encode()
    return Ext(0x0000, vec16(b"\x00" + vec16(n)), sni=name)


def ext_alpn(protos):
    body = b"".join(bytes([len(p)]) + p.encode() for p in protos)
    return Ext(0x0010, vec16(body), alpn=list(protos))


def ext_u16s(etype, key, vals):
    return Ext(etype, vec16(b"".join(u16(v) for v in vals)), **{key: list(vals)})


def ext_versions(vals):
    b = b"".join(u16(v) for v in vals)
    return Ext(0x002b, bytes([len(b)]) + b, versions=list(vals))


def ext_formats(vals):
    return Ext(0x000b, bytes([len(vals)]) + bytes(vals), formats=list(vals))


def ext_key_share(shares):
    """shares: [(group, key length)]; key bytes are a counting pattern."""
    b = b"".join(u16(g) + vec16(bytes((i * 7 + g) & 0xff for i in range(n))) for g, n in shares)
    return Ext(0x0033, vec16(b))


class Hello:
    def __init__(self, ciphers, exts, legacy=0x0303, sid=32):
        self.ciphers, self.exts, self.legacy, self.sid = ciphers, exts, legacy, sid

    def message(self, hostile=False):
        """The handshake message; hostile: the SNI extension claims 0x0fff bytes."""
        exts = b""
        for e in self.exts:
            ln = 0x0fff if hostile and e.type == 0 else len(e.data)
            exts += u16(e.type) + u16(ln) + e.data
        body = (u16(self.legacy) + bytes(range(0x40, 0x60)) + bytes([self.sid]) +
                bytes(range(0xe0, 0xe0 - self.sid, -1)) +
                vec16(b"".join(u16(c) for c in self.ciphers)) + b"\x01\x00" + vec16(exts))
        return b"\x01" + struct.pack(">I", len(body))[1:] + body

    def what(self, key, default=None):
        for e in self.exts:
            if key in e.what:
                return e.what[key]
        return default


def chrome(sni, alpn=("h2", "http/1.1"), g=(0x3a3a, 0x0a0a, 0x1a1a, 0x2a2a, 0xfafa), pq=False):
    """Chrome's shape with FoxIO's lists: GREASE g = (cipher, first extension,
    group, version and key share, last extension); pq: X25519MLKEM768 too."""
    groups = ([g[2], 0x11ec] if pq else [g[2]]) + [0x001d, 0x0017, 0x0018]
    shares = [(g[3], 1)] + ([(0x11ec, 1216)] if pq else []) + [(0x001d, 32)]
    exts = [Ext(g[1])]
    if sni is not None:
        exts.append(ext_sni(sni))
    exts += [Ext(0x0017), Ext(0xff01, b"\x00"), ext_u16s(0x000a, "groups", groups),
             ext_formats([0]), Ext(0x0023)]
    if alpn:
        exts.append(ext_alpn(alpn))
    exts += [Ext(0x0005, b"\x01\x00\x00\x00\x00"), ext_u16s(0x000d, "sigalgs", FOX_SIGALGS),
             Ext(0x0012), ext_key_share(shares), Ext(0x002d, b"\x01\x01"),
             ext_versions([g[3], 0x0304, 0x0303]), Ext(0x001b, b"\x02\x00\x02"),
             Ext(0x44cd, b"\x00\x03\x02h2"),
             # an ECH extension the size of Chrome's GREASE ECH (larger with pq)
             Ext(0xfe0d, b"\x00\x00\x01\x00\x01\x42\x00\x20" + bytes(32) +
                 vec16(bytes(range(144)) + bytes(range(64 + (112 if pq else 0))))),
             Ext(g[4], b"\x00")]
    return Hello([g[0]] + FOX_CIPHERS, exts)


def tls12():
    ciphers = [0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d,
               0x002f, 0x0035, 0x000a, 0x00ff]
    exts = [ext_formats([0, 1, 2]), ext_u16s(0x000a, "groups", [0x001d, 0x0017, 0x0019, 0x0018]),
            Ext(0x0023), Ext(0x0016), Ext(0x0017),
            ext_u16s(0x000d, "sigalgs", [0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0401]),
            Ext(0x0005, b"\x01\x00\x00\x00\x00")]
    return Hello(ciphers, exts, sid=0)


def fingerprints(h, quic=False):
    """(JA3, JA4) as their definitions say, from what the hello was built of."""
    ciphers = [c for c in h.ciphers if c not in GREASE]
    types = [e.type for e in h.exts if e.type not in GREASE]
    groups = [v for v in h.what("groups", []) if v not in GREASE]
    formats = h.what("formats", [])
    ja3 = "%d,%s,%s,%s,%s" % (h.legacy, "-".join(map(str, ciphers)), "-".join(map(str, types)),
                              "-".join(map(str, groups)), "-".join(map(str, formats)))
    versions = [v for v in h.what("versions", []) if v not in GREASE]
    ver = max(versions) if versions else h.legacy
    vname = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10"}.get(ver, "00")
    alpn = h.what("alpn")
    a = "00"
    if alpn and alpn[0]:
        f, l = alpn[0][0], alpn[0][-1]
        a = f + l if f.isalnum() and l.isalnum() else None  # (no non-ASCII ALPN here)
    sha = lambda s: hashlib.sha256(s.encode()).hexdigest()[:12] if s else "0" * 12  # noqa: E731
    b = sha(",".join("%04x" % c for c in sorted(ciphers)))
    c = ",".join("%04x" % t for t in sorted(t for t in types if t not in (0, 0x10)))
    sig = h.what("sigalgs", [])
    if sig:
        c += "_" + ",".join("%04x" % s for s in sig)
    ja4 = "%s%s%s%02d%02d%s_%s_%s" % ("q" if quic else "t", vname,
                                     "d" if h.what("sni") is not None else "i",
                                     min(len(ciphers), 99), min(len(types), 99), a, b, sha(c))
    return hashlib.md5(ja3.encode()).hexdigest(), ja4, ver


def hellos():
    """The hello of each TLS scenario."""
    return {
        "tls_split2": chrome("split2.example.com"),
        "tls_split3": chrome("split3.example.com"),
        "tls_reorder": chrome("reorder.example.com"),
        "tls_pq": chrome("pq.example.com", pq=True),
        "tls_grease": chrome(None, alpn=("http/1.1",), g=(0x8a8a, 0xdada, 0x6a6a, 0xcaca, 0x4a4a)),
        "tls12": tls12(),
        "tls_ipv6": chrome("v6.example.com"),
        "tls_vxlan": chrome("vxlan.example.com"),
        "tls_gre": chrome("gre.example.com"),
        "tls_port": chrome("port6888.example.com"),
        "tls_hostile": chrome("hostile.example.com"),
        "tls_first_late": chrome("late.example.com"),
    }


TLS_NAMES = {0x0303: "TLS 1.2", 0x0304: "TLS 1.3"}


def expect_problems():
    """EXPECT's TLS values against fingerprints() and the hellos' own lists."""
    probs = []
    for name, h in hellos().items():
        e = EXPECT[name]
        if name == "tls_hostile":
            continue
        ja3, ja4, ver = fingerprints(h)
        got = dict(tls_ja3=ja3, tls_ja4=ja4, tls_version=TLS_NAMES[ver])
        if h.what("sni") is not None:
            got["tls_sni"] = h.what("sni")
        if h.what("alpn"):
            got["tls_alpn"] = h.what("alpn")[0]
        for k, v in got.items():
            if e.get(k) != v:
                probs.append("%s: %s is %r in EXPECT, %r worked out" % (name, k, e.get(k), v))
        for k in e:
            if k.startswith("tls_") and k not in got:
                probs.append("%s: %s in EXPECT but not in the hello" % (name, k))
    return probs


def record(msg, ver=0x0301):
    return bytes([22]) + u16(ver) + vec16(msg)


# ---- packets ----

MAC_C, MAC_S = "02:00:00:00:20:01", "02:00:00:00:20:02"


def vxlan(inner, client):
    o = ("192.0.2.1", "192.0.2.2") if client else ("192.0.2.2", "192.0.2.1")
    return (Ether(src="02:00:00:00:30:01", dst="02:00:00:00:30:02") / IP(src=o[0], dst=o[1], id=1) /
            UDP(sport=49152, dport=4789) / VXLAN(vni=4242, flags=0x08) /
            Ether(src=MAC_C if client else MAC_S, dst=MAC_S if client else MAC_C) / inner)


def gre(inner, client):
    o = ("198.51.100.1", "198.51.100.2") if client else ("198.51.100.2", "198.51.100.1")
    return (Ether(src="02:00:00:00:40:01", dst="02:00:00:00:40:02") /
            IP(src=o[0], dst=o[1], id=1, proto=47) / GRE(proto=0x0800) / inner)


class Conv:
    """A TCP connection: packets with explicit times, sequence numbers kept by hand."""

    def __init__(self, out, t, flow, cisn, sisn, wrap=None):
        _, self.cli, self.cport, self.srv, self.sport = flow
        self.out, self.t, self.wrap = out, t, wrap
        self.cseq, self.sseq = cisn, sisn
        self.v6 = ":" in self.cli

    def frame(self, client, l4):
        src, dst = (self.cli, self.srv) if client else (self.srv, self.cli)
        ip = IPv6(src=src, dst=dst) if self.v6 else IP(src=src, dst=dst, id=1)
        if self.wrap is not None:
            return self.wrap(ip / l4, client)
        return Ether(src=MAC_C if client else MAC_S, dst=MAC_S if client else MAC_C) / ip / l4

    def pkt(self, dt, client, flags, seq, ack, payload=b""):
        self.t += dt
        sp, dp = (self.cport, self.sport) if client else (self.sport, self.cport)
        p = self.frame(client, TCP(sport=sp, dport=dp, flags=flags, seq=seq & 0xffffffff,
                                   ack=ack & 0xffffffff, window=64240) / payload)
        p.time = self.t
        self.out.append(p)

    def c(self, dt, flags, payload=b""):
        self.pkt(dt, True, flags, self.cseq, self.sseq, payload)
        self.cseq += len(payload) + (1 if "S" in flags or "F" in flags else 0)

    def s(self, dt, flags, payload=b""):
        self.pkt(dt, False, flags, self.sseq, self.cseq, payload)
        self.sseq += len(payload) + (1 if "S" in flags or "F" in flags else 0)

    def handshake(self):
        self.c(0, "S")
        self.s(0.010, "SA")
        self.c(0.002, "A")

    def send(self, data, cuts=(), order=None):
        """The client's bytes in segments cut at `cuts`, sent in `order` (indices)."""
        bounds = [0] + list(cuts) + [len(data)]
        segs = [(bounds[i], data[bounds[i]:bounds[i + 1]]) for i in range(len(bounds) - 1)]
        base = self.cseq
        for i in order or range(len(segs)):
            off, d = segs[i]
            self.pkt(0.001, True, "PA", base + off, self.sseq, d)
        self.cseq = base + len(data)
        self.s(0.010, "A")

    def close(self):
        self.c(0.001, "FA")
        self.s(0.010, "FA")
        self.c(0.002, "A")


def udp(out, t, flow, client, payload):
    _, cli, cport, srv, sport = flow
    src, dst = (cli, srv) if client else (srv, cli)
    sp, dp = (cport, sport) if client else (sport, cport)
    p = (Ether(src=MAC_C if client else MAC_S, dst=MAC_S if client else MAC_C) /
         IP(src=src, dst=dst, id=1) / UDP(sport=sp, dport=dp) / payload)
    p.time = t
    out.append(p)


def build():
    pkts = []
    hs = hellos()
    names = list(EXPECT)

    def t0(name):
        return T0 + (names.index(name) + 1) * 10.0

    def tls(name, cuts=(), order=None, wrap=None, hostile=False):
        c = Conv(pkts, t0(name), EXPECT[name]["flow"], 1000 * (names.index(name) + 1),
                 7000000 + names.index(name), wrap=wrap)
        c.handshake()
        c.send(record(hs[name].message(hostile)), cuts, order)
        c.close()

    tls("tls_split2", cuts=(200,))
    tls("tls_split3", cuts=(100, 300))
    tls("tls_reorder", cuts=(150, 400), order=(0, 2, 1))
    tls("tls_first_late", cuts=(300,), order=(1, 0))
    tls("tls_pq", cuts=(1448,))
    tls("tls_grease")
    tls("tls12")
    tls("tls_ipv6")
    tls("tls_vxlan", wrap=vxlan)
    tls("tls_gre", wrap=gre)
    tls("tls_port")
    tls("tls_hostile", hostile=True)

    f = EXPECT["dns_udp"]["flow"]
    udp(pkts, t0("dns_udp"), f, True, DNS(id=0x1001, rd=1, qd=DNSQR(qname="www.example.com",
                                                                   qtype="A")))
    udp(pkts, t0("dns_udp") + 0.02, f, False,
        DNS(id=0x1001, qr=1, rd=1, ra=1, rcode=0, qd=DNSQR(qname="www.example.com", qtype="A"),
            an=DNSRR(rrname="www.example.com", type="A", ttl=300, rdata="93.184.215.14")))
    f = EXPECT["dns_udp_nx"]["flow"]
    udp(pkts, t0("dns_udp_nx"), f, True, DNS(id=0x1002, rd=1, qd=DNSQR(qname="nx.example.com",
                                                                      qtype="AAAA")))
    udp(pkts, t0("dns_udp_nx") + 0.02, f, False,
        DNS(id=0x1002, qr=1, rd=1, ra=1, rcode=3, qd=DNSQR(qname="nx.example.com", qtype="AAAA")))

    c = Conv(pkts, t0("dns_tcp"), EXPECT["dns_tcp"]["flow"], 12000, 7000012)
    c.handshake()
    q = bytes(DNS(id=0x1003, rd=1, qd=DNSQR(qname="tcp.example.com", qtype="TXT")))
    c.send(vec16(q))
    r = bytes(DNS(id=0x1003, qr=1, rd=1, ra=1, rcode=9, qd=DNSQR(qname="tcp.example.com",
                                                                   qtype="TXT")))
    c.s(0.001, "PA", vec16(r))
    c.c(0.002, "A")
    c.close()

    e = EXPECT["http_split"]
    head = ("GET /index.html HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\n\r\n"
            % (e["http_host"], e["http_user_agent"])).encode()
    c = Conv(pkts, t0("http_split"), e["flow"], 13000, 7000013)
    c.handshake()
    c.send(head, cuts=(head.index(b"split.example") + 5,))
    c.s(0.010, "PA", b"HTTP/1.1 204 No Content\r\n\r\n")
    c.c(0.002, "A")
    c.close()

    e = EXPECT["http_port"]
    body = b"a=1&b=2"
    head = ("POST /submit HTTP/1.1\r\nUser-Agent:  %s \r\nhost: %s\r\nContent-Length: %d\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n\r\n"
            % (e["http_user_agent"], e["http_host"], len(body))).encode()
    c = Conv(pkts, t0("http_port"), e["flow"], 14000, 7000014)
    c.handshake()
    c.send(head + body)
    c.s(0.010, "PA", b"HTTP/1.1 204 No Content\r\n\r\n")
    c.c(0.002, "A")
    c.close()
    pkts.sort(key=lambda p: p.time)
    return pkts


def main():
    args = sys.argv[1:]
    if len(args) != 1:
        sys.exit(__doc__)
    if PcapWriter is None:
        sys.exit("gen_app.py: needs python3-scapy (/usr/bin/python3 has it)")
    probs = expect_problems()
    if probs:
        sys.exit("gen_app.py: EXPECT disagrees with the hellos:\n  " + "\n  ".join(probs))
    w = PcapWriter(args[0], linktype=1, sync=True, nano=False)
    for p in build():
        w.write(p)
    w.close()


if __name__ == "__main__":
    main()
