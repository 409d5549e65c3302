#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The first path through the system: an agent probes 127.0.0.1 over ICMP,
# publishes through a real mosquitto, the collector stores the samples in
# the agent's RRD file and acks them; a malformed sample published by hand
# is refused, counted, and does not stop ingest; an agent id with '/' or
# '..' never reaches a file path.
. "$(dirname "$0")/../lib.sh"
need mosquitto mosquitto_pub rrdtool curl
[ "$(id -u)" -eq 0 ] || [ "$(sysctl -n net.ipv4.ping_group_range 2>/dev/null | awk '{print ($1<=0 && $2>=0)}')" = 1 ] \
	|| skip "needs root or ping sockets for ICMP"

# The collector starts before its broker, as after a power cut: it must
# keep trying until the broker is there.
MQTT_PORT=$(free_port)
HTTP_PORT=$(free_port)
write_collector_conf "$T/collector.conf" "$T/data" "$HTTP_PORT"
start_collector "$T/collector.conf" "$T/collector.log"
wait_for 10 curl -sf "http://127.0.0.1:$HTTP_PORT/api/v1/health" || fail "collector HTTP not up"
sleep 2
start_broker
wait_for 15 grep -q "connected as" "$T/collector.log" || fail "collector never connected to a broker that came late"
pass "collector started before the broker, connected when it came"

cat > "$T/agent.conf" <<CONF
[agent]
id = lc-batxat-suoichai-01
province = lao-cai
interval = 2
spool_dir = $T/spool
start_delay = 0

[mqtt]
host = 127.0.0.1
port = $MQTT_PORT
keepalive = 10
ack_timeout = 5

[probe.icmp]
targets = 127.0.0.1
count = 5
timeout_ms = 500
CONF
"$COVMON_BUILD/covmon-agent" -c "$T/agent.conf" -vv > "$T/agent.log" 2>&1 &
AGENT_PID=$!
PIDS+=("$AGENT_PID")

rrd="$T/data/rrd/lao-cai/lc-batxat-suoichai-01/icmp.rrd"
wait_for 30 test -f "$rrd" || fail "no RRD file at $rrd"
wait_for 30 bash -c "[ \$(curl -sf http://127.0.0.1:$HTTP_PORT/metrics | awk '\$1==\"covmon_samples_stored_total\"{print \$2}') -ge 3 ]" \
	|| fail "fewer than 3 samples stored"
pass "samples stored: $(metric covmon_samples_stored_total)"

# The RRD holds finite RTTs.
last=$(rrdtool lastupdate "$rrd")
echo "$last"
avg=$(echo "$last" | awk 'NR==1 { for (i=1;i<=NF;i++) if ($i=="icmp_rtt_avg_ms") col=i } NR==3 { print $(col+1) }')
python3 -c "import math,sys; v=float('$avg'); sys.exit(0 if math.isfinite(v) and 0 <= v < 100 else 1)" \
	|| fail "icmp_rtt_avg_ms not finite: '$avg'"
pass "rrdtool lastupdate icmp_rtt_avg_ms = $avg"
info=$(rrdtool info "$rrd")
grep -q '^step = 2$' <<<"$info" || fail "RRD step is not the agent's interval"
grep -q '^ds\[icmp_rtt_avg_ms\].minimal_heartbeat = 6$' <<<"$info" || fail "heartbeat is not 3 x step"
rows=$(rrdtool fetch "$rrd" AVERAGE -s -60 | awk 'NF>1 && $3 != "-nan" && $3 != "nan"' | wc -l)
[ "$rows" -ge 2 ] || fail "rrdtool fetch shows $rows rows with values"
pass "rrdtool fetch: $rows rows with values"

# The agent saw its acks: the spool drains.
wait_for 20 bash -c "[ \$(curl -sf http://127.0.0.1:$HTTP_PORT/metrics | awk '\$1==\"covmon_acks_sent_total\"{print \$2}') -ge 3 ]" \
	|| fail "no acks sent"
sub_out="$T/acks.txt"
timeout 6 mosquitto_sub -p "$MQTT_PORT" -t 'covmon/v1/lao-cai/lc-batxat-suoichai-01/ack' -C 1 > "$sub_out" || true
grep -q '"seq":' "$sub_out" || fail "no ack seen on the agent's ack topic"
pass "ack on the agent's topic: $(cat "$sub_out")"

# Malformed samples: refused, counted by reason, collector keeps running.
stored_before=$(metric covmon_samples_stored_total)
mosquitto_pub -p "$MQTT_PORT" -q 1 -t covmon/v1/lao-cai/lc-x/sample -m 'not json'
mosquitto_pub -p "$MQTT_PORT" -q 1 -t covmon/v1/lao-cai/lc-x/sample -m '{"v":2,"agent":"lc-x","seq":1,"ts":1,"interval":60,"m":{}}'
mosquitto_pub -p "$MQTT_PORT" -q 1 -t 'covmon/v1/lao-cai/..%2f..%2fetc/sample' -m '{"v":1,"agent":"..","seq":1,"ts":1,"interval":60,"m":{}}'
mosquitto_pub -p "$MQTT_PORT" -q 1 -t 'covmon/v1/lao-cai/a..b/sample' -m '{"v":1,"agent":"../../x","seq":1,"ts":1,"interval":60,"m":{"icmp_loss_pct":0}}'
now=$(date +%s)
mosquitto_pub -p "$MQTT_PORT" -q 1 -t 'covmon/v1/lao-cai/lc-y/sample' -m "{\"v\":1,\"agent\":\"lc-y\",\"seq\":1,\"ts\":$now,\"interval\":60,\"m\":{\"icmp_loss_pct\":1e309}}"
wait_for 10 bash -c "curl -sf http://127.0.0.1:$HTTP_PORT/metrics | grep -q 'reason=\"non_finite\"} 1'" \
	|| { curl -s "http://127.0.0.1:$HTTP_PORT/metrics" | grep rejected; fail "non_finite not counted"; }
m=$(curl -sf "http://127.0.0.1:$HTTP_PORT/metrics")
echo "$m" | grep 'covmon_samples_rejected_total{' | grep -v ' 0$'
echo "$m" | grep -q 'reason="bad_json"} 1' || fail "bad_json not counted"
echo "$m" | grep -q 'reason="bad_version"} 1' || fail "bad_version not counted"
echo "$m" | grep -q 'reason="bad_topic"} 1' || fail "bad_topic not counted"
echo "$m" | grep -q 'reason="bad_id"} 1' || fail "bad_id (agent ../../x) not counted"
grep -q 'refused (bad_json)' "$T/collector.log" || fail "rejection not logged"
kill -0 "$COLLECTOR_PID" || fail "collector died"
# Nothing outside the agents' directories; no '..' anywhere.
find "$T/data" | grep -v -E "^$T/data(/state\.db.*|/rrd|/rrd/\.undo|/rrd/lao-cai|/rrd/lao-cai/lc-batxat-suoichai-01(/icmp\.rrd|/site\.rrd)?)?$" && fail "unexpected files in data_dir"
[ ! -e "$T/etc" ] && [ ! -e "$T/x" ] || fail "a file escaped data_dir"
# Ingest continues after the bad input.
wait_for 20 bash -c "[ \$(curl -sf http://127.0.0.1:$HTTP_PORT/metrics | awk '\$1==\"covmon_samples_stored_total\"{print \$2}') -gt $stored_before ]" \
	|| fail "ingest stopped after bad input"
pass "bad input refused and counted; ingest continues ($(metric covmon_samples_stored_total) stored)"

# SIGHUP reloads the probes (as root the raw socket opens again).
sed -i 's/^count = 5$/count = 4/' "$T/agent.conf"
kill -HUP "$AGENT_PID"
wait_for 10 grep -q "probes reloaded" "$T/agent.log" || fail "SIGHUP did not reload the probes"
pass "SIGHUP: $(grep -o 'reload: probes reloaded.*' "$T/agent.log" | head -1)"

# Clean stop on SIGTERM.
kill -TERM "$AGENT_PID" "$COLLECTOR_PID"
wait_for 10 bash -c "! kill -0 $AGENT_PID 2>/dev/null && ! kill -0 $COLLECTOR_PID 2>/dev/null" || fail "did not stop on SIGTERM"
grep -q stopping "$T/collector.log" || fail "collector did not log its stop"
pass "clean stop on SIGTERM"
