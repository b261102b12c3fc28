#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
spanflow final-flush benchmark: 1M flows resident in the flow tables when
input stops, then every one of them ended and written to one output.

A capture of 20M packets over exactly 1M flows (half TCP, half UDP, 20%
IPv6, every flow open until the end: TCP flows never close) is replayed
with `spanflow -r` and timeouts longer than the capture, so no flow ends
before the end of input and the whole flush happens at the end. For each
output alone (none, JSON lines to a file, CSV to a file, IPFIX over UDP to
a receiver this script binds on 127.0.0.1) and each worker count, it runs
spanflow RUNS times and prints the median of the report's flush time (the
"then X s to end the flows and write them" figure: from the end of input
to the moment every worker has flushed its table and the collector has
handed every record to the outputs), the records per second of that
flush, and checks that every flow was written exactly once: it counts the
lines, rows or IPFIX data records and the distinct flow keys in them. For
files it also times the output from outside (first to last growth of the
file, polled every millisecond) as a check on the report's figure.

The IPFIX receiver has a socket buffer large enough for the whole run
(SO_RCVBUFFORCE) and reads it after spanflow exits, so it never competes
with spanflow for a CPU; the kernel's count of datagrams dropped on that
socket (SO_RXQ_OVFL) is printed, as are spanflow's own send losses.

--live: the same flush on live capture. A veth pair joins two network
namespaces of this script's own; tcpreplay sends a capture of 1M packets,
each opening a new flow (1M flows), into one end at --pps packets/s,
`spanflow -i` captures on the other, and one SIGINT after the traffic
stops it. Printed: packets sent and received, kernel drops, flows in the
tables at the stop, records written and lost, the report's flush time and
the time from the signal to the exit.

A benchmark, not a test: figures depend on the machine and its load (the
load average before and after is printed). With --vs BUILD a second build
runs in turn with the first (A B A B ...), for a side-by-side comparison.

Usage: tools/bench_flush.py [--build DIR] [--vs DIR] [--runs N] [--workers 1,2]
                            [--outputs none,jsonl,csv,ipfix] [--live [--pps N]] [--markdown]
"""

import argparse
import os
import re
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLOWS = 1000000
# Replay: 20M packets over 1M flows picked uniformly (every flow gets at
# least one with the fixed seed; checked on each run), TCP flows never close.
REPLAY_GEN = ["-n", "20000000", "-f", str(FLOWS), "-6", "0.2", "-u", "0.5", "-l",
              "100000000", "-s", "64", "-S", "64", "-d", "60", "-r", "11"]
# Live: every packet opens a new flow (a SYN from a new source): 1M packets.
LIVE_GEN = ["-n", str(FLOWS), "-f", str(FLOWS), "-N", "1.0", "-6", "0.2", "-d", "10",
            "-r", "11"]
# Longer than either capture: nothing ends before the stop.
COMMON = ["--idle-timeout", "3600", "--active-timeout", "7200", "--flow-capacity",
          "2097152", "--no-http", "--no-progress"]
OUTPUTS = ("none", "jsonl", "csv", "ipfix")
SO_RXQ_OVFL = 40
SO_RCVBUFFORCE = 33
CLONE_NEWNET = 0x40000000


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        m = re.search(r"^Model name:\s*(.+)$", out, re.M)
        if m:
            return m.group(1).strip()
    except OSError:
        pass
    return "unknown CPU"


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def parse_report(out):
    r = {}
    m = re.search(r"processed\s+(\d+) packets in ([0-9.]+) s: .*\(then ([0-9.]+) s to end", out)
    if m:
        r["packets"], r["input_s"], r["flush_s"] = int(m.group(1)), float(m.group(2)), \
            float(m.group(3))
    m = re.search(r"(\d+) flows started; at most (\d+) at once", out)
    if m:
        r["started"], r["peak"] = int(m.group(1)), int(m.group(2))
    m = re.search(r"(\d+) evicted from full tables", out)
    r["evicted"] = int(m.group(1)) if m else None
    r["lost"] = sum(int(x) for x in re.findall(r"LOST (\d+) records", out))
    m = re.search(r"conservation: .*dropped (\d+)\s+\[(\w+)\]", out)
    if m:
        r["dropped"], r["conserved"] = int(m.group(1)), m.group(2) == "ok"
    m = re.search(r"export: ipfix to \d+ collectors?: (\d+) messages, (\d+) records, \d+ bytes; "
                  r"lost (\d+) messages \((\d+) records\)", out)
    if m:
        r["ipfix_msgs"], r["ipfix_records"], r["ipfix_lost_msgs"], r["ipfix_lost_records"] = (
            int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4)))
    return r


# Flow records read back: (records, distinct flows). A flow is its two ends
# in either order, protocol and VLAN: what makes it one flow table entry.

JSON_KEY = re.compile(rb'"src_addr":"([^"]*)","src_port":(\d+),"dst_addr":"([^"]*)",'
                      rb'"dst_port":(\d+),"proto":(\d+),"ip_version":\d+,"vlan":(\d+)')


def flow_id(a, ap, b, bp, proto, vlan):
    x, y = (a, ap), (b, bp)
    return (x, y, proto, vlan) if x <= y else (y, x, proto, vlan)


def count_jsonl(path):
    with open(path, "rb") as f:
        data = f.read()
    keys = {flow_id(*m) for m in JSON_KEY.findall(data)}
    return data.count(b"\n"), len(keys)


def count_csv(path):
    with open(path, "rb") as f:
        lines = f.read().split(b"\n")
    keys = set()
    n = 0
    for ln in lines[1:]:
        if not ln:
            continue
        v = ln.split(b",", 9)
        keys.add(flow_id(v[2], v[3], v[4], v[5], v[6], v[8]))
        n += 1
    return n, len(keys)


class IpfixReceiver:
    """A UDP socket on 127.0.0.1 (in network namespace `netns` if given) with
    room for a whole run; read after spanflow exits. Counts flow data records
    (the templates' sets 256/257) and the distinct flows in them."""

    def __init__(self, netns=None):
        if netns:
            box = []
            t = threading.Thread(target=lambda: box.append(self._socket_in(netns)))
            t.start()
            t.join()
            self.sock = box[0]
        else:
            self.sock = self._socket()
        self.port = self.sock.getsockname()[1]

    @staticmethod
    def _socket():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 1 << 30)
        s.setsockopt(socket.SOL_SOCKET, SO_RXQ_OVFL, 1)
        s.bind(("127.0.0.1", 0))
        return s

    @classmethod
    def _socket_in(cls, netns):
        # setns() moves this thread only; the socket stays in that namespace.
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open("/run/netns/" + netns, os.O_RDONLY)
        try:
            if libc.setns(fd, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns " + netns)
            return cls._socket()
        finally:
            os.close(fd)

    def drain(self):
        """(messages, flow records, distinct flows, datagrams the kernel dropped)."""
        self.sock.setblocking(False)
        templates = {}	# template id -> (record length, {ie: (offset, length)})
        msgs = recs = 0
        kernel_drops = 0
        keys = set()
        while True:
            try:
                data, anc, _, _ = self.sock.recvmsg(65535, socket.CMSG_SPACE(4))
            except BlockingIOError:
                break
            for level, typ, val in anc:
                if level == socket.SOL_SOCKET and typ == SO_RXQ_OVFL and len(val) >= 4:
                    kernel_drops = struct.unpack("I", val[:4])[0]
            msgs += 1
            recs += self._parse(data, templates, keys)
        self.sock.close()
        return msgs, recs, len(keys), kernel_drops

    @staticmethod
    def _parse(data, templates, keys):
        n = 0
        off = 16
        end = min(len(data), struct.unpack_from(">H", data, 2)[0])
        while off + 4 <= end:
            sid, slen = struct.unpack_from(">HH", data, off)
            if slen < 4:
                break
            body, bend = off + 4, min(off + slen, end)
            if sid == 2:
                p = body
                while p + 4 <= bend:
                    tid, cnt = struct.unpack_from(">HH", data, p)
                    p += 4
                    rl, ies = 0, {}
                    for _ in range(cnt):
                        ie, ln = struct.unpack_from(">HH", data, p)
                        p += 4
                        if ie & 0x8000:
                            p += 4	# enterprise number: a reverse element
                        else:
                            ies.setdefault(ie, (rl, ln))
                        rl += ln
                    templates[tid] = (rl, ies)
            elif sid in templates and sid in (256, 257):
                rl, ies = templates[sid]
                a, ap = ies.get(8) or ies.get(27), ies.get(7)
                b, bp = ies.get(12) or ies.get(28), ies.get(11)
                pr, vl = ies.get(4), ies.get(58)
                p = body
                while p + rl <= bend:
                    def f(e):
                        return data[p + e[0]:p + e[0] + e[1]] if e else b""
                    keys.add(flow_id(f(a), f(ap), f(b), f(bp), f(pr), f(vl)))
                    n += 1
                    p += rl
            off += slen
        return n


class Growth:
    """Polls a file's size: when it first grew and when it last grew
    (monotonic seconds)."""

    def __init__(self, path):
        self.path = path
        self.first = self.last = None
        self.stop = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        size = 0
        while not self.stop.is_set():
            try:
                s = os.stat(self.path).st_size
            except OSError:
                s = 0
            if s > size:
                now = time.monotonic()
                if self.first is None:
                    self.first = now
                self.last = now
                size = s
            time.sleep(0.001)

    def seconds(self):
        self.stop.set()
        self.t.join()
        return self.last - self.first if self.first is not None else None


def output_args(out, tmp, rx):
    if out == "jsonl":
        return ["--flows", os.path.join(tmp, "flows.jsonl")]
    if out == "csv":
        return ["--csv", os.path.join(tmp, "flows.csv")]
    if out == "ipfix":
        return ["--ipfix", "127.0.0.1:%d" % rx.port]
    return []


def check_written(r, out, tmp, rx):
    """Fill r with what the output holds: written, distinct (and IPFIX figures)."""
    if out == "jsonl":
        r["written"], r["distinct"] = count_jsonl(os.path.join(tmp, "flows.jsonl"))
    elif out == "csv":
        r["written"], r["distinct"] = count_csv(os.path.join(tmp, "flows.csv"))
    elif out == "ipfix":
        r["rx_msgs"], r["written"], r["distinct"], r["rx_drops"] = rx.drain()


def run_replay(binary, cap, workers, out):
    with tempfile.TemporaryDirectory(prefix="sf-bench-flush-") as tmp:
        rx = IpfixReceiver() if out == "ipfix" else None
        cmd = [binary, "-r", cap, "-w", str(workers)] + COMMON + output_args(out, tmp, rx)
        growth = None
        if out in ("jsonl", "csv"):
            growth = Growth(cmd[-1])
        t0 = time.monotonic()
        p = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        wall = time.monotonic() - t0
        r = parse_report(p.stdout)
        r["rc"], r["wall"], r["cmd"] = p.returncode, wall, " ".join(cmd)
        r["growth"] = growth.seconds() if growth else None
        if p.returncode != 0 or "flush_s" not in r:
            if rx:
                rx.sock.close()
            sys.exit("bench_flush: %s failed (exit %d):\n%s%s" % (
                r["cmd"], p.returncode, p.stdout[-1500:], p.stderr[-1500:]))
        check_written(r, out, tmp, rx)
    return r


def run_live(binary, cap, workers, out, pps):
    sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
    import sfcommon as sf
    with tempfile.TemporaryDirectory(prefix="sf-bench-flush-") as tmp, \
            sf.Netns("fl") as n:
        rx = IpfixReceiver(n.ns_rx) if out == "ipfix" else None
        cmd = ["ip", "netns", "exec", n.ns_rx, binary, "-i", n.veth_rx, "-w", str(workers)] \
            + COMMON + output_args(out, tmp, rx)
        errlog, outlog = os.path.join(tmp, "err"), os.path.join(tmp, "out")
        with open(errlog, "w") as e, open(outlog, "w") as o:
            proc = subprocess.Popen(cmd, stdout=o, stderr=e, stdin=subprocess.DEVNULL)
        try:
            if not sf.wait_for_text(proc, errlog, " started", timeout=120):
                sys.exit("bench_flush: spanflow -i did not start:\n" + open(errlog).read())
            t = sf.sh("ip", "netns", "exec", n.ns_tx, "tcpreplay", "-i", n.veth_tx, "--pps",
                      str(pps), cap, check=False)
            m = re.search(r"Successful packets:\s+(\d+)", t.stdout)
            sent = int(m.group(1)) if m else None
            time.sleep(1.0)
            t0 = time.monotonic()
            rc = sf.signal_and_wait(proc, signal.SIGINT, timeout=300)
            stop_s = time.monotonic() - t0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        stdout = open(outlog).read()
        r = parse_report(stdout)
        r["rc"], r["sent"], r["stop_s"] = rc, sent, stop_s
        r["cmd"] = " ".join(cmd[4:])
        r["growth"] = None
        r["stderr"] = open(errlog).read()
        if "flush_s" not in r:
            sys.exit("bench_flush: no report from %s (exit %s):\n%s" % (
                r["cmd"], rc, r["stderr"][-1500:]))
        check_written(r, out, tmp, rx)
    return r


def generate(gen, args, name):
    cap = os.path.join(os.environ.get("TMPDIR", "/tmp"), name)
    if not os.path.exists(cap):
        print("generating %s: sf_pcapgen %s" % (cap, " ".join(args)), flush=True)
        subprocess.run([gen, "-o", cap + ".part"] + args, check=True)
        os.rename(cap + ".part", cap)
    return cap


def med(runs, key):
    v = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(v) if v else None


def summarize(label, workers, out, runs, cpu, live):
    flush = med(runs, "flush_s")
    written = [r.get("written") for r in runs]
    row = {
        "build": label, "workers": workers, "out": out, "cpu": cpu, "flush": flush,
        "rate": FLOWS / flush if flush else None,
        "started": [r.get("started") for r in runs], "written": written,
        "distinct": [r.get("distinct") for r in runs],
        "lost": max(r.get("lost", 0) for r in runs),
        "growth": med(runs, "growth"), "input": med(runs, "input_s"),
        "all": " ".join("%.3f" % r["flush_s"] for r in runs),
        "rx_drops": max((r.get("rx_drops") or 0) for r in runs),
        "ipfix_lost": max((r.get("ipfix_lost_records") or 0) for r in runs),
        "stop": med(runs, "stop_s"), "sent": [r.get("sent") for r in runs],
        "dropped": [r.get("dropped") for r in runs], "cmd": runs[0]["cmd"],
    }
    # Every flow in the tables written exactly once: as many records as
    # flows, all distinct; on replay those are the capture's 1M flows.
    row["complete"] = out == "none" or all(
        w == s and d == s for w, d, s in zip(row["written"], row["distinct"], row["started"]))
    if not live:
        row["complete"] = row["complete"] and all(s == FLOWS for s in row["started"])
    return row


def fmt(v, f="%.3f"):
    return "-" if v is None else f % v


def print_row(r, live):
    w = "-" if r["out"] == "none" else "/".join(str(x) for x in r["written"])
    extra = ""
    if r["out"] == "ipfix":
        extra = "  spanflow send losses %d, kernel rx drops %d" % (r["ipfix_lost"], r["rx_drops"])
    if live:
        extra += "  sent %s dropped %s in tables %s, signal to exit %.3f s" % (
            "/".join(str(x) for x in r["sent"]), "/".join(str(x) for x in r["dropped"]),
            "/".join(str(x) for x in r["started"]), r["stop"])
    print("%-6s -w %d %-5s flush %s s (runs %s)  %s records/s  written %s %s  "
          "file grew over %s s%s  [%s]" % (
              r["build"], r["workers"], r["out"], fmt(r["flush"]), r["all"],
              fmt(r["rate"], "%.0f"), w, "all once" if r["complete"] else "INCOMPLETE",
              fmt(r["growth"]), extra, r["cpu"]), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--vs", metavar="BUILD", help="a second build, run in turn with --build")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--outputs", default=",".join(OUTPUTS))
    ap.add_argument("--live", action="store_true", help="live capture on a veth pair")
    ap.add_argument("--pps", type=int, default=200000, help="--live: tcpreplay rate")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    a = ap.parse_args()
    outs = a.outputs.split(",")
    if any(o not in OUTPUTS for o in outs):
        sys.exit("bench_flush: outputs are %s" % ",".join(OUTPUTS))
    builds = [("A", a.build)] + ([("B", a.vs)] if a.vs else [])
    for _, b in builds:
        if not os.access(os.path.join(b, "app", "spanflow", "spanflow"), os.X_OK):
            sys.exit("bench_flush: no spanflow in %s: build first (tools/setup.sh)" % b)
    gen = os.path.join(a.build, "tools", "sf_pcapgen")
    if a.live:
        sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
        import sfcommon as sf
        why = sf.live_skip_reason()
        if why:
            sys.exit("bench_flush: --live: " + why)
        cap = generate(gen, LIVE_GEN, "sf-bench-flush-live-1M.pcap")
    else:
        cap = generate(gen, REPLAY_GEN, "sf-bench-flush-1M.pcap")
        with open(cap, "rb") as f:	# in the page cache for every run alike
            while f.read(1 << 24):
                pass
    cpu = "%s, %d CPUs" % (cpu_model(), os.cpu_count())
    print("CPU: %s; load average %s; capture %s" % (cpu, loadavg(), cap), flush=True)
    for label, b in builds:
        print("build %s: %s" % (label, b))
    rows = []
    for workers in [int(x) for x in a.workers.split(",")]:
        for out in outs:
            runs = {label: [] for label, _ in builds}
            for _ in range(a.runs):
                for label, b in builds:
                    binary = os.path.join(b, "app", "spanflow", "spanflow")
                    if a.live:
                        r = run_live(binary, cap, workers, out, a.pps)
                    else:
                        r = run_replay(binary, cap, workers, out)
                    runs[label].append(r)
            for label, _ in builds:
                row = summarize(label, workers, out, runs[label], cpu, a.live)
                rows.append(row)
                print_row(row, a.live)
    print("load average after: %s" % loadavg())
    if a.markdown:
        print()
        if a.live:
            print("| build | workers | output | packets sent | kernel drops | flows at the stop "
                  "| records written | lost (report) | flush (median) | records/s | signal to "
                  "exit | runs (flush s) | CPU |")
            print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
        else:
            print("| build | workers | output | flush of 1M flows (median) | records/s | "
                  "every flow written once | output grew over | runs (flush s) | CPU |")
            print("|---|---:|---|---:|---:|---|---:|---|---|")
        for r in rows:
            done = "-" if r["out"] == "none" else (
                "yes (%d)" % FLOWS if r["complete"] else
                "NO: %s" % "/".join(str(x) for x in r["written"]))
            if r["out"] == "ipfix" and (r["rx_drops"] or r["ipfix_lost"]):
                done += ", %d sends refused, %d dropped by the kernel" % (
                    r["ipfix_lost"], r["rx_drops"])
            if a.live:
                print("| %s | %d | %s | %s | %s | %s | %s | %d | %s s | %s | %s s | %s | %s |" % (
                    r["build"], r["workers"], r["out"], "/".join(str(x) for x in r["sent"]),
                    "/".join(str(x) for x in r["dropped"]),
                    "/".join(str(x) for x in r["started"]),
                    "-" if r["out"] == "none" else "/".join(str(x) for x in r["written"]),
                    r["lost"], fmt(r["flush"]), fmt(r["rate"], "%.0f"), fmt(r["stop"]),
                    r["all"], r["cpu"]))
            else:
                print("| %s | %d | %s | %s s | %s | %s | %s | %s | %s |" % (
                    r["build"], r["workers"], r["out"], fmt(r["flush"]),
                    fmt(r["rate"], "%.0f"), done,
                    "-" if r["growth"] is None else "%.3f s" % r["growth"], r["all"], r["cpu"]))
        print("\nCommands (median of %d runs each):" % a.runs)
        seen = set()
        for r in rows:
            c = re.sub(r"/tmp/sf-bench-flush-[^/ ]+/", "DIR/", r["cmd"])
            c = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", c)
            if c not in seen:
                seen.add(c)
                print("- `%s`" % c)
    if not all(r["complete"] for r in rows):
        print("bench_flush: some runs did not write every flow exactly once (see above)")
        sys.exit(1)


if __name__ == "__main__":
    main()
