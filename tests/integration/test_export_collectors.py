#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
IPFIX export against real collectors, on loopback only:
  * nfcapd (nfdump 1.7) receives spanflow's IPFIX; nfdump's per-flow packets
    and bytes equal the JSON-lines records of the same run, in biflow mode
    (nfdump maps the RFC 5103 reverse octet/packet counts to its "out"
    counters, so both directions are compared) and in uniflow mode (two
    records per biflow), IPv4 and IPv6, with first/last times to the ms;
  * pmacct's nfacctd (print plugin, aggregated per 5-tuple) agrees exactly in
    uniflow mode; in biflow mode it ignores the reverse elements, so its
    counts equal the initiator->responder direction;
  * tshark decodes every message spanflow sent (cflow) without a malformed
    packet, with the templates' fields as intended.
All three receive the same run at once (several destinations). sample.pcap
also runs with --tcp-analysis: its TCP records then use the TCP health
templates (263-266, spanflow's enterprise elements), which the three skip
while reading the flows as before; 6in4tunnel.pcap runs with --tcp-analysis
and --app: its records with application metadata use the app templates
(267-274: variable-length strings, 79 fields in the longest), read the same;
sample.pcap runs with --tcp-analysis --app --features too: its records use
the feature templates (275-290: float64 elements, 103 fields in the
longest), read the same.

Usage: test_export_collectors.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import collections
import ipaddress
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402

CAPTURES = ["sample.pcap", "6in6tunnel.pcap", "quic_0RTT.pcap", "ssh.pcap"]
LOOPBACK = "127.0.0.1"
ENV = dict(os.environ, TZ="UTC")
# The flow templates of records without TCP health (tunnelled or not).
PLAIN_FLOW_TIDS = (256, 257, 260, 261)


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((LOOPBACK, 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Daemon:
    """A collector process in its own session, killed with its children at stop()."""

    def __init__(self, args, log):
        self.log = open(log, "w")
        self.p = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, start_new_session=True, env=ENV)

    def alive(self):
        return self.p.poll() is None

    def stop(self, sig=signal.SIGTERM, grace=5.0):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.p.wait()
        else:
            # children of the group (pmacct plugins) may outlive the leader
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.log.close()


def wait_for(path, text, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if text in Path(path).read_text(errors="replace"):
                return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def udp_frame(payload, sport, dport):
    """Ethernet + IPv4 + UDP around payload, loopback addresses."""
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                     socket.inet_aton(LOOPBACK), socket.inet_aton(LOOPBACK))
    csum = 0
    for i in range(0, 20, 2):
        csum += (ip[i] << 8) | ip[i + 1]
    while csum >> 16:
        csum = (csum & 0xffff) + (csum >> 16)
    ip = ip[:10] + struct.pack("!H", ~csum & 0xffff) + ip[12:]
    return b"\x00" * 12 + b"\x08\x00" + ip + udp


# -- expectations from spanflow's JSON lines

def ms(ns):
    return ns // 1000000


def expect_nfdump(records, mode):
    out = collections.Counter()
    for r in records:
        t = (ms(r["start_ns"]), ms(r["end_ns"]))
        if mode == "biflow":
            out[(r["src_addr"], r["src_port"], r["dst_addr"], r["dst_port"], r["proto"]) + t
                + (r["packets"], r["bytes"], r["rev_packets"], r["rev_bytes"])] += 1
            continue
        if r["packets"]:
            out[(r["src_addr"], r["src_port"], r["dst_addr"], r["dst_port"], r["proto"]) + t
                + (r["packets"], r["bytes"], 0, 0)] += 1
        if r["rev_packets"]:
            out[(r["dst_addr"], r["dst_port"], r["src_addr"], r["src_port"], r["proto"]) + t
                + (r["rev_packets"], r["rev_bytes"], 0, 0)] += 1
    return out


def expect_pmacct(records, mode):
    out = collections.defaultdict(lambda: [0, 0])
    for r in records:
        if r["packets"]:
            a = out[(r["src_addr"], r["src_port"], r["dst_addr"], r["dst_port"], r["proto"])]
            a[0] += r["packets"]
            a[1] += r["bytes"]
        if mode == "uniflow" and r["rev_packets"]:
            a = out[(r["dst_addr"], r["dst_port"], r["src_addr"], r["src_port"], r["proto"])]
            a[0] += r["rev_packets"]
            a[1] += r["rev_bytes"]
    return {k: tuple(v) for k, v in out.items()}


def iso_ms(s):
    """nfdump's "2020-02-23T10:42:34.576" (UTC) -> ms since the epoch."""
    import calendar
    date, frac = s.split(".")
    return calendar.timegm(time.strptime(date, "%Y-%m-%dT%H:%M:%S")) * 1000 + int(frac)


def read_nfdump(flowdir):
    p = subprocess.run(["nfdump", "-R", str(flowdir), "-o", "json"], capture_output=True,
                       text=True, env=ENV, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("nfdump failed: " + sf.tail(p.stderr))
    text = p.stdout.strip()
    recs = json.loads(text) if text.startswith("[") else []
    out = collections.Counter()
    for r in recs:
        if r.get("type") != "FLOW":
            continue
        src = r.get("src4_addr", r.get("src6_addr"))
        dst = r.get("dst4_addr", r.get("dst6_addr"))
        out[(src, r.get("src_port", 0), dst, r.get("dst_port", 0), r["proto"], iso_ms(r["first"]),
             iso_ms(r["last"]), r["in_packets"], r["in_bytes"], r.get("out_packets", 0),
             r.get("out_bytes", 0))] += 1
    return out


def proto_number(p):
    """pmacct prints protocol names (/etc/protocols) or numbers."""
    if isinstance(p, int):
        return p
    if p.isdigit():
        return int(p)
    try:
        return socket.getprotobyname(p)
    except OSError:
        return p


def read_pmacct(path):
    out = collections.defaultdict(lambda: [0, 0])
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            proto = proto_number(r["ip_proto"])
            a = out[(r["ip_src"], r["port_src"], r["ip_dst"], r["port_dst"], proto)]
            a[0] += r["packets"]
            a[1] += r["bytes"]
    return {k: tuple(v) for k, v in out.items()}


def counter_diff(exp, got, limit=6):
    miss = list((exp - got).elements())
    extra = list((got - exp).elements())
    if not miss and not extra:
        return None
    lines = ["%d expected records missing, %d unexpected" % (len(miss), len(extra))]
    lines += ["  missing:    %s" % (k,) for k in sorted(miss, key=str)[:limit]]
    lines += ["  unexpected: %s" % (k,) for k in sorted(extra, key=str)[:limit]]
    return "\n".join(lines)


def dict_diff(exp, got, limit=6):
    keys = sorted(set(exp) | set(got), key=str)
    bad = [k for k in keys if exp.get(k) != got.get(k)]
    if not bad:
        return None
    return "\n".join(["%d of %d flows differ (packets, bytes)" % (len(bad), len(keys))] +
                     ["  %s: expected %s got %s" % (k, exp.get(k), got.get(k))
                      for k in bad[:limit]])


PMACCT_CONF = """daemonize: false
nfacctd_ip: {ip}
nfacctd_port: {port}
plugins: print[p]
aggregate[p]: src_host, dst_host, src_port, dst_port, proto
print_output[p]: json
print_output_file[p]: {out}
print_output_file_append[p]: true
print_refresh_time[p]: 1
"""


def tshark_check(ck, label, msgs, pcap, mode):
    pkts = [(int(i), 0, udp_frame(d, sport, 4739), None) for i, (d, sport) in enumerate(msgs)]
    sf.write_pcap(str(pcap), 1, pkts)
    # Wireshark decodes templates of up to 60 fields unless told otherwise (its
    # cflow.max_template_fields preference); the tunnelled TCP health templates
    # have 66 in biflow mode, 79 with the app elements (README, "Export to collectors").
    p = subprocess.run(["tshark", "-r", str(pcap), "-d", "udp.port==4739,cflow",
                        "-o", "cflow.max_template_fields:0", "-V"],
                       capture_output=True, text=True, errors="replace", timeout=120)
    ck.check(p.returncode == 0, "%s: tshark reads the IPFIX messages" % label, sf.tail(p.stderr))
    text = p.stdout
    ck.check("Malformed" not in text and "malformed" not in text.lower(),
             "%s: tshark finds no malformed packet in %d messages" % (label, len(msgs)),
             "\n".join(ln for ln in text.splitlines() if "alformed" in ln)[:2000])
    want = ["SRC_ADDR", "DST_ADDR", "IPV6_SRC_ADDR", "IPV6_DST_ADDR", "L4_SRC_PORT",
            "L4_DST_PORT", "PROTOCOL", "BYTES", "PKTS", "TCP_FLAGS", "flowStartMilliseconds",
            "flowEndMilliseconds", "flowEndReason", "SRC_VLAN"]
    missing = [w for w in want if ("Type: %s" % w) not in text and w not in text]
    ck.check(not missing, "%s: templates carry the intended fields" % label,
             "not in tshark's decode: %s" % missing)
    has_rev = "29305" in text or "Reverse" in text or "reverse" in text
    ck.check(has_rev == (mode == "biflow"),
             "%s: reverse (PEN 29305) elements %s" % (label, "present" if mode == "biflow"
                                                      else "absent"))
    ck.check("Options Template" in text or "Options FlowSet" in text
             or "Options Template FlowSet" in text,
             "%s: the exporter statistics options template is sent" % label)


def data_set_ids(msgs):
    """The set ids of the data sets in IPFIX messages."""
    ids = set()
    for m, _ in msgs:
        off = 16
        while off + 4 <= len(m):
            sid, slen = struct.unpack("!HH", m[off:off + 4])
            if slen < 4:
                break
            if sid >= 256:
                ids.add(sid)
            off += slen
    return ids


def one_run(ck, binary, data, tmp, capture, mode, use_pmacct, tcp=False, app=False,
            feat=False):
    label = "%s %s%s%s%s" % (capture, mode, " --tcp-analysis" if tcp else "",
                             " --app" if app else "", " --features" if feat else "")
    run_dir = tmp / ("%s_%s%s%s%s" % (capture, mode, "_tcp" if tcp else "",
                                      "_app" if app else "", "_feat" if feat else ""))
    run_dir.mkdir()
    nf_dir = run_dir / "nfcapd"
    nf_dir.mkdir()
    nf_port = free_udp_port()
    daemons = []
    rx = sf.UdpReceiver(LOOPBACK)
    rx.start()
    try:
        nf = Daemon(["nfcapd", "-b", LOOPBACK, "-p", str(nf_port), "-w", str(nf_dir),
                     "-t", "3600"], run_dir / "nfcapd.log")
        daemons.append(nf)
        ok = wait_for(run_dir / "nfcapd.log", "Startup")
        dests = ["%s:%d" % (LOOPBACK, nf_port), "%s:%d" % (LOOPBACK, rx.port)]
        pm_out = run_dir / "pmacct.json"
        if use_pmacct:
            pm_port = free_udp_port()
            conf = run_dir / "nfacctd.conf"
            conf.write_text(PMACCT_CONF.format(ip=LOOPBACK, port=pm_port, out=pm_out))
            pm = Daemon(["nfacctd", "-f", str(conf)], run_dir / "nfacctd.log")
            daemons.append(pm)
            # The core says it listens before its print plugin runs; flows that reach
            # the core before the plugin is attached are lost (templates included, so
            # nothing after them decodes): wait for the plugin's first cache purge.
            ok = wait_for(run_dir / "nfacctd.log", "waiting for NetFlow/IPFIX data") and ok
            ok = wait_for(run_dir / "nfacctd.log", "Purging cache - END") and ok
            dests.append("%s:%d" % (LOOPBACK, pm_port))
        if not ck.check(ok, "%s: collectors started on loopback" % label,
                        sf.tail((run_dir / "nfcapd.log").read_text(errors="replace"))):
            return
        flows = run_dir / "flows.jsonl"
        args = ["-r", data / capture, "-q", "-w", "1", "--flows", flows, "--ipfix-mode", mode]
        if tcp:
            args.append("--tcp-analysis")
        if app:
            args.append("--app")
        if feat:
            args.append("--features")
        for d in dests:
            args += ["--ipfix", d]
        r = sf.run(binary, args)
        if not ck.check(r.rc == 0 and "not sent" not in r.err,
                        "%s: spanflow exits 0 and sends every message" % label, r.describe()):
            return
        records = sf.load_jsonl(flows)
        time.sleep(0.3)
        # nfcapd writes its file when it stops
        nf.stop(signal.SIGTERM)
        got = read_nfdump(nf_dir)
        exp = expect_nfdump(records, mode)
        ck.check(counter_diff(exp, got) is None,
                 "%s: nfdump has the %d records of %d flows, packets, bytes and times equal"
                 % (label, sum(exp.values()), len(records)), counter_diff(exp, got))
        if use_pmacct:
            # The print plugin writes once a second; a loaded machine may take longer
            # to start it writing (the loop ends as soon as the figures agree).
            end = time.time() + 30
            exp_pm = expect_pmacct(records, mode)
            got_pm = {}
            while time.time() < end:
                time.sleep(0.5)
                if pm_out.exists():
                    got_pm = read_pmacct(pm_out)
                    if got_pm == exp_pm:
                        break
            ck.check(dict_diff(exp_pm, got_pm) is None,
                     "%s: nfacctd agrees on packets and bytes of %d %s" %
                     (label, len(exp_pm), "unidirectional flows" if mode == "uniflow"
                      else "initiator directions (biflow reverse elements ignored)"),
                     dict_diff(exp_pm, got_pm))
        if capture == "sample.pcap" or app:
            tshark_check(ck, label, rx.msgs, run_dir / "ipfix.pcap", mode)
        if feat:
            n = sum(1 for x in records if "bidirectional_min_ps" in x)
            sets = data_set_ids(rx.msgs)
            ck.check(n == len(records) and sets & set(range(275, 291)),
                     "%s: %d records with features, data sets of feature templates %s"
                     % (label, n, sorted(sets & set(range(275, 291)))))
        elif app:
            n = sum(1 for x in records if "app" in x)
            sets = data_set_ids(rx.msgs)
            ck.check(n > 0 and sets & set(range(267, 275)),
                     "%s: %d records with app metadata, data sets of app templates %s"
                     % (label, n, sorted(sets & set(range(267, 275)))))
        v6 = sum(1 for x in records if x["ip_version"] == 6)
        ck.note("%s: %d records (%d IPv6), %d IPFIX messages" % (label, len(records), v6,
                                                                 len(rx.msgs)))
    finally:
        rx.stop()
        for d in daemons:
            d.stop()


# Tunnel captures whose records carry every kind of tunnel fact.
TUNNEL_CAPTURES = ["tun_gtpu.pcap", "tun_erspan3.pcap", "tun_vxlan_ipv6.pcap",
                   "tun_gre_in_gre.pcap", "tun_qinq_mpls_pppoe.pcap", "tun_geneve.pcap"]


def mpls_label(v):
    """A 3-byte label stack section as ipfixDump prints it (the bytes read
    little-endian) -> the label."""
    return int.from_bytes(int(v).to_bytes(3, "little"), "big") >> 4


def outer(addr):
    """An outer address as the record writes it, from the 16-byte element
    (IPv4 mapped into IPv6)."""
    a = ipaddress.IPv6Address(addr)
    return str(a.ipv4_mapped) if a.ipv4_mapped else str(a)


def ipfixdump_tunnels(ck, binary, data, tmp):
    """Tunnelled flows' records through IPFIX, decoded by ipfixDump (libfixbuf),
    which learns spanflow's enterprise elements from its RFC 5610 type records:
    each tunnel fact equals the JSON record's."""
    under = 0
    for cap in TUNNEL_CAPTURES:
        rx = sf.UdpReceiver(LOOPBACK)
        rx.start()
        flows = tmp / ("%s.jsonl" % cap)
        try:
            r = sf.run(binary, ["-r", data / "tunnels" / cap, "-q", "-w", "1", "--flows", flows,
                                "--underlay", "--ipfix", "%s:%d" % (LOOPBACK, rx.port)])
            time.sleep(0.3)
        finally:
            rx.stop()
        if not ck.check(r.rc == 0, "%s: spanflow exports IPFIX" % cap, r.describe()):
            continue
        raw = tmp / ("%s.ipfix" % cap)
        raw.write_bytes(b"".join(m for m, _ in rx.msgs))
        p = subprocess.run(["ipfixDump", "--rfc5610", "--in", str(raw)], capture_output=True,
                           text=True)
        if not ck.check(p.returncode == 0, "%s: ipfixDump reads the messages" % cap, p.stderr):
            continue
        # The same 5-tuple lives in two tunnel contexts: the start time tells them apart.
        got = {(str(ipaddress.ip_address(d.get("sourceIPv4Address") or
                                          d.get("sourceIPv6Address"))),
                int(d["sourceTransportPort"]), int(d["destinationTransportPort"]),
                d["flowStartMilliseconds"]): d
               for d in sf.ipfix_dump_records(p.stdout, PLAIN_FLOW_TIDS)}
        bad = []
        recs = sf.load_jsonl(flows)
        for rec in recs:
            ms = rec["start_ns"] // 1000000
            start = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms // 1000)) + \
                ".%03d" % (ms % 1000)
            d = got.get((str(ipaddress.ip_address(rec["src_addr"])), rec["src_port"],
                         rec["dst_port"], start))
            if d is None:
                bad.append("no IPFIX record for %s" % sf.canon(rec))
                continue
            want = {
                "tid": 260 if rec["ip_version"] == 4 else 261,
                "spanflowEncapsulations": sum(1 << ENCAPS.index(e)
                                              for e in rec["encap"].split("+")),
                "spanflowErspanSessionId": rec.get("erspan_session", 0),
                "spanflowVni": rec.get("vni", 0), "spanflowGreKey": rec.get("gre_key", 0),
                "spanflowGtpTeid": rec.get("teid", 0),
                "spanflowTunnelContext": CONTEXTS.index(rec["tunnel"]),
                "layer2SegmentId": ({"vni": 1, "gre_key": 2}.get(rec["tunnel"], 0) << 56 |
                                    rec["tunnel_id"]) if rec["tunnel"] in ("vni", "gre_key")
                else 0,
            }
            have = {"tid": d["tid"]}
            for k in want:
                if k != "tid":
                    have[k] = int(d.get(k, "-1"))
            for k, n in (("mpls_label1", "mplsTopLabelStackSection"),
                         ("mpls_label2", "mplsLabelStackSection2"),
                         ("mpls_label3", "mplsLabelStackSection3")):
                want[k] = rec.get(k, 0)
                have[k] = mpls_label(d.get(n, "0"))
            for k in ("outer_src", "outer_dst"):
                name = "spanflowOuterSourceAddress" if k == "outer_src" else \
                    "spanflowOuterDestinationAddress"
                want[k] = rec.get(k, "::")
                have[k] = outer(d.get(name, "::"))
            if want != have:
                bad.append("%s:%d -> %d: JSON %s, ipfixDump %s" % (
                    rec["src_addr"], rec["src_port"], rec["dst_port"], want, have))
        ck.check(recs and not bad, "%s: ipfixDump decodes the tunnel template and spanflow's "
                 "named elements; %d records equal the JSON ones" % (cap, len(recs)),
                 "\n".join(bad[:6]))
        under += sum(x["tunnel"] == "underlay" for x in recs)
    # --underlay: the outer flows' records say so (context kind 5) in IPFIX too.
    ck.check(under >= 5, "%d underlay records among them, their context kind decoded" % under)


# The flow key's context kinds, in value order (SF_FLOW_CTX_KINDS).
CONTEXTS = ["none", "vni", "gre_key", "teid", "full", "underlay"]

# lib/pkt's encapsulation names, in bit order (SF_PKT_ENCAPS).
ENCAPS = ["vlan", "mpls", "pppoe", "fabricpath", "vntag", "pbb", "gre", "gre_udp", "erspan1",
          "erspan2", "erspan3", "vxlan", "geneve", "gtpu", "ipip", "teredo", "ayiya", "capwap"]


def main():
    binary, data = sf.usage_args()
    ck = sf.Checker("IPFIX export to nfcapd, nfacctd and tshark")
    for tool in ("nfcapd", "nfdump", "tshark"):
        if shutil.which(tool) is None:
            ck.check(False, "%s is installed (tools/setup.sh installs it)" % tool)
            ck.finish()
    use_pmacct = shutil.which("nfacctd") is not None or os.path.exists("/usr/sbin/nfacctd")
    ck.check(use_pmacct, "nfacctd (pmacct) is installed")
    tmp = Path(tempfile.mkdtemp(prefix="sf_export_"))
    try:
        if shutil.which("ipfixDump") is not None:
            ipfixdump_tunnels(ck, binary, data, tmp)
        else:
            ck.check(False, "ipfixDump is installed (tools/setup.sh --test installs "
                     "libfixbuf-tools)")
        for mode in ("biflow", "uniflow"):
            for cap in CAPTURES:
                try:
                    one_run(ck, binary, data, tmp, cap, mode,
                            use_pmacct and cap == "sample.pcap")
                except (OSError, ValueError, RuntimeError, KeyError) as e:
                    ck.check(False, "%s %s: run completes" % (cap, mode), repr(e))
            # TCP health templates (263-266, spanflow's enterprise elements):
            # collectors that do not know the elements still read every flow.
            try:
                one_run(ck, binary, data, tmp, "sample.pcap", mode, use_pmacct, tcp=True)
            except (OSError, ValueError, RuntimeError, KeyError) as e:
                ck.check(False, "sample.pcap %s --tcp-analysis: run completes" % mode, repr(e))
            # App templates (267-274: spanflow's elements 40..52, strings among them).
            try:
                one_run(ck, binary, data, tmp, "6in4tunnel.pcap", mode, use_pmacct, tcp=True,
                        app=True)
            except (OSError, ValueError, RuntimeError, KeyError) as e:
                ck.check(False, "6in4tunnel.pcap %s --tcp-analysis --app: run completes" % mode,
                         repr(e))
            # Feature templates (275-290: spanflow's elements 22..35, float64 among
            # them, and IANA's minimum/maximumIpTotalLength).
            try:
                one_run(ck, binary, data, tmp, "sample.pcap", mode, use_pmacct, tcp=True,
                        app=True, feat=True)
            except (OSError, ValueError, RuntimeError, KeyError) as e:
                ck.check(False, "sample.pcap %s --tcp-analysis --app --features: run "
                         "completes" % mode, repr(e))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ck.finish()


if __name__ == "__main__":
    main()
