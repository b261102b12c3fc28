#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
The in-memory replay input (benchmarks): one pass gives the same per-flow
packets and bytes as reading the file, for 1 and 2 workers; N loops give N
times the packets, with capture time shifted by the file's duration each
loop, and the conservation line holds.

Usage: test_replay.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import os
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402

CAPTURES = ["sample.pcap", "dns_fragmented.pcap", "quic-v2.pcapng.pcap"]


def totals(agg):
    return {k: (a.packets, a.bytes) for k, a in agg.items()}


def main():
    binary, data = sf.usage_args()
    ck = sf.Checker("in-memory replay (--replay, --loop) against file replay")
    with tempfile.TemporaryDirectory(prefix="sf-replay-") as tmp:
        for name in CAPTURES:
            cap = data / name
            ref_path = os.path.join(tmp, name + ".ref")
            r = sf.run(binary, ["-r", cap, "-w", "1", "-q", "--flows", ref_path])
            ck.check(r.rc == 0, "%s: file replay" % name, r.describe())
            ref = totals(sf.aggregate_records(sf.load_jsonl(ref_path)))
            for w in (1, 2):
                out = os.path.join(tmp, "%s.w%d" % (name, w))
                r = sf.run(binary, ["--replay", cap, "-w", str(w), "--flows", out])
                cons = sf.parse_conservation(r.out)
                ck.check(r.rc == 0 and cons is not None and sf.conservation_holds(cons),
                         "%s: --replay -w %d runs, conservation holds" % (name, w),
                         r.describe())
                got = totals(sf.aggregate_records(sf.load_jsonl(out)))
                ck.check(got == ref, "%s: --replay -w %d: per-flow packets and bytes equal "
                         "the file replay (%d flows)" % (name, w, len(ref)))
            out = os.path.join(tmp, name + ".loop3")
            r = sf.run(binary, ["--replay", cap, "--loop", "3", "-w", "2", "--flows", out])
            cons = sf.parse_conservation(r.out)
            recs = sf.load_jsonl(out) if r.rc == 0 else []
            pk = sum(x["packets"] + x["rev_packets"] for x in recs)
            ref_pk = sum(sum(p) for p, _ in ref.values())
            ck.check(r.rc == 0 and cons is not None and pk == 3 * ref_pk and
                     cons["flowed"] == 3 * ref_pk,
                     "%s: --loop 3 counts every packet three times (%d = 3 x %d)"
                     % (name, pk, ref_pk), r.describe())
            if recs:
                span = max(x["end_ns"] for x in recs) - min(x["start_ns"] for x in recs)
                ref_recs = sf.load_jsonl(ref_path)
                ref_span = (max(x["end_ns"] for x in ref_recs) -
                            min(x["start_ns"] for x in ref_recs))
                ck.check(span >= 2 * ref_span, "%s: loops move capture time on (%d ns over "
                         "3 loops, %d ns in the file)" % (name, span, ref_span))
    ck.finish()


if __name__ == "__main__":
    main()
