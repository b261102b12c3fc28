#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
SIGHUP reopens the output files (logrotate's postrotate, systemctl reload).

`spanflow -i` captures on one end of a veth pair between two network
namespaces of our own, writing flow records as JSON lines, CSV and an IPFIX
file, and interval summaries. tcpreplay sends a first capture; once its
flows have ended (idle timeout), the test moves every output file away as
logrotate does (F -> F.1), sends SIGHUP, then sends a second capture and
stops spanflow with SIGINT. Checks:
  * spanflow did not stop on SIGHUP: it says it reopened the files, runs on,
    and exits 0 on SIGINT, "stopped by signal SIGINT";
  * F.1 and F hold every record exactly once between them, JSON as CSV,
    and the records hold every flowed packet (the conservation line);
  * the first capture's flows are in the moved files, the second's in the
    new ones (split at the moment of the SIGHUP);
  * every file is whole: JSON lines that parse and end with a newline, CSV
    files that each start with the header;
  * each IPFIX file decodes on its own with ipfixDump (templates first,
    sequence numbers from 0), and their flow records together are the JSON
    records (when ipfixDump is installed);
  * with rotation on (export.rotate_size), SIGHUP completes the current
    numbered file and starts the next: no temporary file is left, and the
    records are each in one file;
  * a spanflow serving over HTTP after a replay (--serve) from a terminal of
    its own (a pseudo-terminal): `kill -HUP` does not stop it, but the
    terminal hanging up (its other end closed) does, with exit status 0.

Exit 77 (skipped) without root, ip, tcpreplay or ethtool.

Usage: test_signals_reopen.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import collections
import csv
import os
import pty
import select
import socket
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402
import test_export_ipfix_transport as ipt  # noqa: E402

PACKETS = 6000
FLOWS = 400
PPS = 10000
IDLE = "0.5s"		# idle flows end this long after their last packet,
TCP_END = "0.2s"	# TCP flows this long after FIN or RST: before the SIGHUP


def key_of(r):
    return (r["src_addr"], r["src_port"], r["dst_addr"], r["dst_port"], r["proto"],
            r["vlan"], r["start_ns"])


def read_jsonl(ck, what, path):
    data = path.read_bytes() if path.exists() else b""
    ck.check(data == b"" or data.endswith(b"\n"), "%s: %s ends with a whole line"
             % (what, path.name), data[-80:])
    try:
        return sf.load_jsonl(path) if data else []
    except ValueError as e:
        ck.check(False, "%s: %s holds JSON lines" % (what, path.name), e)
        return []


def read_csv(ck, what, path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    ok = bool(rows) and set(rows[0]) == set(sf.ALL_FIELDS)
    ck.check(ok, "%s: %s starts with the CSV header" % (what, path.name),
             rows[0][:6] if rows else "empty")
    if not ok:
        return []
    bad = [i for i, row in enumerate(rows[1:], 2) if len(row) != len(rows[0])]
    ck.check(not bad, "%s: %s: every row has the header's columns" % (what, path.name), bad[:5])
    return [sf.csv_record(rows[0], row) for row in rows[1:] if len(row) == len(rows[0])]


def once_each(ck, what, fmt, recs, cons):
    keys = collections.Counter(key_of(r) for r in recs)
    dups = [k for k, n in keys.items() if n > 1]
    ck.check(not dups, "%s: %s: each flow written once over both files (%d records)"
             % (what, fmt, len(recs)), str(dups[:5]))
    total = sum(r["packets"] + r["rev_packets"] for r in recs)
    ck.check(total == cons["flowed"], "%s: %s records hold every flowed packet (%d = %d)"
             % (what, fmt, total, cons["flowed"]))


def wait_text(path, text, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if text in path.read_text(errors="replace"):
            return True
        time.sleep(0.05)
    return False


def plain_round(ck, binary, n, caps, tmp):
    """Files without rotation, moved away as logrotate does, then SIGHUP."""
    what = "logrotate"
    out = Path(tmp) / "plain"
    out.mkdir()
    f, c, iv, ipf = out / "f.jsonl", out / "f.csv", out / "iv.jsonl", out / "f.ipfix"
    args = ["-w", 2, "--flows", f, "--csv", c, "--intervals", iv, "--ipfix-file", ipf,
            "--interval", "0.5", "--idle-timeout", IDLE, "--tcp-end-timeout", TCP_END,
            "--no-progress", "--no-http"]
    with sf.LiveRun(n, binary, args, out) as run:
        if not run.started(ck, what):
            return
        sent1 = sf.tcpreplay(n, caps[0], "-q", "--pps", PPS)
        # The first capture's flows end (idle timeout) and are written.
        time.sleep(3)
        for p in (f, c, iv, ipf):
            p.rename(p.with_name(p.name + ".1"))
        t_hup = time.time_ns()
        run.proc.send_signal(signal.SIGHUP)
        said = wait_text(run.errlog, "output files reopened")
        err = run.errlog.read_text()
        ck.check(said and run.proc.poll() is None,
                 "%s: SIGHUP: spanflow says it reopened the files and runs on" % what,
                 sf.tail(err))
        ck.check(all(p.exists() for p in (f, c, iv, ipf)),
                 "%s: SIGHUP: every output file is there again at its path" % what,
                 sorted(x.name for x in out.iterdir()))
        time.sleep(1)
        sent2 = sf.tcpreplay(n, caps[1], "-q", "--pps", PPS)
        time.sleep(1)
        ck.note("%s: tcpreplay sent %d and %d packets" % (what, sent1, sent2))
        rc = run.stop(signal.SIGINT)
        err, stdout = run.texts()
    ck.check(rc == 0 and "stopped by signal SIGINT" in err,
             "%s: exit status 0 on SIGINT, not on SIGHUP" % what, "exit %s\n%s"
             % (rc, sf.tail(err)))
    cons = sf.parse_conservation(stdout)
    if not ck.check(cons is not None and sf.conservation_holds(cons),
                    "%s: conservation line holds" % what, stdout[-600:]):
        return
    old, new = read_jsonl(ck, what, out / "f.jsonl.1"), read_jsonl(ck, what, f)
    ck.check(old and new, "%s: records before the SIGHUP in f.jsonl.1 (%d), after it in "
             "f.jsonl (%d)" % (what, len(old), len(new)))
    late = [r for r in old if r["end_ns"] > t_hup]
    early = [r for r in new if r["start_ns"] < t_hup]
    ck.check(not late and not early, "%s: split at the SIGHUP: the first capture's flows "
             "in the moved file, the second's in the new one" % what,
             "%d late, %d early: %s" % (len(late), len(early), "; ".join(
                 "%s:%d > %s:%d proto %d, %d packets, %.3f .. %.3f s from the SIGHUP, %s"
                 % (r["src_addr"], r["src_port"], r["dst_addr"], r["dst_port"], r["proto"],
                    r["packets"] + r["rev_packets"], (r["start_ns"] - t_hup) / 1e9,
                    (r["end_ns"] - t_hup) / 1e9, r["end_reason"]) for r in (late + early)[:4])))
    recs = old + new
    once_each(ck, what, "JSON", recs, cons)
    rows = read_csv(ck, what, out / "f.csv.1") + read_csv(ck, what, c)
    once_each(ck, what, "CSV", rows, cons)
    ck.check(sorted(map(sf.canon, recs)) == sorted(map(sf.canon, rows)),
             "%s: JSON and CSV hold the same records" % what)
    ivs = read_jsonl(ck, what, out / "iv.jsonl.1") + read_jsonl(ck, what, iv)
    ck.check(len(ivs) > 0, "%s: interval summaries in both files: %d" % (what, len(ivs)))
    if shutil.which("ipfixDump") is None:
        ck.note("ipfixDump is not installed: the IPFIX files are not decoded")
        return
    tuples = []
    for p in (out / "f.ipfix.1", ipf):
        t, why = ipt.flow_tuples(p)
        if not ck.check(t is not None, "%s: %s decodes on its own (ipfixDump)"
                        % (what, p.name), why):
            return
        probs = ipt.seq_problems(p)
        ck.check(not probs, "%s: %s: sequence numbers count its data records from 0"
                 % (what, p.name), probs[:5])
        tuples += t
    ck.check(collections.Counter(tuples) == collections.Counter(ipt.json_tuples(recs)),
             "%s: the two IPFIX files hold the JSON records, each once (%d)"
             % (what, len(tuples)))


def rotating_round(ck, binary, n, caps, tmp):
    """Numbered files (rotation on): SIGHUP completes one and starts the next."""
    what = "rotation"
    out = Path(tmp) / "rot"
    out.mkdir()
    cfg = Path(tmp) / "rotate.yaml"
    cfg.write_text("export:\n  rotate_size: 1G\n")
    args = ["-c", cfg, "-w", 1, "--flows", out / "f.jsonl", "--csv", out / "f.csv",
            "--idle-timeout", IDLE, "--tcp-end-timeout", TCP_END, "--no-progress", "--no-http"]
    with sf.LiveRun(n, binary, args, out) as run:
        if not run.started(ck, what):
            return
        sf.tcpreplay(n, caps[0], "-q", "--pps", PPS)
        time.sleep(3)
        run.proc.send_signal(signal.SIGHUP)
        said = wait_text(run.errlog, "output files reopened")
        names = sorted(p.name for p in out.iterdir())
        ck.check(said and "f.000000.jsonl" in names and "f.000001.jsonl.tmp" in names
                 and "f.000000.csv" in names and "f.000001.csv.tmp" in names,
                 "%s: SIGHUP completed file 000000 and started 000001" % what, names)
        sf.tcpreplay(n, caps[1], "-q", "--pps", PPS)
        time.sleep(1)
        rc = run.stop(signal.SIGINT)
        err, stdout = run.texts()
    ck.check(rc == 0, "%s: exit status 0" % what, sf.tail(err))
    names = sorted(p.name for p in out.iterdir() if p.name.startswith("f."))
    ck.check(names == ["f.000000.csv", "f.000000.jsonl", "f.000001.csv", "f.000001.jsonl"],
             "%s: two complete files per output, no temporary file left" % what, names)
    cons = sf.parse_conservation(stdout)
    if cons is None:
        ck.check(False, "%s: conservation line" % what, stdout[-600:])
        return
    recs = sum((read_jsonl(ck, what, out / x) for x in names if x.endswith(".jsonl")), [])
    rows = sum((read_csv(ck, what, out / x) for x in names if x.endswith(".csv")), [])
    once_each(ck, what, "JSON", recs, cons)
    once_each(ck, what, "CSV", rows, cons)


def pty_round(ck, binary, data):
    """A run with a terminal: SIGHUP from kill is a reopen, a hangup a stop."""
    what = "terminal"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    pid, fd = pty.fork()
    if pid == 0:
        # A test run under nohup hands SIGHUP down ignored, and spanflow then
        # rightly takes no hangup for a stop: a terminal's program has it default.
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        os.execv(binary, [binary, "-r", str(data / "sample.pcap"), "--serve", "--http",
                          "127.0.0.1:%d" % port, "--no-progress"])
    seen, deadline = b"", time.time() + 60
    while b"until Ctrl-C" not in seen and time.time() < deadline:
        r, _w, _x = select.select([fd], [], [], 0.5)
        if r:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    ok = ck.check(b"until Ctrl-C" in seen, "%s: spanflow -r --serve on a pseudo-terminal "
                  "serves after the replay" % what, seen[-400:])
    status = None
    if ok:
        os.kill(pid, signal.SIGHUP)
        time.sleep(1.5)
        done, status = os.waitpid(pid, os.WNOHANG)
        ck.check(done == 0, "%s: kill -HUP does not stop it" % what)
        if done == 0:
            # Read what it said, then hang up: close our end of the terminal.
            r, _w, _x = select.select([fd], [], [], 0.5)
            if r:
                seen += os.read(fd, 65536)
            ck.check(b"SIGHUP" in seen, "%s: it says what it did with the SIGHUP" % what,
                     seen[-300:])
            os.close(fd)
            fd = None
            deadline = time.time() + 30
            while done == 0 and time.time() < deadline:
                time.sleep(0.1)
                done, status = os.waitpid(pid, os.WNOHANG)
            ck.check(done != 0 and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0,
                     "%s: the terminal hanging up stops it, exit status 0" % what,
                     "still running" if done == 0 else "status %#x" % status)
    if fd is not None:
        os.close(fd)
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    except ChildProcessError:
        pass



def main():
    binary, data = sf.usage_args()
    why = sf.live_skip_reason()
    if why:
        print("cannot run: %s" % why)
        sys.exit(77)
    ck = sf.Checker("SIGHUP reopens the output files")
    with tempfile.TemporaryDirectory(prefix="sf-reopen-") as tmp:
        caps = []
        for i, seed in enumerate((11, 29)):
            cap = os.path.join(tmp, "gen%d.pcap" % i)
            g = sf.pcapgen(binary, cap, "-n", PACKETS, "-f", FLOWS, "-u", "0.3", "-r", seed)
            if not ck.check(g.returncode == 0, "generated capture %d" % i, g.stderr):
                ck.finish()
            caps.append(cap)
        with sf.Netns() as n:
            plain_round(ck, binary, n, caps, tmp)
            rotating_round(ck, binary, n, caps, tmp)
    pty_round(ck, binary, data)
    ck.finish()


if __name__ == "__main__":
    main()
