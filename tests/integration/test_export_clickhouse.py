#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
ClickHouse export against Debian's clickhouse-server (18.16), started by the
test on free loopback ports in a temporary directory (clickhouse_server.py):
  * replays (sample.pcap with TCP health, app metadata and features with
    SPLT; app.pcap; a generated capture on 2 workers): the flows table's
    count(), sum(packets + rev_packets), sum(bytes + rev_bytes) equal the
    JSON records of the same run, the intervals table's totals the JSON
    intervals, the per-minute view's totals the records'; every record key
    is a column; the report line, /api/v1/exporters and /metrics say the
    same numbers;
  * a user and password in the URL; a wrong password refused at start;
  * inserts broken by a proxy (some answers dropped after the server stored
    the rows, some requests dropped before it saw them): every row stored
    once, the stored ones found by counting (probe, export_batch), the
    others sent again;
  * the server frozen (SIGSTOP): the replay is not held up beyond the bounded
    wait, every row counted lost;
  * the README's Distributed table and queries on a one-shard cluster;
    four probes started at once into one database;
  * the server killed (SIGKILL) and restarted during a live capture (a veth
    pair fed by tcpreplay): no row twice, rows stored + lost reported ==
    records in the JSON;
  * the server down from the start: spanflow ends within its bounded wait,
    every row counted lost and said on stderr;
  * a bad URL: a configuration error at file:line:col, or naming the flag.

Exit 77 only when clickhouse-server is missing or the test is not root.

Usage: test_export_clickhouse.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402
from clickhouse_server import ClickHouseServer, skip_reason, free_port  # noqa: E402

REPORT = re.compile(r"export: clickhouse to \S+: (\d+) flow rows and (\d+) interval rows stored "
                    r"in (\d+) inserts; (\d+) retried(?: \((\d+) found stored[^)]*\))?; lost (\d+)")


def report(out):
    m = REPORT.search(out)
    if m is None:
        return None
    g = [int(x) if x is not None else 0 for x in m.groups()]
    u = re.search(r"; (\d+) of the lost rows were in an insert left unanswered", out)
    return dict(flows=g[0], intervals=g[1], inserts=g[2], retried=g[3], found=g[4], lost=g[5],
                unsure=int(u.group(1)) if u else 0)


def json_totals(records):
    return (len(records), sum(r["packets"] + r["rev_packets"] for r in records),
            sum(r["bytes"] + r["rev_bytes"] for r in records))


def interval_totals(intervals):
    return (len(intervals), sum(i["packets"] for i in intervals),
            sum(i["bytes"] for i in intervals), sum(i["flows"]["new"] for i in intervals),
            sum(i["flows"]["ended"] for i in intervals))


def table_totals(ch, db):
    r = ch.rows("SELECT count(), sum(packets + rev_packets), sum(bytes + rev_bytes) FROM "
                "%s.flows" % db)[0]
    return tuple(int(x) for x in r)


def table_intervals(ch, db):
    r = ch.rows("SELECT count(), sum(packets), sum(bytes), sum(flows_new), sum(flows_ended) "
                "FROM %s.intervals" % db)[0]
    return tuple(int(x) for x in r)


def minute_totals(ch, db):
    r = ch.rows("SELECT sum(flows), sum(packets), sum(bytes) FROM %s.flows_minute" % db)[0]
    return tuple(int(x or 0) for x in r)


def duplicates(ch, db):
    """Rows minus distinct rows (a row: its batch and the record's identity)."""
    r = ch.rows("SELECT count(), uniqExact(probe, export_batch, start_ns, end_ns, src_addr, "
                "src_port, dst_addr, dst_port, proto, tunnel_id, packets, rev_packets) FROM "
                "%s.flows" % db)[0]
    return int(r[0]) - int(r[1])


def http_get(port, path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
        return r.read().decode()


def replays(ck, binary, data, tmp, ch):
    cfg = tmp / "splt.yaml"
    cfg.write_text("features:\n  splt: 8\n")
    gen = tmp / "gen.pcap"
    g = sf.pcapgen(binary, gen, "-n", 200000, "-f", 20000, "-d", 90)
    if g.returncode != 0:
        raise RuntimeError("sf_pcapgen failed: %s" % g.stderr)
    cases = [
        ("sample", data / "sample.pcap", ["-c", cfg, "--tcp-analysis", "--app", "--features"]),
        ("app", data / "app.pcap", ["--app"]),
        ("gen", gen, ["-w", "2", "--interval", "5"]),
    ]
    for name, cap, extra in cases:
        db = "sf_" + name
        flows, ivs = tmp / (name + ".flows.jsonl"), tmp / (name + ".intervals.jsonl")
        port = free_port()
        args = extra + ["-r", cap, "--clickhouse", "%s/%s" % (ch.url, db), "--flows", flows,
                        "--intervals", ivs, "--no-progress", "--probe", "probe-" + name]
        if name == "gen":
            args += ["--http", "127.0.0.1:%d" % port, "--serve"]
        out, err = tmp / (name + ".out"), tmp / (name + ".err")
        with open(out, "w") as fo, open(err, "w") as fe:
            proc = subprocess.Popen([str(binary)] + [str(a) for a in args], stdout=fo,
                                    stderr=fe, stdin=subprocess.DEVNULL)
        api = metrics = None
        try:
            if name == "gen":
                if sf.wait_for_text(proc, err, "replay done", timeout=sf.RUN_TIMEOUT):
                    api = json.loads(http_get(port, "/api/v1/exporters"))
                    metrics = http_get(port, "/metrics")
                proc.send_signal(signal.SIGINT)
            proc.wait(timeout=sf.RUN_TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        stdout, stderr = out.read_text(), err.read_text()
        if not ck.check(proc.returncode == 0, "%s: replay with --clickhouse exits 0" % name,
                        sf.tail(stderr)):
            continue
        recs, intervals = sf.load_jsonl(flows), sf.load_jsonl(ivs)
        want = json_totals(recs)
        got = table_totals(ch, db)
        ck.check(got == want and want[0] > 0, "%s: flows table count, packets, bytes %s equal "
                 "the JSON records'" % (name, list(got)), "JSON %s" % list(want))
        wi, gi = interval_totals(intervals), table_intervals(ch, db)
        ck.check(gi == wi and wi[0] > 0, "%s: intervals table count, packets, bytes, new and "
                 "ended flows %s equal the JSON intervals'" % (name, list(gi)),
                 "JSON %s" % list(wi))
        gm = minute_totals(ch, db)
        ck.check(gm == want, "%s: the per-minute view's flows, packets, bytes %s equal the "
                 "records'" % (name, list(gm)), "records %s" % list(want))
        ck.check(duplicates(ch, db) == 0, "%s: no row twice" % name)
        probes = ch.rows("SELECT DISTINCT probe FROM %s.flows" % db)
        ck.check(probes == [["probe-" + name]], "%s: every row carries --probe" % name, probes)
        rp = report(stdout)
        ck.check(rp is not None and rp["flows"] == len(recs) and
                 rp["intervals"] == len(intervals) and rp["lost"] == 0 and rp["inserts"] >= 2,
                 "%s: the report line says %s" % (name, rp), sf.tail(stdout))
        if name == "sample":
            cols = {r[0]: r[1] for r in ch.rows("DESCRIBE TABLE %s.flows" % db)}
            keys = set().union(*(r.keys() for r in recs))
            missing = sorted(set(sf.ALL_FIELDS) - set(cols))
            ck.check(not missing and keys <= set(cols) and "splt_ps" in keys,
                     "every record field is a column (%d keys in this run, with SPLT)" %
                     len(keys), "not columns: %s" % (missing or sorted(keys - set(cols))))
            # A row read back equals its JSON record, key by key.
            row = json.loads(ch.query(
                "SELECT * FROM %s.flows WHERE length(splt_ps) > 0 AND tls_sni != '' LIMIT 1 "
                "FORMAT JSONEachRow" % db))
            # 18.16 quotes 64-bit integers in JSON (output_format_json_quote_64bit_integers).
            row = {k: int(v) if isinstance(v, str) and v.isdigit() else v
                   for k, v in row.items()}
            match = [r for r in recs if r["start_ns"] == row["start_ns"] and
                     r["src_port"] == row["src_port"] and r["src_addr"] == row["src_addr"]]
            diff = [k for k in match[0] if match and row.get(k) != match[0][k]] if match \
                else ["no record"]
            ck.check(not diff, "a row read back equals its JSON record (TLS, TCP health, "
                     "features, SPLT)", "differs: %s" % diff)
        if name == "gen":
            ex = [e for e in (api or {}).get("exporters", []) if e["name"] == "clickhouse"]
            total = len(recs) + len(intervals)
            ck.check(len(ex) == 1 and ex[0]["written"] == total and ex[0]["lost"] == 0 and
                     ex[0]["queued"] == 0 and ex[0]["up"] is True,
                     "gen: /api/v1/exporters: written %d (records + intervals), lost 0, "
                     "queued 0, up" % total, ex)
            m = re.search(r'^spanflow_export_records_total\{exporter="clickhouse"\} (\d+)$',
                          metrics or "", re.M)
            ml = re.search(r'^spanflow_export_lost_records_total\{exporter="clickhouse"\} '
                           r'(\d+)$', metrics or "", re.M)
            ck.check(m is not None and int(m.group(1)) == total and ml is not None and
                     int(ml.group(1)) == 0, "gen: /metrics spanflow_export_records_total and "
                     "lost agree", (metrics or "")[-600:])
        if name == "gen":
            recipe(ck, ch, db, recs)
    return gen


def recipe(ck, ch, db, recs):
    """The README's multi-probe recipe on a one-shard cluster: Distributed
    tables over flows and the view, the top talkers and per-probe queries
    (the capture's whole time range instead of the last hour)."""
    ch.query("CREATE TABLE %s.flows_all AS %s.flows ENGINE = Distributed(spanflow_test, %s, "
             "flows, cityHash64(probe))" % (db, db, db))
    ch.query("CREATE TABLE %s.flows_minute_all AS %s.flows_minute ENGINE = "
             "Distributed(spanflow_test, %s, flows_minute, cityHash64(probe))" % (db, db, db))
    got = ch.rows("""SELECT addr, sum(b) AS bytes FROM (
            SELECT src_addr AS addr, bytes + rev_bytes AS b FROM {db}.flows_all
            WHERE end_time >= toDateTime(0)
            UNION ALL
            SELECT dst_addr AS addr, bytes + rev_bytes AS b FROM {db}.flows_all
            WHERE end_time >= toDateTime(0))
        GROUP BY addr ORDER BY bytes DESC, addr LIMIT 10""".format(db=db))
    talkers = {}
    for r in recs:
        for a in (r["src_addr"], r["dst_addr"]):
            talkers[a] = talkers.get(a, 0) + r["bytes"] + r["rev_bytes"]
    want = sorted(talkers.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    ck.check([(a, int(b)) for a, b in got] == want, "recipe: top talkers over the Distributed "
             "table equal the records' (%d hosts)" % len(talkers), "got %s\nwant %s" %
             (got[:3], want[:3]))
    per = ch.rows("SELECT probe, sum(flows), sum(packets), sum(bytes) FROM %s.flows_minute_all "
                  "GROUP BY probe" % db)
    ck.check([[p, int(f), int(pk), int(b)] for p, f, pk, b in per] ==
             [["probe-gen"] + list(json_totals(recs))],
             "recipe: per-probe totals over the Distributed view equal the records'", per)


def several_probes(ck, binary, data, tmp, ch):
    """Four probes started at once into one database: the tables are created
    once whoever comes first, each probe's rows are its own records."""
    db = "sf_probes"
    procs = []
    for i in range(4):
        flows = tmp / ("probe%d.flows.jsonl" % i)
        procs.append((flows, subprocess.Popen(
            [str(binary), "-r", str(data / "sample.pcap"), "--clickhouse",
             "%s/%s" % (ch.url, db), "--probe", "tap%d" % i, "--flows", str(flows), "-q",
             "--no-progress"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)))
    errs = []
    for flows, p in procs:
        _, err = p.communicate(timeout=sf.RUN_TIMEOUT)
        if p.returncode != 0:
            errs.append(sf.tail(err, 2))
    ck.check(not errs, "several probes started at once into one database all run", errs)
    want = [["tap%d" % i] + [str(x) for x in json_totals(sf.load_jsonl(f))]
            for i, (f, _) in enumerate(procs)] if not errs else None
    got = ch.rows("SELECT probe, count(), sum(packets + rev_packets), sum(bytes + rev_bytes) "
                  "FROM %s.flows GROUP BY probe ORDER BY probe" % db)
    ck.check(got == want, "several probes: each probe's rows equal its own records", got)


class AnswerDropper(threading.Thread):
    """A TCP proxy to the server that breaks inserts two ways. Of every four
    INSERTs, the second is read and dropped (the connection closed, nothing
    forwarded: not stored), and the fourth forwarded, its answer awaited and
    dropped (stored, the exporter does not know). Either way the exporter
    sent the request and got no answer."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.target = port
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.inserts = 0
        self.dropped = 0
        self.swallowed = 0

    def run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        with c, socket.create_connection(("127.0.0.1", self.target)) as s:
            req = b""
            c.settimeout(30)
            while b"\r\n\r\n" not in req:
                b = c.recv(65536)
                if not b:
                    return
                req += b
            head = req.split(b"\r\n\r\n", 1)[0].decode(errors="replace")
            m = re.search(r"content-length: *(\d+)", head, re.I)
            need = len(head) + 4 + (int(m.group(1)) if m else 0)
            while len(req) < need:
                b = c.recv(1 << 20)
                if not b:
                    return
                req += b
            if "INSERT" in head and self.inserts % 4 == 1:
                self.inserts += 1
                self.swallowed += 1
                return
            s.sendall(req)
            answer = b""
            while True:
                b = s.recv(65536)
                if not b:
                    break
                answer += b
            drop = False
            if "INSERT" in head:
                self.inserts += 1
                drop = self.inserts % 4 == 0
            if drop:
                self.dropped += 1
                return
            c.sendall(answer)

    def close(self):
        self.sock.close()


def answers_lost(ck, binary, tmp, ch, gen):
    px = AnswerDropper(ch.http_port)
    px.start()
    db = "sf_lost"
    flows = tmp / "lost.flows.jsonl"
    cfg = tmp / "lost.yaml"
    cfg.write_text("export:\n  clickhouse_batch_rows: 2000\n")
    r = sf.run(binary, ["-c", cfg, "-r", gen, "-w", "2", "--clickhouse",
                        "http://127.0.0.1:%d/%s" % (px.port, db), "--flows", flows,
                        "--no-progress"])
    px.close()
    ck.check(r.rc == 0, "answers lost: the run exits 0", r.describe())
    recs = sf.load_jsonl(flows)
    rp = report(r.out)
    ck.check(px.dropped >= 2 and px.swallowed >= 2 and rp is not None and
             rp["found"] == px.dropped and rp["lost"] == 0,
             "answers lost: of %d inserts %d answers dropped (stored) and %d requests "
             "dropped (not stored); the report says %s: each stored one found, not sent "
             "again" % (px.inserts, px.dropped, px.swallowed, rp), sf.tail(r.out))
    ck.check(table_totals(ch, db) == json_totals(recs) and duplicates(ch, db) == 0,
             "answers lost: every record stored once (%d rows)" % len(recs),
             "table %s, JSON %s" % (table_totals(ch, db), json_totals(recs)))


class Veth:
    """A veth pair: the sending end in a namespace of its own (tcpreplay runs
    there), the capturing end in this one, so the server's loopback stays
    reachable. The capturing end has an address no replayed frame is sent to,
    and no ARP: after the packet taps (spanflow's af_packet socket) have seen
    a frame, this namespace's stack drops it as another host's (it never
    answers or forwards a replayed packet)."""

    def __init__(self):
        self.ns = "sfch%d" % os.getpid()
        self.a, self.b = "sfch%da" % os.getpid(), "sfch%db" % os.getpid()

    def __enter__(self):
        try:
            sf.sh("ip", "netns", "add", self.ns)
            sf.sh("ip", "link", "add", self.a, "netns", self.ns, "type", "veth", "peer",
                  "name", self.b)
            sf.sh("ip", "netns", "exec", self.ns, "sysctl", "-qw",
                  "net.ipv6.conf.all.disable_ipv6=1")
            sf.sh("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % self.b, check=False)
            sf.sh("ip", "-n", self.ns, "link", "set", self.a, "mtu", "9000")
            sf.sh("ip", "link", "set", self.b, "mtu", "9000")
            # Not the frames' destination (sf_pcapgen's 02:00:00:00:00:01): the
            # stack takes them as another host's and drops them.
            sf.sh("ip", "link", "set", self.b, "address", "02:5f:00:00:00:fe", "arp", "off")
            sf.sh("ip", "-n", self.ns, "link", "set", self.a, "up")
            sf.sh("ip", "link", "set", self.b, "up")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        sf.sh("ip", "link", "del", self.b, check=False)
        sf.sh("ip", "netns", "del", self.ns, check=False)
        return False


def kill_restart(ck, binary, tmp, ch):
    why = sf.live_skip_reason()
    if why is not None:
        ck.check(False, "kill/restart runs (live capture on a veth pair)", why)
        return
    cap = tmp / "live.pcap"
    g = sf.pcapgen(binary, cap, "-n", 60000, "-f", 12000, "-N", "1.0", "-d", "1")
    if g.returncode != 0:
        raise RuntimeError("sf_pcapgen failed: %s" % g.stderr)
    db = "sf_kill"
    cfg = tmp / "kill.yaml"
    # Short timeouts so records keep flowing while the server is down; small
    # batches so inserts are in the air when it dies. Not smaller: every
    # insert is a part, and past 150 parts in a partition the server delays
    # inserts (parts_to_delay_insert), which on a small machine is slower
    # than the request timeout.
    cfg.write_text("timeouts:\n  idle: 0.5s\n  tcp_end: 0.2s\ninterval: 1s\n"
                   "export:\n  clickhouse_batch_rows: 1000\n  clickhouse_flush: 200ms\n"
                   "  clickhouse_timeout: 5s\n")
    flows, ivs = tmp / "kill.flows.jsonl", tmp / "kill.intervals.jsonl"
    out, err = tmp / "kill.out", tmp / "kill.err"
    port = free_port()
    with Veth() as v:
        with open(out, "w") as fo, open(err, "w") as fe:
            proc = subprocess.Popen(
                [str(binary), "-c", str(cfg), "-i", v.b, "-w", "2", "--clickhouse",
                 "%s/%s" % (ch.url, db), "--flows", str(flows), "--intervals", str(ivs),
                 "--http", "127.0.0.1:%d" % port, "--no-progress"],
                stdout=fo, stderr=fe, stdin=subprocess.DEVNULL)
        up_while_down = None
        try:
            if not ck.check(sf.wait_started(proc, err), "kill/restart: live capture starts",
                            sf.tail(err.read_text())):
                return
            replay = subprocess.Popen(["ip", "netns", "exec", v.ns, "tcpreplay", "-q", "-i",
                                       v.a, "--pps", "6000",
                                       str(cap)], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
            time.sleep(3)
            ch.kill()
            time.sleep(2.5)
            try:
                up_while_down = json.loads(http_get(port, "/api/v1/exporters"))
            except OSError:
                pass
            ch.start()
            replay.wait(timeout=120)
            time.sleep(3)
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=sf.RUN_TIMEOUT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    stdout, stderr = out.read_text(), err.read_text()
    ck.check(proc.returncode == 0, "kill/restart: spanflow exits 0", sf.tail(stderr))
    recs, intervals = sf.load_jsonl(flows), sf.load_jsonl(ivs)
    rp = report(stdout)
    ex = [e for e in (up_while_down or {}).get("exporters", []) if e["name"] == "clickhouse"]
    ck.check(len(ex) == 1 and ex[0]["up"] is False,
             "kill/restart: /api/v1/exporters says down while the server is", ex)
    ck.check(rp is not None and rp["retried"] > 0, "kill/restart: inserts were retried (%s)"
             % rp, sf.tail(stdout))
    ck.check(duplicates(ch, db) == 0, "kill/restart: no row twice")
    rows = table_totals(ch, db)[0]
    irows = table_intervals(ch, db)[0]
    lost = rp["lost"] if rp else -1
    unsure = rp["unsure"] if rp else 0
    # Exact, but for the rows the report names as possibly stored (an insert
    # unanswered when export.clickhouse_wait ran out): each of those is
    # stored or lost, the report cannot know which.
    total = len(recs) + len(intervals)
    ck.check(len(recs) > 1000 and total <= rows + irows + lost <= total + unsure and
             rows <= len(recs), "kill/restart: rows stored (%d flows, %d intervals) + lost "
             "reported (%d) == records + intervals in the JSON (%d + %d)%s" %
             (rows, irows, lost, len(recs), len(intervals),
              " within the %d rows said possibly stored" % unsure if unsure else ""),
             sf.tail(stdout, 3) + "\n" + sf.tail(stderr, 6))
    if lost > 0:
        ck.check("rows not stored" in stderr, "kill/restart: the loss is said on stderr",
                 sf.tail(stderr))


def server_frozen(ck, binary, tmp, ch, gen):
    """A server that takes connections and never answers (SIGSTOP): the
    replay is not slowed down, the wait at the end is bounded, the rows not
    stored are counted and said."""
    flows = tmp / "frozen.flows.jsonl"
    cfg = tmp / "frozen.yaml"
    cfg.write_text("export:\n  clickhouse_wait: 1s\n  clickhouse_timeout: 300ms\n")
    t0 = time.time()
    r = sf.run(binary, ["-r", gen, "-w", "2", "--flows", flows, "--no-progress"])
    free = time.time() - t0
    ch.proc.send_signal(signal.SIGSTOP)
    try:
        t0 = time.time()
        r = sf.run(binary, ["-c", cfg, "-r", gen, "-w", "2", "--clickhouse",
                            ch.url + "/sf_frozen", "--flows", flows, "--no-progress"],
                   timeout=120)
        took = time.time() - t0
    finally:
        ch.proc.send_signal(signal.SIGCONT)
    rp = report(r.out)
    n = len(sf.load_jsonl(flows)) if r.rc == 0 else -1
    ck.check(r.rc == 0 and took < free + 8, "server frozen (SIGSTOP): the replay takes %.1f s "
             "(%.1f s without ClickHouse; export.clickhouse_wait 1s)" % (took, free),
             r.describe())
    ck.check(rp is not None and rp["flows"] == 0 and rp["lost"] >= n and
             "rows not stored" in r.err, "server frozen: every row counted lost (%s) and "
             "said on stderr" % (rp and rp["lost"]), sf.tail(r.out) + sf.tail(r.err))


def server_down(ck, binary, data, tmp):
    cfg = tmp / "down.yaml"
    cfg.write_text("export:\n  clickhouse_wait: 1s\n  clickhouse_timeout: 500ms\n")
    flows, ivs = tmp / "down.flows.jsonl", tmp / "down.intervals.jsonl"
    t0 = time.time()
    r = sf.run(binary, ["-c", cfg, "-r", data / "sample.pcap", "--clickhouse",
                        "http://127.0.0.1:%d/x" % free_port(), "--flows", flows,
                        "--intervals", ivs, "--no-progress"], timeout=60)
    took = time.time() - t0
    n = len(sf.load_jsonl(flows)) + len(sf.load_jsonl(ivs)) if r.rc == 0 else -1
    rp = report(r.out)
    ck.check(r.rc == 0 and took < 15, "server down from the start: spanflow ends in %.1f s "
             "(export.clickhouse_wait 1s)" % took, r.describe())
    ck.check(rp is not None and rp["lost"] == n and rp["flows"] == 0,
             "server down: lost %s == records + intervals (%d)" % (rp and rp["lost"], n),
             sf.tail(r.out))
    ck.check(("%d of %d rows not stored" % (n, n)) in r.err and "Connection refused" in r.err,
             "server down: stderr says what was not stored and why", sf.tail(r.err))


def auth(ck, binary, data, tmp, ch):
    """User and password from the URL (%XX escapes), and a refusal at start."""
    flows = tmp / "auth.flows.jsonl"
    url = ch.url.replace("http://", "http://spanflow:s3cr%40t%3Ax@") + "/sf_auth"
    r = sf.run(binary, ["-r", data / "sample.pcap", "--clickhouse", url, "--flows", flows,
                        "--no-progress"])
    ok = r.rc == 0
    ck.check(ok and table_totals(ch, "sf_auth") == json_totals(sf.load_jsonl(flows)),
             "a user and password in the URL: tables created and filled as that user",
             r.describe())
    ck.check(ok and "s3cr" not in r.out + r.err, "the password is not in the output",
             sf.tail(r.out + r.err))
    url = ch.url.replace("http://", "http://spanflow:wrong@") + "/sf_auth"
    r = sf.run(binary, ["-r", data / "sample.pcap", "--clickhouse", url], timeout=60)
    ck.check(r.rc not in (0, None) and "export.clickhouse: http://spanflow@127.0.0.1:%d" %
             ch.http_port in r.err and "password" in r.err.lower() and "pipeline started"
             not in r.err, "a wrong password: an error before capture starts, with the "
             "server's reason", r.describe())


def bad_urls(ck, binary, data, tmp):
    cfg = tmp / "bad.yaml"
    cfg.write_text("export:\n  probe: p1\n  clickhouse: \"ftp://db.example:8123\"\n")
    r = sf.run(binary, ["-c", cfg, "-r", data / "sample.pcap"])
    ck.check(r.rc != 0 and ("%s:3:15: export.clickhouse:" % cfg) in r.err and
             "http://" in r.err, "a bad URL in YAML: an error at file:line:col with the "
             "expected form", r.describe())
    for url, what in (("http://:8123", "no host"), ("http://h:70000", "port"),
                      ("http://h:8123/a-b", "database")):
        r = sf.run(binary, ["-r", data / "sample.pcap", "--clickhouse", url])
        ck.check(r.rc != 0 and "--clickhouse" in r.err and what in r.err,
                 "--clickhouse %s: refused, naming the flag (%s)" % (url, what), r.describe())


def main():
    binary, data = sys.argv[1], Path(sys.argv[2])
    why = skip_reason()
    if why is not None:
        print("SKIP: %s" % why)
        sys.exit(77)
    ck = sf.Checker("ClickHouse export")
    tmp = Path(tempfile.mkdtemp(prefix="sf_ch_"))
    ch = None
    try:
        bad_urls(ck, binary, data, tmp)
        server_down(ck, binary, data, tmp)
        with ClickHouseServer(tmp) as ch:
            ck.note("clickhouse-server %s on %s" % (ch.query("SELECT version()").strip(),
                                                    ch.url))
            auth(ck, binary, data, tmp, ch)
            gen = replays(ck, binary, data, tmp, ch)
            several_probes(ck, binary, data, tmp, ch)
            answers_lost(ck, binary, tmp, ch, gen)
            server_frozen(ck, binary, tmp, ch, gen)
            kill_restart(ck, binary, tmp, ch)
    except (OSError, ValueError, KeyError, IndexError, RuntimeError,
            subprocess.TimeoutExpired) as e:
        ck.check(False, "test ran to the end", repr(e))
        if ch is not None:
            ck.note(ch.log_tail())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ck.finish()


if __name__ == "__main__":
    main()
