#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Seed corpora for the fuzz targets.

  seeds.py pkt OUTDIR CAPTURE...   frames of captures (pcap or pcapng) in
                                   fuzz_pkt's length-prefixed format
  seeds.py config OUTDIR YAML...   the given files plus hand-written variants
  seeds.py http OUTDIR             hand-written requests in fuzz_http's format

fuzz_pkt input: one byte (index of the link type in fuzz_pkt.c's table),
then per frame: u16 big-endian length (bits 0..13; bit 14 expire, bit 15
end burst), u8 time step in microseconds, the frame bytes.
"""
import os
import struct
import sys

# Order of `linktypes` in fuzz_pkt.c: DLT number -> index.
LINKTYPES = {1: 0, 113: 1, 276: 2, 101: 3, 12: 3, 14: 3, 228: 4, 229: 5, 0: 6,
             108: 7, 9: 8, 104: 9}
FRAMES_PER_SEED = 32
SEEDS_PER_CAPTURE = 8
SNAP = 256          # parser needs headers only; keeps seeds small


def read_pcap(data):
    """Yield (linktype, ts_ns, frame) from a pcap or pcapng file."""
    magic = data[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1',
                 b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        e = '<' if magic[0] in (0xd4, 0x4d) else '>'
        nano = magic in (b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\x3c\x4d')
        lt = struct.unpack(e + 'I', data[20:24])[0] & 0xffff
        off = 24
        while off + 16 <= len(data):
            sec, frac, incl, _ = struct.unpack(e + 'IIII', data[off:off + 16])
            off += 16
            yield lt, sec * 10**9 + frac * (1 if nano else 1000), data[off:off + incl]
            off += incl
    elif magic == b'\x0a\x0d\x0d\x0a':
        e = '<' if data[8:12] == b'\x4d\x3c\x2b\x1a' else '>'
        ifaces = []
        off = 0
        while off + 12 <= len(data):
            btype, blen = struct.unpack(e + 'II', data[off:off + 8])
            if blen < 12:
                break
            body = data[off + 8:off + blen - 4]
            if btype == 0x0a0d0d0a:
                ifaces = []
            elif btype == 1:
                ifaces.append(struct.unpack(e + 'H', body[:2])[0])
            elif btype == 6 and len(body) >= 20:
                iid, hi, lo, caplen, _ = struct.unpack(e + 'IIIII', body[:20])
                lt = ifaces[iid] if iid < len(ifaces) else 1
                yield lt, ((hi << 32) | lo) * 1000, body[20:20 + caplen]
            elif btype == 3 and ifaces:
                yield ifaces[0], 0, body[4:]
            off += blen


def pkt_seeds(outdir, captures):
    n = 0
    for path in captures:
        with open(path, 'rb') as f:
            frames = list(read_pcap(f.read()))
        if not frames or frames[0][0] not in LINKTYPES:
            continue
        base = os.path.basename(path)
        for s in range(SEEDS_PER_CAPTURE):
            chunk = frames[s * FRAMES_PER_SEED:(s + 1) * FRAMES_PER_SEED]
            if not chunk:
                break
            out = bytearray([LINKTYPES[chunk[0][0]]])
            prev = chunk[0][1]
            for i, (_, ts, frame) in enumerate(chunk):
                frame = frame[:SNAP]
                step = min(max(ts - prev, 0) // 1000, 40)
                prev = ts
                flags = 0x4000 if i % 8 == 7 else 0
                out += struct.pack('>HB', len(frame) | flags, step) + frame
            with open(os.path.join(outdir, '%s.%d' % (base, s)), 'wb') as f:
                f.write(out)
            n += 1
    return n


CONFIG_VARIANTS = [
    '',
    'workers: 4\ninterval: 500ms\n',
    'timeouts: {idle: 1m, active: 1h, tcp_end: 250ms}\nflow_table: {capacity: 64k}\n',
    'input:\n  file: "a b.pcap"\n  reader: net_pcap\n'
    'output:\n  flows: "-"\n  intervals: out/iv.jsonl\n  report: no\n  progress: off\n',
    'rings:\n  size: 1k\n  pool: 2k\n  dispatch: 8192\n  mbufs: 1M\n',
    'dpdk:\n  hugepages: no\n  idle: busy\n  eal_args: ["--log-level=*:debug", "-a", "x"]\n',
    'input:\n  interfaces: [eth1, "eth2"]\n  rx_descriptors: 4096\n  promiscuous: false\n',
    'input:\n  ports: ["0000:03:00.0"]\nworkers: auto\ninterval: 86400\n',
    'output:\n  flows: "q\\"uote\\\\back\\ttab\\u00e9"\n',
    '# comment\n---\nworkers: 1\n...\n',
    'timeouts:\n  idle: 0.001\n  active: 2d\n  tcp_end: 1000000us\n',
]


def config_seeds(outdir, files):
    n = 0
    for path in files:
        with open(path, 'rb') as f:
            data = f.read()
        with open(os.path.join(outdir, os.path.basename(path)), 'wb') as f:
            f.write(data)
        n += 1
    for i, text in enumerate(CONFIG_VARIANTS):
        with open(os.path.join(outdir, 'variant%d.yaml' % i), 'w') as f:
            f.write(text)
        n += 1
    return n


# fuzz_http input: byte 0 (bits 0-1 method GET/HEAD/GET/POST, bit 2 the server
# with a token, bit 3 send the right token, bit 4 HTTP/1.0), the request target
# up to the first newline, then extra header lines.
HTTP_REQUESTS = [
    (0, b'/api/v1/summary'),
    (0, b'/api/v1/intervals?last=2'),
    (0, b'/api/v1/intervals?last=1000000'),
    (0, b'/api/v1/flows/top?by=packets&n=3'),
    (0, b'/api/v1/flows/top?by=bytes&n=10&by=packets'),
    (0, b'/api/v1/flows/top?by=%70ackets&n=%31'),
    (0, b'/api/v1/talkers/top?n=5'),
    (0, b'/api/v1/ports/top?n=99999999999999999999999'),
    (0, b'/api/v1/protocols'),
    (0, b'/api/v1/workers'),
    (0, b'/api/v1/config'),
    (0, b'/metrics'),
    (0, b'/'),
    (0, b'/api/v1/intervals?last=-1'),
    (0, b'/api/v1/flows/top?by=%ff%fe&n=0x10'),
    (0, b'/api/v1/talkers/top?n=%00'),
    (1, b'/api/v1/summary'),
    (3, b'/api/v1/summary'),
    (4, b'/api/v1/summary'),
    (12, b'/metrics'),
    (12, b'/api/v1/summary\nAuthorization: Bearer wrong'),
    (16, b'/api/v1/workers?n=1'),
    (0, b'/nope?x=1'),
]


def http_seeds(outdir, _files):
    for i, (flags, target) in enumerate(HTTP_REQUESTS):
        with open(os.path.join(outdir, 'req%02d' % i), 'wb') as f:
            f.write(bytes([flags]) + target)
    return len(HTTP_REQUESTS)


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ('pkt', 'config', 'http'):
        sys.exit(__doc__)
    os.makedirs(sys.argv[2], exist_ok=True)
    fn = {'pkt': pkt_seeds, 'config': config_seeds, 'http': http_seeds}[sys.argv[1]]
    print('%d seeds' % fn(sys.argv[2], sys.argv[3:]))


if __name__ == '__main__':
    main()
