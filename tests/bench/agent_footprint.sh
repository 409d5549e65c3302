#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What covmon-agent takes on an access point, per CPU: the stripped agent
# (MinSizeRel) with every probe, without SNMP, without capture, and with
# neither; and the shared libraries it needs, found by following DT_NEEDED
# through the sysroot of Debian's packages (sizes of Debian's glibc builds:
# OpenWrt's musl builds of the same libraries are smaller; the ratios
# between the probes hold). Then the agent's resident memory, measured
# natively on this machine (median of 3, beside a bare libmosquitto client
# measured in the same run), and under qemu-user beside it (the emulator's
# own memory included: not a router's figure).
# Not run by ctest.  Usage: tests/bench/agent_footprint.sh [ARCH...]
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
out=${COVMON_CROSS_OUT:-$src/build/cross}
archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(mipsel armhf arm64 s390x)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/covmon-footprint-XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

# shellcheck source=deploy/cross/arch.sh
. "$src/deploy/cross/arch.sh"

# needed BINARY SYSROOT TRIPLET: every shared library in the closure, one
# "name path" per line.
needed() {
	local sr=$2 tr=$3 todo=("$1") seen=" " f lib p
	while [ ${#todo[@]} -gt 0 ]; do
		f=${todo[0]}; todo=("${todo[@]:1}")
		for lib in $(readelf -d "$f" 2>/dev/null | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
			case $seen in *" $lib "*) continue ;; esac
			seen="$seen$lib "
			p=
			for d in "$sr/lib/$tr" "$sr/usr/lib/$tr" "$sr/lib" "$sr/usr/lib"; do
				[ -e "$d/$lib" ] && { p=$(readlink -f "$d/$lib"); break; }
			done
			[ -n "$p" ] || { echo "$lib ?"; continue; }
			echo "$lib $p"
			todo+=("$p")
		done
	done
}

kib() { echo $(( ($1 + 1023) / 1024 )); }

for arch in "${archs[@]}"; do
	cross_arch "$arch" || { echo "unknown ARCH $arch" >&2; exit 2; }
	tr=$TRIPLET
	echo "== $arch ($tr)"
	for variant in all no-snmp no-pcap minimal; do
		case $variant in
			all) opts=() ;;
			no-snmp) opts=(-DCOVMON_AGENT_SNMP=OFF) ;;
			no-pcap) opts=(-DCOVMON_AGENT_PCAP=OFF) ;;
			minimal) opts=(-DCOVMON_AGENT_SNMP=OFF -DCOVMON_AGENT_PCAP=OFF) ;;
		esac
		d=$out/$arch-$variant
		[ "$variant" = all ] && d=$out/$arch
		if [ ! -x "$d/covmon-agent" ] || [ "$d/covmon-agent" -ot "$src/CMakeLists.txt" ]; then
			if [ "$variant" != all ]; then
				mkdir -p "$d"
				[ -d "$d/sysroot" ] || ln -sfn "$out/$arch/sysroot" "$d/sysroot"
			fi
			"$src/deploy/cross/build.sh" "$arch" "$d" "${opts[@]}" > "$tmp/build.log" 2>&1 \
			    || { tail -20 "$tmp/build.log"; exit 1; }
		fi
		bin=$(stat -c %s "$d/covmon-agent")
		libs=0
		list=""
		while read -r lib path; do
			[ "$path" != "?" ] || { list="$list $lib(?)"; continue; }
			s=$(stat -c %s "$path")
			libs=$((libs + s))
			list="$list $lib=$(kib "$s")"
		done < <(needed "$d/covmon-agent" "$out/$arch/sysroot" "$tr")
		printf '%-8s agent %5d KiB, libraries %6d KiB, total %6d KiB\n' "$variant" \
		    "$(kib "$bin")" "$(kib "$libs")" "$(kib $((bin + libs)))"
		[ "$variant" = all ] && echo "         libraries (KiB):$list"
	done
done

# Peak resident memory after 15 intervals of 1 s: ICMP and TCP probes
# against a broker on loopback, natively and (for the first ARCH) under
# qemu-user.
command -v mosquitto >/dev/null || { echo "no mosquitto: memory not measured"; exit 0; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$port" > "$tmp/m.conf"
mosquitto -c "$tmp/m.conf" > /dev/null 2>&1 &
sleep 0.5
cat > "$tmp/agent.conf" <<CONF
[agent]
id = footprint-01
province = p
interval = 1
spool_dir = $tmp/spool
start_delay = 0
[mqtt]
host = 127.0.0.1
port = $port
[probe.icmp]
targets = 127.0.0.1
count = 5
timeout_ms = 500
[probe.tcp]
targets = 127.0.0.1:$port
CONF
# hwm CMD...: the peak resident set (VmHWM, KiB) of CMD after 15 s.
hwm() {
	"$@" > "$tmp/run.log" 2>&1 &
	local pid=$!
	sleep 15
	awk '/VmHWM/ { print $2 }' "/proc/$pid/status"
	kill "$pid"; wait "$pid" 2>/dev/null || true
	rm -rf "$tmp/spool"
}
# median3 CMD...: the median of three hwm runs, and the three.
median3() {
	local a b c
	a=$(hwm "$@"); b=$(hwm "$@"); c=$(hwm "$@")
	echo "$(printf '%s\n' "$a" "$b" "$c" | sort -n | sed -n 2p) ($a $b $c)"
}
native=${COVMON_BUILD:-$src/build}/covmon-agent
echo "== peak resident memory after 15 s, KiB (1 s interval, ICMP + TCP), median of 3 (the runs)"
ag=$(median3 "$native" -c "$tmp/agent.conf" -vv)
peer=$(median3 mosquitto_sub -h 127.0.0.1 -p "$port" -t 'covmon/#')
echo "x86-64 covmon-agent:       $ag"
echo "x86-64 mosquitto_sub:      $peer (a bare libmosquitto client, the peer)"
echo "ratio agent/mosquitto_sub: $(echo "${ag%% *} ${peer%% *}" | awk '{ printf "%.2f", $1 / $2 }')"
a=${archs[0]}
cross_arch "$a"; q=$QEMU
echo "$a covmon-agent under $q (qemu's own memory included): $(median3 "$q" -L "$out/$a/sysroot" "$out/$a/covmon-agent" -c "$tmp/agent.conf" -vv)"
