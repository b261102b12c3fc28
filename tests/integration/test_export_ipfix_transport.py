#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
IPFIX beyond UDP: files (RFC 5655) and TCP (RFC 7011 section 10.4), decoded
by ipfixDump (libfixbuf) and by the test's own message walker:
  * --ipfix-file: the file decodes whole; its flow records (addresses,
    ports, start, packets and bytes both ways) are the JSON-lines records of
    the same run, one each; the templates come once, at the start; every
    message's sequence number counts the data records before it;
  * --ipfix-tcp to a collector of the test's own (a loopback TCP listener
    that keeps each session's bytes): the same records, one session, nothing
    lost, sequence numbers as above;
  * the collector ends the session part-way and is away for a second:
    spanflow reconnects, the new session starts with the templates its
    records need (it decodes on its own), sequence numbers start again at 0,
    and every record arrives (a message the collector got but had not
    acknowledged may come twice: counted, said);
  * no collector at all: the run ends within export.ipfix_linger, every
    record is counted lost, in the report and on stderr;
  * a TCP collector in a bad form in the YAML file is a configuration error
    naming the file, line and column.

Usage: test_export_ipfix_transport.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402

# Every data template of flow records (sf_export.h): 256, 257, 260, 261, 263..290.
FLOW_TIDS = {256, 257, 260, 261} | set(range(263, 291))


class TcpCollector(threading.Thread):
    """A loopback IPFIX-over-TCP listener keeping each session's bytes (sessions).
    With drop_after, the first session is ended once it holds that many bytes:
    the collector closes its side (a FIN) and reads on until spanflow's end
    of the connection goes, so every byte its TCP acknowledged is read (a
    reset with unread bytes would lose what its TCP had acknowledged, as a
    collector that crashes does: no exporter can know). The port then stays
    closed for `pause` seconds."""

    def __init__(self, drop_after=0, pause=1.0):
        super().__init__(daemon=True)
        self.drop_after = drop_after
        self.pause = pause
        self.sessions = []
        self.stopping = False
        self.lsock = self._listen(0)
        self.port = self.lsock.getsockname()[1]

    def _listen(self, port):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(4)
        s.settimeout(0.1)
        return s

    def run(self):
        while not self.stopping:
            try:
                c, _ = self.lsock.accept()
            except socket.timeout:
                continue
            c.settimeout(0.1)
            data = bytearray()
            dropped = False
            while not self.stopping:
                try:
                    d = c.recv(65536)
                except socket.timeout:
                    continue
                except OSError:
                    break  # spanflow reset its end: what was read is what came
                if not d:
                    break
                data += d
                if self.drop_after and not self.sessions and not dropped and \
                        len(data) >= self.drop_after:
                    c.shutdown(socket.SHUT_WR)
                    dropped = True
            c.close()
            self.sessions.append(bytes(data))
            if dropped:
                self.lsock.close()
                time.sleep(self.pause)
                self.lsock = self._listen(self.port)

    def stop(self):
        self.stopping = True
        self.join()
        self.lsock.close()


def walk(data):
    """The messages of an IPFIX stream: [(sequence number, bytes)], and the
    bytes left over (a cut message)."""
    out, o = [], 0
    while o + 16 <= len(data):
        ver, ln, _t, seq, _dom = struct.unpack_from(">HHIII", data, o)
        if ver != 10 or ln < 16 or o + ln > len(data):
            break
        out.append((seq, data[o:o + ln]))
        o += ln
    return out, len(data) - o


def sets_of(msg):
    o, out = 16, []
    while o + 4 <= len(msg):
        sid, ln = struct.unpack_from(">HH", msg, o)
        if ln < 4:
            break
        out.append((sid, msg[o + 4:o + ln]))
        o += ln
    return out


def template_ids(body, options):
    """The ids of the (options) templates in a set's body."""
    ids, o = [], 0
    while o + 4 <= len(body):
        tid, n = struct.unpack_from(">HH", body, o)
        if tid < 256:
            break
        o += 4
        if options:
            o += 2
        for _ in range(n):
            ie, _ln = struct.unpack_from(">HH", body, o)
            o += 4 + (4 if ie & 0x8000 else 0)
        ids.append(tid)
    return ids


def dump(path, rfc5610=True):
    p = subprocess.run(["ipfixDump"] + (["--rfc5610"] if rfc5610 else []) + ["--in", str(path)],
                       capture_output=True, text=True, errors="replace")
    return p.returncode, p.stdout, p.stderr


def seq_problems(path):
    """Messages whose sequence number is not the count of the data records
    before them (ipfixDump counts them: every data record, options included)."""
    rc, out, err = dump(path, rfc5610=False)
    if rc != 0:
        return ["ipfixDump: " + sf.tail(err)]
    bad, expect, first = [], 0, True
    for block in re.split(r"--- Message Header ---", out)[1:]:
        m = re.search(r"sequence number: (\d+)", block)
        seq = int(m.group(1))
        if seq != expect:
            bad.append("sequence %d, expected %d" % (seq, expect))
        first = False
        expect += block.count("--- data record")
    return bad if not first else ["no message"]


def flow_tuples(path):
    rc, out, err = dump(path)
    if rc != 0:
        return None, "ipfixDump: " + sf.tail(err)
    recs = sf.ipfix_dump_records(out, FLOW_TIDS)
    return [(sf.ipfix_addr(d), int(d["sourceTransportPort"]), sf.ipfix_addr(d, False),
             int(d["destinationTransportPort"]), d["flowStartMilliseconds"],
             int(d["packetDeltaCount"]), int(d["octetDeltaCount"]),
             int(d.get("reversePacketDeltaCount", 0)), int(d.get("reverseOctetDeltaCount", 0)))
            for d in recs], None


def json_tuples(recs):
    return [(r["src_addr"], r["src_port"], r["dst_addr"], r["dst_port"],
             sf.ipfix_ms_text(r["start_ns"]), r["packets"], r["bytes"], r["rev_packets"],
             r["rev_bytes"]) for r in recs]


def conf_of(tmp, name, line):
    """A configuration file with one export setting."""
    p = Path(tmp) / ("%s.yaml" % name)
    p.write_text("export:\n  %s\n" % line)
    return p


def report_line(out):
    m = re.search(r"^export: ipfix to .*$", out, re.M)
    return m.group(0) if m else ""


def lost_records(line):
    m = re.search(r"lost (\d+) messages \((\d+) records\)", line)
    return int(m.group(2)) if m else None


def main():
    binary, data = sf.usage_args()
    if shutil.which("ipfixDump") is None:
        print("ipfixDump (libfixbuf-tools) is not installed")
        sys.exit(77)
    ck = sf.Checker("IPFIX over TCP and to files")
    tmp = Path(tempfile.mkdtemp(prefix="sf_ipfix_tr_"))
    try:
        big = tmp / "big.pcap"
        g = sf.pcapgen(binary, big, "-n", 300000, "-f", 40000, "-d", 30, "-6", "0.3")
        if g.returncode != 0:
            ck.check(False, "sf_pcapgen writes the capture", g.stderr)
            ck.finish()
        app = data / "app.pcap"

        # 1. Files: the app mix (app and TCP templates) and a large plain capture.
        for label, cap, extra in (("app", app, ["--app", "--tcp-analysis"]),
                                  ("big", big, [])):
            f = tmp / ("%s.ipfix" % label)
            js = tmp / ("%s.jsonl" % label)
            r = sf.run(binary, ["-r", cap, "--no-http", "-w", "2", "--flows", js,
                                "--ipfix-file", f] + extra)
            ck.check(r.rc == 0, "%s: file run exits 0" % label, r.describe())
            want = json_tuples(sf.load_jsonl(js))
            got, prob = flow_tuples(f)
            ck.check(prob is None and Counter(got) == Counter(want),
                     "%s: ipfixDump decodes the file's %d flow records, equal to the %d "
                     "JSON records" % (label, len(got or []), len(want)),
                     prob or "missing %s\nextra %s" % (list((Counter(want) - Counter(got)))[:3],
                                                      list((Counter(got) - Counter(want)))[:3]))
            msgs, left = walk(f.read_bytes())
            tpl = Counter()
            for _seq, m in msgs:
                for sid, body in sets_of(m):
                    if sid in (2, 3):
                        tpl.update(template_ids(body, sid == 3))
            ck.check(left == 0 and len(msgs) > 0, "%s: %d whole messages, nothing cut"
                     % (label, len(msgs)), "left over %d bytes" % left)
            # The final statistics go with their (options) template again; no refresh else.
            # (262, the type records' options template, goes with each group of elements.)
            ck.check(tpl[256] == 2 and tpl[257] == 2 and
                     max(v for k, v in tpl.items() if k != 262) <= 2,
                     "%s: templates at the start (and with the final statistics) only"
                     % label, dict(tpl))
            ck.check(not seq_problems(f), "%s: sequence numbers count the data records "
                     "before each message" % label, seq_problems(f)[:3])
            ck.check(lost_records(report_line(r.out)) == 0 and "a file" in report_line(r.out),
                     "%s: report line: to a file, nothing lost" % label, report_line(r.out))

        # 2. TCP, the collector there throughout.
        js = tmp / "tcp.jsonl"
        col = TcpCollector()
        col.start()
        r = sf.run(binary, ["-r", big, "--no-http", "-w", "2", "--flows", js,
                            "--ipfix-tcp", "127.0.0.1:%d" % col.port])
        time.sleep(0.3)
        col.stop()
        ck.check(r.rc == 0, "tcp: run exits 0", r.describe())
        ck.check(len(col.sessions) == 1, "tcp: one session", len(col.sessions))
        want = json_tuples(sf.load_jsonl(js))
        s0 = tmp / "tcp.0.ipfix"
        s0.write_bytes(col.sessions[0] if col.sessions else b"")
        got, prob = flow_tuples(s0)
        ck.check(prob is None and Counter(got) == Counter(want),
                 "tcp: the collector decodes %d flow records, equal to the %d JSON records"
                 % (len(got or []), len(want)), prob)
        ck.check(not seq_problems(s0), "tcp: sequence numbers count the data records",
                 seq_problems(s0)[:3])
        line = report_line(r.out)
        ck.check("1 collector over TCP" in line and lost_records(line) == 0 and
                 "reconnection" not in line, "tcp: report line: nothing lost", line)

        # 3. TCP, the collector ends the session part-way and comes back a second later.
        js = tmp / "drop.jsonl"
        total = len(col.sessions[0]) if col.sessions else 1 << 20
        col = TcpCollector(drop_after=total // 5, pause=1.0)
        col.start()
        r = sf.run(binary, ["-r", big, "--no-http", "-w", "2", "--flows", js,
                            "--ipfix-tcp", "127.0.0.1:%d" % col.port,
                            "-c", conf_of(tmp, "linger20", "ipfix_linger: 20s")])
        time.sleep(0.3)
        col.stop()
        ck.check(r.rc == 0, "reconnect: run exits 0", r.describe())
        ck.check(len(col.sessions) == 2, "reconnect: two sessions", len(col.sessions))
        want = json_tuples(sf.load_jsonl(js))
        got_all = []
        for i, b in enumerate(col.sessions[:2]):
            p = tmp / ("drop.%d.ipfix" % i)
            msgs, left = walk(b)
            # spanflow's reset may cut the first session's last message: decode the whole ones.
            p.write_bytes(b[:len(b) - left])
            got, prob = flow_tuples(p)
            ck.check(prob is None, "reconnect: session %d decodes (%d messages, %d flow "
                     "records)" % (i, len(msgs), len(got or [])), prob)
            got_all.append(got or [])
            ck.check(msgs and msgs[0][0] == 0 and not seq_problems(p),
                     "reconnect: session %d's sequence numbers start at 0 and count its "
                     "data records" % i, seq_problems(p)[:3])
            if i == 1:
                data_sets = [sid for _s, m in msgs for sid, _b in sets_of(m) if sid in FLOW_TIDS]
                defined = set()
                undefined = 0
                for _s, m in msgs:
                    for sid, body in sets_of(m):
                        if sid in (2, 3):
                            defined.update(template_ids(body, sid == 3))
                        elif sid >= 256 and sid not in defined:
                            undefined += 1
                ck.check(data_sets and undefined == 0,
                         "reconnect: the new session defines every template before its "
                         "data sets (%d data sets)" % len(data_sets), "%d sets without "
                         "their template" % undefined)
        union = Counter(got_all[0]) | Counter(got_all[1]) if len(got_all) == 2 else Counter()
        twice = sum((Counter(got_all[0]) & Counter(got_all[1])).values()) if len(got_all) == 2 \
            else 0
        ck.check(union == Counter(want), "reconnect: every one of the %d JSON records arrived "
                 "(%d in the first session, %d in the second)" % (len(want), len(got_all[0]),
                                                                   len(got_all[-1])),
                 "missing %d" % sum((Counter(want) - union).values()))
        ck.note("records in both sessions (received, not yet acknowledged when spanflow "
                "saw the end): %d" % twice)
        line = report_line(r.out)
        ck.check("1 TCP reconnection" in line and lost_records(line) == 0,
                 "reconnect: report line: one reconnection, nothing lost", line)
        ck.check("connection lost" in r.err and "connected again" in r.err,
                 "reconnect: stderr says the connection was lost and made again",
                 sf.tail(r.err))

        # 4. No collector at all: bounded wait, everything counted lost.
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        js = tmp / "none.jsonl"
        t0 = time.monotonic()
        r = sf.run(binary, ["-r", app, "--no-http", "-w", "1", "--flows", js,
                            "--ipfix-tcp", "127.0.0.1:%d" % port,
                            "-c", conf_of(tmp, "linger1", "ipfix_linger: 1s")])
        took = time.monotonic() - t0
        n = len(sf.load_jsonl(js))
        line = report_line(r.out)
        ck.check(r.rc == 0 and took < 30, "absent: the run ends (%.1f s) and exits 0" % took,
                 r.describe())
        ck.check(lost_records(line) == n and n > 0,
                 "absent: the report counts all %d records lost" % n, line)
        ck.check("not reachable" in r.err and "%d records) not delivered" % n in r.err,
                 "absent: stderr says the collector was not reachable and what was lost",
                 sf.tail(r.err))

        # 4b. The same seen through the API and /metrics while spanflow serves.
        import test_http
        with test_http.Server(binary, ["-r", app, "--serve", "-w", "1", "--flows",
                                       tmp / "api.jsonl", "--ipfix-tcp",
                                       "127.0.0.1:%d" % port, "-c",
                                       conf_of(tmp, "linger1b", "ipfix_linger: 1s")],
                              tmp) as srv:
            exps, deadline = {}, time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    exps = {e["name"]: e for e in srv.json("/api/v1/exporters")["exporters"]}
                    if exps.get("ipfix", {}).get("lost"):
                        break
                except Exception:  # not serving yet
                    pass
                time.sleep(0.2)
            ix, fl = exps.get("ipfix", {}), exps.get("flows", {})
            ck.check(ix.get("lost") == n and ix.get("queued") == 0 and ix.get("up") is False
                     and fl.get("written") == n and fl.get("lost") == 0 and fl.get("up") is None,
                     "API: /api/v1/exporters says ipfix lost %d, down; flows wrote %d" % (n, n),
                     exps)
            _st, body, _h = srv.get("/metrics")
            body = body.decode() if isinstance(body, bytes) else body
            ck.check('spanflow_export_lost_records_total{exporter="ipfix"} %d' % n in body and
                     'spanflow_export_up{exporter="ipfix"} 0' in body and
                     'spanflow_export_records_total{exporter="flows"} %d' % n in body,
                     "/metrics: exporter records, losses and state",
                     "\n".join(ln for ln in body.splitlines() if "export" in ln))

        # 5. A bad collector in the file: FILE:LINE:COL.
        conf = tmp / "bad.yaml"
        conf.write_text("export:\n  ipfix_tcp: [\"127.0.0.1\"]\n")
        r = sf.run(binary, ["-c", conf, "-r", app, "--no-http"])
        ck.check(r.rc == 2 and re.search(r"bad\.yaml:2:\d+", r.err) is not None,
                 "bad export.ipfix_tcp: a configuration error at bad.yaml:2:COL", r.describe())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ck.finish()


if __name__ == "__main__":
    main()
