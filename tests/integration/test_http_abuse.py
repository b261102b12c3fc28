# SPDX-License-Identifier: BSD-3-Clause
"""The HTTP server under abuse stays healthy and does not slow the collector.

1. Replay with --serve: 1,000 requests from 50 concurrent clients (every endpoint),
   malformed requests, a 100 kB URL, slow clients that trickle their headers,
   clients that connect and say nothing: afterwards the process is alive, answers,
   and its numbers are unchanged.
2. Live capture on a veth pair of our own (idle, 1 s intervals): the interval lag
   (spanflow_interval_lag_seconds) without and with HTTP load, printed as a figure;
   under load it stays small (the server never blocks the collector).
"""

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import sfcommon as sf
from test_http import Server, metric_values

PATHS = ["/api/v1/summary", "/api/v1/intervals", "/api/v1/flows/top?by=packets",
         "/api/v1/talkers/top", "/api/v1/ports/top", "/api/v1/protocols",
         "/api/v1/workers", "/api/v1/config", "/metrics", "/", "/api/v1/nope",
         "/api/v1/flows/top?n=99", "/api/v1/live?window=60&host=192.168.2.16",
         "/api/v1/live?subnet=192.168.0.0/16&proto=tcp&n=100", "/api/v1/live?vni=%00",
         "/api/v1/live?subnet=::/0&port=443&port=80", "/api/v1/live?host=" + "9" * 300]


def hammer(srv, total, clients):
    """total GETs from `clients` threads; returns (statuses, seconds)."""
    statuses = []
    lock = threading.Lock()
    per = total // clients

    def client(k):
        for i in range(per):
            try:
                st, _, _ = srv.get(PATHS[(k + i) % len(PATHS)], timeout=30)
            except OSError as e:
                st = "error: %s" % e
            with lock:
                statuses.append(st)

    t0 = time.time()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses, time.time() - t0


def raw(port, data, timeout=5, read=True):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        if not read:
            return b""
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            out += chunk
        return out
    except OSError:
        return b""
    finally:
        s.close()


def main():
    binary, data = sf.usage_args()
    ck = sf.Checker("HTTP server under abuse: concurrency, malformed and slow clients")
    tmp = tempfile.mkdtemp(prefix="sf_http_abuse_")
    try:
        abuse(ck, binary, data, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ck.finish()


def abuse(ck, binary, data, tmp):
    args = ["-r", data / "sample.pcap", "--serve", "-w", "2", "--quiet"]
    with Server(binary, args, tmp) as srv:
        if not ck.check(srv.wait_finished(), "replay finished and served", srv.stderr()):
            return
        before = srv.json("/api/v1/summary")["totals"]

        # Slow clients: headers trickled a byte at a time, and idle connections.
        stop = threading.Event()
        slow_socks = []

        def slow_client():
            try:
                s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
                slow_socks.append(s)
                for ch in b"GET /api/v1/summary HTTP/1.1\r\nHost: x\r\nX-Slow: ":
                    if stop.is_set():
                        break
                    s.sendall(bytes([ch]))
                    time.sleep(0.05)
            except OSError:
                pass

        slow = [threading.Thread(target=slow_client) for _ in range(20)]
        for t in slow:
            t.start()
        idle = []
        for _ in range(20):
            try:
                idle.append(socket.create_connection(("127.0.0.1", srv.port), timeout=5))
            except OSError:
                pass

        statuses, secs = hammer(srv, 1000, 50)
        good = sum(1 for s in statuses if s in (200, 404, 400))
        ck.check(len(statuses) == 1000 and good == 1000,
                 "1,000 requests from 50 concurrent clients all answered (while 20 slow "
                 "and 20 idle clients hold connections)",
                 "%d answered; others: %s" % (good, sorted(set(map(str, statuses)))[:5]))
        ck.note("1,000 requests in %.2f s (%.0f requests/s)" % (secs, 1000 / secs))
        stop.set()
        for t in slow:
            t.join()
        for s in slow_socks + idle:
            s.close()

        # Malformed requests: each gets an HTTP error or a closed connection.
        port = srv.port
        for what, req in (
                ("garbage bytes", b"\x00\x01\x02\xff\xfe garbage\r\n\r\n"),
                ("no HTTP version", b"GET /api/v1/summary\r\n\r\n"),
                ("bad header line", b"GET / HTTP/1.1\r\nHost x\r\nNoColon\r\n\r\n"),
                ("HTTP/9.9", b"GET / HTTP/9.9\r\nHost: x\r\n\r\n"),
                ("absurd method", b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n"),
                ("POST with a body", b"POST /api/v1/summary HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Length: 5\r\n\r\nhello"),
                ("huge Content-Length", b"PUT / HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Length: 99999999999\r\n\r\nx"),
                ("bad live filter", b"GET /api/v1/live?subnet=1.2.3.4/%zz&host HTTP/1.1\r\n"
                 b"Host: x\r\n\r\n"),
                ("bad query escape", b"GET /api/v1/flows/top?n=%zz&by=%00 HTTP/1.1\r\n"
                 b"Host: x\r\n\r\n")):
            resp = raw(port, req, timeout=3)
            ck.check(resp == b"" or resp.startswith(b"HTTP/1."),
                     "malformed request (%s): an HTTP error or a closed connection" % what,
                     resp[:120])
            ck.check(srv.alive(), "alive after: %s" % what)
        long_url = b"GET /api/v1/" + b"a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        resp = raw(port, long_url, timeout=5)
        ck.check(resp == b"" or resp.split(b" ")[1] in (b"414", b"400", b"431", b"404"),
                 "a 100 kB URL is refused (414) or cut", resp[:80])
        many = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(
            b"X-H%d: %s\r\n" % (i, b"v" * 60) for i in range(2000)) + b"\r\n"
        resp = raw(port, many, timeout=5)
        ck.check(resp == b"" or resp.startswith(b"HTTP/1."), "2,000 headers are refused")

        ck.check(srv.alive(), "process alive after the abuse")
        after = srv.json("/api/v1/summary")
        ck.check(after["totals"] == before, "summary unchanged by the abuse")
        st, _, _ = srv.get("/metrics")
        ck.check(st == 200, "/metrics still answers")
        rc = srv.stop()
        ck.check(rc == 0, "clean exit on SIGINT after the abuse", "exit %s\n%s" % (
            rc, sf.tail(srv.stderr())))


def sh(*args):
    return subprocess.run(args, capture_output=True, text=True)


def lag_skip_reason():
    """Why the interval-lag test cannot run here (None if it can)."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        return "needs root and iproute2 for a veth pair"
    return None


def lag(ck, binary, tmp):
    """Interval lag of a live capture while clients hammer the HTTP server
    (test_http_lag.py runs it)."""
    tag = "sfh%d" % (os.getpid() % 10000)
    a, b = tag + "a", tag + "b"
    r = sh("ip", "link", "add", a, "type", "veth", "peer", "name", b)
    if not ck.check(r.returncode == 0, "a veth pair for the live capture", r.stderr):
        return
    try:
        sh("ip", "link", "set", a, "up")
        sh("ip", "link", "set", b, "up")
        args = ["-i", b, "-w", "1", "--interval", "200ms", "--quiet"]
        with Server(binary, args, tmp) as srv:
            ok = False
            for _ in range(100):
                try:
                    ok = srv.json("/api/v1/summary")["intervals"] >= 3
                except (OSError, RuntimeError, ValueError):
                    pass
                if ok or not srv.alive():
                    break
                time.sleep(0.1)
            if not ck.check(ok, "live capture on %s publishes intervals" % b,
                            sf.tail(srv.stderr())):
                return

            def sample(seconds):
                vals = []
                end = time.time() + seconds
                while time.time() < end:
                    st, body, _ = srv.get("/metrics")
                    if st == 200:
                        vals.append(metric_values(body.decode())[
                            "spanflow_interval_lag_seconds"])
                    time.sleep(0.1)
                return vals

            quiet = sample(3)
            loaded = []
            done = threading.Event()

            def load():
                while not done.is_set():
                    hammer(srv, 250, 25)

            t = threading.Thread(target=load)
            t.start()
            try:
                loaded = sample(3)
            finally:
                done.set()
                t.join()
            q, l_ = statistics.median(quiet), statistics.median(loaded)
            print("FIGURE interval lag (200 ms intervals, idle veth): median %.1f ms "
                  "(max %.1f) without HTTP load, %.1f ms (max %.1f) with 25 clients "
                  "hammering" % (q * 1e3, max(quiet) * 1e3, l_ * 1e3, max(loaded) * 1e3),
                  flush=True)
            ck.check(l_ < 0.5, "interval lag under HTTP load stays under 0.5 s",
                     "%.3f s" % l_)
            rc = srv.stop()
            ck.check(rc == 0, "live run with HTTP stops cleanly", sf.tail(srv.stderr()))
    finally:
        sh("ip", "link", "del", a)


if __name__ == "__main__":
    main()
