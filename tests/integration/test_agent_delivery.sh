#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Delivery that loses nothing on a flaky link: the broker is stopped for a
# while during a run, and the agent is killed with SIGKILL mid-run and
# started again; afterwards every seq from the first to the last is stored
# exactly once (the collector's ledger and the RRD rows show it).
. "$(dirname "$0")/../lib.sh"
need mosquitto rrdtool curl
[ "$(id -u)" -eq 0 ] || skip "needs root for ICMP"

start_broker
HTTP_PORT=$(free_port)
write_collector_conf "$T/collector.conf" "$T/data" "$HTTP_PORT"
# -vv: the collector logs one "stored AGENT seq N" line per sample stored.
start_collector "$T/collector.conf" "$T/collector.log" -vv
wait_for 10 curl -sf "http://127.0.0.1:$HTTP_PORT/api/v1/health" || fail "collector not up"

cat > "$T/agent.conf" <<CONF
[agent]
id = tn-dai-tu-01
province = thai-nguyen
interval = 1
spool_dir = $T/spool
start_delay = 0
[mqtt]
host = 127.0.0.1
port = $MQTT_PORT
keepalive = 5
ack_timeout = 3
[probe.icmp]
targets = 127.0.0.1
count = 3
timeout_ms = 200
CONF
start_agent() {
	"$COVMON_BUILD/covmon-agent" -c "$T/agent.conf" -v >> "$T/agent.log" 2>&1 &
	AGENT_PID=$!; PIDS+=("$AGENT_PID")
}
stored() { grep -c "stored tn-dai-tu-01 seq" "$T/collector.log" || true; }

start_agent
wait_for 20 bash -c "[ \$(grep -c 'stored tn-dai-tu-01 seq' $T/collector.log) -ge 3 ]" || fail "no samples stored"
pass "agent → broker → collector: $(stored) stored"

# The broker goes away for 8 s: the agent keeps probing and spooling.
stop_broker
sleep 8
n_during=$(stored)
start_broker
pass "broker down 8 s, restarted (stored before restart: $n_during)"

# The collector stops answering (SIGSTOP) for 17 s: no acks. After
# ack_timeout the agent sends its oldest unacked sample again, alone, once
# per ack_timeout (the window only every fourth time), instead of its whole
# window each time: a collector that is slow must not be sent more copies
# the slower it gets.
sleep 2
mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -t 'covmon/v1/thai-nguyen/tn-dai-tu-01/sample' \
    > "$T/stopped.txt" 2>/dev/null &
SUB_PID=$!; PIDS+=("$SUB_PID")
sleep 1
kill -STOP "$COLLECTOR_PID"
probes0=$(grep -c "alone until an ack comes" "$T/agent.log" || true)
windows0=$(grep -c "with the window after it" "$T/agent.log" || true)
sleep 17
msgs=$(grep -c . "$T/stopped.txt" || true)
kill -CONT "$COLLECTOR_PID"
kill "$SUB_PID" 2>/dev/null || true
seqs_sent=$(grep -o '"seq":[0-9]*' "$T/stopped.txt" | sort -u | wc -l)
probes=$(( $(grep -c "alone until an ack comes" "$T/agent.log" || true) - probes0 ))
windows=$(( $(grep -c "with the window after it" "$T/agent.log" || true) - windows0 ))
echo "collector stopped 17 s: $msgs samples published, $seqs_sent seqs, $probes timeouts (and $windows with the window)"
[ "$probes" -ge 1 ] || fail "no ack timeout while the collector was stopped"
[ $((probes + windows)) -lt 4 ] || [ "$windows" -ge 1 ] ||
	fail "$probes timeouts, none sent the window again (every fourth should)"
# Each timeout sends one copy: published = distinct seqs + copies, copies
# at most one per timeout (and one more for a seq first sent just before);
# every fourth timeout the window (at most every seq) goes again.
[ "$msgs" -le $((seqs_sent + probes + 1 + windows * seqs_sent)) ] ||
	fail "$msgs samples published for $seqs_sent seqs in $probes timeouts: a window resent"
pass "no acks: one sample per ack timeout ($msgs published, $seqs_sent seqs, $probes timeouts)"

# SIGKILL the agent mid-run, start it again.
sleep 4
kill -9 "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null || true
sleep 2
start_agent
sleep 6
kill -TERM "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null || true
# Let the last acks settle (nothing new is made now).
sleep 2
seqs=$(grep -o 'stored tn-dai-tu-01 seq [0-9]*' "$T/collector.log" | awk '{print $4}')
total=$(echo "$seqs" | wc -l)
uniq=$(echo "$seqs" | sort -n | uniq | wc -l)
first=$(echo "$seqs" | sort -n | head -1)
last=$(echo "$seqs" | sort -n | tail -1)
[ "$total" -eq "$uniq" ] || fail "a seq was stored twice ($total lines, $uniq distinct)"
[ "$first" -eq 1 ] || fail "first stored seq is $first, not 1"
[ "$uniq" -eq "$last" ] || fail "gaps: $uniq distinct seqs from 1 to $last"
pass "seqs 1..$last stored exactly once ($total stores, duplicates refused: $(metric covmon_samples_duplicate_total))"
grep -q "reconnecting" "$T/agent.log" || fail "agent never noticed the broker outage"
rrd="$T/data/rrd/thai-nguyen/tn-dai-tu-01/icmp.rrd"
rows=$(rrdtool fetch "$rrd" AVERAGE -s "-$((last + 60))" | awk 'NF>1 && $2 != "-nan" && $2 != "nan"' | wc -l)
echo "RRD rows with values: $rows (samples stored: $last)"
[ "$rows" -ge $((last * 9 / 10)) ] || fail "RRD has $rows rows for $last samples"
pass "RRD holds the samples"
