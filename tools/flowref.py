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

Usage by hand:
  tools/flowref.py capture.pcap            summary and a flow table
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
JSON_PROTOS = ("frame eth vlan sll null loop ppp chdlc raw ip ipv6 ah mipv6 "
               "tcp udp udplite sctp dccp _ws.short _ws.malformed")


class RefError(Exception):
    pass


class Flow:
    """Aggregate of one bidirectional key. Index 0/1 = the end that sent."""
    __slots__ = ("packets", "bytes", "flags", "first_ns", "last_ns",
                 "first_dir", "first_dscp", "first_flags", "frames")

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

    def summary(self):
        return ("%s: %d packets = %d in %d flows + %d nonflow + %d malformed"
                % (self.path, self.total, self.flowed, len(self.flows),
                   self.nonflow, self.malformed))


Frame = collections.namedtuple("Frame", "number cls detail time_ns proto ip_len ipver")


def make_key(ipver, saddr, sport, daddr, dport, proto, vlan):
    """Canonical key and the direction (0/1) of the sender (saddr, sport)."""
    a = (saddr, sport)
    b = (daddr, dport)
    if a <= b:
        return (ipver, a, b, proto, vlan), 0
    return (ipver, b, a, proto, vlan), 1


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


def _iter_packets(path, tshark):
    """Stream tshark's JSON array one packet at a time."""
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

def classify(pkt):
    """Classify one tshark JSON packet.

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
    # Position in frame.protocols of the outer IP, and what precedes it.
    pi = None
    for i, p in enumerate(protos):
        if p in ("ip", "ipv6"):
            pi = i
            break
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
    if any(p not in L2_PROTOS for p in l2):
        # IP behind an encapsulation spanflow does not parse (LLC/SNAP,
        # PPPoE, MPLS, ...): count it as a flow anyway, and say so.
        base["l2_note"] = ":".join(l2)
    vlan = 0
    for k, v, _ in top[:oi]:
        if k == "vlan":
            vlan = _int(_find(v, "vlan.id"), 0)
            break

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
    return "flow", info


def analyze(path, tshark=None, keep_frames=False, raw_times=False):
    """Run tshark on `path` and aggregate; returns a Reference.

    keep_frames: also keep a Frame per frame in ref.frames.
    raw_times: use capture timestamps as they are instead of never going back.
    """
    tshark = tshark or shutil.which("tshark")
    if not tshark:
        raise RefError("tshark not found (apt-get install -y tshark)")
    ref = Reference(path)
    clock = None
    for pkt in _iter_packets(path, tshark):
        cls, info = classify(pkt)
        ref.total += 1
        if not raw_times:
            if clock is not None and info["time_ns"] < clock:
                info["time_ns"] = clock
            clock = info["time_ns"]
        if cls == "flow":
            key, d = make_key(info["ipver"], info["src"], info["sport"], info["dst"],
                              info["dport"], info["proto"], info["vlan"])
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


def format_key(key):
    ipver, a, b, proto, vlan = key

    def end(e):
        t = addr_text(e[0])
        return ("[%s]:%d" % (t, e[1])) if ipver == 6 else ("%s:%d" % (t, e[1]))
    s = "%s <-> %s proto %d" % (end(a), end(b), proto)
    if vlan:
        s += " vlan %d" % vlan
    return s


def flow_json(key, f):
    """The flow as a spanflow-like record; src = sender of the first packet."""
    ipver, a, b, proto, vlan = key
    d = f.first_dir
    src, dst = (a, b) if d == 0 else (b, a)
    return {
        "start_ns": f.first_ns, "end_ns": f.last_ns,
        "src_addr": addr_text(src[0]), "src_port": src[1],
        "dst_addr": addr_text(dst[0]), "dst_port": dst[1],
        "proto": proto, "ip_version": ipver, "vlan": vlan,
        "packets": f.packets[d], "bytes": f.bytes[d],
        "rev_packets": f.packets[1 - d], "rev_bytes": f.bytes[1 - d],
        "tcp_flags": f.flags[d], "rev_tcp_flags": f.flags[1 - d],
        "dscp": f.first_dscp,
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
    args = ap.parse_args(argv)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet under `| head`
    try:
        ref = analyze(args.capture, tshark=args.tshark,
                      keep_frames=args.frames or bool(args.intervals),
                      raw_times=args.raw_times)
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
