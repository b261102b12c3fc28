#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Determinism across worker counts: from a capture, --workers 1, 2 and 4 give
the same flow records (all fields, order aside) and the same interval
summaries, and every run's conservation line holds with received equal to
the capture's packet count. The interval aggregates (received, flow packets,
bytes, nonflow, malformed, per-protocol packets and bytes) also match the
tshark reference bucketed by packet time (tools/flowref.py, the innermost view:
tunnels are decapsulated).

Usage: test_workers_identical.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import json
import os
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402
from sfcommon import flowref  # noqa: E402

WORKERS = (1, 2, 4)
# (capture, interval seconds): in tests/data. Spans are short enough for 1 s
# intervals except where noted.
DATA_CAPTURES = [
    ("sample.pcap", "1"),                  # mixed Ethernet: TCP/UDP/ICMP/IPv6/VLAN/ARP
    ("6in4tunnel.pcap", "1"),              # IPv6 in IPv4, one outer flow
    ("ip_fragmented_garbage.pcap", "1"),   # 1252 IPv4 fragments in 0.9 s
    ("vxlan.pcap", "1"),                   # VLAN + VXLAN, sub-second
    ("KakaoTalk_chat.pcap", "1"),          # Linux SLL
    ("fuzz-2020-02-16-11740.pcap", "1"),   # garbage: nonflow and malformed frames
    ("tcp_scan.pcapng.pcap", "1"),         # scan + ARP
    ("dns_fragmented.pcap", "3600"),       # IPv4/IPv6 fragments; spans 22 days
]
# Extra captures read from the corpus when it is present.
CORPUS_CAPTURES = [
    ("synscan.pcap", "1"),                 # 1994 flows in 23 s: spread over tables
    ("ipsec_isakmp_esp.pcap", "60"),       # timestamps go backwards 10 times
    ("netflix.pcap", "1"),
]


def normalized_interval(o):
    """Interval object with its lists sorted (to tell order-only differences)."""
    o = json.loads(json.dumps(o))
    for k, v in o.items():
        if isinstance(v, list):
            o[k] = sorted(v, key=sf.canon)
    return o


def compare_intervals(a, b):
    """None if identical; else a description (and whether only list order differs)."""
    sa = sorted(sf.canon(x) for x in a)
    sb = sorted(sf.canon(x) for x in b)
    if sa == sb:
        return None
    na = sorted(sf.canon(normalized_interval(x)) for x in a)
    nb = sorted(sf.canon(normalized_interval(x)) for x in b)
    lines = []
    if na == nb:
        lines.append("only the order inside lists (top_flows/protocols) differs")
    lines.append("%d interval lines vs %d" % (len(a), len(b)))
    ka = {x.get("interval_start_ns"): x for x in a}
    kb = {x.get("interval_start_ns"): x for x in b}
    shown = 0
    for t in sorted(set(ka) | set(kb), key=lambda v: (v is None, v)):
        xa, xb = ka.get(t), kb.get(t)
        if xa is None or xb is None or sf.canon(xa) != sf.canon(xb):
            lines.append("interval_start_ns %s:" % t)
            if xa is None or xb is None:
                lines.append("  only in %s run" % ("first" if xb is None else "second"))
            else:
                for k in sorted(set(xa) | set(xb)):
                    if sf.canon(xa.get(k)) != sf.canon(xb.get(k)):
                        lines.append("  %s: %.300s  vs  %.300s"
                                     % (k, sf.canon(xa.get(k)), sf.canon(xb.get(k))))
            shown += 1
            if shown >= 3:
                break
    return "\n".join(lines)


def interval_problems(ivs, ref, interval_ns):
    """Differences between spanflow's interval lines and the reference's buckets."""
    want = flowref.intervals(ref, interval_ns)
    probs = []
    seen = set()
    for iv in ivs:
        start = iv.get("interval_start_ns")
        if not isinstance(start, int) or start % interval_ns:
            probs.append("interval_start_ns %r is not a multiple of %d" % (start, interval_ns))
            continue
        t = start // interval_ns
        if t in seen:
            probs.append("interval %d appears twice" % start)
        seen.add(t)
        if iv.get("interval_ns") != interval_ns:
            probs.append("interval %d: interval_ns %r" % (start, iv.get("interval_ns")))
        w = want.get(t, {"received": 0, "packets": 0, "bytes": 0, "nonflow": 0,
                         "malformed": 0, "protocols": {}})
        for k in ("received", "packets", "bytes", "nonflow", "malformed"):
            if k == "received" and k not in iv:
                continue
            if iv.get(k) != w[k]:
                probs.append("interval %d: %s %r, reference %d" % (start, k, iv.get(k), w[k]))
        got = {}
        for p in iv.get("protocols", []):
            if p.get("packets") or p.get("bytes"):
                got[p.get("proto")] = [p.get("packets"), p.get("bytes")]
        if got != w["protocols"]:
            probs.append("interval %d: protocols %s, reference %s"
                         % (start, sorted(got.items()), sorted(w["protocols"].items())))
        if iv.get("dropped", 0) != 0:
            probs.append("interval %d: dropped %r" % (start, iv.get("dropped")))
    for t in sorted(set(want) - seen):
        probs.append("interval %d (reference: %d packets) missing"
                     % (t * interval_ns, want[t]["received"]))
    return probs


def main():
    binary, data = sf.usage_args()
    ck = sf.Checker("identical records and intervals for --workers %s"
                    % "/".join(map(str, WORKERS)))
    caps = [(data / n, iv) for n, iv in DATA_CAPTURES]
    corpus = sf.corpus_dir()
    if corpus is None:
        print("note: corpus not found; skipping %s"
              % ", ".join(n for n, _ in CORPUS_CAPTURES))
    else:
        caps += [(corpus / n, iv) for n, iv in CORPUS_CAPTURES if (corpus / n).exists()]

    with tempfile.TemporaryDirectory(prefix="sf-workers-") as tmp:
        for path, interval in caps:
            name = path.name
            if not ck.check(path.exists(), "%s: capture present" % name, str(path)):
                continue
            count = flowref.packet_count(str(path))
            # spanflow decapsulates: the reference's innermost view.
            ref = flowref.analyze(str(path), keep_frames=True, innermost=True)
            print("-- %s: %d packets, --interval %s" % (name, count, interval), flush=True)
            runs = {}
            for w in WORKERS:
                fl = Path(tmp) / ("%s.w%d.flows" % (name, w))
                iv = Path(tmp) / ("%s.w%d.intervals" % (name, w))
                r = sf.run(binary, ["-r", path, "-w", w, "--interval", interval,
                                    "--flows", fl, "--intervals", iv])
                if not ck.check(r.rc == 0, "%s -w %d: exits 0" % (name, w), r.describe()):
                    continue
                c = sf.parse_conservation(r.out)
                if not ck.check(c is not None, "%s -w %d: conservation line" % (name, w),
                                "stdout:\n" + sf.tail(r.out, 20)):
                    continue
                ck.check(sf.conservation_holds(c) and c["received"] == count,
                         "%s -w %d: received %d = flowed %d + filtered %d + nonflow %d + "
                         "malformed %d + dropped %d, and = capture's %d packets"
                         % (name, w, c["received"], c["flowed"], c["filtered"], c["nonflow"],
                            c["malformed"], c["dropped"], count), "report: %s" % c)
                try:
                    recs = sf.load_jsonl(fl)
                    ivs = sf.load_jsonl(iv)
                except (OSError, ValueError) as e:
                    ck.check(False, "%s -w %d: output files readable" % (name, w), e)
                    continue
                probs = sf.record_problems(recs)
                ck.check(not probs, "%s -w %d: %d records well-formed" % (name, w, len(recs)),
                         "\n".join(probs))
                in_recs = sum(x.get("packets", 0) + x.get("rev_packets", 0) for x in recs)
                ck.check(in_recs == c["flowed"],
                         "%s -w %d: records hold every flowed packet once (%d)"
                         % (name, w, c["flowed"]), "records sum to %d packets" % in_recs)
                ck.check(len(ivs) > 0, "%s -w %d: %d interval lines" % (name, w, len(ivs)))
                if w == 1:
                    probs = interval_problems(ivs, ref, int(float(interval) * 1e9))
                    ck.check(not probs, "%s -w 1: interval aggregates match the reference"
                             % name, "\n".join(probs[:12] + (["... %d in all" % len(probs)]
                                                               if len(probs) > 12 else [])))
                runs[w] = (c, recs, ivs)
            if 1 not in runs:
                continue
            c1, r1, i1 = runs[1]
            for w in WORKERS[1:]:
                if w not in runs:
                    continue
                cw, rw, iw = runs[w]
                ck.check(cw == c1, "%s: conservation counters -w %d == -w 1" % (name, w),
                         "-w 1 %s\n-w %d %s" % (c1, w, cw))
                diff = sf.flows_equal_summary(r1, rw)
                ck.check(diff is None, "%s: %d flow records -w %d == -w 1"
                         % (name, len(r1), w), diff)
                diff = compare_intervals(i1, iw)
                ck.check(diff is None, "%s: %d interval lines -w %d == -w 1"
                         % (name, len(i1), w), diff)
    ck.finish()


if __name__ == "__main__":
    main()
