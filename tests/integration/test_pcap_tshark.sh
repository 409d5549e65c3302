#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The pcap analyser's retransmission count against Wireshark's on the same
# files: TCP transfers over IPv4, IPv6 and VLANs, sequence numbers across the
# wrap, data both ways, keep-alives. Retransmissions are spaced wider than
# Wireshark's 3 ms out-of-order window, where the two definitions agree.
# Exit 77 (skipped) without tshark, a C compiler or python3.
set -eu

src=${COVMON_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
for tool in tshark cc python3 pkg-config; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool not installed (apt-get install -y tshark)" >&2
		exit 77
	fi
done

tmp=$(mktemp -d /tmp/covmon-tshark-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# shellcheck disable=SC2046 # pkg-config's flags, a word each
cc -O1 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -I"$src/common" -I"$src/agent" \
	"$src/tests/bench/pcap_bench.c" "$src/agent/pcap_analyze.c" "$src/agent/probe_pcap.c" "$src/agent/probe_pcap_conf.c" \
	"$src/common/conf.c" "$src/common/log.c" "$src/common/loop.c" "$src/common/clock.c" \
	"$src/common/metric.c" $(pkg-config --cflags --libs libpcap inih) -lm -o "$tmp/pcap_bench"

expected=$(python3 "$src/tests/bench/pcap_gen.py" retrans "$tmp/retrans.pcap")
ours=$("$tmp/pcap_bench" -m 02:00:5e:10:00:01 "$tmp/retrans.pcap" | awk '$1 == "retransmissions" { print $2 }')
# Wireshark also flags a repeated SYN or FIN without data; ours counts data only.
theirs=$(tshark -n -r "$tmp/retrans.pcap" -Y 'tcp.analysis.retransmission && tcp.len > 0' 2>/dev/null | wc -l)
keepalives=$(tshark -n -r "$tmp/retrans.pcap" -Y 'tcp.analysis.keep_alive' 2>/dev/null | wc -l)

echo "retransmissions: generated $expected, covmon $ours, tshark $theirs (tshark keep-alives: $keepalives)"
if [ "$ours" != "$expected" ] || [ "$theirs" != "$expected" ]; then
	echo "FAIL: counts differ" >&2
	exit 1
fi
echo PASS
