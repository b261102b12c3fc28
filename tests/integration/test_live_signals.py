#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
SIGTERM and SIGINT at random moments of a live capture.

`spanflow -i` captures on one end of a veth pair between two network
namespaces of our own, writing flow records as JSON lines and CSV and
interval summaries, rotated by size, while tcpreplay sends a generated
capture into the other end. A signal arrives right after "pipeline started",
in the middle of the traffic (counted from the first packet on the veth) or
after it, with 1 or 2 workers. Every round:
exit status 0 and "stopped by signal"; the conservation line holds and says
[ok]; every output file is complete (each line parses, the last byte is a
newline, CSV rows have the header's column count) and no temporary file of
the rotation remains; every flow is written exactly once (no key and start
twice) and the records hold every flowed packet, in JSON as in CSV.

The delays are random; the seed is printed (SPANFLOW_TEST_SEED=N repeats a
run). Exit 77 (skipped) without root, ip, tcpreplay or ethtool.

Usage: test_live_signals.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import collections
import csv
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402

PACKETS = 40000
FLOWS = 3000
PPS = 20000		# the capture lasts PACKETS / PPS = 2 s on the wire
ROTATE = "64k"		# several files per output: signals land near rotations
FILE_RE = re.compile(r"^(f|iv)(\.\d{6})?\.(jsonl|csv)$")


def key_of(r):
    return (r["src_addr"], r["src_port"], r["dst_addr"], r["dst_port"], r["proto"],
            r["vlan"], r["start_ns"])


def read_outputs(ck, what, out):
    """(JSON records, CSV records) of a round; checks that every file is complete."""
    names = sorted(p.name for p in out.iterdir())
    odd = [n for n in names if not FILE_RE.match(n)]
    ck.check(not odd, "%s: no temporary or unexpected file remains" % what, odd)
    recs, rows, ivs = [], [], []
    bad = []
    header = None
    for n in names:
        if not FILE_RE.match(n):
            continue
        data = (out / n).read_bytes()
        if data and not data.endswith(b"\n"):
            bad.append("%s: last byte is not a newline (%d bytes)" % (n, len(data)))
        if n.endswith(".jsonl"):
            try:
                (recs if n.startswith("f") else ivs).extend(sf.load_jsonl(out / n))
            except ValueError as e:
                bad.append(str(e))
            continue
        with open(out / n, newline="", encoding="utf-8") as f:
            rd = list(csv.reader(f))
        if not rd:
            continue
        if header is None:
            header = rd[0]
        if rd[0] != header or set(header) != set(sf.ALL_FIELDS):
            bad.append("%s: header %s" % (n, rd[0]))
            continue
        for i, row in enumerate(rd[1:], 2):
            if len(row) != len(header):
                bad.append("%s:%d: %d columns, the header has %d" % (n, i, len(row),
                                                                    len(header)))
                continue
            try:
                rows.append(sf.csv_record(header, row))
            except ValueError:
                bad.append("%s:%d: not a number where one is expected: %s" % (n, i, row))
    ck.check(not bad, "%s: every output file is complete (%d JSON records, %d CSV rows, "
             "%d intervals, %d files)" % (what, len(recs), len(rows), len(ivs), len(names)),
             "\n".join(bad[:8]))
    probs = sf.record_problems(recs)
    ck.check(not probs, "%s: JSON records are well-formed" % what, "\n".join(probs[:5]))
    return recs, rows


def once_each(ck, what, fmt, recs, cons):
    keys = collections.Counter(key_of(r) for r in recs)
    dups = [k for k, n in keys.items() if n > 1]
    ck.check(not dups, "%s: %s: each flow written once (%d records)" % (what, fmt, len(recs)),
             str(dups[:5]))
    total = sum(r["packets"] + r["rev_packets"] for r in recs)
    ck.check(total == cons["flowed"], "%s: %s records hold every flowed packet (%d = %d)"
             % (what, fmt, total, cons["flowed"]))


def rx_packets(n):
    r = sf.sh("ip", "netns", "exec", n.ns_rx, "cat",
              "/sys/class/net/%s/statistics/rx_packets" % n.veth_rx, check=False)
    return int(r.stdout.strip() or 0)


def one_round(ck, binary, n, cfg, cap, tmp, i, sig, workers, when, delay):
    what = "round %d (%s, %d worker%s, %s +%.3f s)" % (i, signal.Signals(sig).name, workers,
                                                      "s" if workers > 1 else "", when, delay)
    out = Path(tmp) / ("r%d" % i)
    out.mkdir()
    errlog, outlog = out.parent / ("r%d.err" % i), out.parent / ("r%d.out" % i)
    tr = None
    with open(errlog, "w") as err, open(outlog, "w") as stdout:
        proc = subprocess.Popen(
            ["ip", "netns", "exec", n.ns_rx, binary, "-c", cfg, "-i", n.veth_rx, "-w",
             str(workers), "--flows", out / "f.jsonl", "--csv", out / "f.csv",
             "--intervals", out / "iv.jsonl", "--interval", "0.5", "--no-progress",
             "--no-http"], stdout=stdout, stderr=err, stdin=subprocess.DEVNULL)
    try:
        started = sf.wait_for_text(proc, errlog, "pipeline started")
        ck.check(started, "%s: spanflow -i %s started" % (what, n.veth_rx),
                 sf.tail(errlog.read_text()))
        if started:
            t0 = time.time()
            rx0 = rx_packets(n)
            tr = subprocess.Popen(["ip", "netns", "exec", n.ns_tx, "tcpreplay", "-q", "-i",
                                   n.veth_tx, "--pps", str(PPS), cap],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if when == "mid":
                # From the first packet on the wire (tcpreplay takes a moment to start).
                deadline = time.time() + 30
                while rx_packets(n) == rx0 and time.time() < deadline and tr.poll() is None:
                    time.sleep(0.005)
                t0 = time.time()
            elif when == "after":
                tr.wait(timeout=120)
                t0 = time.time()
            time.sleep(max(0.0, t0 + delay - time.time()))
        rc = sf.signal_and_wait(proc, sig)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if tr is not None:
            if tr.poll() is None:
                tr.terminate()
            tr_err = tr.communicate()[1].decode(errors="replace")
            ck.note("%s: tcpreplay exit %s %s; veth received %d packets in this round"
                    % (what, tr.returncode, sf.tail(tr_err, 2), rx_packets(n) - rx0))
    err_text, out_text = errlog.read_text(), outlog.read_text()
    ck.check(rc == 0 and "stopped by signal" in err_text,
             "%s: exit status 0, says it stopped by signal" % what,
             "exit %s\n%s" % (rc, sf.tail(err_text)))
    cons = sf.parse_conservation(out_text)
    line = [x for x in out_text.splitlines() if x.startswith("conservation")]
    ck.check(cons is not None and sf.conservation_holds(cons) and line and "[ok]" in line[0],
             "%s: conservation line holds and says [ok]" % what, out_text[-600:])
    if cons is None:
        return None
    ck.note("%s: %s" % (what, line[0]))
    if when != "early":
        ck.check(cons["received"] > 0, "%s: packets were captured before the signal" % what)
    recs, rows = read_outputs(ck, what, out)
    if len(recs) > 1000:
        nfiles = len(list(out.glob("f.*.jsonl")))
        ck.check(nfiles > 1, "%s: the flow files were rotated (%d JSON files)" % (what, nfiles))
    once_each(ck, what, "JSON", recs, cons)
    once_each(ck, what, "CSV", rows, cons)
    ck.check(sorted(map(sf.canon, recs)) == sorted(map(sf.canon, rows)),
             "%s: JSON and CSV hold the same records" % what)
    return cons


def main():
    binary, data = sf.usage_args()
    why = sf.live_skip_reason()
    if why:
        print("cannot run: %s" % why)
        sys.exit(77)
    ck = sf.Checker("SIGTERM and SIGINT at random moments of a live capture")
    seed = int(os.environ.get("SPANFLOW_TEST_SEED", time.time_ns() % 1000000007))
    rng = random.Random(seed)
    ck.note("random seed %d (SPANFLOW_TEST_SEED=%d repeats these delays)" % (seed, seed))
    # Both signals, 1 and 2 workers, each moment.
    rounds = [
        (signal.SIGTERM, 1, "early", rng.uniform(0, 0.02)),
        (signal.SIGINT, 2, "early", rng.uniform(0, 0.02)),
        (signal.SIGTERM, 2, "mid", rng.uniform(0.0, 1.8)),
        (signal.SIGINT, 1, "mid", rng.uniform(0.0, 1.8)),
        (rng.choice((signal.SIGTERM, signal.SIGINT)), rng.choice((1, 2)), "mid",
         rng.uniform(0.0, 1.8)),
        (signal.SIGINT, 2, "after", rng.uniform(0, 0.3)),
    ]
    with tempfile.TemporaryDirectory(prefix="sf-livesig-") as tmp:
        cap = os.path.join(tmp, "gen.pcap")
        g = sf.pcapgen(binary, cap, "-n", PACKETS, "-f", FLOWS, "-d", "2", "-6", "0.2",
                       "-u", "0.3", "-r", seed % 65536 + 1)
        if not ck.check(g.returncode == 0, "generated %d packets in %d flows"
                        % (PACKETS, FLOWS), g.stderr):
            ck.finish()
        cfg = os.path.join(tmp, "rotate.yaml")
        with open(cfg, "w") as f:
            f.write("export:\n  rotate_size: %s\n" % ROTATE)
        with sf.Netns() as n:
            for i, (sig, workers, when, delay) in enumerate(rounds, 1):
                one_round(ck, binary, n, cfg, cap, tmp, i, sig, workers, when, delay)
    ck.finish()


if __name__ == "__main__":
    main()
