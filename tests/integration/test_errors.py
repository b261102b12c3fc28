#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Error handling and exit codes:
  exit 1 (runtime): missing file, a file that is not a capture, a directory,
                    an unsupported link type;
  exit 2 (usage/config): unknown or malformed options, bad values, a config
                    file with an unknown key or a wrong type (FILE:LINE:COL);
  exit 0: --help, --version.
Error messages go to stderr on a line starting with "spanflow: ".
Every command-line flag sets what it always set (seen with --print-config),
and --help lists each one with its setting and default.

Usage: test_errors.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import os
import re
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402

ERR_TIMEOUT = 120

# Every flag that sets a setting, the setting's YAML line(s) it must give in
# --print-config (after "-r FILE"), and its argument.
FLAGS = [
    (["-w", "3"], ["workers: 3"]),
    (["--workers", "auto"], ["workers: auto"]),
    (["--reader", "libpcap"], ["  reader: libpcap"]),
    (["--interval", "500ms"], ["interval: 500ms"]),
    (["--idle-timeout", "90"], ["  idle: 90s"]),
    (["--active-timeout", "2h"], ["  active: 2h"]),
    (["--tcp-end-timeout", "1.5"], ["  tcp_end: 1500ms"]),
    (["--flow-capacity", "1M"], ["  capacity: 1048576"]),
    (["--flows", "-"], ['  flows: "-"']),
    (["--intervals", "iv.jsonl"], ['  intervals: "iv.jsonl"']),
    (["--csv", "f.csv"], ['  csv: "f.csv"']),
    (["-q"], ["  report: false"]),
    (["--quiet"], ["  report: false"]),
    (["--no-progress"], ["  progress: false"]),
    (["--ipfix", "127.0.0.1:2055", "--ipfix", "[::1]:4739"],
     ['  ipfix: ["127.0.0.1:2055", "[::1]:4739"]']),
    (["--ipfix-mode", "uniflow"], ["  ipfix_mode: uniflow"]),
    (["--kafka", "k1.example:9092,192.0.2.7:9093"], ['  kafka: "k1.example:9092,192.0.2.7:9093"']),
    (["--http", "127.0.0.1:9999"], ['  listen: "127.0.0.1:9999"', "  enabled: true"]),
    (["--http", "127.0.0.1:9999", "--no-http"], ["  enabled: false"]),
    (["--no-http"], ["  enabled: false"]),
    (["--serve"], ["  serve: true", "  enabled: true"]),
    (["--hugepages", "no"], ["  hugepages: no"]),
    (["--idle", "busy"], ["  idle: busy"]),
]


def msg_lines(r):
    return [ln for ln in r.err.splitlines() if ln.startswith("spanflow: ")]


def expect(ck, r, rc, what, must=(), regex=None):
    """Exit code rc, a 'spanflow: ' line on stderr (for errors), and that
    line(s) containing each string of `must` (case-insensitive) / `regex`."""
    ok = ck.check(r.rc == rc, "%s: exit %d" % (what, rc), r.describe())
    if rc == 0:
        return ok
    lines = msg_lines(r)
    ok &= ck.check(bool(lines), "%s: stderr message starts with 'spanflow: '" % what,
                   "stderr: " + (sf.tail(r.err) or "(empty)"))
    text = "\n".join(lines).lower()
    for m in must:
        ok &= ck.check(m.lower() in text, "%s: message mentions %r" % (what, m),
                       "messages: " + ("\n".join(lines) or "(none)"))
    if regex:
        ok &= ck.check(re.search(regex, "\n".join(lines)) is not None,
                       "%s: message matches /%s/" % (what, regex),
                       "messages: " + ("\n".join(lines) or "(none)"))
    return ok


def project_version():
    try:
        text = (sf.REPO / "meson.build").read_text()
        m = re.search(r"project\([^)]*?version\s*:\s*'([^']+)'", text, re.S)
        return m.group(1) if m else None
    except OSError:
        return None


def main():
    binary, data = sf.usage_args()
    ck = sf.Checker("errors, exit codes and messages")
    good = data / "sctp.cap"

    def run(args):
        return sf.run(binary, args, timeout=ERR_TIMEOUT)

    with tempfile.TemporaryDirectory(prefix="sf-errors-") as tmpd:
        tmp = Path(tmpd)

        print("-- runtime errors (exit 1)", flush=True)
        missing = tmp / "no-such-dir" / "missing.pcap"
        expect(ck, run(["-r", missing, "-q"]), 1, "missing capture file", must=[str(missing)])

        text = tmp / "notes.txt"
        text.write_text("this is a text file, not a packet capture\n" * 20)
        expect(ck, run(["-r", text, "-q"]), 1, "text file as capture", must=[text.name])

        expect(ck, run(["-r", tmp, "-q"]), 1, "directory as capture")

        user0 = tmp / "user0.pcap"
        sf.write_pcap(user0, 147, [(1700000000, 0, bytes(range(64)), None)])
        r = run(["-r", user0, "-q"])
        expect(ck, r, 1, "link type 147 (USER0)")
        lines = "\n".join(msg_lines(r))
        ck.check(re.search(r"\b147\b|USER0", lines, re.I) is not None,
                 "link type 147: message names the link type (147 or USER0)",
                 "messages: " + (lines or "(none)"))

        print("-- config errors (exit 2, FILE:LINE:COL)", flush=True)
        cfgs = [
            ("unknown-key.yaml", "workers: 1\nno_such_key: 3\n", 2, "unknown top-level key"),
            ("unknown-nested.yaml", "output:\n  report: true\n  flowz: x.jsonl\n", 3,
             "unknown nested key"),
            ("wrong-type.yaml", "# comment\ntimeouts:\n  idle: soon\n", 3,
             "wrong type (duration 'soon')"),
            ("wrong-type2.yaml", "interval: 10s\nworkers: many\n", 2,
             "wrong type (workers 'many')"),
            ("out-of-range.yaml", "workers: 1\ninterval: 0\n", 2, "out of range (interval 0)"),
        ]
        for fname, body, line, what in cfgs:
            p = tmp / fname
            p.write_text(body)
            expect(ck, run(["-c", p, "-r", good, "-q"]), 2, "config %s" % what,
                   regex=re.escape(fname) + r":%d:\d+" % line)

        print("-- usage errors (exit 2)", flush=True)
        (tmp / "no-input.yaml").write_text("workers: 1\n")
        usage = [
            (["--no-such-option", "-r", good, "-q"], "unknown option --no-such-option"),
            (["-r", good, "-q", "-w", "abc"], "-w abc"),
            (["-r", good, "-q", "-w", "0"], "-w 0"),
            (["-r", good, "-q", "--interval", "0"], "--interval 0"),
            (["-r", good, "-q", "--idle-timeout", "-5"], "--idle-timeout -5"),
            (["-r", good, "-q", "--reader", "carrier-pigeon"], "--reader carrier-pigeon"),
            (["-c", tmp / "no-input.yaml", "-q"], "no -r and no input.file in the config"),
            (["-r"], "-r without its argument"),
            (["-r", good, "-q", "stray-argument"], "stray positional argument"),
        ]
        for args, what in usage:
            expect(ck, run(args), 2, what)

        print("-- HOST:PORT settings (exit 2, FILE:LINE:COL or the flag)", flush=True)
        bad_ipfix = tmp / "bad-ipfix.yaml"
        bad_ipfix.write_text('export:\n  ipfix: ["127.0.0.1:2055", "collector"]\n')
        expect(ck, run(["-c", bad_ipfix, "-r", good, "-q"]), 2, "export.ipfix without a port",
               must=["expected HOST:PORT"], regex=re.escape(bad_ipfix.name) + r":2:29: ")
        bad_listen = tmp / "bad-listen.yaml"
        bad_listen.write_text("http:\n  listen: localhost:8080\n")
        expect(ck, run(["-c", bad_listen, "-r", good, "-q"]), 2, "http.listen with a name",
               must=["expected ADDR:PORT"], regex=re.escape(bad_listen.name) + r":2:11: ")
        for args, what, must in [
                (["--ipfix", "127.0.0.1"], "--ipfix without a port", "expected HOST:PORT"),
                (["--ipfix", "::1:4739"], "--ipfix IPv6 without brackets", "brackets"),
                (["--ipfix", "no.such.host.invalid:4739"], "--ipfix unresolvable",
                 "cannot resolve"),
                (["--http", "300.1.1.1:80"], "--http bad address", "expected ADDR:PORT")]:
            flag = args[0]
            expect(ck, run(["-r", good, "-q"] + args), 2, what, must=[must],
                   regex=r"^spanflow: %s: (export\.ipfix|http\.listen): '" % re.escape(flag))

        print("-- Kafka broker lists (exit 2, FILE:LINE:COL or the flag)", flush=True)
        for body, col, what, must in [
                ('  kafka: "k1:9092,,k2:9092"\n', 10, "empty broker", "broker 2 is empty"),
                ("  kafka: k1:9092,k2\n", 10, "broker without a port", "has no ':PORT'"),
                ("  kafka: k1:99999\n", 10, "port out of range", "is not a number 1..65535"),
                ("  kafka: k1:9092,k%2:9092\n", 10, "bad character", "is not a host name"),
                ("  kafka_topic_flows: a/b\n", 22, "bad topic", "cannot have")]:
            p = tmp / "bad-kafka.yaml"
            p.write_text("export:\n" + body)
            expect(ck, run(["-c", p, "-r", good, "-q"]), 2, "export.kafka: %s" % what,
                   must=[must, "expected "],
                   regex=re.escape(p.name) + r":2:%d: export\.kafka" % col)
        expect(ck, run(["-r", good, "-q", "--kafka", "k1:9092;k2:9092"]), 2,
               "--kafka with a bad separator", must=["expected a list of Kafka brokers"],
               regex=r"^spanflow: --kafka: export\.kafka: ")

        print("-- every flag keeps its meaning (--print-config)", flush=True)
        for args, lines in FLAGS:
            r = run(["-r", good] + args + ["--print-config"])
            got = r.out.splitlines()
            ck.check(r.rc == 0 and all(any(g.startswith(ln + "  #") for g in got)
                                       for ln in lines),
                     "%s: %s" % (" ".join(args), "; ".join(lines)), r.describe() + "\n" +
                     "\n".join(g for g in got if any(ln.split(":")[0] in g for ln in lines)))
        inputs = [
            (["-i", "eth7", "--interface", "eth8"], ['  interfaces: ["eth7", "eth8"]',
                                                    '  file: ""']),
            (["-p", "0000:01:00.0", "--port", "0000:02:00.0"],
             ['  ports: ["0000:01:00.0", "0000:02:00.0"]']),
            (["--replay", str(good), "--loop", "3"], ['  replay: "%s"' % good, "  loops: 3",
                                                      '  file: ""']),
            (["--read", str(good)], ['  file: "%s"' % good]),
            (["-r", str(good), "-i", "eth7"], ['  interfaces: ["eth7"]', '  file: ""']),
        ]
        for args, lines in inputs:
            r = run(args + ["--print-config"])
            got = r.out.splitlines()
            ck.check(r.rc == 0 and all(any(g.startswith(ln + "  #") for g in got)
                                       for ln in lines),
                     "%s: %s" % (" ".join(args), "; ".join(lines)), r.describe())

        print("-- help and version (exit 0)", flush=True)
        r = run(["--help"])
        if expect(ck, r, 0, "--help"):
            out = r.out + r.err
            ck.check("-r" in out and "--workers" in out and "--flows" in out,
                     "--help lists -r, --workers, --flows", sf.tail(out, 30))
            flags = sorted({a for args, _ in FLAGS for a in args if a.startswith("--")} |
                           {"--read", "--interface", "--port", "--replay", "--loop",
                            "--config", "--print-config", "--help", "--version"})
            missing = [f for f in flags if re.search(r"(^|[ ,])%s\b" % re.escape(f), out,
                                                     re.M) is None]
            ck.check(not missing, "--help lists every flag", "missing: %s" % missing)
            for key, default in (("workers", "auto"), ("interval", "10s"),
                                 ("http.listen", '"127.0.0.1:8080"'),
                                 ("output.report", "true")):
                ck.check("(%s: %s)" % (key, default) in " ".join(out.split()),
                         "--help shows %s's default %s" % (key, default), sf.tail(out, 60))
            ck.check(str(sf.REPO) not in out, "--help does not show the build's source path",
                     sf.tail(out, 60))
        r = run(["--version"])
        if expect(ck, r, 0, "--version"):
            v = project_version()
            out = r.out + r.err
            ck.check(v is not None and v in out, "--version prints %s" % v, sf.tail(out))
    ck.finish()


if __name__ == "__main__":
    main()
