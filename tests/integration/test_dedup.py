#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
SPAN duplicate removal (--dedup) on captures and their SPAN-duplicated copies.

tools/spancopy.py copies every frame of a capture 3 microseconds later with
the TTL one lower and another VLAN tag. For every Ethernet capture of
tests/data (and of the nDPI corpus when present):
  - the original with --dedup: as many duplicates as an independent oracle
    (spancopy.py --count: identical IP packets, TTL and checksum aside, within
    2 ms) finds, zero in most captures (a few hold copies already);
  - the copy with --dedup: the same flow records as the original (byte for
    byte, as sets), one `duplicate` per copy of a packet in a flow (copies of
    non-IP frames stay non-flow, of malformed ones malformed), the same on 1
    and 3 workers;
  - the copy without --dedup: the report estimates the copies and suggests
    --dedup.
Retransmissions (tshark's tcp.analysis.retransmission) are not duplicates:
on captures that have some, --dedup removes nothing.

Exits 77 without scapy (tools/setup.sh --test installs python3-scapy).
Usage: test_dedup.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402

SPANCOPY = sf.REPO / "tools" / "spancopy.py"
CAPTURE_SUFFIXES = (".pcap", ".cap", ".pcapng")


def linktype(cap):
    p = subprocess.run(["tcpdump", "-r", str(cap), "-c", "1"], capture_output=True,
                       text=True)
    m = re.search(r"link-type (\S+)", p.stderr)
    return m.group(1) if m else None


def run(binary, cap, tmp, tag, *extra):
    flows = Path(tmp) / ("%s.jsonl" % tag)
    # One interval a day: some corpus captures span years (millions of 10 s intervals).
    r = sf.run(binary, ["-r", cap, "--no-progress", "--flows", flows, "--interval", "86400",
                        "--idle-timeout", sf.BIG_TIMEOUT, "--active-timeout", sf.BIG_TIMEOUT]
               + list(extra))
    c = sf.parse_conservation(r.out)
    recs = sorted(flows.read_text().splitlines()) if flows.exists() else None
    return r, c, recs


def main():
    binary, data = sf.usage_args()
    py = sf.scapy_python()
    if py is None:
        print("SKIP: scapy not installed (tools/setup.sh --test installs python3-scapy)")
        sys.exit(77)
    if shutil.which("tcpdump") is None:
        print("SKIP: tcpdump not installed")
        sys.exit(77)
    chk = sf.Checker("SPAN duplicate removal")
    caps = [p for p in sorted(data.iterdir()) if p.suffix in CAPTURE_SUFFIXES]
    corpus = sf.corpus_dir()
    if corpus is not None:
        have = {p.name for p in caps}
        caps += [p for p in sorted(corpus.iterdir())
                 if p.suffix in CAPTURE_SUFFIXES and p.name not in have]
    with tempfile.TemporaryDirectory(prefix="sf_dedup_") as tmp:
        copies = 0
        ncap = -1
        for cap in caps:
            if linktype(cap) != "EN10MB":
                continue
            ncap += 1
            r0, c0, rec0 = run(binary, cap, tmp, "orig", "-w", "1", "--dedup")
            if r0.rc != 0 or c0 is None:
                chk.check(False, "%s: runs" % cap.name, r0.describe())
                continue
            # The oracle: IP packets identical but for TTL and checksum within 2 ms.
            p = subprocess.run([py, str(SPANCOPY), "--count", "2000", str(cap)],
                               capture_output=True, text=True)
            want0 = int(p.stdout) if p.returncode == 0 else -1
            chk.check(c0["duplicate"] == want0, "%s: the original has %d duplicates, as "
                      "spancopy.py --count finds" % (cap.name, c0["duplicate"]),
                      "conservation: %s, oracle %d" % (c0, want0))
            dup = Path(tmp) / ("span_" + cap.name)
            p = subprocess.run([py, str(SPANCOPY), str(cap), str(dup)], capture_output=True,
                               text=True)
            if not chk.check(p.returncode == 0, "%s: spancopy" % cap.name, p.stderr):
                continue
            # Three workers on every third capture (the copies of a flow's packets
            # must meet in one reader whatever the worker count).
            for w in (1, 3) if ncap % 3 == 0 else (1,):
                r1, c1, rec1 = run(binary, dup, tmp, "dup%d" % w, "-w", str(w), "--dedup")
                if r1.rc != 0 or c1 is None:
                    chk.check(False, "%s copied, -w %d: runs" % (cap.name, w), r1.describe())
                    continue
                # Each kept packet's copy goes, and a removed one goes with its copy.
                want = dict(c0, received=2 * c0["received"],
                            duplicate=c0["flowed"] + 2 * c0["duplicate"],
                            nonflow=2 * c0["nonflow"], malformed=2 * c0["malformed"])
                chk.check(c1 == want, "%s copied, --dedup -w %d: one duplicate per copy "
                          "(%d), flowed %d as the original" % (cap.name, w, c1["duplicate"],
                                                               c1["flowed"]),
                          "got  %s\nwant %s" % (c1, want))
                chk.check(rec1 == rec0, "%s copied, --dedup -w %d: the original's %d "
                          "records" % (cap.name, w, len(rec0)),
                          "%d records, %d differ" % (len(rec1 or []),
                                                     len(set(rec1 or []) ^ set(rec0))))
            copies += c0["flowed"]
            if c0["flowed"] >= 100:
                r2, c2, _ = run(binary, dup, tmp, "est", "-w", "1")
                m = re.search(r"about (\d+) packets .* looked like SPAN copies.*--dedup",
                              r2.out)
                est = int(m.group(1)) if m else 0
                # Every packet of a short capture is examined (the first run of
                # SF_DEDUP_RUN = 8192 packets): the estimate is the count --dedup
                # removes. A longer one is sampled in runs: within 3%.
                n = c0["flowed"] + 2 * c0["duplicate"]
                tol = 0 if 2 * c0["received"] <= 8192 else 0.03 * n
                chk.check(m is not None and abs(est - n) <= tol,
                          "%s copied, no --dedup: report estimates %d copies of %d and "
                          "suggests --dedup" % (cap.name, est, n), sf.tail(r2.out))
        chk.note("%d packet copies removed in all" % copies)
        # A capture longer than a run: the estimate applies the share of copies
        # in the sampled runs to every flow packet (within 3% of the count).
        big, bigdup = Path(tmp) / "big.pcap", Path(tmp) / "bigdup.pcap"
        g = sf.pcapgen(binary, big, "-n", 100000, "-f", 2000, "-d", 2)
        p = subprocess.run([py, str(SPANCOPY), str(big), str(bigdup)], capture_output=True,
                           text=True) if g.returncode == 0 else g
        if chk.check(p.returncode == 0, "100,000 generated packets copied", p.stderr):
            _, cx, _ = run(binary, bigdup, tmp, "bigx", "-w", "1", "--dedup")
            for w in (1, 2):
                r, c, _ = run(binary, bigdup, tmp, "bige", "-w", str(w))
                m = re.search(r"about (\d+) packets .* looked like SPAN copies", r.out)
                est = int(m.group(1)) if m else -1
                n = cx["duplicate"] if cx else 0
                chk.check(n > 0 and abs(est - n) <= 0.03 * n,
                          "200,000 packets, -w %d, no --dedup: estimate %d of %d copies "
                          "(sampled in runs)" % (w, est, n), sf.tail(r.out))
        # Retransmissions are no SPAN copies.
        if shutil.which("tshark") is not None:
            found = 0
            for cap in caps:
                p = subprocess.run(["tshark", "-n", "-r", str(cap), "-Y",
                                    "tcp.analysis.retransmission"], capture_output=True,
                                   text=True)
                n = len(p.stdout.splitlines()) if p.returncode == 0 else 0
                if n == 0:
                    continue
                found += n
                r, c, _ = run(binary, cap, tmp, "retr", "-w", "1", "--dedup")
                p = subprocess.run([py, str(SPANCOPY), "--count", "2000", str(cap)],
                                   capture_output=True, text=True)
                want0 = int(p.stdout) if p.returncode == 0 else 0
                chk.check(c is not None and c["duplicate"] == want0,
                          "%s: its %d retransmissions survive --dedup" % (cap.name, n),
                          r.describe())
            chk.check(found > 0, "captures with retransmissions were checked (%d)" % found)
        else:
            chk.note("tshark not installed: retransmission check skipped")
    chk.finish()


if __name__ == "__main__":
    main()
