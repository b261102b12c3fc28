#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Application metadata per interval and over the run (--app), against the
records of the same run (every figure is computed independently from the
JSON records here):

 - each interval's server_names / dns_names totals (bytes, flows) add up,
   over the intervals, to the records' that carried a name; the run's
   /api/v1/names/top lists the names the records rank first by bytes and by
   flows, with their exact bytes and flows, and the same totals;
 - app_flows per interval add up to the records that ended their flow, by
   app; /metrics spanflow_app_flows_total agrees;
 - the -r report lists the top server name;
 - the dashboard's page has the panels;
 - the same with 1 and 4 workers; without --app no name and no app family.

Usage: test_app_names.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import collections
import re
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))
import sfcommon as sf  # noqa: E402
from test_http import Server  # noqa: E402

BIG = "604800"
KINDS = {"server_names": ("tls", "quic", "http"), "dns_names": ("dns",)}


def expected(recs):
    """{kind: {name: [bytes, flows]}} and app flow counts, from the records."""
    names = {k: collections.defaultdict(lambda: [0, 0]) for k in KINDS}
    apps = collections.Counter()
    for r in recs:
        ends = r["end_reason"] != "active"
        app = r.get("app")
        if ends:
            apps[app or "none"] += 1
        for k, kinds in KINDS.items():
            name = None
            if app in kinds:
                name = r.get("dns_qname") if k == "dns_names" else \
                    r.get("tls_sni") or r.get("http_host")
            if name is None:
                continue
            names[k][name][0] += r["bytes"] + r["rev_bytes"]
            names[k][name][1] += 1 if ends else 0
    return names, apps


def ranked(table, by_flows):
    idx = 1 if by_flows else 0
    return sorted(table.items(), key=lambda kv: (-kv[1][idx], -kv[1][1 - idx], kv[0]))[:10]


def main():
    binary, data = sf.usage_args()
    ck = sf.Checker("application names and counts per interval and run")
    caps = [data / "app" / "1kxun.pcap", data / "quic-v2.pcapng.pcap", data / "dns_fragmented.pcap"]
    caps = [c for c in caps if c.exists()] or [data / "dns_fragmented.pcap"]
    with tempfile.TemporaryDirectory(prefix="sf-names-") as tmp:
        tmp = Path(tmp)
        for cap in caps:
            for w in (1, 4):
                fl, iv = tmp / ("%s.%d.jsonl" % (cap.name, w)), tmp / ("%s.%d.iv" % (cap.name, w))
                args = ["-r", cap, "--serve", "--app", "-w", w, "--idle-timeout", BIG,
                        "--active-timeout", BIG, "--flows", fl, "--intervals", iv]
                with Server(binary, args, tmp) as srv:
                    if not ck.check(srv.wait_finished(timeout=300), "%s -w %d: replay served"
                                    % (cap.name, w), srv.stderr()):
                        continue
                    top = srv.json("/api/v1/names/top")
                    summ = srv.json("/api/v1/summary")
                    metrics = srv.get("/metrics")[1].decode()
                    page = srv.get("/")[1].decode()
                recs = sf.load_jsonl(fl)
                lines = sf.load_jsonl(iv)
                names, apps = expected(recs)
                what = "%s -w %d" % (cap.name, w)
                for k in KINDS:
                    tab = names[k]
                    tb = sum(v[0] for v in tab.values())
                    tf = sum(v[1] for v in tab.values())
                    ib = sum(x.get(k, {}).get("bytes", 0) for x in lines)
                    iflows = sum(x.get(k, {}).get("flows", 0) for x in lines)
                    ck.check((ib, iflows) == (tb, tf),
                             "%s: intervals' %s add up to the records' (%d bytes, %d flows)"
                             % (what, k, tb, tf), (ib, iflows))
                    got = top.get(k)
                    if not tab:
                        ck.check(got is None, "%s: no %s without names" % (what, k), got)
                        continue
                    if not ck.check(got is not None, "%s: /api/v1/names/top has %s"
                                    % (what, k)):
                        continue
                    for by_flows, field in ((False, "by_bytes"), (True, "by_flows")):
                        want = [{"name": n, "bytes": v[0], "flows": v[1]}
                                for n, v in ranked(tab, by_flows)]
                        ck.check(got[field] == want, "%s: %s %s: the records' top %d"
                                 % (what, k, field, len(want)), (got[field][:2], want[:2]))
                    ck.check((got["names"], got["bytes"], got["flows"], got["untracked_bytes"])
                             == (len(tab), tb, tf, 0),
                             "%s: %s totals: %d names, untracked 0" % (what, k, len(tab)))
                    ck.check(summ.get(k) == got, "%s: /api/v1/summary's %s is the same" %
                             (what, k))
                iv_apps = collections.Counter()
                for x in lines:
                    for a in x.get("app_flows", []):
                        iv_apps[a["app"]] += a["flows"]
                ck.check(iv_apps == apps, "%s: app_flows over the intervals = the records' "
                         "ending flows by app %s" % (what, dict(apps)), dict(iv_apps))
                prom = {m.group(1): int(float(m.group(2))) for m in re.finditer(
                    r'^spanflow_app_flows_total\{app="(\w+)"\} (\S+)$', metrics, re.M)}
                ck.check(prom == dict(apps), "%s: /metrics spanflow_app_flows_total" % what,
                         prom)
                ck.check("names-srv" in page and "names-dns" in page and "apps" in page,
                         "%s: the dashboard has the names and applications panels" % what)
            # The report: the top server name by bytes.
            r = sf.run(binary, ["-r", cap, "--no-http", "--app", "--idle-timeout", BIG,
                                "--active-timeout", BIG])
            names, _ = expected(sf.load_jsonl(tmp / ("%s.1.jsonl" % cap.name)))
            for k, title in (("server_names", "top server names"), ("dns_names", "top DNS names")):
                if names[k]:
                    first = ranked(names[k], False)[0][0]
                    ck.check(title in r.out and first in r.out.split(title, 1)[1],
                             "%s: the report lists %s, %s first" % (cap.name, title, first))
        # Off by default.
        fl = tmp / "off.jsonl"
        with Server(binary, ["-r", caps[0], "--serve", "--flows", fl], tmp) as srv:
            ok = srv.wait_finished(timeout=300)
            top = srv.json("/api/v1/names/top") if ok else {}
            metrics = srv.get("/metrics")[1].decode() if ok else ""
        ck.check(ok and top == {"app": False} and
                 "spanflow_app_flows_total{" not in metrics and
                 not any("app" in x for x in sf.load_jsonl(fl)),
                 "without --app: no names, no app samples, no app key", top)
    ck.finish()


if __name__ == "__main__":
    main()
