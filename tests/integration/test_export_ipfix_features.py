#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Flow features over IPFIX, against the JSON records of the same run. Each run
(a capture, a mode, --features alone or with --app --tcp-analysis) exports
IPFIX to a loopback receiver and JSON lines at once:
  * a record with features (JSON "bidirectional_min_ps") goes in the feature
    template of its variant, 275 + (IPv6 1 | tunnelled 2 | TCP health 4 |
    app metadata 8); every other record keeps its template (256..274);
  * ipfixDump (libfixbuf, which learns spanflow's elements 22..35 from their
    RFC 5610 type records, float64 among them) decodes each feature element
    to the JSON record's value: sizes as integers; the float64 values as
    ipfixDump prints them, "%.8g" (8 significant digits: its printing
    rounds, so this compares the double to within half a unit of the 8th
    digit, a relative 5e-9), equal as text to "%.8g" of the JSON double;
  * the same records decoded from the raw messages by the small RFC 7011
    parser below: every float64 bit for bit the JSON double (JSON carries
    the shortest text that reads back to the same double), every unsigned32
    the JSON integer;
  * biflow: dst2src in the reverse elements (RFC 5103's PEN 29305 for IANA's
    minimum/maximumIpTotalLength, spanflow's id | 0x4000 for its own);
    uniflow: no reverse elements, the responder's record carries dst2src as
    its src2dst, the bidirectional values the same in both records;
  * without --features no feature template and no feature element.
The SPLT lists stay out of IPFIX (no list encoding).

Usage: test_export_ipfix_features.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import ipaddress
import os
import shutil
import struct
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402

# IPv4 TCP and UDP (KakaoTalk_chat), UDP DNS with fragments (dns_fragmented),
# IPv6 TCP (http_ipv6), tunnelled IPv4 (sample: VXLAN; vxlan: TLS and DNS),
# tunnelled IPv6 in IPv4 (6in4tunnel), QUIC over IPv6 (quic-v2), TCP in GRE
# (tun_gre: a tunnelled IPv4 TCP flow without app metadata). Together they meet
# every feature template, 275..290.
CAPTURES = ["KakaoTalk_chat.pcap", "dns_fragmented.pcap", "ipfix_app/http_ipv6.pcap",
            "sample.pcap", "vxlan.pcap", "6in4tunnel.pcap", "quic-v2.pcapng.pcap",
            "tunnels/tun_gre.pcap"]
PEN = 32473
RPEN = 29305
REV = 0x4000

WAYS = ("bidirectional", "src2dst", "dst2src")
STATS = ("min_ps", "mean_ps", "stddev_ps", "max_ps",
         "min_piat_ms", "mean_piat_ms", "stddev_piat_ms", "max_piat_ms")
# (way, stat) -> ((pen, id), ipfixDump's name), biflow; dst2src the reverse of src2dst.
ELEMENTS = {
    ("bidirectional", "min_ps"): ((PEN, 22), "spanflowBidirectionalMinPs"),
    ("bidirectional", "mean_ps"): ((PEN, 23), "spanflowBidirectionalMeanPs"),
    ("bidirectional", "stddev_ps"): ((PEN, 24), "spanflowBidirectionalStddevPs"),
    ("bidirectional", "max_ps"): ((PEN, 25), "spanflowBidirectionalMaxPs"),
    ("bidirectional", "min_piat_ms"): ((PEN, 26), "spanflowBidirectionalMinPiatMs"),
    ("bidirectional", "mean_piat_ms"): ((PEN, 27), "spanflowBidirectionalMeanPiatMs"),
    ("bidirectional", "stddev_piat_ms"): ((PEN, 28), "spanflowBidirectionalStddevPiatMs"),
    ("bidirectional", "max_piat_ms"): ((PEN, 29), "spanflowBidirectionalMaxPiatMs"),
    ("src2dst", "min_ps"): ((0, 25), "minimumIpTotalLength"),
    ("src2dst", "mean_ps"): ((PEN, 30), "spanflowMeanPs"),
    ("src2dst", "stddev_ps"): ((PEN, 31), "spanflowStddevPs"),
    ("src2dst", "max_ps"): ((0, 26), "maximumIpTotalLength"),
    ("src2dst", "min_piat_ms"): ((PEN, 32), "spanflowMinPiatMs"),
    ("src2dst", "mean_piat_ms"): ((PEN, 33), "spanflowMeanPiatMs"),
    ("src2dst", "stddev_piat_ms"): ((PEN, 34), "spanflowStddevPiatMs"),
    ("src2dst", "max_piat_ms"): ((PEN, 35), "spanflowMaxPiatMs"),
}
for _s in STATS:
    (_pen, _ie), _name = ELEMENTS[("src2dst", _s)]
    ELEMENTS[("dst2src", _s)] = ((RPEN, _ie) if _pen == 0 else (PEN, _ie | REV),
                                 "reverse" + _name[0].upper() + _name[1:])
INTS = {"min_ps", "max_ps"}
FEAT_NAMES = {n for _, n in ELEMENTS.values()}
FEAT_IDS = {k for k, _ in ELEMENTS.values()}
PLAIN_TIDS = {(4, False, False): 256, (6, False, False): 257, (4, True, False): 260,
              (6, True, False): 261, (4, False, True): 263, (6, False, True): 264,
              (4, True, True): 265, (6, True, True): 266}
FEAT_TIDS = set(range(275, 291))
FLOW_TIDS = set(PLAIN_TIDS.values()) | set(range(267, 275)) | FEAT_TIDS


def tid_of(ipver, tun, tcp, app, feat):
    if feat:
        return 275 + (ipver == 6) + 2 * tun + 4 * tcp + 8 * app
    if app:
        return 267 + (ipver == 6) + 2 * tun + 4 * tcp
    return PLAIN_TIDS[(ipver, tun, tcp)]


def raw_records(msgs):
    """
    RFC 7011 by hand: the flow data records of the messages as
    {tid, key: (source, sport, dport, start ms), (pen, id): raw bytes}.
    """
    templates = {}
    out = []
    for m in msgs:
        if len(m) < 16 or struct.unpack(">H", m[:2])[0] != 10:
            raise ValueError("not an IPFIX message")
        off, end = 16, struct.unpack(">H", m[2:4])[0]
        while off < end:
            sid, slen = struct.unpack(">HH", m[off:off + 4])
            p, send = off + 4, off + slen
            if sid == 2:
                while p + 4 <= send:
                    tid, n = struct.unpack(">HH", m[p:p + 4])
                    p += 4
                    fields = []
                    for _ in range(n):
                        ie, ln = struct.unpack(">HH", m[p:p + 4])
                        p += 4
                        pen = 0
                        if ie & 0x8000:
                            pen = struct.unpack(">I", m[p:p + 4])[0]
                            p += 4
                        fields.append(((pen, ie & 0x7fff), ln))
                    templates[tid] = fields
            elif sid in FLOW_TIDS:
                fields = templates[sid]
                while p < send:
                    rec = {"tid": sid}
                    for k, ln in fields:
                        if ln == 0xffff:
                            ln = m[p]
                            p += 1
                            if ln == 255:
                                ln = struct.unpack(">H", m[p:p + 2])[0]
                                p += 2
                        rec[k] = m[p:p + ln]
                        p += ln
                    if p > send:
                        raise ValueError("a record past its set")
                    a = rec.get((0, 8)) or rec.get((0, 27))
                    rec["key"] = (str(ipaddress.ip_address(a)),
                                  struct.unpack(">H", rec[(0, 7)])[0],
                                  struct.unpack(">H", rec[(0, 11)])[0],
                                  struct.unpack(">Q", rec[(0, 152)])[0])
                    out.append(rec)
            off = send
    return out








def raw_export(binary, cap, tmp, label, args):
    """sf.ipfix_export, its messages decoded here too (the float64s' bytes)."""
    recs, dumped, msgs, err = sf.ipfix_export(binary, cap, tmp, label, args, FLOW_TIDS)
    if err is not None:
        return None, None, None, err
    try:
        return recs, dumped, raw_records(msgs), None
    except (ValueError, KeyError, IndexError, struct.error) as e:
        return None, None, None, "raw decoding: %r" % e


def group(recs, key):
    out = {}
    for d in recs:
        out.setdefault(key(d), []).append(d)
    return out


def wanted(rec, bi, reverse):
    """{(way, stat): JSON value} the IPFIX record carries, by the element's (way, stat)."""
    want = {}
    for s in STATS:
        want[("bidirectional", s)] = rec["bidirectional_" + s]
        if bi:
            want[("src2dst", s)] = rec["src2dst_" + s]
            want[("dst2src", s)] = rec["dst2src_" + s]
        else:
            want[("src2dst", s)] = rec[("dst2src_" if reverse else "src2dst_") + s]
    return want


def dumped_problems(want, d):
    """ipfixDump's values against the JSON's: integers equal, float64 to its 8 digits."""
    bad = {}
    for (way, s), v in want.items():
        name = ELEMENTS[(way, s)][1]
        got = d.get(name)
        ok = got is not None and (str(v) == got if s in INTS else "%.8g" % v == got)
        if not ok:
            bad[name] = (v, got)
    return bad


def raw_problems(want, d):
    """The raw bytes against the JSON's: unsigned32, or the double's 8 bytes exactly."""
    bad = {}
    for (way, s), v in want.items():
        k = ELEMENTS[(way, s)][0]
        exp = struct.pack(">I", v) if s in INTS else struct.pack(">d", float(v))
        if d.get(k) != exp:
            bad["%d/%d" % k] = (exp.hex(), d[k].hex() if k in d else None)
    return bad


def compare(ck, label, recs, dumped, mine, bi, feat_on, app_on):
    """Every JSON record against its ipfixDump and raw records."""
    by_dump = group(dumped, lambda d: (sf.ipfix_addr(d), int(d["sourceTransportPort"]),
                                       int(d["destinationTransportPort"]),
                                       d["flowStartMilliseconds"]))
    by_raw = group(mine, lambda d: d["key"])
    bad = []
    n_feat = 0
    n_values = 0
    for rec in recs:
        feat = "bidirectional_min_ps" in rec
        n_feat += feat
        tid = tid_of(rec["ip_version"], "encap" in rec, "retrans_packets" in rec,
                     "app" in rec, feat)
        ends = [(rec["src_addr"], rec["src_port"], rec["dst_port"], False, rec["packets"])]
        if not bi:
            ends.append((rec["dst_addr"], rec["dst_port"], rec["src_port"], True,
                         rec["rev_packets"]))
        for a, sport, dport, reverse, pkts in ends:
            if not pkts and not bi:
                continue
            a = str(ipaddress.ip_address(a))
            what = "%s:%d -> %d%s" % (a, sport, dport, " reverse record" if reverse else "")
            dl = by_dump.get((a, sport, dport, sf.ipfix_ms_text(rec["start_ns"])), [])
            rl = by_raw.get((a, sport, dport, rec["start_ns"] // 1000000), [])
            if not dl or not rl:
                bad.append("%s: no IPFIX record (ipfixDump %d, raw %d)" % (what, len(dl),
                                                                            len(rl)))
                continue
            d, r = dl.pop(0), rl.pop(0)
            if d["tid"] != tid or r["tid"] != tid:
                bad.append("%s: template %s/%s, want %d" % (what, d["tid"], r["tid"], tid))
                continue
            names = FEAT_NAMES & set(d)
            ids = FEAT_IDS & set(r)
            if not feat:
                if names or ids:
                    bad.append("%s: feature elements in a record without features" % what)
                continue
            want = wanted(rec, bi, reverse)
            if len(names) != len(want) or len(ids) != len(want):
                bad.append("%s: %d/%d feature elements, want %d" % (what, len(names),
                                                                     len(ids), len(want)))
            p1 = dumped_problems(want, d)
            p2 = raw_problems(want, r)
            n_values += len(want)
            if p1 or p2:
                bad.append("%s: (JSON, ipfixDump) %s; (JSON bytes, raw bytes) %s"
                           % (what, p1, p2))
    left = sum(len(v) for v in by_dump.values())
    ck.check(recs and not bad and left == 0,
             "%s: %d records (%d with features) equal in IPFIX: template ids, %d feature "
             "values (ipfixDump to 8 digits, raw bit for bit); %d IPFIX records unmatched"
             % (label, len(recs), n_feat, n_values, left), "\n".join(bad[:8]))
    if feat_on:
        ck.check(n_feat > 0, "%s: records with features met" % label)
    else:
        ck.check(n_feat == 0 and not FEAT_TIDS & {d["tid"] for d in dumped},
                 "%s: without --features no feature key and no feature template" % label)
    if not app_on:
        ck.check(not any("app" in r for r in recs), "%s: no app metadata" % label)
    return {d["tid"] for d in dumped}


def main():
    binary, data = sf.usage_args()
    if shutil.which("ipfixDump") is None:
        print("ipfixDump not installed (tools/setup.sh --test installs libfixbuf-tools)")
        sys.exit(77)
    ck = sf.Checker("flow features over IPFIX, decoded by ipfixDump and by hand")
    tmp = Path(tempfile.mkdtemp(prefix="sf_ipfix_feat_"))
    tids = set()
    try:
        for extra in ([], ["--app", "--tcp-analysis"]):
            for cap in CAPTURES:
                for mode in ("biflow", "uniflow"):
                    label = "%s %s --features%s" % (cap, mode, "".join(" " + a for a in extra))
                    recs, dumped, mine, err = raw_export(
                        binary, data / cap, tmp, label.replace("/", "_").replace(" ", "_"),
                        ["--features", "--ipfix-mode", mode] + extra)
                    if not ck.check(err is None, "%s: spanflow exports, ipfixDump reads" % label,
                                    err or ""):
                        continue
                    tids |= compare(ck, label, recs, dumped, mine, mode == "biflow", True,
                                    bool(extra))
        cap = "6in4tunnel.pcap"
        recs, dumped, mine, err = raw_export(binary, data / cap, tmp, "off",
                                             ["--app", "--tcp-analysis"])
        if ck.check(err is None, "%s without --features: exported" % cap, err or ""):
            compare(ck, "%s without --features" % cap, recs, dumped, mine, True, False, True)
        ck.check(tids >= FEAT_TIDS, "records met in every feature template (275..290): %s"
                 % sorted(tids & FEAT_TIDS))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ck.finish()


if __name__ == "__main__":
    main()
