#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
The Kafka exporter (export.kafka) against librdkafka's mock cluster
(tests/helpers/sf_kafka_mock: Debian 12 packages no Kafka broker), with kcat
as the independent consumer:
  * every flow record of a replay is one message of the flows topic, equal to
    its --flows line; every interval summary one message of the intervals
    topic, equal to its --intervals line, in order;
  * a flow record's key is its flow key's symmetric hash (CRC32-C of the
    canonical key, computed here from the record's fields), both directions
    and every update of a flow land in one partition, the one Kafka's murmur2
    partitioner gives that key (computed here too);
  * the report line, /api/v1/exporters and /metrics count the same;
  * faults: no broker listening, every broker down, a local queue too small,
    brokers that stay away past export.kafka_linger: spanflow finishes within
    a bound, and the loss it reports (report, exit warning, /metrics) is every
    record the run produced; brokers down, then up while spanflow waits at
    the end: everything is delivered, nothing lost.

Usage: test_export_kafka.py SPANFLOW_BINARY TESTS_DATA_DIR SF_KAFKA_MOCK
Exit 77 (skipped) without the mock helper (a build without librdkafka) or kcat.
"""

import collections
import ipaddress
import json
import os
import re
import select
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
from test_http import Server, metric_values  # noqa: E402

FLOW_PARTS = 6
IV_PARTS = 3
TOPIC_F = "spanflow-flows"
TOPIC_I = "spanflow-intervals"


# Independent computations of what the exporter should do

def crc32c_word(crc, word):
    """rte_hash_crc_8byte: CRC32-C (Castagnoli, reflected) of 8 little-endian
    bytes from crc, without the usual inversions (the SSE4.2 crc32q)."""
    for b in struct.pack("<Q", word):
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc


CTX_KINDS = {"none": 0, "vni": 1, "gre_key": 2, "teid": 3, "full": 4, "underlay": 5}


def flow_key_hash(r):
    """sf_flow_key_hash of a record's canonical key (lib/flow/sf_flow.h),
    from its JSON fields alone."""
    ver = r["ip_version"]
    src = ipaddress.ip_address(r["src_addr"]).packed.ljust(16, b"\0")
    dst = ipaddress.ip_address(r["dst_addr"]).packed.ljust(16, b"\0")
    sp, dp = r["src_port"], r["dst_port"]
    if (src, sp) <= (dst, dp):
        lo, hi, plo, phi = src, dst, sp, dp
    else:
        lo, hi, plo, phi = dst, src, dp, sp
    kind = CTX_KINDS[r.get("tunnel", "none")]
    ctx = r.get("tunnel_id", 0) if kind else 0
    raw = lo + hi + struct.pack("<HHHBBIB3x", plo, phi, r["vlan"], r["proto"], ver, ctx, kind)
    w = list(struct.unpack("<6Q", raw))
    w[4] ^= ((w[5] << 32) | (w[5] >> 32)) & 0xFFFFFFFFFFFFFFFF
    h = 0x5f3759df
    for i in range(5):
        h = crc32c_word(h, w[i])
    return "%08x" % h


def murmur2(data):
    """Kafka's murmur2 (the Java client's Utils.murmur2; librdkafka's
    murmur2_random partitioner uses the same)."""
    m, r, mask = 0x5bd1e995, 24, 0xFFFFFFFF
    length = len(data)
    h = (0x9747b28c ^ length) & mask
    i = 0
    while length - i >= 4:
        k = struct.unpack_from("<I", data, i)[0]
        k = (k * m) & mask
        k ^= k >> r
        k = (k * m) & mask
        h = (h * m) & mask
        h ^= k
        i += 4
    rest = length - i
    if rest == 3:
        h ^= data[i + 2] << 16
    if rest >= 2:
        h ^= data[i + 1] << 8
    if rest >= 1:
        h ^= data[i]
        h = (h * m) & mask
    h ^= h >> 13
    h = (h * m) & mask
    h ^= h >> 15
    return h


def partition_of(key, n):
    return (murmur2(key.encode()) & 0x7FFFFFFF) % n


# The mock cluster and the consumer

class Mock:
    """sf_kafka_mock with both topics; stopped (stdin closed, then SIGKILL) on exit."""

    def __init__(self, helper):
        self.proc = subprocess.Popen([helper, "-n", "3", "-t", "%s:%d" % (TOPIC_F, FLOW_PARTS),
                                      "-t", "%s:%d" % (TOPIC_I, IV_PARTS)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.bootstrap = self.line(30)

    def line(self, timeout):
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not r:
            raise RuntimeError("sf_kafka_mock said nothing in %d s" % timeout)
        return self.proc.stdout.readline().strip()

    def set(self, up):
        self.proc.send_signal(signal.SIGUSR2 if up else signal.SIGUSR1)
        return self.line(10) == ("up" if up else "down")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def consume(bootstrap, topic):
    """Every message of a topic: (partition, key, payload) in partition order."""
    p = subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e",
                        "-q", "-J"], capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError("kcat: exit %d: %s" % (p.returncode, p.stderr.strip()[-500:]))
    out = []
    for line in p.stdout.splitlines():
        if line.strip():
            m = json.loads(line)
            out.append((m["partition"], m["key"], m["payload"]))
    return out


def lines(path):
    with open(path, encoding="utf-8") as f:
        return [ln.rstrip("\n") for ln in f if ln.strip()]


def report_line(text):
    m = re.search(r"^export: kafka to (\S+): (\d+) flow records and (\d+) intervals delivered "
                  r"to topics (\S+) and (\S+); lost (\d+)(.*)$", text, re.M)
    return m


def serve_run(binary, args, tmp, timeout):
    """spanflow --serve: wait until the replay is reported, read the API and
    /metrics, stop it. (elapsed s, stdout, stderr, exporters, metrics) or None."""
    t0 = time.time()
    with Server(binary, ["--serve"] + args, str(tmp)) as srv:
        end = t0 + timeout
        while time.time() < end and srv.alive() and "replay done" not in srv.stderr():
            time.sleep(0.1)
        elapsed = time.time() - t0
        if "replay done" not in srv.stderr():
            srv.stop()
            return None, srv.stderr()
        exp = srv.json("/api/v1/exporters")["exporters"]
        st, body, _ = srv.get("/metrics")
        metrics = metric_values(body.decode()) if st == 200 else {}
        rc = srv.stop()
        srv.out.seek(0)
        return (elapsed, srv.out.read(), srv.stderr(), exp, metrics, rc), None


def check_exit(ck, label, rc, errtext):
    """SIGINT ends the served replay with exit 0; the sanitizers found nothing."""
    ck.check(rc == 0 and "Sanitizer" not in errtext and "runtime error" not in errtext,
             "%s: exit 0 after SIGINT, no sanitizer report" % label,
             "exit %s\n%s" % (rc, sf.tail(errtext, 20)))


def kafka_of(exporters):
    k = [e for e in exporters if e["name"] == "kafka"]
    return k[0] if len(k) == 1 else None


def check_delivery(ck, label, binary, mock, cap, tmp, extra):
    """One replay with --kafka, --flows and --intervals; the topics against the files."""
    d = tmp / label
    d.mkdir()
    fl, iv = d / "f.jsonl", d / "i.jsonl"
    res, err = serve_run(binary, ["-r", cap, "-w", "2", "--kafka", mock.bootstrap,
                                  "--flows", fl, "--intervals", iv] + extra, d, 120)
    if not ck.check(res is not None, "%s: replay done and served" % label, sf.tail(err or "")):
        return
    _, out, errtext, exp, m, rc = res
    check_exit(ck, label, rc, errtext)
    want_f, want_i = lines(fl), lines(iv)
    got_f, got_i = consume(mock.bootstrap, TOPIC_F), consume(mock.bootstrap, TOPIC_I)
    ck.check(len(want_f) > 50 and collections.Counter(p for _, _, p in got_f) ==
             collections.Counter(want_f),
             "%s: the flows topic holds exactly the %d --flows lines (%d messages)" %
             (label, len(want_f), len(got_f)))
    ck.check([p for _, _, p in got_i] == want_i and len(want_i) >= 2,
             "%s: the intervals topic holds the %d --intervals lines, in order" %
             (label, len(want_i)), "got %d messages" % len(got_i))
    host = socket.gethostname()
    ck.check(all(k == host for _, k, _ in got_i) and len({p for p, _, _ in got_i}) == 1,
             "%s: intervals are keyed by the host name (%s), one partition" % (label, host),
             sorted({(p, k) for p, k, _ in got_i}))

    bad_key, bad_part, parts_of = [], [], collections.defaultdict(set)
    for part, key, payload in got_f:
        r = json.loads(payload)
        want = flow_key_hash(r)
        if key != want:
            bad_key.append((key, want, payload[:160]))
        if part != partition_of(key or "", FLOW_PARTS):
            bad_part.append((part, key))
        ends = sorted([(r["src_addr"], r["src_port"]), (r["dst_addr"], r["dst_port"])])
        parts_of[(tuple(ends), r["proto"], r["vlan"], r.get("tunnel_id", 0))].add(part)
    ck.check(not bad_key, "%s: each flow record's key is its key's symmetric hash "
             "(CRC32-C computed here)" % label, bad_key[:3])
    ck.check(not bad_part, "%s: each message is in the partition murmur2(key) %% %d gives" %
             (label, FLOW_PARTS), bad_part[:3])
    ck.check(all(len(p) == 1 for p in parts_of.values()) and
             len(set().union(*parts_of.values())) > 1,
             "%s: all records of one flow (either direction, every update) in one partition; "
             "flows spread over %d partitions" % (label, len(set().union(*parts_of.values()))),
             [k for k, p in parts_of.items() if len(p) > 1][:3])

    rl = report_line(out)
    ck.check(rl is not None and int(rl.group(2)) == len(want_f) and
             int(rl.group(3)) == len(want_i) and rl.group(6) == "0" and
             rl.group(1) == mock.bootstrap,
             "%s: report: %d flow records and %d intervals delivered, lost 0" %
             (label, len(want_f), len(want_i)), rl.group(0) if rl else sf.tail(out))
    ke = kafka_of(exp)
    n = len(want_f) + len(want_i)
    ck.check(ke is not None and ke["written"] == n and ke["lost"] == 0 and ke["queued"] == 0
             and ke["up"] is True, "%s: /api/v1/exporters: kafka written %d, lost 0, queued 0, "
             "up" % (label, n), ke)
    ck.check(m.get('spanflow_export_records_total{exporter="kafka"}') == n and
             m.get('spanflow_export_lost_records_total{exporter="kafka"}') == 0 and
             m.get('spanflow_export_up{exporter="kafka"}') == 1,
             "%s: /metrics: kafka records %d, lost 0, up 1" % (label, n),
             {k: v for k, v in m.items() if "kafka" in k})
    ck.check("warning" not in errtext.lower(), "%s: no warning on stderr" % label,
             sf.tail(errtext))


def check_loss(ck, label, binary, bootstrap, cap, tmp, settings, want_in_err, bound):
    """A replay whose records cannot be delivered: bounded, every record counted lost."""
    d = tmp / label
    d.mkdir()
    cfg = d / "kafka.yaml"
    cfg.write_text("export:\n" + "".join("  %s: %s\n" % kv for kv in settings.items()))
    fl, iv = d / "f.jsonl", d / "i.jsonl"
    res, err = serve_run(binary, ["-c", cfg, "-r", cap, "-w", "2", "--kafka", bootstrap,
                                  "--flows", fl, "--intervals", iv], d, bound + 30)
    if not ck.check(res is not None, "%s: replay done" % label, sf.tail(err or "")):
        return
    elapsed, out, errtext, exp, m, rc = res
    check_exit(ck, label, rc, errtext)
    n = len(lines(fl)) + len(lines(iv))
    ck.check(elapsed < bound, "%s: finished in %.1f s (< %d s)" % (label, elapsed, bound))
    rl = report_line(out)
    ck.check(rl is not None and rl.group(2) == "0" and rl.group(3) == "0" and
             int(rl.group(6)) == n, "%s: report: nothing delivered, lost %d (every record)" %
             (label, n), rl.group(0) if rl else sf.tail(out))
    warn = re.search(r"^spanflow: warning: Kafka: (\d+) of (\d+) records not delivered.*$",
                     errtext, re.M)
    ck.check(warn is not None and int(warn.group(1)) == n and int(warn.group(2)) == n and
             all(w in warn.group(0) for w in want_in_err),
             "%s: exit warning: %d of %d records not delivered (%s)" %
             (label, n, n, ", ".join(want_in_err)), sf.tail(errtext))
    # Said once, when librdkafka finds every broker down: a run whose records
    # time out sooner may end before it does (the exit warning says it then).
    said = len(re.findall(r"no broker of \S+ is reachable", errtext))
    ck.check(said == 1 or (said == 0 and label != "no-listener"),
             "%s: 'no broker is reachable' said %d time(s), at most once" % (label, said),
             sf.tail(errtext))
    ke = kafka_of(exp)
    ck.check(ke is not None and ke["lost"] == n and ke["written"] == 0 and ke["queued"] == 0
             and ke["up"] is False, "%s: /api/v1/exporters: lost %d, written 0, down" %
             (label, n), ke)
    ck.check(m.get('spanflow_export_lost_records_total{exporter="kafka"}') == n,
             "%s: /metrics: kafka lost %d" % (label, n),
             {k: v for k, v in m.items() if "kafka" in k})
    return rl


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    if len(sys.argv) != 4:
        print("SKIP: no sf_kafka_mock helper (a build without librdkafka)")
        sys.exit(77)
    binary, data = os.path.abspath(sys.argv[1]), Path(sys.argv[2]).resolve()
    helper = sys.argv[3]
    if not os.access(helper, os.X_OK):
        print("SKIP: %s is not executable" % helper)
        sys.exit(77)
    if shutil.which("kcat") is None:
        print("SKIP: kcat is not installed (tools/setup.sh installs it)")
        sys.exit(77)
    ck = sf.Checker("Kafka export against librdkafka's mock cluster, read back with kcat")
    tmp = Path(tempfile.mkdtemp(prefix="sf_kafka_"))
    try:
        big = tmp / "gen.pcap"
        g = sf.pcapgen(binary, big, "-n", 40000, "-f", 3000, "-6", "0.3", "-u", "0.3",
                       "-d", "4", "-l", "12")
        ck.check(g.returncode == 0, "sf_pcapgen writes a capture of many flows", g.stderr)

        print("-- delivery: messages, keys, partitions, counters", flush=True)
        with Mock(helper) as mock:
            check_delivery(ck, "sample", binary, mock, data / "sample.pcap", tmp,
                           ["--app", "--tcp-analysis", "--features"])
        with Mock(helper) as mock:
            check_delivery(ck, "generated", binary, mock, big, tmp, ["--interval", "1"])

        print("-- faults: records that cannot be delivered are counted, never waited for",
              flush=True)
        cap = data / "sample.pcap"
        check_loss(ck, "no-listener", binary, "127.0.0.1:%d" % free_port(), cap, tmp,
                   {"kafka_timeout": "500ms", "kafka_linger": "30s"}, ["timed out"], 20)
        with Mock(helper) as mock:
            ck.check(mock.set(False), "mock: every broker down")
            check_loss(ck, "brokers-down", binary, mock.bootstrap, cap, tmp,
                       {"kafka_timeout": "500ms", "kafka_linger": "30s"}, ["timed out"], 20)
            rl = check_loss(ck, "queue-full", binary, mock.bootstrap, cap, tmp,
                            {"kafka_timeout": "500ms", "kafka_queue": "16"},
                            ["Queue full"], 20)
            ck.check(rl is not None and re.search(r"; (\d+) refused by the local queue",
                                                  rl.group(7)) is not None,
                     "queue-full: the report says how many the full queue refused",
                     rl.group(0) if rl else "")
            check_loss(ck, "linger", binary, mock.bootstrap, cap, tmp,
                       {"kafka_timeout": "60s", "kafka_linger": "1s"},
                       ["not confirmed within export.kafka_linger"], 15)

        print("-- brokers down, then up while spanflow waits at the end", flush=True)
        with Mock(helper) as mock:
            ck.check(mock.set(False), "mock: every broker down")
            d = tmp / "down-up"
            d.mkdir()
            cfg = d / "kafka.yaml"
            cfg.write_text("export:\n  kafka_timeout: 120s\n  kafka_linger: 90s\n")
            fl, iv = d / "f.jsonl", d / "i.jsonl"
            with Server(binary, ["--serve", "-c", cfg, "-r", cap, "-w", "2", "--kafka",
                                 mock.bootstrap, "--flows", fl, "--intervals", iv],
                        str(d)) as srv:
                end = time.time() + 60
                while time.time() < end and srv.alive() and "is reachable" not in srv.stderr():
                    time.sleep(0.1)
                said = "is reachable" in srv.stderr()
                ck.check(said and "replay done" not in srv.stderr(),
                         "down-up: spanflow says no broker is reachable and waits",
                         sf.tail(srv.stderr()))
                ck.check(mock.set(True), "mock: every broker up again")
                while time.time() < end + 60 and srv.alive() and \
                        "replay done" not in srv.stderr():
                    time.sleep(0.1)
                exp = srv.json("/api/v1/exporters")["exporters"] \
                    if "replay done" in srv.stderr() else []
                rc = srv.stop()
                srv.out.seek(0)
                out, errtext = srv.out.read(), srv.stderr()
            check_exit(ck, "down-up", rc, errtext)
            n_f, n_i = len(lines(fl)), len(lines(iv))
            rl = report_line(out)
            ck.check(rl is not None and int(rl.group(2)) == n_f and int(rl.group(3)) == n_i
                     and rl.group(6) == "0", "down-up: report: all %d + %d delivered, lost 0" %
                     (n_f, n_i), rl.group(0) if rl else sf.tail(out))
            got = consume(mock.bootstrap, TOPIC_F)
            ck.check(collections.Counter(p for _, _, p in got) ==
                     collections.Counter(lines(fl)),
                     "down-up: the flows topic holds every --flows line",
                     "%d messages, %d lines" % (len(got), n_f))
            ke = kafka_of(exp)
            ck.check(ke is not None and ke["written"] == n_f + n_i and ke["lost"] == 0 and
                     ke["up"] is True, "down-up: /api/v1/exporters: written %d, lost 0, up" %
                     (n_f + n_i), ke)
            ck.check("not delivered" not in errtext, "down-up: no loss said on exit",
                     sf.tail(errtext))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ck.finish()


if __name__ == "__main__":
    main()
