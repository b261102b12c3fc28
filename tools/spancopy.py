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
The second form is an oracle for duplicate removal: how many Ethernet frames
carry an IP packet identical (TTL/hop limit and IPv4 header checksum aside,
whatever the VLAN tags) to one first seen at most US microseconds before.
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


def ip_packet(data, linktype):
    """The IP packet of an Ethernet frame (after VLAN tags), TTL and checksum zeroed."""
    if linktype != LINK_ETHER or len(data) < 14:
        return None
    off = 12
    while off + 4 <= len(data) and struct.unpack_from("!H", data, off)[0] in ETH_VLAN:
        off += 4
    if off + 2 > len(data):
        return None
    et = struct.unpack_from("!H", data, off)[0]
    b = bytearray(data[off + 2:])
    if et == 0x0800 and len(b) >= 20 and b[0] >> 4 == 4:
        tot = struct.unpack_from("!H", b, 2)[0]
        b = b[:tot] if tot >= 20 else b
        b[8] = 0
        b[10:12] = b"\0\0"
        return bytes(b)
    if et == 0x86DD and len(b) >= 40 and b[0] >> 4 == 6:
        b = b[:40 + struct.unpack_from("!H", b, 4)[0]]
        b[7] = 0
        return bytes(b)
    return None


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


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--count":
        print(count_copies(sys.argv[3], float(sys.argv[2])))
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
