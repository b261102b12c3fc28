#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
tcpref: tshark 4.0's tcp.analysis view of a capture, per spanflow flow
record, to check spanflow's TCP health fields against.

tshark dissects every frame (its default TCP preferences: sequence analysis
on; single pass); for each TCP header that is not in an ICMP error and not
an IP fragment it reports the verdicts tcp.analysis.retransmission (also
set for fast and spurious retransmissions), out_of_order, duplicate_ack,
zero_window, the stream's initial_rtt, the flags and the SYN options. The
packets are then given to spanflow's records: same TCP connection (the
innermost addresses and ports), the last record of it that started at or
before the packet's time (times as spanflow's clock sees them: a frame
older than one before it counts at the newest time so far). Per record
and sending end it sums:

  retrans_packets/bytes (bytes: IP total length), ooo_packets, dup_acks,
  zero_windows, the first packet's flags (tcp_init_flags), and the first
  SYN's options (MSS, window scale shift, SACK permitted, timestamps);

and takes the first initial_rtt shown on the record's packets, which
spanflow's rtt_server_ns + rtt_client_ns must equal (when none of them
shows one, tshark's rule on tshark's frames: from the stream's latest pure
SYN to its first packet with ACK and without SYN). A record that starts
inside a tshark stream an earlier record of the connection had (a SYN with
the same ISN after FIN or RST: a new flow for spanflow, the same stream for
tshark) is not compared, and counted as "continued".

Usage:
  tools/tcpref.py capture.pcap                 per-connection summary
  tools/tcpref.py capture.pcap records.jsonl   compare spanflow's records
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flowref import _ns  # noqa: E402  (tshark's decimal seconds -> ns)

FIELDS = ["frame.time_epoch", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "ip.len",
          "ipv6.plen", "tcp.srcport", "tcp.dstport", "tcp.flags", "tcp.len",
          "tcp.analysis.retransmission", "tcp.analysis.out_of_order",
          "tcp.analysis.duplicate_ack", "tcp.analysis.zero_window",
          "tcp.analysis.initial_rtt", "tcp.options.mss_val", "tcp.options.wscale.shift",
          "tcp.options.sack_perm", "tcp.options.timestamp.tsval", "ip.flags.mf",
          "ip.frag_offset", "ipv6.fragment", "icmp.type", "icmpv6.type", "frame.protocols", "tcp.stream"]

COUNTERS = ("retrans_packets", "retrans_bytes", "ooo_packets", "dup_acks", "zero_windows",
            "syn_packets", "fin_packets", "rst_packets", "psh_packets", "ack_packets",
            "urg_packets")
# Packets with each flag, by the flag's bit in tcp.flags.
FLAG_COUNTERS = (("fin_packets", 0x01), ("syn_packets", 0x02), ("rst_packets", 0x04),
                 ("psh_packets", 0x08), ("ack_packets", 0x10), ("urg_packets", 0x20))


def packets(path):
    """Every frame, in file order: None for frames without an analysed TCP
    header, else a dict; each with its spanflow clock time."""
    cmd = ["tshark", "-n", "-r", str(path), "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=l"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    clock = 0
    res = []
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        t = _ns(v["frame.time_epoch"]) if v["frame.time_epoch"] else 0
        clock = max(clock, t)
        protos = v.get("frame.protocols", "").split(":")
        if ("tcp" not in protos or v["icmp.type"] or v["icmpv6.type"] or
                (v["ip.flags.mf"] not in ("", "0", "False")) or
                v["ip.frag_offset"] not in ("", "0") or v["ipv6.fragment"]):
            res.append(None)
            continue
        # the innermost IP header: tshark lists both versions' last occurrence
        last_ip = max((i for i, p in enumerate(protos) if p in ("ip", "ipv6")), default=-1)
        v6 = last_ip >= 0 and protos[last_ip] == "ipv6"
        src = v["ipv6.src"] if v6 else v["ip.src"]
        dst = v["ipv6.dst"] if v6 else v["ip.dst"]
        if not src or not v["tcp.srcport"]:
            res.append(None)
            continue
        iplen = int(v["ipv6.plen"]) + 40 if v6 else int(v["ip.len"])
        res.append({
            "t": clock, "stream": int(v["tcp.stream"]), "src": (src, int(v["tcp.srcport"])), "dst": (dst, int(v["tcp.dstport"])),
            "flags": int(v["tcp.flags"], 16), "iplen": iplen,
            "retrans": bool(v["tcp.analysis.retransmission"]),
            "ooo": bool(v["tcp.analysis.out_of_order"]),
            "dupack": bool(v["tcp.analysis.duplicate_ack"]),
            "zerowin": bool(v["tcp.analysis.zero_window"]),
            "irtt": _ns(v["tcp.analysis.initial_rtt"]) if v["tcp.analysis.initial_rtt"] else None,
            "mss": int(v["tcp.options.mss_val"]) if v["tcp.options.mss_val"] else None,
            "wscale": int(v["tcp.options.wscale.shift"]) if v["tcp.options.wscale.shift"]
            else None,
            "sack": bool(v["tcp.options.sack_perm"]),
            "ts": bool(v["tcp.options.timestamp.tsval"]),
        })
    return res


def conn_key(a, b):
    return (min(a, b), max(a, b))


def side_new():
    s = {"retrans_packets": 0, "retrans_bytes": 0, "ooo_packets": 0, "dup_acks": 0,
         "zero_windows": 0, "init_flags": None, "syn": None}
    s.update((c, 0) for c, _ in FLAG_COUNTERS)
    return s


def expected(pkts, records):
    """{record index: {"sides": {endpoint: side}, "irtt": ns or None, "synack": bool
    (a SYN/ACK followed the last SYN: the RTT can be split)}}
    from tshark's packets, given to spanflow's TCP records."""
    by_conn = {}
    for i, r in enumerate(records):
        if r.get("proto") != 6:
            continue
        k = conn_key((r["src_addr"], r["src_port"]), (r["dst_addr"], r["dst_port"]))
        by_conn.setdefault(k, []).append(i)
    for k in by_conn:
        by_conn[k].sort(key=lambda i: records[i]["start_ns"])
    exp = {}
    streams = {}  # tshark's initial RTT rule, for records whose packets show none
    for p in pkts:
        if p is None:
            continue
        st = streams.setdefault(p["stream"], {"syn": 0, "irtt": None, "sa": False})
        rule = None
        if p["flags"] & 0x12 == 0x02:
            st["syn"] = p["t"]
            st["sa"] = False
        elif p["flags"] & 0x12 == 0x12 and st["syn"]:
            st["sa"] = True  # spanflow splits the RTT at the first SYN/ACK after the SYN
        elif p["flags"] & 0x12 == 0x10 and st["syn"] and st["irtt"] is None:
            if p["t"] != st["syn"]:
                st["irtt"] = rule = p["t"] - st["syn"]
        idx = by_conn.get(conn_key(p["src"], p["dst"]))
        if not idx:
            continue
        cand = [i for i in idx if records[i]["start_ns"] <= p["t"]]
        i = cand[-1] if cand else idx[0]
        e = exp.get(i)
        if e is None:
            # A record whose first packet belongs to a tshark stream an
            # earlier record of the connection had: spanflow started a new
            # flow (a SYN after FIN or RST) where tshark goes on with one
            # stream (the same ISN). Its state differs by design.
            cont = any(records[j]["start_ns"] < records[i]["start_ns"] and
                       p["stream"] in exp.get(j, {}).get("streams", ()) for j in idx)
            e = exp[i] = {"sides": {}, "irtt": None, "irtt_rule": None, "synack": False,
                          "streams": set(), "continues": cont}
        if rule is not None and e["irtt_rule"] is None:
            e["irtt_rule"] = rule
        e["streams"].add(p["stream"])
        s = e["sides"].setdefault(p["src"], side_new())
        if s["init_flags"] is None:
            s["init_flags"] = p["flags"]
        if p["retrans"]:
            s["retrans_packets"] += 1
            s["retrans_bytes"] += p["iplen"]
        s["ooo_packets"] += p["ooo"]
        s["dup_acks"] += p["dupack"]
        s["zero_windows"] += p["zerowin"]
        for c, bit in FLAG_COUNTERS:
            s[c] += (p["flags"] & bit) != 0
        if p["flags"] & 0x02 and s["syn"] is None:
            s["syn"] = (p["mss"], p["wscale"], int(p["sack"]), int(p["ts"]))
        e["synack"] = st["sa"]
        if e["irtt"] is None and p["irtt"] is not None:
            e["irtt"] = p["irtt"]
    return exp


def record_problems(records, exp):
    """Differences between spanflow's TCP fields and tshark's, per record."""
    probs = []
    for i, e in sorted(exp.items()):
        r = records[i]
        if e["continues"]:
            continue
        name = "%s:%s -> %s:%s @%d" % (r["src_addr"], r["src_port"], r["dst_addr"],
                                       r["dst_port"], r["start_ns"])
        if "retrans_packets" not in r:
            probs.append("%s: no TCP health fields" % name)
            continue
        for d, pre in (((r["src_addr"], r["src_port"]), ""),
                       ((r["dst_addr"], r["dst_port"]), "rev_")):
            s = e["sides"].get(d, side_new())
            for c in COUNTERS:
                if r.get(pre + c) != s[c]:
                    probs.append("%s: %s%s %r, tshark %d" % (name, pre, c, r.get(pre + c), s[c]))
            if s["init_flags"] is not None and r.get(pre + "tcp_init_flags") != s["init_flags"]:
                probs.append("%s: %stcp_init_flags %r, tshark %#x"
                             % (name, pre, r.get(pre + "tcp_init_flags"), s["init_flags"]))
            if s["syn"] is not None:
                mss, ws, sack, ts = s["syn"]
                got = (r.get(pre + "syn_mss"), r.get(pre + "syn_wscale"),
                       r.get(pre + "syn_sack"), r.get(pre + "syn_ts"))
                if got != (mss, ws, sack, ts):
                    probs.append("%s: %sSYN options %s, tshark %s" % (name, pre, got, s["syn"]))
        # tshark shows initial_rtt only on packets with an analysis tree; when
        # none of the record's has one, its rule on tshark's frame times.
        want = e["irtt"] if e["irtt"] is not None else e["irtt_rule"]
        if "rtt_server_ns" in r:
            tot = r["rtt_server_ns"] + r["rtt_client_ns"]
            if tot != want:
                probs.append("%s: rtt %d + %d = %d, tshark initial_rtt %r (rule %r)"
                             % (name, r["rtt_server_ns"], r["rtt_client_ns"], tot, e["irtt"],
                                e["irtt_rule"]))
        elif want is not None and e["synack"]:
            probs.append("%s: no rtt, tshark initial_rtt %d after a SYN/ACK" % (name, want))
    return probs


def totals(exp):
    """Sums over the records: how much each verdict was exercised."""
    t = {c: 0 for c in COUNTERS}
    t["rtt"] = 0
    t["continued"] = sum(e["continues"] for e in exp.values())
    for e in exp.values():
        if e["continues"]:
            continue
        for s in e["sides"].values():
            for c in COUNTERS:
                t[c] += s[c]
        t["rtt"] += e["irtt"] is not None
    return t


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    pkts = packets(sys.argv[1])
    if len(sys.argv) == 3:
        with open(sys.argv[2]) as f:
            records = [json.loads(line) for line in f if line.strip()]
        exp = expected(pkts, records)
        probs = record_problems(records, exp)
        print("%d TCP records; tshark totals %s" % (len(exp), totals(exp)))
        for p in probs[:40]:
            print(p)
        print("%d differences" % len(probs))
        sys.exit(1 if probs else 0)
    conns = {}
    for p in pkts:
        if p is None:
            continue
        c = conns.setdefault(conn_key(p["src"], p["dst"]), {c: 0 for c in COUNTERS})
        c["retrans_packets"] += p["retrans"]
        c["ooo_packets"] += p["ooo"]
        c["dup_acks"] += p["dupack"]
        c["zero_windows"] += p["zerowin"]
    for k, c in sorted(conns.items()):
        print(k, c)


if __name__ == "__main__":
    main()
