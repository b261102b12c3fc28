#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
TCP health per server and client subnet (--tcp-analysis), against the flow
records of the same run, computed here independently:

 - the interval lines' "tcp" totals, summed over the run, equal the records'
   sums: analysed packets, retransmissions, handshakes (records with
   rtt_server_ns), the RTT sum and every bucket of the RTT log-histogram
   (8 per power of two of ns, as README "TCP health" states it);
 - /api/v1/tcp/servers (by=rtt, by=retrans) and /api/v1/tcp/subnets list
   the servers and /24, /64 client subnets the records rank first, with the
   records' counts, min/max/sum and quantiles (bucket midpoints), and each
   quantile within 6.25% of the exact one;
 - /metrics' spanflow_tcp_handshake_rtt_seconds buckets, _sum and _count and
   the retransmission counter equal the records' (and pass promtool's check
   when it is installed);
 - the total retransmissions equal tshark's tcp.analysis verdicts (if tshark
   is installed);
 - -w 1 and -w 4 give identical interval TCP aggregates; with more servers
   than a worker's table holds, the overflow is counted and the totals stay
   exact;
 - without --tcp-analysis: no "tcp" in interval lines (tcp_conn_states empty), no
   spanflow_tcp_ samples,
   the endpoints answer 404.

Usage: test_tcp_servers.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import ipaddress
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
from test_http import Server  # noqa: E402

BIG = "100000"  # s: one record per connection (timeouts out of the way)
SUB, MIN_E, MAX_E = 8, 10, 36  # the histogram README states
NB = (MAX_E - MIN_E) * SUB + 2
SLOW_MIN, TOP = 3, 20
CTX_KIND = {"none": 0, "vni": 1, "gre_key": 2, "teid": 3, "full": 4, "underlay": 5}


def bucket(ns):
    if ns < 1 << MIN_E:
        return 0
    if ns >= 1 << MAX_E:
        return NB - 1
    e = ns.bit_length() - 1
    return 1 + (e - MIN_E) * SUB + ((ns >> (e - 3)) & (SUB - 1))


def lower(b):
    if b == 0:
        return 0
    if b >= NB - 1:
        return 1 << MAX_E
    e = MIN_E + (b - 1) // SUB
    return (SUB + (b - 1) % SUB) << (e - 3)


def quantile(vals, q):
    """vals sorted: the value of rank ceil(q n / 1000) as spanflow reports it."""
    n = len(vals)
    rank = (n * q + 999) // 1000
    if rank <= 1:
        return vals[0]
    if rank >= n:
        return vals[-1]
    b = bucket(vals[rank - 1])
    est = lower(b) if b == NB - 1 else lower(b) + (lower(b + 1) - lower(b)) // 2
    return min(max(est, vals[0]), vals[-1])


def key_bytes(addr, ipver, vlan, tunnel, tunnel_id):
    """The order spanflow breaks ties in: its key's bytes (struct sf_tcp_host)."""
    a = ipaddress.ip_address(addr).packed.ljust(16, b"\0")
    return a + tunnel_id.to_bytes(4, "little") + vlan.to_bytes(2, "little") + \
        bytes([ipver, CTX_KIND[tunnel]])


class Row:
    def __init__(self, name, kb, rec):
        self.name, self.kb = name, kb
        self.vlan, self.ipver = rec["vlan"], rec["ip_version"]
        self.tunnel = rec["tunnel"]
        self.tunnel_id = rec["tunnel_id"]
        self.packets = [0, 0]
        self.retrans = [0, 0]
        self.rtts = []

    def as_api(self, subnet):
        d = {"subnet" if subnet else "server": self.name, "ipver": self.ipver,
             "vlan": self.vlan}
        if self.tunnel != "none":
            d.update(tunnel=self.tunnel, tunnel_id=self.tunnel_id)
        d["handshakes"] = len(self.rtts)
        if not subnet and self.rtts:
            v = sorted(self.rtts)
            d.update(rtt_p50_ns=quantile(v, 500), rtt_p90_ns=quantile(v, 900),
                     rtt_p99_ns=quantile(v, 990), rtt_min_ns=v[0], rtt_max_ns=v[-1],
                     rtt_sum_ns=sum(v))
        d.update(packets=self.packets[0], rev_packets=self.packets[1],
                 retrans_packets=self.retrans[0], rev_retrans_packets=self.retrans[1])
        return d


def expected(recs, p4=24, p6=64):
    """Per server, per client subnet (/p4, /p6) and in total, from the records alone."""
    serv, sub = {}, {}
    tot = {"packets": 0, "retrans_packets": 0, "handshakes": 0, "rtt_sum_ns": 0,
           "hist": [0] * NB}
    for r in recs:
        if "retrans_packets" not in r:
            continue  # not analysed
        ctx = (r["ip_version"], r["vlan"], r["tunnel"], r["tunnel_id"])
        net = ipaddress.ip_network("%s/%d" % (r["src_addr"], p4 if r["ip_version"] == 4
                                               else p6), strict=False)
        for table, name, addr in ((serv, r["dst_addr"], r["dst_addr"]),
                                  (sub, str(net), str(net.network_address))):
            row = table.get((name,) + ctx)
            if row is None:
                row = table[(name,) + ctx] = Row(name, key_bytes(addr, *ctx), r)
            row.packets[0] += r["packets"]
            row.packets[1] += r["rev_packets"]
            row.retrans[0] += r["retrans_packets"]
            row.retrans[1] += r["rev_retrans_packets"]
            if "rtt_server_ns" in r:
                row.rtts.append(r["rtt_server_ns"])
        tot["packets"] += r["packets"] + r["rev_packets"]
        tot["retrans_packets"] += r["retrans_packets"] + r["rev_retrans_packets"]
        if "rtt_server_ns" in r:
            tot["handshakes"] += 1
            tot["rtt_sum_ns"] += r["rtt_server_ns"]
            tot["hist"][bucket(r["rtt_server_ns"])] += 1
    return serv, sub, tot


def ranked(rows, by, subnet):
    """The first TOP rows as spanflow ranks them (README "TCP health")."""
    rows = list(rows)
    if by == "rtt":
        rows = [x for x in rows if len(x.rtts) >= SLOW_MIN]
        api = {id(x): x.as_api(False) for x in rows}
        rows.sort(key=lambda x: (-api[id(x)]["rtt_p90_ns"], -api[id(x)]["rtt_p50_ns"],
                                 -len(x.rtts), x.kb))
    else:
        rows = [x for x in rows if sum(x.retrans)]
        rows.sort(key=lambda x: (-sum(x.retrans), sum(x.packets), x.kb))
    return [x.as_api(subnet) for x in rows[:TOP]]


def without_rate(lst):
    return [{k: v for k, v in d.items() if k != "retrans_rate"} for d in lst]


def rates_ok(lst):
    for d in lst:
        pk = d["packets"] + d["rev_packets"]
        rt = d["retrans_packets"] + d["rev_retrans_packets"]
        if abs(d["retrans_rate"] - (rt / pk if pk else 0)) > 1e-6:
            return False
    return True


def interval_sums(lines):
    s = {"packets": 0, "retrans_packets": 0, "handshakes": 0, "rtt_sum_ns": 0,
         "hist": [0] * NB, "server_overflow_packets": 0, "bad_bounds": []}
    for line in lines:
        t = line.get("tcp")
        if t is None:
            continue
        for k in ("packets", "retrans_packets", "handshakes", "rtt_sum_ns",
                  "server_overflow_packets"):
            s[k] += t[k]
        for lo, n in t["rtt_histogram"]:
            s["hist"][bucket(lo)] += n
            if lower(bucket(lo)) != lo:
                s["bad_bounds"].append(lo)  # a bucket bound spanflow and README disagree on
    return s


def tcp_parts(lines):
    return [{k: v for k, v in x.items() if k.startswith("tcp")} for x in lines]


def prom(text, name):
    out = {}
    for m in re.finditer(r"^%s(\{[^}]*\})? (\S+)$" % re.escape(name), text, re.M):
        out[m.group(1) or ""] = m.group(2)
    return out


def tshark_retrans(cap):
    p = subprocess.run(["tshark", "-r", str(cap), "-Y", "tcp.analysis.retransmission || "
                        "tcp.analysis.fast_retransmission || "
                        "tcp.analysis.spurious_retransmission", "-T", "fields",
                        "-e", "frame.number"], capture_output=True, text=True)
    return len(p.stdout.split()) if p.returncode == 0 else None


def check_api(ck, name, srv, serv, sub, tot, p4=24, p6=64):
    for by in ("rtt", "retrans"):
        got = srv.json("/api/v1/tcp/servers?by=%s" % by)
        want = ranked(serv.values(), by, False)
        ck.check(without_rate(got["run"]) == want and rates_ok(got["run"]) and
                 got["min_handshakes"] == SLOW_MIN,
                 "%s: /api/v1/tcp/servers?by=%s: the %d servers the records rank first, "
                 "with their counts and quantiles" % (name, by, len(want)),
                 "got  %s\nwant %s" % (without_rate(got["run"])[:2], want[:2]))
        t = got["totals"]
        ck.check(t["packets"] == tot["packets"] and t["retrans_packets"] ==
                 tot["retrans_packets"] and t["handshakes"] == tot["handshakes"] and
                 t["rtt_sum_ns"] == tot["rtt_sum_ns"] and t["servers"] == len(serv) and
                 t["subnets"] == len(sub),
                 "%s: API totals (%d servers, %d subnets) = records'" % (name, len(serv),
                                                                       len(sub)), t)
    got = srv.json("/api/v1/tcp/subnets")
    want = ranked(sub.values(), "retrans", True)
    ck.check(without_rate(got["run"]) == want and rates_ok(got["run"]) and
             got["prefix_v4"] == p4 and got["prefix_v6"] == p6,
             "%s: /api/v1/tcp/subnets: the %d client subnets (/%d, /%d) the records rank first"
             % (name, len(want), p4, p6), "got  %s\nwant %s" % (without_rate(got["run"])[:2], want[:2]))
    # The stated error bound, on every listed server's quantiles.
    bad = []
    for x in serv.values():
        v = sorted(x.rtts)
        for q in (500, 900, 990):
            if len(v) < 2:
                continue
            exact = v[max(1, (len(v) * q + 999) // 1000) - 1]
            if (1 << MIN_E) <= exact < (1 << MAX_E) and \
                    abs(quantile(v, q) - exact) * 16 > exact:
                bad.append((x.name, q, exact, quantile(v, q)))
    ck.check(not bad, "%s: every server's p50/p90/p99 within 6.25%% of the exact value"
             % name, bad[:5])
    body = srv.get("/metrics")[1]
    text = body.decode()
    promtool = shutil.which("promtool")
    if promtool is not None:
        p = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True)
        ck.check(p.returncode == 0, "%s: promtool check metrics: no problems" % name,
                 (p.stdout + p.stderr).decode(errors="replace"))
    b = prom(text, "spanflow_tcp_handshake_rtt_seconds_bucket")
    want_b = {}
    for e in range(MIN_E, MAX_E + 1):
        cum = sum(n for i, n in enumerate(tot["hist"]) if lower(i) < 1 << e and
                  i < NB - 1)
        le = "%d.%s" % (((1 << e) - 1) // 10**9,
                        ("%09d" % (((1 << e) - 1) % 10**9)).rstrip("0") or "0")
        want_b['{le="%s"}' % le] = str(cum)
    want_b['{le="+Inf"}'] = str(tot["handshakes"])
    s = prom(text, "spanflow_tcp_handshake_rtt_seconds_sum").get("")
    ck.check(b == want_b and
             prom(text, "spanflow_tcp_handshake_rtt_seconds_count").get("") ==
             str(tot["handshakes"]) and s is not None and
             round(float(s) * 1e9) == tot["rtt_sum_ns"] and
             prom(text, "spanflow_tcp_retransmitted_packets_total").get("") ==
             str(tot["retrans_packets"]) and
             prom(text, "spanflow_tcp_packets_total").get("") == str(tot["packets"]),
             "%s: /metrics histogram (%d buckets), _sum, _count and counters = records'"
             % (name, len(b)), "got  %s\nwant %s" % (b, want_b))


def main():
    binary, data = sf.usage_args()
    ck = sf.Checker("TCP health per server and client subnet = the records' sums")
    tshark = shutil.which("tshark") is not None
    if not tshark:
        ck.note("tshark not installed: retransmissions are not compared with it")
    with tempfile.TemporaryDirectory(prefix="sf-tcpsrv-") as tmp:
        tmp = Path(tmp)
        gen = tmp / "gen.pcap"
        big = tmp / "big.pcap"
        # Few servers with many handshakes each, IPv4 and IPv6, loss and reordering.
        r1 = sf.pcapgen(binary, gen, "-n", 30000, "-f", 400, "-6", 0.3, "-d", 6, "-T",
                        "-L", 0.02, "-R", 0.01)
        # More servers in an interval than a worker's table holds (512).
        r2 = sf.pcapgen(binary, big, "-n", 40000, "-f", 3000, "-6", 0.5, "-d", 2, "-T",
                        "-L", 0.01)
        if r1.returncode != 0 or r2.returncode != 0:
            print("cannot run: sf_pcapgen failed: %s %s" % (r1.stderr, r2.stderr))
            sys.exit(77)
        caps = [gen, data / "tcp_health.pcap", data / "sample.pcap", data / "smtp.pcap",
                data / "tunnels" / "tun_gre.pcap", big]
        for cap in caps:
            name = cap.name
            lines = {}
            recs = None
            for w in (1, 4):
                fl, iv = tmp / ("%s.%d.jsonl" % (name, w)), tmp / ("%s.%d.iv" % (name, w))
                r = sf.run(binary, ["-r", cap, "-q", "--no-http", "--tcp-analysis", "-w", w,
                                    "--interval", 1, "--idle-timeout", BIG,
                                    "--active-timeout", BIG, "--flows", fl,
                                    "--intervals", iv])
                if not ck.check(r.rc == 0, "%s -w %d: exits 0" % (name, w), r.describe()):
                    continue
                lines[w] = sf.load_jsonl(iv)
                if w == 1:
                    recs = sf.load_jsonl(fl)
            if recs is None or 4 not in lines:
                continue
            serv, sub, tot = expected(recs)
            for w in (1, 4):
                s = interval_sums(lines[w])
                ck.check(all(s[k] == tot[k] for k in tot) and not s["bad_bounds"],
                         "%s -w %d: interval TCP aggregates sum to the records' (%d packets, "
                         "%d retransmitted, %d handshakes in %d histogram buckets)"
                         % (name, w, tot["packets"], tot["retrans_packets"],
                            tot["handshakes"], sum(1 for x in tot["hist"] if x)),
                         "intervals %s\nrecords   %s" % (s, tot))
            if cap == big:
                s1, s4 = interval_sums(lines[1]), interval_sums(lines[4])
                ck.check(s1["server_overflow_packets"] > 0 and
                         s4["server_overflow_packets"] < s1["server_overflow_packets"],
                         "%s: %d servers; the workers' tables overflow (packets counted in "
                         "the other row: -w 1 %d, -w 4 %d), totals exact"
                         % (name, len(serv), s1["server_overflow_packets"],
                            s4["server_overflow_packets"]))
            else:
                ck.check(tcp_parts(lines[1]) == tcp_parts(lines[4]),
                         "%s: interval TCP aggregates -w 4 == -w 1 (%d intervals)"
                         % (name, len(lines[1])))
            if tshark and cap in (gen, data / "tcp_health.pcap", data / "sample.pcap"):
                n = tshark_retrans(cap)
                ck.check(n == tot["retrans_packets"],
                         "%s: retransmissions %d = tshark's tcp.analysis (%s)"
                         % (name, tot["retrans_packets"], n))
        # API and /metrics over the run; client subnets of other prefix lengths.
        cfg = tmp / "prefix.yaml"
        cfg.write_text("tcp:\n  client_prefix_v4: 16\n  client_prefix_v6: 48\n")
        for cap, p4, p6 in ((gen, 24, 64), (data / "sample.pcap", 24, 64),
                            (data / "tunnels" / "tun_gre.pcap", 24, 64), (gen, 16, 48),
                            (data / "sample.pcap", 16, 48)):
            fl = tmp / ("api-%s-%d.jsonl" % (cap.name, p4))
            args = ["-r", cap, "--serve", "--tcp-analysis", "-w", 2, "--idle-timeout", BIG,
                    "--active-timeout", BIG, "--flows", fl]
            with Server(binary, args + (["-c", cfg] if p4 != 24 else []), tmp) as srv:
                if not ck.check(srv.wait_finished(), "%s: replay served" % cap.name,
                                srv.stderr()):
                    continue
                serv, sub, tot = expected(sf.load_jsonl(fl), p4, p6)
                check_api(ck, "%s /%d /%d" % (cap.name, p4, p6), srv, serv, sub, tot, p4, p6)
        # Off by default: nothing of it anywhere.
        iv = tmp / "off.iv"
        with Server(binary, ["-r", data / "sample.pcap", "--serve", "--intervals", iv],
                    tmp) as srv:
            ok = srv.wait_finished()
            st = srv.get("/api/v1/tcp/servers")[0], srv.get("/api/v1/tcp/subnets")[0]
            text = srv.get("/metrics")[1].decode() if ok else ""
        lines = sf.load_jsonl(iv) if ok else []
        ck.check(ok and st == (404, 404) and lines and
                 not any(ln.startswith("spanflow_tcp_") for ln in text.splitlines()) and
                 not any(k.startswith("tcp") and x[k] for x in lines for k in x),
                 "without --tcp-analysis: endpoints 404, no spanflow_tcp_ metrics, no tcp "
                 "in %d interval lines" % len(lines), st)
    ck.finish()


if __name__ == "__main__":
    main()
