#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
--pace (input.pace): a file replayed at capture speed or a multiple of it.
  * the records and intervals of a paced replay equal an unpaced replay's
    (1 and 2 workers): pacing changes when packets are handed over, never
    what is counted;
  * a replay at pace X takes at least the capture's span / X (a lower bound
    only: a slow machine can make it longer, never shorter);
  * a paced replay serves HTTP as live capture does (http.enabled auto,
    without --serve): while it runs the API answers, not finished, with
    intervals already closed;
  * SIGINT during a paced replay: the packets read ahead are counted, the
    conservation line balances, every record is written;
  * a bad value is a configuration error naming what is expected.

Usage: test_pace.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import json
import os
import signal
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402
from test_http import free_port  # noqa: E402

SPAN_S = 4.0  # sf_pcapgen -d: the capture's span in seconds


def canon_lines(path):
    return sorted(sf.canon(r) for r in sf.load_jsonl(path))


def main():
    binary, data = sf.usage_args()
    ck = sf.Checker("--pace: replay at capture speed")
    tmp = Path(tempfile.mkdtemp(prefix="sf_pace_"))
    try:
        cap = tmp / "span.pcap"
        g = sf.pcapgen(binary, cap, "-n", 4000, "-f", 400, "-d", int(SPAN_S))
        if g.returncode != 0:
            ck.check(False, "sf_pcapgen writes the capture", g.stderr)
            ck.finish()
        base = ["-r", cap, "--no-progress", "--interval", "1"]

        # 1. Unpaced reference, then paced at 2x with 1 and 2 workers.
        ref_f, ref_i = tmp / "ref.jsonl", tmp / "ref.iv.jsonl"
        t0 = time.monotonic()
        r = sf.run(binary, base + ["--no-http", "-w", "1", "--flows", ref_f,
                                   "--intervals", ref_i])
        fast = time.monotonic() - t0
        ck.check(r.rc == 0, "unpaced replay exits 0", r.describe())
        for w in (1, 2):
            f, i = tmp / ("p%d.jsonl" % w), tmp / ("p%d.iv.jsonl" % w)
            t0 = time.monotonic()
            r = sf.run(binary, base + ["--no-http", "-w", w, "--pace", "2", "--flows", f,
                                       "--intervals", i])
            took = time.monotonic() - t0
            ck.check(r.rc == 0, "-w %d --pace 2 exits 0" % w, r.describe())
            ck.check(canon_lines(f) == canon_lines(ref_f) and
                     canon_lines(i) == canon_lines(ref_i),
                     "-w %d --pace 2: records and intervals equal the unpaced replay's "
                     "(%d records)" % (w, len(canon_lines(f))))
            ck.check(took >= SPAN_S / 2 * 0.95,
                     "-w %d --pace 2 takes at least the span / 2 (%.2f s >= %.2f s; "
                     "unpaced %.2f s)" % (w, took, SPAN_S / 2 * 0.95, fast))
        ck.note("unpaced: %.2f s (a figure, not a check: machines differ)" % fast)

        # 2. Paced at capture speed, HTTP on by itself (no --serve): the API while it runs.
        port = free_port()
        conf = tmp / "http.yaml"
        conf.write_text('http:\n  listen: "127.0.0.1:%d"\n' % port)
        proc = subprocess.Popen([str(binary)] + [str(a) for a in base] +
                                ["-w", "2", "--pace", "1", "-c", str(conf), "--flows",
                                 str(tmp / "live.jsonl")],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                stdin=subprocess.DEVNULL)
        summary = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/summary" % port,
                                            timeout=2) as resp:
                    s = json.loads(resp.read())
                if not s.get("finished") and s.get("intervals", 0) >= 1:
                    summary = s
                    break
            except OSError:
                pass
            time.sleep(0.1)
        ck.check(summary is not None,
                 "--pace 1: the API answers while the replay runs, not finished, with "
                 "intervals closed", summary)
        # 3. SIGINT mid-replay: nothing read ahead is lost.
        rc = sf.signal_and_wait(proc, signal.SIGINT, timeout=60)
        out = proc.stdout.read()
        proc.stdout.close()
        proc.stderr.close()
        cons = sf.parse_conservation(out)
        recs = sf.load_jsonl(tmp / "live.jsonl") if (tmp / "live.jsonl").exists() else []
        ck.check(rc == 0 and cons is not None and sf.conservation_holds(cons),
                 "SIGINT during --pace 1: exit 0, the conservation line balances",
                 "exit %s, %s" % (rc, cons))
        pk = sum(x["packets"] + x["rev_packets"] for x in recs)
        ck.check(cons is not None and recs and pk == cons.get("flowed"),
                 "SIGINT during --pace 1: the records hold every packet flowed (%d)" % pk,
                 cons)
        ck.check(cons is not None and 0 < cons.get("received", 0) < 4000,
                 "SIGINT during --pace 1: the replay stopped part-way (%s of 4000 packets)"
                 % (cons or {}).get("received"))

        # 4. Bad values.
        for bad in ("0", "fast", "-1"):
            r = sf.run(binary, ["-r", cap, "--no-http", "--pace", bad])
            ck.check(r.rc == 2 and "factor" in r.err,
                     "--pace %s: a configuration error saying what is expected" % bad,
                     r.describe())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ck.finish()


if __name__ == "__main__":
    main()
