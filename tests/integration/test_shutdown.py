#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
SIGTERM (and SIGINT) during a replay: spanflow stops reading, every flow it
has seen is written exactly once, the output file is complete, the report's
conservation line holds and the exit status is 0.

Usage: test_shutdown.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import collections
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402

PACKETS = 6000000


def stop_during_replay(ck, binary, cap, tmp, sig):
    name = signal.Signals(sig).name
    flows = os.path.join(tmp, "flows-%s.jsonl" % name)
    p = subprocess.Popen([binary, "-r", cap, "-w", "2", "--flows", flows, "--no-progress"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         stdin=subprocess.DEVNULL)
    # Wait until it is replaying: spanflow says so on stderr once its
    # lcores are launched; then let it read for a moment.
    deadline = time.time() + 60
    err_lines = []
    while time.time() < deadline and p.poll() is None:
        line = p.stderr.readline()
        err_lines.append(line)
        if "pipeline started" in line:
            break
    time.sleep(0.3)
    p.send_signal(sig)
    try:
        out, err = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    err = "".join(err_lines) + err
    ck.check(p.returncode == 0, "%s: exit status 0" % name, "exit %s\n%s"
             % (p.returncode, sf.tail(err)))
    cons = sf.parse_conservation(out)
    ck.check(cons is not None and sf.conservation_holds(cons),
             "%s: conservation line holds" % name, out[-600:])
    if cons is None:
        return
    stopped_early = cons["received"] < PACKETS
    ck.check(stopped_early and "stopped by signal" in err,
             "%s: stopped early (%d of %d packets) and said so"
             % (name, cons["received"], PACKETS), sf.tail(err))
    data = open(flows, encoding="utf-8").read()
    ck.check(data.endswith("\n"), "%s: flows file ends with a complete line" % name)
    recs = sf.load_jsonl(flows)
    keys = collections.Counter((r["src_addr"], r["src_port"], r["dst_addr"], r["dst_port"],
                                r["proto"], r["vlan"], r["start_ns"]) for r in recs)
    dups = [k for k, n in keys.items() if n > 1]
    ck.check(not dups, "%s: each flow written once (%d records)" % (name, len(recs)),
             str(dups[:5]))
    total = sum(r["packets"] + r["rev_packets"] for r in recs)
    ck.check(total == cons["flowed"], "%s: records hold every flowed packet (%d = %d)"
             % (name, total, cons["flowed"]))


def main():
    binary, data = sf.usage_args()
    ck = sf.Checker("stop by signal during a replay")
    with tempfile.TemporaryDirectory(prefix="sf-stop-") as tmp:
        cap = os.path.join(tmp, "gen.pcap")
        g = sf.pcapgen(binary, cap, "-n", PACKETS, "-f", "50000", "-d", "30", "-6", "0.2",
                       "-u", "0.3")
        ck.check(g.returncode == 0, "generated %d packets" % PACKETS, g.stderr)
        if g.returncode != 0:
            ck.finish()
        for sig in (signal.SIGTERM, signal.SIGINT):
            stop_during_replay(ck, binary, cap, tmp, sig)
    ck.finish()


if __name__ == "__main__":
    main()
