#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
TCP records' conn_state and history against Zeek's own test baselines.

tests/data/zeek/ holds captures from Zeek's test suite and expected.tsv, one
row per TCP connection as Zeek's baseline conn.log (or a baseline that
printed c$history / c$conn$conn_state) records it: trace, orig and resp
address and port, conn_state, history, orig_pkts, resp_pkts, source
baseline. Its README.md says where each capture and row comes from and
which connections were left out on Zeek's side (checksum errors, content
gaps, X, connections Zeek split, bare-mode role decisions, tests that
change TCP settings).

For each capture spanflow runs with --tcp-analysis, timeouts out of the
way, Teredo and AYIYA decapsulated and no tunnel context in the key (Zeek
keys a tunnelled connection on its inner 5-tuple alone). An expected row is
compared when its unordered 5-tuple is in exactly one TCP record of that
capture (spanflow and Zeek end connections differently, so a 5-tuple
spanflow split is not compared). The record's conn_state and history must
equal Zeek's; a conn_state of "-" in expected.tsv means the baseline did not
give it (history only), a history of "-" means empty. Packet counts per
side are compared and reported, not checked (they show when both see
different connection boundaries).
Over all captures at least MIN_COMPARED connections and MIN_STATES distinct
conn_state values must have been compared, and at most MAX_ABSENT rows may
have no record at all.

Exit 77 (skipped) when tests/data/zeek is missing.

Usage: test_zeek_conn.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import collections
import ipaddress
import os
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402

BIG = "100000"  # s: one record per connection (timeouts out of the way)
MIN_COMPARED = 150
MIN_STATES = 9
# Rows spanflow has no record for: the IPv6 connection of tunnels-Teredo.pcap,
# carried by a Teredo relay on a port other than 3544 (spanflow decapsulates
# Teredo on UDP 3544 only; Zeek follows the tunnel it saw set up).
MAX_ABSENT = 1
COLUMNS = ["trace", "orig_h", "orig_p", "resp_h", "resp_p", "conn_state", "history",
           "orig_pkts", "resp_pkts", "source"]


def end(addr, port):
    return (ipaddress.ip_address(addr), int(port))


def load_expected(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        header = None
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cells = line.split("\t")
            if header is None:
                header = cells
                if header != COLUMNS:
                    raise ValueError("%s: header %r, expected %r" % (path, header, COLUMNS))
                continue
            rows.append(dict(zip(header, cells)))
    return rows


def main():
    binary, data = sf.usage_args()
    zdir = data / "zeek"
    tsv = zdir / "expected.tsv"
    if not tsv.is_file():
        print("%s is missing" % tsv)
        sys.exit(77)
    ck = sf.Checker("conn_state and history = Zeek's baselines")
    expected = load_expected(tsv)
    by_trace = collections.OrderedDict()
    for r in expected:
        by_trace.setdefault(r["trace"], []).append(r)
    total = {"rows": 0, "compared": 0, "matched": 0, "absent": 0, "split": 0}
    states = collections.Counter()
    letters = set()
    pkt_notes = []
    with tempfile.TemporaryDirectory(prefix="sf-zeek-") as tmp:
        # Zeek decapsulates Teredo and AYIYA by default; spanflow on request.
        cfg = Path(tmp) / "zeek.yaml"
        cfg.write_text("tunnel:\n  teredo: true\n  ayiya: true\n")
        for trace, rows in by_trace.items():
            cap = zdir / trace
            if not ck.check(cap.is_file(), "%s: capture present" % trace):
                continue
            fl = Path(tmp) / (trace + ".jsonl")
            r = sf.run(binary, ["-c", cfg, "-r", cap, "-q", "--no-http", "--tcp-analysis",
                                "--tunnel-context", "none", "--idle-timeout", BIG,
                                "--active-timeout", BIG, "--flows", fl])
            if not ck.check(r.rc == 0, "%s: exits 0" % trace, r.describe()):
                continue
            recs = [x for x in sf.load_jsonl(fl) if x.get("proto") == 6]
            index = collections.defaultdict(list)
            for x in recs:
                key = frozenset([end(x["src_addr"], x["src_port"]),
                                 end(x["dst_addr"], x["dst_port"])])
                index[key].append(x)
            bad = []
            n_cmp = n_ok = n_absent = n_split = 0
            for e in rows:
                o, p = end(e["orig_h"], e["orig_p"]), end(e["resp_h"], e["resp_p"])
                got = index.get(frozenset([o, p]), [])
                if not got:
                    n_absent += 1
                    continue
                if len(got) > 1:
                    n_split += 1
                    continue
                x = got[0]
                n_cmp += 1
                want_hist = "" if e["history"] == "-" else e["history"]
                hist = x.get("history", "") or ""
                state = x.get("conn_state")
                ok = hist == want_hist and (e["conn_state"] == "-" or state == e["conn_state"])
                if e["conn_state"] != "-":
                    states[e["conn_state"]] += 1
                letters.update(want_hist)
                if ok:
                    n_ok += 1
                else:
                    bad.append("%s:%s -> %s:%s: Zeek %s %s, spanflow %s %s  (%s)"
                               % (e["orig_h"], e["orig_p"], e["resp_h"], e["resp_p"],
                                  e["conn_state"], want_hist or "-", state,
                                  hist or "-", e["source"]))
                # Packet counts per Zeek side (information only).
                if e["orig_pkts"] != "-" and e["resp_pkts"] != "-":
                    if end(x["src_addr"], x["src_port"]) == o:
                        sf_pk = (x["packets"], x["rev_packets"])
                    else:
                        sf_pk = (x["rev_packets"], x["packets"])
                    zk_pk = (int(e["orig_pkts"]), int(e["resp_pkts"]))
                    if sf_pk != zk_pk:
                        pkt_notes.append("%s %s:%s -> %s:%s: packets Zeek %d+%d, spanflow %d+%d"
                                         % (trace, e["orig_h"], e["orig_p"], e["resp_h"],
                                            e["resp_p"], zk_pk[0], zk_pk[1], sf_pk[0], sf_pk[1]))
            total["rows"] += len(rows)
            total["compared"] += n_cmp
            total["matched"] += n_ok
            total["absent"] += n_absent
            total["split"] += n_split
            ck.check(not bad, "%s: %d rows, %d compared, %d equal (%d without record, %d split)"
                     % (trace, len(rows), n_cmp, n_ok, n_absent, n_split), "\n".join(bad))
    for n in pkt_notes:
        ck.note(n)
    ck.note("in all: %d rows, %d compared, %d equal, %d without record, %d split by spanflow"
            % (total["rows"], total["compared"], total["matched"], total["absent"],
               total["split"]))
    ck.note("conn_state values compared: %s"
            % ", ".join("%s %d" % kv for kv in sorted(states.items())))
    ck.note("history letters compared: %s" % "".join(sorted(letters)))
    ck.check(total["compared"] >= MIN_COMPARED,
             "at least %d connections compared: %d" % (MIN_COMPARED, total["compared"]))
    ck.check(total["absent"] <= MAX_ABSENT, "at most %d expected rows without a record: %d"
             % (MAX_ABSENT, total["absent"]))
    ck.check(len(states) >= MIN_STATES, "at least %d distinct conn_state values compared: %d"
             % (MIN_STATES, len(states)))
    ck.finish()


if __name__ == "__main__":
    main()
