#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Instructions per stored sample, by thread, of one build against another
# (issue 22): timings on a shared 2-vCPU machine vary by a third from run
# to run; callgrind's instruction counts do not depend on what else the
# machine does. Each build's collector runs under callgrind with
# instrumentation off while AGENTS agents' files are made, on while
# ROUNDS rounds of their samples are stored on those files, then dumped.
# Short retention (three RRAs of 60 rows) and the default min_step, for
# both builds alike; each build with its own fleetsim. A benchmark, not a
# test: ctest does not run it.
#
#   tests/bench/bench_instructions.sh [--agents N] [--rounds R]
#       [--mode rrdcached|direct] [--save DIR] BUILD_DIR [BUILD_DIR...]
#
# --save DIR: the callgrind files are copied there (callgrind_annotate
#   DIR/cg-b1.PID-NN for thread NN of the first build).
set -euo pipefail

AGENTS=1000 ROUNDS=4 MODE=rrdcached SAVE=
usage() { sed -n '13,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--agents) AGENTS=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--mode) MODE=$2; shift 2 ;;
	--save) SAVE=$2; shift 2 ;;
	-h|--help) usage ;;
	-*) echo "bench_instructions: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || usage
case $MODE in direct|rrdcached) ;; *) usage ;; esac
BUILDS=()
for b in "$@"; do
	[ -x "$b/covmon-collector" ] || { echo "bench_instructions: no collector in $b" >&2; exit 2; }
	BUILDS+=("$(cd "$b" && pwd)")
done

export TEST_LIMIT=7200
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$COVMON_SRC/tests/bench/lib.sh"
CLEANUPS+=("rm -rf '$T/data'")
need mosquitto curl python3 valgrind callgrind_control
[ "$MODE" = direct ] || need rrdcached

bench_fleet "$AGENTS"
bench_broker
RES=$T/results.txt
: > "$RES"

run_build() {
	local b=$1 tag=$2 data=$T/data extra=() cached=
	rm -rf "$data"; mkdir -p "$data/rrd"
	extra=("[rrd]" "retention = RRA:AVERAGE:0.5:1:60 RRA:MIN:0.5:1:60 RRA:MAX:0.5:1:60")
	if [ "$MODE" = rrdcached ]; then
		bench_rrdcached "$data/rrd" -w 300 -z 60
		cached=$RRDCACHED_PID
		extra+=("rrdcached = unix:$RRDCACHED_SOCK")
	fi
	HTTP_PORT=$(free_port)
	write_collector_conf "$T/collector.conf" "$data" "$HTTP_PORT" "[collector]" \
	    "inventory = $T/inv/inventory.csv" "queue_size = 65536" "${extra[@]}"
	# min_step: the default (older builds know no such key); clock skew
	# and keepalive as the other benches.
	sed -i '/^min_step/d; s/^max_clock_skew = .*/max_clock_skew = 86400/; s/^keepalive = .*/keepalive = 60/' \
	    "$T/collector.conf"
	valgrind --tool=callgrind --instr-atstart=no --separate-threads=yes \
	    --callgrind-out-file="$T/cg-$tag.%p" \
	    "$b/covmon-collector" -c "$T/collector.conf" -v > "$T/collector-$tag.log" 2>&1 &
	local collector=$!
	PIDS+=("$collector")
	# Connected, then time for its subscriptions to be taken: samples
	# published before are not kept for it (a run that stored nothing
	# after the collector connected, once under callgrind: likely this).
	wait_for 120 mqtt_connected || fail "$tag: collector did not connect"
	sleep 5
	local tsc=$(( ($(date +%s) - 20 * 86400) / 60 * 60 ))
	say "$tag: making $AGENTS agents' files (not counted)"
	"$b/tests/fleetsim/covmon-fleetsim" -p "$MQTT_PORT" -i "$T/inv/inventory.csv" -a "$AGENTS" \
	    --interval 60 -r 0 -n 1 --seq-start 1 --start-ts "$tsc" > /dev/null
	bench_wait_stored "$AGENTS" 120
	sleep 3
	local s0 s1
	s0=$(metric covmon_samples_stored_total)
	callgrind_control -i on "$collector" > /dev/null 2>&1
	say "$tag: $ROUNDS rounds on those files (counted)"
	"$b/tests/fleetsim/covmon-fleetsim" -p "$MQTT_PORT" -i "$T/inv/inventory.csv" -a "$AGENTS" \
	    --interval 60 -r 0 -n "$ROUNDS" --seq-start 2 --start-ts $(( tsc + 60 )) > /dev/null
	bench_wait_stored $(( s0 + AGENTS * ROUNDS )) 120
	callgrind_control -i off "$collector" > /dev/null 2>&1
	s1=$(metric covmon_samples_stored_total)
	callgrind_control -d "$collector" > /dev/null 2>&1
	local f n=$(( s1 - s0 )) ir who
	for f in "$T/cg-$tag.$collector".*; do
		ir=$(awk '/^totals:/ { print $2; exit }' "$f")
		[ "${ir:-0}" -gt 0 ] || continue
		who=other
		grep -Eq '^c?fn=.*\bwriter_main\b' "$f" && who=writer
		grep -Eq '^c?fn=.*\bon_message\b' "$f" && who=mqtt
		grep -Eq '^c?fn=.*\bcreator_main\b' "$f" && who=creator
		echo "$tag $who $ir $n" >> "$RES"
	done
	bench_stop "$collector" "$cached"
}

i=0
for b in "${BUILDS[@]}"; do
	i=$(( i + 1 ))
	run_build "$b" "b$i"
done
python3 - "$RES" "${BUILDS[@]}" <<'PY'
import sys
res, builds = sys.argv[1], sys.argv[2:]
per = {}
for l in open(res):
    tag, who, ir, n = l.split()
    d = per.setdefault(tag, {})
    d[who] = d.get(who, 0) + int(ir) / int(n)
whos = ["mqtt", "writer", "creator", "other"]
print("instructions per stored sample (callgrind), by thread")
print("%-6s %10s %10s %10s %10s %10s  %s" % ("build", *whos, "total", "dir"))
for i, b in enumerate(builds, 1):
    d = per.get("b%d" % i, {})
    print("%-6s %10.0f %10.0f %10.0f %10.0f %10.0f  %s" % ("b%d" % i,
          *(d.get(w, 0) for w in whos), sum(d.values()), b))
if len(builds) > 1 and "b1" in per:
    t1 = sum(per["b1"].values())
    for i in range(2, len(builds) + 1):
        d = per.get("b%d" % i, {})
        print("b%d / b1: total %.3f, writer %.3f, mqtt %.3f" % (i, sum(d.values()) / t1,
              d.get("writer", 0) / max(per["b1"].get("writer", 1), 1),
              d.get("mqtt", 0) / max(per["b1"].get("mqtt", 1), 1)))
PY
if [ -n "$SAVE" ]; then
	mkdir -p "$SAVE" && cp "$T"/cg-* "$SAVE"/ && say "callgrind files copied to $SAVE"
else
	say "callgrind files and logs in $T (removed on exit)"
fi
