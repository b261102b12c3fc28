#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
The oracle's own test: tools/flowref.py --innermost against flows computed by
hand from what tools/gen_tunnels.py puts in the captures.

1. gen_tunnels.py run again writes byte-identical captures to the ones in
   tests/data/tunnels (the generator is deterministic and the stored files
   are current).
2. On eight of them and several views (Teredo on/off, context none/default/full),
   flowref's flows equal the hand-computed ones: key (5-tuple, VLAN,
   context), packets and bytes per direction, TCP flags, the encapsulations
   and ids seen; and its malformed reasons on a broken capture.

The spanflow binary is not used (the argument is kept for the common
signature). Exit 77 (skipped) without tshark or scapy.

Usage: test_flowref_innermost.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import ipaddress
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree clean


def _scapy_python():
    """A Python that can import scapy: this one, else Debian's (python3-scapy
    installs into /usr/lib/python3, which a pyenv python does not see)."""
    for py in (sys.executable, "/usr/bin/python3"):
        if os.access(py, os.X_OK) and subprocess.run(
                [py, "-c", "import scapy.all"], capture_output=True).returncode == 0:
            return py
    return None


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402
from sfcommon import flowref  # noqa: E402

TCP, UDP = 6, 17
S, SA, PA = 0x02, 0x12, 0x18


def a(text):
    return ipaddress.ip_address(text).packed


def flow(v, e0, e1, proto, vlan, ctx, pk, by, fl=(0, 0), encaps=None):
    """Expected flow: e0 and e1 are (address text, port) with e0 < e1 as
    flowref orders them; pk/by/fl are per end (what that end sent)."""
    key = (v, (a(e0[0]), e0[1]), (a(e1[0]), e1[1]), proto, vlan, ctx)
    assert key[1] <= key[2], key
    return key, (list(pk), list(by), list(fl), encaps)


def inner_flows(c, ctx, encaps_of, merged_tcp=False):
    """The inner conversations of context c (see gen_tunnels.py): TCP/IPv4
    SYN 40 B + ACK 60 B one way, SYN-ACK 40 B back; UDP/IPv4 40 B and 58 B;
    TCP/IPv6 60 B each way; UDP/IPv6 58 B each way. merged_tcp: both
    contexts' TCP flows share one key (their 5-tuples are equal), so counts
    double. encaps_of(c, d) -> the (encap, ids) a packet of direction d has."""
    m = 2 if merged_tcp else 1
    cs = (0, 1) if merged_tcp else (c,)
    tcp_enc = {encaps_of(x, d) for x in cs for d in (0, 1)}
    out = [
        flow(4, ("10.0.0.1", 40000), ("10.0.0.2", 80), TCP, 0, ctx,
             (2 * m, 1 * m), (100 * m, 40 * m), (S | PA, SA), tcp_enc),
        flow(6, ("2001:db8::1", 40001), ("2001:db8::2", 443), TCP, 0, ctx,
             (m, m), (60 * m, 60 * m), (S, SA), tcp_enc),
        flow(4, ("10.1.%d.1" % c, 5353), ("10.1.%d.2" % c, 53), UDP, 0, ctx,
             (1, 1), (40, 58), (0, 0), {encaps_of(c, 0), encaps_of(c, 1)}),
        flow(6, ("2001:db8:%d::1" % c, 5000), ("2001:db8:%d::2" % c, 5001), UDP, 0, ctx,
             (1, 1), (58, 58), (0, 0), {encaps_of(c, 0), encaps_of(c, 1)}),
    ]
    return out


def check_ref(ck, label, ref, expected, total, nonflow=0, malformed=None):
    malformed = malformed or {}
    ck.check((ref.total, ref.nonflow, dict(ref.malformed_reasons)) ==
             (total, nonflow, malformed),
             "%s: %d frames, %d nonflow, malformed %s" % (label, total, nonflow, malformed),
             "flowref: %d frames, %d nonflow %s, malformed %s"
             % (ref.total, ref.nonflow, dict(ref.nonflow_kinds), dict(ref.malformed_reasons)))
    exp = dict(expected)
    got = {}
    for k, f in ref.flows.items():
        got[k] = (f.packets, f.bytes, f.flags, set(f.encaps))
    diffs = []
    for k in sorted(set(exp) | set(got), key=repr):
        e, g = exp.get(k), got.get(k)
        if e is None or g is None:
            diffs.append("%s %s" % ("unexpected" if e is None else "missing",
                                    flowref.format_key(k)))
            continue
        ee = e if e[3] is not None else e[:3] + (g[3],)
        if tuple(ee) != tuple(g):
            diffs.append("%s: expected %s, flowref %s" % (flowref.format_key(k), ee, g))
    ck.check(not diffs, "%s: %d flows as computed by hand (key, packets, bytes, flags, "
             "encapsulations)" % (label, len(exp)), "\n".join(diffs))


def ids(**kw):
    return tuple(sorted((k, tuple(v)) for k, v in kw.items()))


def main():
    binary, data = sf.usage_args()
    if not shutil.which("tshark"):
        print("cannot run: tshark is not installed (tools/setup.sh --test installs it)")
        sys.exit(77)
    py = _scapy_python()
    if py is None:
        print("cannot run: scapy is not installed (Debian package python3-scapy; "
              "tools/setup.sh --test installs it)")
        sys.exit(77)
    ck = sf.Checker("tools/flowref.py --innermost against hand-computed flows")
    tun = data / "tunnels"

    # 1. The stored captures are what the generator writes.
    with tempfile.TemporaryDirectory(prefix="sf-tun-") as tmp:
        r = subprocess.run([py, str(sf.REPO / "tools" / "gen_tunnels.py"), tmp],
                           capture_output=True, text=True)
        if ck.check(r.returncode == 0, "gen_tunnels.py runs", r.stderr):
            made = sorted(p.name for p in Path(tmp).iterdir())
            stored = sorted(p.name for p in tun.glob("*.pcap"))
            ck.check(made == stored, "tests/data/tunnels holds exactly the %d generated "
                     "captures" % len(made), "generated %s\nstored %s" % (made, stored))
            differ = [n for n in made if (tun / n).exists() and
                      (tun / n).read_bytes() != (Path(tmp) / n).read_bytes()]
            ck.check(not differ, "generated captures are byte-identical to the stored ones",
                     "differ: %s" % differ)

    def ref(name, **kw):
        return flowref.analyze(str(tun / name), innermost=True, **kw)

    # 2a. VXLAN: the same TCP 5-tuples in VNI 1000 and 1001 stay apart with
    # the default context; with context none they merge.
    def vx(c, d):
        return (("vxlan",), ids(vni=[1000 + c]))
    exp = []
    for c in (0, 1):
        exp += inner_flows(c, (("vni", 1000 + c),), vx)
    check_ref(ck, "tun_vxlan.pcap", ref("tun_vxlan.pcap"), exp, 18)
    exp = inner_flows(0, (), vx, merged_tcp=True) + inner_flows(1, (), vx)[2:]
    check_ref(ck, "tun_vxlan.pcap context none", ref("tun_vxlan.pcap", context="none"),
              exp, 18)

    # 2b. GRE in GRE: two keys, outer first; encapsulation gre, gre.
    def gg(c, d):
        return (("gre", "gre"), ids(gre_key=[500 + c, 600 + c]))
    exp = []
    for c in (0, 1):
        exp += inner_flows(c, (("gre_key", 500 + c), ("gre_key", 600 + c)), gg)
    check_ref(ck, "tun_gre_in_gre.pcap", ref("tun_gre_in_gre.pcap"), exp, 18)

    # 2c. QinQ (S-VID 400+c, C-VID 20+c) + MPLS (3000+c, 4000+direction) +
    # pseudowire Ethernet + PPPoE: the Ethernet frame that carries the IP
    # packet is the pseudowire's, untagged, so vlan = 0; nothing of the
    # default context, so the two TCP conversations merge; MPLS labels differ
    # per direction and context.
    def qmp(c, d):
        return (("vlan", "vlan", "mpls", "pppoe"), ids(mpls=[3000 + c, 4000 + d]))
    exp = inner_flows(0, (), qmp, merged_tcp=True) + inner_flows(1, (), qmp)[2:]
    check_ref(ck, "tun_qinq_mpls_pppoe.pcap", ref("tun_qinq_mpls_pppoe.pcap"), exp, 18)

    # 2d. Outer fragments count on the outer header, ports 0, no decapsulation:
    # IPv4 fragments of 20+48 and 20+42 bytes (UDP 8 + VXLAN 8 + Ethernet 14 +
    # inner 60 = 90 bytes of payload); IPv6 fragments of 40+8+32 and 40+8+36
    # (GRE 8 + inner 60 = 68).
    exp = [flow(4, ("192.0.2.1", 0), ("192.0.2.2", 0), UDP, 0, (), (2, 0), (130, 0), (0, 0),
                {((), ())}),
           flow(6, ("2001:db8:ff::1", 0), ("2001:db8:ff::2", 0), 47, 0, (), (2, 0),
                (164, 0), (0, 0), {((), ())})]
    check_ref(ck, "tun_frag_outer.pcap", ref("tun_frag_outer.pcap"), exp, 4)

    # 2e. Teredo: off, two outer UDP flows of 4 packets (IPv6 inner of 60 or
    # 58 bytes + UDP 8 + IPv4 20); on, the inner IPv6 flows.
    r = ref("tun_teredo.pcap")
    exp = [flow(4, ("192.0.2.1", 49152), ("192.0.2.2", 3544), UDP, 0, (), (4, 0), (348, 0),
                (0, 0), {((), ())}),
           flow(4, ("192.0.2.1", 3544), ("192.0.2.2", 49153), UDP, 0, (), (0, 4), (0, 348),
                (0, 0), {((), ())})]
    check_ref(ck, "tun_teredo.pcap (Teredo off)", r, exp, 8)

    def te(c, d):
        return (("teredo",), ())
    exp = [e for e in inner_flows(0, (), te, merged_tcp=True) if e[0][0] == 6] + \
        [inner_flows(1, (), te)[3]]
    check_ref(ck, "tun_teredo.pcap (--teredo)", ref("tun_teredo.pcap", teredo=True), exp, 8)

    # 2f. Broken VXLAN: header cut to 3 bytes, inner IPv4 cut to 10 bytes,
    # inner IP version 5: three malformed packets, counted under vxlan.
    check_ref(ck, "tun_bad_vxlan.pcap", ref("tun_bad_vxlan.pcap"), [], 3,
              malformed={"vxlan:truncated": 1, "vxlan:ip_truncated": 1,
                         "vxlan:ip_bad_version": 1})

    # 2g. Payloads that are not IP: ARP in VXLAN and in GRE/TEB, PPP LCP in
    # PPTP are nonflow; a GTP-U echo request (not a G-PDU) is a UDP flow on
    # the outer header: 20 + 8 + 12 bytes.
    r = ref("tun_nonip.pcap")
    exp = [flow(4, ("192.0.2.1", 2152), ("192.0.2.2", 2152), UDP, 0, (), (1, 0), (40, 0),
                (0, 0), {((), ())})]
    check_ref(ck, "tun_nonip.pcap", r, exp, 4, nonflow=3)
    ck.check(dict(r.nonflow_kinds) == {"arp": 2, "lcp": 1},
             "tun_nonip.pcap: nonflow arp 2, lcp 1", dict(r.nonflow_kinds))

    # 2h. Context full: every id keys the flow, so MPLS labels that differ per
    # direction (1000+10c+d over 2000+c in tun_mpls.pcap) split each
    # conversation into one flow per direction: 8 one-way flows per context
    # (the TCP/IPv4 SYN and ACK of the client share one), 16 in all.
    r = ref("tun_mpls.pcap", context="full")
    ck.check(len(r.flows) == 16 and r.flowed == 18 and
             all(sum(1 for p in f.packets if p) == 1 for f in r.flows.values()),
             "tun_mpls.pcap context full: 16 one-way flows",
             "\n".join(flowref.format_key(k) for k in sorted(r.flows, key=repr)))
    ck.finish()


if __name__ == "__main__":
    main()
