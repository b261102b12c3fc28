#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Live capture on a veth pair between two network namespaces of our own.

tcpreplay sends a capture from tests/data into one end at a fixed rate;
`spanflow -i` with 2 workers (af_packet, one queue pair each, kernel fanout)
captures on the other end and is stopped with SIGINT. Its flow records,
summed per flow key and direction, must equal those of `spanflow -r` on the
same capture (packets and bytes; times differ), or every difference must be
explained by counted drops. The namespaces are removed even on failure.

Usage: test_live.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402

CAPTURE = "sample.pcap"
PPS = 2000


# The veth pair between two namespaces of our own lives in sfcommon.
sh = sf.sh
Netns = sf.Netns


def stalled_collector(ck, binary, tmp):
    """Live input and a collector that falls behind (its flow records go to a
    FIFO that the test reads slowly while the traffic runs): workers never
    wait, lost records are counted, packets stay accounted for."""
    import re
    import threading
    cap = os.path.join(tmp, "flood.pcap")
    nflows = 20000
    g = sf.pcapgen(binary, cap, "-n", nflows, "-f", nflows, "-N", "1.0", "-d", "1")
    if g.returncode != 0:
        raise RuntimeError("sf_pcapgen failed: %s" % g.stderr)
    cfg = os.path.join(tmp, "tiny.yaml")
    with open(cfg, "w") as f:
        f.write("rings:\n  size: 64\n  pool: 128\n")
    flows = os.path.join(tmp, "stall.fifo")
    os.mkfifo(flows)
    errlog = os.path.join(tmp, "stall.err")
    fast = threading.Event()
    got = bytearray()

    def consume():
        with open(flows, "rb", buffering=0) as f:
            while True:
                b = f.read(1 << 20 if fast.is_set() else 4096)
                if not b:
                    return
                got.extend(b)
                if not fast.is_set():
                    time.sleep(0.1)

    reader = threading.Thread(target=consume, daemon=True)
    reader.start()
    with Netns() as n:
        with open(errlog, "w") as err, open(os.path.join(tmp, "stall.out"), "w") as out:
            proc = subprocess.Popen(
                ["ip", "netns", "exec", n.ns_rx, binary, "-c", cfg, "-i", n.veth_rx, "-w",
                 "2", "--flow-capacity", "64", "--flows", flows, "--no-progress",
                 "--no-http"], stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        try:
            if sf.wait_started(proc, errlog):
                sh("ip", "netns", "exec", n.ns_tx, "tcpreplay", "-q", "-i", n.veth_tx,
                   "--pps", "20000", cap, check=False)
                time.sleep(0.5)
            fast.set()	# the consumer catches up: the final flush loses nothing
            rc = sf.signal_and_wait(proc, signal.SIGINT)
            reader.join(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    out = open(os.path.join(tmp, "stall.out")).read()
    err_text = open(errlog).read()
    cons = sf.parse_conservation(out)
    ck.check(rc == 0 and cons is not None and sf.conservation_holds(cons),
             "stalled collector: exit 0 and the conservation line holds",
             "exit %s\n%s" % (rc, out[-600:]))
    lost = re.search(r"LOST (\d+) records while the collector was behind", out)
    started = re.search(r"(\d+) flows started", out)
    written = len(got.decode().splitlines())
    ck.check("every flow was written" not in err_text and
             "every flow still in the tables at the stop was written" in err_text and
             (lost is None or "%s records were lost earlier" % lost.group(1) in err_text),
             "stalled collector: stderr says what is true: the flush lost nothing, "
             "records were lost earlier", sf.tail(err_text))
    ck.check(lost is not None and int(lost.group(1)) > 0,
             "stalled collector: lost records are reported (%s)"
             % (lost.group(0) if lost else "none"), out[-600:])
    if lost and started:
        ck.check(written + int(lost.group(1)) == int(started.group(1)),
                 "stalled collector: records written %d + lost %s = flows %s"
                 % (written, lost.group(1), started.group(1)))


def main():
    binary, data = sf.usage_args()
    ck = sf.Checker("live capture on a veth pair (af_packet, 2 workers) vs file replay")
    for tool in ("ip", "tcpreplay", "ethtool"):
        if shutil.which(tool) is None:
            ck.check(False, "%s is installed (tools/setup.sh installs it)" % tool)
            ck.finish()
    if os.geteuid() != 0:
        ck.check(False, "running as root (network namespaces need it)")
        ck.finish()
    for args, want in ((["-i", "sfnosuchif0"], "no such network interface"),
                       (["-p", "0000:7f:1f.7"], "no such PCI device")):
        r = sf.run(binary, args + ["-q"])
        ck.check(r.rc == 1 and want in r.err and args[1] in r.err,
                 "%s: exit 1 with '%s'" % (" ".join(args), want), r.describe())
    cap = data / CAPTURE
    npackets = len(sf.pcap_record_offsets(cap)[1])

    with tempfile.TemporaryDirectory(prefix="sf-live-") as tmp:
        ref_flows = os.path.join(tmp, "ref.jsonl")
        r = sf.run(binary, ["-r", cap, "-w", "1", "-q", "--flows", ref_flows])
        ck.check(r.rc == 0, "file replay of %s" % CAPTURE, r.describe())
        ref = sf.aggregate_records(sf.load_jsonl(ref_flows))

        live_flows = os.path.join(tmp, "live.jsonl")
        errlog = os.path.join(tmp, "live.err")
        with Netns() as n:
            with open(errlog, "w") as err, open(os.path.join(tmp, "live.out"), "w") as out:
                proc = subprocess.Popen(
                    ["ip", "netns", "exec", n.ns_rx, binary, "-i", n.veth_rx, "-w", "2",
                     "--flows", live_flows, "--no-progress"],
                    stdout=out, stderr=err, stdin=subprocess.DEVNULL)
            try:
                started = sf.wait_started(proc, errlog)
                ck.check(started, "spanflow -i %s -w 2 started" % n.veth_rx,
                         sf.tail(open(errlog).read()))
                if started:
                    t = sh("ip", "netns", "exec", n.ns_tx, "tcpreplay", "-q", "-i",
                           n.veth_tx, "--pps", str(PPS), str(cap), check=False)
                    ck.check(t.returncode == 0, "tcpreplay sent %s at %d packets/s"
                             % (CAPTURE, PPS), t.stderr[-500:])
                    time.sleep(1.0)
                rc = sf.signal_and_wait(proc, signal.SIGINT, timeout=60)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        stdout = open(os.path.join(tmp, "live.out")).read()
        stderr = open(errlog).read()
        ck.check(rc == 0, "SIGINT: spanflow flushed and exited 0", "exit %s\n%s"
                 % (rc, sf.tail(stderr)))
        cons = sf.parse_conservation(stdout)
        ck.check(cons is not None and sf.conservation_holds(cons),
                 "conservation line holds live", stdout[-800:])
        if cons is None:
            ck.finish()
        ck.note("live: %s" % cons)
        ck.check(cons["received"] == npackets or cons["dropped"] > 0,
                 "received %d = the capture's %d packets (or drops were counted)"
                 % (cons["received"], npackets))
        live = sf.aggregate_records(sf.load_jsonl(live_flows))
        diff, extra, missing = [], [], 0
        for key in sorted(set(ref) | set(live), key=str):
            a, b = ref.get(key), live.get(key)
            pa = (a.packets, a.bytes) if a else ([0, 0], [0, 0])
            pb = (b.packets, b.bytes) if b else ([0, 0], [0, 0])
            if pa != pb:
                diff.append("%s: file %s, live %s" % (key, pa, pb))
                if any(pb[0][d] > pa[0][d] for d in (0, 1)):
                    extra.append(diff[-1])
                missing += sum(pa[0]) - sum(pb[0])
        if cons["dropped"] == 0:
            ck.check(not diff, "per-flow packets and bytes equal the file replay (%d flows)"
                     % len(ref), "\n".join(diff[:10]))
        else:
            # Every difference is a packet the kernel dropped, and counted.
            ck.check(not extra and missing == cons["dropped"],
                     "per-flow packets equal the file replay but for the %d counted drops "
                     "(%d packets missing in %d flows, none extra)"
                     % (cons["dropped"], missing, len(diff)), "\n".join((extra or diff)[:10]))
        stalled_collector(ck, binary, tmp)
    ck.finish()


if __name__ == "__main__":
    main()
