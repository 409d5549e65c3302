#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The collector's HTTP side on loopback: requests per second (wrk, 10 s a
# run, 3 runs, median, with wrk's p99 latency) on /api/v1/provinces, on a
# cached graph and on the overview page; and the time to render each graph
# template uncached over one day (the first request of each key; median of
# 5 hamlets, communes for coverage). Ten agents are given a day of samples
# at a 60 s interval first. The inventory is tests/data's (369 hamlets)
# unless --inventory names another (tests/data/gen-inventory.py makes one
# of any size). Not a test: prints figures. Needs mosquitto, wrk, curl and
# a build tree (COVMON_BUILD, default build/).
#   tests/bench/bench_http.sh [--duration S] [--runs N] [--connections N]
#       [--inventory FILE --targets FILE]
. "$(dirname "$0")/../lib.sh"
need mosquitto wrk curl python3
duration=10 runs=3 conns=32
inv=$COVMON_SRC/tests/data/inventory.csv tgt=$COVMON_SRC/tests/data/targets.csv
while [ $# -gt 0 ]; do
	case $1 in
	--duration) duration=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--connections) conns=$2; shift 2 ;;
	--inventory) inv=$2; shift 2 ;;
	--targets) tgt=$2; shift 2 ;;
	*) echo "usage: $0 [--duration S] [--runs N] [--connections N] [--inventory FILE --targets FILE]" >&2; exit 2 ;;
	esac
done

start_broker
HTTP_PORT=$(free_port)
BASE="http://127.0.0.1:$HTTP_PORT"
write_collector_conf "$T/collector.conf" "$T/data" "$HTTP_PORT"
sed -i "/^\[collector\]/a inventory = $inv\ntargets = $tgt\neval_interval = 5" \
    "$T/collector.conf"
start_collector "$T/collector.conf" "$T/collector.log"
wait_for 120 curl -sf -o /dev/null "$BASE/" || fail "collector not up"

echo "== a day of samples for 10 agents (interval 60 s)"
timeout 300 "$COVMON_BUILD/tests/fleetsim/covmon-fleetsim" -p "$MQTT_PORT" \
    -i "$inv" -a 10 -n 1440 --interval 60 --backfill \
    --rate 0 --ack --ack-wait 120 > "$T/fleetsim.log" 2>&1 || fail "fleetsim: $(tail -3 "$T/fleetsim.log")"
tail -1 "$T/fleetsim.log"
sleep 6	# an evaluation or two: rollup files

# The hamlets of the first ten agents, and five communes.
mapfile -t hamlets < <(python3 -c '
import csv, sys
print("\n".join([r["hamlet_id"] for r in csv.DictReader(open(sys.argv[1], encoding="utf-8"))
                 if r["agent_id"]][:10]))' "$inv")
mapfile -t communes < <(curl -s "$BASE/api/v1/provinces" | python3 -c '
import json, sys
ids = [c["id"] for p in json.load(sys.stdin)["provinces"] for c in p["communes"]]
print("\n".join(ids[:5]))')

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "== uncached render, 1 day, PNG (ms; median of 5 scopes, first request each)"
for t in latency throughput radio clients coverage; do
	if [ "$t" = coverage ]; then ids=("${communes[@]}"); else ids=("${hamlets[@]}"); fi
	times=()
	for id in "${ids[@]}"; do
		[ ${#times[@]} -lt 5 ] || break
		r=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$BASE/graph/$t/$id.png?range=1d")
		# shellcheck disable=SC2086 # the code and the time, as $1 and $2
		set -- $r
		# A site without that probe has no file (404): next one.
		[ "$1" = 404 ] && continue
		[ "$1" = 200 ] || fail "/graph/$t/$id.png: HTTP $1"
		times+=("$(python3 -c "print(round($2 * 1000, 1))")")
	done
	printf '%-11s %6s ms   (all: %s)\n' "$t" "$(printf '%s\n' "${times[@]}" | median)" "${times[*]}"
done
r=$(curl -s -o /dev/null -w '%{time_total}' "$BASE/graph/latency/${hamlets[0]}.png?range=1d")
echo "latency again (cached): $(python3 -c "print(round($r * 1000, 2))") ms"

# wrk's "99%  12.34ms" in ms.
p99_ms() {
	awk '$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
		print v * (u == "us" ? 0.001 : u == "s" ? 1000 : u == "m" ? 60000 : 1) }'
}
bench() {
	local name=$1 url=$2 rps=() p99=() out
	for _ in $(seq 1 "$runs"); do
		out=$(wrk -t2 -c"$conns" -d"${duration}s" --latency "$url")
		rps+=("$(echo "$out" | awk '/^Requests\/sec/ { print $2 }')")
		p99+=("$(echo "$out" | p99_ms)")
	done
	printf '%-26s %10s req/s  p99 %8s ms   (runs: %s; p99 %s)\n' "$name" \
	    "$(printf '%s\n' "${rps[@]}" | median)" "$(printf '%s\n' "${p99[@]}" | median)" \
	    "${rps[*]}" "${p99[*]}"
}
echo "== wrk -t2 -c$conns -d${duration}s, $runs runs, median"
bench /api/v1/provinces "$BASE/api/v1/provinces"
bench "cached graph (latency 1d)" "$BASE/graph/latency/${hamlets[0]}.png?range=1d"
bench "overview page /" "$BASE/"
bench "site page /hamlet/ID" "$BASE/hamlet/${hamlets[0]}"
echo "provinces body: $(curl -s "$BASE/api/v1/provinces" | wc -c) bytes; graph: $(curl -s "$BASE/graph/latency/${hamlets[0]}.png?range=1d" | wc -c) bytes"
stop_collector
