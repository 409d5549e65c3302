#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The broker stopped mid-stream and started again, first with its
# persistence (the collector's session and queue survive), then without
# (the session is gone: only resubscribing on connect brings samples back).
# The collector reconnects each time (covmon_mqtt_connects_total), ingest
# resumes, and the ledger check passes: every (agent, seq) the 20 simulated
# agents made is stored exactly once, the counters add up, the RRD rows
# hold every sample.
. "$(dirname "$0")/../lib.sh"
need mosquitto rrdtool sqlite3 curl python3

AGENTS=20 COUNT=500
start_broker
collector_up "[rrd]" "retention = RRA:AVERAGE:0.5:1:3600"

# 20 agents x 500 samples at 400 samples/s: a stream of about 25 s.
fleet_start -a $AGENTS -n $COUNT --interval 1 --backfill --rate 400 --ack --ack-timeout 3 \
    --ack-wait 60 --broker-timeout 60

# restart_broker SECONDS_DOWN [config lines]
restart_broker() {
	local down=$1; shift
	local connects stored
	connects=$(metric covmon_mqtt_connects_total)
	stop_broker
	sleep 1
	wait_for 10 bash -c "! curl -sf http://127.0.0.1:$HTTP_PORT/metrics | grep -q '^covmon_mqtt_connected 1'" \
	    || fail "the collector did not notice the broker going"
	stored=$(metric covmon_samples_stored_total)
	sleep "$down"
	start_broker "$@"
	wait_for 30 bash -c "[ \$(curl -sf http://127.0.0.1:$HTTP_PORT/metrics | awk '\$1==\"covmon_mqtt_connects_total\"{print \$2}') -gt $connects ]" \
	    || fail "the collector did not reconnect"
	wait_for 20 bash -c "[ \$(curl -sf http://127.0.0.1:$HTTP_PORT/metrics | awk '\$1==\"covmon_samples_stored_total\"{print \$2}') -gt $stored ]" \
	    || fail "ingest did not resume after the broker came back"
	pass "broker down ${down} s (${*:-persistence on}): reconnected (connects $connects -> $(metric covmon_mqtt_connects_total)), ingest resumed (stored $stored -> $(metric covmon_samples_stored_total))"
}

sleep 5
restart_broker 4
sleep 4
restart_broker 4 "persistence false"

fleet_acked
ledger_ok
[ "$(metric covmon_mqtt_connects_total)" -ge 3 ] || fail "fewer than 3 connects"
pass "every (agent, seq) stored exactly once through two broker restarts"
stop_collector
no_crash "$T/collector.log"
ledger rrd --data "$T/data" "$T/collector.log" || fail "RRD rows"
pass "the RRD rows hold every sample"
