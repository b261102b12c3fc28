# SPDX-License-Identifier: BSD-3-Clause
"""The HTTP server's JSON API and /metrics against the JSON lines files of the same run.

`spanflow -r sample.pcap --serve --flows F --intervals I` on a random free port of
127.0.0.1 with a bearer token: every endpoint's JSON parses and its numbers equal
those computed from the flow and interval files; /metrics passes `promtool check
metrics` and agrees with the API; errors are JSON with the right status.
Also imported by test_http_abuse.py and test_http_browser.py for start/stop helpers.
"""

import collections
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import sfcommon as sf

TOKEN = "t0ken-for-tests"


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """spanflow with the HTTP server; always stopped (SIGINT, then SIGKILL) on exit."""

    def __init__(self, binary, args, tmp, token=None):
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.token = token
        cmd = [binary, "--http", "127.0.0.1:%d" % self.port, "--no-progress"] + \
            [str(a) for a in args]
        if token:
            cfg = os.path.join(tmp, "http.yaml")
            with open(cfg, "w") as f:
                f.write('http:\n  token: "%s"\n' % token)
            cmd += ["-c", cfg]
        self.out = open(os.path.join(tmp, "spanflow.out"), "w+")
        self.err = open(os.path.join(tmp, "spanflow.err"), "w+")
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, stdout=self.out, stderr=self.err,
                                     stdin=subprocess.DEVNULL)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def stderr(self):
        self.err.flush()
        self.err.seek(0)
        return self.err.read()

    def get(self, path, token=True, method="GET", timeout=10):
        """(status, body bytes, headers)."""
        req = urllib.request.Request(self.base + path, method=method)
        if token and self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read(), dict(e.headers)

    def json(self, path):
        st, body, _ = self.get(path)
        if st != 200:
            raise RuntimeError("%s: HTTP %d %s" % (path, st, body[:200]))
        return json.loads(body)

    def wait_finished(self, timeout=60):
        """Wait until the replay is over and the final snapshot is published."""
        end = time.time() + timeout
        while time.time() < end and self.alive():
            try:
                if self.json("/api/v1/summary").get("finished"):
                    return True
            except (OSError, RuntimeError, ValueError):
                pass
            time.sleep(0.2)
        return False


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def total(r, what):
    return r[what] + r["rev_" + what]


def main():
    binary, data = sf.usage_args()
    ck = sf.Checker("HTTP API and /metrics vs the JSON lines files of the same run")
    tmp = tempfile.mkdtemp(prefix="sf_http_")
    flows_path = os.path.join(tmp, "flows.jsonl")
    iv_path = os.path.join(tmp, "intervals.jsonl")
    args = ["-r", data / "sample.pcap", "--serve", "-w", "2", "--flows", flows_path,
            "--intervals", iv_path, "--interval", "5s", "--quiet"]
    try:
        with Server(binary, args, tmp, token=TOKEN) as srv:
            if not ck.check(srv.wait_finished(), "replay finished and served (--serve)",
                            srv.stderr()):
                ck.finish()
            ck.check(srv.alive(), "still serving after the replay ended")
            check_api(ck, srv, read_jsonl(flows_path), read_jsonl(iv_path))
            check_metrics(ck, srv)
            check_errors(ck, srv)
            rc = srv.stop()
            ck.check(rc == 0, "SIGINT ends the server, exit 0", "exit %s\n%s" % (
                rc, srv.stderr()))
        # Off by default for a file; a bad address is a one-line start-up error.
        port = free_port()
        r = sf.run(binary, ["-r", data / "sample.pcap", "--quiet", "--no-progress"])
        ck.check(r.rc == 0 and "serving http" not in r.err, "a plain replay starts no server",
                 r.describe())
        r = sf.run(binary, ["-r", data / "sample.pcap", "--http", "127.0.0.1:%d" % port,
                            "--no-http", "--quiet"])
        ck.check(r.rc == 0 and "serving http" not in r.err, "--no-http after --http wins",
                 r.describe())
        # Listening beyond loopback without a token is allowed, with a warning.
        r = sf.run(binary, ["-r", data / "sample.pcap", "--http", "0.0.0.0:%d" % free_port(),
                            "--quiet", "--no-progress"])
        ck.check(r.rc == 0 and r.err.count("spanflow: warning: HTTP on 0.0.0.0:") == 1 and
                 "without a token" in r.err, "HTTP on 0.0.0.0 without a token: one warning",
                 r.describe())
        r = sf.run(binary, ["-r", data / "sample.pcap", "--http", "127.0.0.1:%d" % port,
                            "--quiet", "--no-progress"])
        ck.check(r.rc == 0 and "warning" not in r.err, "HTTP on loopback: no warning",
                 r.describe())
        busy = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        r = sf.run(binary, ["-r", data / "sample.pcap", "--http", "127.0.0.1:%d" %
                            busy.getsockname()[1], "--quiet"])
        busy.close()
        ck.check(r.rc != 0 and "cannot listen" in r.err and r.err.count("\n") <= 2,
                 "--http on a port in use: a one-line error before DPDK starts", r.describe())
        r = sf.run(binary, ["-r", data / "sample.pcap", "--http", "localhost-8080"])
        ck.check(r.rc != 0 and "http.listen" in r.err and "ADDR:PORT" in r.err,
                 "a malformed --http is refused with the expected form", r.describe())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ck.finish()


def check_api(ck, srv, flows, ivs):
    s = srv.json("/api/v1/summary")
    keys = ("received", "packets", "bytes", "filtered", "nonflow", "malformed", "dropped",
            "records_lost")
    want = {k: sum(i[k] for i in ivs) for k in keys}
    got = {k: s["totals"][k] for k in keys}
    ck.check(got == want and want["received"] > 0,
             "summary totals equal the sum of the interval lines", "%s\n%s" % (got, want))
    enc = {}
    for i in ivs:
        for e in i["encapsulations"]:
            tot = enc.setdefault(e["encap"], [0, 0, 0])
            for j, col in enumerate(("packets", "bytes", "malformed")):
                tot[j] += e[col]
    got_enc = {e["encap"]: [e["packets"], e["bytes"], e["malformed"]]
               for e in s["encapsulations"]}
    ck.check(got_enc == enc and "vxlan" in enc,
             "summary encapsulations (%s) are the sum of the interval lines'" %
             ", ".join(sorted(enc)), "%s\n%s" % (got_enc, enc))
    tun, other = {}, [0, 0]
    for i in ivs:
        for e in i["tunnels"]:
            tot = tun.setdefault((e["tunnel"], e["tunnel_id"]), [0, 0])
            tot[0] += e["packets"]
            tot[1] += e["bytes"]
        other[0] += i["tunnels_other"]["packets"]
        other[1] += i["tunnels_other"]["bytes"]
    got_tun = {(e["tunnel"], e["tunnel_id"]): [e["packets"], e["bytes"]]
               for e in s["tunnels"]}
    ck.check(got_tun == tun and ("vni", 1111) in tun and other == [0, 0]
             and s["tunnels_other"]["packets"] == 0,
             "summary tunnels (%s) are the sum of the interval lines'" %
             ", ".join("%s %d" % k for k in sorted(tun)),
             "%s %s\n%s %s" % (got_tun, s["tunnels_other"], tun, other))
    top = srv.json("/api/v1/tunnels/top?n=1")
    ck.check(top["by"] == "bytes" and top["tunnels"] == s["tunnels"][:1]
             and top["tunnels_other"]["contexts"] == len(s["tunnels"]) - 1,
             "/api/v1/tunnels/top?n=1 is the summary's first context", top)
    ck.check(s["intervals"] == len(ivs), "summary counts %d intervals" % len(ivs),
             s["intervals"])
    ck.check(s["totals"]["records"] == len(flows), "summary counts %d records" % len(flows))
    ck.check(s["conservation"]["ok"] and s["conservation"]["input_received"] ==
             want["received"] + want["dropped"], "conservation holds and is reported",
             s["conservation"])
    ck.check(s["in_progress"] == {"input_received": want["received"] + want["dropped"],
                                  "not_final": 0},
             "finished: nothing is left in an interval in progress", s["in_progress"])
    span = (ivs[-1]["interval_start_ns"] - ivs[0]["interval_start_ns"]) / 1e9 + 5
    ck.check(abs(s["rates"]["average"]["packets_per_s"] - want["packets"] / span) < 1e-3,
             "average packets/s over the intervals' span", s["rates"])
    last = ivs[-1]
    ck.check(abs(s["rates"]["last_interval"]["bits_per_s"] - last["bytes"] * 8 / 5) < 1e-3,
             "last interval bits/s", s["rates"])

    iv = srv.json("/api/v1/intervals")
    ck.check(iv["intervals"] == ivs, "/intervals equals the interval lines, key by key",
             "%d vs %d" % (len(iv["intervals"]), len(ivs)))
    iv3 = srv.json("/api/v1/intervals?last=3")
    ck.check(iv3["intervals"] == ivs[-3:], "/intervals?last=3 is the last three lines")

    for by in ("bytes", "packets"):
        top = srv.json("/api/v1/flows/top?by=%s&n=10" % by)
        ranked = sorted(flows, key=lambda r: -total(r, by))[:10]
        ck.check([total(r, by) for r in top["run"]] == [total(r, by) for r in ranked] and
                 all(r in flows for r in top["run"]),
                 "flows/top?by=%s: the 10 largest flow records, exactly" % by,
                 "%s\n%s" % ([total(r, by) for r in top["run"]],
                             [total(r, by) for r in ranked]))
        want_iv = sorted(last["top_flows"], key=lambda f: -f[by])
        ck.check(top["interval"]["interval_start_ns"] == last["interval_start_ns"] and
                 [f[by] for f in top["interval"]["flows"]] == [f[by] for f in want_iv],
                 "flows/top?by=%s: the newest interval's top list" % by)
    top4 = srv.json("/api/v1/flows/top?n=4")
    ck.check(len(top4["run"]) == 4 and top4["by"] == "bytes", "flows/top?n=4 gives 4, by bytes")

    hosts = collections.defaultdict(lambda: [0, 0, 0])
    for r in flows:
        for a in (r["src_addr"], r["dst_addr"]):
            h = hosts[a]
            h[0] += total(r, "packets")
            h[1] += total(r, "bytes")
            h[2] += 1
    t = srv.json("/api/v1/talkers/top")
    ok = t["hosts"] == len(hosts) and t["exact"] is True and len(t["talkers"]) == 10 and all(
        hosts[x["addr"]] == [x["packets"], x["bytes"], x["flows"]] and x["bytes_error"] == 0
        for x in t["talkers"])
    ck.check(ok and [x["bytes"] for x in t["talkers"]] ==
             sorted((h[1] for h in hosts.values()), reverse=True)[:10],
             "talkers/top: the 10 hosts with the most bytes, with their packets and flows",
             t["talkers"][:3])

    ports = collections.defaultdict(lambda: [0, 0, 0])
    for r in flows:
        if r["proto"] in (6, 17, 132) and r["dst_port"] != 0:
            p = ports[(r["proto"], r["dst_port"])]
            p[0] += total(r, "packets")
            p[1] += total(r, "bytes")
            p[2] += 1
    pt = srv.json("/api/v1/ports/top")
    ck.check(all(ports[(x["proto"], x["port"])] == [x["packets"], x["bytes"], x["flows"]]
                 for x in pt["ports"]) and [x["bytes"] for x in pt["ports"]] ==
             sorted((p[1] for p in ports.values()), reverse=True)[:10],
             "ports/top: responder ports with the most bytes", pt["ports"][:3])

    protos = collections.defaultdict(lambda: [0, 0])
    for i in ivs:
        for p in i["protocols"]:
            protos[p["proto"]][0] += p["packets"]
            protos[p["proto"]][1] += p["bytes"]
    pr = srv.json("/api/v1/protocols")
    ck.check({x["proto"]: [x["packets"], x["bytes"]] for x in pr["protocols"]} ==
             dict(protos) and pr["packets"] == want["packets"],
             "protocols: the interval lines' protocol mix summed", pr["protocols"][:3])

    w = srv.json("/api/v1/workers")["workers"]
    ck.check(len(w) == 2 and sum(x["packets"] for x in w) == want["received"] and
             all(x["flows_active"] == 0 and x["capacity"] > 0 for x in w),
             "workers: 2 workers whose packets add up to the received packets", w)

    c = srv.json("/api/v1/config")
    ck.check(c.get("workers") == 2 and c.get("interval") == "5s" and
             c.get("http.serve") is True and c.get("http.token") == "(set)" and
             TOKEN not in json.dumps(c), "config: effective settings, token hidden",
             {k: c.get(k) for k in ("workers", "interval", "http.serve", "http.token")})


def metric_values(text):
    vals = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, val = line.rsplit(" ", 1)
            vals[name] = float(val)
    return vals


def check_metrics(ck, srv):
    st, body, hdr = srv.get("/metrics")
    ck.check(st == 200 and hdr.get("Content-Type", "").startswith("text/plain; version=0.0.4"),
             "/metrics is Prometheus text format 0.0.4")
    promtool = shutil.which("promtool")
    if promtool is None:
        ck.check(False, "promtool present (Debian package prometheus; tools/setup.sh)")
    else:
        p = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True)
        ck.check(p.returncode == 0, "promtool check metrics: no problems",
                 (p.stdout + p.stderr).decode(errors="replace"))
    m = metric_values(body.decode())
    s = srv.json("/api/v1/summary")
    t = s["totals"]
    ck.check(m.get('spanflow_packets_total{outcome="flow"}') == t["packets"] and
             m.get("spanflow_flow_bytes_total") == t["bytes"] and
             m.get("spanflow_input_packets_total") == s["conservation"]["input_received"] and
             m.get("spanflow_intervals_total") == s["intervals"] and
             sum(v for k, v in m.items() if k.startswith("spanflow_packets_dropped_total"))
             == t["dropped"], "/metrics agrees with the summary")
    ck.check(all(k in m for k in ('spanflow_flow_table_fill_ratio{worker="1"}',
                                  'spanflow_ring_occupancy_ratio{worker="0"}',
                                  "spanflow_flows_active", "spanflow_interval_lag_seconds")),
             "/metrics has table fill, ring occupancy, active flows, interval lag")


def check_errors(ck, srv):
    def err(path, status, method="GET", token=True):
        st, body, hdr = srv.get(path, token=token, method=method)
        try:
            j = json.loads(body)
        except ValueError:
            j = {}
        return st == status and j.get("status") == status and "error" in j, hdr

    for path, status, what in (
            ("/api/v1/nope", 404, "unknown path"),
            ("/api/v1/flows/top?by=ports", 400, "unknown 'by'"),
            ("/api/v1/flows/top?n=0", 400, "n=0"),
            ("/api/v1/flows/top?n=11", 400, "n above 10"),
            ("/api/v1/intervals?last=x", 400, "last=x"),
            ("/api/v1/talkers/top?n=-1", 400, "n=-1")):
        ck.check(err(path, status)[0], "%s: JSON error with status %d" % (what, status))
    ok, hdr = err("/api/v1/summary", 405, method="POST")
    ck.check(ok and "GET" in hdr.get("Allow", ""), "POST: 405 with Allow: GET, HEAD")
    ck.check(err("/api/v1/summary", 405, method="DELETE")[0], "DELETE: 405")
    ok, hdr = err("/api/v1/summary", 401, token=False)
    ck.check(ok and hdr.get("WWW-Authenticate", "").startswith("Bearer"),
             "no bearer token: 401 with WWW-Authenticate")
    st, body, hdr = srv.get("/")
    ck.check(st == 200 and b"<svg" in body and b"http://" not in body.replace(
        b"http://www.w3.org/2000/svg", b"") and b"https://" not in body,
             "/ serves the embedded dashboard, no external URLs")


if __name__ == "__main__":
    main()
