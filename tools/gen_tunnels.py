#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
gen_tunnels: write small, deterministic test captures of encapsulated traffic.

Usage: tools/gen_tunnels.py OUTDIR      (tests/data/tunnels/ in the repository)

Every tun_<type>.pcap carries the same inner traffic, for two contexts
(context 0 and 1: two VNIs, GRE keys, TEIDs, VLANs, labels, ...):

  TCP/IPv4  10.0.0.1:40000 <-> 10.0.0.2:80    SYN 40 B, SYN-ACK 40 B, ACK+20 B 60 B
            (the SAME 5-tuple in both contexts: only the context separates them)
  UDP/IPv4  10.1.C.1:5353  <-> 10.1.C.2:53    40 B one way, 58 B back
  TCP/IPv6  2001:db8::1:40001 <-> 2001:db8::2:443   SYN 60 B, SYN-ACK 60 B
  UDP/IPv6  2001:db8:C::1:5000 <-> 2001:db8:C::2:5001  58 B each way

(C = context index; byte counts are inner IP total lengths.) 9 packets per
context, 18 per file; types that carry only IPv4 or only IPv6 (Teredo: IPv6)
keep the subset they can carry. tun_bad_<type>.pcap holds three broken
packets per type: tunnel header cut short, inner IPv4 header cut to 10 bytes,
inner IP version 5. Lengths of every outer header are consistent with what
follows (the breakage is inside, not a snaplen cut).

Also: tun_frag_outer.pcap (VXLAN and GRE packets whose outer IPv4/IPv6 header
is fragmented), tun_icmp_error.pcap (ICMP errors quoting an IP header, plain
and tunnelled), tun_nonip.pcap (tunnels carrying ARP or PPP LCP, and a GTP-U
echo request). tests/data/tunnels/README.md lists every file with the view
tshark 4.0 gives of it.

Output is deterministic: fixed addresses, IP ids, timestamps (one packet per
millisecond from 2026-01-01 00:00:00 UTC), no randomness. Needs scapy.
"""

import os
import struct
import sys
import zlib

from scapy.all import IP, IPv6, TCP, UDP, Ether, Raw  # noqa: E402
from scapy.layers.inet6 import IPv6ExtHdrFragment  # noqa: E402

T0 = 1767225600  # 2026-01-01T00:00:00Z

MAC_A = "02:00:00:00:00:0a"
MAC_B = "02:00:00:00:00:0b"
MAC_IA = "02:00:00:00:01:01"
MAC_IB = "02:00:00:00:01:02"
PW_A = "00:1b:21:00:01:01"
PW_B = "00:1b:21:00:01:02"
# Outer (underlay) endpoints: tunnel end A and B.
O4 = ("192.0.2.1", "192.0.2.2")
O6 = ("2001:db8:ff::1", "2001:db8:ff::2")


# ------------------------------------------------------------- inner traffic

def convs(c):
    """Inner IP packets of context c: list of (direction, bytes); direction 0
    = A to B (client to server), 1 = back."""
    out = []
    t = IP(src="10.0.0.1", dst="10.0.0.2", id=1)
    r = IP(src="10.0.0.2", dst="10.0.0.1", id=2)
    out.append((0, t / TCP(sport=40000, dport=80, flags="S", seq=1000)))
    out.append((1, r / TCP(sport=80, dport=40000, flags="SA", seq=5000, ack=1001)))
    out.append((0, t / TCP(sport=40000, dport=80, flags="PA", seq=1001, ack=5001)
                / Raw(b"G" * 20)))
    u = IP(src="10.1.%d.1" % c, dst="10.1.%d.2" % c, id=3)
    ur = IP(src="10.1.%d.2" % c, dst="10.1.%d.1" % c, id=4)
    out.append((0, u / UDP(sport=5353, dport=53) / Raw(b"q" * 12)))
    out.append((1, ur / UDP(sport=53, dport=5353) / Raw(b"a" * 30)))
    t6 = IPv6(src="2001:db8::1", dst="2001:db8::2")
    r6 = IPv6(src="2001:db8::2", dst="2001:db8::1")
    out.append((0, t6 / TCP(sport=40001, dport=443, flags="S", seq=7000)))
    out.append((1, r6 / TCP(sport=443, dport=40001, flags="SA", seq=9000, ack=7001)))
    u6 = IPv6(src="2001:db8:%d::1" % c, dst="2001:db8:%d::2" % c)
    u6r = IPv6(src="2001:db8:%d::2" % c, dst="2001:db8:%d::1" % c)
    out.append((0, u6 / UDP(sport=5000, dport=5001) / Raw(b"x" * 10)))
    out.append((1, u6r / UDP(sport=5001, dport=5000) / Raw(b"y" * 10)))
    return [(d, bytes(p)) for d, p in out]


def ipver(inner):
    return inner[0] >> 4 if inner else 4


def ethertype(inner):
    return 0x86DD if ipver(inner) == 6 else 0x0800


# ------------------------------------------------------------- carriers

def eth(etype, payload, d=0, src=MAC_A, dst=MAC_B):
    s, t = (src, dst) if d == 0 else (dst, src)
    return bytes(Ether(src=s, dst=t, type=etype)) + payload


def inner_eth(inner, d, vlan=0):
    """An inner Ethernet frame (L2 tunnels), optionally 802.1Q tagged."""
    if vlan:
        return eth(0x8100, struct.pack("!HH", vlan, ethertype(inner)) + inner, d,
                   MAC_IA, MAC_IB)
    return eth(ethertype(inner), inner, d, MAC_IA, MAC_IB)


def ip_over(proto, payload, d, v6=False, fixed=False):
    """Ethernet + outer IPv4/IPv6 with protocol `proto`; fixed: the outer
    endpoints do not swap with the direction (a mirror session)."""
    a, b = O6 if v6 else O4
    if d == 1 and not fixed:
        a, b = b, a
    if v6:
        return eth(0x86DD, bytes(IPv6(src=a, dst=b, nh=proto) / Raw(payload)), d)
    return eth(0x0800, bytes(IP(src=a, dst=b, proto=proto, id=100) / Raw(payload)), d)


def udp_over(dport, payload, d, v6=False, sport=None):
    """Ethernet + outer IP + UDP to `dport` (both directions use dport, as
    VTEPs do; the source port is per-flow entropy, fixed here per direction)."""
    a, b = O6 if v6 else O4
    if d == 1:
        a, b = b, a
    sp = sport if sport is not None else 49152 + d
    if v6:
        p = IPv6(src=a, dst=b) / UDP(sport=sp, dport=dport) / Raw(payload)
        return eth(0x86DD, bytes(p), d)
    p = IP(src=a, dst=b, id=100) / UDP(sport=sp, dport=dport) / Raw(payload)
    return eth(0x0800, bytes(p), d)


# ------------------------------------------------------------- tunnel headers
# Each type: carrier(payload, d) -> frame and header(c, inner, d) -> bytes put
# between the carrier and the inner IP packet (for L2 tunnels, including the
# inner Ethernet header).

def gre_hdr(proto, key=None, csum=False, seq=None, payload=b""):
    flags = (0x8000 if csum else 0) | (0x2000 if key is not None else 0) | \
            (0x1000 if seq is not None else 0)
    h = struct.pack("!HH", flags, proto)
    if csum:
        h += b"\0\0\0\0"
    if key is not None:
        h += struct.pack("!I", key)
    if seq is not None:
        h += struct.pack("!I", seq)
    if csum:
        # RFC 2784: checksum over the GRE header and payload.
        data = h + payload
        if len(data) % 2:
            data += b"\0"
        s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
        while s >> 16:
            s = (s & 0xFFFF) + (s >> 16)
        h = h[:4] + struct.pack("!H", ~s & 0xFFFF) + h[6:]
    return h


def vxlan_hdr(vni):
    return struct.pack("!II", 0x08000000, vni << 8)


def geneve_hdr(vni, proto=0x6558, opts=b""):
    assert len(opts) % 4 == 0
    return struct.pack("!BBHI", len(opts) // 4, 0, proto, vni << 8) + opts


def gtpu_hdr(teid, inner, ext=False):
    if not ext:
        return struct.pack("!BBHI", 0x30, 0xFF, len(inner), teid)
    # E flag: sequence number, N-PDU, next extension type; then a PDU session
    # container (0x85, 4 bytes: len 1, PDU type 1 = UL, QFI 9, next 0) preceded
    # by a UDP port extension (0x40, 4 bytes: len 1, port 2152, next 0x85).
    body = struct.pack("!HBB", 0, 0, 0x40)
    body += struct.pack("!BHB", 1, 2152, 0x85)
    body += struct.pack("!BBBB", 1, 0x10, 0x09, 0x00)
    return struct.pack("!BBHI", 0x34, 0xFF, len(body) + len(inner), teid) + body


def erspan2_hdr(session, index=0):
    return struct.pack("!HHI", 0x1000 | 0, session & 0x3FF, index & 0xFFFFF)


def erspan3_hdr(session, platform=False):
    # ver 2, vlan 0; cos/bso/t/session; timestamp; sgt; P/FT/HW/D/Gra/O.
    w1 = (2 << 12) | 0
    w2 = session & 0x3FF
    h = struct.pack("!HHIHH", w1, w2, 0x01020304, 0, (1 if platform else 0))
    if platform:
        # Platform-specific sub-header, platform id 3 (6 bits), port id and
        # an upper timestamp word.
        h += struct.pack("!II", (3 << 26) | 0x1234, 0x00000001)
    return h


def capwap_hdr(wbid=1):
    # Preamble (version 0, type 0); HLEN 2 words (8 bytes), RID 0, WBID, T = 0
    # (the payload is an IEEE 802.3 frame), no F/L/W/M/K; fragment id/offset 0.
    return b"\0" + ((2 << 19) | (wbid << 9)).to_bytes(3, "big") + b"\0\0\0\0"


def ayiya_hdr(inner):
    # As SixXS clients sent it: identity length 2^4 = 16 bytes (type 1, an
    # integer), signature 5 words = 20 bytes (hash 2 = SHA-1, auth 1 = shared
    # secret), opcode 1 = forward, next header 4 or 41, epoch; then the
    # identity and the signature (fixed bytes here).
    nh = 41 if ipver(inner) == 6 else 4
    return struct.pack("!BBBBI", 0x41, 0x52, 0x11, nh, T0) + bytes(range(16)) + b"S" * 20


def mpls_stack(labels, inner_payload_is_ip=True):
    out = b""
    for i, lab in enumerate(labels):
        bos = 1 if i == len(labels) - 1 else 0
        out += struct.pack("!I", (lab << 12) | (bos << 8) | 64)
    return out


def pppoe_sess(session, inner):
    ppp = struct.pack("!H", 0x0057 if ipver(inner) == 6 else 0x0021)
    return struct.pack("!BBHH", 0x11, 0x00, session, len(ppp) + len(inner)) + ppp


# Tunnel types: name -> (carrier, header(c, inner, d)). The inner bytes are
# passed to header() for length fields. None header = IP directly after carrier.
def T_vlan():
    return (lambda p, d: eth(0x8100, p, d),
            lambda c, i, d: struct.pack("!HH", 100 + 100 * c, ethertype(i)))


def T_qinq():
    return (lambda p, d: eth(0x88A8, p, d),
            lambda c, i, d: struct.pack("!HHHH", 300 + c, 0x8100, 10 + c, ethertype(i)))


def T_mpls():
    return (lambda p, d: eth(0x8847, p, d),
            lambda c, i, d: mpls_stack([1000 + 10 * c + d, 2000 + c]))


def T_pppoe():
    return (lambda p, d: eth(0x8864, p, d),
            lambda c, i, d: pppoe_sess(0x100 + c, i))


def T_fabricpath():
    # Cisco FabricPath: outer DA/SA (switch ids), FP tag 0x8903 + FTag/TTL,
    # then the classical Ethernet frame.
    # tshark 4.0 always takes the last 4 bytes of a FabricPath frame as its
    # FCS (cfp.check_fcs only decides whether to verify it): append one.
    def carrier(p, d):
        f = eth(0x8903, p, d, "02:00:00:00:0f:0a", "02:00:00:00:0f:0b")
        return f + struct.pack("<I", zlib.crc32(f))

    def hdr(c, i, d):
        return struct.pack("!H", ((1 + c) << 6) | 32) + inner_eth(b"", d)[:12] + \
            struct.pack("!H", ethertype(i))
    return carrier, hdr


def T_vntag():
    return (lambda p, d: eth(0x8926, p, d),
            lambda c, i, d: struct.pack("!IH", (0x8000 if c else 0) << 16 | (10 + c) << 16
                                        | (20 + d), ethertype(i)))


def T_pbb():
    # 802.1ah: B-TAG (0x88a8, B-VID), I-TAG (0x88e7, flags + 24-bit I-SID),
    # customer DA/SA, customer ethertype.
    def carrier(p, d):
        return eth(0x88A8, p, d)

    def hdr(c, i, d):
        return struct.pack("!HHI", 50, 0x88E7, 0x00000000 | (0x10000 + c)) + \
            inner_eth(b"", d)[:12] + struct.pack("!H", ethertype(i))
    return carrier, hdr


def T_gre():
    return (lambda p, d: ip_over(47, p, d),
            lambda c, i, d: gre_hdr(ethertype(i), key=100 + c))


def T_gre_csum_key_seq():
    return (lambda p, d: ip_over(47, p, d),
            lambda c, i, d: gre_hdr(ethertype(i), key=200 + c, csum=True, seq=7 + d,
                                    payload=i))


def T_gre_teb():
    return (lambda p, d: ip_over(47, p, d, fixed=True),
            lambda c, i, d: gre_hdr(0x6558, key=300 + c) + inner_eth(b"", d, vlan=0)[:12] +
            struct.pack("!HHH", 0x8100, 10 + c, ethertype(i)))


def T_gre_pptp():
    # Enhanced GRE (version 1): K and S set, payload length, call id, sequence;
    # PPP in HDLC-like framing (ff 03) with protocol 0x0021/0x0057.
    def hdr(c, i, d):
        ppp = b"\xff\x03" + struct.pack("!H", 0x0057 if ipver(i) == 6 else 0x0021)
        return struct.pack("!HHHHI", 0x3001, 0x880B, len(ppp) + len(i), 40 + c, 1) + ppp
    return (lambda p, d: ip_over(47, p, d), hdr)


def T_gre_aruba():
    # Aruba WLAN in GRE: protocol 0x8200, an 802.11 data frame (to DS; BSSID,
    # station, destination; sequence) with LLC/SNAP, no A-MSDU.
    def hdr(c, i, d):
        wl = struct.pack("<HH", 0x0108 if d == 0 else 0x0208, 0) + \
            bytes.fromhex("02000000b0%02x" % c) + bytes.fromhex("0200000001%02x" % (1 + d)) + \
            bytes.fromhex("0200000001%02x" % (2 - d)) + struct.pack("<H", 16 * (1 + c))
        return gre_hdr(0x8200) + wl + bytes.fromhex("aaaa03000000") + \
            struct.pack("!H", ethertype(i))
    return (lambda p, d: ip_over(47, p, d), hdr)


def T_gre_udp():
    return (lambda p, d: udp_over(4754, p, d),
            lambda c, i, d: gre_hdr(ethertype(i), key=400 + c))


def T_gre_in_gre():
    def hdr(c, i, d):
        inner_gre = gre_hdr(ethertype(i), key=600 + c)
        a, b = ("198.51.100.1", "198.51.100.2") if d == 0 else ("198.51.100.2", "198.51.100.1")
        mid = bytes(IP(src=a, dst=b, proto=47, id=200) / Raw(inner_gre + i))
        return gre_hdr(0x0800, key=500 + c) + mid[:len(mid) - len(i)]
    return (lambda p, d: ip_over(47, p, d), hdr)


def T_erspan1():
    # ERSPAN type I: GRE without sequence number, protocol 0x88be, the mirrored
    # frame follows directly.
    return (lambda p, d: ip_over(47, p, d, fixed=True),
            lambda c, i, d: gre_hdr(0x88BE) + inner_eth(b"", d)[:12] +
            struct.pack("!H", ethertype(i)))


def T_erspan2():
    return (lambda p, d: ip_over(47, p, d, fixed=True),
            lambda c, i, d: gre_hdr(0x88BE, seq=1) + erspan2_hdr(100 + c) +
            inner_eth(b"", d)[:12] + struct.pack("!H", ethertype(i)))


def T_erspan3():
    return (lambda p, d: ip_over(47, p, d, fixed=True),
            lambda c, i, d: gre_hdr(0x22EB, seq=1) + erspan3_hdr(200 + c) +
            inner_eth(b"", d)[:12] + struct.pack("!H", ethertype(i)))


def T_erspan3_platform():
    return (lambda p, d: ip_over(47, p, d, fixed=True),
            lambda c, i, d: gre_hdr(0x22EB, seq=1) + erspan3_hdr(300 + c, platform=True) +
            inner_eth(b"", d)[:12] + struct.pack("!H", ethertype(i)))


def L2(i, d):
    """Inner Ethernet header (no payload) for the inner packet i."""
    return inner_eth(b"", d)[:12] + struct.pack("!H", ethertype(i))


def T_vxlan():
    return (lambda p, d: udp_over(4789, p, d), lambda c, i, d: vxlan_hdr(1000 + c) + L2(i, d))


def T_vxlan8472():
    return (lambda p, d: udp_over(8472, p, d), lambda c, i, d: vxlan_hdr(2000 + c) + L2(i, d))


def T_vxlan_ipv6():
    return (lambda p, d: udp_over(4789, p, d, v6=True),
            lambda c, i, d: vxlan_hdr(3000 + c) + L2(i, d))


def T_geneve():
    return (lambda p, d: udp_over(6081, p, d), lambda c, i, d: geneve_hdr(4000 + c) + L2(i, d))


def T_geneve_opts():
    # Two options: class 0x0102 type 0x80 with 4 bytes, class 0xffff type 1
    # with 8 bytes.
    opts = struct.pack("!HBB", 0x0102, 0x80, 1) + b"\x11\x22\x33\x44" + \
        struct.pack("!HBB", 0xFFFF, 0x01, 2) + b"ABCDEFGH"
    return (lambda p, d: udp_over(6081, p, d),
            lambda c, i, d: geneve_hdr(5000 + c, opts=opts) + L2(i, d))


def T_gtpu():
    return (lambda p, d: udp_over(2152, p, d, sport=2152),
            lambda c, i, d: gtpu_hdr(0x10000 + c, i))


def T_gtpu_ext():
    return (lambda p, d: udp_over(2152, p, d, sport=2152),
            lambda c, i, d: gtpu_hdr(0x20000 + c, i, ext=True))


def T_ipip():
    # Context 0: outer IPv4 (4in4, 6in4); context 1: outer IPv6 (4in6, 6in6).
    return (None, lambda c, i, d: b"")


def T_capwap():
    return (lambda p, d: udp_over(5247, p, d),
            lambda c, i, d: capwap_hdr() + L2(i, d))


def T_teredo():
    return (lambda p, d: udp_over(3544, p, d), lambda c, i, d: b"")


def T_ayiya():
    return (lambda p, d: udp_over(5072, p, d), lambda c, i, d: ayiya_hdr(i))


def T_qinq_mpls_pppoe():
    # S-tag + C-tag, two MPLS labels, a pseudowire control word, then an
    # Ethernet frame with a PPPoE session (broadband access over a pseudowire).
    # tshark 4.0 guesses the pseudowire payload: with these customer MACs (first
    # byte 00) it takes the control word and the Ethernet frame as such; with
    # 02:... MACs it would misread them.
    def hdr(c, i, d):
        return struct.pack("!HHHH", 400 + c, 0x8100, 20 + c, 0x8847) + \
            mpls_stack([3000 + c, 4000 + d]) + b"\0\0\0\0" + \
            eth(0x8864, pppoe_sess(0x200 + c, i), d, PW_A, PW_B)
    return (lambda p, d: eth(0x88A8, p, d), hdr)


TYPES = {
    "vlan": T_vlan, "qinq": T_qinq, "mpls": T_mpls, "pppoe": T_pppoe,
    "fabricpath": T_fabricpath, "vntag": T_vntag, "pbb": T_pbb,
    "gre": T_gre, "gre_csum_key_seq": T_gre_csum_key_seq, "gre_teb": T_gre_teb,
    "gre_pptp": T_gre_pptp, "gre_aruba": T_gre_aruba, "gre_udp": T_gre_udp,
    "gre_in_gre": T_gre_in_gre,
    "erspan1": T_erspan1, "erspan2": T_erspan2, "erspan3": T_erspan3,
    "erspan3_platform": T_erspan3_platform,
    "vxlan": T_vxlan, "vxlan8472": T_vxlan8472, "vxlan_ipv6": T_vxlan_ipv6,
    "geneve": T_geneve, "geneve_opts": T_geneve_opts,
    "gtpu": T_gtpu, "gtpu_ext": T_gtpu_ext, "ipip": T_ipip,
    "capwap": T_capwap, "teredo": T_teredo, "ayiya": T_ayiya,
    "qinq_mpls_pppoe": T_qinq_mpls_pppoe,
}
# Types whose inner packets may only be of one IP version.
ONLY = {"teredo": 6}


def frame(name, c, inner, d):
    carrier, hdr = TYPES[name]()
    if name == "ipip":
        return ip_over(41 if ipver(inner) == 6 else 4, inner, d, v6=(c == 1))
    return carrier(hdr(c, inner, d) + inner, d)


def tunnel_frames(name):
    out = []
    for c in (0, 1):
        for d, inner in convs(c):
            if name in ONLY and ipver(inner) != ONLY[name]:
                continue
            out.append(frame(name, c, inner, d))
    return out


# Where the tunnel header is cut in tun_bad_<type>.pcap (bytes kept of the
# header()), so that the cut falls in the type's own header: 3 by default.
CUT = {"erspan1": 4 + 6, "erspan2": 8 + 3, "erspan3": 8 + 3, "erspan3_platform": 8 + 15,
       "pbb": 4 + 3, "gre_in_gre": 8 + 20 + 3, "geneve_opts": 8 + 6,
       "gtpu_ext": 8 + 6, "gre_aruba": 4 + 10, "qinq_mpls_pppoe": 8 + 8 + 4 + 14 + 3}


def bad_frames(name):
    """Tunnel header cut short, inner IPv4 cut to 10 bytes, inner IP version 5."""
    carrier, hdr = TYPES[name]()
    v = ONLY.get(name, 4)
    d, inner = [x for x in convs(0) if ipver(x[1]) == v][0]
    out = []
    h = hdr(0, inner, d)
    if name == "ipip":
        pass  # no tunnel header between the two IP headers
    elif name in ("teredo",):
        out.append(carrier(b"\x60\x00", d))  # 2 bytes where an IPv6 header should be
    else:
        out.append(carrier(h[:CUT.get(name, 3)], d))
    cut = inner[:10]
    bad = bytes([(5 << 4) | (inner[0] & 0x0F)]) + inner[1:]
    for b in (cut, bad):
        if name == "ipip":
            out.append(ip_over(4, b, d))
        else:
            out.append(carrier(hdr(0, inner, d) + b, d))
    return out


def outer_fragments():
    """A VXLAN packet whose outer IPv4 header is fragmented (two fragments),
    and a GRE packet in an outer IPv6 with a fragment header (two fragments):
    both are accounted on the outer header (no reassembly)."""
    _, inner = convs(0)[2]
    out = []
    vx = bytes(UDP(sport=49152, dport=4789) / Raw(vxlan_hdr(1000) + L2(inner, 0) + inner))
    # The UDP checksum must cover the whole datagram: compute it on the full
    # packet, then split the IP payload at 48 bytes.
    full = IP(src=O4[0], dst=O4[1], id=0x4242, proto=17) / Raw(vx)
    pl = bytes(full)[20:]
    out.append(eth(0x0800, bytes(IP(src=O4[0], dst=O4[1], id=0x4242, proto=17, flags="MF",
                                     frag=0) / Raw(pl[:48]))))
    out.append(eth(0x0800, bytes(IP(src=O4[0], dst=O4[1], id=0x4242, proto=17, frag=6)
                                 / Raw(pl[48:]))))
    g = gre_hdr(0x0800, key=100) + inner
    out.append(eth(0x86DD, bytes(IPv6(src=O6[0], dst=O6[1])
                                 / IPv6ExtHdrFragment(nh=47, offset=0, m=1, id=77)
                                 / Raw(g[:32]))))
    out.append(eth(0x86DD, bytes(IPv6(src=O6[0], dst=O6[1])
                                 / IPv6ExtHdrFragment(nh=47, offset=4, m=0, id=77)
                                 / Raw(g[32:]))))
    return out


def icmp_errors():
    """ICMP errors that quote an IP header, plain and inside VXLAN: the quoted
    header is not a layer; the ICMP packet is the flow."""
    from scapy.all import ICMP, ICMPv6DestUnreach
    q4 = IP(src="10.0.0.2", dst="10.0.0.1", id=9) / UDP(sport=5353, dport=53) / Raw(b"q" * 12)
    e4 = bytes(IP(src="10.0.0.1", dst="10.0.0.2", id=10) / ICMP(type=3, code=3) / Raw(bytes(q4)))
    q6 = IPv6(src="2001:db8::2", dst="2001:db8::1") / UDP(sport=5001, dport=5000) / Raw(b"y" * 10)
    e6 = bytes(IPv6(src="2001:db8::1", dst="2001:db8::2") / ICMPv6DestUnreach(code=4)
               / Raw(bytes(q6)))
    out = []
    for e in (e4, e6):
        out.append(eth(ethertype(e), e, 0))
        out.append(udp_over(4789, vxlan_hdr(1000) + L2(e, 0) + e, 0))
        out.append(ip_over(47, gre_hdr(ethertype(e), key=100) + e, 0))
    return out


def non_ip():
    """Tunnels whose payload is not IP: ARP in VXLAN and in GRE/TEB (nonflow,
    arp), PPP LCP echo in PPTP GRE (nonflow, lcp), and a GTP-U echo request,
    which is signalling, not a G-PDU (a UDP flow on the outer header)."""
    from scapy.all import ARP
    arp = bytes(ARP(op=1, hwsrc=MAC_IA, psrc="10.0.0.1", pdst="10.0.0.2"))
    l2 = inner_eth(b"", 0)[:12] + struct.pack("!H", 0x0806)
    lcp = b"\xff\x03\xc0\x21" + struct.pack("!BBHI", 9, 1, 8, 0x01020304)
    echo = struct.pack("!BBHIHBB", 0x32, 1, 4, 0, 1, 0, 0)
    return [udp_over(4789, vxlan_hdr(1000) + l2 + arp, 0),
            ip_over(47, gre_hdr(0x6558, key=300) + l2 + arp, 0, fixed=True),
            ip_over(47, struct.pack("!HHHHI", 0x3001, 0x880B, len(lcp), 40, 2) + lcp, 0),
            udp_over(2152, echo, 0, sport=2152)]


def write(path, frames):
    """Classic pcap, Ethernet, microsecond timestamps: packet n at T0 + n ms."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for n, fr in enumerate(frames):
            f.write(struct.pack("<IIII", T0 + n // 1000, (n % 1000) * 1000, len(fr), len(fr)))
            f.write(fr)


def main(argv):
    if len(argv) != 2:
        print("usage: gen_tunnels.py OUTDIR", file=sys.stderr)
        return 2
    outdir = argv[1]
    os.makedirs(outdir, exist_ok=True)
    for name in TYPES:
        write(os.path.join(outdir, "tun_%s.pcap" % name), tunnel_frames(name))
        write(os.path.join(outdir, "tun_bad_%s.pcap" % name), bad_frames(name))
    write(os.path.join(outdir, "tun_frag_outer.pcap"), outer_fragments())
    write(os.path.join(outdir, "tun_icmp_error.pcap"), icmp_errors())
    write(os.path.join(outdir, "tun_nonip.pcap"), non_ip())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
