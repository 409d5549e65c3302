#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The real covmon-agent killed with SIGKILL many times while it writes its
# spool (1 s interval), restarted each time. A third of the kills are aimed
# at the middle of a sample's write (the test knob
# COVMON_TEST_SPOOL_WRITE_DELAY_US cuts every sample write in two with a
# pause: a write of a few hundred bytes is never cut by a signal
# otherwise), a third hit the next run before its first write, a third land
# at random (probing, fdatasync, publishing, acks, connecting). Afterwards:
# every torn record was discarded at the next start and counted, its seq
# burnt (never given again, never stored, even when the run that found it
# died before writing); every seq whose record was complete is stored by
# the collector exactly once (the ledger check); no seq named two samples.
TEST_LIMIT=${TEST_LIMIT:-300}
. "$(dirname "$0")/../lib.sh"
need mosquitto curl python3

KILLS=${KILLS:-18}
DELAY_US=400000        # of each 1 s interval, 0.4 s is inside a write
AGENT=tn-spool-kill-01

start_broker
collector_up

write_agent() {  # write_agent INTERVAL
	cat > "$T/agent.conf" <<CONF
[agent]
id = $AGENT
province = thai-nguyen
interval = $1
spool_dir = $T/spool
start_delay = 0
[mqtt]
host = 127.0.0.1
port = $MQTT_PORT
keepalive = 5
ack_timeout = 3
[probe.tcp]
targets = 127.0.0.1:$HTTP_PORT
timeout_ms = 300
CONF
}
write_agent 1
: > "$T/agent.log"
start_agent() {  # start_agent [ENV=VALUE]...
	env "$@" "$COVMON_BUILD/covmon-agent" -c "$T/agent.conf" -vv >> "$T/agent.log" 2>&1 &
	AGENT_PID=$!; PIDS+=("$AGENT_PID")
}
spooled() { grep -c "bytes spooled" "$T/agent.log" || true; }
stored_upto() { awk -v a="$AGENT" '$3 == "stored" && $4 == a && $6 > m { m = $6 } END { print m + 0 }' "$T/collector.log"; }

# The kills go in threes: (1) aimed 0.78 s after a sample's "spooled" line,
# when the next write (at the next whole interval, 1 s after the last one
# began, i.e. 0.6 s after its line) is in its pause; (2) early, as soon as
# the run has opened its spool, before its first write: the run that just
# found the torn record dies before it writes anything (its burnt seq must
# survive that too); (3) at a random moment 1.5-4.4 s after the start.
aimed=0 early=0
for i in $(seq 1 "$KILLS"); do
	n0=$(spooled)
	o0=$(grep -c "probing every" "$T/agent.log" || true)
	start_agent COVMON_TEST_SPOOL_WRITE_DELAY_US=$DELAY_US
	case $((i % 3)) in
	1)
		# Up to 5 s for a first sample (connect, first interval, a pause).
		end=$(( $(date +%s) + 5 ))
		while [ "$(spooled)" -le "$n0" ]; do
			[ "$(date +%s)" -lt "$end" ] || fail "kill $i: the agent spooled nothing in 5 s"
			sleep 0.02
		done
		sleep 0.78
		aimed=$((aimed + 1))
		;;
	2)
		wait_for 5 bash -c "[ \$(grep -c 'probing every' $T/agent.log) -gt $o0 ]" \
			|| fail "kill $i: the agent did not start"
		early=$((early + 1))
		;;
	0)
		sleep "$((1 + RANDOM % 3)).$((RANDOM % 10))"
		sleep 0.5
		;;
	esac
	kill -9 "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null || true
done
torn_logged=$(grep -c "torn record at offset" "$T/agent.log" || true)
echo "$KILLS kills ($aimed aimed mid-write, $early before the run's first write); samples spooled: $(spooled); torn records found since: $torn_logged (the last kill's, if any, at the next start)"

# The last run: an hour's interval (nothing more is made), no knob; it
# finds the last kill's torn record if there is one, and drains the spool.
write_agent 3600
start_agent
wait_for 10 grep -q "probing every 3600 s" "$T/agent.log" || fail "the agent did not start again"
grep -q "$(printf 'COVMON_TEST_SPOOL_WRITE_DELAY_US=%s' "$DELAY_US")" "$T/agent.log" || fail "the test knob was not taken"
# The last seq given, and the last one of a complete sample: before the
# seqs that torn records burned (each start that found one gives
# "next seq M (a torn last record ...)": M - 1 is burned).
read -r last want < <(awk 'match($0, /samples waiting, next seq [0-9]+/) {
	n = substr($0, RSTART + 26, RLENGTH - 26) - 1; if (/a torn last record/) b[n] = 1 }
	END { w = n; while (w in b) w--; print n + 0, w + 0 }' "$T/agent.log")
PROGRESS_OK="[ \$v -ge $want ]" wait_progress 15 stored_upto \
	|| fail "the spool was not drained: stored up to $(stored_upto), the agent gave up to $last"
sleep 1
kill -TERM "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null || true

torn=$(grep -c "torn record at offset" "$T/agent.log" || true)
flagged=$(grep -c "a torn last record was discarded" "$T/agent.log" || true)
[ "$torn" = "$flagged" ] || fail "$torn torn records logged by the spool, $flagged starts said so"
[ "$torn" -ge $((aimed / 2)) ] || fail "only $torn torn records for $aimed kills aimed mid-write"
ledger agent --id "$AGENT" --fleet-out "$T/fleet.csv" "$T/agent.log" | tee "$T/agent-ledger.out" \
	|| fail "the agent's ledger: a seq given twice, or reused after a restart"
burned=$(awk -F, 'NR == 2 { print $7 }' "$T/fleet.csv" | wc -w)
[ "$burned" = "$torn" ] || fail "$torn torn records but $burned burned seqs"
ledger check --fleet "$T/fleet.csv" "$T/collector.log" | tee "$T/ledger.out" || fail "ledger check"
made=$(grep -o 'made=[0-9]*' "$T/ledger.out" | cut -d= -f2)
ledger identity "http://127.0.0.1:$HTTP_PORT/metrics" || fail "counters do not add up"
runs=$(grep -c "samples waiting, next seq" "$T/agent.log")
pass "$KILLS SIGKILLs ($aimed aimed mid-write, $early before a run's first write), $runs agent runs: $torn torn records discarded and counted, their $burned seqs never given again nor stored; the $made complete samples (seqs 1..$want) each stored exactly once"
stop_collector
no_crash "$T/collector.log" "$T/agent.log"
