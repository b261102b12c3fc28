#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
spanflow benchmark runner: fixed scenarios through the in-memory replay
input (an RSS NIC at unlimited speed), one worker core. For each scenario it
prints packets/s per worker core, ns per packet, new flows/s, table fill,
evictions, bytes of memory per flow entry, collector drops and peak RSS,
as the median of several runs. A benchmark, not a test: figures depend on
the machine and its load.

Usage: tools/bench.py [--runs N] [--build DIR] [--scenario NAME ...] [--markdown]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name: (generator arguments, replay loops, flow table capacity, description)
SCENARIOS = {
    "uniform-1M": (["-n", "4000000", "-f", "1000000", "-s", "64", "-S", "64", "-d", "20"], 5,
                   2097152, "64-byte packets over 1M uniform flows"),
    "zipf-1M": (["-n", "4000000", "-f", "1000000", "-z", "1.1", "-s", "64", "-S", "64",
                 "-d", "20"], 5, 2097152, "Zipf(1.1) over 1M flows, 64 bytes"),
    "cached-10k": (["-n", "4000000", "-f", "10000", "-s", "64", "-S", "64", "-d", "20"], 5,
                   262144, "10k flows (cache-resident), 64 bytes"),
    "flood": (["-n", "4000000", "-f", "4000000", "-N", "1.0", "-s", "64", "-S", "64",
               "-d", "20"], 5, 262144, "100% new flows (SYN flood) into a full 256k table"),
    "ipv6-1M": (["-n", "4000000", "-f", "1000000", "-6", "1.0", "-s", "78", "-S", "78",
                 "-d", "20"], 5, 2097152, "IPv6 only, 78 bytes, 1M uniform flows"),
    "tcp-1M": (["-n", "4000000", "-f", "1000000", "-s", "64", "-S", "64", "-d", "20", "-u", "0",
                "-T", "-L", "0.01", "-R", "0.01"], 5, 2097152,
               "TCP with real sequence numbers over 1M flows, 1% resent, 1% reordered "
               "(for --tcp-analysis)"),
    "app-1M": (["-n", "4000000", "-f", "1000000", "-s", "64", "-S", "64", "-d", "20", "-T",
                "-A", os.path.join(ROOT, "tests", "data", "quic", "rfc9001_a2_client_initial.bin")],
               5, 2097152,
               "application mix over 1M flows (for --app): 40% TLS (512-byte ClientHello), "
               "10% HTTP, 30% DNS query+answer, 20% QUIC Initial (1200 bytes, decrypted), "
               "other packets 64 bytes"),
    "vxlan-1M": (["-n", "4000000", "-f", "1000000", "-s", "64", "-S", "64", "-d", "20",
                  "-E", "vxlan"], 5, 2097152,
                 "VXLAN (4 VTEPs, 4 VNIs), 1M inner flows of 64-byte frames"),
    "erspan-1M": (["-n", "4000000", "-f", "1000000", "-s", "64", "-S", "64", "-d", "20",
                   "-E", "erspan"], 5, 2097152,
                  "ERSPAN II (one session), 1M inner flows of 64-byte frames"),
}


def parse_report(out):
    r = {}
    m = re.search(r"processed\s+(\d+) packets in ([0-9.]+) s", out)
    if m:
        r["packets"], r["seconds"] = int(m.group(1)), float(m.group(2))
    m = re.search(r"(\d+) flows started; at most (\d+) at once \(([0-9.]+)% of the tables, "
                  r"(\d+) bytes each\); (\d+) evicted", out)
    if m:
        r["new"], r["peak"], r["fill"], r["entry"], r["evicted"] = (
            int(m.group(1)), int(m.group(2)), float(m.group(3)), int(m.group(4)),
            int(m.group(5)))
    m = re.search(r"LOST (\d+) records, (\d+) messages", out)
    r["lost"] = int(m.group(1)) + int(m.group(2)) if m else 0
    m = re.search(r"conservation: .*\[(\w+)\]", out)
    r["conserved"] = bool(m and m.group(1) == "ok")
    return r


def run_once(binary, cap, loops, capacity, extra=()):
    with tempfile.NamedTemporaryFile(prefix="sf-bench-time-") as t:
        cmd = ["/usr/bin/time", "-f", "%M", "-o", t.name, binary, "--replay", cap,
               "--loop", str(loops), "-w", "1", "--flow-capacity", str(capacity),
               "--no-progress", "--idle", "busy"] + list(extra)
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit("bench: %s failed:\n%s" % (" ".join(cmd), p.stderr[-2000:]))
        r = parse_report(p.stdout)
        r["rss_mib"] = int(open(t.name).read().split()[-1]) / 1024.0
        r["cmd"] = " ".join(cmd[5:])
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--scenario", action="append", choices=sorted(SCENARIOS))
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ap.add_argument("--args", default="",
                    help="more spanflow options for every run, e.g. \"--app\" or \"--features\"")
    a = ap.parse_args()
    binary = os.path.join(a.build, "app", "spanflow", "spanflow")
    gen = os.path.join(a.build, "tools", "sf_pcapgen")
    if not (os.access(binary, os.X_OK) and os.access(gen, os.X_OK)):
        sys.exit("bench: build first (tools/setup.sh)")
    tmp = os.environ.get("TMPDIR", "/tmp")
    rows = []
    for name in a.scenario or list(SCENARIOS):
        gargs, loops, capacity, desc = SCENARIOS[name]
        cap = os.path.join(tmp, "sf-bench-%s.pcap" % name)
        if not os.path.exists(cap):
            subprocess.run([gen, "-o", cap, "-r", "7"] + gargs, check=True)
        runs = [run_once(binary, cap, loops, capacity, a.args.split())
                for _ in range(a.runs)]
        if not all(r.get("conserved") for r in runs):
            sys.exit("bench: %s: conservation failed" % name)
        secs = statistics.median(r["seconds"] for r in runs)
        pk = runs[0]["packets"]
        row = {
            "name": name, "desc": desc, "packets": pk, "seconds": secs,
            "mpps": pk / secs / 1e6, "ns": secs * 1e9 / pk,
            "newps": statistics.median(r["new"] for r in runs) / secs,
            "fill": runs[0]["fill"], "peak": runs[0]["peak"], "evicted": runs[0]["evicted"],
            "entry": runs[0]["entry"], "lost": max(r["lost"] for r in runs),
            "rss": statistics.median(r["rss_mib"] for r in runs),
            "all": " ".join("%.3f" % r["seconds"] for r in runs), "cmd": runs[0]["cmd"],
        }
        rows.append(row)
        print("%-11s %6.2f Mpps/core %6.1f ns/pkt  new %8.0f/s  fill %5.1f%%  evicted %9d  "
              "%3d B/flow  lost %d  RSS %6.0f MiB  (runs %s s)" % (
                  name, row["mpps"], row["ns"], row["newps"], row["fill"], row["evicted"],
                  row["entry"], row["lost"], row["rss"], row["all"]), flush=True)
    if a.markdown:
        print("\n| scenario | packets | Mpps/core | ns/packet | new flows/s | table fill | "
              "evictions | B/flow | collector drops | peak RSS |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            print("| %s | %d | %.2f | %.1f | %.0f | %.1f%% | %d | %d | %d | %.0f MiB |" % (
                r["desc"], r["packets"], r["mpps"], r["ns"], r["newps"], r["fill"],
                r["evicted"], r["entry"], r["lost"], r["rss"]))
        print("\nCommands (median of %d runs each):" % a.runs)
        for r in rows:
            print("- %s: `%s`" % (r["name"], r["cmd"]))


if __name__ == "__main__":
    main()
