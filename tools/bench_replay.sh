#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# File replay rate: generate a capture (default 10M packets of 64..128
# bytes over 1M flows) and replay it with 1 and 2 workers, RUNS times each;
# print the median wall time and packets/s. A benchmark, not a test.
#
#   tools/bench_replay.sh [PACKETS] [FLOWS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."

packets="${1:-10000000}"
flows="${2:-1000000}"
runs="${3:-3}"
build=build
bin="$build/app/spanflow/spanflow"
gen="$build/tools/sf_pcapgen"
cap="${TMPDIR:-/tmp}/sf-bench-${packets}-${flows}.pcap"

[ -x "$bin" ] && [ -x "$gen" ] || { echo "build first: tools/setup.sh" >&2; exit 1; }
if [ ! -f "$cap" ]; then
	echo "generating $cap"
	"$gen" -o "$cap" -n "$packets" -f "$flows" -s 64 -S 128 -d 60
fi
capacity=$(( flows * 2 ))
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "capture: $cap ($packets packets, $flows flows, $(du -h "$cap" | cut -f1))"
for w in 1 2; do
	times=()
	for ((i = 0; i < runs; i++)); do
		out=$("$bin" -r "$cap" -w "$w" --flow-capacity "$capacity" --no-progress 2>/dev/null)
		t=$(sed -n 's/^processed .* in \([0-9.]*\) s:.*/\1/p' <<<"$out")
		grep -q 'conservation: .*\[ok\]' <<<"$out" || { echo "conservation failed" >&2; exit 1; }
		times+=("$t")
	done
	median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
	awk -v w="$w" -v t="$median" -v n="$packets" -v all="${times[*]}" 'BEGIN {
		printf "workers %d: median %.3f s (runs: %s), %.2f Mpps\n", w, t, all, n / t / 1e6 }'
done
