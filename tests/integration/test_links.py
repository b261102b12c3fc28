#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Link state of a live capture port, and the health probes that follow it.

`spanflow -i B` captures on one end of a veth pair A-B (both in this
namespace, so the test reaches the HTTP server on 127.0.0.1), with spanflow's
tpacket rings and with DPDK's af_packet driver (input.capture); the test sets
A down, which takes B's carrier away, then up again. spanflow keeps
capturing, and:
 - says each change on stderr with its UTC time ("spanflow: <time>Z: port B:
   link down"), within the second it polls;
 - /api/v1/links and the summary's "links" show down then up, with the
   count of changes and the time of the last one;
 - /metrics: spanflow_link_up{port="B"} 0 then 1, spanflow_link_changes_total
   1 then 2;
 - /readyz is 503 naming the port while it is down and 200 after; /healthz
   stays 200 throughout; both answer without the bearer token the API wants.
A port already down when the capture starts is said once ("link down at the
start"), shown down with no change counted, and /readyz is 503.

Exit 77 (skipped) without root or iproute2.

Usage: test_links.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import calendar
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402
from test_http import Server  # noqa: E402

TOKEN = "links-t0ken"


def skip_reason():
    if os.geteuid() != 0:
        return "not running as root (a veth pair needs it)"
    if shutil.which("ip") is None:
        return "iproute2 (ip) is not installed"
    return None


class VethPair:
    """A veth pair a-b in this namespace, both up, IPv6 off; deleted on exit."""

    def __init__(self, tag):
        base = "sf%s%d" % (tag, os.getpid() % 100000)
        self.a, self.b = base + "a", base + "b"

    def __enter__(self):
        r = sf.sh("ip", "link", "add", self.a, "type", "veth", "peer", "name", self.b,
                  check=False)
        if r.returncode != 0:
            raise RuntimeError("ip link add: " + r.stderr.strip())
        for dev in (self.a, self.b):
            sf.sh("sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % dev, check=False)
            sf.sh("ip", "link", "set", dev, "up")
        return self

    def __exit__(self, *exc):
        sf.sh("ip", "link", "del", self.a, check=False)
        return False


def metrics(srv):
    st, body, _ = srv.get("/metrics")
    vals = {}
    if st != 200:
        return vals
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            name, _, v = line.rpartition(" ")
            vals[name] = float(v)
    return vals


def probe(srv, path):
    """(status, JSON) of /healthz or /readyz, asked without the token."""
    st, body, _ = srv.get(path, token=False)
    try:
        return st, json.loads(body)
    except ValueError:
        return st, {"unparsed": body[:200]}


def link(srv):
    try:
        links = srv.json("/api/v1/links")["links"]
    except (OSError, RuntimeError, ValueError, KeyError):
        return None
    return links[0] if len(links) == 1 else None


def send_frames(dev, n):
    """n broadcast frames of a local experimental ethertype out of dev."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    try:
        s.bind((dev, 0))
        for i in range(n):
            s.send(b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01" + b"\x88\xb5" +
                   bytes([i]) * 50)
    finally:
        s.close()


def wait_for(fn, timeout):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    return fn()


def log_time(err, port, state):
    """Unix time of the stderr line saying port went state, or None."""
    m = re.search(r"spanflow: (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ): port %s: link %s\n" %
                  (re.escape(port), state), err)
    if not m:
        return None
    return calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%SZ"))


def flap(ck, binary, tmp, capture):
    """The link of a capturing port goes down and up (input.capture: capture)."""
    token = TOKEN if capture == "tpacket" else None
    args = ["-i", None, "-w", "1", "--interval", "1s"]
    if capture != "tpacket":
        cfg = os.path.join(tmp, "capture.yaml")
        with open(cfg, "w") as f:
            f.write("input:\n  capture: %s\n" % capture)
        args += ["-c", cfg]
    with VethPair("l") as v:
        args[1] = v.b
        with Server(binary, args, tmp, token=token) as srv:
            port = v.b
            up0 = wait_for(lambda: (l := link(srv)) is not None and l["up"] and l, 30)
            if not ck.check(up0, "the port's link is shown up at the start",
                            sf.tail(srv.stderr())):
                return
            ck.check(up0["port"] == port and up0["changes"] == 0 and
                     up0["last_change_ns"] is None,
                     "no change counted at the start", up0)
            ck.check(up0["speed_mbps"] is None or up0["speed_mbps"] > 0,
                     "speed: the interface's, or null", up0)
            if token:
                st, _, _ = srv.get("/api/v1/links", token=False)
                ck.check(st == 401, "the API still wants the token (got %d)" % st)
            ok = wait_for(lambda: probe(srv, "/readyz")[0] == 200, 10)
            ck.check(ok, "/readyz 200 while the link is up", probe(srv, "/readyz"))
            st, h = probe(srv, "/healthz")
            ck.check(st == 200 and h.get("status") == "ok" and h.get("reasons") == [],
                     "/healthz 200 {status: ok} without the token", (st, h))
            m = metrics(srv)
            ck.check(m.get('spanflow_link_up{port="%s"}' % port) == 1 and
                     m.get('spanflow_link_changes_total{port="%s"}' % port) == 0,
                     "/metrics: link up, 0 changes", m.get('spanflow_link_up{port="%s"}' % port))
            before = link(srv)["packets"]
            send_frames(v.a, 20)
            got = wait_for(lambda: (l := link(srv)) is not None and
                           l["packets"] >= before + 20 and l, 5)
            ck.check(got, "the port's packets count the 20 frames sent to it",
                     (before, link(srv)))
            ck.check(metrics(srv).get('spanflow_port_packets_total{port="%s"}' % port, 0) >=
                     before + 20, "/metrics: spanflow_port_packets_total counts them too")

            # Down: the peer's link goes down, B loses its carrier.
            t_down = time.time()
            sf.sh("ip", "link", "set", v.a, "down")
            down = wait_for(lambda: (l := link(srv)) is not None and not l["up"] and l, 5)
            if not ck.check(down, "the API shows the link down within 5 s",
                            sf.tail(srv.stderr())):
                return
            ck.check(down["changes"] == 1, "one change counted", down)
            ck.check(down["last_change_ns"] is not None and
                     abs(down["last_change_ns"] / 1e9 - t_down) < 3,
                     "the change's time is when the link went down", (down, t_down))
            when = log_time(srv.stderr(), port, "down")
            ck.check(when is not None and t_down - 2 <= when <= t_down + 3,
                     "stderr: 'port %s: link down' with its UTC time" % port,
                     sf.tail(srv.stderr()))
            m = metrics(srv)
            ck.check(m.get('spanflow_link_up{port="%s"}' % port) == 0 and
                     m.get('spanflow_link_changes_total{port="%s"}' % port) == 1,
                     "/metrics: link down, 1 change")
            st, r = probe(srv, "/readyz")
            ck.check(st == 503 and r.get("status") == "not ready" and
                     "port %s: link down" % port in r.get("reasons", []),
                     "/readyz 503 naming the port while it is down", (st, r))
            st, h = probe(srv, "/healthz")
            ck.check(st == 200, "/healthz stays 200: the pipeline is alive", (st, h))
            s = srv.json("/api/v1/summary")
            ck.check([x["up"] for x in s.get("links", [])] == [False],
                     "the summary's links show it down", s.get("links"))

            # Up again.
            t_up = time.time()
            sf.sh("ip", "link", "set", v.a, "up")
            up = wait_for(lambda: (l := link(srv)) is not None and l["up"] and l, 5)
            if not ck.check(up, "the API shows the link up again within 5 s",
                            sf.tail(srv.stderr())):
                return
            ck.check(up["changes"] == 2 and up["last_change_ns"] / 1e9 >= t_up - 1,
                     "two changes, the last one now", up)
            when = log_time(srv.stderr(), port, "up")
            ck.check(when is not None and t_up - 2 <= when <= t_up + 3,
                     "stderr: 'port %s: link up' with its UTC time" % port,
                     sf.tail(srv.stderr()))
            m = metrics(srv)
            ck.check(m.get('spanflow_link_up{port="%s"}' % port) == 1 and
                     m.get('spanflow_link_changes_total{port="%s"}' % port) == 2,
                     "/metrics: link up, 2 changes")
            ok = wait_for(lambda: probe(srv, "/readyz")[0] == 200, 5)
            ck.check(ok, "/readyz 200 again once the link is back", probe(srv, "/readyz"))
            ck.check(srv.alive(), "spanflow captured on through the outage")
            rc = srv.stop()
            ck.check(rc == 0, "SIGINT: exit 0", "exit %s\n%s" % (rc, sf.tail(srv.stderr())))


def main():
    binary, _ = sf.usage_args()
    why = skip_reason()
    if why:
        print("cannot run: %s" % why)
        sys.exit(77)
    ck = sf.Checker("link state of a live port: logged, API, /metrics, /readyz")
    tmp = tempfile.mkdtemp(prefix="sf_links_")
    try:
        for capture in ("tpacket", "af_packet"):
            ck.note("input.capture: %s" % capture)
            flap(ck, binary, tmp, capture)
        # A port whose link is already down when the capture starts.
        with VethPair("d") as v:
            sf.sh("ip", "link", "set", v.a, "down")
            with Server(binary, ["-i", v.b, "-w", "1"], tmp) as srv:
                said = wait_for(lambda: "port %s: link down at the start" % v.b in
                                srv.stderr(), 30)
                time.sleep(1.5)  # one more reading: said once, not again
                ck.check(said and srv.stderr().count("port %s: link down" % v.b) == 1,
                         "down at the start: said once on stderr", sf.tail(srv.stderr()))
                l0 = link(srv)
                ck.check(l0 is not None and not l0["up"] and l0["changes"] == 0,
                         "down at the start: shown down, no change counted", l0)
                st, r = probe(srv, "/readyz")
                ck.check(st == 503 and "port %s: link down" % v.b in r.get("reasons", []),
                         "down at the start: /readyz 503", (st, r))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ck.finish()


if __name__ == "__main__":
    main()
