#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
End-to-end replay under valgrind (memcheck): no invalid access, no use of
uninitialised values, no leak, and the same records as without valgrind.

Three runs of tests/data/sample.pcap: one worker with spanflow's libpcap
reader, two workers (dispatcher) with DPDK's net_pcap reader, and two
workers with --tcp-analysis (per-flow state, the per-server and per-subnet
tables and their messages) and 1 s intervals. Leaks:
tests/valgrind.supp holds only DPDK's own start-up state (threads that
rte_eal_init() starts and never joins); besides valgrind's own leak
errors, any block still reachable at exit that spanflow's code allocated
(not DPDK on its own behalf) fails the test.

Skipped (exit 77) when valgrind is not installed or the binary is built
with AddressSanitizer (the ASan build runs the same suite).

Usage: test_valgrind.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402

SKIP = 77
VG_ERROR = 99           # valgrind's exit status when it found errors
VG_TIMEOUT = 300
SUPP = sf.REPO / "tests" / "valgrind.supp"
RUNS = [
    ("1 worker, libpcap reader", ["-w", "1", "--reader", "libpcap"]),
    ("2 workers, net_pcap reader", ["-w", "2", "--reader", "net_pcap"]),
    # TCP health per flow, server and subnet: cold areas, their tables and messages.
    ("2 workers, TCP analysis", ["-w", "2", "--tcp-analysis", "--interval", "1"]),
]


OUR_FILES = {f.name for d in ("app", "lib") for f in (sf.REPO / d).rglob("*.[ch]")}


def reachable_from_spanflow(log, binary):
    """Loss records of blocks still reachable at exit that spanflow code
    allocated: going down the stack from the allocation, a frame of
    spanflow (its binary or sources) comes before any frame of DPDK
    (librte_*). Blocks DPDK allocated for itself are its business."""
    bad = []
    for rec in re.split(r"\n==\d+== \n", log):
        if "still reachable in loss record" not in rec:
            continue
        for func, where in re.findall(r"(?:at|by) 0x[0-9A-Fa-f]+: (\S+) \(([^)]*)\)", rec):
            if "librte_" in where or func.startswith("rte_"):
                break
            if (func == "main" or func.startswith("sf_") or where == "in " + binary or
                    where.split(":")[0] in OUR_FILES):
                bad.append(re.sub(r"==\d+== ", "", rec).strip())
                break
    return bad


def main():
    binary, data = sf.usage_args()
    if shutil.which("valgrind") is None:
        print("cannot run: valgrind is not installed")
        return SKIP
    if b"__asan_init" in Path(binary).read_bytes():
        print("cannot run: %s is built with AddressSanitizer" % binary)
        return SKIP
    ck = sf.Checker("valgrind")
    capture = str(data / "sample.pcap")
    with tempfile.TemporaryDirectory(prefix="sf_valgrind_") as tmp:
        for name, extra in RUNS:
            outs = {}
            for mode in ("native", "valgrind"):
                flows = os.path.join(tmp, "flows_%s.jsonl" % mode)
                intervals = os.path.join(tmp, "intervals_%s.jsonl" % mode)
                args = ["-r", capture, "-q", "--no-progress", "--hugepages", "no",
                        "--flows", flows, "--intervals", intervals] + extra
                cmd = [binary] + args
                if mode == "valgrind":
                    cmd = ["valgrind", "--error-exitcode=%d" % VG_ERROR,
                           "--leak-check=full", "--show-leak-kinds=all",
                           "--errors-for-leak-kinds=definite,indirect,possible",
                           "--num-callers=50", "--suppressions=%s" % SUPP] + cmd
                try:
                    p = subprocess.run(cmd, capture_output=True, text=True,
                                       timeout=VG_TIMEOUT)
                except subprocess.TimeoutExpired:
                    ck.check(False, "%s, %s: finishes within %d s" % (name, mode, VG_TIMEOUT))
                    continue
                detail = "exit %d\nstderr:\n%s" % (p.returncode, sf.tail(p.stderr, 60))
                if mode == "native":
                    ck.check(p.returncode == 0, "%s, native: exit 0" % name, detail)
                else:
                    ck.check(p.returncode != VG_ERROR,
                             "%s: valgrind finds no memory error or leak" % name, detail)
                    ck.check(p.returncode == 0, "%s, under valgrind: exit 0" % name, detail)
                    bad = reachable_from_spanflow(p.stderr, binary)
                    ck.check(not bad, "%s: nothing of spanflow's still allocated at exit"
                             % name, "\n\n".join(bad[:5]))
                outs[mode] = [sorted(Path(f).read_text().splitlines()) if os.path.exists(f)
                              else None for f in (flows, intervals)]
            if len(outs) == 2:
                ck.check(outs["native"][0] and outs["native"] == outs["valgrind"],
                         "%s: same flow records and intervals under valgrind" % name,
                         "flows: %s native, %s valgrind" % (
                             len(outs["native"][0] or []), len(outs["valgrind"][0] or [])))
    ck.finish()


if __name__ == "__main__":
    sys.exit(main())
