#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Exporter cost: the end-to-end time of `spanflow -r` on the 10M-packet
benchmark capture (tools/bench_replay.sh's: 10M packets of 64..128 bytes
over 1M flows) with no exporter and with each exporter on, and the flow
records exported per second of that run. Every destination is on loopback
and started here: a UDP sink, a TCP sink (a thread that reads and counts),
Debian's clickhouse-server in a temporary directory, and librdkafka's mock
cluster (the test helper). The receivers share the machine's CPUs with
spanflow: on a 2-CPU machine their reading shows in the figures. A
benchmark, not a test.

Usage: tools/bench_export.py [--runs N] [--build DIR] [--packets N] [--flows N]
                             [--exporter NAME ...] [--markdown]
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))


class UdpSink(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 25)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        self.bytes = 0

    def run(self):
        while not self.stopping:
            try:
                self.bytes += len(self.sock.recv(65535))
            except socket.timeout:
                pass

    def stop(self):
        self.stopping = True
        self.join()
        self.sock.close()


class TcpSink(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(4)
        self.lsock.settimeout(0.2)
        self.port = self.lsock.getsockname()[1]
        self.stopping = False
        self.bytes = 0

    def run(self):
        while not self.stopping:
            try:
                c, _ = self.lsock.accept()
            except socket.timeout:
                continue
            c.settimeout(0.2)
            while not self.stopping:
                try:
                    d = c.recv(1 << 20)
                except socket.timeout:
                    continue
                if not d:
                    break
                self.bytes += len(d)
            c.close()

    def stop(self):
        self.stopping = True
        self.join()
        self.lsock.close()


class Ctx:
    """What an exporter needs for a run: its arguments, and what to stop after."""

    def __init__(self, build, tmp):
        self.build = build
        self.tmp = tmp
        self.stops = []

    def stop(self):
        for s in reversed(self.stops):
            s()
        self.stops = []


def ex_none(ctx):
    return []


def ex_flows(ctx):
    return ["--flows", os.path.join(ctx.tmp, "f.jsonl")]


def ex_csv(ctx):
    return ["--csv", os.path.join(ctx.tmp, "f.csv")]


def ex_ipfix_udp(ctx):
    s = UdpSink()
    s.start()
    ctx.stops.append(s.stop)
    return ["--ipfix", "127.0.0.1:%d" % s.port]


def ex_ipfix_tcp(ctx):
    s = TcpSink()
    s.start()
    ctx.stops.append(s.stop)
    return ["--ipfix-tcp", "127.0.0.1:%d" % s.port]


def ex_ipfix_file(ctx):
    return ["--ipfix-file", os.path.join(ctx.tmp, "f.ipfix")]


def ex_clickhouse(ctx):
    import clickhouse_server  # tests/integration: Debian's server in a temporary directory
    srv = clickhouse_server.ClickHouseServer(ctx.tmp)
    srv.__enter__()
    ctx.stops.append(lambda: srv.__exit__(None, None, None))
    # A replay makes rows faster than one server stores them: room for all of them.
    conf = os.path.join(ctx.tmp, "ch.yaml")
    with open(conf, "w") as f:
        f.write("export:\n  clickhouse_buffer: 2G\n  clickhouse_wait: 600s\n")
    return ["--clickhouse", srv.url + "/spanflow_bench", "-c", conf]


def ex_kafka(ctx):
    helper = os.path.join(ctx.build, "tests", "helpers", "sf_kafka_mock")
    p = subprocess.Popen([helper], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    boot = p.stdout.readline().strip()

    def stop():
        p.stdin.close()
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
    ctx.stops.append(stop)
    return ["--kafka", boot]


EXPORTERS = {
    "none": ex_none,
    "flows": ex_flows,
    "csv": ex_csv,
    "ipfix-udp": ex_ipfix_udp,
    "ipfix-tcp": ex_ipfix_tcp,
    "ipfix-file": ex_ipfix_file,
    "clickhouse": ex_clickhouse,
    "kafka": ex_kafka,
}


def run_once(binary, cap, capacity, args):
    t0 = time.monotonic()
    p = subprocess.run([binary, "-r", cap, "-w", "1", "--no-http", "--no-progress",
                        "--flow-capacity", str(capacity)] + args,
                       capture_output=True, text=True)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        raise RuntimeError("%s: exit %d\n%s" % (" ".join(args), p.returncode, p.stderr[-2000:]))
    m = re.search(r"^flows\s+(\d+) records", p.stdout, re.M)
    records = int(m.group(1)) if m else 0
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("export: ")]
    lost = 0
    for ln in lines:
        m = re.search(r"lost (\d+) messages \((\d+) records\)", ln) or \
            re.search(r"lost (\d+)", ln)
        if m:
            lost += int(m.group(m.lastindex))
    return wall, records, lost, lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--packets", type=int, default=10000000)
    ap.add_argument("--flows", type=int, default=1000000)
    ap.add_argument("--exporter", action="append", choices=list(EXPORTERS))
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    binary = os.path.join(a.build, "app", "spanflow", "spanflow")
    gen = os.path.join(a.build, "tools", "sf_pcapgen")
    cap = os.path.join(tempfile.gettempdir(), "sf-bench-%d-%d.pcap" % (a.packets, a.flows))
    if not os.path.exists(cap):
        print("generating %s" % cap, file=sys.stderr)
        subprocess.run([gen, "-o", cap, "-n", str(a.packets), "-f", str(a.flows), "-s", "64",
                        "-S", "128", "-d", "60"], check=True)
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for ln in f:
            if ln.startswith("model name"):
                cpu = ln.split(":", 1)[1].strip()
                break
    print("machine: %d CPUs, %s; capture %s (%d packets, %d flows)"
          % (os.cpu_count(), cpu, cap, a.packets, a.flows))
    subprocess.run(["cat", cap], stdout=subprocess.DEVNULL)  # page cache, alike for all
    rows = []
    base = None
    for name in a.exporter or list(EXPORTERS):
        walls, recs, losts, lines = [], 0, [], []
        for _ in range(a.runs):
            tmp = tempfile.mkdtemp(prefix="sf_bench_export_")
            ctx = Ctx(a.build, tmp)
            try:
                args = EXPORTERS[name](ctx)
                w, recs, lost, lines = run_once(binary, cap, a.flows * 2, args)
                walls.append(w)
                losts.append(lost)
            finally:
                ctx.stop()
                shutil.rmtree(tmp, ignore_errors=True)
        wall = statistics.median(walls)
        if name == "none":
            base = wall
        rows.append((name, wall, walls, recs, max(losts), lines))
        print("%-11s median %.3f s (runs %s), %d records, %.0f records/s, lost %d"
              % (name, wall, " ".join("%.3f" % x for x in walls), recs, recs / wall,
                 max(losts)), flush=True)
        for ln in lines:
            print("            " + ln)
    if a.markdown:
        # records/s of the run, and per second the exporter added (its own rate)
        print("\n| exporter | wall (median of %d) | vs none | records | records/s of the run "
              "| records per added second | lost |" % a.runs)
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, wall, _w, recs, lost, _l in rows:
            extra = wall - base if base is not None else 0
            print("| %s | %.2f s | %s | %d | %.2f M | %s | %d |"
                  % (name, wall, "%+.2f s" % extra if base is not None else "",
                     recs, recs / wall / 1e6,
                     "%.2f M" % (recs / extra / 1e6) if extra > 0.05 else "-", lost))


if __name__ == "__main__":
    main()
