#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Input formats and readers:
  * pcapng and nanosecond pcap twins give the same records as the pcap;
  * a capture cut off in the middle of a packet replays (exit 0) the complete
    packets it holds and warns "truncated" on stderr;
  * an empty capture (header only) gives no records;
  * non-Ethernet link types (Linux SLL, raw IP, BSD NULL, PPP) and a
    big-endian pcap give the records of the tshark reference;
  * --reader net_pcap gives the same records as the default reader.

Usage: test_inputs.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402
from sfcommon import flowref  # noqa: E402

LINKTYPE_CAPTURES = [
    ("KakaoTalk_chat.pcap", "Linux SLL (113)"),
    ("quic-v2.pcapng.pcap", "Linux SLL (113), IPv6"),
    ("ocs.pcap", "raw IP (101)"),
    ("opc-ua.pcap", "BSD NULL (0)"),
    ("dlt_ppp.pcap", "PPP (9)"),
    ("sctp.cap", "big-endian pcap, SCTP"),
]
ETHER_CAPTURE = "ssh.pcap"
TRUNC_CAPTURE = "smtp.pcap"


class Ctx:
    def __init__(self, binary, data, tmp, ck):
        self.binary = binary
        self.data = data
        self.tmp = Path(tmp)
        self.ck = ck
        self.n = 0

    def replay(self, capture, label, extra=(), workers="1"):
        """Run spanflow; returns (Run, conservation, records) or None."""
        self.n += 1
        fl = self.tmp / ("run%d.flows" % self.n)
        r = sf.run(self.binary, ["-r", capture, "-w", workers, "--flows", fl] + list(extra))
        if not self.ck.check(r.rc == 0, "%s: exits 0" % label, r.describe()):
            return None
        c = sf.parse_conservation(r.out)
        self.ck.check(c is not None and sf.conservation_holds(c),
                      "%s: conservation line holds" % label, "stdout:\n" + sf.tail(r.out, 20))
        try:
            recs = sf.load_jsonl(fl)
        except (OSError, ValueError) as e:
            self.ck.check(False, "%s: flow records readable" % label, e)
            return None
        probs = sf.record_problems(recs)
        if not self.ck.check(not probs, "%s: %d records well-formed" % (label, len(recs)),
                             "\n".join(probs)):
            return None
        return r, c, recs

    def same_as(self, base, other, label):
        diff = sf.flows_equal_summary(base[2], other[2])
        self.ck.check(diff is None, "%s: same %d records" % (label, len(base[2])), diff)
        self.ck.check(base[1] == other[1], "%s: same conservation counters" % label,
                      "%s\n%s" % (base[1], other[1]))

    def against_reference(self, capture, res, label):
        ref = flowref.analyze(str(capture))
        diffs, info = sf.compare_flows(ref, sf.aggregate_records(res[2]))
        self.ck.check(not diffs, "%s: %d flows, %d packets as the tshark reference"
                      % (label, len(ref.flows), ref.flowed), "\n".join(diffs))
        c = res[1]
        if c is not None:
            self.ck.check((c["received"], c["flowed"]) == (ref.total, ref.flowed),
                          "%s: received %d, flowed %d" % (label, ref.total, ref.flowed),
                          "report: %s" % c)
        for i in info:
            self.ck.note(i)


def editcap(args):
    p = subprocess.run(["editcap"] + [str(a) for a in args], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("editcap %s: %s" % (" ".join(map(str, args)), p.stderr.strip()))


def test_twins(x):
    src = x.data / ETHER_CAPTURE
    base = x.replay(src, "%s (pcap)" % src.name)
    if base is None:
        return
    ng = x.tmp / (src.stem + ".pcapng")
    editcap(["-F", "pcapng", src, ng])
    res = x.replay(ng, "%s as pcapng (editcap -F pcapng)" % src.name)
    if res:
        x.same_as(base, res, "pcapng twin of %s" % src.name)
    ns = x.tmp / (src.stem + ".nsec.pcap")
    editcap(["-F", "nsecpcap", src, ns])
    res = x.replay(ns, "%s as nanosecond pcap (editcap -F nsecpcap)" % src.name)
    if res:
        x.same_as(base, res, "nanosecond-pcap twin of %s" % src.name)
    # --reader net_pcap (DPDK's net_pcap vdev), 1 and 2 workers.
    for w in ("1", "2"):
        res = x.replay(src, "%s --reader net_pcap -w %s" % (src.name, w),
                       ["--reader", "net_pcap"], workers=w)
        if res:
            x.same_as(base, res, "--reader net_pcap -w %s vs default reader" % w)
    sample = x.data / "sample.pcap"
    b2 = x.replay(sample, "sample.pcap (default reader)")
    r2 = x.replay(sample, "sample.pcap --reader net_pcap", ["--reader", "net_pcap"])
    if b2 and r2:
        x.same_as(b2, r2, "sample.pcap: --reader net_pcap vs default reader")


def test_truncated(x):
    src = x.data / TRUNC_CAPTURE
    hdr, recs = sf.pcap_record_offsets(src)
    raw = src.read_bytes()
    k = len(recs) // 2          # keep records 0..k-1 complete, cut record k
    off, incl = recs[k]
    cases = [
        ("cut in the middle of packet %d's data" % (k + 1), off + 16 + incl // 2),
        ("cut in the middle of packet %d's record header" % (k + 1), off + 8),
    ]
    prefix = x.tmp / "prefix.pcap"
    prefix.write_bytes(raw[:off])   # exactly the k complete packets
    base = x.replay(prefix, "%s first %d packets" % (src.name, k))
    if base is None:
        return
    x.ck.check(base[1] is not None and base[1]["received"] == k,
               "prefix: received %d" % k, "report: %s" % (base[1],))
    for i, (what, cut) in enumerate(cases):
        t = x.tmp / ("trunc%d.pcap" % i)
        t.write_bytes(raw[:cut])
        label = "%s %s" % (src.name, what)
        res = x.replay(t, label)
        if res is None:
            continue
        x.ck.check("truncated" in res[0].err.lower(),
                   "%s: warning mentioning 'truncated' on stderr" % label,
                   "stderr: " + (sf.tail(res[0].err) or "(empty)"))
        x.same_as(base, res, "%s vs its %d complete packets" % (label, k))
        if i == 0:
            label += " --reader net_pcap"
            res = x.replay(t, label, ["--reader", "net_pcap"])
            if res:
                x.ck.check("truncated" in res[0].err.lower(),
                           "%s: warning mentioning 'truncated' on stderr" % label,
                           "stderr: " + (sf.tail(res[0].err) or "(empty)"))
                x.same_as(base, res, "%s vs its %d complete packets" % (label, k))


def test_empty(x):
    e = x.tmp / "empty.pcap"
    sf.write_pcap(e, 1, [])
    res = x.replay(e, "empty pcap (header only)")
    if res:
        x.ck.check(len(res[2]) == 0 and res[1] is not None and res[1]["received"] == 0,
                   "empty pcap: no records, received 0", "report %s, %d records"
                   % (res[1], len(res[2])))


def test_linktypes(x):
    for name, what in LINKTYPE_CAPTURES:
        p = x.data / name
        if not x.ck.check(p.exists(), "%s present" % name, str(p)):
            continue
        res = x.replay(p, "%s [%s]" % (name, what))
        if res:
            x.against_reference(p, res, "%s [%s]" % (name, what))


def main():
    binary, data = sf.usage_args()
    ck = sf.Checker("input formats, link types and readers")
    with tempfile.TemporaryDirectory(prefix="sf-inputs-") as tmp:
        x = Ctx(binary, data, tmp, ck)
        for t in (test_twins, test_truncated, test_empty, test_linktypes):
            print("-- %s" % t.__name__, flush=True)
            try:
                t(x)
            except Exception as e:  # a broken helper must not hide the other tests
                ck.check(False, "%s ran" % t.__name__, "%s: %s" % (type(e).__name__, e))
    ck.finish()


if __name__ == "__main__":
    main()
