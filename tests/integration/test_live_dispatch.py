#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Live tunnelled traffic over several workers (input.dispatch).

One ERSPAN session is one outer flow: a NIC's RSS or the kernel's fanout
hash puts all of it on one queue, so with `input.dispatch: queues` (the
default) one worker may get every packet. With `--dispatch key` one queue is
read by a dispatcher lcore that splits by spanflow's own flow key, the inner
flow's: the session spreads over every worker, and per-flow packets and bytes
equal a file replay of the same capture.

tcpreplay sends a generated ERSPAN II capture (sf_pcapgen -E erspan: many
inner flows in one session) into a veth pair between two namespaces of our
own; spanflow captures on the other end with 2 workers, once per mode, and is
stopped with SIGINT. The split of `queues` is printed (a measurement of the
kernel's hash), not asserted.

Usage: test_live_dispatch.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402

SKIP = 77
PACKETS = 3000
FLOWS = 300
PPS = 5000
WORKERS = 2


def worker_split(out):
    """The report's per-worker packets: [n0, n1, ...]."""
    m = re.search(r"^workers\s+(.*)$", out, re.M)
    if not m:
        return None
    return [int(x) for x in re.findall(r"\d+: (\d+) packets", m.group(1))]


def live_run(binary, cap, tmp, mode, extra=(), pace=("--pps", str(PPS))):
    """Capture cap sent over a veth with --dispatch mode; (rc, stdout, stderr, flows path)."""
    flows = os.path.join(tmp, "live-%s.jsonl" % mode)
    errlog = os.path.join(tmp, "live-%s.err" % mode)
    outlog = os.path.join(tmp, "live-%s.out" % mode)
    rc = None
    with sf.Netns() as n:
        with open(errlog, "w") as err, open(outlog, "w") as out:
            proc = subprocess.Popen(
                ["ip", "netns", "exec", n.ns_rx, binary, "-i", n.veth_rx, "-w", str(WORKERS),
                 "--dispatch", mode, "--flows", flows, "--no-progress", "--no-http"] +
                list(extra), stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        try:
            if sf.wait_started(proc, errlog):
                sf.sh("ip", "netns", "exec", n.ns_tx, "tcpreplay", "-q", "-i", n.veth_tx,
                      *pace, str(cap), check=False)
                time.sleep(1.0)
            rc = sf.signal_and_wait(proc, signal.SIGINT, timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return rc, open(outlog).read(), open(errlog).read(), flows


def main():
    binary, _data = sf.usage_args()
    for tool in ("ip", "tcpreplay"):
        if shutil.which(tool) is None:
            print("cannot run: %s is not installed (tools/setup.sh --test installs it)" % tool)
            return SKIP
    if os.geteuid() != 0:
        print("cannot run: network namespaces need root")
        return SKIP
    ck = sf.Checker("live ERSPAN over %d workers: --dispatch key spreads one session by its "
                    "inner flows" % WORKERS)
    with tempfile.TemporaryDirectory(prefix="sf-dispatch-") as tmp:
        cap = os.path.join(tmp, "erspan.pcap")
        g = sf.pcapgen(binary, cap, "-n", PACKETS, "-f", FLOWS, "-E", "erspan", "-d", "1")
        if not ck.check(g.returncode == 0, "sf_pcapgen -E erspan", g.stderr):
            ck.finish()
        ref_flows = os.path.join(tmp, "ref.jsonl")
        r = sf.run(binary, ["-r", cap, "-w", "1", "-q", "--flows", ref_flows])
        ck.check(r.rc == 0, "file replay", r.describe())
        ref = sf.aggregate_records(sf.load_jsonl(ref_flows))

        for mode in ("queues", "key"):
            rc, out, err, flows = live_run(binary, cap, tmp, mode)
            ck.check(rc == 0, "--dispatch %s: SIGINT, flushed, exit 0" % mode,
                     "exit %s\n%s" % (rc, sf.tail(err)))
            cons = sf.parse_conservation(out)
            if not ck.check(cons is not None and sf.conservation_holds(cons),
                            "--dispatch %s: conservation holds" % mode, out[-800:]):
                continue
            split = worker_split(out)
            ck.check(split is not None and len(split) == WORKERS and sum(split) > 0,
                     "--dispatch %s: the report gives each worker's packets %s" % (mode, split),
                     out[-800:])
            if split is None or len(split) != WORKERS:
                continue
            ck.note("--dispatch %s: one ERSPAN session, %d inner flows: worker packets %s"
                    % (mode, FLOWS, split))
            if mode == "queues":
                continue
            # Every worker's share is near its share of the inner flows (300 flows,
            # hashed: far from 0 for each of 2 workers).
            ck.check(min(split) >= sum(split) // 5,
                     "--dispatch key: the session spreads over every worker %s" % split)
            live = sf.aggregate_records(sf.load_jsonl(flows))
            diff = []
            for key in sorted(set(ref) | set(live), key=str):
                a, b = ref.get(key), live.get(key)
                pa = (a.packets, a.bytes) if a else ([0, 0], [0, 0])
                pb = (b.packets, b.bytes) if b else ([0, 0], [0, 0])
                if pa != pb:
                    diff.append("%s: file %s, live %s" % (key, pa, pb))
            if cons["dropped"] == 0:
                ck.check(not diff, "--dispatch key: per-flow packets and bytes equal the file "
                         "replay (%d flows, %d packets)" % (len(ref), cons["received"]),
                         "\n".join(diff[:10]))
            else:
                ck.note("--dispatch key: %d packets dropped and counted; %d flows differ"
                        % (cons["dropped"], len(diff)))
        overload(ck, binary, tmp)
    ck.finish()


def overload(ck, binary, tmp):
    """Workers' rings of 256 packets and traffic at tcpreplay's top speed: what the
    dispatcher cannot hand over is dropped and counted (dispatch_full), in the
    report and in the interval lines, and every packet stays accounted for."""
    cap = os.path.join(tmp, "erspan-big.pcap")
    g = sf.pcapgen(binary, cap, "-n", 200000, "-f", 20000, "-E", "erspan", "-d", "1")
    if not ck.check(g.returncode == 0, "sf_pcapgen -E erspan (200k packets)", g.stderr):
        return
    conf = os.path.join(tmp, "small-rings.yaml")
    with open(conf, "w") as f:
        f.write("rings:\n  dispatch: 256\n")
    ivpath = os.path.join(tmp, "overload.intervals")
    rc, out, err, _ = live_run(binary, cap, tmp, "key", ("-c", conf, "--intervals", ivpath,
                                                         "--interval", "0.5"),
                               pace=("--topspeed",))
    ck.check(rc == 0, "overload: SIGINT, flushed, exit 0", "exit %s\n%s" % (rc, sf.tail(err)))
    cons = sf.parse_conservation(out)
    if not ck.check(cons is not None and sf.conservation_holds(cons),
                    "overload: conservation holds", out[-800:]):
        return
    m = re.search(r"dispatch_full (\d+)", out)
    reported = int(m.group(1)) if m else 0
    ivs = sf.load_jsonl(ivpath)
    in_ivs = sum(iv["dropped"] for iv in ivs)
    ck.note("overload: received %d, dropped %d (dispatch_full %d) in the report, %d in the "
            "intervals" % (cons["received"], cons["dropped"], reported, in_ivs))
    ck.check(in_ivs == cons["dropped"], "overload: the interval lines' drops (%d) are the "
             "report's (%d)" % (in_ivs, cons["dropped"]))


if __name__ == "__main__":
    sys.exit(main())
