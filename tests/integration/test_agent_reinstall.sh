#!/bin/bash
# An agent reinstalled (its spool wiped: a new SD card) counts its seqs from
# 1 again. The collector must see a new spool, not duplicates: before, it
# acked the old last seq, and the agent dropped every new sample unstored.
. "$(dirname "$0")/../lib.sh"
need mosquitto curl

start_broker
HTTP_PORT=$(free_port)
write_collector_conf "$T/collector.conf" "$T/data" "$HTTP_PORT" \
    "[rrd]" "retention = RRA:AVERAGE:0.5:1:600"
start_collector "$T/collector.conf" "$T/collector.log" -vv
wait_for 10 bash -c "curl -sf http://127.0.0.1:$HTTP_PORT/metrics | grep -q '^covmon_mqtt_connected 1'" \
    || fail "collector not connected"
cat > "$T/agent.conf" <<CONF
[agent]
id = lc-reinstall-01
province = lao-cai
interval = 1
spool_dir = $T/spool
start_delay = 0

[mqtt]
host = 127.0.0.1
port = $MQTT_PORT
keepalive = 10
ack_timeout = 5

[probe.tcp]
targets = 127.0.0.1:$MQTT_PORT
CONF
run_agent() {
	"$COVMON_BUILD/covmon-agent" -c "$T/agent.conf" -v >> "$T/agent.log" 2>&1 &
	AGENT_PID=$!
	PIDS+=("$AGENT_PID")
}
stored() { metric covmon_samples_stored_total; }

run_agent
wait_for 30 bash -c "[ \$(curl -sf http://127.0.0.1:$HTTP_PORT/metrics | awk '\$1==\"covmon_samples_stored_total\"{print \$2}') -ge 8 ]" \
    || fail "the first install stored fewer than 8 samples"
kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null || true
sleep 2
before=$(stored)
last=$(grep -o 'stored lc-reinstall-01 seq [0-9]*' "$T/collector.log" | tail -1 | awk '{print $4}')
rm -rf "$T/spool"
run_agent
wait_for 30 bash -c "[ \$(curl -sf http://127.0.0.1:$HTTP_PORT/metrics | awk '\$1==\"covmon_samples_stored_total\"{print \$2}') -ge $((before + 5)) ]" \
    || fail "after the reinstall nothing new is stored ($(stored) stored, $(metric covmon_samples_duplicate_total) duplicates)"
[ "$(metric covmon_seq_resets_total)" -eq 1 ] || fail "seq_resets $(metric covmon_seq_resets_total), want 1"
grep -q "spool was reset" "$T/collector.log" || fail "the reset was not logged"
n=$(grep -c 'stored lc-reinstall-01 seq 1 ' "$T/collector.log")
[ "$n" -eq 2 ] || fail "seq 1 stored $n time(s), want 2 (once per install)"
[ "$(metric covmon_samples_duplicate_total)" -eq 0 ] \
    || fail "$(metric covmon_samples_duplicate_total) of the new install's samples taken for duplicates"
kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null || true
pass "reinstalled agent: first install stored up to seq $last; after the wipe seq 1.. stored again ($before -> $(stored)), 1 reset counted, $(metric covmon_samples_duplicate_total) duplicates"
stop_collector
no_crash "$T/collector.log"
