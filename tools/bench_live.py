#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Live capture benchmark: spanflow's tpacket source against DPDK's af_packet
driver (input.capture) on a veth pair between two network namespaces of its
own. tcpreplay --topspeed sends a generated capture (preloaded) into one
end; spanflow captures on the other with 1 and 2 workers and stops with
SIGINT after the traffic. Per run: the rate offered (packets sent / send
time), the rate captured (packets the workers got), the rate lost (sent -
captured) and how much of that loss spanflow counted as dropped, and, with
2 workers, how many flow keys were written by two workers. Median of N runs.
A benchmark, not a test: the sender shares the CPUs, and figures depend on
the machine and its load. Needs root, ip, ethtool and tcpreplay.

Usage: tools/bench_live.py [--build DIR] [--runs N] [--packets N] [--flows N]
                           [--ring SIZE ...] [--workers N ...] [--markdown]
"""

import argparse
import collections
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CAPTURES = ("tpacket", "af_packet")


def sh(*args, check=True):
    return subprocess.run([str(a) for a in args], check=check, capture_output=True, text=True)


class Netns:
    """Two namespaces of our own joined by a veth pair (removed on exit)."""

    def __init__(self):
        tag = "sfb%d" % os.getpid()
        self.tx, self.rx = tag + "tx", tag + "rx"
        self.dev_tx, self.dev_rx = tag + "a", tag + "b"

    def __enter__(self):
        try:
            sh("ip", "netns", "add", self.tx)
            sh("ip", "netns", "add", self.rx)
            sh("ip", "link", "add", self.dev_tx, "netns", self.tx, "type", "veth", "peer",
               "name", self.dev_rx, "netns", self.rx)
            for ns, dev in ((self.tx, self.dev_tx), (self.rx, self.dev_rx)):
                sh("ip", "netns", "exec", ns, "sysctl", "-qw",
                   "net.ipv6.conf.all.disable_ipv6=1")
                sh("ip", "netns", "exec", ns, "ethtool", "-K", dev, "gro", "off", "lro",
                   "off", "tso", "off", "gso", "off", check=False)
                sh("ip", "-n", ns, "link", "set", dev, "up")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        for ns in (self.tx, self.rx):
            sh("ip", "netns", "del", ns, check=False)
        return False


def cpu_model():
    out = sh("lscpu", check=False).stdout
    m = re.search(r"^Model name:\s*(.+)$", out, re.M)
    n = re.search(r"^CPU\(s\):\s*(\d+)$", out, re.M)
    return "%s, %s CPUs" % (m.group(1).strip() if m else "unknown CPU",
                            n.group(1) if n else "?")


def split_keys(path):
    c = collections.Counter()
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            ends = sorted([(r["src_addr"], r["src_port"]), (r["dst_addr"], r["dst_port"])])
            c[(tuple(ends), r["proto"], r["vlan"])] += 1
    return sum(1 for v in c.values() if v > 1), len(c)


def run_once(binary, n, cap, capture, workers, ring, tmp):
    cfg = os.path.join(tmp, "c.yaml")
    flows = os.path.join(tmp, "f.jsonl")
    err = os.path.join(tmp, "err")
    with open(cfg, "w") as f:
        f.write("input:\n  capture: %s\n  ring_size: %s\n" % (capture, ring))
    big = "604800"
    with open(err, "w") as e:
        proc = subprocess.Popen(
            ["ip", "netns", "exec", n.rx, binary, "-c", cfg, "-i", n.dev_rx, "-w",
             str(workers), "--flows", flows, "--idle-timeout", big, "--active-timeout", big,
             "--tcp-end-timeout", big, "--no-http", "--no-progress"],
            stdout=subprocess.PIPE, stderr=e, stdin=subprocess.DEVNULL, text=True)
    try:
        for _ in range(600):
            if "pipeline started" in open(err).read() or proc.poll() is not None:
                break
            time.sleep(0.05)
        t = sh("ip", "netns", "exec", n.tx, "tcpreplay", "-K", "-i", n.dev_tx, "--topspeed",
               cap, check=False)
        time.sleep(1.5)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    m = re.search(r"Actual: (\d+) packets \(\d+ bytes\) sent in ([0-9.]+) seconds", t.stdout)
    c = re.search(r"conservation: received (\d+) = flowed (\d+) \+ filtered (\d+) \+ "
                  r"nonflow (\d+) \+ malformed (\d+) \+ dropped (\d+)", out)
    if m is None or c is None or proc.returncode != 0:
        sys.exit("bench_live: a run failed (%s, %d workers):\n%s\n%s\n%s" % (
            capture, workers, t.stdout[-500:], out[-1000:], open(err).read()[-1000:]))
    sent, secs = int(m.group(1)), float(m.group(2))
    received, dropped = int(c.group(1)), int(c.group(6))
    captured = received - dropped
    split, keys = split_keys(flows)
    return {"offered": sent / secs, "captured": captured / secs,
            "lost": (sent - captured) / secs, "counted": dropped / secs,
            "lost_pct": 100.0 * (sent - captured) / sent,
            "uncounted": sent - received, "split": split, "keys": keys}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--packets", type=int, default=1000000)
    ap.add_argument("--flows", type=int, default=20000)
    ap.add_argument("--ring", action="append", help="input.ring_size (default 32M and 256k)")
    ap.add_argument("--workers", type=int, action="append", help="default 1 and 2")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    a = ap.parse_args()
    binary = os.path.join(a.build, "app", "spanflow", "spanflow")
    gen = os.path.join(a.build, "tools", "sf_pcapgen")
    if os.geteuid() != 0:
        sys.exit("bench_live: needs root (network namespaces)")
    if not (os.access(binary, os.X_OK) and os.access(gen, os.X_OK)):
        sys.exit("bench_live: build %s first (spanflow and tools/sf_pcapgen)" % a.build)
    rings = a.ring or ["32M", "256k"]
    workers = a.workers or [1, 2]
    cpu = cpu_model()
    rows = []
    with tempfile.TemporaryDirectory(prefix="sf-bench-live-") as tmp:
        cap = os.path.join(tmp, "live.pcap")
        sh(gen, "-o", cap, "-n", a.packets, "-f", a.flows, "-s", 64, "-S", 128, "-u", "0.3",
           "-6", "0.2", "-r", 7)
        with Netns() as n:
            for ring in rings:
                for w in workers:
                    for capture in CAPTURES:
                        runs = [run_once(binary, n, cap, capture, w, ring, tmp)
                                for _ in range(a.runs)]
                        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                        rows.append((ring, w, capture, med, runs))
                        print("%-6s %d worker%s %-9s offered %5.0f kpps, captured %5.0f kpps, "
                              "lost %5.1f kpps (%.1f%%; counted as dropped %5.1f kpps, "
                              "not counted %d packets), %d of %d flows in two workers  "
                              "[%s]" % (
                                  ring, w, "s" if w > 1 else " ", capture,
                                  med["offered"] / 1e3, med["captured"] / 1e3,
                                  med["lost"] / 1e3, med["lost_pct"], med["counted"] / 1e3,
                                  med["uncounted"], med["split"], med["keys"], cpu),
                              flush=True)
    if a.markdown:
        print("\nCPU: %s; %d packets over %d flows (64-128 bytes), tcpreplay --topspeed -K, "
              "median of %d\n" % (cpu, a.packets, a.flows, a.runs))
        print("| ring | workers | capture | offered kpps | captured kpps | lost kpps (%) | "
              "counted as dropped kpps | lost, not counted (packets) | "
              "flows in two workers | CPU |")
        print("|---|---:|---|---:|---:|---:|---:|---:|---:|---|")
        for ring, w, capture, med, _ in rows:
            print("| %s | %d | %s | %.0f | %.0f | %.1f (%.1f%%) | %.1f | %d | %d of %d | %s |"
                  % (ring, w, capture, med["offered"] / 1e3, med["captured"] / 1e3,
                     med["lost"] / 1e3, med["lost_pct"], med["counted"] / 1e3,
                     med["uncounted"], med["split"], med["keys"], cpu))


if __name__ == "__main__":
    main()
