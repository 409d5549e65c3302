#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# rrdcached stopped with SIGSTOP mid-stream (a hung daemon: its socket
# still takes connections, nothing answers), then SIGCONT. Every exchange
# with it has a deadline, so the writer does not hang with it: the
# collector keeps receiving and answering /metrics, takes the replay path
# (covmon_rrd_replay_pending, the log), stores and acks nothing meanwhile,
# and once rrdcached runs again replays its write-ahead log and stores on.
# The ledger check ends it: nothing acked is lost, nothing stored twice.
. "$(dirname "$0")/../lib.sh"
need mosquitto rrdtool rrdcached sqlite3 curl python3

AGENTS=20 COUNT=600 STOP_FOR=20
start_broker
start_rrdcached
CLEANUPS+=("kill -CONT $RRDCACHED_PID")
# Flush passes every 2 s, so that the flush thread meets the hung daemon too.
collector_up "[rrd]" "rrdcached = unix:$RRDCACHED_SOCK" "retention = RRA:AVERAGE:0.5:1:3600" \
    "wal_flush_interval = 2s"

# 20 agents x 600 samples at 200 samples/s: about a minute, acked as real
# agents do (unacked samples resent).
fleet_start -a $AGENTS -n $COUNT --interval 1 --backfill --rate 200 --ack --ack-timeout 3 \
    --ack-wait 120

# Storing through rrdcached: every agent's files made, samples stored.
PROGRESS_OK='[ "$v" -ge $AGENTS ]' wait_progress 20 bash -c "find '$T/data/rrd' -name if.rrd | wc -l" \
    || fail "not every agent's files created"
PROGRESS_OK='[ "$v" -ge 1000 ]' wait_progress 20 metric covmon_samples_stored_total || fail "nothing stored through rrdcached"

# /proc/PID/stat's state: T once every thread has stopped.
proc_state() { sed 's/.*) \(.\).*/\1/' "/proc/$1/stat"; }
kill -STOP "$RRDCACHED_PID"
wait_for 5 bash -c "[ \"\$(sed 's/.*) \(.\).*/\1/' /proc/$RRDCACHED_PID/stat)\" = T ]" \
    || fail "rrdcached not stopped"
pass "rrdcached stopped (SIGSTOP) after $(metric covmon_samples_stored_total) samples stored"

# The writer meets the hung daemon at its next exchange, and gives up at
# its deadline: the replay path, while the input keeps moving.
PROGRESS_OK='[ "${v##* }" = 1 ]' wait_progress 30 bash -c "echo \$(curl -sf -m 5 http://127.0.0.1:$HTTP_PORT/metrics | \
    awk '\$1==\"covmon_samples_received_total\"||\$1==\"covmon_rrd_replay_pending\"{print \$2}')" \
    || fail "the collector did not turn to the replay path while rrdcached hung" \
    "(rrdcached's state now: $(proc_state "$RRDCACHED_PID"), T = stopped)"
stored_stop=$(metric covmon_samples_stored_total)
received_stop=$(metric covmon_samples_received_total)
# Hung for STOP_FOR seconds: /metrics answers every time within 2 s.
slow=0 t0=$SECONDS
while [ $((SECONDS - t0)) -lt $STOP_FOR ]; do
	curl -sf -m 2 -o /dev/null "http://127.0.0.1:$HTTP_PORT/metrics" || slow=$((slow + 1))
	sleep 1
done
[ "$slow" -eq 0 ] || fail "/metrics did not answer within 2 s $slow times while rrdcached hung"
[ "$(proc_state "$RRDCACHED_PID")" = T ] || fail "rrdcached ran meanwhile"
stored_hung=$(metric covmon_samples_stored_total)
received_hung=$(metric covmon_samples_received_total)
[ "$stored_hung" -eq "$stored_stop" ] || fail "stored went $stored_stop -> $stored_hung while the replay was pending"
[ "$received_hung" -gt "$received_stop" ] || fail "nothing received while rrdcached hung ($received_stop)"
[ "$(metric covmon_rrd_replay_pending)" -eq 1 ] || fail "the replay is not pending"
grep -E 'rrdcached .*(timed out|reading the answer)' "$T/collector.log" | head -2
grep -q 'write-ahead log replay: .*timed out.*nothing is written until it passes' "$T/collector.log" \
    || fail "no replay that timed out in the log"
pass "rrdcached hung ${STOP_FOR} s: received $received_stop -> $received_hung, stored stays $stored_stop, /metrics answered, replay pending"

kill -CONT "$RRDCACHED_PID"
# The next try of the replay comes within its backoff (8 s at most).
replayed() { [ "$(metric covmon_rrd_replays_total)" -ge 1 ]; }
stored_past() { [ "$(metric covmon_samples_stored_total)" -gt "$1" ]; }
wait_storing 30 replayed \
    || fail "the collector did not replay its write-ahead log once rrdcached ran again"
grep -o 'write-ahead log: .* written again to rrdcached.*' "$T/collector.log" | tail -1
wait_storing 30 stored_past "$stored_hung" \
    || fail "ingest did not resume after SIGCONT"
pass "rrdcached running again: write-ahead log replayed, ingest resumed"

# The fleet ends when every sample is acked; it moves while samples are stored.
wait_storing 60 bash -c "! kill -0 $FLEET_PID 2>/dev/null" || fail "the fleet stopped making progress"
fleet_acked
[ "$(metric covmon_rrd_replay_pending)" -eq 0 ] || fail "a replay still pending at the end"
ledger_ok
stop_and_check_files
pass "every acked sample is in the RRD files after rrdcached hung"
