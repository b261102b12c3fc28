# SPDX-License-Identifier: BSD-3-Clause
"""The dashboard in a real browser (headless Chromium) shows the capture's numbers.

`spanflow -r sample.pcap --serve` with a bearer token; Chromium loads /#token=...,
runs the page's JavaScript for a virtual 5 s and dumps the DOM: the conservation
line, top flows, top talkers, protocol mix, workers and (with --tcp-analysis)
slowest servers and most retransmissions tables must hold the numbers the JSON
API gives, written for a person (protocol names, counts grouped by thousands,
bytes in kB/MB with the exact count in the cell's tooltip), and both charts
must have a line. A screenshot is
saved as <build dir>/http_dashboard.png. Without chromium the test is skipped
with the reason printed (tools/setup.sh installs it).
"""

import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import sfcommon as sf
from test_http import TOKEN, Server

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-extensions",
                  "--virtual-time-budget=5000"]


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


def table_cells(dom, table_id):
    """Rows of a table's body: [(text, tooltip)] per cell."""
    m = re.search(r'<table id="%s">.*?<tbody>(.*?)</tbody>' % table_id, dom, re.S)
    if not m:
        return []
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", m.group(1), re.S):
        row = []
        for attrs, td in re.findall(r"<td([^>]*)>(.*?)</td>", tr, re.S):
            t = re.search(r'title="([^"]*)"', attrs)
            row.append((html.unescape(re.sub(r"<[^>]*>", "", td)).strip(),
                        html.unescape(t.group(1)) if t else ""))
        rows.append(row)
    return rows


def table_rows(dom, table_id):
    return [[c[0] for c in r] for r in table_cells(dom, table_id)]


def bytes_ok(cell, n):
    """A byte count as the page writes it: SI units, the exact count in the tooltip."""
    text, tip = cell
    return sf.si_text_ok(text, n, "B") and tip.startswith(sf.grouped(n) + " bytes")


def main():
    binary, data = sf.usage_args()
    ck = sf.Checker("dashboard in headless Chromium shows the capture's numbers")
    browser = chromium()
    if browser is None:
        print("cannot run: chromium is not installed (Debian package chromium; "
              "tools/setup.sh --test installs it)")
        sys.exit(77)
    build_dir = Path(binary).resolve().parents[2]
    shot = build_dir / "http_dashboard.png"
    tmp = tempfile.mkdtemp(prefix="sf_http_browser_")
    try:
        args = ["-r", data / "sample.pcap", "--serve", "-w", "2", "--quiet", "--tcp-analysis"]
        with Server(binary, args, tmp, token=TOKEN) as srv:
            if not ck.check(srv.wait_finished(), "replay finished and served", srv.stderr()):
                ck.finish()
            url = srv.base + "/#token=" + TOKEN

            def run_browser(extra):
                prof = tempfile.mkdtemp(prefix="profile_", dir=tmp)
                return subprocess.run([browser] + CHROMIUM_FLAGS + [
                    "--user-data-dir=" + prof] + extra + [url], capture_output=True,
                    text=True, errors="replace", timeout=120)

            p = run_browser(["--dump-dom"])
            dom = p.stdout
            ck.check(p.returncode == 0 and "<table" in dom, "chromium --dump-dom rendered "
                     "the page", sf.tail(p.stderr))
            check_dom(ck, srv, dom)
            if shot.exists():
                shot.unlink()
            p = run_browser(["--window-size=1280,1500", "--screenshot=" + str(shot)])
            ck.check(shot.exists() and shot.stat().st_size > 10000,
                     "screenshot saved: %s" % shot, sf.tail(p.stderr))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ck.finish()


def check_dom(ck, srv, dom):
    s = srv.json("/api/v1/summary")
    t = s["totals"]
    cons = re.search(r'<div id="conservation">(.*?)</div>', dom, re.S)
    text = html.unescape(re.sub(r"<[^>]*>", "", cons.group(1))) if cons else ""
    ck.check("received %d" % s["conservation"]["input_received"] in text and
             "packets %d" % t["packets"] in text and "nonflow %d" % t["nonflow"] in text and
             "dropped %d" % t["dropped"] in text and "conserved" in text,
             "conservation line shows the capture's counts", text)

    names = {p["proto"]: p["name"] or str(p["proto"])
             for p in srv.json("/api/v1/protocols")["protocols"]}
    flows = srv.json("/api/v1/flows/top?by=bytes")["run"]
    cells = table_cells(dom, "flows")
    rows = [[c[0] for c in r] for r in cells]
    ck.check(len(rows) == len(flows) and
             [r[3] for r in rows] == [sf.grouped(f["packets"] + f["rev_packets"])
                                      for f in flows] and
             all(bytes_ok(c[4], f["bytes"] + f["rev_bytes"]) for c, f in zip(cells, flows)) and
             rows[0][0].startswith(flows[0]["src_addr"]),
             "top flows table: %d rows with the API's packets and bytes (kB/MB, exact in "
             "the tooltip)" % len(flows), "%s\n%s" % (cells[:2], flows[:1]))
    ck.check([r[2] for r in rows] == [names.get(f["proto"], str(f["proto"])) for f in flows]
             and "tcp" in [r[2] for r in rows],
             "top flows table: protocol names (as /api/v1/protocols names them), not numbers",
             [r[2] for r in rows])

    def via(f):
        parts = [f.get("encap", ""),
                 "%s %d" % (f["tunnel"], f["tunnel_id"]) if f["tunnel"] != "none" else "",
                 "vlan %d" % f["vlan"] if f["vlan"] else ""]
        return ", ".join(p for p in parts if p)
    want_via = [via(f) for f in flows]
    ck.check([r[6] if len(r) > 6 else None for r in rows] == want_via and
             any(want_via),
             "top flows table: what carried each flow (encapsulations, tunnel context, VLAN) "
             "as the API's records say: %s" % sorted(set(want_via)),
             "%s\n%s" % ([r[6:] for r in rows[:4]], want_via[:4]))

    talkers = srv.json("/api/v1/talkers/top")["talkers"]
    cells = table_cells(dom, "talkers")
    ck.check(len(cells) == len(talkers) == 10 and
             all([c[0][0], c[1][0], c[3][0]] == [x["addr"], sf.grouped(x["packets"]),
                                                 sf.grouped(x["flows"])] and
                 (x["bytes_error"] or bytes_ok(c[2], x["bytes"]))
                 for c, x in zip(cells, talkers)),
             "top talkers table equals the API", cells[:2])

    protos = srv.json("/api/v1/protocols")["protocols"]
    cells = table_cells(dom, "protocols")
    ck.check(len(cells) == len(protos) and
             all([c[0][0], c[1][0]] == [p["name"] or str(p["proto"]), sf.grouped(p["packets"])]
                 and bytes_ok(c[2], p["bytes"]) for c, p in zip(cells, protos)) and
             "udp" in [c[0][0] for c in cells],
             "protocol mix table equals the API (protocol names)", cells[:2])

    encs = srv.json("/api/v1/summary")["encapsulations"]
    cells = table_cells(dom, "encaps")
    ck.check(len(cells) == len(encs) > 0 and
             all([c[0][0], c[1][0], c[3][0]] == [e["encap"], sf.grouped(e["packets"]),
                                                 sf.grouped(e["malformed"])] and
                 bytes_ok(c[2], e["bytes"]) for c, e in zip(cells, encs)),
             "encapsulations table equals the summary's", cells)

    tuns = srv.json("/api/v1/summary")["tunnels"]
    cells = table_cells(dom, "tunnels")
    ck.check(len(cells) == len(tuns) > 0 and
             all([c[0][0], c[1][0], c[2][0]] == [t["tunnel"], str(t["tunnel_id"]),
                                                 sf.grouped(t["packets"])] and
                 bytes_ok(c[3], t["bytes"]) for c, t in zip(cells, tuns)),
             "tunnels table equals the summary's", cells)

    workers = srv.json("/api/v1/workers")["workers"]
    rows = table_rows(dom, "workers")
    ck.check([r[2] for r in rows] == [sf.grouped(w["packets"]) for w in workers] and
             len(rows) == 2, "workers table shows each worker's packets", rows)

    def host(h):
        return (h.get("server") or h.get("subnet")) + (" vlan %d" % h["vlan"] if h["vlan"] else "")

    def ms(ns):
        return "%.3f" % (ns / 1e6)
    slow = srv.json("/api/v1/tcp/servers?by=rtt")["run"]
    rows = table_rows(dom, "tcp-slow")
    ck.check('<div class="grid" id="tcp">' in dom and len(slow) > 0 and
             rows == [[host(h), sf.grouped(h["handshakes"]), ms(h["rtt_p50_ns"]),
                       ms(h["rtt_p90_ns"]),
                       ms(h["rtt_p99_ns"]), ms(h["rtt_max_ns"])] for h in slow],
             "slowest servers panel shown, equal to /api/v1/tcp/servers?by=rtt (%d rows)"
             % len(rows), "%s\n%s" % (rows[:2], slow[:2]))
    # The Now section's slowest servers: the live view's (its default scope, 5 min).
    live = srv.json("/api/v1/live?window=300&n=10")["window"]["servers"]
    rows = table_rows(dom, "now-servers")
    ck.check(len(live) > 0 and 'id="now-servers-box" hidden' not in dom and
             [r[:4] for r in rows] == [["%s:%d" % (v["host"], v["port"]) if ":" not in v["host"]
                                        else "[%s]:%d" % (v["host"], v["port"]),
                                        sf.grouped(v["handshakes"]), "%.3f" % v["rtt_mean_ms"],
                                        "%.3f" % v["rtt_max_ms"]] for v in live[:10]],
             "Now: slowest servers by handshake RTT, equal to /api/v1/live's (%d rows)"
             % len(rows), "%s\n%s" % (rows[:2], live[:2]))
    for tid, path in (("tcp-retrans", "/api/v1/tcp/servers?by=retrans"),
                      ("tcp-retrans-subnets", "/api/v1/tcp/subnets")):
        lst = srv.json(path)["run"]
        rows = table_rows(dom, tid)
        ck.check(len(lst) > 0 and
                 rows == [[host(h), sf.grouped(h["retrans_packets"] + h["rev_retrans_packets"]),
                           sf.grouped(h["packets"] + h["rev_packets"]),
                           "%.2f %%" % (100 * h["retrans_rate"])] for h in lst],
                 "most retransmissions panel: %s equal to %s (%d rows)"
                 % (tid, path, len(rows)), "%s\n%s" % (rows[:2], lst[:2]))
    states = srv.json("/api/v1/summary").get("tcp_conn_states", [])
    rows = [r[:2] for r in table_rows(dom, "tcp-states")]
    ck.check(len(states) > 0 and
             rows == [[c["conn_state"], sf.grouped(c["flows"])] for c in states],
             "conn_state panel equal to the summary's tcp_conn_states (%d rows)" % len(rows),
             "%s\n%s" % (rows, states))

    n_iv = s["intervals"]
    for chart in ("chart-pps", "chart-bps"):
        m = re.search(r'<svg id="%s".*?<polyline points="([^"]*)"' % chart, dom, re.S)
        ck.check(m is not None and len(m.group(1).split()) == n_iv,
                 "%s has a line of %d points (one per interval)" % (chart, n_iv))
    ck.check("input finished" in dom, "status line says the input finished")


if __name__ == "__main__":
    main()
