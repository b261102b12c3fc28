#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Application metadata per flow as tshark 4.0 sees it: the reference for app.enabled.

For each flow (the innermost 5-tuple, endpoints in either order) it keeps
what spanflow's records say (JSON names):
  tls_sni, tls_alpn, tls_version, tls_ja3  the first ClientHello's (over TCP,
                                            or in QUIC Initials: quic_version too)
  dns_qname, dns_qtype                      the first question's
  dns_rcode                                 the first response's
  http_host, http_method, http_user_agent   the first request's

tshark decides which packets are TLS, DNS or HTTP by its own port tables and
heuristics; spanflow by the first bytes (and DNS by port 53, 5353, 5355).
IP fragments are left out: spanflow keys them without ports (its flows of
fragments have no metadata); tshark reassembles them.
A capture whose protocols sit on ports tshark does not know needs its
decode-as options (-d) given here too.

  python3 tools/appref.py CAPTURE [-- TSHARK_OPTIONS...]   # JSON lines, one per flow
"""

import json
import subprocess
import sys

SEP = "\x1f"   # between a field's occurrences (texts may hold commas)

FIELDS = [
    "frame.number", "frame.protocols", "ip.flags.mf", "ip.frag_offset", "ipv6.fraghdr.offset",
    "ipv6.fraghdr.more",
    "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
    "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport",
    "tls.handshake.type", "tls.handshake.extensions_server_name",
    "tls.handshake.extensions_alpn_str", "tls.handshake.ja3",
    "tls.handshake.version", "tls.handshake.extensions.supported_version",
    "quic.version", "quic.long.packet_type",
    "dns.flags.response", "dns.qry.name", "dns.qry.type", "dns.flags.rcode",
    "dns.count.queries",
    "http.request.method", "http.host", "http.user_agent",
]

GREASE = {0x0a0a + 0x1010 * i for i in range(16)}


def _ints(s):
    out = []
    for x in s.split(SEP) if s else []:
        x = x.strip()
        if x:
            out.append(int(x, 0))
    return out


def packets(capture, extra=()):
    cmd = ["tshark", "-r", str(capture), "-n", "-T", "fields", "-E", "aggregator=" + SEP,
           "-E", "occurrence=a", "-o", "tcp.desegment_tcp_streams:TRUE"]
    cmd += list(extra)
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, errors="surrogateescape",
                         check=True).stdout
    for line in out.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        yield v


def _last(s):
    return s.split(SEP)[-1] if s else ""


def _first(s):
    return s.split(SEP)[0] if s else ""


def flow_key(v):
    """The innermost 5-tuple, endpoints sorted: the same for both directions."""
    layers = v["frame.protocols"].split(":")
    inner6 = "ipv6" in layers and ("ip" not in layers or
                                   max(i for i, x in enumerate(layers) if x == "ipv6") >
                                   max(i for i, x in enumerate(layers) if x == "ip"))
    if inner6:
        src, dst = _last(v["ipv6.src"]), _last(v["ipv6.dst"])
    else:
        src, dst = _last(v["ip.src"]), _last(v["ip.dst"])
    if not src:
        return None
    if v["tcp.srcport"]:
        proto, sp, dp = 6, int(_last(v["tcp.srcport"])), int(_last(v["tcp.dstport"]))
    elif v["udp.srcport"]:
        proto, sp, dp = 17, int(_last(v["udp.srcport"])), int(_last(v["udp.dstport"]))
    else:
        return None
    a, b = (src, sp), (dst, dp)
    return (proto,) + (a + b if a <= b else b + a)


def fragment(v):
    """An IP fragment: spanflow keys it without ports and never looks into it."""
    return ("1" in v["ip.flags.mf"].split(SEP) or
            any(x not in ("", "0") for x in v["ip.frag_offset"].split(SEP)) or
            v["ipv6.fraghdr.offset"] != "" or v["ipv6.fraghdr.more"] != "")


def reference(capture, extra=()):
    """{flow key: {field: value}} for flows with any metadata."""
    flows = {}
    for v in packets(capture, extra):
        if fragment(v):
            continue
        k = flow_key(v)
        if k is None:
            continue
        f = flows.setdefault(k, {})
        types = _ints(v["tls.handshake.type"])
        if 1 in types and "tls_ja3" not in f:
            i = types.index(1)
            sni = v["tls.handshake.extensions_server_name"].split(SEP)
            f["tls_sni"] = sni[0] if sni and sni[0] else None
            alpn = v["tls.handshake.extensions_alpn_str"].split(SEP)
            f["tls_alpn"] = alpn[0] if alpn and alpn[0] else None
            ja3 = v["tls.handshake.ja3"].split(SEP)
            f["tls_ja3"] = ja3[i] if i < len(ja3) else ja3[0]
            sv = [x for x in _ints(v["tls.handshake.extensions.supported_version"])
                  if x not in GREASE]
            ver = _ints(v["tls.handshake.version"])
            f["tls_version"] = max(sv) if sv else (ver[i] if i < len(ver) else None)
            if v["quic.version"]:
                f["quic_version"] = _ints(v["quic.version"])[0]
        if v["dns.qry.name"] or v["dns.flags.response"]:
            resp = _ints(v["dns.flags.response"])
            names = v["dns.qry.name"].split(SEP)
            if "dns_qname" not in f and names and names[0] != "":
                f["dns_qname"] = names[0]
                f["dns_qtype"] = _ints(v["dns.qry.type"])[0]
            if resp and resp[0] == 1 and "dns_rcode" not in f:
                f["dns_rcode"] = _ints(v["dns.flags.rcode"])[0]
        if v["http.request.method"] and "http_method" not in f:
            f["http_method"] = _first(v["http.request.method"])
            f["http_host"] = _first(v["http.host"]) or None
            f["http_user_agent"] = _first(v["http.user_agent"]) or None
    return {k: f for k, f in flows.items() if f}


TLS_NAMES = {0x0300: "SSL 3.0", 0x0301: "TLS 1.0", 0x0302: "TLS 1.1", 0x0303: "TLS 1.2",
             0x0304: "TLS 1.3"}


def tls_version_name(v):
    return TLS_NAMES.get(v, "0x%04x" % v)


def main():
    args = sys.argv[1:]
    extra = []
    if "--" in args:
        i = args.index("--")
        args, extra = args[:i], args[i + 1:]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    for k, f in sorted(reference(args[0], extra).items(), key=str):
        print(json.dumps(dict(flow=list(k), **f)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
