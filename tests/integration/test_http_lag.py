#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""
Interval lag under HTTP load: a live capture on an idle veth with 200 ms
intervals, /metrics sampled with and without 25 clients hammering the
server; the lag must stay under 0.5 s. Exit 77 (skipped) without root or
iproute2.

Usage: test_http_lag.py SPANFLOW_BINARY TESTS_DATA_DIR
"""

import os
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sfcommon as sf  # noqa: E402
import test_http_abuse as abuse  # noqa: E402


def main():
    binary, _ = sf.usage_args()
    why = abuse.lag_skip_reason()
    if why:
        print("cannot run: %s" % why)
        sys.exit(77)
    ck = sf.Checker("interval lag of a live capture under HTTP load")
    tmp = tempfile.mkdtemp(prefix="sf_http_lag_")
    try:
        abuse.lag(ck, binary, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ck.finish()


if __name__ == "__main__":
    main()
