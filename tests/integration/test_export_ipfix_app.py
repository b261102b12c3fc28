#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Application metadata over IPFIX, decoded by ipfixDump (libfixbuf), which
learns spanflow's enterprise elements (40..52) from their RFC 5610 type
records. One run per capture and mode exports IPFIX to a loopback receiver
and JSON lines at once, with --app and --tcp-analysis:
  * a record with metadata (JSON "app") goes in the app template of its
    variant, 267 + (IPv6 1 | tunnelled 2 | TCP health 4); every other
    record keeps its template (256, 257, 260, 261, 263..266) without app
    elements;
  * each app element ipfixDump decodes equals the JSON record's: the kind
    (1 tls, 2 quic, 3 dns, 4 http), texts (empty when JSON has none), TLS
    version (JSON's name, 0 when absent), QUIC version and DNS query type (0
    when absent), DNS rcode (255 when absent);
  * biflow and uniflow alike: the metadata is the connection's, no reverse
    elements; uniflow's two records both carry it;
  * without --app no record has an app element.
Over the captures every app template is met, and each element carries a
non-empty, non-zero value somewhere.

Usage: test_export_ipfix_app.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import ipaddress
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402

# ipfix_app/: TLS over IPv4, DNS over IPv4, TLS over IPv6 and flows without metadata;
# 6in4tunnel: HTTP, TLS and DNS over IPv6 in IPv4 (tunnelled); vxlan: TLS and DNS
# tunnelled, IPv4; ocs: HTTP over IPv4; quic-v2 / quic_0RTT: QUIC over IPv6 / IPv4.
CAPTURES = ["ipfix_app/443-firefox.pcap", "ipfix_app/bad-dns-traffic.pcap",
            "ipfix_app/http_ipv6.pcap", "6in4tunnel.pcap", "vxlan.pcap", "ocs.pcap",
            "quic-v2.pcapng.pcap", "quic_0RTT.pcap"]

KINDS = {"tls": 1, "quic": 2, "dns": 3, "http": 4}
# JSON key -> ipfixDump's name (README, "Export to collectors").
TEXTS = {
    "tls_sni": "spanflowTlsServerName",
    "tls_alpn": "spanflowTlsAlpn",
    "tls_ja3": "spanflowTlsJa3",
    "tls_ja4": "spanflowTlsJa4",
    "dns_qname": "spanflowDnsQueryName",
    "http_host": "spanflowHttpHost",
    "http_method": "spanflowHttpMethod",
    "http_user_agent": "spanflowHttpUserAgent",
}
# JSON key -> (name, value sent when absent)
NUMBERS = {
    "quic_version": ("spanflowQuicVersion", 0),
    "dns_qtype": ("spanflowDnsQueryType", 0),
    "dns_rcode": ("spanflowDnsResponseCode", 255),
}
APP_NAMES = set(TEXTS.values()) | {n for n, _ in NUMBERS.values()} | {
    "spanflowAppKind", "spanflowTlsVersion"}
# What an element holds when the record has no such value.
ABSENT = dict({n: ("(len: 0) ", "(len: 0)") for n in TEXTS.values()},
              **{n: (str(a),) for n, a in NUMBERS.values()}, spanflowAppKind=("0",),
              spanflowTlsVersion=("0",))
PLAIN_TIDS = {(4, False, False): 256, (6, False, False): 257, (4, True, False): 260,
              (6, True, False): 261, (4, False, True): 263, (6, False, True): 264,
              (4, True, True): 265, (6, True, True): 266}
APP_TIDS = set(range(267, 275))
FLOW_TIDS = set(PLAIN_TIDS.values()) | APP_TIDS


def app_tid(ipver, tun, tcp):
    return 267 + (ipver == 6) + 2 * tun + 4 * tcp


def tls_version(name):
    """JSON's TLS version name (sf_fmt_tlsver) -> the number; None -> 0."""
    if name is None:
        return 0
    if name == "SSL 3.0":
        return 0x0300
    m = re.match(r"TLS 1\.([0-3])$", name)
    if m:
        return 0x0301 + int(m.group(1))
    return int(name, 16)










def text_value(v):
    """ipfixDump's "(len: N) text" -> text, or a marker that says what was wrong."""
    m = re.match(r"\(len: (\d+)\) ?(.*)$", v or "", re.S)
    if not m or int(m.group(1)) != len(m.group(2).encode()):
        return "undecoded %r" % v
    return m.group(2)


def expected(rec):
    """The app elements of the record: {ipfixDump name: value}."""
    want = {"spanflowAppKind": KINDS[rec["app"]],
            "spanflowTlsVersion": tls_version(rec.get("tls_version"))}
    for key, name in TEXTS.items():
        want[name] = rec.get(key, "")
    for key, (name, absent) in NUMBERS.items():
        want[name] = rec.get(key, absent)
    return want


def have(d):
    got = {}
    for name in APP_NAMES:
        if name not in d:
            got[name] = "missing"
        elif name in TEXTS.values():
            got[name] = text_value(d[name])
        else:
            got[name] = int(d[name])
    return got


def compare(ck, label, recs, dumped, bi, app_on):
    """Every JSON record against its IPFIX record(s): template and app elements."""
    got = sf.ipfix_by_key(dumped)
    bad = []
    n_app = 0
    for rec in recs:
        app = "app" in rec
        n_app += app
        tun = "encap" in rec
        tcp = "retrans_packets" in rec
        ends = [(rec["src_addr"], rec["src_port"], rec["dst_port"], False, rec["packets"])]
        if not bi:
            ends.append((rec["dst_addr"], rec["dst_port"], rec["src_port"], True,
                         rec["rev_packets"]))
        for a, sport, dport, rev_record, pkts in ends:
            if not pkts and not bi:
                continue
            k = (str(ipaddress.ip_address(a)), sport, dport, sf.ipfix_ms_text(rec["start_ns"]))
            cands = got.get(k, [])
            if not cands:
                bad.append("no IPFIX record for %s (%s)" % (sf.canon(rec),
                                                           "reverse" if rev_record else "forward"))
                continue
            d = cands.pop(0)
            v = rec["ip_version"]
            want = {"tid": app_tid(v, tun, tcp) if app else PLAIN_TIDS[(v, tun, tcp)]}
            hv = {"tid": d["tid"]}
            if app:
                want.update(expected(rec))
                hv.update(have(d))
            extra = [n for n in d if n in APP_NAMES]
            if not app and extra:
                bad.append("%s: app elements in a record without metadata: %s"
                           % (sf.canon(rec), extra))
            if any(n.startswith("reverseSpanflow") and n[7:] in {
                    x[0].upper() + x[1:] for x in APP_NAMES} for n in d):
                bad.append("%s: a reverse app element" % sf.canon(rec))
            if want != hv:
                diff = {n: (want[n], hv.get(n)) for n in want if want[n] != hv.get(n)}
                bad.append("%s:%d -> %d%s: (JSON, ipfixDump) %s" % (
                    a, sport, dport, " reverse record" if rev_record else "", diff))
    left = sum(len(v) for v in got.values())
    ck.check(recs and not bad and left == 0,
             "%s: %d records (%d with app metadata) equal in IPFIX: template ids and every "
             "app value; %d IPFIX records unmatched" % (label, len(recs), n_app, left),
             "\n".join(bad[:8]))
    if not app_on:
        ck.check(n_app == 0, "%s: without --app no record has metadata" % label)
    return n_app


def main():
    binary, data = sf.usage_args()
    if shutil.which("ipfixDump") is None:
        print("ipfixDump not installed (tools/setup.sh --test installs libfixbuf-tools)")
        sys.exit(77)
    ck = sf.Checker("application metadata over IPFIX, decoded by ipfixDump")
    tmp = Path(tempfile.mkdtemp(prefix="sf_ipfix_app_"))
    tids = set()
    filled = {}   # app element -> records where it is non-empty / non-zero
    kinds = set()
    try:
        for cap in CAPTURES:
            for mode in ("biflow", "uniflow"):
                label = "%s %s" % (cap, mode)
                recs, dumped, _, err = sf.ipfix_export(
                    binary, data / cap, tmp, label.replace("/", "_"),
                    ["--app", "--tcp-analysis", "--ipfix-mode", mode], FLOW_TIDS)
                if not ck.check(err is None, "%s: spanflow exports, ipfixDump reads" % label,
                                err or ""):
                    continue
                n = compare(ck, label, recs, dumped, mode == "biflow", True)
                ck.check(n > 0, "%s: records with app metadata met" % label)
                tids |= {d["tid"] for d in dumped}
                kinds |= {r["app"] for r in recs if "app" in r}
                for d in dumped:
                    for name in APP_NAMES & set(d):
                        filled[name] = filled.get(name, 0) + (d[name] not in ABSENT[name])
        # Without --app: no app template, no app element.
        cap = "6in4tunnel.pcap"
        recs, dumped, _, err = sf.ipfix_export(binary, data / cap, tmp, "off", ["--tcp-analysis"],
                                               FLOW_TIDS)
        if ck.check(err is None, "%s without --app: exported" % cap, err or ""):
            compare(ck, "%s without --app" % cap, recs, dumped, True, False)
            ck.check(not {d["tid"] for d in dumped} & APP_TIDS,
                     "%s without --app: no app template" % cap)
        ck.check(tids >= APP_TIDS, "records met in every app template (267..274): %s"
                 % sorted(tids))
        ck.check(kinds == set(KINDS), "every kind met: %s" % sorted(kinds))
        empty = sorted(n for n in APP_NAMES if not filled.get(n))
        ck.check(not empty, "every app element carries a value in some record",
                 "always absent: %s" % empty)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ck.finish()


if __name__ == "__main__":
    main()
