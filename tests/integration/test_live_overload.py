#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Live capture beyond what the machine keeps up with: drops are counted where
they happen, and a flow stays in one worker.

On a veth pair between two network namespaces of our own, `spanflow -i`
(input.capture: tpacket, the default) captures with a tiny ring
(input.ring_size: 64k) while tcpreplay --topspeed sends a generated capture
into the other end; SIGINT once the traffic is over.

1. One worker: the kernel must drop packets (a full ring: kernel_ring_full),
   and every packet sent is accounted for: sent = received (drops included)
   = packets the worker saw + drops; the conservation line holds; the
   records hold every flowed packet; the report, /api/v1/summary and
   /metrics give the same drops by reason.
2. Two workers, same overload: with idle and active timeouts longer than the
   run, every flow key is in exactly one record: no flow was read by two
   workers.
3. For comparison (a note, not a check): DPDK's af_packet driver
   (input.capture: af_packet) under the same overload, whose fanout rollover
   splits flows between workers and whose kernel drops go uncounted.

Exit 77 (skipped) without root, ip, tcpreplay or ethtool.

Usage: test_live_overload.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import collections
import json
import os
import re
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402

PACKETS = 200000
FLOWS = 5000
RING = "64k"
HTTP = "127.0.0.1:18080"


def key_of(r):
    """Canonical flow key of a record (both directions alike)."""
    ends = sorted([(r["src_addr"], r["src_port"]), (r["dst_addr"], r["dst_port"])])
    return (tuple(ends), r["proto"], r["vlan"])


def in_ns(ns, *cmd):
    return sf.sh("ip", "netns", "exec", ns, *cmd, check=False)


def veth_counter(ns, dev, name):
    r = in_ns(ns, "cat", "/sys/class/net/%s/statistics/%s" % (dev, name))
    return int(r.stdout) if r.returncode == 0 and r.stdout.strip() else -1


def http_get(ns, path):
    """GET http://HTTP/path from inside namespace ns: the body, or None."""
    r = in_ns(ns, sys.executable, "-c",
              "import sys, urllib.request as u; "
              "sys.stdout.write(u.urlopen(sys.argv[1], timeout=5).read().decode())",
              "http://%s%s" % (HTTP, path))
    return r.stdout if r.returncode == 0 else None


def report_drops(out_text):
    """{reason: packets} from the report's 'dropped' line."""
    for line in out_text.splitlines():
        if line.startswith("dropped "):
            return {k: int(v) for k, v in re.findall(r"(\w+) (\d+)", line[8:])}
    return {}


def live_drops(ns):
    """Drops by reason from the API and /metrics once they agree and stand still."""
    last = None
    for _ in range(40):
        s, m = http_get(ns, "/api/v1/summary"), http_get(ns, "/metrics")
        if s is not None and m is not None:
            api = {k: v for k, v in json.loads(s)["dropped_by_reason"].items() if v}
            prom = {k: int(v) for k, v in re.findall(
                r'^spanflow_packets_dropped_total\{reason="(\w+)"\} (\d+)$', m, re.M)
                if int(v)}
            now = (api, prom, json.loads(s)["conservation"]["ok"])
            if now == last and api == prom and now[2]:
                return api, prom
            last = now
        time.sleep(0.5)
    return (last[0], last[1]) if last else (None, None)


def overload(ck, binary, n, cap, tmp, workers, capture):
    """One overloaded capture; (sent, conservation, records, report drops, out text)."""
    what = "%s, %d worker%s" % (capture, workers, "s" if workers > 1 else "")
    out = Path(tmp) / ("%s-%d" % (capture, workers))
    out.mkdir()
    cfg = out / "c.yaml"
    cfg.write_text("input:\n  capture: %s\n  ring_size: %s\n" % (capture, RING))
    args = ["-c", cfg, "-w", workers, "--flows", out / "f.jsonl", "--idle-timeout",
            sf.BIG_TIMEOUT, "--active-timeout", sf.BIG_TIMEOUT, "--tcp-end-timeout",
            sf.BIG_TIMEOUT, "--interval", "1", "--http", HTTP, "--no-progress"]
    api = prom = None
    with sf.LiveRun(n, binary, args, out) as run:
        if not run.started(ck, what):
            return None
        tx0 = veth_counter(n.ns_tx, n.veth_tx, "tx_packets")
        sent = sf.tcpreplay(n, cap, "--topspeed")
        tx = veth_counter(n.ns_tx, n.veth_tx, "tx_packets") - tx0
        ck.note("%s: tcpreplay sent %d packets (veth tx_packets +%d)" % (what, sent, tx))
        time.sleep(2)
        if capture == "tpacket":
            api, prom = live_drops(n.ns_rx)
        rc = run.stop(signal.SIGINT)
    err_text, out_text = run.texts()
    ck.check(rc == 0, "%s: exit status 0 after SIGINT" % what,
             "exit %s\n%s" % (rc, sf.tail(err_text)))
    cons = sf.parse_conservation(out_text)
    ck.check(cons is not None and sf.conservation_holds(cons),
             "%s: the conservation line holds" % what, out_text[-800:])
    recs = sf.load_jsonl(out / "f.jsonl") if (out / "f.jsonl").exists() else []
    drops = report_drops(out_text)
    ck.note("%s: %s" % (what, [x for x in out_text.splitlines()
                               if x.startswith(("conservation", "dropped"))]))
    if capture == "tpacket" and cons is not None:
        ck.check(sent == PACKETS, "%s: tcpreplay sent the whole capture (%d)" % (what, sent))
        ck.check(cons["dropped"] > 0 and drops.get("kernel_ring_full", 0) > 0,
                 "%s: overloaded: the kernel dropped packets on a full ring "
                 "(kernel_ring_full %d)" % (what, drops.get("kernel_ring_full", 0)),
                 out_text[-800:])
        ck.check(sent == cons["received"],
                 "%s: sent %d = received %d (drops included)" % (what, sent,
                                                                cons["received"]))
        seen = cons["flowed"] + cons["filtered"] + cons["nonflow"] + cons["malformed"]
        ck.check(sent == seen + cons["dropped"] and sum(drops.values()) == cons["dropped"],
                 "%s: sent %d = packets in the workers %d + drops %d (%s)"
                 % (what, sent, seen, cons["dropped"],
                    ", ".join("%s %d" % kv for kv in sorted(drops.items()))))
        total = sum(r["packets"] + r["rev_packets"] for r in recs)
        ck.check(total == cons["flowed"], "%s: every received packet is in a record: "
                 "%d in %d records = flowed %d" % (what, total, len(recs), cons["flowed"]))
        ck.check(api == drops and prom == drops,
                 "%s: /api/v1/summary and /metrics give the report's drops by reason"
                 % what, "report %s\napi %s\nmetrics %s" % (drops, api, prom))
    return sent, cons, recs


def split_keys(recs):
    c = collections.Counter(key_of(r) for r in recs)
    return [k for k, v in c.items() if v > 1], len(c)


def main():
    binary, _ = sf.usage_args()
    why = sf.live_skip_reason()
    if why is not None:
        print("cannot run: %s" % why)
        sys.exit(77)
    ck = sf.Checker("live capture under overload (tpacket: drops counted, one worker per flow)")
    with tempfile.TemporaryDirectory(prefix="sf-overload-") as tmp:
        cap = Path(tmp) / "overload.pcap"
        g = sf.pcapgen(binary, cap, "-n", PACKETS, "-f", FLOWS, "-s", 64, "-S", 128,
                       "-6", "0.2", "-u", "0.3", "-r", 11)
        if not ck.check(g.returncode == 0, "sf_pcapgen wrote the capture", g.stderr):
            ck.finish()
        with sf.Netns() as n:
            overload(ck, binary, n, cap, tmp, 1, "tpacket")
            res = overload(ck, binary, n, cap, tmp, 2, "tpacket")
            if res is not None and res[1] is not None:
                dups, nkeys = split_keys(res[2])
                ck.check(res[1]["dropped"] > 0, "tpacket, 2 workers: overloaded too "
                         "(dropped %d)" % res[1]["dropped"])
                ck.check(not dups, "tpacket, 2 workers: no flow in two workers: each of "
                         "%d keys in exactly one record" % nkeys,
                         "%d keys in more than one record, e.g. %s" % (len(dups), dups[:3]))
            res = overload(ck, binary, n, cap, tmp, 2, "af_packet")
            if res is not None and res[1] is not None:
                dups, nkeys = split_keys(res[2])
                ck.note("for comparison, af_packet (DPDK's driver), 2 workers: sent %d, "
                        "received %d, counted drops %d; %d of %d flow keys written by "
                        "two workers" % (res[0], res[1]["received"], res[1]["dropped"],
                                         len(dups), nkeys))
    ck.finish()


if __name__ == "__main__":
    main()
