#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# One agent's samples duplicated, permuted and with gaps, published by hand
# (mosquitto_pub, QoS 1, "prev" set as an agent's spool sets it): each is
# stored exactly once and in seq order; the ack (watched on the agent's ack
# topic) never passes an open gap; once the missing sample arrives
# everything is stored and acked; a gap that never fills is reported after
# [collector] gap_timeout (3 s here) and passed: its held samples are stored
# in order and acked, and the missing seq, when it comes too late, is
# refused as gap_passed (acked, counted).
. "$(dirname "$0")/../lib.sh"
need mosquitto mosquitto_pub mosquitto_sub rrdtool curl python3

AG=lc-order-01 PROV=lao-cai
start_broker
HTTP_PORT=$(free_port)
write_collector_conf "$T/collector.conf" "$T/data" "$HTTP_PORT" \
    "[rrd]" "retention = RRA:AVERAGE:0.5:1:3600"
sed -i 's/^max_clock_skew = .*/&\ngap_timeout = 3/' "$T/collector.conf"
start_collector "$T/collector.conf" "$T/collector.log" -vv
wait_for 10 bash -c "curl -sf http://127.0.0.1:$HTTP_PORT/metrics | grep -q '^covmon_mqtt_connected 1'" \
    || fail "collector not up"

mosquitto_sub -p "$MQTT_PORT" -q 1 -t "covmon/v1/$PROV/$AG/ack" > "$T/acks.txt" 2>&1 &
PIDS+=("$!")
sleep 1

BASE=$(( $(date +%s) - 200 ))
# pub SEQ...: sample SEQ with prev SEQ-1, ts BASE+SEQ, icmp_loss_pct = SEQ.
pub() {
	for s in "$@"; do
		mosquitto_pub -p "$MQTT_PORT" -q 1 -t "covmon/v1/$PROV/$AG/sample" -m \
		    "{\"v\":1,\"agent\":\"$AG\",\"seq\":$s,\"prev\":$((s - 1)),\"ts\":$((BASE + s)),\"interval\":1,\"m\":{\"icmp_loss_pct\":$s,\"if_oper_up\":1}}"
	done
}
max_ack() { python3 -c 'import json,sys; print(max([json.loads(l)["seq"] for l in open(sys.argv[1]) if l.strip()] or [0]))' "$T/acks.txt"; }
stored_seqs() { grep -o "stored $AG seq [0-9]*" "$T/collector.log" | awk '{print $4}' | paste -sd' '; }
wait_ack() { wait_for 10 bash -c "[ \$(python3 -c 'import json,sys; print(max([json.loads(l)[\"seq\"] for l in open(sys.argv[1]) if l.strip()] or [0]))' $T/acks.txt) -ge $1 ]"; }

pub 1 2 2 3
wait_ack 3 || fail "no ack 3 (acks: $(paste -sd' ' "$T/acks.txt"))"
[ "$(stored_seqs)" = "1 2 3" ] || fail "stored: $(stored_seqs)"
pass "in order, 2 duplicated: stored 1 2 3, ack 3"

# 4 is late: 6, 5, 7 wait for it; duplicates of held ones are counted once.
pub 6 5 7 5 7
wait_for 10 bash -c "curl -sf http://127.0.0.1:$HTTP_PORT/metrics | grep -q '^covmon_samples_held 3$'" \
    || fail "6 5 7 not held: $(curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" | grep held)"
sleep 1
[ "$(max_ack)" -eq 3 ] || fail "ack $(max_ack) passed the open gap at 4"
[ "$(stored_seqs)" = "1 2 3" ] || fail "stored past the gap: $(stored_seqs)"
[ "$(metric covmon_samples_duplicate_total)" -eq 3 ] || fail "duplicates $(metric covmon_samples_duplicate_total), expected 3 (2, 5, 7)"
pass "gap at 4: 5 6 7 held, ack stays 3"

pub 4
wait_ack 7 || fail "no ack 7 after the gap filled (acks: $(paste -sd' ' "$T/acks.txt"))"
[ "$(stored_seqs)" = "1 2 3 4 5 6 7" ] || fail "stored: $(stored_seqs)"
[ "$(metric covmon_samples_held)" -eq 0 ] || fail "still held: $(metric covmon_samples_held)"
pass "4 arrives: 4 5 6 7 stored in order, ack 7"

# 8 never comes: 9 and 10 wait, then the gap is reported and passed.
pub 10 9
wait_for 10 bash -c "curl -sf http://127.0.0.1:$HTTP_PORT/metrics | grep -q '^covmon_samples_held 2$'" || fail "9 10 not held"
[ "$(max_ack)" -eq 7 ] || fail "ack $(max_ack) passed the open gap at 8"
t0=$SECONDS
wait_for 15 grep -q "agent $AG: seq 8 to 8 (spool none) never came" "$T/collector.log" || fail "the unfilled gap was not reported"
echo "gap reported after $((SECONDS - t0)) s: $(grep -o "agent $AG: seq 8 to 8 (spool none) never came.*" "$T/collector.log")"
wait_ack 10 || fail "no ack 10 after the gap was passed (acks: $(paste -sd' ' "$T/acks.txt"))"
[ "$(metric covmon_seq_gaps_skipped_total)" -eq 1 ] || fail "covmon_seq_gaps_skipped_total $(metric covmon_seq_gaps_skipped_total)"
[ "$(metric covmon_samples_held_dropped_total)" -eq 0 ] || fail "held_dropped $(metric covmon_samples_held_dropped_total)"
[ "$(metric covmon_samples_held)" -eq 0 ] || fail "held $(metric covmon_samples_held)"
[ "$(stored_seqs)" = "1 2 3 4 5 6 7 9 10" ] || fail "stored: $(stored_seqs)"
pass "gap at 8 never fills: reported and passed, 9 10 stored in order, ack 10"

# 8 comes too late (RRD could not take it behind 10): refused, counted, acked.
n10=$(grep -c '"seq":10' "$T/acks.txt")
pub 8 9
wait_for 10 bash -c "curl -sf http://127.0.0.1:$HTTP_PORT/metrics | grep -q '^covmon_samples_rejected_total{reason=\"gap_passed\"} 1$'" \
    || fail "late 8 not refused as gap_passed: $(curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" | grep gap_passed)"
wait_for 10 bash -c "[ \$(grep -c '\"seq\":10' $T/acks.txt) -gt $n10 ]" || fail "8 and 9 not acked (with 10)"
n10=$(grep -c '"seq":10' "$T/acks.txt")
pub 3
wait_for 10 bash -c "[ \$(grep -c '\"seq\":10' $T/acks.txt) -gt $n10 ]" || fail "duplicate 3 not acked again (with 10)"
[ "$(stored_seqs)" = "1 2 3 4 5 6 7 9 10" ] || fail "stored: $(stored_seqs)"
pass "late 8 refused as gap_passed, acked with 10; duplicate 3 acked again with 10"
echo "acks seen: $(python3 -c 'import json,sys; print(" ".join(str(json.loads(l)["seq"]) for l in open(sys.argv[1]) if l.strip()))' "$T/acks.txt")"

ledger identity "http://127.0.0.1:$HTTP_PORT/metrics" || fail "counters do not add up"
[ "$(metric covmon_samples_received_total)" -eq 15 ] || fail "received $(metric covmon_samples_received_total), published 15"
[ "$(metric covmon_samples_stored_total)" -eq 9 ] || fail "stored $(metric covmon_samples_stored_total)"
stop_collector
no_crash "$T/collector.log"
# One RRD row per seq, each with its own value (icmp_loss_pct = seq).
rrdtool fetch "$T/data/rrd/$PROV/$AG/icmp.rrd" AVERAGE -r 1 -s $((BASE)) -e $((BASE + 10)) > "$T/fetch.txt"
python3 - "$T/fetch.txt" "$BASE" <<'PY' || fail "RRD rows"
import sys
base = int(sys.argv[2])
col = open(sys.argv[1]).readline().split().index("icmp_loss_pct")
rows = {t: float(l.split(":")[1].split()[col]) for l in open(sys.argv[1]) if ":" in l for t in [int(l.split(":")[0])]}
got = {t - base: v for t, v in rows.items() if v == v}
# 8 never stored: 9 covers (7, 9], as RRD takes a gap shorter than the
# heartbeat (3 steps).
want = {s: float(9 if s == 8 else s) for s in range(1, 11)}
print("rrd rows: %s" % " ".join("%d=%g" % (s, got[s]) for s in sorted(got)))
sys.exit(0 if got == want else 1)
PY
pass "rrdtool fetch: one row per seq 1..10 with its value (8, its gap passed, holds 9's)"
