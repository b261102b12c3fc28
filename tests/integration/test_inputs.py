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
  * --reader net_pcap gives the same records as the default reader;
  * the three file readers (native, libpcap, net_pcap) give identical flow
    records, interval lines and conservation counters, with 1 and 2 workers,
    on little- and big-endian, microsecond and nanosecond pcaps, records cut
    to the snapshot length, truncated files (the same warning, word for word,
    from native and libpcap), a record too long to be sane, and pcapng (which
    the native reader hands to libpcap, saying so on stderr). Nanosecond
    timestamps that are not whole microseconds are compared between native and
    libpcap only: net_pcap gives microseconds.

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
        """Run spanflow; returns (Run, conservation, records, intervals) or None."""
        self.n += 1
        fl = self.tmp / ("run%d.flows" % self.n)
        iv = self.tmp / ("run%d.intervals" % self.n)
        r = sf.run(self.binary, ["-r", capture, "-w", workers, "--flows", fl,
                                 "--intervals", iv] + list(extra))
        if not self.ck.check(r.rc == 0, "%s: exits 0" % label, r.describe()):
            return None
        c = sf.parse_conservation(r.out)
        self.ck.check(c is not None and sf.conservation_holds(c),
                      "%s: conservation line holds" % label, "stdout:\n" + sf.tail(r.out, 20))
        try:
            recs = sf.load_jsonl(fl)
            ivs = sf.load_jsonl(iv)
        except (OSError, ValueError) as e:
            self.ck.check(False, "%s: flow records readable" % label, e)
            return None
        probs = sf.record_problems(recs)
        if not self.ck.check(not probs, "%s: %d records well-formed" % (label, len(recs)),
                             "\n".join(probs)):
            return None
        return r, c, recs, ivs

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


def warning_line(err):
    """spanflow's warning about the input on stderr, or None."""
    for line in err.splitlines():
        if line.startswith("spanflow: warning:"):
            return line
    return None


def read_pcap(path):
    """(linktype, snaplen, [(sec, frac in ns, data, orig_len)]) of a classic pcap."""
    import struct
    raw = Path(path).read_bytes()
    m = raw[:4]
    e = "<" if m in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    magic, _, _, _, _, snaplen, lt = struct.unpack(e + "IHHiIII", raw[:24])
    scale = 1 if magic == 0xa1b23c4d else 1000
    off, pkts = 24, []
    while off + 16 <= len(raw):
        sec, frac, incl, orig = struct.unpack(e + "IIII", raw[off:off + 16])
        pkts.append((sec, frac * scale, raw[off + 16:off + 16 + incl], orig))
        off += 16 + incl
    return lt, snaplen, pkts


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


READERS = ("native", "libpcap", "net_pcap")


def readers_agree(x, capture, label, readers=READERS, workers=("1", "2"), warn=None):
    """Every reader and worker count gives what libpcap -w 1 gives."""
    base = x.replay(capture, "%s --reader libpcap" % label, ["--reader", "libpcap"])
    if base is None:
        return
    bw = warning_line(base[0].err)
    if warn is not None:
        x.ck.check(bw is not None and warn in bw, "%s --reader libpcap: warns '%s'"
                   % (label, warn), "stderr: " + (sf.tail(base[0].err) or "(empty)"))
    for r in readers:
        for w in workers:
            if (r, w) == ("libpcap", "1"):
                continue
            lab = "%s --reader %s -w %s" % (label, r, w)
            res = x.replay(capture, lab, ["--reader", r], workers=w)
            if res is None:
                continue
            x.same_as(base, res, "%s vs libpcap -w 1" % lab)
            x.ck.check(sorted(map(sf.canon, res[3])) == sorted(map(sf.canon, base[3])),
                       "%s: same %d interval lines" % (lab, len(base[3])),
                       "%d vs %d lines" % (len(res[3]), len(base[3])))
            if r != "net_pcap":
                x.ck.check(warning_line(res[0].err) == bw,
                           "%s: the same warning as libpcap (%s)" % (lab, bw or "none"),
                           "stderr: " + (sf.tail(res[0].err) or "(empty)"))
            elif warn is not None:
                x.ck.check("truncated" in res[0].err.lower(),
                           "%s: warning mentioning 'truncated'" % lab,
                           "stderr: " + (sf.tail(res[0].err) or "(empty)"))


def test_readers(x):
    cases = [("sample.pcap", "little-endian microsecond pcap"),
             ("sctp.cap", "big-endian microsecond pcap"),
             ("KakaoTalk_chat.pcap", "Linux SLL"),
             ("vxlan.pcap", "VLAN + VXLAN")]
    for name, what in cases:
        readers_agree(x, x.data / name, "%s [%s]" % (name, what))
    lt, snap, pkts = read_pcap(x.data / "sample.pcap")
    # Nanosecond pcaps, both byte orders, with times that are not whole
    # microseconds (net_pcap rounds them: native and libpcap only).
    odd = [(s, f + (i * 37) % 1000, d, o) for i, (s, f, d, o) in enumerate(pkts)]
    for big in (False, True):
        p = x.tmp / ("sample.ns.%s.pcap" % ("be" if big else "le"))
        sf.write_pcap(p, lt, odd, snaplen=snap, big_endian=big, nsec=True)
        readers_agree(x, p, "sample.pcap as %s-endian nanosecond pcap, odd ns"
                      % ("big" if big else "little"), readers=("native", "libpcap"))
    # Whole microseconds in a big-endian nanosecond file: all three readers.
    p = x.tmp / "sample.ns.be.us.pcap"
    sf.write_pcap(p, lt, pkts, snaplen=snap, big_endian=True, nsec=True)
    readers_agree(x, p, "sample.pcap as big-endian nanosecond pcap")
    # Records longer than the file's snapshot length: cut to it by every reader.
    p = x.tmp / "sample.snap60.pcap"
    sf.write_pcap(p, lt, pkts, snaplen=60)
    readers_agree(x, p, "sample.pcap with snaplen 60 in the file header")
    # Truncated: inside a record's data and inside a record header.
    raw = (x.data / TRUNC_CAPTURE).read_bytes()
    _, recs = sf.pcap_record_offsets(x.data / TRUNC_CAPTURE)
    off, incl = recs[len(recs) // 2]
    for i, cut in enumerate((off + 16 + incl // 2, off + 8)):
        t = x.tmp / ("readers.trunc%d.pcap" % i)
        t.write_bytes(raw[:cut])
        readers_agree(x, t, "%s cut inside record %d's %s" % (
            TRUNC_CAPTURE, len(recs) // 2 + 1, "data" if i == 0 else "header"),
            warn="truncated")
    # A record longer than libpcap accepts (262144 bytes) after 10 good ones.
    bad = pkts[:10] + [(pkts[10][0], 0, bytes(300000), 300000)] + pkts[11:20]
    for hs in (0, 1000000):     # the header's snaplen: 0 (= 262144) or larger
        p = x.tmp / ("sample.huge%d.pcap" % hs)
        sf.write_pcap(p, lt, bad, snaplen=hs)
        readers_agree(x, p, "a 300000-byte record after 10 packets, file snaplen %d" % hs,
                      readers=("native", "libpcap"), warn="invalid packet capture length")
    # pcapng: the native reader hands it to libpcap and says so.
    ng = x.tmp / "ssh.readers.pcapng"
    editcap(["-F", "pcapng", x.data / ETHER_CAPTURE, ng])
    readers_agree(x, ng, "%s as pcapng" % ETHER_CAPTURE, readers=("native", "libpcap"))
    res = x.replay(ng, "pcapng --reader native", ["--reader", "native"])
    if res:
        x.ck.check("reading it with the libpcap reader" in res[0].err,
                   "pcapng --reader native: stderr says it falls back to libpcap",
                   "stderr: " + (sf.tail(res[0].err) or "(empty)"))


def main():
    binary, data = sf.usage_args()
    ck = sf.Checker("input formats, link types and readers")
    with tempfile.TemporaryDirectory(prefix="sf-inputs-") as tmp:
        x = Ctx(binary, data, tmp, ck)
        for t in (test_twins, test_truncated, test_empty, test_linktypes, test_readers):
            print("-- %s" % t.__name__, flush=True)
            try:
                t(x)
            except Exception as e:  # a broken helper must not hide the other tests
                ck.check(False, "%s ran" % t.__name__, "%s: %s" % (type(e).__name__, e))
    ck.finish()


if __name__ == "__main__":
    main()
