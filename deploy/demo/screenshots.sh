#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Screenshots of the demo, for the README (OUTDIR = docs/img) or a review:
# runs deploy/demo.sh with Mường Khương's backhaul cut and left cut, waits
# until the fleet is up and stored (Thái Nguyên's figures read back from
# the API, two minutes of samples from every agent) and the cut's alert has
# fired, then takes headless Chromium screenshots:
#   overview.png        /                          1280 px wide
#   province.png        /province/thai-nguyen      1280
#   site.png            /hamlet/bx-suoi-chai       1280
#   site-phone.png      /hamlet/bx-suoi-chai       390 x 844 (a phone)
#   alerts-phone.png    /alerts                    390 x 844
#   site-phone-vi.png   /hamlet/bx-suoi-chai?lang=vi  390 x 844
# Stops the demo and removes its data when done. As root (the demo's agent
# probes with ICMP); installs chromium from Debian when it is missing.
#   deploy/demo/screenshots.sh [--duration S] OUTDIR
#   COVMON_BUILD=build deploy/demo/screenshots.sh OUTDIR   (that build, not rebuilt)
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
duration=900
while [ $# -gt 0 ]; do
	case $1 in
	--duration) duration=$2; shift 2 ;;
	-h|--help) sed -n '2,17p' "$0"; exit 0 ;;
	-*) echo "screenshots: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || { echo "usage: deploy/demo/screenshots.sh [--duration S] OUTDIR" >&2; exit 2; }
out=$1
[ "$(id -u)" -eq 0 ] || { echo "screenshots: run as root (the demo's agent needs a raw socket)" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)

chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chrome" ] && command -v apt-get >/dev/null 2>&1; then
	echo "screenshots: installing chromium (apt-get install --no-install-recommends chromium)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null
	chrome=$(command -v chromium || true)
fi
[ -n "$chrome" ] || { echo "screenshots: chromium is not installed" >&2; exit 1; }

build=()
[ -n "${COVMON_BUILD:-}" ] && build=(--no-build)
work=$(mktemp -d /tmp/covmon-shots.XXXXXX)
"$src/deploy/demo.sh" "${build[@]+"${build[@]}"}" --duration "$duration" \
	--cut-after 20 --cut-for 0 > "$work/demo.log" 2>&1 &
demo_pid=$!
run=""
finish() {
	local rc=$?
	trap - EXIT INT TERM
	kill -TERM "$demo_pid" 2>/dev/null || true
	wait "$demo_pid" 2>/dev/null || true
	if [ $rc -ne 0 ]; then
		echo "screenshots: failed; the demo's output:" >&2
		tail -n 30 "$work/demo.log" >&2 || true
	fi
	[ -n "$run" ] && rm -rf "$run"
	rm -rf "$work"
	exit $rc
}
trap finish EXIT
trap 'exit 130' INT TERM

# until SECONDS WHAT COMMAND...: polls COMMAND until it succeeds.
until_ok() {
	local secs=$1 what=$2 end
	shift 2
	end=$(($(date +%s) + secs))
	until "$@" >/dev/null 2>&1; do
		kill -0 "$demo_pid" 2>/dev/null || { echo "screenshots: the demo stopped" >&2; return 1; }
		[ "$(date +%s)" -lt "$end" ] || { echo "screenshots: $what: not after $secs s" >&2; return 1; }
		sleep 1
	done
}

# A build takes a while; the demo prints its URL when everything runs.
until_ok 1800 "the demo's start" grep -q "dashboard   http" "$work/demo.log"
url=$(awk '/dashboard   http/ { print $2; exit }' "$work/demo.log")
url=${url%/}
run=$(grep -o '/tmp/covmon-demo\.[A-Za-z0-9]*' "$work/demo.log" | head -1)
agents=$(awk -F, 'NR > 1 && $10 != "" { n++ } END { print n }' "$src/deploy/demo/inventory.csv")
echo "screenshots: demo at $url, waiting for its $agents agents"

until_ok 300 "Thái Nguyên's figures" grep -q "Thái Nguyên: 92 communes" "$work/demo.log"
stored() {
	local v
	v=$(curl -sf "$url/metrics" | awk '$1 == "covmon_samples_stored_total" { print int($2) }')
	[ "${v:-0}" -ge $((agents * 4)) ]
}
until_ok 600 "two minutes of samples from every agent" stored
until_ok 300 "the cut's alert" grep -q "firing hamlet_down" "$work/demo.log"
grep -o "Thái Nguyên: 92 communes.*" "$work/demo.log" | tail -1 | sed 's/^/screenshots: /'

shot() {
	local name=$1 path=$2 size=$3 profile
	profile=$(mktemp -d "$work/chrome.XXXXXX")
	timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-dev-shm-usage --hide-scrollbars --user-data-dir="$profile" \
		--window-size="$size" --virtual-time-budget=8000 \
		--screenshot="$out/$name.png" "$url$path" >/dev/null 2>>"$work/chrome.log"
	[ -s "$out/$name.png" ] || { echo "screenshots: no screenshot of $path" >&2; return 1; }
	echo "screenshots: $out/$name.png  ($path at $size)"
}
shot overview / 1280,1000
shot province /province/thai-nguyen 1280,1800
shot site /hamlet/bx-suoi-chai 1280,1500
shot site-phone /hamlet/bx-suoi-chai 390,844
shot alerts-phone /alerts 390,844
shot site-phone-vi "/hamlet/bx-suoi-chai?lang=vi" 390,844
