#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
spanflow's flow records against an independent tshark reference (tools/flowref.py).

For every capture in tests/data and, when it exists, every capture of the nDPI
corpus (<repo>/../shared/pcaps/ndpi or $SPANFLOW_CORPUS), run spanflow with one
worker and the longest timeouts, sum its records per key (IP version, the two
ends unordered, protocol, outer VLAN) and per sending end, and require exact
equality with the reference: packets, bytes (IP-layer octets), TCP flags,
first/last packet time, DSCP of the first packet; plus the conservation line
(received = capinfos count; flowed, nonflow and malformed as the reference
classifies them; nothing dropped).

Usage: test_tshark_compare.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402
from sfcommon import flowref  # noqa: E402

CAPTURE_SUFFIXES = (".pcap", ".cap", ".pcapng")

# Captures left out of the comparison, with the reason. (Checked by hand:
# tools/flowref.py runs on every corpus capture; none is excluded today.)
EXCLUDED = {
}


def captures(data):
    found = {}
    for p in sorted(data.iterdir()):
        if p.suffix in CAPTURE_SUFFIXES and p.is_file():
            found[p.name] = p
    corpus = sf.corpus_dir()
    if corpus is None:
        print("note: corpus %s not found; comparing tests/data captures only"
              % (sf.REPO.parent / "shared" / "pcaps" / "ndpi"))
    else:
        n = 0
        for p in sorted(corpus.iterdir()):
            if p.suffix in CAPTURE_SUFFIXES and p.is_file() and p.name not in found:
                found[p.name] = p
                n += 1
        print("corpus: %s (%d captures not already in tests/data)" % (corpus, n))
    out = []
    for name, p in sorted(found.items()):
        if name in EXCLUDED:
            print("excluded: %s: %s" % (name, EXCLUDED[name]))
        else:
            out.append(p)
    return out


def main():
    binary, data = sf.usage_args()
    ck = sf.Checker("spanflow flow records vs the tshark reference (tools/flowref.py)")
    caps = captures(data)
    print("comparing %d captures" % len(caps), flush=True)

    # The references are independent of spanflow; compute them in parallel.
    def ref_of(p):
        try:
            return flowref.analyze(str(p)), flowref.packet_count(str(p))
        except flowref.RefError as e:
            return e, None
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 2)) as ex:
        refs = dict(zip(caps, ex.map(ref_of, caps)))

    summary = []
    with tempfile.TemporaryDirectory(prefix="sf-cmp-") as tmp:
        for p in caps:
            name = p.name
            ref, count = refs[p]
            if isinstance(ref, Exception):
                ck.check(False, "%s: tshark reference" % name, ref)
                summary.append((name, "reference failed"))
                continue
            ok_ref = ck.check(ref.total == count,
                              "%s: reference saw all %d frames (capinfos)" % (name, count),
                              "reference %d frames" % ref.total)
            flows_path = Path(tmp) / (name + ".flows.jsonl")
            # The reference keys on the outer header: so does spanflow without decapsulation.
            r = sf.run(binary, ["-r", p, "-w", "1", "--no-decap", "--idle-timeout", sf.BIG_TIMEOUT,
                                "--active-timeout", sf.BIG_TIMEOUT, "--flows", flows_path])
            if not ck.check(r.rc == 0, "%s: spanflow exits 0" % name, r.describe()):
                summary.append((name, "spanflow exit %s" % ("timeout" if r.timed_out else r.rc)))
                continue
            good = ok_ref
            c = sf.parse_conservation(r.out)
            if ck.check(c is not None, "%s: conservation line in the report" % name,
                        "stdout:\n" + sf.tail(r.out, 20)):
                good &= ck.check(
                    sf.conservation_holds(c) and c["received"] == count and c["dropped"] == 0
                    and c["filtered"] == 0,
                    "%s: conservation received %d = flowed + nonflow + malformed, 0 dropped"
                    % (name, count), "report: %s" % c)
                good &= ck.check(
                    (c["flowed"], c["nonflow"], c["malformed"])
                    == (ref.flowed, ref.nonflow, ref.malformed),
                    "%s: flowed/nonflow/malformed %d/%d/%d as the reference"
                    % (name, ref.flowed, ref.nonflow, ref.malformed),
                    "spanflow %d/%d/%d; reference nonflow %s, malformed %s"
                    % (c["flowed"], c["nonflow"], c["malformed"],
                       dict(ref.nonflow_kinds), dict(ref.malformed_reasons)))
            else:
                good = False
            try:
                recs = sf.load_jsonl(flows_path) if flows_path.exists() else None
            except ValueError as e:
                recs = None
                ck.check(False, "%s: flow records are JSON lines" % name, e)
            if not ck.check(recs is not None, "%s: flow records written" % name,
                            "no file %s" % flows_path):
                summary.append((name, "no records"))
                continue
            probs = sf.record_problems(recs)
            if not ck.check(not probs, "%s: %d records well-formed" % (name, len(recs)),
                            "\n".join(probs)):
                summary.append((name, "bad records"))
                continue
            agg = sf.aggregate_records(recs)
            diffs, info = sf.compare_flows(ref, agg)
            good &= ck.check(not diffs,
                             "%s: %d flows, %d packets agree with the reference per key "
                             "and direction" % (name, len(ref.flows), ref.flowed),
                             "\n".join(diffs))
            for i in info:
                ck.note("%s: %s" % (name, i))
            summary.append((name, "%d flows, %d packets: %s"
                            % (len(ref.flows), ref.total, "agree" if good else "DISAGREE")))

    print("-- per capture:")
    for name, s in summary:
        print("   %-30s %s" % (name, s))
    if EXCLUDED:
        print("-- excluded: " + ", ".join(sorted(EXCLUDED)))
    ck.finish()


if __name__ == "__main__":
    main()
