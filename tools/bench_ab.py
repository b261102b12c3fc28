#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Paired A/B cost of a setting: runs a BEFORE binary and an AFTER binary
alternately (A B, B A, A B, ...) on one bench.py scenario (in-memory replay,
one worker, busy polling), AFTER with extra arguments per variant, and
prints for each variant the median ns/packet of each side and the median of
the pair ratios AFTER/BEFORE. Alternating pairs cancel most of the drift of
a shared machine; the spread of the ratios says how much noise is left.

Usage: tools/bench_ab.py BEFORE_BINARY AFTER_BINARY [--pairs N] [--scenario NAME]
           [--both ARGS] [--variant NAME=ARGS ...]
--both gives both binaries the same arguments (an option both trees have, to
compare what it costs before and after a change).
Default variants: off (no extra arguments), filter (-f 'not port 22'),
dedup (--dedup), both.
"""

import argparse
import os
import re
import shlex
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

DEFAULT_VARIANTS = [
    ("off", []),
    ("filter", ["-f", "not port 22"]),
    ("dedup", ["--dedup"]),
    ("both", ["-f", "not port 22", "--dedup"]),
]


def ns_per_packet(binary, cap, loops, capacity, extra):
    cmd = [binary, "--replay", cap, "--loop", str(loops), "-w", "1", "--flow-capacity",
           str(capacity), "--no-progress", "--idle", "busy"] + extra
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("bench_ab: %s failed:\n%s" % (" ".join(cmd), p.stderr[-2000:]))
    m = re.search(r"processed\s+(\d+) packets in ([0-9.]+) s", p.stdout)
    return float(m.group(2)) * 1e9 / int(m.group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--loops", type=int, default=0, help="replay loops (default: bench.py's)")
    ap.add_argument("--scenario", default="uniform-1M", choices=sorted(bench.SCENARIOS))
    ap.add_argument("--variant", action="append", default=[],
                    help="NAME=ARGS: extra arguments of the AFTER binary")
    ap.add_argument("--both", default="", help="ARGS of both binaries")
    a = ap.parse_args()
    both = shlex.split(a.both)
    variants = [(v.split("=", 1)[0], shlex.split(v.split("=", 1)[1])) for v in a.variant] \
        or DEFAULT_VARIANTS
    gen_args, loops, capacity, desc = bench.SCENARIOS[a.scenario]
    loops = a.loops or loops
    gen = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(a.after))),
                       "..", "tools", "sf_pcapgen")
    gen = os.path.normpath(gen)
    cap = os.path.join(os.environ.get("TMPDIR", "/tmp"), "sf-bench-%s.pcap" % a.scenario)
    if not os.path.exists(cap):
        subprocess.run([gen, "-o", cap] + gen_args, check=True, capture_output=True)
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    print("scenario %s (%s), %d loops%s; CPU: %s, %d CPUs; load %s" % (
        a.scenario, desc, loops, ", both with `%s`" % a.both if both else "", cpu,
        os.cpu_count(), os.getloadavg()))
    print("| variant | before ns/pkt | after ns/pkt | after/before (median of %d pairs) | "
          "ratio range |" % a.pairs)
    print("|---|---:|---:|---:|---|")
    for name, extra in variants:
        ra, rb, ratios = [], [], []
        for i in range(a.pairs):
            if i % 2 == 0:
                x = ns_per_packet(a.before, cap, loops, capacity, both)
                y = ns_per_packet(a.after, cap, loops, capacity, both + extra)
            else:
                y = ns_per_packet(a.after, cap, loops, capacity, both + extra)
                x = ns_per_packet(a.before, cap, loops, capacity, both)
            ra.append(x)
            rb.append(y)
            ratios.append(y / x)
        print("| %s `%s` | %.1f | %.1f | %.3f | %.3f..%.3f |" % (
            name, " ".join(extra) or "-", statistics.median(ra), statistics.median(rb),
            statistics.median(ratios), min(ratios), max(ratios)), flush=True)


if __name__ == "__main__":
    main()
