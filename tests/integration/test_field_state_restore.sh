#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The collector's state.db restored from an older backup, then lost (a new
# disk, a province moved to another collector) while an agent keeps
# running (issue 16, event 2). The agent's oldest unacked sample names as
# its predecessor a seq the collector no longer knows it stored: a gap
# that can never fill. Before, it was held for ever; now after gap_timeout
# (5 s here) it is reported (log, counter, the agent's API entry) and
# passed, the held samples stored in order, acks resume: no operator step.
. "$(dirname "$0")/../lib.sh"
need mosquitto curl python3 sqlite3

AG=lc-batxat-suoichai-01 PROV=lao-cai HAMLET=bx-suoi-chai
field_setup "[collector]" "gap_timeout = 5"
agent_conf "$T/agent.conf" "$PROV" 1
run_agent "$T/agent.conf" "$T/agent.log"
wait_for 10 grep -q 'spool id' "$T/agent.log" || fail "no spool id"
sid=$(agent_sid "$T/agent.log")
PROGRESS_OK='[ "$v" -ge 5 ]' wait_progress 15 stored_of "$sid" || fail "stored $(stored_of "$sid")"
sqlite3 "$T/data/state.db" ".backup '$T/backup.db'"
backup_seq=$(sqlite3 "$T/backup.db" "SELECT last_seq FROM spools WHERE agent = '$AG'")
PROGRESS_OK="[ \$v -ge $((backup_seq + 8)) ]" wait_progress 15 stored_of "$sid" || fail "stored $(stored_of "$sid")"

# restore_state FILE|"": the collector stopped, its state.db replaced by FILE
# (or deleted), started again; the gap is passed and the hamlet covered.
restore_state() {
	local t0=$SECONDS
	stop_collector
	rm -f "$T/data/state.db" "$T/data/state.db-wal" "$T/data/state.db-shm"
	[ -z "$1" ] || cp "$1" "$T/data/state.db"
	start_collector "$T/collector.conf" "$T/collector.log" -vv
	wait_for 10 bash -c "curl -sf $API/metrics | grep -q '^covmon_mqtt_connected 1'" || fail "collector not back"
	PROGRESS_OK='[ "$v" -ge 1 ]' wait_progress 20 metric covmon_seq_gaps_skipped_total \
	    || fail "the gap was never passed: $(metric covmon_samples_held) held"
	wait_covered 30
	echo "$2: gap passed and $HAMLET covered again $((SECONDS - t0)) s after the restart: $(grep -o "agent $AG: seq [0-9]* to [0-9]* (spool $sid) never came.*" "$T/collector.log" | tail -1)"
	# The API reads the next evaluation's snapshot.
	PROGRESS_OK='[ "$v" != null ] && [ "$v" -ge 1 ]' wait_progress 10 hamlet spool.gaps_passed \
	    || fail "API spool.gaps_passed $(hamlet spool.gaps_passed)"
	[ "$(hamlet spool.last_gap.to)" != null ] || fail "API spool.last_gap missing"
	local n
	n=$(stored_of "$sid")
	PROGRESS_OK="[ \$v -ge $((n + 5)) ]" wait_progress 15 stored_of "$sid" || fail "acks did not resume"
}

restore_state "$T/backup.db" "state.db restored from a backup at seq $backup_seq"
[ "$(hamlet spool.last_gap.from)" -eq $((backup_seq + 1)) ] \
    || fail "the gap passed starts at $(hamlet spool.last_gap.from), the backup had $backup_seq"
restore_state "" "state.db lost"
[ "$(hamlet spool.last_gap.from)" -eq 1 ] || fail "with no state the gap starts at $(hamlet spool.last_gap.from)"

stop_agent
ledger spool --id "$AG" --agent-log "$T/agent.log" "$T/collector.log" || fail "ledger"
pass "state.db restored, then lost: each gap reported and passed, every acked sample stored once"
stop_collector
no_crash "$T/collector.log" "$T/agent.log"
