#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Regenerates the QUIC test data of tests/unit/test_app.c (see README.md).

RFC vectors: the client Initial of RFC 9001 appendix A.2 (v1) and RFC 9369
appendix A.2 (v2) is protected here from the RFCs' unprotected header and
payload (python3-cryptography), and the result must equal the protected
packet printed in each RFC (its first and last 32 bytes are checked here;
test_app checks the whole by decrypting it back to the RFC's ClientHello).
Captures: the client UDP payloads of chosen frames, through tshark.

Usage: tests/data/quic/make_data.py PCAP_DIR   (shared/pcaps/ndpi)
"""
import hashlib
import hmac
import os
import struct
import subprocess
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HERE = os.path.dirname(os.path.abspath(__file__))
DCID = bytes.fromhex("8394c8f03e515708")
# RFC 9001 A.2: the CRYPTO frame (ClientHello); PADDING makes the payload 1162 bytes
CRYPTO_FRAME = bytes.fromhex(
    "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
    "04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
    "616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
    "04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
    "baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
    "0d0010000e0403050306030203080408050806002d00020101001c0002400100"
    "3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
    "75300901100f088394c8f03e51570806048000ffff")
PAYLOAD = CRYPTO_FRAME + bytes(1162 - len(CRYPTO_FRAME))

VECTORS = [
    # name, salt, label prefix, unprotected header, RFC's protected packet (head, tail)
    ("rfc9001_a2_client_initial.bin", "38762cf7f55934b34d179ae6a4c80cadccbb7f0a", "quic",
     "c300000001088394c8f03e5157080000449e00000002",
     "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11",
     "f9474241e221af44860018ab0856972e194cd934"),
    ("rfc9369_a2_client_initial.bin", "0dede3def700a6db819381be6e269dcbf9bd2ed9", "quicv2",
     "d36b3343cf088394c8f03e5157080000449e00000002",
     "d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485",
     "262ccde96ba18b2faa745b6fe189cf772a9f84cbfc"),
]


def expand_label(secret, label, length):
    full = b"tls13 " + label
    info = struct.pack("!HB", length, len(full)) + full + b"\0"
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(secret, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]


def protect(salt, prefix, header, pn_len=4, pn=2):
    initial = hmac.new(bytes.fromhex(salt), DCID, hashlib.sha256).digest()
    client = expand_label(initial, b"client in", 32)
    key = expand_label(client, prefix + b" key", 16)
    iv = expand_label(client, prefix + b" iv", 12)
    hp = expand_label(client, prefix + b" hp", 16)
    nonce = bytes(a ^ b for a, b in zip(iv, pn.to_bytes(12, "big")))
    body = AESGCM(key).encrypt(nonce, PAYLOAD, header)
    sample = body[4 - pn_len:4 - pn_len + 16]
    enc = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()
    mask = enc.update(sample) + enc.finalize()
    h = bytearray(header)
    h[0] ^= mask[0] & 0x0f
    for i in range(pn_len):
        h[len(h) - pn_len + i] ^= mask[1 + i]
    return bytes(h) + body


def datagrams(pcap, frames):
    """Length-prefixed (u16 big-endian) UDP payloads of the given frames, in order."""
    out = b""
    for f in frames:
        hexs = subprocess.run(
            ["tshark", "-r", pcap, "-Y", "frame.number == %d" % f, "-T", "fields",
             "-e", "udp.payload"], check=True, capture_output=True, text=True).stdout.strip()
        b = bytes.fromhex(hexs.replace(":", ""))
        out += struct.pack("!H", len(b)) + b
    return out


def main():
    for name, salt, prefix, header, head, tail in VECTORS:
        pkt = protect(salt, prefix.encode(), bytes.fromhex(header))
        assert len(pkt) == 1200
        assert pkt.hex().startswith(head) and pkt.hex().endswith(tail), name
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(pkt)
    with open(os.path.join(HERE, "rfc9001_a2_client_hello.bin"), "wb") as f:
        f.write(CRYPTO_FRAME[4:])
    pcaps = sys.argv[1]
    for name, pcap, frames in [
        ("quic_v2_client.dgrams", "quic-v2.pcapng.pcap", [1, 4, 5]),
        ("quic_0rtt_client.dgrams", "quic_0RTT.pcap", [3, 4, 5]),
        ("quic_other_client.dgrams", None, None),
    ]:
        if pcap is None:
            # Not v1/v2 Initials: draft-29 (quic_0RTT frame 1), gQUIC (quic.pcap frame 1)
            data = (datagrams(os.path.join(pcaps, "quic_0RTT.pcap"), [1]) +
                    datagrams(os.path.join(pcaps, "quic.pcap"), [1]))
        else:
            data = datagrams(os.path.join(pcaps, pcap), frames)
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
