#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Pressure and faults: a flood of brand-new flows larger than the table, tiny
rings and pools between workers and collector, a full disk and an unwritable
output path. Every case keeps the conservation line, loses nothing silently
and never crashes. Memory is bounded by the configuration, not by the
traffic: floods of FLOOD_SMALL and FLOOD_BIG new flows into the same table
peak at the same resident size (within MEM_MARGIN).

Usage: test_pressure.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import os
import re
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402

FLOOD = 200000
CAPACITY = 4096
# Memory bound: two flood sizes, one table. The peak resident size may grow by
# at most MEM_MARGIN (fraction of the smaller run's peak) or MEM_SLACK_MIB,
# whichever is larger: allocator and page-cache noise, not per-flow state.
FLOOD_SMALL, FLOOD_BIG = 200000, 800000
MEM_MARGIN = 0.15
MEM_SLACK_MIB = 8


# Peak RSS of a process: wait4() of a child forked by a small helper. (A
# child forked straight from this test would report this test's own peak:
# the kernel carries the peak over fork and exec.)
RUSAGE_HELPER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, ru = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write("%d" % ru.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_rusage(binary, args, out_path):
    """Run spanflow; (exit status, stdout, stderr, peak RSS in KiB)."""
    rss_path = out_path + ".rss"
    with open(out_path, "w") as out, open(out_path + ".err", "w") as err:
        p = subprocess.run([sys.executable, "-c", RUSAGE_HELPER, rss_path, binary] +
                           [str(a) for a in args], stdout=out, stderr=err,
                           stdin=subprocess.DEVNULL, timeout=sf.RUN_TIMEOUT)
    with open(out_path) as f, open(out_path + ".err") as e, open(rss_path) as r:
        return p.returncode, f.read(), e.read(), int(r.read() or 0)


def two_host_flood(path, n):
    """n TCP SYNs between two hosts, each a new flow (ports vary): the flow
    count grows, the host count does not."""
    import struct
    eth = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00"
    ip = bytearray(struct.pack(">BBHHHBBH4s4s", 0x45, 0, 40, 0, 0x4000, 64, 6, 0,
                               bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])))
    c = sum(struct.unpack(">10H", bytes(ip)))
    c = (c & 0xffff) + (c >> 16)
    ip[10:12] = struct.pack(">H", ~(c + (c >> 16)) & 0xffff)
    head = eth + bytes(ip)
    pkts = []
    for i in range(n):
        tcp = struct.pack(">HHIIBBHHH", 1024 + i % 60000, 1 + i // 60000, i, 0, 0x50, 0x02,
                          65535, 0, 0)
        pkts.append((1700000000 + i // 500000, (i % 500000) * 2, head + tcp, None))
    sf.write_pcap(path, 1, pkts)


def memory_bound(ck, binary, tmp):
    """The same table under a 4x larger flood: same peak memory, table full,
    evictions counted. Two floods: every flow between new hosts (sf_pcapgen),
    and every flow between the same two hosts."""
    for kind in ("new hosts", "two hosts"):
        peaks = {}
        for n in (FLOOD_SMALL, FLOOD_BIG):
            cap = os.path.join(tmp, "mflood%d.pcap" % n)
            if kind == "two hosts":
                two_host_flood(cap, n)
            else:
                g = sf.pcapgen(binary, cap, "-n", n, "-f", n, "-N", "1.0", "-d", "2",
                               "-6", "0.3")
                if not ck.check(g.returncode == 0, "generated a flood of %d new flows" % n,
                                g.stderr):
                    return
            what = "memory flood %d (%s)" % (n, kind)
            flows = os.path.join(tmp, "mflood%d.jsonl" % n)
            rc, out, err, rss = run_rusage(binary, ["-r", cap, "-w", "1", "--flow-capacity",
                                                    CAPACITY, "--no-http", "--flows", flows],
                                           os.path.join(tmp, "mflood%d.out" % n))
            os.unlink(cap)
            cons = sf.parse_conservation(out)
            ok = ck.check(rc == 0 and cons is not None and sf.conservation_holds(cons) and
                          cons["received"] == n and cons["flowed"] == n,
                          "%s: exit 0, conservation holds, every packet in a flow" % what,
                          "exit %s\n%s\n%s" % (rc, sf.tail(err), out[-400:]))
            if not ok:
                continue
            ev = re.search(r"(\d+) evicted from full tables", out)
            most = re.search(r"at most (\d+) at once", out)
            rate = re.search(r"processed\s+\d+ packets in [\d.]+ s: ([\d.]+) (k|M)?packets/s",
                             out)
            hosts = re.search(r"; (about \d+|\d+) hosts", out)
            evicted = int(ev.group(1)) if ev else -1
            ck.check(most is not None and int(most.group(1)) == CAPACITY and
                     evicted == n - CAPACITY,
                     "%s: table peak = capacity %d, %d evictions counted"
                     % (what, CAPACITY, evicted), out[-800:])
            ck.check(os.path.getsize(flows) > 0 and cons["dropped"] == 0,
                     "%s: records written, no drops" % what)
            os.unlink(flows)
            peaks[n] = rss
            fps = "?"
            if rate:
                fps = "%.0f" % (float(rate.group(1)) * {"k": 1e3, "M": 1e6}.get(rate.group(2), 1))
            ck.note("%s into %d slots: %s new flows/s held, peak RSS %.1f MiB, %d evicted, "
                    "%d dropped, %s distinct hosts" % (what, CAPACITY, fps, rss / 1024.0,
                                                       evicted, cons["dropped"],
                                                       hosts.group(1) if hosts else "?"))
        if len(peaks) == 2:
            small, big = peaks[FLOOD_SMALL], peaks[FLOOD_BIG]
            limit = small + max(small * MEM_MARGIN, MEM_SLACK_MIB * 1024)
            ck.check(big <= limit,
                     "memory bounded by the configuration, not the traffic (%s): peak RSS "
                     "%.1f MiB at %d flows, %.1f MiB at %d (limit %.1f MiB)"
                     % (kind, small / 1024.0, FLOOD_SMALL, big / 1024.0, FLOOD_BIG,
                        limit / 1024.0),
                     "grows by %.0f bytes per extra flow" % ((big - small) * 1024.0 /
                                                             (FLOOD_BIG - FLOOD_SMALL)))


def main():
    binary, data = sf.usage_args()
    ck = sf.Checker("pressure and faults")
    with tempfile.TemporaryDirectory(prefix="sf-pressure-") as tmp:
        cap = os.path.join(tmp, "flood.pcap")
        g = sf.pcapgen(binary, cap, "-n", FLOOD, "-f", FLOOD, "-N", "1.0", "-d", "2",
                       "-6", "0.3")
        ck.check(g.returncode == 0, "generated a SYN flood of %d new flows" % FLOOD, g.stderr)

        # A flood larger than the table: evictions counted, table bounded.
        for w in (1, 2):
            flows = os.path.join(tmp, "flood%d.jsonl" % w)
            r = sf.run(binary, ["-r", cap, "-w", str(w), "--flow-capacity", str(CAPACITY),
                                "--flows", flows])
            cons = sf.parse_conservation(r.out)
            ck.check(r.rc == 0 and cons and sf.conservation_holds(cons) and
                     cons["received"] == FLOOD, "flood, %d worker(s): conservation holds for "
                     "%d packets" % (w, FLOOD), r.describe() + r.out[-400:])
            recs = sf.load_jsonl(flows) if r.rc == 0 else []
            evicted = sum(1 for x in recs if x["end_reason"] == "evicted")
            ck.check(len(recs) == FLOOD and evicted == FLOOD - w * CAPACITY,
                     "flood, %d worker(s): every flow written once, %d evicted (= flows - "
                     "tables' capacity)" % (w, evicted), "%d records" % len(recs))
            ck.check(("%d evicted" % evicted) in r.out and
                     ("at most %d at once" % (w * CAPACITY)) in r.out,
                     "flood, %d worker(s): the report counts evictions and a full table" % w,
                     r.out[-600:])

        memory_bound(ck, binary, tmp)

        # Tiny rings and pools: a file replay waits for the collector, loses nothing.
        small = os.path.join(tmp, "small.yaml")
        with open(small, "w") as f:
            f.write("rings:\n  size: 64\n  pool: 128\n  dispatch: 256\n")
        ref = os.path.join(tmp, "ref.jsonl")
        r = sf.run(binary, ["-r", cap, "-w", "2", "-q", "--flows", ref])
        tiny = os.path.join(tmp, "tiny.jsonl")
        r2 = sf.run(binary, ["-c", small, "-r", cap, "-w", "2", "--flows", tiny])
        ck.check(r.rc == 0 and r2.rc == 0 and "LOST" not in r2.out,
                 "tiny rings (64 messages, pool 128): replay completes without loss",
                 r2.describe())
        if r.rc == 0 and r2.rc == 0:
            ck.check(sf.flows_equal_summary(sf.load_jsonl(ref), sf.load_jsonl(tiny)) is None,
                     "tiny rings give the same records as the default ones")

        # Disk full while writing: a clear error and a non-zero exit, no crash.
        r = sf.run(binary, ["-r", data / "sample.pcap", "-q", "--flows", "/dev/full"])
        ck.check(r.rc == 1 and "No space left on device" in r.err and "/dev/full" in r.err,
                 "flows to a full disk: exit 1 naming the file and the error", r.describe())
        # An output that cannot be created: refused before the pipeline starts.
        bad = os.path.join(tmp, "missing-dir", "flows.jsonl")
        r = sf.run(binary, ["-r", data / "sample.pcap", "-q", "--flows", bad])
        ck.check(r.rc == 1 and bad in r.err and "pipeline started" not in r.err,
                 "unwritable output path: exit 1 at start, naming it", r.describe())
    ck.finish()


if __name__ == "__main__":
    main()
