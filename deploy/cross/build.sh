#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds covmon-agent for an access point's CPU with Debian's cross compilers:
#   deploy/cross/build.sh [--tests] ARCH OUTDIR [-DCOVMON_AGENT_SNMP=OFF ...]
# ARCH is a Debian architecture: armhf, arm64, mipsel (OpenWrt's ramips:
# MIPS32r2, little-endian) or s390x (big-endian, standing in for ath79's
# MIPS routers). It installs the cross compiler, qemu-user-static and
# mmdebstrap with apt, makes a sysroot of the target's Debian packages
# (libmosquitto, json-c, inih, libpcap, net-snmp; cmocka with --tests) in
# OUTDIR/sysroot, builds the agent alone from the top-level CMakeLists.txt
# (deploy/cross/toolchain.cmake; MinSizeRel), strips it into
# OUTDIR/covmon-agent, and with --tests builds the agent's unit tests too and
# runs them under qemu-user (OUTDIR/build; ctest's arguments in
# COVMON_CROSS_CTEST, e.g. "-E test_probe_tcp").
# Further arguments go to cmake. The sysroot is extracted, not installed:
# the host's dpkg gets no foreign architecture (bookworm's mipsel lags the
# host's security updates, and multiarch packages must match versions).
set -euo pipefail

tests=0
if [ "${1:-}" = "--tests" ]; then tests=1; shift; fi
if [ $# -lt 2 ]; then
	echo "usage: $0 [--tests] ARCH OUTDIR [cmake options]" >&2
	echo "       ARCH: armhf arm64 mipsel s390x" >&2
	exit 2
fi
arch=$1 out=$2
shift 2
# shellcheck source=deploy/cross/arch.sh
. "$(dirname "$0")/arch.sh"
cross_arch "$arch" || { echo "$0: unknown ARCH '$arch' (armhf, arm64, mipsel, s390x)" >&2; exit 2; }
triplet=$TRIPLET qemu=$QEMU
src=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
jobs=${COVMON_JOBS:-2}

# The build machine's tools, from Debian's packages.
want=()
for p in "gcc-$triplet" "binutils-$triplet" qemu-user-static mmdebstrap cmake pkg-config make file; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || want+=("$p")
done
if [ ${#want[@]} -gt 0 ]; then
	echo "cross: installing ${want[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${want[@]}" >/dev/null \
	    || { apt-get update -q >/dev/null && apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${want[@]}" >/dev/null; }
fi

# The target's libraries: a sysroot of Debian's packages for ARCH, made
# once per package list (sysroot/.covmon-stamp) and reused.
pkgs=libc6-dev,libmosquitto-dev,libjson-c-dev,libinih-dev,libpcap-dev,libsnmp-dev
if [ $tests = 1 ]; then pkgs=$pkgs,libcmocka-dev; fi
# shellcheck source=/dev/null
. /etc/os-release
suite=${COVMON_CROSS_SUITE:-${VERSION_CODENAME:-bookworm}}
mirror=${COVMON_DEBIAN_MIRROR:-http://deb.debian.org/debian}
sysroot=$out/sysroot
stamp="$suite $arch $pkgs"
if [ "$(cat "$sysroot/.covmon-stamp" 2>/dev/null)" != "$stamp" ]; then
	echo "cross: sysroot of $suite/$arch in $sysroot"
	rm -rf "$sysroot"
	mmdebstrap --variant=extract --arch="$arch" --include="$pkgs" \
	    "$suite" "$sysroot" "$mirror" > "$out/sysroot.log" 2>&1 \
	    || { tail -20 "$out/sysroot.log" >&2; echo "cross: mmdebstrap failed (log: $out/sysroot.log)" >&2; exit 1; }
	echo "$stamp" > "$sysroot/.covmon-stamp"
fi

cmake -S "$src" -B "$out/build" \
    -DCMAKE_TOOLCHAIN_FILE="$src/deploy/cross/toolchain.cmake" \
    -DCOVMON_CROSS_ARCH="$arch" -DCOVMON_SYSROOT="$sysroot" \
    -DCMAKE_BUILD_TYPE=MinSizeRel -DCOVMON_COLLECTOR=OFF -DCOVMON_CLI=OFF \
    -DCOVMON_TESTS="$([ $tests = 1 ] && echo ON || echo OFF)" \
    -DCOVMON_WERROR="${COVMON_WERROR:-ON}" "$@" > "$out/cmake.log" \
    || { cat "$out/cmake.log" >&2; exit 1; }
cmake --build "$out/build" -j"$jobs"
"$triplet-strip" -o "$out/covmon-agent" "$out/build/covmon-agent"
echo "cross: $out/covmon-agent: $(stat -c %s "$out/covmon-agent") bytes; $(file -b "$out/covmon-agent" | cut -d, -f1-2)"
echo "cross: run it with: $qemu -L $sysroot $out/covmon-agent --version"

if [ $tests = 1 ]; then
	# shellcheck disable=SC2086 # COVMON_CROSS_CTEST is a list of arguments
	(cd "$out/build" && ctest --output-on-failure -j"$jobs" ${COVMON_CROSS_CTEST:-})
fi
