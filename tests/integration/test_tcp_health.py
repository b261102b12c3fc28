#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
TCP health against tshark 4.0's tcp.analysis (tools/tcpref.py): on every TCP
capture of tests/data (tcp_health.pcap: one connection per verdict, from
tools/gen_tcp.py), and on the corpus's when present, each TCP record's
retransmissions (fast and spurious included) and their bytes, out-of-order
packets, duplicate ACKs and zero windows per direction, first flags, SYN
options, and rtt_server_ns + rtt_client_ns against tshark's initial_rtt.
Records are the same for --workers 1, 2 and 4; without --tcp-analysis (the
default) records have none of the fields; over the captures every verdict is
exercised. Zeek's conn_state and history: on tcp_health.pcap and tcp_zeek.pcap
(tools/gen_tcp.py --zeek) each connection's pair equals the one worked out by
hand from Zeek's rules (gen_tcp.ZEEK, HEALTH_ZEEK below); test_zeek_conn.py
checks them against Zeek's own test baselines.

Usage: test_tcp_health.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import collections
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402

sys.path.insert(0, str(sf.REPO / "tools"))
import gen_tcp  # noqa: E402
import tcpref  # noqa: E402
from test_http import Server  # noqa: E402

DATA = ["tcp_health.pcap", "tcp_zeek.pcap", "smtp.pcap", "ssh.pcap", "sample.pcap", "KakaoTalk_chat.pcap",
        "tcp_scan.pcapng.pcap", "mqtt.pcap", "opc-ua.pcap"]
CORPUS = ["1kxun.pcap", "android.pcap", "netflix.pcap", "iphone.pcap", "ftp.pcap",
          "tls_long_cert.pcap", "http_ipv6.pcap", "443-firefox.pcap", "synscan.pcap",
          "bittorrent.pcap", "gnutella.pcap"]
BIG = "100000"  # s: one record per connection (timeouts out of the way)
# Zeek's (conn_state, history) of tcp_health.pcap's connections, by client port,
# worked out by hand from Zeek's TCP analyzer: 30012 (simultaneous open) is the
# second connection Zeek sees, the server's SYN with another ISN starting it.
HEALTH_ZEEK = {
    30001: ("SF", "ShADdFf"), 30002: ("SF", "ShAFf"), 30003: ("SF", "ShAFf"),
    30004: ("SF", "ShADaTFf"), 30005: ("SF", "ShADTaFf"), 30006: ("SF", "ShADaTFf"),
    30007: ("SF", "ShADTaFf"), 30008: ("SF", "ShADawTFf"), 30009: ("SF", "ShADaTFf"),
    30010: ("SF", "ShADTaFf"), 30011: ("RSTR", "ShADr"), 30012: ("SF", "ShafF"),
    30013: ("REJ", "Sr"), 30014: ("SF", "ShADaFf"), 30015: ("SF", "ShADFf"),
    30016: ("OTH", "Dda"),
}


def zeek_problems(recs, want):
    """Records' (conn_state, history) against want, keyed by the client's port."""
    probs, seen = [], set()
    for r in recs:
        port = r["src_port"] if r["src_port"] in want else r["dst_port"]
        if port not in want:
            probs.append("unexpected record %s" % r)
            continue
        seen.add(port)
        got = (r.get("conn_state"), r.get("history"))
        if got != want[port]:
            probs.append("port %d: %s, expected %s" % (port, got, want[port]))
    probs += ["port %d: no record" % p for p in sorted(set(want) - seen)]
    return probs


def main():
    binary, data = sf.usage_args()
    if shutil.which("tshark") is None:
        print("tshark not installed")
        sys.exit(77)
    ck = sf.Checker("TCP health fields = tshark's tcp.analysis")
    caps = [data / n for n in DATA]
    corpus = sf.corpus_dir()
    if corpus is not None:
        caps += [corpus / n for n in CORPUS if (corpus / n).exists()]
    grand = {}
    with tempfile.TemporaryDirectory(prefix="sf-tcp-") as tmp:
        py = sf.scapy_python()
        if py is not None:
            regen = Path(tmp) / "tcp_health.pcap"
            subprocess.run([py, str(sf.REPO / "tools" / "gen_tcp.py"), str(regen)], check=True)
            ck.check(regen.read_bytes() == (data / "tcp_health.pcap").read_bytes(),
                     "tools/gen_tcp.py writes tests/data/tcp_health.pcap byte for byte")
            regen = Path(tmp) / "tcp_zeek.pcap"
            subprocess.run([py, str(sf.REPO / "tools" / "gen_tcp.py"), "--zeek", str(regen)],
                           check=True)
            ck.check(regen.read_bytes() == (data / "tcp_zeek.pcap").read_bytes(),
                     "tools/gen_tcp.py --zeek writes tests/data/tcp_zeek.pcap byte for byte")
        for path in caps:
            name = path.name
            pkts = tcpref.packets(path)
            runs = {}
            states = {}
            for w in (1, 2, 4):
                fl = Path(tmp) / ("%s.w%d.jsonl" % (name, w))
                iv = Path(tmp) / ("%s.w%d.iv.jsonl" % (name, w))
                r = sf.run(binary, ["-r", path, "-q", "--no-http", "--tcp-analysis", "-w", w,
                                    "--idle-timeout", BIG, "--active-timeout", BIG,
                                    "--flows", fl, "--intervals", iv])
                if not ck.check(r.rc == 0, "%s -w %d: exits 0" % (name, w), r.describe()):
                    continue
                runs[w] = sf.load_jsonl(fl)
                states[w] = collections.Counter()
                for line in sf.load_jsonl(iv):
                    for c in line.get("tcp_conn_states", []):
                        states[w][c["conn_state"]] += c["flows"]
            if 1 not in runs:
                continue
            recs = runs[1]
            probs = sf.record_problems(recs)
            ck.check(not probs, "%s: %d records well-formed" % (name, len(recs)),
                     "\n".join(probs))
            exp = tcpref.expected(pkts, recs)
            probs = tcpref.record_problems(recs, exp)
            tot = tcpref.totals(exp)
            for k, v in tot.items():
                grand[k] = grand.get(k, 0) + v
            grand["records"] = grand.get("records", 0) + len(exp)
            ck.check(not probs, "%s: %d TCP records equal tshark's view (%s)"
                     % (name, len(exp), ", ".join("%s %d" % kv for kv in tot.items())),
                     "\n".join(probs[:15]))
            want = {"tcp_health.pcap": HEALTH_ZEEK, "tcp_zeek.pcap": gen_tcp.ZEEK}.get(name)
            if want is not None:
                probs = zeek_problems(recs, want)
                ck.check(not probs, "%s: conn_state and history of %d connections as Zeek's "
                         "rules give them" % (name, len(want)), "\n".join(probs))
            # Intervals count each TCP flow that ended by its conn_state.
            ended = collections.Counter(x["conn_state"] for x in recs
                                        if "conn_state" in x and x["end_reason"] != "active")
            ck.check(all(states.get(w) == ended for w in runs) and (ended or name not in (
                "tcp_health.pcap", "tcp_zeek.pcap")),
                     "%s: intervals' tcp_conn_states = the ended records' (%d flows)"
                     % (name, sum(ended.values())),
                     "records %s\nintervals %s" % (dict(ended), {w: dict(c) for w, c in
                                                               states.items()}))
            for w in (2, 4):
                if w in runs:
                    diff = sf.flows_equal_summary(recs, runs[w])
                    ck.check(diff is None, "%s: records -w %d == -w 1" % (name, w), diff)
        # Every verdict met at least once over the captures.
        ck.check(grand.get("continued", 0) * 20 <= grand.get("records", 1),
                 "records not compared (a SYN with the same ISN after FIN or RST): %d of %d"
                 % (grand.get("continued", 0), grand.get("records", 0)))
        for k in tcpref.COUNTERS + ("rtt",):
            ck.check(grand.get(k, 0) > 0, "verdict %s exercised: %d" % (k, grand.get(k, 0)))
        # The API's top flows carry the whole record, TCP health and tunnel facts
        # included: IPv6 TCP in IPv6 GRE with MPLS labels makes the longest lines.
        fl = Path(tmp) / "api.jsonl"
        cap = data / "tunnels" / "tun_gre.pcap"
        with Server(binary, ["-r", cap, "--serve", "--tcp-analysis", "--flows", fl],
                    tmp) as srv:
            ok = srv.wait_finished()
            top = srv.json("/api/v1/flows/top") if ok else {}
        recs = sf.load_jsonl(fl) if ok else []
        run = top.get("run", [])
        ck.check(ok and len(run) == min(10, len(recs)) and
                 all(x in recs for x in run) and any("retrans_packets" in x for x in run),
                 "/api/v1/flows/top: %d whole records, TCP health fields in them" % len(run),
                 "top %s\nrecords %s" % (run[:2], recs[:2]))
        fl = Path(tmp) / "off.jsonl"
        r = sf.run(binary, ["-r", data / "tcp_health.pcap", "-q", "--no-http", "--flows", fl])
        recs = sf.load_jsonl(fl) if r.rc == 0 else []
        ck.check(recs and not any(k in x for x in recs for k in sf.TCP_FIELDS),
                 "without --tcp-analysis: %d records without TCP health fields" % len(recs),
                 r.describe())
    ck.finish()


if __name__ == "__main__":
    main()
