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

        print("-- help and version (exit 0)", flush=True)
        r = run(["--help"])
        if expect(ck, r, 0, "--help"):
            out = r.out + r.err
            ck.check("-r" in out and "--workers" in out and "--flows" in out,
                     "--help lists -r, --workers, --flows", sf.tail(out, 30))
        r = run(["--version"])
        if expect(ck, r, 0, "--version"):
            v = project_version()
            out = r.out + r.err
            ck.check(v is not None and v in out, "--version prints %s" % v, sf.tail(out))
    ck.finish()


if __name__ == "__main__":
    main()
