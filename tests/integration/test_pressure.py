#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Pressure and faults: a flood of brand-new flows larger than the table, tiny
rings and pools between workers and collector, a full disk and an unwritable
output path. Every case keeps the conservation line, loses nothing silently
and never crashes.

Usage: test_pressure.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402

FLOOD = 200000
CAPACITY = 4096


def main():
    binary, data = sf.usage_args()
    ck = sf.Checker("pressure and faults")
    gen = Path(binary).resolve().parents[2] / "tools" / "sf_pcapgen"
    with tempfile.TemporaryDirectory(prefix="sf-pressure-") as tmp:
        cap = os.path.join(tmp, "flood.pcap")
        g = subprocess.run([str(gen), "-o", cap, "-n", str(FLOOD), "-f", str(FLOOD), "-N", "1.0",
                            "-d", "2", "-6", "0.3"], capture_output=True, text=True)
        ck.check(g.returncode == 0, "generated a SYN flood of %d new flows" % FLOOD, g.stderr)

        # A flood larger than the table: evictions counted, table bounded.
        for w in (1, 2):
            flows = os.path.join(tmp, "flood%d.jsonl" % w)
            r = sf.run(binary, ["-r", cap, "-w", str(w), "--flow-capacity", str(CAPACITY),
                                "--flows", flows])
            cons = sf.parse_conservation(r.out)
            ck.check(r.rc == 0 and cons and sf.conservation_holds(cons) and
                     cons["received"] == FLOOD, "flood, %d worker(s): conservation holds for "
                     "%d packets" % (w, FLOOD), r.describe() + r.out[-400:])
            recs = sf.load_jsonl(flows) if r.rc == 0 else []
            evicted = sum(1 for x in recs if x["end_reason"] == "evicted")
            ck.check(len(recs) == FLOOD and evicted == FLOOD - w * CAPACITY,
                     "flood, %d worker(s): every flow written once, %d evicted (= flows - "
                     "tables' capacity)" % (w, evicted), "%d records" % len(recs))
            ck.check(("%d evicted" % evicted) in r.out and
                     ("at most %d at once" % (w * CAPACITY)) in r.out,
                     "flood, %d worker(s): the report counts evictions and a full table" % w,
                     r.out[-600:])

        # Tiny rings and pools: a file replay waits for the collector, loses nothing.
        small = os.path.join(tmp, "small.yaml")
        with open(small, "w") as f:
            f.write("rings:\n  size: 64\n  pool: 128\n  dispatch: 256\n")
        ref = os.path.join(tmp, "ref.jsonl")
        r = sf.run(binary, ["-r", cap, "-w", "2", "-q", "--flows", ref])
        tiny = os.path.join(tmp, "tiny.jsonl")
        r2 = sf.run(binary, ["-c", small, "-r", cap, "-w", "2", "--flows", tiny])
        ck.check(r.rc == 0 and r2.rc == 0 and "LOST" not in r2.out,
                 "tiny rings (64 messages, pool 128): replay completes without loss",
                 r2.describe())
        if r.rc == 0 and r2.rc == 0:
            ck.check(sf.flows_equal_summary(sf.load_jsonl(ref), sf.load_jsonl(tiny)) is None,
                     "tiny rings give the same records as the default ones")

        # Disk full while writing: a clear error and a non-zero exit, no crash.
        r = sf.run(binary, ["-r", data / "sample.pcap", "-q", "--flows", "/dev/full"])
        ck.check(r.rc == 1 and "No space left on device" in r.err and "/dev/full" in r.err,
                 "flows to a full disk: exit 1 naming the file and the error", r.describe())
        # An output that cannot be created: refused before the pipeline starts.
        bad = os.path.join(tmp, "missing-dir", "flows.jsonl")
        r = sf.run(binary, ["-r", data / "sample.pcap", "-q", "--flows", bad])
        ck.check(r.rc == 1 and bad in r.err and "pipeline started" not in r.err,
                 "unwritable output path: exit 1 at start, naming it", r.describe())
    ck.finish()


if __name__ == "__main__":
    main()
