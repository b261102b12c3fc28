#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Which insert format for export.clickhouse: the same flow records inserted
as JSONEachRow (what the exporter sends) and as RowBinary, timed.

    tools/bench_clickhouse.py BUILD_DIR [ROWS]

Starts a clickhouse-server of its own (tests/integration/clickhouse_server.py,
as root), generates a capture with sf_pcapgen and replays it with
--clickhouse and --flows; the rows spanflow stored are read back with
SELECT * FORMAT RowBinary, the JSONEachRow body is spanflow's own --flows
lines with probe and export_batch added as the exporter adds them. Each body
goes into an empty copy of the table in batches of the exporter's default
size (export.clickhouse_batch_rows 20000), three times; the best time of
each is printed with the bytes sent. The time is the HTTP request's on the
loopback: the server parsing and writing the rows, the client only sending
bytes.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
from clickhouse_server import ClickHouseServer, skip_reason  # noqa: E402

BATCH = 20000


def main():
    build = Path(sys.argv[1])
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 200000
    why = skip_reason()
    if why:
        sys.exit("bench_clickhouse: " + why)
    spanflow = build / "app" / "spanflow" / "spanflow"
    tmp = Path(tempfile.mkdtemp(prefix="sf_chbench_"))
    cap, flows = tmp / "bench.pcap", tmp / "flows.jsonl"
    # -N 1.0: every packet starts a flow, so `rows` packets give `rows` records.
    subprocess.run([str(build / "tools" / "sf_pcapgen"), "-o", str(cap), "-n", str(rows),
                    "-f", str(rows), "-N", "1.0", "-d", "60"], check=True)
    with ClickHouseServer(tmp) as ch:
        cfg = tmp / "bench.yaml"
        cfg.write_text("export:\n  clickhouse_buffer: 2G\n")
        subprocess.run([str(spanflow), "-c", str(cfg), "-r", str(cap), "-q", "--no-progress",
                        "--flows", str(flows), "--probe", "bench", "--clickhouse",
                        ch.url + "/bench"], check=True)
        stored = int(ch.query("SELECT count() FROM bench.flows"))
        lines = flows.read_bytes().splitlines()
        js = [ln[:-1] + b',"probe":"bench","export_batch":%d}\n' % (i // BATCH)
              for i, ln in enumerate(lines)]
        # RowBinary rows have no separator to cut a body at: the server gives
        # each batch of stored rows on its own.
        rb_batches = []
        for off in range(0, stored, BATCH):
            q = ("SELECT * FROM bench.flows ORDER BY start_ns, src_addr, src_port LIMIT %d, %d "
                 "FORMAT RowBinary" % (off, BATCH))
            rb_batches.append(urllib.request.urlopen(urllib.request.Request(
                ch.url + "/", data=q.encode()), timeout=600).read())
        js_batches = [b"".join(js[i:i + BATCH]) for i in range(0, len(js), BATCH)]
        results = {}
        for fmt, batches, extra in (("JSONEachRow", js_batches, "&input_format_skip_unknown_"
                                     "fields=1"), ("RowBinary", rb_batches, "")):
            best = None
            for rep in range(3):
                table = "bench.t_%s_%d" % (fmt.lower(), rep)
                ch.query("CREATE TABLE %s AS bench.flows" % table)
                t0 = time.perf_counter()
                for b in batches:
                    q = urllib.parse.quote("INSERT INTO %s FORMAT %s" % (table, fmt))
                    urllib.request.urlopen(urllib.request.Request(
                        ch.url + "/?query=" + q + extra, data=b), timeout=600).read()
                t = time.perf_counter() - t0
                n = int(ch.query("SELECT count() FROM %s" % table))
                assert n == stored, (fmt, n, stored)
                best = t if best is None else min(best, t)
            results[fmt] = (best, sum(len(b) for b in batches))
        print("rows: %d flow records (sf_pcapgen, %d per insert), clickhouse-server %s" %
              (stored, BATCH, ch.query("SELECT version()").strip()))
        for fmt, (t, size) in results.items():
            print("%-12s %7.3f s  %8.0f rows/s  %6.1f MB  %4.0f bytes/row" %
                  (fmt, t, stored / t, size / 1e6, size / stored))
    subprocess.run(["rm", "-rf", str(tmp)])


if __name__ == "__main__":
    main()
