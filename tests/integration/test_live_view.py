#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
/api/v1/live: the live view of the newest interval and the last minutes,
against an oracle computed here from the packets this test writes.

The capture (6 s, written by hand: Ethernet, a VLAN tag, IPv4 and IPv6,
TCP, UDP, ICMP, and a VXLAN-carried flow with VNI 5001) is replayed with
1-second intervals and --serve. For 1 and 2 workers:
  * the window covering the whole capture: every flow with its packets and
    bytes (both directions, innermost IP bytes), src/dst by the first
    packet's sender, the talkers, responder ports, protocols, VLANs and
    tunnel contexts, the totals, and the per-interval series of the top
    protocols and talkers equal the oracle's;
  * the newest interval alone equals the oracle's last second;
  * each filter (host, subnet, port, proto, vlan, vni) and a combination
    narrow every table to the oracle's filtered flows;
  * bad values are 400s naming the parameter; live.flows: 0 turns it off.
With --app, the applications table of the window equals the records'; with
--tcp-analysis, the slowest servers (mean and largest handshake RTT of their
flows) equal the records' rtt_server_ns.
With live.flows: 3 (a worker itemizes 3 flows an interval), each
interval's itemized + unlisted packets equal the oracle's, and the
heaviest flow is itemized all the same (the exact top list).
Paced at capture speed (the view as a live link gives it): the long
transfer, still running, is in the newest interval's flows with
active: true and fewer packets than it will have in the end.

Usage: test_live_view.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import ipaddress
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402
from test_http import free_port  # noqa: E402

T0 = 1700000000  # capture start, on a whole second
SPAN = 6         # seconds
PROTO_NAMES = {1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6"}

# ---- frames ----


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def eth(payload, ethertype, vlan=None):
    h = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01"
    if vlan is not None:
        h += struct.pack("!HH", 0x8100, vlan)
    return h + struct.pack("!H", ethertype) + payload


def l4(proto, sport, dport, size):
    if proto == 6:
        return struct.pack("!HHIIBBHHH", sport, dport, 1, 1, 5 << 4, 0x18, 65535, 0, 0) + \
            b"x" * size
    if proto == 17:
        return struct.pack("!HHHH", sport, dport, 8 + size, 0) + b"x" * size
    return struct.pack("!BBHHH", 8, 0, 0, 1, 1) + b"x" * size   # ICMP echo


def ip4(src, dst, proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0,
                    ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ip6(src, dst, proto, payload):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), proto, 64,
                       ipaddress.ip_address(src).packed,
                       ipaddress.ip_address(dst).packed) + payload


def vxlan(inner_frame, vni):
    udp = struct.pack("!HHHH", 49152, 4789, 8 + 8 + len(inner_frame), 0) + \
        struct.pack("!II", 0x08000000, vni << 8) + inner_frame
    return eth(ip4("172.16.0.1", "172.16.0.2", 17, udp), 0x0800)


class Capture:
    """The packets, and the oracle: per second, per flow key, packets and IP bytes."""

    def __init__(self):
        self.pkts = []
        self.iv = defaultdict(lambda: defaultdict(lambda: [0, 0]))
        self.first_sender = {}

    def add(self, t, src, dst, sport, dport, proto, size, vlan=None, vni=None):
        v6 = ":" in src
        seg = l4(proto, sport, dport, size)
        ip = ip6(src, dst, proto, seg) if v6 else ip4(src, dst, proto, seg)
        if vni is not None:
            frame = vxlan(eth(ip, 0x0800), vni)
        else:
            frame = eth(ip, 0x86dd if v6 else 0x0800, vlan)
        ports = (sport, dport) if proto in (6, 17) else (0, 0)
        a, b = (src, ports[0]), (dst, ports[1])
        lo, hi = sorted([a, b], key=lambda e: (ipaddress.ip_address(e[0]).packed, e[1]))
        key = (lo, hi, proto, vlan or 0, vni)
        if key not in self.first_sender:
            self.first_sender[key] = a
        cell = self.iv[int(t)][key]
        cell[0] += 1
        cell[1] += len(ip)
        sec = int(t)
        self.pkts.append((t, (sec, int(round((t - sec) * 1e6)), frame, None)))

    def write(self, path):
        self.pkts.sort(key=lambda p: p[0])
        sf.write_pcap(path, 1, [p[1] for p in self.pkts])

    # -- the oracle's views --

    def flows(self, secs, flt=None):
        out = defaultdict(lambda: [0, 0])
        for s in secs:
            for key, (p, b) in self.iv.get(s, {}).items():
                if flt is None or flt(key):
                    out[key][0] += p
                    out[key][1] += b
        return out

    def flow_id(self, key):
        lo, hi, proto, vlan, vni = key
        src = self.first_sender[key]
        dst = hi if src == lo else lo
        return (src[0], dst[0], src[1], dst[1], proto, vlan, vni)

    def tables(self, flows):
        t = {"flows": {}, "talkers": defaultdict(lambda: [0, 0, 0]),
             "ports": defaultdict(lambda: [0, 0, 0]), "protocols": defaultdict(lambda: [0, 0, 0]),
             "vlans": defaultdict(lambda: [0, 0, 0]), "tunnels": defaultdict(lambda: [0, 0, 0])}

        def add(d, k, p, b):
            d[k][0] += p
            d[k][1] += b
            d[k][2] += 1

        for key, (p, b) in flows.items():
            lo, hi, proto, vlan, vni = key
            t["flows"][self.flow_id(key)] = (p, b)
            add(t["talkers"], lo[0], p, b)
            if hi[0] != lo[0]:
                add(t["talkers"], hi[0], p, b)
            src = self.first_sender[key]
            resp = hi if src == lo else lo
            if proto in (6, 17) and resp[1] != 0:
                add(t["ports"], (proto, resp[1]), p, b)
            add(t["protocols"], proto, p, b)
            if vlan:
                add(t["vlans"], vlan, p, b)
            if vni is not None:
                add(t["tunnels"], ("vni", vni), p, b)
        for k in ("talkers", "ports", "protocols", "vlans", "tunnels"):
            t[k] = {kk: tuple(v) for kk, v in t[k].items()}
        return t


def build_capture():
    c = Capture()
    for i in range(SPAN * 50):                       # the long transfer, both ways
        t = T0 + i / 50.0 + 0.001
        c.add(t, "10.0.0.1", "10.0.0.2", 40000, 443, 6, 1200)
        c.add(t + 0.002, "10.0.0.2", "10.0.0.1", 443, 40000, 6, 0)
    for i in range(SPAN * 10):                       # DNS on VLAN 12
        c.add(T0 + i / 10.0 + 0.003, "10.0.0.3", "10.0.0.2", 5000, 53, 17, 60, vlan=12)
    for i in range(SPAN * 2):                        # ping
        c.add(T0 + i / 2.0 + 0.005, "10.0.0.1", "10.0.0.4", 0, 0, 1, 56)
    for i in range(SPAN * 20):                       # VXLAN-carried HTTP, VNI 5001
        c.add(T0 + i / 20.0 + 0.007, "192.168.1.1", "192.168.1.2", 1234, 80, 6, 400, vni=5001)
    for i in range(SPAN * 5):                        # IPv6
        c.add(T0 + i / 5.0 + 0.009, "2001:db8::1", "2001:db8::2", 40001, 8080, 6, 300)
    for i in range(30):                              # 30 one-packet flows in second 2
        c.add(T0 + 2 + i / 40.0 + 0.011, "10.0.1.%d" % (i + 1), "10.0.0.2", 3000, 123, 17, 48)
    return c


# ---- the API's view in the oracle's terms ----


def api_tables(scope):
    t = {"flows": {}, "talkers": {}, "ports": {}, "protocols": {}, "vlans": {}, "tunnels": {}}
    for f in scope["flows"]:
        vni = f["tunnel_id"] if f["tunnel"] == "vni" else None
        t["flows"][(f["src_addr"], f["dst_addr"], f["src_port"], f["dst_port"], f["proto"],
                    f["vlan"], vni)] = (f["packets"], f["bytes"])
    for r in scope["talkers"]:
        t["talkers"][r["host"]] = (r["packets"], r["bytes"], r["flows"])
    for r in scope["ports"]:
        t["ports"][(r["proto"], r["port"])] = (r["packets"], r["bytes"], r["flows"])
    for r in scope["protocols"]:
        t["protocols"][r["proto"]] = (r["packets"], r["bytes"], r["flows"])
    for r in scope["vlans"]:
        t["vlans"][r["vlan"]] = (r["packets"], r["bytes"], r["flows"])
    for r in scope["tunnels"]:
        t["tunnels"][(r["kind"], r["id"])] = (r["packets"], r["bytes"], r["flows"])
    return t


def get(port, query):
    url = "http://127.0.0.1:%d/api/v1/live%s" % (port, query)
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def diff(a, b):
    keys = set(a) | set(b)
    return {k: (a.get(k), b.get(k)) for k in keys if a.get(k) != b.get(k)}


def key_filter(name, value):
    """The oracle's filter on flow keys: (lo, hi, proto, vlan, vni)."""
    if name == "host":
        return lambda k: value in (k[0][0], k[1][0])
    if name == "subnet":
        net = ipaddress.ip_network(value)
        return lambda k: any(ipaddress.ip_address(e[0]) in net for e in (k[0], k[1])
                             if ipaddress.ip_address(e[0]).version == net.version)
    if name == "port":
        return lambda k: int(value) in (k[0][1], k[1][1])
    if name == "proto":
        num = {"tcp": 6, "udp": 17, "icmp": 1}.get(value, None)
        num = int(value) if num is None else num
        return lambda k: k[2] == num
    if name == "vlan":
        return lambda k: k[3] == int(value)
    if name == "vni":
        return lambda k: k[4] == int(value)
    raise ValueError(name)


FILTERS = [
    [("host", "10.0.0.1")],
    [("subnet", "10.0.1.0/24")],
    [("subnet", "2001:db8::/64")],
    [("port", "53")],
    [("proto", "icmp")],
    [("proto", "17")],
    [("vlan", "12")],
    [("vni", "5001")],
    [("host", "10.0.0.2"), ("proto", "udp")],
    [("host", "10.0.0.2"), ("port", "443")],
]


def serve(binary, cap, tmp, port, workers, extra_yaml=""):
    conf = tmp / ("c%d.yaml" % port)
    conf.write_text('http:\n  listen: "127.0.0.1:%d"\n%s' % (port, extra_yaml))
    err = open(tmp / ("e%d.log" % port), "w")
    proc = subprocess.Popen([str(binary), "-r", str(cap), "--no-progress", "--interval", "1",
                             "-w", str(workers), "-c", str(conf), "--serve"],
                            stdout=subprocess.DEVNULL, stderr=err, text=True,
                            stdin=subprocess.DEVNULL)
    err.close()
    proc.errlog = tmp / ("e%d.log" % port)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/summary" % port,
                                        timeout=2) as r:
                if json.loads(r.read()).get("finished"):
                    return proc
        except OSError:
            pass
        time.sleep(0.1)
    return proc


def stop(proc, ck=None, what=""):
    """SIGINT, wait; with ck, check it ended well (exit 0, no sanitizer report)."""
    if proc.poll() is None:
        proc.send_signal(2)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if ck is not None:
        text = proc.errlog.read_text() if getattr(proc, "errlog", None) else ""
        ck.check(proc.returncode == 0 and "runtime error" not in text and
                 "Sanitizer" not in text, "%s: spanflow exits 0 with nothing to report" % what,
                 "exit %s\n%s" % (proc.returncode, text[-2000:]))


def check_replay(ck, binary, cap, tmp, c, workers):
    port = free_port()
    proc = serve(binary, cap, tmp, port, workers)
    tag = "-w %d" % workers
    try:
        secs = sorted(c.iv)
        st, v = get(port, "?window=600&n=100")
        ck.check(st == 200 and v.get("window") is not None, "%s: /api/v1/live answers" % tag,
                 (st, v))
        if st != 200 or v.get("window") is None:
            return
        want = c.tables(c.flows(secs))
        got = api_tables(v["window"])
        for k in ("flows", "talkers", "ports", "protocols", "vlans", "tunnels"):
            ck.check(got[k] == want[k], "%s: the window's %s equal the oracle's (%d)"
                     % (tag, k, len(want[k])), diff(got[k], want[k]))
        w = v["window"]
        pk = sum(p for p, b in want["flows"].values())
        by = sum(b for p, b in want["flows"].values())
        ck.check((w["packets"], w["bytes"], w["flow_count"], w["intervals"]) ==
                 (pk, by, len(want["flows"]), len(secs)),
                 "%s: the window's totals: %d packets, %d bytes, %d flows, %d intervals"
                 % (tag, pk, by, len(want["flows"]), len(secs)),
                 (w["packets"], w["bytes"], w["flow_count"], w["intervals"]))
        ck.check(w["unlisted"] == {"flows": 0, "packets": 0, "bytes": 0},
                 "%s: nothing unlisted under live.flows' default" % tag, w["unlisted"])
        ck.check(abs(w["bps"] - by * 8 / len(secs)) < 0.01 and w["start"] == T0 and
                 w["end"] == T0 + SPAN,
                 "%s: the window's rate is its bytes over its %d s" % (tag, len(secs)),
                 (w["bps"], w["start"], w["end"]))
        order = [r["bytes"] for r in w["flows"]]
        ck.check(order == sorted(order, reverse=True), "%s: flows by bytes, largest first"
                 % tag, order)

        # The newest interval alone.
        last = api_tables(v["last"])
        want_last = c.tables(c.flows([secs[-1]]))
        ck.check(last == want_last and v["last"]["start"] == secs[-1],
                 "%s: the newest interval's tables equal the oracle's last second" % tag,
                 {k: diff(last[k], want_last[k]) for k in last if last[k] != want_last[k]})

        # Series: bit/s of the top protocols and talkers, per second.
        se = v["series"]
        ck.check(se["start"] == [float(s) for s in secs], "%s: the series has a point per "
                 "interval of the window" % tag, se["start"])
        bad = []
        for p in se["protocols"]:
            exp = [sum(b for k, (pp, b) in c.iv[s].items() if k[2] == p["proto"]) * 8.0
                   for s in secs]
            if p["bps"] != exp:
                bad.append((p["name"], p["bps"], exp))
        for h in se["talkers"]:
            exp = [sum(b for k, (pp, b) in c.iv[s].items() if h["host"] in (k[0][0], k[1][0]))
                   * 8.0 for s in secs]
            if h["bps"] != exp:
                bad.append((h["host"], h["bps"], exp))
        top_talkers = sorted(want["talkers"].items(), key=lambda kv: -kv[1][1])[:5]
        ck.check(not bad and len(se["protocols"]) == 3 and
                 [h["host"] for h in se["talkers"]] == [h for h, _ in top_talkers],
                 "%s: the series per protocol (%d) and top talker (%d) equal the oracle's "
                 "per second" % (tag, len(se["protocols"]), len(se["talkers"])), bad)
        ck.check(all(p["name"] == PROTO_NAMES.get(p["proto"]) for p in se["protocols"]),
                 "%s: protocols are named" % tag, se["protocols"])

        # Filters narrow every table.
        for flt in FILTERS:
            q = "&".join("%s=%s" % kv for kv in flt)
            preds = [key_filter(n, val) for n, val in flt]
            st, fv = get(port, "?window=600&n=100&" + q)
            want_f = c.tables(c.flows(secs, lambda k: all(p(k) for p in preds)))
            got_f = api_tables(fv["window"]) if st == 200 else {}
            ck.check(st == 200 and got_f == want_f and fv["filter"] == dict(flt),
                     "%s: %s narrows every table to the oracle's %d flows"
                     % (tag, q, len(want_f["flows"])),
                     {k: diff(got_f.get(k, {}), want_f[k]) for k in want_f
                      if got_f.get(k) != want_f[k]} if st == 200 else (st, fv))
        if workers == 1:
            for q, word in (("host=10.0.0", "host: '10.0.0' is not an IPv4 or IPv6 address"),
                            ("subnet=10.0.0.0/40", "LEN 0..32"),
                            ("port=70000", "port: '70000' is not a port"),
                            ("proto=tcpip", "proto: 'tcpip' is not a protocol"),
                            ("vlan=5000", "vlan: '5000'"), ("vni=x", "vni: 'x'"),
                            ("window=0", "window: '0'"), ("n=1000", "n: '1000'"),
                            ("hosts=1.2.3.4", "'hosts' is not a parameter")):
                st, e = get(port, "?" + q)
                ck.check(st == 400 and word in e.get("error", ""),
                         "?%s: 400 naming what is expected" % q, (st, e))
    finally:
        stop(proc, ck, tag)


def check_cap(ck, binary, cap, tmp, c):
    port = free_port()
    proc = serve(binary, cap, tmp, port, 1, "live:\n  flows: 3\n")
    try:
        secs = sorted(c.iv)
        st, v = get(port, "?window=600&n=100")
        ok = st == 200 and v.get("window") is not None
        ck.check(ok, "live.flows: 3: /api/v1/live answers", (st, v))
        if not ok:
            return
        w = v["window"]
        want = c.flows(secs)
        pk = sum(p for p, b in want.values())
        by = sum(b for p, b in want.values())
        ck.check(w["unlisted"]["flows"] > 0 and
                 w["packets"] + w["unlisted"]["packets"] == pk and
                 w["bytes"] + w["unlisted"]["bytes"] == by,
                 "live.flows: 3: itemized + unlisted = every packet (%d) and byte (%d) of "
                 "the capture, %d flows unlisted" % (pk, by, w["unlisted"]["flows"]),
                 (w["packets"], w["bytes"], w["unlisted"]))
        top = max(want.items(), key=lambda kv: kv[1][1])
        fid = c.flow_id(top[0])
        got = api_tables(w)["flows"].get(fid)
        ck.check(got == tuple(top[1]), "live.flows: 3: the heaviest flow is itemized in every "
                 "interval all the same (the exact top list): %s" % (top[1],), got)
    finally:
        stop(proc, ck, "live.flows: 3")
    port = free_port()
    proc = serve(binary, cap, tmp, port, 1, "live:\n  flows: 0\n")
    try:
        st, e = get(port, "")
        ck.check(st == 404 and "live.flows: 0" in e.get("error", ""),
                 "live.flows: 0: /api/v1/live says the live view is off", (st, e))
    finally:
        stop(proc)


def served_window(binary, args, tmp, name):
    """Replay with --serve and extra args: (the window scope of /api/v1/live, flows file)."""
    port = free_port()
    conf = tmp / (name + ".yaml")
    flows = tmp / (name + ".jsonl")
    conf.write_text('http:\n  listen: "127.0.0.1:%d"\n' % port)
    proc = subprocess.Popen([str(binary)] + [str(a) for a in args] +
                            ["--no-progress", "-c", str(conf), "--serve", "--flows", str(flows)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL)
    got = None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/summary" % port,
                                            timeout=2) as r:
                    if json.loads(r.read()).get("finished"):
                        st, v = get(port, "?window=900&n=100")
                        got = v["window"] if st == 200 else v
                        break
            except OSError:
                pass
            time.sleep(0.1)
    finally:
        stop(proc)
    return got, sf.load_jsonl(flows)


def check_servers(ck, binary, data, tmp):
    """--tcp-analysis: the window's slowest servers against the records' handshake RTTs."""
    got, recs = served_window(binary, ["-r", data / "sample.pcap", "--tcp-analysis"], tmp,
                              "servers")
    want = defaultdict(list)
    for r in recs:
        ns = r.get("rtt_server_ns") or 0
        if r["proto"] == 6 and ns > 0:
            want[(r["dst_addr"], r["dst_port"])].append(min(max(ns // 1000, 1), 2 ** 32 - 1))
    have = {(x["host"], x["port"]): (x["handshakes"], x["rtt_mean_ms"], x["rtt_max_ms"])
            for x in (got or {}).get("servers", [])}
    exp = {k: (len(v), round(sum(v) / len(v) / 1e3, 3), round(max(v) / 1e3, 3))
           for k, v in want.items()}
    bad = {k: (have.get(k), exp.get(k)) for k in set(have) | set(exp)
           if have.get(k) is None or exp.get(k) is None or have[k][0] != exp[k][0] or
           abs(have[k][1] - exp[k][1]) > 0.0015 or abs(have[k][2] - exp[k][2]) > 0.0015}
    means = [x["rtt_mean_ms"] for x in (got or {}).get("servers", [])]
    ck.check(got is not None and exp and not bad and means == sorted(means, reverse=True),
             "--tcp-analysis: the window's servers (%d, %d handshakes) with their mean and "
             "largest handshake RTT equal the records', slowest first"
             % (len(exp), sum(len(v) for v in want.values())), bad)


def check_apps(ck, binary, data, tmp):
    """--app: the window's applications table against the records' app of each flow."""
    got, recs = served_window(binary, ["-r", data / "app.pcap", "--app"], tmp, "apps")
    want = defaultdict(lambda: [0, 0, 0])
    for r in recs:
        w = want[r.get("app", "none")]
        w[0] += r["packets"] + r["rev_packets"]
        w[1] += r["bytes"] + r["rev_bytes"]
        w[2] += 1
    want = {k: tuple(v) for k, v in want.items()}
    have = {a["app"]: (a["packets"], a["bytes"], a["flows"]) for a in
            (got or {}).get("apps", [])}
    ck.check(got is not None and have == want and all("app" in f for f in got["flows"]),
             "--app: the window's applications (%s) equal the records' (packets, bytes, "
             "flows per app)" % ", ".join(sorted(want)), (have, want))


def check_paced(ck, binary, cap, tmp, c):
    """Paced at capture speed: the long transfer shows while it runs."""
    port = free_port()
    conf = tmp / "paced.yaml"
    conf.write_text('http:\n  listen: "127.0.0.1:%d"\n' % port)
    proc = subprocess.Popen([str(binary), "-r", str(cap), "--no-progress", "--interval", "1",
                             "-w", "2", "-c", str(conf), "--pace", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL)
    total = sum(p for k, (p, b) in c.flows(sorted(c.iv)).items() if k[2] == 6 and
                k[0][1] in (40000, 443) and k[1][1] in (40000, 443))
    seen = None
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None and seen is None:
            try:
                st, v = get(port, "?port=443&window=60")
            except OSError:
                st, v = 0, None
            if st == 200 and v.get("last"):
                for f in v["last"]["flows"]:
                    if f["src_port"] == 40000 and f["dst_port"] == 443 and f["active"]:
                        win = [g for g in v["window"]["flows"] if g["src_port"] == 40000]
                        seen = (f, win[0]["packets"] if win else None)
            time.sleep(0.2)
        running = proc.poll() is None
    finally:
        stop(proc)
    ck.check(seen is not None and running and seen[1] is not None and 0 < seen[1] < total,
             "--pace 1: the long transfer, still running, is in the newest interval's flows "
             "(active) with %s of its %d packets so far" % (seen and seen[1], total), seen)


def main():
    binary, data = sf.usage_args()
    ck = sf.Checker("/api/v1/live: the live view against the packets' oracle")
    tmp = Path(tempfile.mkdtemp(prefix="sf_live_view_"))
    try:
        c = build_capture()
        cap = tmp / "live.pcap"
        c.write(cap)
        for w in (1, 2):
            check_replay(ck, binary, cap, tmp, c, w)
        check_cap(ck, binary, cap, tmp, c)
        check_apps(ck, binary, data, tmp)
        check_servers(ck, binary, data, tmp)
        check_paced(ck, binary, cap, tmp, c)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ck.finish()


if __name__ == "__main__":
    main()
