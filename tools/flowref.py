#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
flowref: an independent flow reference computed with tshark.

It dissects a capture with tshark (IP/IPv6/TCP reassembly off) and
aggregates packets into bidirectional flows with the semantics spanflow
documents, so that spanflow's flow records can be checked against it:

  * key: IP version, the two (address, port) ends unordered, protocol,
    outer VLAN id (first 802.1Q/802.1ad tag before the outer IP header,
    0 if none). Tunnels are not decapsulated: the outer IP header counts.
  * ports: TCP, UDP, UDP-Lite, SCTP, DCCP; 0 for every other protocol and
    for every IPv4/IPv6 fragment (first fragment included).
  * IPv6 protocol: the last next-header after hop-by-hop, routing,
    fragment, destination options, AH and mobility headers.
  * bytes: IP-layer octets as the IP header states them: IPv4 total
    length (the captured IP length if it is 0), IPv6 40 + payload length
    (40 + jumbo length for a jumbogram).
  * not flows: frames without an outer IP header (ARP, LLDP, ...) are
    "nonflow"; frames whose L2, IP or (non-fragment) L4 header is
    truncated or inconsistent are "malformed".
  * time: like spanflow's replay clock, a packet's time never goes back:
    a frame older than one before it counts at the newest time seen so
    far (over all frames, in file order). --raw-times keeps capture times.

Innermost view (--innermost; analyze(path, innermost=True, teredo=,
ayiya=, context=)): flows are keyed on the innermost IP header and its L4
header, as tshark 4.0 dissects the tunnels (see innermost_select):
  * the innermost IP header is the last ip/ipv6 layer; an IP header quoted
    in an ICMP/ICMPv6 error is inside the ICMP layer and never counts, nor
    does anything after an ICMP layer;
  * a packet whose OUTER IP header is a fragment (MF or offset; IPv6
    fragment header with M or offset) counts on that outer header, ports 0;
  * decapsulated: 802.1Q/QinQ, MPLS, PPPoE session, FabricPath, VN-Tag,
    802.1ah PBB, GRE (v0 with checksum/key/sequence, TEB, v1/PPTP), GRE in
    UDP (4754), ERSPAN I/II/III, VXLAN (4789, 8472), Geneve, GTP-U G-PDUs,
    IP in IP (4in4, 6in4, 4in6, 6in6: 'ipip'), CAPWAP data; Teredo and AYIYA
    only with --teredo / --ayiya (otherwise UDP flows on their carrier);
  * bytes: the innermost IP header's total length (as above); vlan: the
    first VLAN id of the Ethernet frame that carries the innermost IP packet
    (after an L3 tunnel, the last Ethernet frame before it; 0 if none);
  * key: (ip version, end0, end1, proto, vlan, context); context (--context)
    none = (), default = the VXLAN/Geneve VNIs, GRE keys and GTP TEIDs
    outermost first, full = the encapsulation list and every id;
  * per flow: the encapsulations (names: vlan, mpls, pppoe, fabricpath,
    vntag, pbb, gre, gre_udp, erspan1, erspan2, erspan3, vxlan, geneve, gtpu,
    ipip, capwap, teredo, ayiya; outermost first; one 'vlan' per tag, one
    'mpls' per label stack) and ids (vni, gre_key, teid, erspan_session,
    mpls = the top 3 labels, pbb_isid) of its packets;
  * a packet that enters a tunnel and brings out no IP header is malformed
    "<encap>:truncated" (tunnel header cut short), "<encap>:bad_inner" (the
    payload is not what the tunnel announced), or, for a whole inner frame
    that is not IP (ARP in VXLAN, 802.11 management in CAPWAP), nonflow
    with the inner protocol; a malformed innermost IP/L4 header is
    "<encap>:<reason>" (e.g. vxlan:ip_truncated).

Usage by hand:
  tools/flowref.py capture.pcap            summary and a flow table
  tools/flowref.py --innermost [--teredo] [--ayiya] [--context C] capture.pcap
  tools/flowref.py --json capture.pcap     one JSON flow per line
  tools/flowref.py --frames capture.pcap   per-frame classification
  tools/flowref.py --intervals 10 capture.pcap   per-interval totals

As a module: flowref.analyze(path) returns a Reference (see below).
Requires tshark (Wireshark >= 3.6; developed with 4.0). Python 3 stdlib only.
"""

import argparse
import collections
import ipaddress
import json
import shutil
import signal
import subprocess
import sys

# Layers that may precede the outer IP header and that spanflow parses.
L2_PROTOS = {"eth", "ethertype", "vlan", "sll", "sll2", "null", "loop", "ppp",
             "chdlc", "raw", "ip.raw"}
# Protocols whose first 4 bytes are source and destination port.
PORT_PROTOS = {6: "tcp", 17: "udp", 136: "udplite", 132: "sctp", 33: "dccp"}
# Minimum captured L4 header (bytes) for a non-fragment packet to count as a flow.
L4_MIN = {6: 20, 17: 8, 136: 8, 132: 12, 33: 12}
# IPv6 extension headers walked to find the protocol: nh value -> tshark name.
IPV6_EXT = {0: "ipv6.hopopts", 43: "ipv6.routing", 44: "ipv6.fraghdr",
            60: "ipv6.dstopts", 51: "ah", 135: "mipv6"}
EXT_NEXT_FIELD = {"ipv6.hopopts": "ipv6.hopopts.nxt", "ipv6.routing": "ipv6.routing.nxt",
                  "ipv6.fraghdr": "ipv6.fraghdr.nxt", "ipv6.dstopts": "ipv6.dstopts.nxt",
                  "ah": "ah.next_header", "mipv6": "mip6.proto"}

TSHARK_PREFS = [
    "-o", "ip.defragment:FALSE",
    "-o", "ipv6.defragment:FALSE",
    "-o", "tcp.desegment_tcp_streams:FALSE",
    "-o", "tcp.analyze_sequence_numbers:FALSE",
    "-o", "tcp.calculate_timestamps:FALSE",
    "-o", "udp.calculate_timestamps:FALSE",
]
# tshark 4.0 decodes VXLAN on 4789 only; GRE in UDP (4754), Geneve (6081),
# GTP-U (2152), CAPWAP data (5247), Teredo (3544) and AYIYA (5072) by default.
INNERMOST_DECODE = ["-d", "udp.port==8472,vxlan"]
JSON_PROTOS = ("frame eth vlan sll null loop ppp chdlc raw ip ipv6 ah mipv6 "
               "tcp udp udplite sctp dccp _ws.short _ws.malformed")


class RefError(Exception):
    pass


class Flow:
    """Aggregate of one bidirectional key. Index 0/1 = the end that sent."""
    __slots__ = ("packets", "bytes", "flags", "first_ns", "last_ns",
                 "first_dir", "first_dscp", "first_flags", "frames", "encaps")

    def __init__(self):
        self.packets = [0, 0]
        self.bytes = [0, 0]
        self.flags = [0, 0]
        self.first_ns = None
        self.last_ns = None
        self.first_dir = 0
        self.first_dscp = 0
        self.first_flags = 0
        self.frames = 0
        # Innermost view: Counter of (encap tuple, ids tuple), first seen first.
        self.encaps = collections.Counter()


class Reference:
    """Result of analyze().

    flows: {key: Flow}; key = (ip_version, end0, end1, proto, vlan) where an
    end is (packed address bytes, port) and end0 <= end1. Flow.packets[d]
    etc. count what end d sent; if end0 == end1 everything is in [0].
    """

    def __init__(self, path):
        self.path = path
        self.total = 0
        self.flowed = 0
        self.nonflow = 0
        self.malformed = 0
        self.flows = {}
        self.nonflow_kinds = collections.Counter()
        self.malformed_reasons = collections.Counter()
        self.frames = []  # Frame for every frame, with keep_frames
        self.innermost = None  # the Innermost options of an innermost view

    def summary(self):
        return ("%s: %d packets = %d in %d flows + %d nonflow + %d malformed"
                % (self.path, self.total, self.flowed, len(self.flows),
                   self.nonflow, self.malformed))


Frame = collections.namedtuple("Frame", "number cls detail time_ns proto ip_len ipver")


def make_key(ipver, saddr, sport, daddr, dport, proto, vlan, ctx=None):
    """Canonical key and the direction (0/1) of the sender (saddr, sport).
    ctx (innermost view only): the tunnel context, a sixth key member."""
    a = (saddr, sport)
    b = (daddr, dport)
    tail = (proto, vlan) if ctx is None else (proto, vlan, ctx)
    if a <= b:
        return (ipver, a, b) + tail, 0
    return (ipver, b, a) + tail, 1


def addr_bytes(text):
    return ipaddress.ip_address(text).packed


def addr_text(packed):
    return str(ipaddress.ip_address(packed))


# ---------------------------------------------------------------- tshark JSON

def _is_obj(v):
    return isinstance(v, list) and (not v or isinstance(v[0], tuple))


def _find(obj, name):
    """First value of field `name` in a layer object (pairs list); direct
    children first, then nested trees in order. None if absent."""
    if not _is_obj(obj):
        return None
    for k, v in obj:
        if k == name:
            return v
    for k, v in obj:
        if _is_obj(v) and v:
            r = _find(v, name)
            if r is not None:
                return r
    return None


def _find_children(obj, names):
    """Nested objects named in `names`, in tree order, with their _raw info."""
    out = []
    if not _is_obj(obj):
        return out
    raw = {}
    for k, v in obj:
        if k.endswith("_raw") and k[:-4] in names:
            raw.setdefault(k[:-4], []).append(v)
    seen = collections.Counter()
    for k, v in obj:
        if k in names and _is_obj(v):
            r = raw.get(k, [])
            info = r[seen[k]] if seen[k] < len(r) else None
            seen[k] += 1
            out.append((k, v, info))
        elif _is_obj(v) and not k.endswith("_raw"):
            out.extend(_find_children(v, names))
    return out


def _int(v, default=None):
    if v is None:
        return default
    if isinstance(v, list):
        v = v[0] if v else None
        if v is None:
            return default
    s = str(v).strip()
    try:
        return int(s, 0) if s.lower().startswith("0x") else int(s)
    except ValueError:
        if s.lower() in ("true", "false"):
            return 1 if s.lower() == "true" else 0
        return default


def _ns(epoch):
    s = str(epoch)
    if "." in s:
        sec, frac = s.split(".", 1)
    else:
        sec, frac = s, "0"
    frac = (frac + "000000000")[:9]
    neg = sec.startswith("-")
    ns = abs(int(sec)) * 1000000000 + int(frac)
    return -ns if neg else ns


def _iter_packets(path, tshark, full=False):
    """Stream tshark's JSON array one packet at a time. full: every protocol
    (the innermost view needs the tunnel layers) and the tunnel ports that
    tshark 4.0 does not decode by default."""
    if full:
        cmd = [tshark, "-n", "-r", path] + TSHARK_PREFS + INNERMOST_DECODE + ["-T", "json", "-x"]
    else:
        cmd = [tshark, "-n", "-r", path] + TSHARK_PREFS + [
            "-T", "json", "-x", "-J", JSON_PROTOS]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, errors="replace")
    buf = []
    try:
        for line in proc.stdout:
            if line.startswith("  {"):
                buf = [line]
            elif line.startswith("  }"):
                buf.append("  }")
                yield json.loads("".join(buf), object_pairs_hook=lambda p: p)
                buf = []
            elif buf:
                buf.append(line)
    finally:
        proc.stdout.close()
        err = proc.stderr.read()
        proc.stderr.close()
        rc = proc.wait()
    if rc != 0:
        raise RefError("tshark failed on %s (exit %d): %s" % (path, rc, err.strip()))


# ------------------------------------------------------------ classification

def classify(pkt, inner=None):
    """Classify one tshark JSON packet.

    inner: None for the outer-header view; an Innermost for the innermost
    view (see innermost_select).

    Returns ("flow", info) with info = dict(ipver, src, dst, sport, dport,
    proto, vlan, ip_len, flags, dscp, frag, time_ns, number), or
    ("nonflow", kind) or ("malformed", reason), each with the frame number
    and time in the second element for the latter two as (reason, number).
    """
    layers = _find(pkt, "_source")
    layers = _find(layers, "layers")
    frame = None
    top = []      # (name, obj, raw) top-level layers in order
    raws = {}
    for k, v in layers:
        if k == "frame":
            frame = v
        if k.endswith("_raw"):
            raws.setdefault(k[:-4], []).append(v)
    seen = collections.Counter()
    for k, v in layers:
        if k.endswith("_raw"):
            continue
        r = raws.get(k, [])
        info = r[seen[k]] if seen[k] < len(r) else None
        seen[k] += 1
        top.append((k, v, info))

    number = _int(_find(frame, "frame.number"))
    time_ns = _ns(_find(frame, "frame.time_epoch"))
    cap_len = _int(_find(frame, "frame.cap_len"))
    protos = (_find(frame, "frame.protocols") or "").split(":")
    short = any(k in ("_ws.short", "_ws.malformed") for k, _, _ in top)
    base = {"number": number, "time_ns": time_ns}

    def bad(reason):
        return "malformed", dict(base, reason=reason)

    # Outer IP layer: first 'ip' or 'ipv6' among the top-level layers.
    oi = None
    for i, (k, _, _) in enumerate(top):
        if k in ("ip", "ipv6"):
            oi = i
            break
    tun = None
    if inner is not None:
        tun = innermost_select(top, oi, short, inner, protos)
        if tun.verdict is not None:
            cls, what = tun.verdict
            if cls == "malformed":
                return bad(what)
            return "nonflow", dict(base, kind=what)
        oi = tun.index
    # Position in frame.protocols of the outer IP, and what precedes it.
    pi = None
    for i, p in enumerate(protos):
        if p in ("ip", "ipv6"):
            pi = i
            break
    if inner is not None:
        pi = 0 if oi is not None else None  # frame.protocols lists a tunnel once
    if oi is None or pi is None:
        last = protos[-1] if protos else ""
        if short and last in L2_PROTOS:
            return bad("l2_truncated")
        if protos and protos[0] == "raw":
            return bad("ip_bad_version")  # raw IP link, neither 4 nor 6
        if len(protos) > 1 and protos[-1] == "ethertype":
            kind = "ethertype"
        else:
            kind = next((p for p in protos if p not in L2_PROTOS), last or "?")
        return "nonflow", dict(base, kind=kind)
    l2 = protos[:pi]
    if inner is None and any(p not in L2_PROTOS for p in l2):
        # IP behind an encapsulation spanflow does not parse (LLC/SNAP,
        # PPPoE, MPLS, ...): count it as a flow anyway, and say so.
        base["l2_note"] = ":".join(l2)
    vlan = 0
    for k, v, _ in top[:oi]:
        if k == "vlan":
            vlan = _int(_find(v, "vlan.id"), 0)
            break
    if tun is not None:
        vlan = tun.vlan
        tunnels = [t for t in tun.encap if t not in TAG_ENCAPS]
        if tunnels:
            # A malformed innermost header counts per encapsulation type.
            base_bad = bad

            def bad(reason):  # noqa: F811
                return base_bad("%s:%s" % (tunnels[-1], reason))

    name, ipobj, ipraw = top[oi]
    if ipraw is None:
        return bad("ip_truncated")
    ip_off = ipraw[1]
    cap_ip = cap_len - ip_off
    frag = False
    ext_len = 0
    if name == "ip":
        ver = _int(_find(ipobj, "ip.version"))
        if ver != 4:
            return bad("ip_bad_version")
        if cap_ip < 20:
            return bad("ip_truncated")
        ihl = _int(_find(ipobj, "ip.hdr_len"))
        if ihl is None or ihl < 20:
            return bad("ip_bad_header_length")
        if cap_ip < ihl:
            return bad("ip_truncated")
        tot = _int(_find(ipobj, "ip.len"))
        if tot is None:
            return bad("ip_truncated")
        if tot == 0:
            ip_len = cap_ip
        elif tot < ihl:
            return bad("ip_bad_total_length")
        else:
            ip_len = tot
        mf = _int(_find(ipobj, "ip.flags.mf"), 0)
        off = _int(_find(ipobj, "ip.frag_offset"), 0)
        frag = bool(mf) or off > 0
        proto = _int(_find(ipobj, "ip.proto"))
        src = _find(ipobj, "ip.src")
        dst = _find(ipobj, "ip.dst")
        dscp = _int(_find(ipobj, "ip.dsfield.dscp"), 0)
        ipver = 4
        l4_off = ip_off + ihl
    else:
        ver = _int(_find(ipobj, "ipv6.version"))
        if ver != 6:
            return bad("ip_bad_version")
        if cap_ip < 40:
            return bad("ip_truncated")
        plen = _int(_find(ipobj, "ipv6.plen"))
        nh = _int(_find(ipobj, "ipv6.nxt"))
        src = _find(ipobj, "ipv6.src")
        dst = _find(ipobj, "ipv6.dst")
        dscp = _int(_find(ipobj, "ipv6.tclass.dscp"), 0)
        if plen is None or nh is None or src is None or dst is None:
            return bad("ip_truncated")
        ip_len = 40 + plen
        ipver = 6
        # Extension headers: nested in the ipv6 tree, or (AH, mobility)
        # top-level layers right after it.
        exts = _find_children(ipobj, set(EXT_NEXT_FIELD))
        for k, v, r in top[oi + 1:]:
            if k in ("ah", "mipv6"):
                exts.append((k, v, r))
            else:
                break
        pos = ip_off + 40
        ei = 0
        while nh in IPV6_EXT:
            want = IPV6_EXT[nh]
            if ei >= len(exts) or exts[ei][0] != want or exts[ei][2] is None:
                return bad("ipv6_bad_extension")
            k, v, r = exts[ei]
            ei += 1
            eoff, elen = r[1], r[2]
            if eoff + elen > cap_len or elen <= 0:
                return bad("ipv6_bad_extension")
            nxt = _int(_find(v, EXT_NEXT_FIELD[k]))
            if nxt is None:
                return bad("ipv6_bad_extension")
            if k == "ipv6.hopopts" and plen == 0:
                jumbo = _int(_find(v, "ipv6.opt.jumbo"))
                if jumbo:
                    ip_len = 40 + jumbo
            pos = eoff + elen
            nh = nxt
            if k == "ipv6.fraghdr":
                frag = True
                if (_int(_find(v, "ipv6.fraghdr.offset"), 0) or 0) > 0:
                    break  # later fragment: its payload is not headers
        proto = nh
        l4_off = pos
    try:
        src_b = addr_bytes(src if not isinstance(src, list) else src[0])
        dst_b = addr_bytes(dst if not isinstance(dst, list) else dst[0])
    except (ValueError, TypeError):
        return bad("ip_truncated")

    sport = dport = 0
    flags = 0
    if not frag and proto in PORT_PROTOS:
        lname = PORT_PROTOS[proto]
        l4 = None
        nxt_top = top[oi + 1:]
        for k, v, r in nxt_top:
            if k in ("ah", "mipv6"):
                continue
            if k == lname or (lname == "udplite" and k == "udp"):
                l4 = (k, v, r)
            break
        if l4 is not None and l4[2] is not None:
            l4_off = l4[2][1]
        cap_l4 = cap_len - l4_off
        if cap_l4 < L4_MIN[proto]:
            return bad("l4_truncated")
        if l4 is None:
            return bad("l4_truncated")
        lk = "udp" if lname == "udplite" else lname
        sport = _int(_find(l4[1], lk + ".srcport"))
        dport = _int(_find(l4[1], lk + ".dstport"))
        if sport is None or dport is None:
            return bad("l4_truncated")
        if proto == 6:
            thl = _int(_find(l4[1], "tcp.hdr_len"))
            if thl is None:
                return bad("l4_truncated")
            if thl < 20:
                return bad("l4_bad_header_length")
            flags = (_int(_find(l4[1], "tcp.flags"), 0) or 0) & 0xff
    info = dict(base, ipver=ipver, src=src_b, dst=dst_b, sport=sport, dport=dport,
                proto=proto, vlan=vlan, ip_len=ip_len, flags=flags, dscp=dscp,
                frag=frag)
    if tun is not None:
        info["encap"] = tuple(tun.encap)
        info["ids"] = tun.ids
        info["ctx"] = tun.context(inner.context)
    return "flow", info


# ------------------------------------------------------------ innermost view

# Tunnel layers as tshark 4.0 names them -> spanflow's encapsulation names.
# gre is renamed gre_udp after UDP; gre before ERSPAN is not listed (the
# ERSPAN type says it); gtp counts only for G-PDUs (message 0xff).
TUNNEL_LAYERS = {"vlan": "vlan", "ieee8021ad": "vlan", "ieee8021ah": "pbb",
                 "mpls": "mpls", "pppoes": "pppoe", "cfp": "fabricpath",
                 "vntag": "vntag", "gre": "gre", "erspan": "erspan",
                 "vxlan": "vxlan", "geneve": "geneve", "gtp": "gtpu",
                 "capwap.data": "capwap", "teredo": "teredo", "ayiya": "ayiya"}
# Encapsulations that only tag an Ethernet frame (no payload of their own).
TAG_ENCAPS = ("vlan", "vntag")
CONTEXTS = ("none", "default", "full")
# The ids that separate address spaces (the default context).
DEFAULT_CONTEXT_IDS = ("vni", "gre_key", "teid")


class Innermost:
    """Options of the innermost view.

    teredo, ayiya: decapsulate Teredo (UDP 3544) and AYIYA (UDP 5072); off,
    they are plain UDP flows on the header that carries them.
    context: what besides the innermost 5-tuple and VLAN keys a flow:
      none     nothing;
      default  VXLAN/Geneve VNIs, GRE keys and GTP TEIDs, outermost first;
      full     the encapsulation list and every id (also ERSPAN sessions,
               MPLS labels, PBB I-SIDs).
    """

    def __init__(self, teredo=False, ayiya=False, context="default"):
        if context not in CONTEXTS:
            raise RefError("context %r: expected one of %s" % (context, ", ".join(CONTEXTS)))
        self.teredo = teredo
        self.ayiya = ayiya
        self.context = context


class TunnelPath:
    """What innermost_select found: index of the IP layer to account (or a
    verdict: ("malformed", reason) / ("nonflow", kind)), the VLAN of the
    Ethernet frame that carries it, the encapsulations outermost first and
    their ids: {"vni": [...], "gre_key": [...], "teid": [...],
    "erspan_session": [...], "mpls": [top 3 labels], "pbb_isid": [...]}."""

    __slots__ = ("index", "verdict", "vlan", "encap", "ids")

    def __init__(self):
        self.index = None
        self.verdict = None
        self.vlan = 0
        self.encap = []
        self.ids = {}

    def context(self, mode):
        if mode == "none":
            return ()
        if mode == "default":
            return tuple((k, v) for k, vs in self.ids_ordered() if k in DEFAULT_CONTEXT_IDS
                         for v in vs)
        return (tuple(self.encap), tuple((k, tuple(vs)) for k, vs in self.ids_ordered()))

    def ids_ordered(self):
        return sorted(self.ids.items())


def _fragment(name, obj):
    """True if this IP layer is a fragment (MF set or offset != 0; IPv6: a
    fragment header with M or an offset)."""
    if name == "ip":
        return bool(_int(_find(obj, "ip.flags.mf"), 0)) or \
            (_int(_find(obj, "ip.frag_offset"), 0) or 0) > 0
    for k, v, _ in _find_children(obj, {"ipv6.fraghdr"}):
        if (_int(_find(v, "ipv6.fraghdr.offset"), 0) or 0) > 0 or \
                _int(_find(v, "ipv6.fraghdr.more"), 0):
            return True
    return False


def _tunnel_name(top, i):
    """spanflow's name of the tunnel layer top[i], or None if it is not one."""
    k, v, _ = top[i]
    t = TUNNEL_LAYERS.get(k)
    if t is None:
        if k in ("ip", "ipv6") and i + 1 < len(top) and top[i + 1][0] in ("ip", "ipv6"):
            return "ipip"
        return None
    if t == "vlan" and k == "ieee8021ad" and _find(v, "ieee8021ah.isid") is not None:
        return "pbb"
    if t == "gtpu" and _int(_find(v, "gtp.message")) != 0xFF:
        return None  # GTP-U signalling (echo, error indication, end marker)
    if t == "gre":
        if i + 1 < len(top) and top[i + 1][0] == "erspan":
            return "gre_erspan"  # not listed: the ERSPAN type says it
        if i > 0 and top[i - 1][0] == "udp":
            return "gre_udp"
    if t == "erspan":
        if not _is_obj(v):
            return "erspan1"  # type I: no header, tshark shows a label only
        ver = _int(_find(v, "erspan.version"))
        return {1: "erspan2", 2: "erspan3"}.get(ver, "erspan1")
    return t


def _collect(top, upto, path):
    """Encapsulations, ids and the VLAN of the last Ethernet frame among
    top[:upto]."""
    vlan_open = False  # a tag of the current Ethernet frame was seen
    prev = None
    for i in range(upto):
        k, v, _ = top[i]
        if k == "eth" or k == "cfp":
            path.vlan = 0
            vlan_open = False
        t = _tunnel_name(top, i)
        if t is None or t == "gre_erspan":
            continue
        if t == "pbb":
            # The backbone frame's B-VID is not the customer frame's VLAN.
            path.vlan = 0
            vlan_open = False
            path.ids.setdefault("pbb_isid", []).append(_int(_find(v, "ieee8021ah.isid"), 0))
        if t == "vlan" and not vlan_open:
            path.vlan = _int(_find(v, "%s.id" % ("vlan" if k == "vlan" else "ieee8021ad")), 0)
            vlan_open = True
        if t == "mpls":
            labels = path.ids.setdefault("mpls", [])
            if len(labels) < 3:
                labels.append(_int(_find(v, "mpls.label"), 0))
            if prev == "mpls":
                continue  # one entry per label stack
        elif t in ("vxlan", "geneve"):
            path.ids.setdefault("vni", []).append(_int(_find(v, t + ".vni"), 0))
        elif t in ("gre", "gre_udp"):
            key = _find(v, "gre.key")
            if key is not None:
                path.ids.setdefault("gre_key", []).append(_int(key, 0))
        elif t == "gtpu":
            path.ids.setdefault("teid", []).append(_int(_find(v, "gtp.teid"), 0))
        elif t in ("erspan2", "erspan3"):
            path.ids.setdefault("erspan_session", []).append(_int(_find(v, "erspan.spanid"), 0))
        path.encap.append(t)
        prev = t


def _udp_port(top, port):
    """True if the last UDP layer has `port` as source or destination (a cut
    GTP header is GTP-U only on the GTP-U port; GTP-C is not a tunnel)."""
    udp = [v for k, v, _ in top if k == "udp"]
    return bool(udp) and port in (_int(_find(udp[-1], "udp.srcport")),
                                  _int(_find(udp[-1], "udp.dstport")))


def innermost_select(top, oi, short, opt, protos=()):
    """The IP layer the innermost view accounts a packet on.

    The last top-level ip/ipv6 layer, except that: an IP header quoted inside
    an ICMP/ICMPv6 error is nested in the ICMP layer, and nothing after an ICMP
    layer counts; a packet whose outer IP header is a fragment counts on that
    header; Teredo/AYIYA end the search unless enabled. A packet that enters a
    tunnel but brings out no IP header is malformed (the tunnel header or the
    inner frame is cut short, or the payload is not what the tunnel announced:
    "<encap>:truncated", "<encap>:bad_inner") or, if the inner frame is whole
    but not IP (ARP in VXLAN, LCP in PPTP), nonflow with the inner protocol.
    """
    path = TunnelPath()
    # A tunnel header too short for its dissector: tshark names it in
    # frame.protocols but the exception leaves no layer in the tree.
    if short and protos and protos[-1] in TUNNEL_LAYERS and \
            protos.count(protos[-1]) > sum(1 for k, _, _ in top if k == protos[-1]) and \
            (protos[-1] != "teredo" or opt.teredo) and (protos[-1] != "ayiya" or opt.ayiya) \
            and (protos[-1] != "gtp" or _udp_port(top, 2152)):
        _collect(top, len(top), path)
        name = TUNNEL_LAYERS[protos[-1]]
        if name == "gre" and len(protos) > 1 and protos[-2] == "udp":
            name = "gre_udp"
        path.verdict = ("malformed", "%s:truncated" % name)
        return path
    limit = len(top)
    for i, (k, v, _) in enumerate(top):
        if k in ("icmp", "icmpv6") or (k == "teredo" and not opt.teredo) or \
                (k == "ayiya" and not opt.ayiya):
            limit = i
            break
        if k == "ip" and _int(_find(v, "ip.version")) not in (None, 4):
            # An IPv4 ethertype with another version: tshark dissects the same
            # header again as IPv6; it is one bad IPv4 header, not a tunnel.
            limit = i + 1
            break
    if oi is not None and _fragment(top[oi][0], top[oi][1]):
        _collect(top, oi, path)
        path.index = oi
        return path
    last = None
    for i in range(limit):
        if top[i][0] in ("ip", "ipv6"):
            last = i
    start = 0 if last is None else last + 1
    entered = None  # first tunnel entered after the chosen IP layer
    for i in range(start, limit):
        t = _tunnel_name(top, i)
        if t is not None and t != "gre_erspan":
            entered = (i, t)
            break
    if entered is None:
        if last is None:
            return path  # no IP at all and no tunnel: the outer view decides
        _collect(top, last, path)
        path.index = last
        return path
    _collect(top, limit, path)
    enc = path.encap[-1] if path.encap else entered[1]
    tail = [k for k, _, _ in top[entered[0]:limit]]
    if short:
        path.verdict = ("malformed", "%s:truncated" % enc)
    elif tail[-1] == "data" or (tail[-1] in TUNNEL_LAYERS and len(tail) == 1
                                and enc not in TAG_ENCAPS):
        path.verdict = ("malformed", "%s:bad_inner" % enc)
    else:
        last_proto = tail[-1]
        path.verdict = ("nonflow", last_proto)
    return path


def analyze(path, tshark=None, keep_frames=False, raw_times=False, innermost=False,
            teredo=False, ayiya=False, context="default"):
    """Run tshark on `path` and aggregate; returns a Reference.

    keep_frames: also keep a Frame per frame in ref.frames.
    raw_times: use capture timestamps as they are instead of never going back.
    innermost: key flows on the innermost IP header (see innermost_select);
    keys then have a sixth member, the tunnel context (see Innermost), and
    flows carry the encapsulations and ids they were seen with.
    """
    tshark = tshark or shutil.which("tshark")
    if not tshark:
        raise RefError("tshark not found (apt-get install -y tshark)")
    inner = Innermost(teredo, ayiya, context) if innermost else None
    ref = Reference(path)
    ref.innermost = inner
    clock = None
    for pkt in _iter_packets(path, tshark, full=innermost):
        cls, info = classify(pkt, inner)
        ref.total += 1
        if not raw_times:
            if clock is not None and info["time_ns"] < clock:
                info["time_ns"] = clock
            clock = info["time_ns"]
        if cls == "flow":
            key, d = make_key(info["ipver"], info["src"], info["sport"], info["dst"],
                              info["dport"], info["proto"], info["vlan"], info.get("ctx"))
            if key[1] == key[2]:
                d = 0
            f = ref.flows.get(key)
            if f is None:
                f = ref.flows[key] = Flow()
                f.first_ns = info["time_ns"]
                f.last_ns = info["time_ns"]
                f.first_dir = d
                f.first_dscp = info["dscp"]
                f.first_flags = info["flags"]
            f.packets[d] += 1
            f.bytes[d] += info["ip_len"]
            f.flags[d] |= info["flags"]
            f.first_ns = min(f.first_ns, info["time_ns"])
            f.last_ns = max(f.last_ns, info["time_ns"])
            f.frames += 1
            if "encap" in info:
                f.encaps[(info["encap"], tuple(sorted((k, tuple(v))
                                                     for k, v in info["ids"].items())))] += 1
            ref.flowed += 1
            detail = "%s %s" % (format_key(key), "frag" if info["frag"] else "")
            if "l2_note" in info:
                detail += " (behind %s)" % info["l2_note"]
        elif cls == "nonflow":
            ref.nonflow += 1
            ref.nonflow_kinds[info["kind"]] += 1
            detail = info["kind"]
        else:
            ref.malformed += 1
            ref.malformed_reasons[info["reason"]] += 1
            detail = info["reason"]
        if keep_frames:
            ref.frames.append(Frame(info["number"], cls, detail.strip(), info["time_ns"],
                                    info.get("proto"), info.get("ip_len", 0),
                                    info.get("ipver")))
    return ref


def intervals(ref, interval_ns):
    """Per-interval totals from ref.frames (analyze(keep_frames=True)):
    {interval index: {"received", "packets", "bytes", "nonflow", "malformed",
    "protocols": {proto: [packets, bytes]}}}; packets/bytes count flow packets."""
    out = {}
    for fr in ref.frames:
        t = fr.time_ns // interval_ns
        b = out.get(t)
        if b is None:
            b = out[t] = {"received": 0, "packets": 0, "bytes": 0, "nonflow": 0,
                          "malformed": 0, "protocols": {}}
        b["received"] += 1
        if fr.cls == "flow":
            b["packets"] += 1
            b["bytes"] += fr.ip_len
            pb = b["protocols"].setdefault(fr.proto, [0, 0])
            pb[0] += 1
            pb[1] += fr.ip_len
        else:
            b[fr.cls] += 1
    return out


def packet_count(path):
    """Frames in a capture according to capinfos (independent of tshark dissection)."""
    out = subprocess.run(["capinfos", "-M", "-T", "-r", "-c", path], capture_output=True,
                         text=True)
    if out.returncode != 0:
        raise RefError("capinfos failed on %s: %s" % (path, out.stderr.strip()))
    return int(out.stdout.strip().split("\t")[-1])


def format_ctx(ctx):
    if not ctx:
        return ""
    if isinstance(ctx[0], tuple) and ctx and len(ctx) == 2 and isinstance(ctx[1], tuple) \
            and (not ctx[0] or isinstance(ctx[0][0], str)) and \
            all(isinstance(x, tuple) and len(x) == 2 and isinstance(x[1], tuple)
                for x in ctx[1]):
        encap, ids = ctx
        return " [%s%s]" % ("/".join(encap), "".join(" %s=%s" % (k, ",".join(map(str, v)))
                                                     for k, v in ids))
    return " [%s]" % " ".join("%s=%s" % kv for kv in ctx)


def format_key(key):
    ipver, a, b, proto, vlan = key[:5]
    ctx = key[5] if len(key) > 5 else None

    def end(e):
        t = addr_text(e[0])
        return ("[%s]:%d" % (t, e[1])) if ipver == 6 else ("%s:%d" % (t, e[1]))
    s = "%s <-> %s proto %d" % (end(a), end(b), proto)
    if vlan:
        s += " vlan %d" % vlan
    if ctx:
        s += format_ctx(ctx)
    return s


def flow_json(key, f):
    """The flow as a spanflow-like record; src = sender of the first packet.
    Innermost view: also encap (outermost first) and ids of the first packet,
    and encap_variants if the flow was seen with more than one."""
    ipver, a, b, proto, vlan = key[:5]
    d = f.first_dir
    src, dst = (a, b) if d == 0 else (b, a)
    extra = {}
    if len(key) > 5:
        (encap, ids), _ = next(iter(f.encaps.items()))
        extra = {"encap": list(encap), "ids": {k: list(v) for k, v in ids}}
        if len(f.encaps) > 1:
            extra["encap_variants"] = len(f.encaps)
    return {
        "start_ns": f.first_ns, "end_ns": f.last_ns,
        "src_addr": addr_text(src[0]), "src_port": src[1],
        "dst_addr": addr_text(dst[0]), "dst_port": dst[1],
        "proto": proto, "ip_version": ipver, "vlan": vlan,
        "packets": f.packets[d], "bytes": f.bytes[d],
        "rev_packets": f.packets[1 - d], "rev_bytes": f.bytes[1 - d],
        "tcp_flags": f.flags[d], "rev_tcp_flags": f.flags[1 - d],
        "dscp": f.first_dscp, **extra,
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description="tshark flow reference for spanflow")
    ap.add_argument("capture")
    ap.add_argument("--json", action="store_true", help="one JSON flow per line")
    ap.add_argument("--frames", action="store_true", help="per-frame classification")
    ap.add_argument("--intervals", type=float, metavar="SECONDS",
                    help="per-interval totals for intervals of this length")
    ap.add_argument("--raw-times", action="store_true",
                    help="capture timestamps as they are (default: never backwards)")
    ap.add_argument("--tshark", default=None, help="tshark binary")
    ap.add_argument("--innermost", action="store_true",
                    help="key flows on the innermost IP header (decapsulate tunnels)")
    ap.add_argument("--teredo", action="store_true", help="with --innermost: decapsulate Teredo")
    ap.add_argument("--ayiya", action="store_true", help="with --innermost: decapsulate AYIYA")
    ap.add_argument("--context", default="default", choices=CONTEXTS,
                    help="with --innermost: what besides the 5-tuple and VLAN keys a flow")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet under `| head`
    try:
        ref = analyze(args.capture, tshark=args.tshark,
                      keep_frames=args.frames or bool(args.intervals),
                      raw_times=args.raw_times, innermost=args.innermost,
                      teredo=args.teredo, ayiya=args.ayiya, context=args.context)
    except RefError as e:
        print("flowref: %s" % e, file=sys.stderr)
        return 1
    if args.frames:
        for fr in ref.frames:
            print("%6d %d.%09d %-9s %s" % (fr.number, fr.time_ns // 1000000000,
                                           fr.time_ns % 1000000000, fr.cls, fr.detail))
        return 0
    if args.intervals:
        ns = int(round(args.intervals * 1e9))
        for t, b in sorted(intervals(ref, ns).items()):
            print(json.dumps({"interval_start_ns": t * ns, "interval_ns": ns, **{
                k: v for k, v in b.items() if k != "protocols"},
                "protocols": [{"proto": p, "packets": v[0], "bytes": v[1]}
                              for p, v in sorted(b["protocols"].items())]}))
        return 0
    if args.json:
        for key in sorted(ref.flows):
            print(json.dumps(flow_json(key, ref.flows[key])))
        return 0
    print(ref.summary())
    if ref.nonflow_kinds:
        print("nonflow: " + ", ".join("%s %d" % kv for kv in sorted(ref.nonflow_kinds.items())))
    if ref.malformed_reasons:
        print("malformed: " + ", ".join("%s %d" % kv
                                        for kv in sorted(ref.malformed_reasons.items())))
    print("%-60s %8s %10s %8s %10s" % ("flow (end0 <-> end1)", "pkts0", "bytes0", "pkts1",
                                       "bytes1"))
    for key in sorted(ref.flows, key=lambda k: (-sum(ref.flows[k].bytes), k)):
        f = ref.flows[key]
        print("%-60s %8d %10d %8d %10d" % (format_key(key), f.packets[0], f.bytes[0],
                                           f.packets[1], f.bytes[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
