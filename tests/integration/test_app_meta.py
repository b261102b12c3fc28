#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Application metadata (--app) against tshark 4.0 (tools/appref.py) and
FoxIO's JA4 implementations.

On real captures (tests/data/app/, a few of tests/data, three of the corpus
when present) and tests/data/app.pcap (tools/gen_app.py): records are the
same for --workers 1, 2 and 4; each flow's tls_sni, tls_alpn, tls_version,
tls_ja3, quic_version, dns_qname, dns_qtype, dns_rcode, http_host,
http_method and http_user_agent equal tshark's. Where spanflow found TLS or
HTTP on a port tshark does not dissect, tshark runs again with a decode-as
for that port and the flow is compared with that view. Expected
differences, each asserted: a QUIC version other than v1, v2 and drafts 23
to 32 has no metadata in spanflow; a ClientHello tshark could not
take a JA3 of (malformed) has none either; tshark keeps an HTTP value's
trailing spaces, which RFC 9110 says are not part of it.

app.pcap's flows carry exactly gen_app.EXPECT's values, and the script
writes the capture byte for byte. On FoxIO's captures (tests/data/ja4/)
every TLS stream's tls_ja4 (and tls_sni) is the JSON's JA4.1 (domain), every
QUIC connection's the Rust snapshot's.

Usage: test_app_meta.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import json
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

sys.path.insert(0, str(sf.REPO / "tools"))
import appref  # noqa: E402
import gen_app  # noqa: E402

DATA = ["app.pcap", "app/bad-dns-traffic.pcap", "app/http_ipv6.pcap", "app/tls_long_cert.pcap",
        "dns_fragmented.pcap", "quic-v2.pcapng.pcap", "quic_0RTT.pcap"]
CORPUS = ["443-firefox.pcap", "netflix.pcap", "1kxun.pcap"]
JA4_CAPTURES = ["badcurveball.pcap", "gre-erspan-vxlan.pcap", "ipv6.pcapng",
                "quic-tls-handshake.pcapng", "single-packets.pcap", "tls-alpn-h2.pcap",
                "tls-non-ascii-alpn.pcapng", "tls-sni.pcapng", "tls12.pcap"]
# Compared with tshark (JA4: tshark 4.0 has none; checked against FoxIO's).
KEYS = ["tls_sni", "tls_alpn", "tls_version", "tls_ja3", "quic_version", "dns_qname",
        "dns_qtype", "dns_rcode", "http_host", "http_method", "http_user_agent"]
TLS_KEYS = ["tls_sni", "tls_alpn", "tls_version", "tls_ja3", "tls_ja4", "quic_version"]
VERSIONS = {v: k for k, v in appref.TLS_NAMES.items()}
QUIC_OK = set([1, 0x6b3343cf] + list(range(0xff000017, 0xff000021)))  # v1, v2, drafts 23-32
# The captures span years (1kxun.pcap: 5.8): day-long intervals keep the
# multi-worker runs from merging millions of empty ones.
RUN = ["-q", "--no-http", "--app", "--idle-timeout", sf.BIG_TIMEOUT, "--active-timeout",
       sf.BIG_TIMEOUT, "--interval", "86400"]


def run_spanflow(ck, binary, cap, tmp, w):
    out = Path(tmp) / ("%s.w%d.jsonl" % (cap.name, w))
    r = sf.run(binary, ["-r", cap, "-w", w, "--flows", out] + RUN)
    if not ck.check(r.rc == 0, "%s -w %d: exits 0" % (cap.name, w), r.describe()):
        return None
    return sf.load_jsonl(out)


def key_of(r):
    a, b = (r["src_addr"], r["src_port"]), (r["dst_addr"], r["dst_port"])
    return (r["proto"],) + (a + b if a <= b else b + a)


def spanflow_view(recs):
    """{flow key: (app fields, the record)}: a key's first record with metadata."""
    got = {}
    for r in sorted(recs, key=lambda x: x["start_ns"]):
        f = {k: r[k] for k in KEYS + ["tls_ja4"] if k in r}
        if "tls_version" in f:
            v = f["tls_version"]
            f["tls_version"] = VERSIONS[v] if v in VERSIONS else int(v, 16)  # "0x7f1c": a draft's
        k = key_of(r)
        if k not in got or (not got[k][0] and f):
            got[k] = (f, r)
    return got


def reference(cap, extra=()):
    ref = {}
    for k, f in appref.reference(cap, extra).items():
        e = {kk: v for kk, v in f.items() if v is not None}
        for h in ("http_host", "http_user_agent"):
            # tshark keeps trailing spaces; RFC 9110 5.5: not part of the value
            if h in e:
                e[h] = e[h].rstrip(" \t") or None
                if e[h] is None:
                    del e[h]
        ref[k] = e
    return ref


def compare(ref, got):
    """Problems between tshark's view and spanflow's; counts of what was compared."""
    probs = []
    counts = dict(flows=0, fields=0, draft=0, malformed=0)
    for k in sorted(set(ref) | {k for k, v in got.items() if v[0]}, key=str):
        e = dict(ref.get(k, {}))
        g = {kk: v for kk, v in got.get(k, ({}, None))[0].items() if kk != "tls_ja4"}
        qv = e.get("quic_version")
        if qv is not None and qv not in QUIC_OK:
            # QUIC versions spanflow does not decrypt (drafts before 23, others): nothing found
            counts["draft"] += 1
            if any(x in g for x in TLS_KEYS):
                probs.append("%s: QUIC version 0x%08x: spanflow has %s, expected none"
                             % (k, qv, g))
            continue
        if e.get("tls_ja3") == "":
            # tshark could not take the ClientHello's JA3: a malformed hello
            counts["malformed"] += 1
            if any(x in g for x in TLS_KEYS):
                probs.append("%s: malformed ClientHello: spanflow has %s, expected none"
                             % (k, g))
            continue
        counts["flows"] += 1
        counts["fields"] += len(e)
        if e != g:
            probs.append("%s\n   tshark   %s\n   spanflow %s" % (k, e, g))
    return probs, counts


def decode_as(got, ref):
    """tshark options for the server ports where spanflow found TLS or HTTP and tshark nothing."""
    opts = {}
    for k, (f, r) in got.items():
        if k in ref or not f or r["proto"] != 6:
            continue
        proto = "tls" if "tls_ja3" in f else "http" if "http_method" in f else None
        if proto is not None:
            opts["-d", "tcp.port==%d,%s" % (r["dst_port"], proto)] = k
    return sorted(opts), set(opts.values())


def check_capture(ck, binary, cap, tmp, grand):
    runs = {}
    for w in (1, 2, 4):
        recs = run_spanflow(ck, binary, cap, tmp, w)
        if recs is not None:
            runs[w] = recs
    if 1 not in runs:
        return None
    recs = runs[1]
    probs = sf.record_problems(recs)
    ck.check(not probs, "%s: %d records well-formed" % (cap.name, len(recs)), "\n".join(probs))
    for w in (2, 4):
        if w in runs:
            diff = sf.flows_equal_summary(recs, runs[w])
            ck.check(diff is None, "%s: records -w %d == -w 1" % (cap.name, w), diff)
    got = spanflow_view(recs)
    # Out-of-order segments (app.pcap's tls_reorder) need tshark's reassembly of them.
    extra = ["-o", "tcp.reassemble_out_of_order:TRUE"] if cap.name == "app.pcap" else []
    ref = reference(cap, extra)
    opts, keys = decode_as(got, ref)
    note = ""
    if opts:
        ref2 = reference(cap, extra + [x for o in opts for x in o])
        for k in keys:
            if k in ref2:
                ref[k] = ref2[k]
        note = ", decode-as %s" % " ".join(o[1] for o in opts)
    probs, counts = compare(ref, got)
    for k, v in counts.items():
        grand[k] = grand.get(k, 0) + v
    found = sum(1 for f, _ in got.values() if f)
    ck.check(not probs, "%s: %d flows' metadata (%d fields) = tshark's (%d flows with "
             "metadata in spanflow%s; %d QUIC drafts and %d malformed hellos: none, as "
             "expected)" % (cap.name, counts["flows"], counts["fields"], found, note,
                            counts["draft"], counts["malformed"]),
             "\n".join(probs[:12]) + ("\n... %d in all" % len(probs) if len(probs) > 12 else ""))
    return got


def check_expect(ck, got):
    """app.pcap's flows against gen_app.EXPECT (fields not listed must be absent)."""
    probs = []
    app_keys = list(sf.APP_FIELDS)
    for name, e in gen_app.EXPECT.items():
        proto, ca, cp, sa, sp = e["flow"]
        a, b = (ca, cp), (sa, sp)
        k = (proto,) + (a + b if a <= b else b + a)
        if k not in got:
            probs.append("%s: no record of %s" % (name, e["flow"]))
            continue
        r = got[k][1]
        want = {kk: v for kk, v in e.items() if kk != "flow"}
        have = {kk: r[kk] for kk in app_keys if kk in r}
        if have != want or (r["src_addr"], r["src_port"]) != a:
            probs.append("%s:\n   expected %s\n   record   %s" % (name, want, have))
    ck.check(not probs, "app.pcap: %d flows carry gen_app.EXPECT's values" % len(gen_app.EXPECT),
             "\n".join(probs))


def snap_entries(path):
    """The Rust snapshot's entries: [{key: value}] (a YAML list of flat maps)."""
    out = []
    for line in path.read_text().splitlines():
        m = re.match(r"^(- |  )(\w[\w.-]*): (.*)$", line)
        if not m:
            continue
        if m.group(1) == "- ":
            out.append({})
        if out:
            out[-1][m.group(2)] = m.group(3).strip()
    return out


def check_ja4(ck, binary, ja4dir, tmp, grand):
    for name in JA4_CAPTURES:
        cap = ja4dir / name
        recs = run_spanflow(ck, binary, cap, tmp, 1)
        if recs is None:
            continue
        by = {}
        for r in recs:
            for e in ((r["src_addr"], r["src_port"], r["dst_addr"], r["dst_port"]),
                      (r["dst_addr"], r["dst_port"], r["src_addr"], r["src_port"])):
                by.setdefault((r["proto"],) + e, r)
        want = []   # (what, flow, JA4, SNI or None)
        for s in json.loads((ja4dir / (name + ".json")).read_text()):
            if "JA4.1" not in s:
                continue
            ja4 = s["JA4.1"]
            if name == "tls-non-ascii-alpn.pcapng":
                # FoxIO's code prints "99" for the ALPN bytes 0xba 0xad; its spec's rule
                # (first and last hex digits: 0xAB 0xCD -> "ad") gives "bd", spanflow's.
                assert ja4[8:10] == "99", ja4
                ja4 = ja4[:8] + "bd" + ja4[10:]
            want.append(("stream %s" % s["stream"], (6, s["src"], int(s["srcport"]), s["dst"],
                                                      int(s["dstport"])), ja4, s.get("domain")))
        for s in snap_entries(ja4dir / (name + ".snap")):
            if s.get("transport") == "udp" and "ja4" in s:
                want.append(("QUIC stream %s" % s["stream"],
                             (17, s["src"], int(s["src_port"]), s["dst"], int(s["dst_port"])),
                             s["ja4"], s.get("tls_server_name")))
        probs = []
        for what, flow, ja4, sni in want:
            r = by.get(flow)
            got = (r or {}).get("tls_ja4"), (r or {}).get("tls_sni")
            if got != (ja4, sni):
                probs.append("%s %s: FoxIO %s %s, spanflow %s %s" % (what, flow, ja4, sni, *got))
        grand["ja4"] = grand.get("ja4", 0) + len(want)
        ck.check(not probs, "%s: %d connections' tls_ja4 and tls_sni = FoxIO's" % (name, len(want)),
                 "\n".join(probs[:12]))


def main():
    binary, data = sf.usage_args()
    if shutil.which("tshark") is None:
        print("tshark not installed")
        sys.exit(77)
    ck = sf.Checker("application metadata = tshark's and FoxIO's")
    caps = [data / n for n in DATA]
    corpus = sf.corpus_dir()
    if corpus is not None:
        caps += [corpus / n for n in CORPUS if (corpus / n).exists()]
    else:
        ck.note("corpus not found: %s left out" % ", ".join(CORPUS))
    grand = {}
    with tempfile.TemporaryDirectory(prefix="sf-app-") as tmp:
        py = sf.scapy_python()
        if py is not None:
            regen = Path(tmp) / "app.pcap"
            subprocess.run([py, str(sf.REPO / "tools" / "gen_app.py"), str(regen)], check=True,
                           stderr=subprocess.DEVNULL)
            ck.check(regen.read_bytes() == (data / "app.pcap").read_bytes(),
                     "tools/gen_app.py writes tests/data/app.pcap byte for byte")
        ck.check(not gen_app.expect_problems(), "gen_app.EXPECT agrees with its hellos' lists",
                 "\n".join(gen_app.expect_problems()))
        for cap in caps:
            got = check_capture(ck, binary, cap, tmp, grand)
            if got is not None and cap.name == "app.pcap":
                check_expect(ck, got)
        check_ja4(ck, binary, data / "ja4", tmp, grand)
        # Off by default: no application fields.
        out = Path(tmp) / "off.jsonl"
        r = sf.run(binary, ["-r", data / "app.pcap", "-q", "--no-http", "--flows", out])
        recs = sf.load_jsonl(out) if r.rc == 0 else []
        ck.check(recs and not any(k in x for x in recs for k in sf.APP_FIELDS),
                 "without --app: %d records without application fields" % len(recs),
                 r.describe())
    ck.note("compared: %d flows, %d fields with tshark; %d QUIC drafts and %d malformed "
            "hellos without metadata; %d JA4 with FoxIO's"
            % (grand.get("flows", 0), grand.get("fields", 0), grand.get("draft", 0),
               grand.get("malformed", 0), grand.get("ja4", 0)))
    ck.check(grand.get("flows", 0) >= 100 and grand.get("ja4", 0) >= 50,
             "enough compared: %d flows, %d JA4" % (grand.get("flows", 0), grand.get("ja4", 0)))
    ck.finish()


if __name__ == "__main__":
    main()
