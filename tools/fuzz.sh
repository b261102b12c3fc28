#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Fuzz spanflow with libFuzzer (clang, ASan + UBSan):
#   tools/fuzz.sh [SECONDS] [TARGET...]     default: 60 s each, targets pkt config pcap http app
# Builds build-fuzz/ (or $FUZZ_DIR), seeds build-fuzz/corpus/<target>/ from tests/data and
# config/ (the corpus keeps growing across runs), fuzzes each target for
# SECONDS and prints executions, exec/s, coverage and crashes per target.
# Crashing inputs are saved under build-fuzz/crashes/<target>/; once fixed,
# keep them in tests/fuzz/regressions/<target>/ (run by `meson test -C
# build-fuzz --suite fuzz`). Exit status 1 if any target crashed.
set -euo pipefail

cd "$(dirname "$0")/.."
secs="${1:-60}"
shift || true
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(pkt config pcap http app)
dir="${FUZZ_DIR:-build-fuzz}"
max_crashes=5

opts=(-Dbuildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true
	-Dc_args=-fsanitize=fuzzer-no-link)
if [ -f "$dir/build.ninja" ]; then
	CC=clang meson setup --reconfigure "$dir" "${opts[@]}" >/dev/null
else
	CC=clang meson setup "$dir" "${opts[@]}" >/dev/null
fi
ninja -C "$dir" $(printf "tests/fuzz/fuzz_%s " "${targets[@]}") >/dev/null

# Seeds (idempotent: files are rewritten, found inputs are kept).
seed() {
	local c="$dir/corpus/$1"
	mkdir -p "$c"
	case "$1" in
	pkt)
		python3 tests/fuzz/seeds.py pkt "$c" tests/data/*.pcap tests/data/*.cap \
			tests/data/tunnels/*.pcap >/dev/null
		;;
	config)
		python3 tests/fuzz/seeds.py config "$c" config/*.yaml >/dev/null
		;;
	http)
		python3 tests/fuzz/seeds.py http "$c" >/dev/null
		;;
	app)
		# The regression inputs are the seeds (RFC 9001 A.2, a capture, frames)
		cp tests/fuzz/regressions/app/* "$c/"
		;;
	pcap)
		cp tests/data/*.pcap tests/data/*.cap "$c/"
		# Other container formats of a few captures: pcapng, nanosecond pcap.
		if command -v editcap >/dev/null; then
			for f in sample.pcap dlt_ppp.pcap vxlan.pcap BGP_Cisco_hdlc_slarp.pcap; do
				editcap -F pcapng "tests/data/$f" "$c/$f.pcapng" 2>/dev/null || true
				editcap -F nsecpcap "tests/data/$f" "$c/$f.nsec" 2>/dev/null || true
			done
		fi
		;;
	esac
}

declare -A args=(
	[pkt]="-max_len=8192"
	[config]="-max_len=4096 -dict=tests/fuzz/config.dict"
	[pcap]="-max_len=16384"
	[http]="-max_len=4096 -dict=tests/fuzz/http.dict"
	[app]="-max_len=2048"
)

# No LSan suppressions here: a leak under libpcap (a capture never closed)
# is spanflow's.
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
mkdir -p "$dir/logs"
status=0
summary=()
for t in "${targets[@]}"; do
	seed "$t"
	mkdir -p "$dir/crashes/$t"
	log="$dir/logs/$t.log"
	: >"$log"
	execs=0
	crashes=0
	end=$(($(date +%s) + secs))
	# libFuzzer stops at a crash: start again for the time left.
	while :; do
		left=$((end - $(date +%s)))
		[ "$left" -gt 0 ] && [ "$crashes" -lt "$max_crashes" ] || break
		# shellcheck disable=SC2086
		if "$dir/tests/fuzz/fuzz_$t" ${args[$t]} -max_total_time="$left" -timeout=10 \
				-rss_limit_mb=2048 -print_final_stats=1 \
				-artifact_prefix="$dir/crashes/$t/" "$dir/corpus/$t" >>"$log" 2>&1; then
			:
		else
			crashes=$((crashes + 1))
		fi
		n=$(grep -o '^stat::number_of_executed_units: [0-9]*' "$log" | tail -1 |
			awk '{print $2}')
		execs=$((execs + ${n:-0}))
		# Each run's final stats are counted once.
		sed -i 's/^stat::number_of_executed_units:/stat::counted_units:/' "$log"
	done
	last=$(grep -E '^#[0-9]+' "$log" | grep ' cov: ' | tail -1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$last")
	rate=$((execs / (secs > 0 ? secs : 1)))
	found=$(find "$dir/crashes/$t" -type f | wc -l)
	summary+=("$(printf '%-7s %10s %8s %6s %7s %12s %8s %s' "$t" "$execs" "$rate" \
		"${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes" "$found")")
	[ "$crashes" -eq 0 ] || status=1
done

# What crashed, for a CI log that keeps only this output: the sanitizer's
# or libFuzzer's verdict and the input (hex, when short) of each artifact.
for t in "${targets[@]}"; do
	for a in "$dir/crashes/$t"/*; do
		[ -f "$a" ] || continue
		echo "== $t: $(basename "$a") ($(stat -c %s "$a") bytes)"
		grep -hE '^==[0-9]+== ?ERROR|^SUMMARY|invariant broken|reload failed|^    #[0-3] ' \
			"$dir/logs/$t.log" | head -20
		if [ "$(stat -c %s "$a")" -le 2048 ]; then
			od -An -tx1 -v "$a" | tr -d ' \n' | fold -w 128
			echo
		fi
	done
done >&2

printf '%-7s %10s %8s %6s %7s %12s %8s %s\n' target execs exec/s cov ft corpus crashes \
	"saved(total)"
printf '%s\n' "${summary[@]}"
[ "$status" -eq 0 ] || echo "fuzz: crashes in $dir/crashes/ (logs in $dir/logs/)" >&2
exit "$status"
