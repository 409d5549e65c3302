#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Something on the broker's port that answers the collector's CONNECT with
# bytes that are no MQTT (a broker half up, a port taken by another
# program): libmosquitto's network thread ends after such an error (its
# loop returns on a protocol or TLS error instead of reconnecting). The
# collector starts it again, with backoff, and is connected and storing
# once the real broker is back: covmon_mqtt_loop_restarts_total counts it.
. "$(dirname "$0")/../lib.sh"
need mosquitto mosquitto_pub curl python3

start_broker
collector_up
stop_broker
wait_for 10 bash -c "! curl -sf http://127.0.0.1:$HTTP_PORT/metrics | grep -q '^covmon_mqtt_connected 1'" \
    || fail "the collector did not notice the broker going"

# The impostor: reads the CONNECT, answers with a packet of type 0
# (reserved in MQTT 3.1.1: a protocol error), closes.
cat > "$T/impostor.py" <<'PY'
import socket, sys
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1]))); srv.listen(8)
while True:
    c, _ = srv.accept()
    try:
        c.recv(4096)
        c.sendall(b"\x00\x00")
    except OSError:
        pass
    c.close()
PY
python3 "$T/impostor.py" "$MQTT_PORT" > "$T/impostor.log" 2>&1 &
IMP=$!; PIDS+=("$IMP")
wait_for 30 grep -q "connection lost (A network protocol error" "$T/collector.log" \
    || fail "no protocol error met: $(grep -i mqtt "$T/collector.log" | tail -3)"
kill "$IMP"; wait "$IMP" 2>/dev/null || true
pass "an impostor on the broker's port: the collector met a protocol error"

connects=$(metric covmon_mqtt_connects_total)
start_broker
wait_for 30 bash -c "[ \$(curl -sf http://127.0.0.1:$HTTP_PORT/metrics | awk '\$1==\"covmon_mqtt_connects_total\"{print \$2}') -gt $connects ]" \
    || fail "the collector did not connect to the real broker once it was back"
grep -q "network thread gave up" "$T/collector.log" || fail "the restart of the MQTT thread is not logged"
[ "$(metric covmon_mqtt_loop_restarts_total)" -ge 1 ] || fail "covmon_mqtt_loop_restarts_total stays 0"
# And it takes samples: one from a known agent, stored and acked.
mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -t "covmon/v1/lao-cai/lc-batxat-suoichai-01/sample" \
    -m "{\"v\":1,\"agent\":\"lc-batxat-suoichai-01\",\"seq\":1,\"ts\":$(date +%s),\"interval\":10,\"m\":{\"icmp_rtt_ms\":20.5,\"icmp_loss_pct\":0}}"
wait_for 20 bash -c "[ \$(curl -sf http://127.0.0.1:$HTTP_PORT/metrics | awk '\$1==\"covmon_samples_stored_total\"{print \$2}') -ge 1 ]" \
    || fail "nothing stored after the broker came back: $(tail -3 "$T/collector.log")"
pass "the real broker back: MQTT thread started again ($(metric covmon_mqtt_loop_restarts_total) times), connected (connects $connects -> $(metric covmon_mqtt_connects_total)), a sample stored"
stop_collector
no_crash "$T/collector.log"
