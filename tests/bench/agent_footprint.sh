#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What covmon-agent takes on an access point, per CPU: the stripped agent
# (MinSizeRel) with every probe, without SNMP, without capture, and with
# neither; and the shared libraries it needs, found by following DT_NEEDED
# through the sysroot of Debian's packages (sizes of Debian's glibc builds:
# OpenWrt's musl builds of the same libraries are smaller; the ratios
# between the probes hold). Then the agent's resident memory, measured
# natively on this machine after 20 intervals, and under qemu-user beside it
# (the emulator's own memory included: not a router's figure).
# Not run by ctest.  Usage: tests/bench/agent_footprint.sh [ARCH...]
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
out=${COVMON_CROSS_OUT:-$src/build/cross}
archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(mipsel armhf arm64 s390x)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/covmon-footprint-XXXXXX")
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

triplet_of() {
	case $1 in
		armhf) echo arm-linux-gnueabihf ;; arm64) echo aarch64-linux-gnu ;;
		mipsel) echo mipsel-linux-gnu ;; s390x) echo s390x-linux-gnu ;;
	esac
}

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
	tr=$(triplet_of "$arch")
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

# Resident memory after 20 intervals of 1 s: ICMP and TCP probes against a
# broker on loopback, natively and (for the first ARCH) under qemu-user.
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
rss() {
	"$@" -c "$tmp/agent.conf" -vv > "$tmp/agent.log" 2>&1 &
	local pid=$! n=0
	while [ "$(grep -c 'sample\|stored\|spooled' "$tmp/agent.log" 2>/dev/null || true)" -lt 1 ] && [ $n -lt 200 ]; do
		sleep 0.1; n=$((n + 1))
	done
	sleep 20
	awk '/VmHWM|VmRSS/ { printf "%s %s KiB  ", $1, $2 }' "/proc/$pid/status"
	kill "$pid"; wait "$pid" 2>/dev/null || true
	rm -rf "$tmp/spool"
	echo
}
native=${COVMON_BUILD:-$src/build}/covmon-agent
echo "== resident memory after 20 s (1 s interval, ICMP + TCP)"
printf 'x86-64 native:            '; rss "$native"
a=${archs[0]}
q=qemu-$(case $a in armhf) echo arm ;; arm64) echo aarch64 ;; *) echo "$a" ;; esac)-static
printf '%-8s under %s: ' "$a" "$q"; rss "$q" -L "$out/$a/sysroot" "$out/$a/covmon-agent"
