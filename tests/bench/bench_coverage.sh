#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Coverage evaluation at country scale: time per evaluation cycle (median)
# and resident memory with the inventory and two snapshots alive, on a
# generated inventory (100,000 hamlets in 10,000 communes by default). Not
# a test: prints figures. Builds the bench with cc against the libraries of
# a build tree (COVMON_BUILD, default build/, built first if needed).
#   tests/bench/bench_coverage.sh [--hamlets N] [--communes N] [--runs N]
set -euo pipefail
hamlets=100000 communes=10000 runs=10
while [ $# -gt 0 ]; do
	case $1 in
	--hamlets) hamlets=$2; shift 2 ;;
	--communes) communes=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	*) echo "usage: $0 [--hamlets N] [--communes N] [--runs N]" >&2; exit 2 ;;
	esac
done
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${COVMON_BUILD:-$src/build}
T=$(mktemp -d /tmp/covmon-bench-coverage-XXXXXX)
trap 'rm -rf "$T"' EXIT

if [ ! -f "$build/CMakeCache.txt" ]; then
	cmake -S "$src" -B "$build" >/dev/null
fi
cmake --build "$build" --target covmon_collector_lib covmon_common >/dev/null

python3 "$src/tests/data/gen-inventory.py" --hamlets "$hamlets" \
	--communes "$communes" --out-dir "$T/inv"
cc -O2 -std=c17 -D_GNU_SOURCE -Wall -Wextra \
	-I"$src/collector" -I"$src/common" "$src/tests/bench/bench_coverage.c" \
	"$build/libcovmon_collector_lib.a" "$build/libcovmon_common.a" \
	-lm -lpthread -o "$T/bench_coverage"
"$T/bench_coverage" "$T/inv" "$runs"
