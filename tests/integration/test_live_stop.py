#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Stopping writes every flow, and spanflow says only what is true.

1. The 50,000-flow stop: `spanflow -i` (1 and 2 workers) on one end of a veth
   pair between two network namespaces of our own; tcpreplay --topspeed sends
   a generated capture of 50,000 flows into the other end; ONE SIGINT two
   seconds after the traffic. Every flow is still in the tables then (idle
   timeout 60 s), so the whole of it goes through the final flush at once,
   far more than the rings hold. Exit 0, "every flow was written", no record
   LOST in the report, the JSON lines and CSV files hold the same records,
   and the records hold every flowed packet; without kernel drops, every one
   of the 50,000 flows is there.
2. `timeout 6 spanflow -i ...`: timeout signals spanflow and then its process
   group, so two SIGTERMs arrive at once. They are one request: exit 0, the
   report is printed, every flow is written.
3. A late second signal: flow records go to a FIFO that the test reads
   slowly (a slow consumer), so the final flush takes long; a SIGINT, then
   another 2 s later. The flush is cut short: exit 130, stderr and report say
   how many records were not written, the output is whole (every line
   parses), and written + lost = flows.
4. The flush deadline: a file replay into the same slow FIFO with
   shutdown.flush_timeout 1s: exit 3, "passed shutdown.flush_timeout", and
   written + lost = flows.
5. The link gone for good: the capture interface is deleted under a running
   `spanflow -i` (2 workers). spanflow ends the input by itself, writes
   every flow, warns that the interface was removed and exits 0.

Exit 77 (skipped) without root, ip, tcpreplay or ethtool (4 needs none of
them but runs with the others).

Usage: test_live_stop.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import collections
import csv
import os
import re
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402

FLOWS = 50000
PACKETS = 400000


def key_of(r):
    return (r["src_addr"], r["src_port"], r["dst_addr"], r["dst_port"], r["proto"],
            r["vlan"])


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rd = list(csv.reader(f))
    if not rd:
        return []
    header = rd[0]
    return [sf.csv_record(header, row) for row in rd[1:]]


def report_number(pattern, text):
    m = re.search(pattern, text)
    return int(m.group(1)) if m else None


def check_written(ck, what, recs, cons, err_text, out_text, want_flows):
    """Common checks of a stop that loses nothing."""
    ck.check("every flow was written" in err_text and "NOT written" not in err_text,
             "%s: stderr says every flow was written" % what, sf.tail(err_text))
    ck.check("LOST" not in out_text, "%s: the report counts no record LOST" % what,
             [x for x in out_text.splitlines() if "LOST" in x])
    ck.check(cons is not None and sf.conservation_holds(cons),
             "%s: the conservation line holds" % what, out_text[-600:])
    if cons is None:
        return
    keys = collections.Counter(key_of(r) for r in recs)
    dups = [k for k, c in keys.items() if c > 1]
    ck.check(not dups, "%s: each flow written once (%d records)" % (what, len(recs)),
             str(dups[:3]))
    total = sum(r["packets"] + r["rev_packets"] for r in recs)
    ck.check(total == cons["flowed"], "%s: the records hold every flowed packet (%d = %d)"
             % (what, total, cons["flowed"]))
    started = report_number(r"(\d+) flows started", out_text)
    ck.check(started == len(recs), "%s: a record for every flow started (%s = %d)"
             % (what, started, len(recs)))
    if want_flows is not None:
        if cons["dropped"] == 0:
            ck.check(len(keys) == want_flows, "%s: all %d flows of the capture (as a file "
                     "replay writes them) written (%d)"
                     % (what, want_flows, len(keys)))
        else:
            ck.note("%s: %d packets dropped before spanflow: %d of %d flows seen"
                    % (what, cons["dropped"], len(keys), want_flows))


def stop_50k(ck, binary, n, cap, tmp, workers, nflows):
    what = "50,000-flow stop, %d worker%s" % (workers, "s" if workers > 1 else "")
    out = Path(tmp) / ("w%d" % workers)
    out.mkdir()
    with sf.LiveRun(n, binary, ["-w", workers, "--flows", out / "f.jsonl", "--csv",
                                out / "f.csv", "--no-progress", "--no-http"], out) as run:
        if not run.started(ck, what):
            return
        sent = sf.tcpreplay(n, cap, "--topspeed")
        time.sleep(2)
        rc = run.stop(signal.SIGINT)
    err_text, out_text = run.texts()
    ck.check(rc == 0, "%s: exit status 0 after one SIGINT" % what,
             "exit %s\n%s" % (rc, sf.tail(err_text)))
    recs = sf.load_jsonl(out / "f.jsonl")
    rows = read_csv(out / "f.csv")
    cons = sf.parse_conservation(out_text)
    ck.note("%s: tcpreplay sent %d packets; %s" % (what, sent, [
        x for x in out_text.splitlines() if x.startswith("conservation")]))
    if cons is not None:
        ck.check(sent == cons["received"], "%s: every packet sent is accounted for: sent %d "
                 "= received %d (drops before spanflow included: %d)"
                 % (what, sent, cons["received"], cons["dropped"]))
    check_written(ck, what, recs, cons, err_text, out_text, nflows)
    ck.check(sorted(map(sf.canon, recs)) == sorted(map(sf.canon, rows)),
             "%s: JSON lines and CSV hold the same %d records" % (what, len(recs)))


def timeout_double_term(ck, binary, n, cap, tmp):
    what = "timeout 6 spanflow (two SIGTERMs at once)"
    out = Path(tmp) / "timeout"
    out.mkdir()
    with sf.LiveRun(n, binary, ["-w", "1", "--flows", out / "f.jsonl", "--no-progress",
                                "--no-http"], out,
                    prefix=("timeout", "--preserve-status", "6")) as run:
        if not run.started(ck, what):
            return
        sf.tcpreplay(n, cap, "--pps", "100000", "--limit", "150000")
        rc = run.wait(120)
    err_text, out_text = run.texts()
    ck.check(rc == 0 and "stopped by signal SIGTERM" in err_text,
             "%s: exit status 0, stopped by SIGTERM" % what,
             "exit %s\n%s" % (rc, sf.tail(err_text)))
    ck.check("conservation" in out_text, "%s: the report is printed" % what,
             sf.tail(out_text))
    recs = sf.load_jsonl(out / "f.jsonl")
    check_written(ck, what, recs, sf.parse_conservation(out_text), err_text, out_text, None)
    ck.check(len(recs) > 1000, "%s: records were written (%d)" % (what, len(recs)))


class SlowReader(threading.Thread):
    """Reads a FIFO: slowly (a consumer that falls behind) until fast is set."""

    def __init__(self, path, chunk=8192, pause=0.05):
        super().__init__(daemon=True)
        self.path, self.chunk, self.pause = path, chunk, pause
        self.fast = threading.Event()
        self.data = bytearray()

    def run(self):
        with open(self.path, "rb", buffering=0) as f:
            while True:
                b = f.read(self.chunk if not self.fast.is_set() else 1 << 20)
                if not b:
                    return
                self.data += b
                if not self.fast.is_set():
                    time.sleep(self.pause)


def parse_lines(ck, what, data):
    ok = not data or data.endswith(b"\n")
    recs = []
    try:
        import json
        recs = [json.loads(x) for x in data.decode().splitlines()]
    except ValueError as e:
        ok = False
        ck.note(str(e))
    ck.check(ok, "%s: the output is whole: %d lines, each parses, newline at the end"
             % (what, len(recs)))
    return recs


def check_lost(ck, what, recs, err_text, out_text, why):
    lost = report_number(r"(\d+) flow records were NOT written at the stop \(%s" % why,
                         err_text)
    ck.check(lost is not None and lost > 0, "%s: stderr says how many records were not "
             "written, and why (%s)" % (what, lost), sf.tail(err_text))
    rep_lost = report_number(r"LOST (\d+) records at the stop", out_text)
    ck.check(rep_lost == lost, "%s: the report says the same (%s)" % (what, rep_lost),
             [x for x in out_text.splitlines() if "LOST" in x])
    ck.check("every flow was written" not in err_text,
             "%s: nothing claims every flow was written" % what)
    records = report_number(r"flows\s+(\d+) records", out_text)
    started = report_number(r"(\d+) flows started", out_text)
    ck.check(records == len(recs), "%s: the report's records are the ones written (%s = %d)"
             % (what, records, len(recs)))
    if lost is not None and started is not None:
        ck.check(len(recs) + lost == started, "%s: written %d + lost %d = flows %d"
                 % (what, len(recs), lost, started))
    cons = sf.parse_conservation(out_text)
    ck.check(cons is not None and sf.conservation_holds(cons),
             "%s: the conservation line holds" % what, out_text[-600:])


def late_second_signal(ck, binary, n, cap, tmp):
    what = "late second SIGINT"
    out = Path(tmp) / "late"
    out.mkdir()
    fifo = out / "f.fifo"
    os.mkfifo(fifo)
    reader = SlowReader(fifo)
    reader.fast.set()	# keep up while the traffic runs
    reader.start()
    with sf.LiveRun(n, binary, ["-w", "1", "--flows", fifo, "--no-progress", "--no-http"],
                    out) as run:
        if not run.started(ck, what):
            return
        sf.tcpreplay(n, cap, "--topspeed")
        time.sleep(1)
        reader.fast.clear()
        run.proc.send_signal(signal.SIGINT)
        time.sleep(2.5)
        running = run.proc.poll() is None
        reader.fast.set()
        rc = run.stop(signal.SIGINT)
        reader.join(timeout=60)
    err_text, out_text = run.texts()
    ck.check(running, "%s: the final flush was still running 2.5 s after the first signal"
             % what)
    ck.check(rc == 130, "%s: exit status 130 (hurried)" % what,
             "exit %s\n%s" % (rc, sf.tail(err_text)))
    recs = parse_lines(ck, what, bytes(reader.data))
    check_lost(ck, what, recs, err_text, out_text, "a second signal")


def flush_deadline(ck, binary, cap, tmp):
    what = "flush deadline (file replay, shutdown.flush_timeout 1s)"
    out = Path(tmp) / "deadline"
    out.mkdir()
    fifo = out / "f.fifo"
    os.mkfifo(fifo)
    cfg = out / "c.yaml"
    cfg.write_text("shutdown:\n  flush_timeout: 1s\n")
    reader = SlowReader(fifo)
    reader.start()
    # The consumer catches up after the deadline: what the rings held is written.
    threading.Timer(3.0, reader.fast.set).start()
    t0 = time.time()
    r = sf.run(binary, ["-c", cfg, "-r", cap, "-w", "1", "--flows", fifo])
    reader.join(timeout=60)
    ck.check(r.rc == 3, "%s: exit status 3" % what, r.describe())
    ck.note("%s: spanflow ran %.1f s" % (what, time.time() - t0))
    recs = parse_lines(ck, what, bytes(reader.data))
    check_lost(ck, what, recs, r.err, r.out, "the final flush passed shutdown.flush_timeout")


def interface_removed(ck, binary, n, cap, tmp):
    what = "capture interface removed"
    out = Path(tmp) / "removed"
    out.mkdir()
    with sf.LiveRun(n, binary, ["-w", "2", "--flows", out / "f.jsonl", "--no-progress",
                                "--no-http"], out) as run:
        if not run.started(ck, what):
            return
        sf.tcpreplay(n, cap, "--pps", "100000", "--limit", "100000")
        time.sleep(0.5)
        sf.sh("ip", "-n", n.ns_rx, "link", "del", n.veth_rx)
        rc = run.wait(30)
    err_text, out_text = run.texts()
    ck.check(rc == 0, "%s: spanflow ended the input by itself and exited 0" % what,
             "exit %s\n%s" % (rc, sf.tail(err_text)))
    ck.check("the interface was removed" in err_text,
             "%s: stderr says the interface was removed" % what, sf.tail(err_text))
    recs = sf.load_jsonl(out / "f.jsonl")
    check_written(ck, what, recs, sf.parse_conservation(out_text), err_text, out_text, None)
    ck.check(len(recs) > 1000, "%s: records were written (%d)" % (what, len(recs)))


def main():
    binary, data = sf.usage_args()
    why = sf.live_skip_reason()
    if why:
        print("cannot run: %s" % why)
        sys.exit(77)
    ck = sf.Checker("stopping writes every flow, and says only what is true")
    with tempfile.TemporaryDirectory(prefix="sf-stop-") as tmp:
        cap = os.path.join(tmp, "gen.pcap")
        g = sf.pcapgen(binary, cap, "-n", PACKETS, "-f", FLOWS, "-d", "2", "-6", "0.2",
                       "-u", "0.3", "-r", "11")
        if not ck.check(g.returncode == 0, "generated %d packets in %d flows"
                        % (PACKETS, FLOWS), g.stderr):
            ck.finish()
        # The reference: the flows of the capture, as a file replay writes them.
        ref = os.path.join(tmp, "ref.jsonl")
        r = sf.run(binary, ["-r", cap, "-q", "--flows", ref])
        nflows = len(sf.load_jsonl(ref)) if r.rc == 0 else -1
        ck.check(r.rc == 0 and nflows > FLOWS * 0.99, "file replay: %d flows" % nflows,
                 r.describe())
        flush_deadline(ck, binary, cap, tmp)
        with sf.Netns() as n:
            stop_50k(ck, binary, n, cap, tmp, 1, nflows)
            stop_50k(ck, binary, n, cap, tmp, 2, nflows)
            timeout_double_term(ck, binary, n, cap, tmp)
            late_second_signal(ck, binary, n, cap, tmp)
            interface_removed(ck, binary, n, cap, tmp)
    ck.finish()


if __name__ == "__main__":
    main()
