#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Install what spanflow needs on Debian 12 (as root), build it, and then:
#   tools/setup.sh           install and build only
#   tools/setup.sh --run     ... and replay the bundled sample capture
#   tools/setup.sh --test    ... and run every test: release build, then
#                            AddressSanitizer + UBSan build, then the fuzz
#                            step (libFuzzer regressions, 20 s per target)
set -euo pipefail

cd "$(dirname "$0")/.."
mode="${1:-build}"

# What the build needs (the tests' own tools are installed only for --test).
build_packages=(
	build-essential pkg-config meson ninja-build python3
	libdpdk-dev dpdk libpcap-dev libyaml-dev libcmocka-dev libmicrohttpd-dev libssl-dev librdkafka-dev
)
test_packages=(
	tshark tcpdump tcpreplay iproute2 ethtool python3-scapy
	prometheus chromium chromium-driver python3-selenium
	clang libclang-rt-14-dev valgrind
	nfdump pmacct libfixbuf-tools clickhouse-server kcat
)

install_missing() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ "${#missing[@]}" -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing packages: ${missing[*]}; run as root (or install them)" >&2
		exit 1
	fi
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

if [ "$mode" = "--test" ]; then
	install_missing "${build_packages[@]}" "${test_packages[@]}"
else
	install_missing "${build_packages[@]}"
fi

build() {
	local dir="$1"
	shift
	if [ -f "$dir/build.ninja" ]; then
		# meson 1.0 ignores base options (b_*) given to setup --reconfigure.
		meson configure "$dir" "$@" >/dev/null
		meson setup --reconfigure "$dir" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
	ninja -C "$dir" >/dev/null
}

# clang + libFuzzer build (tools/fuzz.sh): a short session, then past crashes.
fuzz() {
	echo "== fuzz: ${FUZZ_SECONDS:-10} s per target, then libFuzzer regressions"
	unset LSAN_OPTIONS
	tools/fuzz.sh "${FUZZ_SECONDS:-10}"
	meson test -C build-fuzz --suite fuzz --print-errorlogs
}

# Release: link-time optimization lets the packet path inline across the
# libraries (metadata fill into the parser, the worker into the flow
# table): about 5% fewer instructions per packet.
release=(--buildtype=release -Db_lto=true)

case "$mode" in
build)
	build build "${release[@]}" -Dwerror=false
	echo "setup: built build/app/spanflow/spanflow"
	;;
--run)
	build build "${release[@]}" -Dwerror=false
	exec build/app/spanflow/spanflow
	;;
--test)
	# Tests build with -Werror: a warning fails CI, never a user's build.
	build build "${release[@]}" -Dwerror=true
	echo "== release build: unit and integration tests"
	meson test -C build --print-errorlogs --num-processes 2
	build build-asan --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
		-Dwerror=true
	echo "== AddressSanitizer + UBSan build: unit and integration tests"
	export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
	export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
	# The oracle comparisons and the browser tests ran on the release build:
	# CI stays under 30 minutes.
	meson test -C build-asan --print-errorlogs --num-processes 2 --no-suite oracle \
		--no-suite browser
	fuzz
	;;
*)
	echo "usage: tools/setup.sh [--run|--test]" >&2
	exit 2
	;;
esac
