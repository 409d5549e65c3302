#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs every build and test dependency of covmon from Debian's packages.
# Idempotent: when everything is present it does nothing (no apt-get update).
#   deploy/install-deps.sh           build and tests (tests/run.sh)
#   deploy/install-deps.sh --bench   also the peers the benchmarks measure
#                                    against (tests/bench/): collectd, tcpdump, wrk;
#                                    valgrind for bench_instructions, linux-perf
#                                    for bench_ingest --perf
set -eu

PKGS="build-essential cmake pkg-config fonts-dejavu-core
libmosquitto-dev librrd-dev libsnmp-dev libpcap-dev libjson-c-dev libsqlite3-dev
libmicrohttpd-dev libcurl4-openssl-dev libcmocka-dev libinih-dev
mosquitto mosquitto-clients rrdtool rrdcached snmpd snmp snmpsim sqlite3
iproute2 nftables procps python3 curl openssl clang
python3-aiosmtpd faketime nginx gammu-smsd
tshark mandoc shellcheck lintian debhelper dpkg-dev fakeroot
qemu-user-static mmdebstrap file
gcc-arm-linux-gnueabihf gcc-aarch64-linux-gnu gcc-mipsel-linux-gnu gcc-s390x-linux-gnu
prometheus"
case ${1:-} in
--bench) PKGS="$PKGS collectd-core tcpdump wrk valgrind linux-perf" ;;
"") ;;
*) echo "usage: $0 [--bench]" >&2; exit 2 ;;
esac

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

echo "install-deps: installing:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
# tshark's wireshark-common asks whether non-root users may capture: no
# (the tests run tshark as root, on files).
if command -v debconf-set-selections >/dev/null 2>&1; then
	echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
fi
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
# Debian starts daemons on install; covmon's tests start their own on
# ports they pick, so the system-wide ones are stopped to keep ports free.
for svc in mosquitto rrdcached snmpd collectd nginx gammu-smsd prometheus; do
	if command -v systemctl >/dev/null 2>&1; then
		$SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
	fi
	# Only the daemons the packages started (children of init, where no
	# systemd runs): never a test's own broker or rrdcached running beside.
	$SUDO pkill -x -P 1 "$svc" >/dev/null 2>&1 || true
done
