#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
/api/v1/flows: a search over the active flows, answered by the workers.
  * a capture of eight long flows (TCP and UDP both ways, one-way UDP, a
    VLAN, two VXLAN VNIs over the same inner addresses, IPv6, ICMP), every
    one with packets from the first instant to the last, replayed at
    capture speed (--pace 1) with 1 and 2 workers;
  * mid-replay, each filter (host, subnet, port, proto, vlan, vni) and
    combinations give exactly the flows an independent match over the
    generated flows expects, every worker answering, the whole tables
    scanned; each flow's counts lie between 1 and what the capture holds,
    oriented by who sent first; the order is by bytes (or packets);
  * n limits the answer; the filter is echoed as given;
  * bad values, unknown and repeated parameters: 400 saying what is
    expected;
  * after the replay (--serve), the search answers at once: not active, no
    flows.

Usage: test_flow_search.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import ipaddress
import json
import os
import shutil
import struct
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402
from test_http import Server  # noqa: E402

SPAN_S = 10.0        # capture time of every flow
STEP_S = 0.05        # one packet per flow (and its answer) this often
T0 = 1700000000

# The flows: what the capture holds. Each sends from src (its initiator) at
# every step; `reply` flows answer each packet.
FLOWS = [
    dict(name="tcp-443", src="10.1.0.1", dst="10.2.0.1", sport=40001, dport=443, proto=6,
         size=1200, reply=300),
    dict(name="tcp-80", src="10.1.0.2", dst="10.2.0.2", sport=40002, dport=80, proto=6,
         size=200, reply=900),
    dict(name="udp-dns", src="10.1.0.3", dst="10.3.0.1", sport=5353, dport=53, proto=17,
         size=80, reply=160),
    dict(name="udp-vlan", src="10.1.0.4", dst="10.3.0.2", sport=6000, dport=6001, proto=17,
         size=500, vlan=100),
    dict(name="vxlan-5001", src="172.16.0.1", dst="172.16.0.2", sport=7000, dport=7001,
         proto=17, size=700, vni=5001),
    dict(name="vxlan-5002", src="172.16.0.1", dst="172.16.0.2", sport=7000, dport=7001,
         proto=6, size=350, vni=5002),
    dict(name="udp6", src="2001:db8::1", dst="2001:db8::2", sport=9000, dport=9001, proto=17,
         size=600),
    dict(name="icmp", src="10.1.0.5", dst="10.2.0.1", sport=0, dport=0, proto=1, size=100),
]


# ---- packets ----

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4(src, dst, proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, proto, 0,
                    ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def ipv6(src, dst, nh, payload):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nh, 64,
                       ipaddress.IPv6Address(src).packed,
                       ipaddress.IPv6Address(dst).packed) + payload


def l4(f, fwd, size_ip, v6=False):
    """The transport header and payload of a packet of total IP length size_ip."""
    hdr = 40 if v6 else 20
    sp, dp = (f["sport"], f["dport"]) if fwd else (f["dport"], f["sport"])
    if f["proto"] == 6:
        n = size_ip - hdr - 20
        return struct.pack("!HHIIBBHHH", sp, dp, 1, 1, 5 << 4, 0x18, 65535, 0, 0) + b"x" * n
    if f["proto"] == 17:
        n = size_ip - hdr - 8
        return struct.pack("!HHHH", sp, dp, 8 + n, 0) + b"x" * n
    n = size_ip - hdr - 8
    return struct.pack("!BBHHH", 8, 0, 0, 1, 1) + b"x" * n


def ether(payload, etype, vlan=0):
    mac = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02"
    if vlan:
        return mac + struct.pack("!HHH", 0x8100, vlan, etype) + payload
    return mac + struct.pack("!H", etype) + payload


def packet(f, fwd, size_ip):
    src, dst = (f["src"], f["dst"]) if fwd else (f["dst"], f["src"])
    if ":" in src:
        return ether(ipv6(src, dst, f["proto"], l4(f, fwd, size_ip, True)), 0x86dd)
    inner = ipv4(src, dst, f["proto"], l4(f, fwd, size_ip))
    if "vni" in f:
        vx = struct.pack("!II", 0x08000000, f["vni"] << 8) + ether(inner, 0x0800)
        udp = struct.pack("!HHHH", 49152 + f["vni"] % 1000, 4789, 8 + len(vx), 0) + vx
        return ether(ipv4("192.0.2.1", "192.0.2.2", 17, udp), 0x0800)
    return ether(inner, 0x0800, f.get("vlan", 0))


def write_capture(path):
    """Write the capture; fill each flow's totals per direction (IP lengths, as flows count)."""
    pkts = []
    steps = int(SPAN_S / STEP_S) + 1
    for k, f in enumerate(FLOWS):
        f.update(packets=0, bytes=0, rev_packets=0, rev_bytes=0)
        for i in range(steps):
            t = i * STEP_S + k * 0.001
            pkts.append((t, packet(f, True, f["size"])))
            f["packets"] += 1
            f["bytes"] += f["size"]
            if f.get("reply"):
                pkts.append((t + 0.0005, packet(f, False, f["reply"])))
                f["rev_packets"] += 1
                f["rev_bytes"] += f["reply"]
    pkts.sort(key=lambda p: p[0])
    recs = []
    for t, data in pkts:
        us = int(round(t * 1e6))
        recs.append((T0 + us // 1000000, us % 1000000, data, None))
    sf.write_pcap(path, 1, recs)


# ---- the independent expectation ----

def matches(f, params):
    """Does flow f pass every filter of params (the API's meaning, written afresh)?"""
    addrs = [ipaddress.ip_address(f["src"]), ipaddress.ip_address(f["dst"])]
    for k, v in params.items():
        if k == "host" and ipaddress.ip_address(v) not in addrs:
            return False
        if k == "subnet" and not any(a in ipaddress.ip_network(v) for a in addrs):
            return False
        if k == "port" and int(v) not in (f["sport"], f["dport"]):
            return False
        if k == "proto" and {"tcp": 6, "udp": 17, "icmp": 1}.get(v, None) != f["proto"] \
                and v != str(f["proto"]):
            return False
        if k == "vlan" and int(v) != f.get("vlan", 0):
            return False
        if k == "vni" and int(v) != f.get("vni", -1):
            return False
    return True


def flow_of(j):
    """The generated flow an answer's flow is, by its oriented key; None if none."""
    for f in FLOWS:
        tun = ("vni", f["vni"]) if "vni" in f else ("none", 0)
        if (j["src_addr"], j["dst_addr"], j["proto"], j["vlan"], j["tunnel"],
                j["tunnel_id"]) != (str(ipaddress.ip_address(f["src"])),
                                    str(ipaddress.ip_address(f["dst"])), f["proto"],
                                    f.get("vlan", 0), tun[0], tun[1]):
            continue
        if f["proto"] != 1 and (j["src_port"], j["dst_port"]) != (f["sport"], f["dport"]):
            continue
        return f
    return None


FILTERS = [
    {"host": "10.2.0.1"},
    {"host": "2001:db8::1"},
    {"subnet": "10.1.0.0/16"},
    {"subnet": "172.16.0.0/24"},
    {"port": "443"},
    {"port": "7000"},
    {"proto": "udp"},
    {"proto": "6"},
    {"proto": "icmp"},
    {"vlan": "100"},
    {"vlan": "0"},
    {"vni": "5001"},
    {"vni": "5002"},
    {"proto": "udp", "subnet": "172.16.0.0/24"},
    {"host": "172.16.0.1", "vni": "5002"},
    {"proto": "tcp", "port": "80"},
    {"proto": "udp", "vlan": "100", "port": "6001"},
    {"host": "10.2.0.1", "proto": "icmp"},
    {"proto": "tcp", "vlan": "100"},
]

BAD = [
    ("host=10.0.0.300", "host"),
    ("subnet=10.0.0.0/40", "subnet"),
    ("port=70000", "port"),
    ("proto=nope", "proto"),
    ("vlan=5000", "vlan"),
    ("vni=-1", "vni"),
    ("n=0", "1..1000"),
    ("n=1001", "1..1000"),
    ("sort=size", "bytes, packets or duration"),
    ("colour=red", "host, subnet, port, proto, vlan, vni, n or sort"),
    ("host=10.2.0.1&host=10.2.0.2", "given twice"),
]


def query(srv, params):
    path = "/api/v1/flows"
    if params:
        path += "?" + "&".join("%s=%s" % (k, urllib.parse.quote(v, safe="/:"))
                               for k, v in params.items())
    st, body, _ = srv.get(path)
    return st, (json.loads(body) if body else None)


def check_answer(ck, tag, params, doc, workers):
    want = sorted(f["name"] for f in FLOWS if matches(f, params))
    flows = doc["flows"]
    got = [flow_of(j) for j in flows]
    names = sorted(f["name"] for f in got if f is not None)
    ck.check(doc["active"] and doc["workers"] == workers and doc["answered"] == workers
             and doc["complete"] and doc["ended"] == 0 and
             doc["worker_states"] == ["answered"] * workers,
             "%s %s: active, every worker answered (%d), complete" % (tag, params, workers),
             {k: doc[k] for k in ("active", "workers", "answered", "complete", "ended",
                                  "worker_states")})
    ck.check(names == want and None not in got,
             "%s %s: the flows expected (%s)" % (tag, params, ", ".join(want) or "none"),
             "got %s" % [(j["src_addr"], j["dst_addr"], j["proto"]) for j in flows])
    ck.check(doc["matched"] == len(want) and doc["scanned"] == len(FLOWS),
             "%s %s: matched %d of the %d scanned" % (tag, params, len(want), len(FLOWS)),
             (doc["matched"], doc["scanned"]))
    ck.check(doc["filter"] == params, "%s %s: the filter echoed" % (tag, params),
             doc["filter"])
    bad = []
    for j, f in zip(flows, got):
        if f is None:
            continue
        ok = (1 <= j["packets"] <= f["packets"] and 1 <= j["bytes"] <= f["bytes"] and
              0 <= j["rev_packets"] <= f["rev_packets"] and
              0 <= j["rev_bytes"] <= f["rev_bytes"] and
              T0 * 10**9 <= j["start_ns"] <= j["end_ns"] and
              j["duration_ns"] == j["end_ns"] - j["start_ns"] and
              j["worker"] in range(workers))
        if not ok:
            bad.append((f["name"], j))
    ck.check(not bad, "%s %s: counts between 1 and the capture's, times and worker sane"
             % (tag, params), bad[:2])
    tot = [j["bytes"] + j["rev_bytes"] for j in flows]
    ck.check(tot == sorted(tot, reverse=True), "%s %s: ordered by bytes" % (tag, params), tot)


def run_case(ck, binary, tmp, cap, workers):
    tag = "-w %d" % workers
    with Server(binary, ["-r", cap, "-w", workers, "--pace", "1", "--serve",
                         "--interval", "1"], str(tmp)) as srv:
        # Every flow has packets from the capture's first instant: wait until all are in.
        first = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and srv.alive():
            try:
                st, doc = query(srv, {})
            except OSError:
                st, doc = None, None
            if st == 200 and doc["active"] and len(doc["flows"]) == len(FLOWS):
                first = time.monotonic()
                break
            time.sleep(0.05)
        if not ck.check(first is not None, "%s: the search finds every flow mid-replay" % tag,
                        srv.stderr()[-2000:]):
            return
        for params in [{}] + FILTERS:
            st, doc = query(srv, params)
            if not ck.check(st == 200, "%s %s: 200" % (tag, params), doc):
                continue
            check_answer(ck, tag, params, doc, workers)
            if not params:
                seen = sorted({j["worker"] for j in doc["flows"]})
                ck.check(seen == list(range(workers)),
                         "%s: the flows come from every worker's table (%s)" % (tag, seen))

        # n: the best n by bytes; sort=packets orders by packets.
        by_bytes = sorted(FLOWS, key=lambda f: -(f["bytes"] + f["rev_bytes"]))
        st, doc = query(srv, {"n": "2"})
        got = [flow_of(j) for j in doc["flows"]] if st == 200 else []
        ck.check(st == 200 and doc["limit"] == 2 and doc["matched"] == len(FLOWS) and
                 [f["name"] for f in got if f] == [f["name"] for f in by_bytes[:2]],
                 "%s n=2: the two largest flows (%s)" % (tag, [f["name"] for f in by_bytes[:2]]),
                 doc)
        st, doc = query(srv, {"sort": "packets", "proto": "udp"})
        pk = [j["packets"] + j["rev_packets"] for j in doc["flows"]] if st == 200 else []
        ck.check(st == 200 and doc["sort"] == "packets" and len(pk) == 4 and
                 pk == sorted(pk, reverse=True),
                 "%s sort=packets: ordered by packets" % tag, doc)
        for q, word in BAD:
            st, body, _ = srv.get("/api/v1/flows?" + q)
            err = json.loads(body).get("error", "") if body else ""
            ck.check(st == 400 and word in err, "%s %s: 400 saying %r" % (tag, q, word),
                     (st, err))
        took = time.monotonic() - first
        ck.check(took < SPAN_S - 2, "%s: the mid-replay queries took %.1f s of the %.0f s "
                 "replay" % (tag, took, SPAN_S))

        # After the replay: no worker loop left, answered at once.
        ck.check(srv.wait_finished(timeout=60), "%s: the replay finishes" % tag)
        t = time.monotonic()
        st, doc = query(srv, {"proto": "udp"})
        took = time.monotonic() - t
        ck.check(st == 200 and doc["active"] is False and doc["flows"] == [] and
                 doc["answered"] == 0 and doc["ended"] == workers and not doc["complete"]
                 and doc["worker_states"] == ["ended"] * workers and took < 0.5,
                 "%s after the replay: at once (%.3f s), not active, no flows" % (tag, took),
                 doc)


def main():
    binary, _ = sf.usage_args()
    ck = sf.Checker("/api/v1/flows: search over the active flows")
    tmp = Path(tempfile.mkdtemp(prefix="sf_search_"))
    try:
        cap = tmp / "long.pcap"
        write_capture(cap)
        for workers in (1, 2):
            run_case(ck, binary, tmp, cap, workers)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ck.finish()


if __name__ == "__main__":
    main()
