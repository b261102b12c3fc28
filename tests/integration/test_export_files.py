#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
File exports:
  * CSV parses with Python's csv module, its header is the JSON-lines field
    list and every row equals the JSON-lines record of the same run;
  * rotated files are renamed into place when complete: no NAME.tmp
    remains, and a reader polling the directory during a run never sees a
    partial file;
  * rotation by size splits the records over numbered files of at most the
    limit, each CSV file with its header, with nothing lost or repeated;
  * active-timeout updates: with a short active timeout long flows give
    several "active" records whose counters add up to the flow's totals.

Usage: test_export_files.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import csv
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402

CAPTURE = "sample.pcap"


def typed(row):
    return sf.csv_record(list(row.keys()), list(row.values()))


class Watcher(threading.Thread):
    """Reads every completed (non-.tmp) file it sees while spanflow runs."""

    def __init__(self, d):
        super().__init__(daemon=True)
        self.d = d
        self.stop = False
        self.seen = 0
        self.bad = []

    def run(self):
        while not self.stop:
            for p in list(self.d.glob("*")):
                if p.name.endswith(".tmp"):
                    continue
                try:
                    data = p.read_bytes()
                except OSError:
                    continue
                self.seen += 1
                if data and not data.endswith(b"\n"):
                    self.bad.append("%s ends without a newline (%d bytes)" % (p.name, len(data)))
            time.sleep(0.001)


def main():
    binary, data = sf.usage_args()
    ck = sf.Checker("file exports: CSV, atomic rotation, active-timeout totals")
    tmp = Path(tempfile.mkdtemp(prefix="sf_files_"))
    try:
        cap = data / CAPTURE
        # 1. CSV and JSON lines of one run
        one = tmp / "one"
        one.mkdir()
        r = sf.run(binary, ["-r", cap, "-q", "-w", "2", "--flows", one / "f.jsonl",
                            "--csv", one / "f.csv"])
        ck.check(r.rc == 0, "plain run exits 0", r.describe())
        recs = sf.load_jsonl(one / "f.jsonl")
        ck.check(not sf.record_problems(recs) and len(recs) > 50,
                 "JSON lines parse: %d records" % len(recs), sf.record_problems(recs))
        with open(one / "f.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        with open(one / "f.csv", newline="") as f:
            header = next(csv.reader(f))
        ck.check(header == list(sf.ALL_FIELDS), "CSV header is the JSON field list", header)
        ck.check(sorted(map(sf.canon, map(typed, rows))) == sorted(map(sf.canon, recs)),
                 "the %d CSV rows equal the JSON-lines records" % len(rows))
        ck.check(sorted(p.name for p in one.iterdir()) == ["f.csv", "f.jsonl"],
                 "no temporary file remains", sorted(p.name for p in one.iterdir()))

        # 2. rotation by size, watched while running
        rot = tmp / "rot"
        rot.mkdir()
        conf = tmp / "rot.yaml"
        conf.write_text("export:\n  rotate_size: 2k\n")
        w = Watcher(rot)
        w.start()
        r = sf.run(binary, ["-c", conf, "-r", cap, "-q", "-w", "2", "--flows", rot / "f.jsonl",
                            "--csv", rot / "f.csv"])
        w.stop = True
        w.join()
        ck.check(r.rc == 0, "rotating run exits 0", r.describe())
        names = sorted(p.name for p in rot.iterdir())
        jf = [n for n in names if n.endswith(".jsonl")]
        cf = [n for n in names if n.endswith(".csv")]
        ck.check(len(jf) > 3 and jf[0] == "f.000000.jsonl" and
                 jf == ["f.%06d.jsonl" % i for i in range(len(jf))],
                 "rotation gives numbered files (%d JSON, %d CSV)" % (len(jf), len(cf)), names)
        ck.check(not [n for n in names if n.endswith(".tmp")], "no temporary file remains",
                 names)
        big = [n for n in names if (rot / n).stat().st_size > 2048]
        ck.check(not big, "every file is at most rotate_size (2 KiB)", big)
        lines = []
        for n in jf:
            lines += sf.load_jsonl(rot / n)
        ck.check(sorted(map(sf.canon, lines)) == sorted(map(sf.canon, recs)),
                 "rotated JSON files hold the same %d records, none lost or repeated"
                 % len(lines))
        rows = []
        heads_ok = True
        for n in cf:
            with open(rot / n, newline="") as f:
                rd = list(csv.reader(f))
            heads_ok = heads_ok and rd and rd[0] == header
            rows += [dict(zip(header, x)) for x in rd[1:]]
        ck.check(heads_ok, "every rotated CSV file starts with the header")
        ck.check(sorted(map(sf.canon, map(typed, rows))) == sorted(map(sf.canon, recs)),
                 "rotated CSV files hold the same %d records" % len(rows))
        ck.check(w.seen > 0 and not w.bad,
                 "a reader polling during the run saw %d complete files, none partial"
                 % w.seen, "\n".join(w.bad[:5]))

        # 3. active-timeout updates add up to the flow's totals
        act = tmp / "act.jsonl"
        r = sf.run(binary, ["-r", cap, "-q", "-w", "2", "--active-timeout", "2",
                            "--idle-timeout", sf.BIG_TIMEOUT, "--flows", act])
        ck.check(r.rc == 0, "active-timeout run exits 0", r.describe())
        whole = tmp / "whole.jsonl"
        r = sf.run(binary, ["-r", cap, "-q", "-w", "2", "--active-timeout", sf.BIG_TIMEOUT,
                            "--idle-timeout", sf.BIG_TIMEOUT, "--flows", whole])
        ck.check(r.rc == 0, "single-record run exits 0", r.describe())
        parts = sf.load_jsonl(act)
        full = sf.load_jsonl(whole)
        n_active = sum(1 for x in parts if x["end_reason"] == "active")
        ck.check(n_active > 0 and len(parts) > len(full),
                 "a 2 s active timeout splits long flows (%d records, %d of them 'active', "
                 "from %d flows)" % (len(parts), n_active, len(full)))
        a = sf.aggregate_records(parts)
        b = sf.aggregate_records(full)
        diffs = [k for k in set(a) | set(b)
                 if k not in a or k not in b or a[k].packets != b[k].packets
                 or a[k].bytes != b[k].bytes]
        ck.check(not diffs, "per flow, the updates' packets and bytes sum to the flow's totals "
                 "(%d flows)" % len(b), "%d flows differ" % len(diffs))
    except (OSError, ValueError, KeyError, StopIteration) as e:
        ck.check(False, "test ran to the end", repr(e))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ck.finish()


if __name__ == "__main__":
    main()
