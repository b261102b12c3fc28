#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
TCP health over IPFIX, decoded by ipfixDump (libfixbuf), which learns
spanflow's enterprise elements from their RFC 5610 type records:
  * with --tcp-analysis, every analysed TCP flow's record goes in a TCP
    template (263 IPv4, 264 IPv6, 265/266 tunnelled), and each TCP health
    value ipfixDump decodes equals the JSON-lines record of the same run,
    absent values as the README says (RTT and MSS 0, window scale 65535,
    SACK/timestamps 255); every other record keeps its template (256, 257,
    260, 261) without TCP elements;
  * in biflow mode the responder's values are the reverse elements
    (reverseTcpWindowScale, PEN 29305; spanflow's reverse elements, id | 0x4000);
    in uniflow mode the second record carries them as forward elements;
  * Zeek's conn_state (unsigned8) and history (a variable-length string)
    equal the JSON record's;
  * without --tcp-analysis no record has a TCP element.
Over the captures every element carries a non-zero value and every absent
value occurs somewhere, so the comparisons are not of zeros only.

Usage: test_export_ipfix_tcp.py SPANFLOW_BINARY TESTS_DATA_DIR
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

# tcp_health: one connection per verdict; sample: IPv4 and IPv6, tunnelled, not
# TCP, handshakes not seen; tun_gre: IPv6 TCP in GRE; tcp_scan: SYNs unanswered;
# dns_fragmented: plain IPv6 TCP.
CAPTURES = ["tcp_health.pcap", "tcp_zeek.pcap", "sample.pcap", "tunnels/tun_gre.pcap", "tcp_scan.pcapng.pcap",
            "dns_fragmented.pcap"]
UNIFLOW_CAPTURES = ["tcp_health.pcap", "sample.pcap"]

# JSON key -> (ipfixDump name of the forward element, value sent when absent).
# A rev_ key is the reverse element in biflow mode ("reverse" + Name).
ELEMENTS = {
    "rtt_server_ns": ("spanflowRttServerNanoseconds", 0),
    "rtt_client_ns": ("spanflowRttClientNanoseconds", 0),
    "retrans_packets": ("spanflowRetransPacketDeltaCount", None),
    "retrans_bytes": ("spanflowRetransOctetDeltaCount", None),
    "ooo_packets": ("spanflowOutOfOrderPacketDeltaCount", None),
    "dup_acks": ("spanflowDupAckDeltaCount", None),
    "zero_windows": ("spanflowZeroWindowDeltaCount", None),
    "tcp_init_flags": ("spanflowInitialTcpFlags", None),
    "syn_mss": ("spanflowSynMss", 0),
    "syn_wscale": ("tcpWindowScale", 65535),
    "syn_sack": ("spanflowSynSackPermitted", 255),
    "syn_ts": ("spanflowSynTimestamps", 255),
    "syn_packets": ("tcpSynTotalCount", None),
    "fin_packets": ("tcpFinTotalCount", None),
    "rst_packets": ("tcpRstTotalCount", None),
    "psh_packets": ("tcpPshTotalCount", None),
    "ack_packets": ("tcpAckTotalCount", None),
    "urg_packets": ("tcpUrgTotalCount", None),
}
# Zeek's conn_state (unsigned8, 1 S0 ... 13 OTH) and history (a string), the
# connection's: no reverse element, the same in both uniflow records.
ZEEK_STATES = ["S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH",
               "SHR", "OTH"]
# Handshake facts of the connection: no reverse element, the same in both uniflow records.
NO_REV = ("rtt_server_ns", "rtt_client_ns")
TCP_TIDS = {(4, False): 263, (6, False): 264, (4, True): 265, (6, True): 266}
PLAIN_TIDS = {(4, False): 256, (6, False): 257, (4, True): 260, (6, True): 261}
# The flow templates ipfixDump's records are taken from.
FLOW_TIDS = set(TCP_TIDS.values()) | set(PLAIN_TIDS.values())


def rev_name(name):
    return "reverse" + name[0].upper() + name[1:]


TCP_NAMES = {n for n, _ in ELEMENTS.values()} | {rev_name(n) for n, _ in ELEMENTS.values()} | {
    "spanflowZeekConnState", "spanflowZeekHistory"}










def expected(rec, rev_record, bi):
    """The TCP elements of one IPFIX record of `rec`: {name: value}. rev_record: the
    uniflow record of the responder's direction."""
    want = {}
    for key, (name, absent) in ELEMENTS.items():
        for rev in ((False, True) if bi and key not in NO_REV else (rev_record,)):
            k = key if key in NO_REV or not rev else "rev_" + key
            v = rec.get(k, absent)
            if v is None:
                v = -1  # a counter missing from an analysed record: a failure below
            if bi and rev:
                want[rev_name(name)] = v
            else:
                want[name] = v
    return want


def compare(ck, label, recs, dumped, bi, analysed):
    """Every JSON record against its IPFIX record(s): template and TCP elements."""
    got = sf.ipfix_by_key(dumped)
    bad = []
    n_tcp = 0
    for rec in recs:
        tcp = "retrans_packets" in rec
        tun = "encap" in rec
        n_tcp += tcp
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
            tids = TCP_TIDS if tcp else PLAIN_TIDS
            want = {"tid": tids[(rec["ip_version"], tun)]}
            have = {"tid": d["tid"]}
            if tcp:
                want.update(expected(rec, rev_record, bi))
                for name in want:
                    if name != "tid":
                        have[name] = int(d[name]) if name in d else "missing"
                st = rec.get("conn_state")
                want["spanflowZeekConnState"] = ZEEK_STATES.index(st) + 1 if st else "missing"
                have["spanflowZeekConnState"] = int(d.get("spanflowZeekConnState", -1))
                want["spanflowZeekHistory"] = rec.get("history", "")
                m = re.match(r"\(len: (\d+)\) ?(.*)$", d.get("spanflowZeekHistory", ""))
                have["spanflowZeekHistory"] = m.group(2) if m and int(m.group(1)) == len(
                    m.group(2)) else "undecoded %r" % d.get("spanflowZeekHistory")
            extra = [n for n in d if n in TCP_NAMES]
            if not tcp and extra:
                bad.append("%s: TCP elements in a record without TCP health: %s"
                           % (sf.canon(rec), extra))
            if not bi and any(n.startswith("reverse") for n in d):
                bad.append("%s: reverse elements in uniflow mode" % sf.canon(rec))
            if want != have:
                diff = {n: (want[n], have.get(n)) for n in want if want[n] != have.get(n)}
                bad.append("%s:%d -> %d%s: (JSON, ipfixDump) %s" % (
                    a, sport, dport, " reverse record" if rev_record else "", diff))
    left = sum(len(v) for v in got.values())
    ck.check(recs and not bad and left == 0,
             "%s: %d records (%d with TCP health) equal in IPFIX: template ids and every TCP "
             "value; %d IPFIX records unmatched" % (label, len(recs), n_tcp, left),
             "\n".join(bad[:8]))
    if not analysed:
        ck.check(n_tcp == 0, "%s: without --tcp-analysis no record has TCP health" % label)
    return n_tcp


def main():
    binary, data = sf.usage_args()
    if shutil.which("ipfixDump") is None:
        print("ipfixDump not installed (tools/setup.sh --test installs libfixbuf-tools)")
        sys.exit(77)
    ck = sf.Checker("TCP health over IPFIX, decoded by ipfixDump")
    tmp = Path(tempfile.mkdtemp(prefix="sf_ipfix_tcp_"))
    absent = {}    # JSON field -> records without it (analysed TCP, biflow runs)
    nonzero = {}   # IPFIX element -> records with a non-zero value (every run)
    tids = set()
    try:
        for cap in CAPTURES:
            for mode in ("biflow", "uniflow"):
                if mode == "uniflow" and cap not in UNIFLOW_CAPTURES:
                    continue
                label = "%s %s" % (cap, mode)
                recs, dumped, _, err = sf.ipfix_export(
                    binary, data / cap, tmp, label.replace("/", "_"),
                    ["--tcp-analysis", "--ipfix-mode", mode], FLOW_TIDS)
                if not ck.check(err is None, "%s: spanflow exports, ipfixDump reads" % label,
                                err or ""):
                    continue
                compare(ck, label, recs, dumped, mode == "biflow", True)
                tids |= {d["tid"] for d in dumped}
                for d in dumped:
                    for n in TCP_NAMES & set(d):
                        nonzero[n] = nonzero.get(n, 0) + (d[n] != "0")
                if mode != "biflow":
                    continue
                for rec in recs:
                    if "retrans_packets" not in rec:
                        continue
                    for key in ELEMENTS:
                        for k in (key,) if key in NO_REV else (key, "rev_" + key):
                            absent[k] = absent.get(k, 0) + (k not in rec)
        # Unanalysed: today's templates only.
        recs, dumped, _, err = sf.ipfix_export(binary, data / "tcp_health.pcap", tmp, "off", [],
                                               FLOW_TIDS)
        if ck.check(err is None, "tcp_health.pcap without --tcp-analysis: exported", err or ""):
            compare(ck, "tcp_health.pcap without --tcp-analysis", recs, dumped, True, False)
        ck.check(tids >= {256, 257, 260, 261, 263, 264, 265, 266},
                 "records met in every template: %s" % sorted(tids))
        # Never sent: the reverse RTTs; no responder sets URG in these captures.
        zero = sorted(n for n in TCP_NAMES if n not in [rev_name(x) for x in (
            ELEMENTS["rtt_server_ns"][0], ELEMENTS["rtt_client_ns"][0],
            ELEMENTS["urg_packets"][0])] and not nonzero.get(n))
        ck.check(not zero, "every TCP element carries a non-zero value in some record",
                 "always 0 or never sent: %s" % zero)
        never = [k for k in ("rtt_server_ns", "syn_mss", "rev_syn_mss", "syn_wscale",
                             "rev_syn_wscale", "rev_syn_sack", "rev_syn_ts")
                 if not absent.get(k)]
        ck.check(not never, "absent values met: RTT, MSS, window scale, SYN options",
                 "never absent: %s" % never)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ck.finish()


if __name__ == "__main__":
    main()
