#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Sampling (--sample N, --sample-mode count|random|flow, --sample-scale).

On a generated capture (sf_pcapgen: 30,000 packets over 600 flows) and on
tests/data/sample.pcap, against the unsampled run of the same input:
  - count: the flow packets kept are the 1st, N+1st, ... of each reader:
    exactly ceil(n / N) with one reader; the rest are `sampled_out`, and the
    conservation line holds;
  - random: one packet in each N consecutive ones: floor(n / N) or ceil;
  - flow: whole flows (each kept flow's record equals the unsampled one),
    their number within 5 binomial sd of flows / N, the same flows for 1, 2
    and 3 workers;
  - records say how they were sampled (`sampling`, `sampling_rate`) and
    --sample-scale multiplies their packets and bytes by N;
  - IPFIX, decoded by ipfixDump (libfixbuf-tools): records carry selectorId
    and an options record describes the selector (RFC 5477 elements 302,
    304-306, 309, 310; 329-332 for the flow hash).

Exits 77 without ipfixDump (tools/setup.sh --test installs libfixbuf-tools).
Usage: test_sampling.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import math
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402


def run(binary, cap, tmp, tag, *extra):
    flows = Path(tmp) / ("%s.jsonl" % tag)
    r = sf.run(binary, ["-r", cap, "--no-progress", "--flows", flows,
                        "--idle-timeout", sf.BIG_TIMEOUT, "--active-timeout", sf.BIG_TIMEOUT]
               + [str(a) for a in extra])
    c = sf.parse_conservation(r.out)
    recs = sf.load_jsonl(flows) if flows.exists() else []
    return r, c, recs


def key(rec):
    return (rec["src_addr"], rec.get("src_port"), rec["dst_addr"], rec.get("dst_port"),
            rec["proto"], rec["vlan"], rec["tunnel_id"])


def counts(rec):
    return (rec["packets"], rec["bytes"], rec["rev_packets"], rec["rev_bytes"])


def ipfix_capture(binary, cap, extra):
    """spanflow's IPFIX messages to a loopback UDP port, as one byte string."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(0.5)
    port = s.getsockname()[1]
    data, stop = [], threading.Event()

    def recv():
        while not stop.is_set():
            try:
                data.append(s.recv(65535))
            except socket.timeout:
                pass

    t = threading.Thread(target=recv)
    t.start()
    r = sf.run(binary, ["-r", cap, "--no-progress", "-q", "-w", "1",
                        "--ipfix", "127.0.0.1:%d" % port] + extra)
    stop.set()
    t.join()
    s.close()
    return r, b"".join(data)


def ipfix_dump(raw, tmp):
    path = Path(tmp) / "x.ipfix"
    path.write_bytes(raw)
    p = subprocess.run(["ipfixDump", "--in", str(path)], capture_output=True, text=True)
    return p.stdout if p.returncode == 0 else None


def selector_values(dump):
    """The selector options record's fields (name -> value) and whether the
    flow templates have selectorId."""
    vals = {}
    for m in re.finditer(r"\(\s*(30[2-9]|310|329|33[0-2])\)\s*(?:\(S\))?\s+(\w+) : (\d+)", dump):
        vals[m.group(2)] = int(m.group(3))
    tpl = re.search(r"tid:\s+256 .*?(?=--- )", dump, re.S)
    return vals, bool(tpl and "selectorId" in tpl.group(0))


def main():
    binary, data = sf.usage_args()
    if shutil.which("ipfixDump") is None:
        print("ipfixDump not installed (tools/setup.sh --test installs libfixbuf-tools)")
        sys.exit(77)
    chk = sf.Checker("sampling")
    with tempfile.TemporaryDirectory(prefix="sf_sampling_") as tmp:
        gen = Path(tmp) / "gen.pcap"
        g = sf.pcapgen(binary, gen, "-n", 30000, "-f", 600, "-d", 3, "-u", 0.3, "-6", 0.2)
        if not chk.check(g.returncode == 0, "sf_pcapgen wrote the capture", g.stderr):
            chk.finish()
        for cap in (gen, data / "sample.pcap"):
            name = cap.name
            r0, c0, rec0 = run(binary, cap, tmp, "all", "-w", "1")
            if not chk.check(c0 is not None and c0["sampled_out"] == 0,
                             "%s: unsampled run" % name, r0.describe()):
                continue
            n = c0["flowed"]
            by_key = {key(x): x for x in rec0}
            for mode, nn in (("count", 10), ("random", 10), ("count", 3)):
                r, c, recs = run(binary, cap, tmp, mode, "-w", "1", "--sample", nn,
                                 "--sample-mode", mode)
                if not chk.check(c is not None, "%s %s 1/%d: runs" % (name, mode, nn),
                                 r.describe()):
                    continue
                lo, hi = (math.ceil(n / nn),) * 2 if mode == "count" else \
                    (n // nn, math.ceil(n / nn))
                chk.check(lo <= c["flowed"] <= hi and c["flowed"] + c["sampled_out"] == n
                          and sf.conservation_holds(c) and c["received"] == c0["received"],
                          "%s %s 1 in %d: %d of %d flow packets kept (want %d..%d), %d "
                          "sampled out, conserved" % (name, mode, nn, c["flowed"], n, lo, hi,
                                                      c["sampled_out"]), str(c))
                chk.check(sum(x["packets"] + x["rev_packets"] for x in recs) == c["flowed"]
                          and all(x["sampling"] == mode and x["sampling_rate"] == nn
                                  for x in recs),
                          "%s %s 1 in %d: %d records hold the kept packets and say "
                          "\"sampling\":\"%s\",\"sampling_rate\":%d" % (name, mode, nn, len(recs),
                                                                       mode, nn))
                if mode == "count" and nn == 10:
                    _, _, scaled = run(binary, cap, tmp, "scaled", "-w", "1", "--sample", nn,
                                       "--sample-scale")
                    same = {key(x): counts(x) for x in recs}
                    chk.check(len(scaled) == len(recs) and all(
                        counts(x) == tuple(nn * v for v in same.get(key(x), (-1,) * 4))
                        for x in scaled),
                        "%s --sample 10 --sample-scale: every record's packets and bytes "
                        "x 10" % name)
            # Flow sampling: whole flows, the same ones on 1..3 workers.
            kept = None
            for w in (1, 2, 3):
                r, c, recs = run(binary, cap, tmp, "flow%d" % w, "-w", w, "--sample", 4,
                                 "--sample-mode", "flow")
                if not chk.check(c is not None and sf.conservation_holds(c),
                                 "%s flow 1 in 4, -w %d: runs, conserved" % (name, w),
                                 r.describe()):
                    continue
                keys = {key(x) for x in recs}
                whole = all(key(x) in by_key and counts(x) == counts(by_key[key(x)])
                            for x in recs)
                chk.check(whole and c["flowed"] == sum(x["packets"] + x["rev_packets"]
                                                       for x in recs),
                          "%s flow 1 in 4, -w %d: %d flows kept whole" % (name, w, len(keys)))
                if kept is None:
                    kept = keys
                    f = len(by_key)
                    sd = math.sqrt(f * 0.25 * 0.75)
                    chk.check(abs(len(keys) - f / 4) <= 5 * sd + 1,
                              "%s flow 1 in 4: %d of %d flows kept (%.0f expected, 5 sd %.0f)"
                              % (name, len(keys), f, f / 4, 5 * sd))
                else:
                    chk.check(keys == kept, "%s flow 1 in 4: the same %d flows with -w %d" %
                              (name, len(kept), w))
        # IPFIX: the selector, as ipfixDump reads it.
        want = {
            "count": {"selectorId": 1, "selectorAlgorithm": 1, "samplingPacketInterval": 1,
                      "samplingPacketSpace": 9},
            "random": {"selectorId": 1, "selectorAlgorithm": 3, "samplingSize": 1,
                       "samplingPopulation": 10},
            "flow": {"selectorId": 1, "selectorAlgorithm": 8, "hashOutputRangeMin": 0,
                     "hashOutputRangeMax": 2 ** 32 - 1, "hashSelectedRangeMin": 0,
                     "hashSelectedRangeMax": (2 ** 32 - 1) // 10},
        }
        for mode, fields in want.items():
            r, raw = ipfix_capture(binary, data / "sample.pcap",
                                   ["--sample", "10", "--sample-mode", mode])
            dump = ipfix_dump(raw, tmp) if raw else None
            if not chk.check(r.rc == 0 and dump is not None,
                             "IPFIX %s: received and decoded by ipfixDump" % mode,
                             r.describe()):
                continue
            vals, in_tpl = selector_values(dump)
            got = {k: vals.get(k) for k in fields}
            chk.check(got == fields and in_tpl,
                      "IPFIX %s: the flow template has selectorId; the selector record says %s"
                      % (mode, ", ".join("%s %d" % kv for kv in fields.items())),
                      "got %s, selectorId in template: %s" % (vals, in_tpl))
        r, raw = ipfix_capture(binary, data / "sample.pcap", [])
        dump = ipfix_dump(raw, tmp) if raw else ""
        chk.check(dump is not None and "selectorId" not in dump and
                  "selectorAlgorithm" not in dump,
                  "IPFIX unsampled: no selector")
    chk.finish()


if __name__ == "__main__":
    main()
