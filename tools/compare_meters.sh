#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# spanflow beside the libpcap-based flow meters from Debian on the same
# generated capture, one after the other in one run: wall time, packets/s
# and peak memory of each. A benchmark, not a test.
#
#   tools/compare_meters.sh [PACKETS] [FLOWS] [RUNS]
#
# Defaults: 10M packets, 1M flows, 1 run. With RUNS > 1 each tool runs RUNS
# times in turn and the median wall time (with that run's peak memory) is
# printed, with every run's time.
#
# Meters compared when installed (apt-get install softflowd nfdump pmacct
# libndpi-bin): softflowd, nfpcapd, pmacctd, ndpiReader. Exports go to
# files or to a closed loopback port, never to the network.
set -uo pipefail
cd "$(dirname "$0")/.."

packets="${1:-10000000}"
flows="${2:-1000000}"
runs="${3:-1}"
bin=build/app/spanflow/spanflow
gen=build/tools/sf_pcapgen
tmp="$(mktemp -d /tmp/sf-compare-XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
cap="${TMPDIR:-/tmp}/sf-compare-${packets}-${flows}.pcap"

[ -x "$bin" ] && [ -x "$gen" ] || { echo "build first: tools/setup.sh" >&2; exit 1; }
[ -f "$cap" ] || "$gen" -o "$cap" -n "$packets" -f "$flows" -s 64 -S 128 -d 60 || exit 1

measure() {
	local name="$1"
	shift
	if ! command -v "$1" >/dev/null 2>&1 && [ ! -x "$1" ]; then
		printf '%-12s not installed\n' "$name"
		return
	fi
	local i secs kb all=""
	: >"$tmp/times"
	for ((i = 0; i < runs; i++)); do
		/usr/bin/time -f '%e %M' -o "$tmp/time" "$@" >"$tmp/$name.out" 2>&1
		cat "$tmp/time" >>"$tmp/times"
		all="$all $(cut -d' ' -f1 "$tmp/time")"
	done
	read -r secs kb < <(sort -n "$tmp/times" | awk '{ s[NR] = $1; k[NR] = $2 }
		END { m = int((NR + 1) / 2); print s[m], k[m] }')
	awk -v n="$name" -v s="$secs" -v k="$kb" -v p="$packets" -v a="$all" 'BEGIN {
		printf "%-12s %8.2f s  %7.2f Mpps  %8.0f MiB peak", n, s, p / s / 1e6, k / 1024
		if (split(a, x, " ") > 1)
			printf "   (runs:%s s)", a
		printf "\n" }'
}

echo "capture: $cap ($packets packets, $flows flows); machine: $(nproc) CPUs"
measure "tcpdump -r" tcpdump -r "$cap" -w /dev/null
measure spanflow "$bin" -r "$cap" -w 1 --flow-capacity $((flows * 5 / 4)) -q --no-progress \
	--hugepages no
measure softflowd softflowd -r "$cap" -n 127.0.0.1:9 -v 9 -d -m $((flows * 2))
mkdir -p "$tmp/nfpcapd"
measure nfpcapd nfpcapd -r "$cap" -w "$tmp/nfpcapd" -B $((flows * 2))
cat >"$tmp/pmacctd.conf" <<CONF
pcap_savefile: $cap
plugins: print
print_output_file: $tmp/pmacctd.txt
aggregate: src_host, dst_host, src_port, dst_port, proto
CONF
measure pmacctd pmacctd -f "$tmp/pmacctd.conf"
measure ndpiReader ndpiReader -i "$cap" -q
