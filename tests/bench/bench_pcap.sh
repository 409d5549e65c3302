#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# How fast the pcap analyser goes through a capture file, next to tcpdump
# merely copying the same file (tcpdump -r FILE -w /dev/null): a file of
# N packets (default 2,000,000), 3 runs each, medians and their ratio.
# Not run by ctest.  Usage: tests/bench/bench_pcap.sh [packets]
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-2000000}
runs=3
for tool in cc python3 tcpdump pkg-config bc; do
	command -v "$tool" >/dev/null || { echo "$tool not installed (deploy/install-deps.sh --bench)" >&2; exit 1; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/covmon-bench-pcap-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The flags of the agent's default build (CMake RelWithDebInfo, C17 with
# GNU extensions), so the figure is the agent's.
# shellcheck disable=SC2046 # pkg-config's flags, a word each
cc -O2 -g -DNDEBUG -std=gnu17 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -I"$src/common" -I"$src/agent" \
	"$src/tests/bench/pcap_bench.c" "$src/agent/pcap_analyze.c" "$src/agent/probe_pcap.c" "$src/agent/probe_pcap_conf.c" \
	"$src/common/conf.c" "$src/common/log.c" "$src/common/loop.c" "$src/common/clock.c" \
	"$src/common/metric.c" $(pkg-config --cflags --libs libpcap inih) -lm -o "$tmp/pcap_bench"

t=$(date +%s.%N)
python3 "$src/tests/bench/pcap_gen.py" bench "$tmp/bench.pcap" "$n"
printf 'file: %d packets, %d bytes, written in %.1f s\n' "$n" "$(stat -c %s "$tmp/bench.pcap")" \
	"$(echo "$(date +%s.%N) - $t" | bc)"
cat "$tmp/bench.pcap" >/dev/null	# both read it from the page cache

median() { sort -g | sed -n "$(( (runs + 1) / 2 ))p"; }
timeit() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>&1
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc
}

for _ in $(seq "$runs"); do timeit "$tmp/pcap_bench" -m 02:00:5e:10:00:01 "$tmp/bench.pcap"; done >"$tmp/ours"
for _ in $(seq "$runs"); do timeit tcpdump -r "$tmp/bench.pcap" -w /dev/null; done >"$tmp/tcpdump"
"$tmp/pcap_bench" -m 02:00:5e:10:00:01 "$tmp/bench.pcap" >"$tmp/metrics"

ours=$(median <"$tmp/ours")
theirs=$(median <"$tmp/tcpdump")
echo "covmon analyser runs (s): $(tr '\n' ' ' <"$tmp/ours")"
echo "tcpdump -r -w /dev/null runs (s): $(tr '\n' ' ' <"$tmp/tcpdump")"
printf 'median: covmon %.3f s (%.2f Mpackets/s), tcpdump %.3f s; covmon/tcpdump = %.2f\n' \
	"$ours" "$(echo "$n / $ours / 1000000" | bc -l)" "$theirs" "$(echo "$ours / $theirs" | bc -l)"
echo "metrics and counters of the last run:"
sed 's/^/  /' "$tmp/metrics"
