#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
tunnel.underlay (--underlay): tunnelled packets are also accounted in their
outer (underlay) flows, keyed as --no-decap keys them.

The oracle is spanflow's own --no-decap run, whose flows are checked against
tshark elsewhere (test_tshark_compare): on every tunnel capture, for every
outer key K (addresses, ports, protocol, VLAN) and every sender,
    no-decap[K] == underlay[K] + plain[K]
in packets and bytes, where underlay[K] is the --underlay run's record of K
with tunnel "underlay" and plain[K] its record of K without a context (the
packets of K that were not decapsulated, e.g. a fragmented outer header).
Besides:
- the --underlay run's other records equal the default run's (the option
  adds records, changes none), and its conservation line is the same;
- the interval lines' underlay.packets/bytes add up to the underlay records;
- records and intervals are identical for --workers 1 and 4 (the
  dispatcher sends a packet to its flow's worker and, if another, to its
  underlay flow's);
- underlay records carry what their first packet carried (encap, ids);
- the report says how many packets were also counted in underlay flows;
- --underlay with --no-decap is refused.

Usage: test_underlay.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import os
import sys
import tempfile
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402

TOP_CAPTURES = ["teredo.pcap", "vxlan.pcap", "gre.pcapng.pcap", "4in4tunnel.pcap", "6in4tunnel.pcap",
                "4in6tunnel.pcap", "6in6tunnel.pcap", "ipv6_in_gtp.pcap", "capwap.pcap",
                "sample.pcap"]


BAD = {"tun_bad_vxlan.pcap", "tun_bad_gre_in_gre.pcap", "tun_bad_erspan3.pcap",
       "tun_bad_gtpu.pcap", "tun_bad_ipip.pcap", "tun_bad_geneve.pcap"}


def side_totals(recs, want_tunnel):
    """{(canonical key, sender endpoint): [packets, bytes]} of the records whose
    tunnel is want_tunnel."""
    out = defaultdict(lambda: [0, 0])
    for r in recs:
        if r.get("tunnel") != want_tunnel:
            continue
        a = (r["src_addr"], r["src_port"])
        b = (r["dst_addr"], r["dst_port"])
        key = (min(a, b), max(a, b), r["proto"], r["vlan"])
        for ep, p, by in ((a, r["packets"], r["bytes"]), (b, r["rev_packets"], r["rev_bytes"])):
            if p or by:
                out[(key, ep)][0] += p
                out[(key, ep)][1] += by
    return out


def main():
    binary, data = sf.usage_args()
    ck = sf.Checker("underlay flows = the no-decap flows of tunnelled packets")
    caps = [data / n for n in TOP_CAPTURES]
    # Every well-formed tunnel capture, and malformed inner headers in the main kinds.
    caps += sorted(p for p in (data / "tunnels").glob("tun_*.pcap")
                   if not p.name.startswith("tun_bad_") or p.name in BAD)
    total_under = 0
    with tempfile.TemporaryDirectory(prefix="sf-underlay-") as tmp:
        for path in caps:
            name = path.name
            if not ck.check(path.exists(), "%s: capture present" % name, str(path)):
                continue
            extra = []
            if "teredo" in name or "ayiya" in name:
                cfg = Path(tmp) / (name + ".yaml")
                cfg.write_text("tunnel:\n  teredo: %s\n  ayiya: %s\n"
                               % (str("teredo" in name).lower(), str("ayiya" in name).lower()))
                extra = ["-c", cfg]
            runs = {}
            jobs = []
            for tag, args in (("nodecap", ["--no-decap"]), ("default", []),
                              ("w1", ["--underlay", "-w", "1"]),
                              ("w4", ["--underlay", "-w", "4"])):
                fl = Path(tmp) / ("%s.%s.flows" % (name, tag))
                iv = Path(tmp) / ("%s.%s.intervals" % (name, tag))
                jobs.append((tag, fl, iv, ["-r", path, "--interval", "1", "--no-http",
                                           "--flows", fl, "--intervals", iv] + extra + args))
            # Two at a time: the runs are independent, the machine has two cores.
            with ThreadPoolExecutor(max_workers=2) as pool:
                done = list(pool.map(lambda j: (j, sf.run(binary, j[3])), jobs))
            for (tag, fl, iv, _), r in done:
                if not ck.check(r.rc == 0, "%s %s: exits 0" % (name, tag), r.describe()):
                    continue
                runs[tag] = (sf.parse_conservation(r.out), sf.load_jsonl(fl),
                             sf.load_jsonl(iv), r.out)
            if len(runs) != 4:
                continue
            c_off, r_off, _, _ = runs["nodecap"]
            c_def, r_def, _, _ = runs["default"]
            c_on, r_on, i_on, out_on = runs["w1"]
            under = [x for x in r_on if x.get("tunnel") == "underlay"]
            others = [x for x in r_on if x.get("tunnel") != "underlay"]
            total_under += len(under)
            ck.check(c_on == c_def, "%s: conservation as without --underlay" % name,
                     "%s\n%s" % (c_on, c_def))
            diff = sf.flows_equal_summary(r_def, others)
            ck.check(diff is None, "%s: the %d other records as without --underlay"
                     % (name, len(others)), diff)
            # The identity against the no-decap run, per outer key and sender.
            want = side_totals(r_off, "none")
            got_u = side_totals(r_on, "underlay")
            got_p = side_totals(r_on, "none")
            probs = []
            for k in sorted(set(want) | set(got_u), key=repr):
                if k not in want:
                    probs.append("underlay %s: %s, not a no-decap flow" % (k, got_u[k]))
                    continue
                u, p = got_u.get(k, [0, 0]), got_p.get(k, [0, 0])
                s = [u[0] + p[0], u[1] + p[1]]
                if s != want[k]:
                    probs.append("%s: underlay %s + plain %s != no-decap %s"
                                 % (k, u, p, want[k]))
            ck.check(not probs, "%s: %d underlay records = no-decap flows less the plain ones"
                     % (name, len(under)), "\n".join(probs[:10]))
            upk = sum(x["packets"] + x["rev_packets"] for x in under)
            uby = sum(x["bytes"] + x["rev_bytes"] for x in under)
            ipk = sum(x.get("underlay", {}).get("packets", 0) for x in i_on)
            iby = sum(x.get("underlay", {}).get("bytes", 0) for x in i_on)
            ck.check((ipk, iby) == (upk, uby), "%s: intervals' underlay %d packets %d bytes "
                     "= the records'" % (name, ipk, iby), "records %d/%d" % (upk, uby))
            if upk:
                ck.check("underlay     %d tunnelled packets" % upk in out_on,
                         "%s: the report counts the underlay packets" % name,
                         sf.tail(out_on, 30))
            bad = [x for x in under if not x.get("encap") or x.get("tunnel_id") != 0]
            ck.check(not bad, "%s: underlay records say what they carried" % name,
                     "%s" % bad[:2])
            for w in ("w4",):
                cw, rw, iw, _ = runs[w]
                ck.check(cw == c_on, "%s: conservation -%s == -w1" % (name, w))
                diff = sf.flows_equal_summary(r_on, rw)
                ck.check(diff is None, "%s: %d records -%s == -w1" % (name, len(r_on), w),
                         diff)
                ck.check(sorted(map(sf.canon, iw)) == sorted(map(sf.canon, i_on)),
                         "%s: interval lines -%s == -w1" % (name, w))
        ck.check(total_under >= 60, "underlay records seen over the captures: %d"
                 % total_under)
        r = sf.run(binary, ["-r", caps[0], "--no-decap", "--underlay", "--no-http"])
        ck.check(r.rc != 0 and "tunnel.underlay" in r.err,
                 "--underlay with --no-decap refused, naming tunnel.underlay", r.describe())
    ck.finish()


if __name__ == "__main__":
    main()
