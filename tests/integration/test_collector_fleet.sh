#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A fleet of 50 simulated agents (fleetsim --ack: they keep every sample
# until the collector acks it, and resend) through a real mosquitto: every
# sample is stored exactly once, the RRD rows hold them, the counters add
# up. Twice: writing the RRD files directly, then through a real rrdcached
# (whose files hold the values once the collector stopped and flushed).
. "$(dirname "$0")/../lib.sh"
need mosquitto rrdtool rrdcached sqlite3 curl python3

AGENTS=50 COUNT=20
start_broker

# run_fleet NAME DATA_DIR [extra collector config lines]
run_fleet() {
	local name=$1 dd=$2; shift 2
	HTTP_PORT=$(free_port)
	write_collector_conf "$T/$name.conf" "$dd" "$HTTP_PORT" \
	    "[rrd]" "retention = RRA:AVERAGE:0.5:1:3600 RRA:MAX:0.5:60:48" "$@"
	sed -i "s/^client_id = .*/client_id = covmon-collector-$name-$$/" "$T/$name.conf"
	start_collector "$T/$name.conf" "$T/$name.log" -vv
	wait_for 10 curl -sf "http://127.0.0.1:$HTTP_PORT/api/v1/health" || fail "$name: collector not up"
	wait_for 10 bash -c "curl -sf http://127.0.0.1:$HTTP_PORT/metrics | grep -q '^covmon_mqtt_connected 1'" \
	    || fail "$name: collector not connected"
	# Interval 1 s, timestamps in the past (--backfill): one RRD row per sample.
	local t0=$SECONDS
	timeout 80 "$COVMON_BUILD/tests/fleetsim/covmon-fleetsim" -p "$MQTT_PORT" \
	    -i "$COVMON_SRC/tests/data/inventory.csv" -a $AGENTS -n $COUNT --interval 1 --backfill \
	    --rate 0 --ack --ack-timeout 5 --ack-wait 40 --ledger "$T/$name.csv" \
	    > "$T/$name-fleetsim.log" 2>&1 || { cat "$T/$name-fleetsim.log"; fail "$name: fleetsim failed (the collector sent $(metric covmon_acks_sent_total) acks)"; }
	cat "$T/$name-fleetsim.log"
	grep -q "acked=$((AGENTS * COUNT)) " "$T/$name-fleetsim.log" ||
		fail "$name: not every sample acked (the collector sent $(metric covmon_acks_sent_total) acks)"
	pass "$name: $AGENTS agents x $COUNT samples acked in $((SECONDS - t0)) s"
	ledger identity "http://127.0.0.1:$HTTP_PORT/metrics" || fail "$name: counters do not add up"
	[ "$(metric covmon_samples_stored_total)" -eq $((AGENTS * COUNT)) ] \
	    || fail "$name: covmon_samples_stored_total $(metric covmon_samples_stored_total), made $((AGENTS * COUNT))"
	ledger check --fleet "$T/$name.csv" "$T/$name.log" || fail "$name: ledger check"
	pass "$name: stored = $(metric covmon_samples_stored_total), duplicates $(metric covmon_samples_duplicate_total), each (agent, seq) once"
	stop_collector
	no_crash "$T/$name.log"
}

run_fleet direct "$T/direct"
ledger rrd --data "$T/direct" "$T/direct.log" || fail "direct: RRD rows"
[ "$(find "$T/direct/rrd" -name '*.rrd' | wc -l)" -ge $((AGENTS * 3)) ] || fail "direct: too few RRD files"
pass "direct: rrdtool fetch shows every sample of every agent"

# Through rrdcached: the files get the values only when flushed (-w 3600),
# here by the collector's own flush when it stops.
start_rrdcached
run_fleet cached "$T/data" "rrdcached = unix:$RRDCACHED_SOCK" "wal_flush_interval = 1h"
grep -q "through rrdcached" "$T/cached.log" || fail "cached: collector not writing through rrdcached"
wal=$(sqlite3 "$T/data/state.db" "SELECT count(*) FROM wal")
[ "$wal" -eq 0 ] || fail "cached: $wal write-ahead log entries left after a clean stop"
# Read the files themselves, not through the daemon: the collector flushed.
ledger rrd --data "$T/data" "$T/cached.log" || fail "cached: RRD rows after the collector's flush"
pass "cached: values in the files after the collector stopped; write-ahead log empty"
kill -0 "$RRDCACHED_PID" || fail "rrdcached died"
kill -0 "$BROKER_PID" || fail "mosquitto died"
