#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Flow features (--features, features.splt) against tools/featref.py, the
independent reference computed from tshark's per-packet fields with exact
integer arithmetic: every statistic and every SPLT list of every flow equal,
bit for bit (JSON's shortest round-trip text reads back the same double),
with 1, 2 and 4 workers; the CSV's columns carry nfstream's names and its
quoted SPLT lists; without --features no feature key appears.

Captures: plain IPv4/IPv6 TCP and UDP traffic of tests/data (featref leaves
tunnelled frames out, so tunnel captures are not used; nor is a capture that
reuses a TCP 5-tuple after a FIN, where spanflow starts a new flow and
featref, keyed by 5-tuple, does not).

Usage: test_features.py SPANFLOW_BINARY TESTS_DATA_DIR  (exit 77 without tshark)
"""

import csv
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))
import sfcommon as sf  # noqa: E402

FEATREF = sf.REPO / "tools" / "featref.py"
CAPTURES = ["KakaoTalk_chat.pcap", "smtp.pcap", "ssh.pcap", "mqtt.pcap", "sample.pcap", "opc-ua.pcap",
            "dns_fragmented.pcap", "quic_0RTT.pcap"]
SPLT = 12
BIG = "604800"
WAYS = ("bidirectional", "src2dst", "dst2src")
STATS = [w + "_" + s + "_" + u for u in ("ps", "piat_ms") for w in WAYS
         for s in ("min", "mean", "stddev", "max")]
SPLT_COLS = ["splt_direction", "splt_ps", "splt_piat_ms"]


def key(r):
    return (r.get("src_addr", r.get("src")), r.get("src_port", r.get("sport")),
            r.get("dst_addr", r.get("dst")), r.get("dst_port", r.get("dport")), r["proto"])


def main():
    binary, data = sf.usage_args()
    ck = sf.Checker("flow features against tools/featref.py")
    if shutil.which("tshark") is None:
        print("tshark not installed: skipped")
        sys.exit(77)
    with tempfile.TemporaryDirectory(prefix="sf-feat-") as tmp:
        cfg = Path(tmp) / "f.yaml"
        cfg.write_text("features:\n  enabled: true\n  splt: %d\n" % SPLT)
        total = 0
        for name in CAPTURES:
            cap = data / name
            if not cap.exists():
                ck.check(False, "%s is in tests/data" % name)
                continue
            ref = {}
            out = subprocess.run([sys.executable, str(FEATREF), "--splt", str(SPLT), str(cap)],
                                 capture_output=True, text=True, check=True).stdout
            for line in out.splitlines():
                r = json.loads(line)
                ref.setdefault(key(r), []).append(r)
            runs = {}
            for w in (1, 2, 4):
                fl = Path(tmp) / ("%s.%d.jsonl" % (name, w))
                cv = Path(tmp) / ("%s.%d.csv" % (name, w))
                r = sf.run(binary, ["-c", cfg, "-r", cap, "-q", "--no-http", "-w", w,
                                    "--idle-timeout", BIG, "--active-timeout", BIG,
                                    "--flows", fl, "--csv", cv])
                if not ck.check(r.rc == 0, "%s -w %d: exits 0" % (name, w), r.describe()):
                    continue
                runs[w] = sorted(sf.load_jsonl(fl), key=lambda x: (x["start_ns"], str(key(x))))
                if w == 1:
                    rows = list(csv.DictReader(open(cv, newline="")))
                    ck.check(all(c in rows[0] for c in STATS + SPLT_COLS) if rows else False,
                             "%s: the CSV has nfstream's %d columns and the SPLT lists"
                             % (name, len(STATS)))
                    bad = [x for x in rows if not (x["splt_ps"].startswith("[") and
                                                   x["splt_ps"].count(",") == SPLT - 1)]
                    ck.check(not bad, "%s: CSV SPLT cells are quoted lists of %d values"
                             % (name, SPLT), bad[:1])
            if len(runs) != 3:
                continue
            ck.check(runs[1] == runs[2] == runs[4],
                     "%s: the same records with 1, 2 and 4 workers" % name)
            matched, differ, first = 0, 0, None
            for rec in runs[1]:
                want = ref.get(key(rec))
                if not want:
                    continue
                e = want.pop(0)
                matched += 1
                d = [c for c in STATS + SPLT_COLS if rec.get(c) != e.get(c)]
                if d:
                    differ += 1
                    first = first or (key(rec), [(c, e.get(c), rec.get(c)) for c in d][:4])
            total += matched
            ck.check(matched > 0 and differ == 0,
                     "%s: %d flows, every statistic and SPLT list equal to featref's"
                     % (name, matched), first)
        ck.check(total >= 100, "at least 100 flows compared (%d)" % total)
        # Off by default: no feature key in a record.
        fl = Path(tmp) / "off.jsonl"
        r = sf.run(binary, ["-r", data / "smtp.pcap", "-q", "--no-http", "--flows", fl])
        recs = sf.load_jsonl(fl) if r.rc == 0 else []
        ck.check(recs and not any(c in x for x in recs for c in STATS + SPLT_COLS),
                 "without --features the records have no feature key")
    ck.finish()


if __name__ == "__main__":
    main()
