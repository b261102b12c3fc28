#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Make a capture look like a SPAN port that mirrors both directions: every frame
is followed, DELAY microseconds later, by a copy of itself one router hop
further on: the TTL (or IPv6 hop limit) of its first IP header one lower, the
IPv4 header checksum updated to match (RFC 1624), and another VLAN tag (the
outermost tag's id changed, or a tag with id VLAN inserted in an untagged
Ethernet frame). Non-Ethernet captures get the TTL change only. Originals keep
their order in the file; a copy comes before the first original later than it.

Usage: spancopy.py IN.pcap OUT.pcap [--delay US] [--vlan ID]
       spancopy.py --count US IN.pcap
       spancopy.py --inner IN.pcap OUT.pcap
The second form is an oracle for duplicate removal: how many frames carry an
innermost IP packet identical (TTL/hop limit and IPv4 header checksum aside,
whatever the VLAN tags and encapsulations around it) to one first seen at
most US microseconds before. The third writes the innermost IP packets as a
raw-IP capture (an oracle for --inner-filter: tcpdump on it). Both
decapsulate on their own (no spanflow code), as spanflow does by default.
Needs scapy (python3-scapy) for the capture files.
"""

import argparse
import struct
import sys

try:
    from scapy.utils import RawPcapReader, RawPcapWriter
except ImportError:
    print("spancopy: needs scapy (apt install python3-scapy)", file=sys.stderr)
    sys.exit(77)

ETH_VLAN = (0x8100, 0x88A8, 0x9100)
LINK_ETHER = 1
LINK_RAW = (101, 12, 14, 228, 229)


def csum_update(old_sum, old_word, new_word):
    """RFC 1624: HC' = ~(~HC + ~m + m')."""
    s = (~old_sum & 0xFFFF) + (~old_word & 0xFFFF) + new_word
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def lower_ttl(b, off):
    """Lower the TTL of the IP header at off (in place); False if none."""
    if off >= len(b):
        return False
    ver = b[off] >> 4
    if ver == 4 and off + 20 <= len(b):
        ttl = b[off + 8]
        if ttl == 0:
            return True
        old = struct.unpack_from("!H", b, off + 8)[0]
        b[off + 8] = ttl - 1
        new = struct.unpack_from("!H", b, off + 8)[0]
        cs = struct.unpack_from("!H", b, off + 10)[0]
        struct.pack_into("!H", b, off + 10, csum_update(cs, old, new))
        return True
    if ver == 6 and off + 40 <= len(b):
        if b[off + 7] > 0:
            b[off + 7] -= 1
        return True
    return False


def copy_frame(data, linktype, vlan):
    b = bytearray(data)
    grew = 0
    if linktype == LINK_ETHER and len(b) >= 14:
        et = struct.unpack_from("!H", b, 12)[0]
        if et in ETH_VLAN and len(b) >= 18:
            tci = struct.unpack_from("!H", b, 14)[0]
            old = tci & 0x0FFF
            struct.pack_into("!H", b, 14, (tci & 0xF000) | (vlan if vlan != old else vlan + 1))
        else:
            b[12:12] = struct.pack("!HH", 0x8100, vlan)
            grew = 4
        off = 12
        while off + 4 <= len(b) and struct.unpack_from("!H", b, off)[0] in ETH_VLAN:
            off += 4
        if off + 2 <= len(b) and struct.unpack_from("!H", b, off)[0] in (0x0800, 0x86DD):
            lower_ttl(b, off + 2)
    elif linktype in LINK_RAW:
        lower_ttl(b, 0)
    elif linktype == 113 and len(b) >= 16:     # Linux cooked
        lower_ttl(b, 16)
    return bytes(b), grew


VXLAN_PORTS = (4789, 8472)
GENEVE_PORT = 6081
GTPU_PORT = 2152
GRE_UDP_PORT = 4754
MAX_LAYERS = 8


def _u16(b, off):
    return struct.unpack_from("!H", b, off)[0]


def _ether(b, depth):
    """The innermost IP packet of an Ethernet frame (VLAN tags, MPLS, PPPoE)."""
    off = 12
    while off + 4 <= len(b) and _u16(b, off) in ETH_VLAN:
        off += 4
    if off + 2 > len(b):
        return None
    return _ethertype(b, _u16(b, off), off + 2, depth)


def _ethertype(b, et, off, depth):
    if et == 0x8847:        # MPLS: labels to the bottom of the stack, then IP by version
        while off + 4 <= len(b):
            bos = b[off + 2] & 1
            off += 4
            if bos:
                break
        else:
            return None
        if off < len(b) and b[off] >> 4 in (4, 6):
            return _ip(b, off, depth)
        return None
    if et == 0x8864:        # PPPoE session: 6 bytes, then the PPP protocol
        if off + 8 > len(b):
            return None
        return _ppp(b, off + 6, depth)
    if et in (0x0800, 0x86DD):
        return _ip(b, off, depth)
    return None


def _ppp(b, off, depth):
    if off + 2 <= len(b) and b[off] == 0xFF and b[off + 1] == 0x03:
        off += 2
    if off + 2 > len(b):
        return None
    proto = _u16(b, off)
    if proto in (0x0021, 0x0057):
        return _ip(b, off + 2, depth)
    return None


def _gre(b, off, end, depth):
    if off + 4 > end:
        return None
    flags, proto = _u16(b, off), _u16(b, off + 2)
    ver = flags & 7
    hl = 4
    if ver == 0:
        hl += 4 * (bool(flags & 0x8000) or bool(flags & 0x4000))
        hl += 4 * bool(flags & 0x2000) + 4 * bool(flags & 0x1000)
    elif ver == 1:          # enhanced GRE (PPTP): key always, sequence and ack optional
        hl += 4 + 4 * bool(flags & 0x1000) + 4 * bool(flags & 0x0080)
        return _ppp(b[:end], off + hl, depth) if proto == 0x880B else None
    else:
        return None
    p = off + hl
    if proto == 0x6558:
        return _ether(b[p:end], depth + 1)
    if proto == 0x88BE:     # ERSPAN II (with sequence) or type I (without)
        return _ether(b[p + (8 if flags & 0x1000 else 0):end], depth + 1)
    if proto == 0x22EB:     # ERSPAN III, optional 8-byte platform sub-header
        if p + 12 > end:
            return None
        return _ether(b[p + 12 + (8 if b[p + 11] & 1 else 0):end], depth + 1)
    if proto in (0x0800, 0x86DD):
        return _ip(b[:end], p, depth + 1)
    return None


def _udp(b, off, end, depth):
    if off + 8 > end:
        return None
    dport = _u16(b, off + 2)
    p = off + 8
    if dport in VXLAN_PORTS:
        if p + 8 > end or not b[p] & 0x08:
            return None
        return _ether(b[p + 8:end], depth + 1)
    if dport == GENEVE_PORT:
        if p + 8 > end:
            return None
        hl = 8 + (b[p] & 0x3F) * 4
        if _u16(b, p + 2) == 0x6558:
            return _ether(b[p + hl:end], depth + 1)
        if _u16(b, p + 2) in (0x0800, 0x86DD):
            return _ip(b[:end], p + hl, depth + 1)
        return None
    if dport == GTPU_PORT:
        if p + 8 > end or b[p] >> 5 != 1 or b[p + 1] != 0xFF:
            return None
        hl = 8
        if b[p] & 0x07:
            hl = 12
            nxt = b[p + 11] if p + 12 <= end else 0
            while nxt != 0:
                if p + hl >= end or b[p + hl] == 0:
                    return None
                ln = b[p + hl] * 4
                nxt = b[p + hl + ln - 1] if p + hl + ln <= end else 0
                hl += ln
        if p + hl < end and b[p + hl] >> 4 in (4, 6):
            return _ip(b[:end], p + hl, depth + 1)
        return None
    if dport == GRE_UDP_PORT:
        return _gre(b, p, end, depth + 1)
    return None


def _ip(b, off, depth):
    """The innermost IP packet at off: (bytes, offset of its header)."""
    if depth > MAX_LAYERS or off >= len(b):
        return None
    ver = b[off] >> 4
    if ver == 4 and off + 20 <= len(b):
        hl = (b[off] & 0x0F) * 4
        tot = _u16(b, off + 2)
        end = min(len(b), off + tot) if tot >= 20 else len(b)
        frag = _u16(b, off + 6) & 0x3FFF
        proto = b[off + 9]
        inner = None
        if not frag:        # a fragment is accounted on its own header
            inner = _payload(b, proto, off + hl, end, depth)
        return inner if inner is not None else (b[:end], off)
    if ver == 6 and off + 40 <= len(b):
        end = min(len(b), off + 40 + _u16(b, off + 4))
        nh, p = b[off + 6], off + 40
        while nh in (0, 43, 60) and p + 8 <= end:
            nh, p = b[p], p + (b[p + 1] + 1) * 8
        inner = None
        if nh != 44:
            inner = _payload(b, nh, p, end, depth)
        return inner if inner is not None else (b[:end], off)
    return None


def _payload(b, proto, off, end, depth):
    if proto in (4, 41):
        r = _ip(b[:end], off, depth + 1)
        return r
    if proto == 47:
        return _gre(b, off, end, depth)
    if proto == 17:
        return _udp(b, off, end, depth)
    return None


def innermost_ip(data, linktype):
    """
    The innermost IP packet of a frame, decapsulated as spanflow does by
    default (VLAN, MPLS, PPPoE, GRE and GRE in UDP, ERSPAN I/II/III, VXLAN,
    Geneve, GTP-U, IP in IP; an IP fragment is not looked into), as bytes
    from its IP header to its end; None for a frame without IP.
    """
    b = bytes(data)
    if linktype == LINK_ETHER:
        r = _ether(b, 0)
    elif linktype in LINK_RAW:
        r = _ip(b, 0, 0)
    else:
        return None
    if r is None:
        return None
    pkt, off = r
    return pkt[off:]


def ip_packet(data, linktype):
    """The innermost IP packet of a frame, its TTL/hop limit and IPv4 checksum zeroed."""
    ip = innermost_ip(data, linktype)
    if ip is None:
        return None
    b = bytearray(ip)
    if b[0] >> 4 == 4:
        b[8] = 0
        b[10:12] = b"\0\0"
    else:
        b[7] = 0
    return bytes(b)


def count_copies(path, window_us):
    rd = RawPcapReader(path)
    first = {}
    n = 0
    for data, meta in rd:
        if hasattr(meta, "tsresol") and meta.tsresol:
            ts = ((meta.tshigh << 32) | meta.tslow) * 1_000_000 / meta.tsresol
        else:
            ts = meta.sec * 1_000_000 + meta.usec
        ip = ip_packet(data, rd.linktype)
        if ip is None:
            continue
        t0 = first.get(ip)
        if t0 is not None and ts - t0 <= window_us:
            n += 1
        else:
            first[ip] = ts
    rd.close()
    return n


def write_inner(inp, out):
    """The innermost IP packets of inp, in a raw-IP capture (other frames left out)."""
    rd = RawPcapReader(inp)
    wr = RawPcapWriter(out, linktype=101, sync=False)
    wr.write_header(None)
    n = 0
    for data, meta in rd:
        ip = innermost_ip(data, rd.linktype)
        if ip is None:
            continue
        wr.write_packet(ip, sec=0, usec=0, wirelen=len(ip))
        n += 1
    rd.close()
    wr.close()
    return n


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--count":
        print(count_copies(sys.argv[3], float(sys.argv[2])))
        return
    if len(sys.argv) == 4 and sys.argv[1] == "--inner":
        print(write_inner(sys.argv[2], sys.argv[3]))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("--delay", type=float, default=3.0, help="microseconds (default 3)")
    ap.add_argument("--vlan", type=int, default=999, help="VLAN id of the copies")
    a = ap.parse_args()
    rd = RawPcapReader(a.inp)
    linktype = rd.linktype
    wr = RawPcapWriter(a.out, linktype=linktype, nano=True, sync=False)
    wr.write_header(None)
    n = 0
    pending = []    # copies not written yet, in time order

    def put(ts_ns, data, wirelen):
        wr.write_packet(data, sec=ts_ns // 1_000_000_000,
                        usec=ts_ns % 1_000_000_000,  # ns: nano=True
                        wirelen=wirelen)

    # Originals keep the file's order (some captures are not in time order);
    # a copy goes out before the first original later than it.
    for data, meta in rd:
        if hasattr(meta, "tsresol") and meta.tsresol:
            ts_ns = ((meta.tshigh << 32) | meta.tslow) * 1_000_000_000 // meta.tsresol
        else:
            ts_ns = meta.sec * 1_000_000_000 + meta.usec * 1000
        while pending and pending[0][0] <= ts_ns:
            put(*pending.pop(0))
        put(ts_ns, data, meta.wirelen)
        dup, grew = copy_frame(data, linktype, a.vlan)
        pending.append((ts_ns + int(a.delay * 1000), dup, meta.wirelen + grew))
        pending.sort(key=lambda f: f[0])
        n += 1
    for f in pending:
        put(*f)
    rd.close()
    wr.close()
    seq = 2 * n
    print("spancopy: %s: %d frames -> %s: %d" % (a.inp, seq // 2, a.out, seq))


if __name__ == "__main__":
    main()
