# SPDX-License-Identifier: BSD-3-Clause
"""Shared helpers for spanflow's integration tests (Python 3 stdlib only).

Each test script is run as:  python3 test_x.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import collections
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))
import flowref  # noqa: E402  (tools/flowref.py, the tshark reference)

# Longest timeouts the config accepts (timeouts.idle/active: 1ms..7d).
BIG_TIMEOUT = "604800"
# Upper bound on one spanflow run; a hang is reported as a failure.
RUN_TIMEOUT = 300

END_REASONS = {"idle", "active", "tcp_fin", "tcp_rst", "evicted", "end_of_input"}
RECORD_FIELDS = {
    "start_ns": int, "end_ns": int, "src_addr": str, "src_port": int,
    "dst_addr": str, "dst_port": int, "proto": int, "ip_version": int, "vlan": int,
    "tunnel": str, "tunnel_id": int, "ingress_port": int,
    "packets": int, "bytes": int, "rev_packets": int, "rev_bytes": int,
    "tcp_flags": int, "rev_tcp_flags": int, "dscp": int, "end_reason": str,
    "sampling": str, "sampling_rate": int,
}
# What carried a tunnelled flow: in JSON only when the record has it (absent for
# plain traffic), in CSV always as columns (empty cells when absent).
TUNNEL_FIELDS = {
    "encap": str, "outer_src": str, "outer_dst": str, "erspan_session": int, "vni": int,
    "gre_key": int, "teid": int, "mpls_label1": int, "mpls_label2": int, "mpls_label3": int,
}
# TCP health (tcp.analysis): only in analysed TCP flows' records; the RTT and
# the SYN options only when seen.
TCP_FIELDS = dict.fromkeys([
    "rtt_server_ns", "rtt_client_ns", "retrans_packets", "rev_retrans_packets",
    "retrans_bytes", "rev_retrans_bytes", "ooo_packets", "rev_ooo_packets", "dup_acks",
    "rev_dup_acks", "zero_windows", "rev_zero_windows", "tcp_init_flags", "rev_tcp_init_flags",
    "syn_mss", "rev_syn_mss", "syn_wscale", "rev_syn_wscale", "syn_sack", "rev_syn_sack",
    "syn_ts", "rev_syn_ts", "syn_packets", "rev_syn_packets", "fin_packets", "rev_fin_packets",
    "rst_packets", "rev_rst_packets", "psh_packets", "rev_psh_packets", "ack_packets",
    "rev_ack_packets", "urg_packets", "rev_urg_packets"], int)
TCP_FIELDS.update(conn_state=str, history=str)  # Zeek conn.log's
TCP_COUNTERS = ["retrans_packets", "rev_retrans_packets", "retrans_bytes", "rev_retrans_bytes",
                "ooo_packets", "rev_ooo_packets", "dup_acks", "rev_dup_acks", "zero_windows",
                "rev_zero_windows", "tcp_init_flags", "rev_tcp_init_flags", "syn_packets",
                "rev_syn_packets", "fin_packets", "rev_fin_packets", "rst_packets",
                "rev_rst_packets", "psh_packets", "rev_psh_packets", "ack_packets",
                "rev_ack_packets", "urg_packets", "rev_urg_packets"]
# Application metadata (--app): only when found.
APP_FIELDS = dict(app=str, tls_sni=str, tls_alpn=str, tls_version=str, tls_ja3=str, tls_ja4=str,
                  quic_version=int, dns_qname=str, dns_qtype=int, dns_rcode=int, http_host=str,
                  http_method=str, http_user_agent=str)
# Flow features (--features): nfstream's names; min/max sizes are integers, the rest numbers;
# SPLT lists (JSON arrays, quoted Python lists in CSV).
FEAT_FIELDS = {"%s_%s_%s" % (w, s, u): (int if u == "ps" and s in ("min", "max") else float)
               for u in ("ps", "piat_ms") for w in ("bidirectional", "src2dst", "dst2src")
               for s in ("min", "mean", "stddev", "max")}
FEAT_FIELDS.update(splt_direction=list, splt_ps=list, splt_piat_ms=list)
OPTIONAL_FIELDS = dict(TUNNEL_FIELDS, **TCP_FIELDS, **APP_FIELDS, **FEAT_FIELDS)
ALL_FIELDS = dict(RECORD_FIELDS, **OPTIONAL_FIELDS)
TUNNEL_CONTEXTS = {"none", "vni", "gre_key", "teid", "full", "underlay"}
SAMPLINGS = {"none", "count", "random", "flow"}
CONSERVATION_WORDS = ("received", "flowed", "filtered", "nonflow", "malformed", "duplicate",
                      "sampled_out", "dropped")



def scapy_python():
    """A Python interpreter that has scapy (tools/spancopy.py needs it), or None."""
    for py in (sys.executable, "/usr/bin/python3"):
        if py and os.access(py, os.X_OK) and subprocess.run(
                [py, "-c", "import scapy.utils"], capture_output=True).returncode == 0:
            return py
    return None

def usage_args():
    if len(sys.argv) != 3:
        print("usage: %s SPANFLOW_BINARY TESTS_DATA_DIR" % sys.argv[0], file=sys.stderr)
        sys.exit(2)
    binary = os.path.abspath(sys.argv[1])
    data = Path(sys.argv[2]).resolve()
    if not os.access(binary, os.X_OK):
        print("FAIL: spanflow binary %s is missing or not executable" % binary)
        sys.exit(1)
    if not data.is_dir():
        print("FAIL: test data directory %s does not exist" % data)
        sys.exit(1)
    return binary, data


def corpus_dir():
    """The nDPI capture corpus: $SPANFLOW_CORPUS, else <repo>/../shared/pcaps/ndpi."""
    env = os.environ.get("SPANFLOW_CORPUS")
    cands = [Path(env)] if env else []
    cands.append(REPO.parent / "shared" / "pcaps" / "ndpi")
    for c in cands:
        if c.is_dir():
            return c
    return None


class Checker:
    """Counts and prints checks; finish() prints 'N passed, M failed' and exits."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0
        self.failures = []
        print("== %s" % name, flush=True)

    def check(self, cond, what, detail=""):
        if cond:
            self.passed += 1
            print("PASS  %s" % what, flush=True)
        else:
            self.failed += 1
            self.failures.append(what)
            msg = "FAIL  %s" % what
            if detail:
                msg += "\n      " + str(detail).replace("\n", "\n      ")
            print(msg, flush=True)
        return bool(cond)

    def note(self, text):
        print("      " + text, flush=True)

    def finish(self):
        if self.failures:
            print("-- failed checks:")
            for f in self.failures:
                print("   " + f)
        print("%d passed, %d failed" % (self.passed, self.failed), flush=True)
        sys.exit(1 if self.failed else 0)


class Run:
    def __init__(self, args, rc, out, err, timed_out=False):
        self.args = args
        self.rc = rc
        self.out = out
        self.err = err
        self.timed_out = timed_out

    def describe(self):
        s = "command: %s\nexit: %s" % (" ".join(self.args),
                                        "timeout" if self.timed_out else self.rc)
        if self.err.strip():
            s += "\nstderr: " + tail(self.err)
        return s


def tail(text, lines=8):
    t = text.strip().splitlines()
    if len(t) > lines:
        t = ["..."] + t[-lines:]
    return "\n".join(t)


def pcapgen(binary, cap, *args):
    """Run the capture generator built beside the spanflow binary (build/tools/
    sf_pcapgen) to write cap; the completed process (returncode, stderr)."""
    gen = Path(binary).resolve().parents[2] / "tools" / "sf_pcapgen"
    return subprocess.run([str(gen), "-o", str(cap)] + [str(a) for a in args],
                          capture_output=True, text=True)


def signal_and_wait(proc, sig, timeout=120):
    """Send sig to a running spanflow and wait for it to exit: its exit status,
    or None if it was still running after timeout seconds (it is then killed)."""
    proc.send_signal(sig)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


def run(binary, args, timeout=RUN_TIMEOUT, cwd=None):
    cmd = [binary] + [str(a) for a in args]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, errors="replace",
                           timeout=timeout, cwd=cwd, stdin=subprocess.DEVNULL)
        return Run(cmd, p.returncode, p.stdout, p.stderr)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        return Run(cmd, None, out, err, timed_out=True)


def parse_conservation(stdout):
    """The report's conservation line as a dict of its counters, or None."""
    for line in stdout.splitlines():
        if "conservation" not in line.lower():
            continue
        vals = {}
        for word, num in re.findall(r"\b(received|flowed|filtered|nonflow|malformed|duplicate|sampled_out|dropped)"
                                    r"\b\s*[:=]?\s*(\d+)", line, re.I):
            vals.setdefault(word.lower(), int(num))
        if all(w in vals for w in CONSERVATION_WORDS):
            return vals
    return None


def conservation_holds(c):
    return c["received"] == (c["flowed"] + c["filtered"] + c["nonflow"] + c["malformed"]
                             + c["duplicate"] + c["sampled_out"] + c["dropped"])


def load_jsonl(path):
    """List of objects; raises ValueError naming the bad line."""
    out = []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise ValueError("%s:%d: not JSON (%s): %.120s" % (path, i, e, line))
    return out


def canon(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def csv_record(header, row):
    """A CSV row as its JSON-lines record: numbers typed, empty tunnel cells left out."""
    out = {}
    for k, v in zip(header, row):
        if k in OPTIONAL_FIELDS and v == "":
            continue
        t = ALL_FIELDS[k]
        if t is int:
            out[k] = int(v)
        elif t is float:
            f = float(v)
            out[k] = int(f) if f.is_integer() and "." not in v and "e" not in v else f
        elif t is list:
            out[k] = json.loads(v)
        else:
            out[k] = v
    return out


def record_problems(records):
    """Schema problems of flow records (missing fields, wrong types, bad values)."""
    probs = []
    for i, r in enumerate(records):
        for k, t in RECORD_FIELDS.items():
            if k not in r:
                probs.append("record %d: missing field %r: %s" % (i, k, canon(r)))
            elif t is int and (not isinstance(r[k], int) or isinstance(r[k], bool)):
                probs.append("record %d: %s is not an integer: %s" % (i, k, canon(r)))
            elif t is str and not isinstance(r[k], str):
                probs.append("record %d: %s is not a string: %s" % (i, k, canon(r)))
        for k in r:
            if k not in ALL_FIELDS:
                probs.append("record %d: unknown field %r" % (i, k))
            elif k in OPTIONAL_FIELDS and not isinstance(
                    r[k], (int, float) if OPTIONAL_FIELDS[k] is float else OPTIONAL_FIELDS[k]):
                probs.append("record %d: %s is not a %s" % (i, k, OPTIONAL_FIELDS[k].__name__))
        if any(k in r for k in TUNNEL_FIELDS) and not r.get("encap"):
            probs.append("record %d: tunnel fields without encap: %s" % (i, canon(r)))
        if any(k in r for k in TCP_FIELDS) and (r.get("proto") != 6 or
                                                  any(k not in r for k in TCP_COUNTERS)):
            probs.append("record %d: TCP health fields incomplete or not TCP: %s"
                         % (i, canon(r)))
        if probs:
            break
        if r["end_reason"] not in END_REASONS:
            probs.append("record %d: unknown end_reason %r" % (i, r["end_reason"]))
        if r["sampling"] not in SAMPLINGS or (r["sampling"] == "none") != (r["sampling_rate"] == 1):
            probs.append("record %d: sampling %r, rate %r" % (i, r["sampling"],
                                                             r["sampling_rate"]))
        if r["start_ns"] > r["end_ns"]:
            probs.append("record %d: start_ns > end_ns: %s" % (i, canon(r)))
        if r["packets"] + r["rev_packets"] < 1:
            probs.append("record %d: no packets: %s" % (i, canon(r)))
        if r["ip_version"] not in (4, 6):
            probs.append("record %d: ip_version %r" % (i, r["ip_version"]))
        if r["tunnel"] not in TUNNEL_CONTEXTS or (r["tunnel"] == "none" and r["tunnel_id"] != 0):
            probs.append("record %d: tunnel %r id %r" % (i, r["tunnel"], r["tunnel_id"]))
        if len(probs) > 10:
            break
    return probs


class Agg:
    __slots__ = ("packets", "bytes", "flags", "first_ns", "last_ns", "first_dscp",
                 "first_src_dir", "records")

    def __init__(self):
        self.packets = [0, 0]
        self.bytes = [0, 0]
        self.flags = [0, 0]
        self.first_ns = None
        self.last_ns = None
        self.first_dscp = None
        self.first_src_dir = None
        self.records = 0


def aggregate_records(records, ctx=None):
    """Sum spanflow flow records per canonical key, per sending end (like flowref).
    ctx(record), when given, is the key's sixth member (flowref's innermost view)."""
    agg = {}
    for r in records:
        s = flowref.addr_bytes(r["src_addr"])
        d = flowref.addr_bytes(r["dst_addr"])
        key, sdir = flowref.make_key(r["ip_version"], s, r["src_port"], d, r["dst_port"],
                                     r["proto"], r["vlan"], ctx(r) if ctx else None)
        same = key[1] == key[2]
        si = 0 if same else sdir
        di = 0 if same else 1 - sdir
        a = agg.get(key)
        if a is None:
            a = agg[key] = Agg()
        a.packets[si] += r["packets"]
        a.bytes[si] += r["bytes"]
        a.flags[si] |= r["tcp_flags"]
        a.packets[di] += r["rev_packets"]
        a.bytes[di] += r["rev_bytes"]
        a.flags[di] |= r["rev_tcp_flags"]
        if a.first_ns is None or r["start_ns"] < a.first_ns:
            a.first_ns = r["start_ns"]
            a.first_dscp = r["dscp"]
            a.first_src_dir = si
        a.last_ns = r["end_ns"] if a.last_ns is None else max(a.last_ns, r["end_ns"])
        a.records += 1
    return agg


def compare_flows(ref, agg, limit=12):
    """Mismatches between a flowref.Reference and aggregated records.

    Returns (problems, info): problems are failures; info are counted
    observations that are not failures."""
    probs = []
    only_ref = [k for k in ref.flows if k not in agg]
    only_sf = [k for k in agg if k not in ref.flows]
    for k in sorted(only_ref)[:limit]:
        f = ref.flows[k]
        probs.append("missing in spanflow: %s (ref %d+%d packets)"
                     % (flowref.format_key(k), f.packets[0], f.packets[1]))
    for k in sorted(only_sf)[:limit]:
        a = agg[k]
        probs.append("not in reference:    %s (spanflow %d+%d packets)"
                     % (flowref.format_key(k), a.packets[0], a.packets[1]))
    n_only = len(only_ref) + len(only_sf)
    if n_only > 2 * limit:
        probs.append("... %d keys differ in all (%d missing, %d extra)"
                     % (n_only, len(only_ref), len(only_sf)))
    diffs = []
    syn_init_bad = 0
    not_first_sender = 0
    for k in sorted(set(ref.flows) & set(agg)):
        f, a = ref.flows[k], agg[k]
        what = []
        if f.packets != a.packets:
            what.append("packets ref %s spanflow %s" % (f.packets, a.packets))
        if f.bytes != a.bytes:
            what.append("bytes ref %s spanflow %s" % (f.bytes, a.bytes))
        if f.flags != a.flags:
            what.append("tcp_flags ref %s spanflow %s"
                        % (["0x%02x" % x for x in f.flags], ["0x%02x" % x for x in a.flags]))
        if f.first_ns != a.first_ns:
            what.append("first packet ns ref %d spanflow %d" % (f.first_ns, a.first_ns))
        if f.last_ns != a.last_ns:
            what.append("last packet ns ref %d spanflow %d" % (f.last_ns, a.last_ns))
        if f.first_dscp != a.first_dscp:
            what.append("dscp of first packet ref %d spanflow %d" % (f.first_dscp, a.first_dscp))
        if k[1] != k[2] and f.first_dir != a.first_src_dir:
            if (f.first_flags & 0x12) == 0x02:
                syn_init_bad += 1
                what.append("initiator: first packet is a SYN from end %d but src is end %d"
                            % (f.first_dir, a.first_src_dir))
            else:
                not_first_sender += 1
        if what:
            diffs.append("%s: %s" % (flowref.format_key(k), "; ".join(what)))
    probs.extend(diffs[:limit])
    if len(diffs) > limit:
        probs.append("... %d common keys differ in all" % len(diffs))
    info = []
    if not_first_sender:
        info.append("%d flows (no SYN first) whose src is not the sender of the first packet"
                    % not_first_sender)
    return probs, info


def write_pcap(path, linktype, packets, snaplen=65535, big_endian=False, nsec=False):
    """Write a classic pcap: packets = [(ts_sec, ts_frac, data, orig_len or None)]."""
    import struct
    e = ">" if big_endian else "<"
    magic = 0xa1b23c4d if nsec else 0xa1b2c3d4
    with open(path, "wb") as f:
        f.write(struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))
        for sec, frac, data, orig in packets:
            f.write(struct.pack(e + "IIII", sec, frac, len(data),
                                orig if orig is not None else len(data)))
            f.write(data)


def pcap_record_offsets(path):
    """(header length, [(offset, caplen)] of each record) of a classic pcap file."""
    import struct
    with open(path, "rb") as f:
        data = f.read()
    m = data[:4]
    if m in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif m in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise ValueError("%s is not a classic pcap file" % path)
    off = 24
    recs = []
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(e + "IIII", data[off:off + 16])
        recs.append((off, incl))
        off += 16 + incl
    return 24, recs


def flows_equal_summary(a, b):
    """Describe differences between two lists of flow records (all fields)."""
    ca = collections.Counter(canon(r) for r in a)
    cb = collections.Counter(canon(r) for r in b)
    if ca == cb:
        return None
    only_a = list((ca - cb).elements())
    only_b = list((cb - ca).elements())
    lines = ["%d records only in the first run, %d only in the second" % (len(only_a), len(only_b))]
    for r in sorted(only_a)[:5]:
        lines.append("  first:  " + r)
    for r in sorted(only_b)[:5]:
        lines.append("  second: " + r)
    return "\n".join(lines)


# Human units as the dashboard writes them: a mantissa below 1000 with an SI
# prefix (powers of 1000) and at most three significant digits, e.g. "4.80 MB",
# "3.20 Mbit/s", "512 B".
SI_PREFIX = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15}


def si_text_ok(text, value, unit):
    """True if text reads as value in unit: the right prefix, rounded to its last digit."""
    m = re.fullmatch(r"(\d+)(?:\.(\d+))? ([kMGTP]?)%s" % re.escape(unit), text.strip())
    if not m:
        return False
    whole, frac, prefix = m.group(1), m.group(2) or "", m.group(3)
    mant = float(whole + "." + frac) if frac else float(whole)
    mul = SI_PREFIX[prefix]
    if mant >= 1000 or (prefix and mant < 1) or len((whole + frac).lstrip("0")) > 3:
        return False
    ulp = 10 ** -len(frac) * mul
    return abs(mant * mul - value) <= ulp / 2 * (1 + 1e-9)


def grouped(n):
    """An integer with its digits grouped by thousands, as the dashboard writes counts."""
    return "{:,}".format(n)


# Live capture: our own network namespaces joined by a veth pair.

def sh(*args, check=True):
    return subprocess.run(list(args), check=check, capture_output=True, text=True)


def wait_started(proc, errlog, timeout=60):
    """Wait until spanflow logs that its input started; False if it died first."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        with open(errlog, encoding="utf-8", errors="replace") as f:
            if " started" in f.read():
                return True
        time.sleep(0.2)
    return False


class Netns:
    """Two namespaces joined by a veth pair: ns_tx/veth_tx -> ns_rx/veth_rx.

    Removed on exit, even on failure. `tag` keeps names of several pairs of
    one process apart (interface names are at most 15 characters)."""

    def __init__(self, tag=""):
        tag = "sf%d%s" % (os.getpid(), tag)
        self.ns_tx, self.ns_rx = tag + "tx", tag + "rx"
        self.veth_tx, self.veth_rx = tag + "a", tag + "b"

    def __enter__(self):
        try:
            sh("ip", "netns", "add", self.ns_tx)
            sh("ip", "netns", "add", self.ns_rx)
            sh("ip", "link", "add", self.veth_tx, "netns", self.ns_tx, "type", "veth",
               "peer", "name", self.veth_rx, "netns", self.ns_rx)
            for ns, dev in ((self.ns_tx, self.veth_tx), (self.ns_rx, self.veth_rx)):
                # No traffic of the kernel's own (IPv6 DAD, router solicitations).
                sh("ip", "netns", "exec", ns, "sysctl", "-qw",
                   "net.ipv6.conf.all.disable_ipv6=1")
                sh("ip", "netns", "exec", ns, "sysctl", "-qw",
                   "net.ipv6.conf.default.disable_ipv6=1")
                # Real captures hold frames larger than 1500 bytes.
                sh("ip", "-n", ns, "link", "set", dev, "mtu", "9000")
                sh("ip", "netns", "exec", ns, "ethtool", "-K", dev, "gro", "off", "lro",
                   "off", "tso", "off", "gso", "off", check=False)
                sh("ip", "-n", ns, "link", "set", dev, "up")
                sh("ip", "-n", ns, "link", "set", "lo", "up")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        for ns in (self.ns_tx, self.ns_rx):
            sh("ip", "netns", "del", ns, check=False)
        return False


def live_skip_reason():
    """Why live tests cannot run here (None if they can)."""
    import shutil
    for tool in ("ip", "tcpreplay", "ethtool"):
        if shutil.which(tool) is None:
            return "%s is not installed (tools/setup.sh installs it)" % tool
    if os.geteuid() != 0:
        return "not running as root (network namespaces need it)"
    return None


def wait_for_text(proc, errlog, text, timeout=60, poll=0.01):
    """Wait until `text` appears in the file errlog; False if proc died first."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(errlog, encoding="utf-8", errors="replace") as f:
            if text in f.read():
                return True
        if proc.poll() is not None:
            return False
        time.sleep(poll)
    return False


class LiveRun:
    """`spanflow -i` on the receiving end of a Netns pair, stdout and stderr to
    files `out`/out and `out`/err; killed on exit if it is still running.

        with sf.LiveRun(n, binary, ["-w", 2, ...], out) as run:
            if run.started(ck, what): ...
            rc = run.stop(signal.SIGINT)
    """

    def __init__(self, n, binary, args, out, prefix=()):
        self.errlog, self.outlog = Path(out) / "err", Path(out) / "out"
        self.cmd = (["ip", "netns", "exec", n.ns_rx] + list(prefix) +
                    [binary, "-i", n.veth_rx] + [str(a) for a in args])
        self.proc = None

    def __enter__(self):
        with open(self.errlog, "w") as err, open(self.outlog, "w") as out:
            self.proc = subprocess.Popen(self.cmd, stdout=out, stderr=err,
                                         stdin=subprocess.DEVNULL)
        return self

    def started(self, ck, what):
        """Wait for "pipeline started"; a failed check (with stderr) if it died."""
        return ck.check(wait_for_text(self.proc, self.errlog, "pipeline started"),
                        "%s: spanflow started" % what, tail(self.errlog.read_text()))

    def stop(self, sig):
        return signal_and_wait(self.proc, sig)

    def wait(self, timeout):
        """Exit status, or None if still running after timeout seconds."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def texts(self):
        """(stderr, stdout) as written so far."""
        return self.errlog.read_text(), self.outlog.read_text()

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        return False


def tcpreplay(n, cap, *args):
    """Send cap into the sending end of a Netns pair; packets tcpreplay says it
    sent (-1 if it does not say)."""
    r = sh("ip", "netns", "exec", n.ns_tx, "tcpreplay", "-i", n.veth_tx, *[str(a) for a in args],
           str(cap), check=False)
    m = re.search(r"Actual: (\d+) packets", r.stdout)
    return int(m.group(1)) if m else -1


class UdpReceiver(threading.Thread):
    """Keeps every datagram sent to a loopback UDP port: msgs is [(data, source port)]."""

    def __init__(self, host="127.0.0.1", rcvbuf=1 << 22):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.msgs = []
        self.stopping = False

    def run(self):
        while not self.stopping:
            try:
                data, addr = self.sock.recvfrom(65535)
                self.msgs.append((data, addr[1]))
            except socket.timeout:
                continue

    def stop(self):
        self.stopping = True
        self.join()
        self.sock.close()


def ipfix_export(binary, cap, tmp, label, args, tids, loopback="127.0.0.1"):
    """One replay of cap exported as IPFIX to a loopback receiver and as JSON lines:
    (JSON records, ipfixDump records of the templates in tids, raw messages, None), or
    (None, None, None, the problem)."""
    flows = Path(tmp) / ("%s.jsonl" % label)
    rx = UdpReceiver(loopback)
    rx.start()
    try:
        r = run(binary, ["-r", cap, "-q", "--no-http", "-w", "1", "--flows", flows,
                         "--ipfix", "%s:%d" % (loopback, rx.port)] + list(args))
        time.sleep(0.3)
    finally:
        rx.stop()
    if r.rc != 0 or "not sent" in r.err or "without their" in r.out + r.err:
        return None, None, None, r.describe()
    msgs = [m for m, _ in rx.msgs]
    raw = Path(tmp) / ("%s.ipfix" % label)
    raw.write_bytes(b"".join(msgs))
    p = subprocess.run(["ipfixDump", "--rfc5610", "--in", str(raw)], capture_output=True,
                       text=True, errors="replace")
    if p.returncode != 0:
        return None, None, None, "ipfixDump: " + tail(p.stderr)
    return load_jsonl(flows), ipfix_dump_records(p.stdout, tids), msgs, None


def ipfix_addr(d, src=True):
    """ipfixDump's source (or destination) address of either family, as Python writes it."""
    import ipaddress
    a = d.get("sourceIPv4Address" if src else "destinationIPv4Address") or \
        d.get("sourceIPv6Address" if src else "destinationIPv6Address")
    return str(ipaddress.ip_address(a))


def ipfix_ms_text(ns):
    """A time in ns as ipfixDump prints dateTimeMilliseconds."""
    ms = ns // 1000000
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms // 1000)) + ".%03d" % (ms % 1000)


def ipfix_by_key(dumped):
    """ipfixDump records by (source, source port, destination port, start); a list per key."""
    out = {}
    for d in dumped:
        k = (ipfix_addr(d), int(d["sourceTransportPort"]), int(d["destinationTransportPort"]),
             d["flowStartMilliseconds"])
        out.setdefault(k, []).append(d)
    return out


def ipfix_dump_records(text, tids):
    """ipfixDump's data records of the templates in tids: [{tid, element name: value}]."""
    out = []
    for block in text.split("--- data record")[1:]:
        m = re.search(r"tid:\s+(\d+)", block)
        if not m or int(m.group(1)) not in tids:
            continue
        rec = {"tid": int(m.group(1))}
        for f in re.finditer(r"^\s+\(([\d/]+)\)\s*(\S+) : (.*)$", block, re.M):
            rec[f.group(2)] = f.group(3).strip()
        out.append(rec)
    return out
