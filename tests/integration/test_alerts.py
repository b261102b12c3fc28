#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
The shipped Prometheus alert rules (config/spanflow-alerts.yml):
 1. `promtool check rules` accepts them;
 2. `promtool test rules tests/integration/alerts_test.yml` proves each alert
    fires on a recorded series when its `for:` says, and not on a healthy one;
    and every alert of the rules file has a test there;
 3. every metric an expression names is one spanflow exports: a real /metrics
    scrape of `spanflow -r sample.pcap --serve` with exporters (JSON lines and
    IPFIX over TCP: the network exporter's spanflow_export_up), and, for the
    link families only a live port has, a scrape of `spanflow -i` on a veth
    pair (root only; without root those names are said to be unchecked).

Exit 77 (skipped) when promtool is missing (tools/setup.sh --test installs
the prometheus package).

Usage: test_alerts.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402
import test_links  # noqa: E402
from test_http import Server  # noqa: E402

HERE = Path(__file__).resolve().parent
RULES = HERE.parent.parent / "config" / "spanflow-alerts.yml"
TESTS = HERE / "alerts_test.yml"
# Families only live ports have (a file has no link).
LIVE_ONLY = {"spanflow_link_up", "spanflow_link_changes_total", "spanflow_port_packets_total"}


def rules_exprs():
    """{alert name: expr} of the rules file."""
    doc = yaml.safe_load(RULES.read_text())
    return {r["alert"]: r["expr"] for g in doc["groups"] for r in g["rules"] if "alert" in r}


def scrape_names(srv):
    """Metric families of one /metrics scrape (from its # TYPE lines)."""
    st, body, _ = srv.get("/metrics")
    if st != 200:
        return set()
    return {ln.split()[2] for ln in body.decode().splitlines() if ln.startswith("# TYPE ")}


def file_scrape(binary, data, tmp):
    """Families of a file replay served with --serve, with two exporters."""
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(4)
    args = ["-r", data / "sample.pcap", "--serve", "--flows", Path(tmp) / "f.jsonl",
            "--ipfix-tcp", "127.0.0.1:%d" % lst.getsockname()[1], "--quiet"]
    try:
        with Server(binary, args, tmp) as srv:
            if not srv.wait_finished():
                return None, srv.stderr()
            return scrape_names(srv), ""
    finally:
        lst.close()


def live_scrape(binary, tmp):
    """Families of a live capture's scrape (None, why if it cannot run)."""
    why = test_links.skip_reason()
    if why:
        return None, why
    with test_links.VethPair("a") as v, Server(binary, ["-i", v.b, "-w", "1", "--quiet"],
                                               tmp) as srv:
        names = set()
        end = time.time() + 30
        while time.time() < end and not LIVE_ONLY <= names and srv.alive():
            try:
                names = scrape_names(srv)
            except OSError:
                pass
            time.sleep(0.2)
        return names, "" if names else sf.tail(srv.stderr())


def main():
    binary, data = sf.usage_args()
    promtool = shutil.which("promtool")
    if promtool is None:
        print("cannot run: promtool is not installed (tools/setup.sh --test: prometheus)")
        sys.exit(77)
    ck = sf.Checker("Prometheus alert rules: valid, proven by promtool tests, real metrics")
    r = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True,
                       text=True)
    ck.check(r.returncode == 0, "promtool check rules %s" % RULES.name, r.stdout + r.stderr)
    r = subprocess.run([promtool, "test", "rules", str(TESTS)], capture_output=True,
                       text=True, cwd=HERE)
    ck.check(r.returncode == 0, "promtool test rules %s" % TESTS.name, r.stdout + r.stderr)

    exprs = rules_exprs()
    tested = set(re.findall(r"alertname:\s*(\w+)", TESTS.read_text()))
    ck.check(set(exprs) <= tested, "every alert has a promtool test",
             sorted(set(exprs) - tested))
    ck.check(len(exprs) >= 10, "the rules hold the alerts of the issue (%d)" % len(exprs))
    referenced = {}
    for alert, expr in exprs.items():
        names = set(re.findall(r"\bspanflow_[a-z0-9_]+", expr))
        ck.check(names, "%s names a spanflow metric" % alert, expr)
        for n in names:
            referenced.setdefault(n, []).append(alert)

    tmp = tempfile.mkdtemp(prefix="sf_alerts_")
    try:
        seen, err = file_scrape(binary, data, tmp)
        if not ck.check(seen, "a /metrics scrape of a file replay (--serve)", err):
            ck.finish()
        live, why = live_scrape(binary, tmp)
        if live is None:
            ck.note("live scrape not made: %s" % why)
        elif not ck.check(live, "a /metrics scrape of a live capture", why):
            live = None
        everything = seen | (live or set())
        for n, alerts in sorted(referenced.items()):
            if n in everything:
                ck.check(True, "%s is exported (%s)" % (n, ", ".join(alerts)))
            elif live is None and n in LIVE_ONLY:
                ck.note("%s: only live ports export it; not checked here" % n)
            else:
                ck.check(False, "%s (%s) is in a real /metrics scrape" % (n, ", ".join(alerts)),
                         sorted(everything))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ck.finish()


if __name__ == "__main__":
    main()
