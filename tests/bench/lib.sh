# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What the ingest benchmarks share (bench_ingest.sh, bench_backlog.sh,
# bench_rollout.sh): the build they need, their drivers compiled against
# it, a generated fleet, a broker and an rrdcached tuned for a flood, and
# stopping what they started. Sourced after tests/lib.sh (which gives $T,
# PIDS, free_port, wait_for, need, fail).

SRC=$COVMON_SRC B=$COVMON_BUILD
FLEETSIM=$B/tests/fleetsim/covmon-fleetsim

say() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
now() { date +%s.%N; }

# bench_need_build: the collector and fleetsim of $B, built.
bench_need_build() {
	[ -x "$B/covmon-collector" ] && [ -x "$FLEETSIM" ] ||
		fail "no build in $B (cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j2)"
}

# bench_threads PID: "tid comm utime stime" (clock ticks) for each of PID's
# threads, for bench_threads_cpu.
bench_threads() {
	local t
	for t in /proc/"$1"/task/*; do
		# comm may hold spaces: the fields after its closing parenthesis.
		awk -v tid="${t##*/}" -v comm="$(tr ' ' _ < "$t/comm")" \
		    '{ sub(/^.*\) /, ""); print tid, comm, $12, $13 }' "$t/stat" 2>/dev/null || true
	done
}

# bench_threads_cpu BEFORE AFTER SECS: each thread's user and system CPU %
# between two bench_threads listings, busiest first, on one line
# ("name:tid=user/sys"); threads born between the two count from zero.
bench_threads_cpu() {
	awk -v secs="$3" -v hz="$(getconf CLK_TCK)" '
		FNR == NR { u[$1] = $3; s[$1] = $4; next }
		{ du = ($3 - u[$1]) * 100 / hz / secs; ds = ($4 - s[$1]) * 100 / hz / secs
		  if (du + ds > 0) printf "%.1f %s:%s=%.1f/%.1f\n", du + ds, $2, $1, du, ds }
	' "$1" "$2" | sort -rn | cut -d' ' -f2 | paste -sd' '
}

# bench_need_disk MB: refuses to start rather than fill the disk.
bench_need_disk() {
	local free_mb
	free_mb=$(df -Pm "$T" | awk 'NR == 2 { print $4 }')
	[ "$free_mb" -gt "$1" ] || fail "$1 MB needed in $T, $free_mb MB free"
}

# bench_drivers: $T/bench_pub (publishes a fleet's samples, covmon's or
# collectd's format) and $T/bench_rrd_raw (reads RRD files' last updates;
# librrd alone, as collectd's files have no covmon in them).
bench_drivers() {
	need cc
	cc -O2 -D_GNU_SOURCE -I"$SRC/common" -I"$SRC/tests/fleetsim" "$SRC/tests/bench/bench_pub.c" \
	    "$SRC/tests/fleetsim/model.c" "$B/libcovmon_common.a" -lmosquitto -ljson-c -lm \
	    -o "$T/bench_pub" || fail "cannot build bench_pub"
	cc -O2 "$SRC/tests/bench/bench_rrd_raw.c" -lrrd -o "$T/bench_rrd_raw" ||
		fail "cannot build bench_rrd_raw"
}

# bench_fleet N [M]: an inventory of N hamlets, one agent each, ten to a
# commune, in $T/inv/inventory.csv; the first M (default N) agents in file
# order, "province agent" a line, in $T/agents.txt (as fleetsim takes them).
bench_fleet() {
	local n=$1 m=${2:-$1}
	python3 "$SRC/tests/data/gen-inventory.py" --hamlets "$n" \
	    --communes $(( n / 10 > 0 ? n / 10 : 1 )) --agent-pct 100 \
	    --out-dir "$T/inv" > /dev/null
	python3 - "$T/inv/inventory.csv" "$m" > "$T/agents.txt" <<'PY'
import csv, sys
n = int(sys.argv[2])
for r in csv.DictReader(open(sys.argv[1], encoding="utf-8")):
    if r["agent_id"] and n > 0:
        print(r["province_id"], r["agent_id"]); n -= 1
PY
}

# bench_broker: mosquitto on a free port, nothing kept or queued for an
# absent client, a hundred messages in flight; sets MQTT_PORT, BROKER_PID.
bench_broker() {
	need mosquitto
	MQTT_PORT=$(free_port)
	cat > "$T/mosquitto.conf" <<EOF
listener $MQTT_PORT 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 0
max_inflight_messages 100
EOF
	mosquitto -c "$T/mosquitto.conf" > "$T/mosquitto.log" 2>&1 &
	BROKER_PID=$!
	PIDS+=("$BROKER_PID")
	wait_for 10 bash -c "echo > /dev/tcp/127.0.0.1/$MQTT_PORT" || fail "mosquitto did not start"
}

# bench_rrdcached BASE [rrdcached options]: files restricted to BASE, a
# journal in $T/journal, the caller's timers (-w, -z, -f); sets
# RRDCACHED_SOCK and RRDCACHED_PID.
bench_rrdcached() {
	local base=$1; shift
	need rrdcached
	mkdir -p "$T/journal" "$base"
	RRDCACHED_SOCK=$T/rrdcached.sock
	rm -f "$RRDCACHED_SOCK"
	rrdcached -g -l "unix:$RRDCACHED_SOCK" -p "$T/rrdcached.pid" -b "$base" -B \
	    -j "$T/journal" "$@" -F > "$T/rrdcached.log" 2>&1 &
	RRDCACHED_PID=$!
	PIDS+=("$RRDCACHED_PID")
	wait_for 10 test -S "$RRDCACHED_SOCK" || fail "rrdcached did not start"
}

# bench_stop PID...: TERM, up to 30 s to finish (a collector storing its
# queue, rrdcached flushing), then KILL; empty arguments are passed over.
bench_stop() {
	local p
	for p in "$@"; do
		[ -n "$p" ] || continue
		kill "$p" 2>/dev/null || true
		for _ in $(seq 1 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

# bench_wait_stored TARGET SECS [soft]: until the collector on $HTTP_PORT
# has stored TARGET samples, waiting on progress: fails only when nothing
# was stored for SECS (soft: says so in $T/results.txt and goes on, as
# fleetsim does not resend what a full queue refused).
bench_wait_stored() {
	local last=-1 v t=$SECONDS
	while v=$(metric covmon_samples_stored_total); [ "$v" -lt "$1" ]; do
		if [ "$v" != "$last" ]; then last=$v; t=$SECONDS; fi
		if [ $((SECONDS - t)) -ge "$2" ]; then
			[ -n "${3:-}" ] || fail "stored $v < $1, nothing stored for $2 s"
			echo "stored $v of $1: nothing more for $2 s (queue_full $(metric covmon_queue_full_total))" |
			    tee -a "$T/results.txt" >&2
			return 0
		fi
		sleep 0.1
	done
}
