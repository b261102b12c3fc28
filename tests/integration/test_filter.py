#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Capture filters (-f/--filter, --inner-filter) against tcpdump.

For every capture in tests/data (five expressions each, in turn) and of the
nDPI corpus (../shared/pcaps/ndpi, every expression) that spanflow reads, the
packets spanflow counts as
`filtered` equal the packets `tcpdump -r CAP EXPR` does not match (its total
minus its matches), and the conservation line holds. An expression tcpdump
cannot compile for the capture's link type makes spanflow exit 2 before DPDK
starts, naming the expression. The inner filter runs on the innermost IP
packet: on VLAN-tagged traffic it matches what the outer filter needs
`vlan and ...` for.

Exits 77 when tcpdump is missing (tools/setup.sh --test installs it).
Usage: test_filter.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402

CAPTURE_SUFFIXES = (".pcap", ".cap", ".pcapng")

# Expressions for every capture: protocols, ports, hosts and nets, header
# bytes and bit tests, negation, IPv6, link-layer words.
EXPRS = [
    "tcp",
    "udp port 53 or udp port 443",
    "not ip",
    "ip6 and (tcp or udp)",
    "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0",
    "ip[8] > 60",
    "net 10.0.0.0/8 or net 192.168.0.0/16",
    "icmp or icmp6",
]
# More on the captures of tests/data: VLAN, ARP, fragments, byte offsets.
EXPRS_DATA = [
    "vlan",
    "vlan and tcp port 80",
    "arp",
    "ip[6:2] & 0x3fff != 0",
    "portrange 1-1023",
    "ip proto 47 or ip proto 4 or ip6 proto 41",
    "ether multicast",
    "src host 192.168.2.16 and dst port 80",
]

PER_CAPTURE = 5


def tcpdump_count(cap, expr):
    """Packets tcpdump matches, or None if it cannot compile the expression."""
    args = ["tcpdump", "--count", "-nn", "-r", str(cap)]
    if expr:
        args.append(expr)
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != 0:
        return None
    m = re.search(r"^(\d+) packets?", p.stdout, re.M)
    return int(m.group(1)) if m else None


def spanflow(binary, cap, flag, expr):
    return sf.run(binary, ["-r", cap, "-w", "1", "--no-progress", flag, expr,
                           "--idle-timeout", sf.BIG_TIMEOUT,
                           "--active-timeout", sf.BIG_TIMEOUT])


def compare(binary, cap, flag, expr, want_matched, total):
    r = spanflow(binary, cap, flag, expr)
    name = "%s %s '%s'" % (cap.name, flag, expr)
    if want_matched is None:
        ok = r.rc == 2 and expr in r.err
        return name + ": tcpdump cannot compile it, spanflow exits 2 naming it", ok, \
            r.describe()
    c = sf.parse_conservation(r.out)
    if r.rc != 0 or c is None:
        return name, False, r.describe()
    want = total - want_matched
    ok = c["filtered"] == want and c["received"] == total and sf.conservation_holds(c)
    return "%s: filtered %d = tcpdump's %d - %d" % (name, c["filtered"], total,
                                                    want_matched), ok, \
        "spanflow: %s" % c


def main():
    binary, data = sf.usage_args()
    if shutil.which("tcpdump") is None:
        print("SKIP: tcpdump not installed (tools/setup.sh --test installs it)")
        sys.exit(77)
    chk = sf.Checker("capture filters against tcpdump")
    # Each capture of tests/data gets PER_CAPTURE of the expressions in turn, so
    # every expression runs on several captures (the unit test test_filter
    # checks every expression on every capture in-process, against libpcap).
    exprs = EXPRS + EXPRS_DATA
    caps = [(p, [exprs[(i * PER_CAPTURE + k) % len(exprs)] for k in range(PER_CAPTURE)])
            for i, p in enumerate(sorted(p for p in data.iterdir()
                                         if p.suffix in CAPTURE_SUFFIXES))]
    corpus = sf.corpus_dir()
    if corpus is not None:
        have = {p.name for p, _ in caps}
        caps += [(p, EXPRS) for p in sorted(corpus.iterdir())
                 if p.suffix in CAPTURE_SUFFIXES and p.name not in have]
    else:
        chk.note("corpus not found: tests/data captures only")
    jobs = []
    for cap, exprs in caps:
        total = tcpdump_count(cap, "")
        if total is None:
            continue
        r = sf.run(binary, ["-r", cap, "-w", "1", "--no-progress", "-q"])
        if r.rc != 0:
            chk.note("%s: spanflow does not read it (%s); skipped" % (cap.name,
                                                                   sf.tail(r.err, 1)))
            continue
        for e in exprs:
            jobs.append((cap, "--filter", e, tcpdump_count(cap, e), total))
    # The inner filter against tcpdump on the innermost IP packets, taken out
    # of their VLAN tags and tunnels by spancopy.py's own decapsulation (the
    # frames without IP cannot match). sample.pcap carries VXLAN among plain
    # traffic.
    tmp = tempfile.mkdtemp(prefix="sf_filter_")
    py = sf.scapy_python()
    if py is None:
        chk.check(False, "python3-scapy for the inner filter's oracle (tools/setup.sh "
                  "--test installs it)")
    for name in ("sample.pcap", "vxlan.pcap") if py else ():
        cap = data / name
        total = tcpdump_count(cap, "")
        inner = Path(tmp) / ("inner_" + name)
        p = subprocess.run([py, str(sf.REPO / "tools" / "spancopy.py"), "--inner", str(cap),
                            str(inner)], capture_output=True, text=True)
        if not chk.check(p.returncode == 0, "%s: innermost IP packets written" % name,
                         p.stderr):
            continue
        for e in ("tcp port 80", "udp", "host 192.168.2.16"):
            jobs.append((cap, "--inner-filter", e, tcpdump_count(inner, e), total))
    with ThreadPoolExecutor(max_workers=2) as ex:
        for what, ok, detail in ex.map(lambda j: compare(binary, *j), jobs):
            chk.check(ok, what, detail)
    shutil.rmtree(tmp)
    # Errors, before DPDK starts.
    r = sf.run(binary, ["-r", data / "sample.pcap", "-f", "tcp port nosuchport"])
    chk.check(r.rc == 2 and "tcp port nosuchport" in r.err and "EAL" not in r.err,
              "bad filter: exit 2 naming the expression, before EAL", r.describe())
    r = sf.run(binary, ["-r", data / "sample.pcap", "--inner-filter", "vlan 7"])
    chk.check(r.rc == 2 and "vlan 7" in r.err and "inner" in r.err,
              "inner filter with a link-layer word: exit 2, says it is the inner filter",
              r.describe())
    chk.finish()


if __name__ == "__main__":
    main()
