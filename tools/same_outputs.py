#!/usr/bin/env python3
"""Do two spanflow builds give the same outputs, byte for byte?

    tools/same_outputs.py BIN_BEFORE BIN_AFTER [PCAP ...]

For a restructuring that must not change what spanflow says. Each capture
(default: every capture in tests/data) is replayed by both binaries with 1
and 2 workers (with 2, records are compared as sets: their order varies
from run to run), writing flow records (JSON lines and CSV), interval
summaries, IPFIX (received on a loopback UDP port), the end-of-run report,
and serving HTTP after the replay: every API endpoint and /metrics are
fetched. Fields that are wall-clock or process facts (export time,
uptime, snapshot sequence, lag, hugepage use) are masked in both before
comparing. Prints each difference; exit status 1 if any.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ENDPOINTS = ["/api/v1/summary", "/api/v1/intervals", "/api/v1/flows/top",
             "/api/v1/flows/top?by=packets", "/api/v1/talkers/top", "/api/v1/ports/top",
             "/api/v1/protocols", "/api/v1/workers", "/api/v1/config", "/metrics"]

# Wall-clock and process facts, masked in both outputs.
MASK_JSON = re.compile(r'"(uptime_s|uptime_ns|wall_ns|time|seq|lag_s|lag_ns|generated'
                       r'|final_wall_ns|now|started|published_ns)":\s*[0-9.e+-]+')
MASK_PROM = re.compile(r'^(spanflow_(uptime|build|snapshot|start_time|lag)[a-z_]*'
                       r'(\{[^}]*\})?) .*$', re.M)
MASK_REPORT = re.compile(r'(\d+(\.\d+)? ?(s|ms|[kM]?pps|[kM]?packets/s|M?B/s))|'
                         r'(hugepages[^\n]*)|(took [^\n]*)')


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(base, path):
    with urllib.request.urlopen(base + path, timeout=10) as r:
        return r.read().decode("utf-8", "replace")


def run(binary, pcap, workers, tmp, http_port, udp):
    """One replay; returns {output name: masked text}."""
    out = {}
    files = {k: os.path.join(tmp, k) for k in ("flows.jsonl", "flows.csv", "intervals.jsonl")}
    cmd = [binary, "-r", pcap, "-w", str(workers), "--no-progress", "--serve",
           "--http", "127.0.0.1:%d" % http_port, "--flows", files["flows.jsonl"],
           "--csv", files["flows.csv"], "--intervals", files["intervals.jsonl"],
           "--ipfix", "127.0.0.1:%d" % udp.getsockname()[1], "--", "--no-huge"]
    errf = open(os.path.join(tmp, "err"), "w+")
    outf = open(os.path.join(tmp, "out"), "w+")
    p = subprocess.Popen(cmd, stdout=outf, stderr=errf, stdin=subprocess.DEVNULL)
    base = "http://127.0.0.1:%d" % http_port
    ipfix = []
    end = time.time() + 120
    finished = False
    while time.time() < end and p.poll() is None:
        try:
            while True:
                ipfix.append(udp.recv(65536))
        except socket.timeout:
            pass
        try:
            if json.loads(get(base, "/api/v1/summary")).get("finished"):
                finished = True
                break
        except (OSError, ValueError):
            pass
    try:
        while True:
            ipfix.append(udp.recv(65536))
    except socket.timeout:
        pass
    if finished:
        for ep in ENDPOINTS:
            body = get(base, ep)
            out[ep] = MASK_PROM.sub(r"\1 <masked>", MASK_JSON.sub(r'"\1":0', body))
    else:
        out["http"] = "replay did not finish"
    if p.poll() is None:
        p.send_signal(signal.SIGINT)
        p.wait(timeout=30)
    out["exit"] = str(p.returncode)
    for k, path in files.items():
        out[k] = Path(path).read_text() if os.path.exists(path) else "(missing)"
    out["intervals.jsonl"] = MASK_JSON.sub(r'"\1":0', out["intervals.jsonl"])
    if workers > 1:
        # Records reach the collector in an order that varies from run to
        # run with several workers: compare them as sets of lines, and
        # IPFIX (whose messages pack them in that order) with one worker.
        for k in ("flows.jsonl", "flows.csv"):
            out[k] = "".join(sorted(out[k].splitlines(True)))
    # IPFIX: the export time (message header bytes 4-7) is the wall clock.
    if workers == 1:
        out["ipfix"] = "".join((m[:4] + b"\0\0\0\0" + m[8:]).hex() + "\n" for m in ipfix)
    errf.seek(0)
    outf.seek(0)
    out["report"] = MASK_REPORT.sub("<t>", outf.read() + errf.read())
    if workers > 1:
        # IPFIX messages close at different points as records arrive.
        out["report"] = re.sub(r"(export: ipfix to \d+ collectors?:).*", r"\1 <masked>",
                               out["report"])
    for path in files.values():
        if os.path.exists(path):
            os.unlink(path)
    return out


def same_json(a, b):
    """True when a and b are the same JSON documents (or lines) but for key order."""
    try:
        return [json.loads(x) for x in a.splitlines() if x.strip()] == \
            [json.loads(x) for x in b.splitlines() if x.strip()]
    except ValueError:
        return False


def json_diff(a, b):
    """Where two JSON documents differ, as 'path: before -> after' lines."""
    try:
        da, db = json.loads(a), json.loads(b)
    except ValueError:
        return []
    out = []

    def walk(x, y, path):
        if isinstance(x, dict) and isinstance(y, dict):
            for k in list(x) + [k for k in y if k not in x]:
                walk(x.get(k, "(absent)"), y.get(k, "(absent)"), path + "." + k)
        elif isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
            for i, (p, q) in enumerate(zip(x, y)):
                walk(p, q, "%s[%d]" % (path, i))
        elif x != y:
            out.append("%s: %s -> %s" % (path, json.dumps(x)[:100], json.dumps(y)[:100]))
    walk(da, db, "")
    return out


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    a, b = sys.argv[1], sys.argv[2]
    root = Path(__file__).resolve().parent.parent
    pcaps = sys.argv[3:] or sorted(str(p) for p in (root / "tests/data").iterdir()
                                   if p.suffix in (".pcap", ".cap", ".pcapng"))
    diffs = 0
    for pcap in pcaps:
        for workers in (1, 2):
            # The same directory and ports for both: they appear in /api/v1/config.
            with tempfile.TemporaryDirectory(prefix="sf_same_") as tmp:
                http_port = free_port()
                udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                udp.bind(("127.0.0.1", 0))
                udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
                udp.settimeout(0.05)
                ra = run(a, pcap, workers, tmp, http_port, udp)
                rb = run(b, pcap, workers, tmp, http_port, udp)
                udp.close()
                for k in ra:
                    if ra[k] != rb.get(k):
                        if same_json(ra[k], rb.get(k, "")):
                            print("KEY ORDER %s -w %d: %s (same JSON values)" %
                                  (os.path.basename(pcap), workers, k))
                            continue
                        diffs += 1
                        print("DIFF %s -w %d: %s" % (os.path.basename(pcap), workers, k))
                        jd = json_diff(ra[k], rb.get(k, ""))
                        for line in jd[:8]:
                            print("  " + line)
                        shown = 5 if jd else 0
                        for la, lb in zip(ra[k].splitlines(), rb.get(k, "").splitlines()):
                            if la != lb and shown < 5:
                                shown += 1
                                i = next(j for j in range(min(len(la), len(lb)) + 1)
                                         if j == min(len(la), len(lb)) or la[j] != lb[j])
                                lo = max(0, i - 120)
                                print("  before: ...%s\n  after:  ...%s" % (la[lo:i + 180],
                                                                         lb[lo:i + 180]))
                        if len(ra[k].splitlines()) != len(rb.get(k, "").splitlines()):
                            print("  lengths %d vs %d lines" % (len(ra[k].splitlines()),
                                                            len(rb.get(k, "").splitlines())))
                print("%-32s -w %d: %d outputs compared" % (os.path.basename(pcap), workers,
                                                            len(ra)), flush=True)
    print("differences: %d" % diffs)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
