#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# File replay rate: generate a capture (default 10M packets of 64..128
# bytes over 1M flows) and replay it (-r) with each reader (default: native,
# libpcap, net_pcap) and 1 and 2 workers, RUNS times each; print per reader
# and worker count the median time to the end of input (packets/s from it),
# the median time then spent ending the flows and writing them, and the
# median wall time of the whole process (start-up to exit). For
# reference, the median of `tcpdump -r FILE -w /dev/null` on the same file
# (a read of every record, nothing else). A benchmark, not a test.
#
#   tools/bench_replay.sh [PACKETS] [FLOWS] [RUNS] [READER...]
#   BUILD=build-xyz tools/bench_replay.sh ...     another build directory
set -euo pipefail
cd "$(dirname "$0")/.."

packets="${1:-10000000}"
flows="${2:-1000000}"
runs="${3:-3}"
shift $(($# < 3 ? $# : 3))
readers=("$@")
[ "${#readers[@]}" -gt 0 ] || readers=(native libpcap net_pcap)
build="${BUILD:-build}"
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
cat "$cap" >/dev/null	# in the page cache for every run alike

median() {
	printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"
}

if command -v tcpdump >/dev/null; then
	times=()
	for ((i = 0; i < runs; i++)); do
		s=$(date +%s.%N)
		tcpdump -r "$cap" -w /dev/null 2>/dev/null
		times+=("$(awk -v s="$s" -v e="$(date +%s.%N)" 'BEGIN { printf "%.3f", e - s }')")
	done
	awk -v t="$(median "${times[@]}")" -v n="$packets" -v all="${times[*]}" 'BEGIN {
		printf "tcpdump -r FILE -w /dev/null: median %.3f s (runs: %s), %.2f Mpps\n",
			t, all, n / t / 1e6 }'
fi

printf '%-9s %7s %9s %7s %9s %9s   %s\n' reader workers input_s Mpps flush_s wall_s \
	"runs (input s)"
for r in "${readers[@]}"; do
	for w in 1 2; do
		times=()
		flush=()
		wall=()
		for ((i = 0; i < runs; i++)); do
			s=$(date +%s.%N)
			out=$("$bin" -r "$cap" --reader "$r" -w "$w" --flow-capacity "$capacity" \
				--no-progress 2>/dev/null)
			wall+=("$(awk -v s="$s" -v e="$(date +%s.%N)" 'BEGIN { printf "%.3f", e - s }')")
			grep -q 'conservation: .*\[ok\]' <<<"$out" ||
				{ echo "$r -w $w: conservation failed" >&2; exit 1; }
			line=$(grep '^processed ' <<<"$out")
			times+=("$(sed -n 's/^processed .* in \([0-9.]*\) s:.*/\1/p' <<<"$line")")
			flush+=("$(sed -n 's/.*(then \([0-9.]*\) s to end.*/\1/p' <<<"$line")")
		done
		awk -v r="$r" -v w="$w" -v t="$(median "${times[@]}")" \
			-v f="$(median "${flush[@]}")" -v e="$(median "${wall[@]}")" \
			-v n="$packets" -v all="${times[*]}" 'BEGIN {
			printf "%-9s %7d %9.3f %7.2f %9.3f %9.3f   %s\n", r, w, t, n / t / 1e6, f, e,
				all }'
	done
done
