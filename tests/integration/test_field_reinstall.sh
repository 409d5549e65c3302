#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An agent reinstalled or replaced (a new SD card, a new router: its spool
# wiped, seqs from 1 again) after the old one ran with its clock 15 s ahead
# (issue 16, event 1). Before spool ids the collector acked the new seq 1
# with the old last seq, the agent took it, and the site went silent for
# good. Now the new spool id starts a new sequence: logged, counted,
# shown in the API; samples the old clock already covers are refused as
# stale (acked, counted), the rest stored; the hamlet is covered again.
. "$(dirname "$0")/../lib.sh"
need mosquitto curl python3 faketime

AG=lc-batxat-suoichai-01 PROV=lao-cai HAMLET=bx-suoi-chai
field_setup
agent_conf "$T/agent.conf" "$PROV" 1

run_agent "$T/agent.conf" "$T/agent-old.log" "+15s"
old=$(wait_for 10 grep -q 'spool id' "$T/agent-old.log" && agent_sid "$T/agent-old.log")
PROGRESS_OK='[ "$v" -ge 10 ]' wait_progress 15 stored_of "$old" \
    || fail "the first install stored $(stored_of "$old") samples"
# Covered while the agent runs: once it has stopped, its clean disconnect
# takes the hamlet down at the next evaluation (1 s), which a busy machine
# reaches before a first look.
wait_covered 10
stop_agent
last_old=$(grep -o "stored $AG seq [0-9]*" "$T/collector.log" | tail -1 | awk '{print $4}')
# The old router is gone: the hamlet is down until the new one reports.
wait_for 15 bash -c "curl -sf $API/api/v1/hamlets/$HAMLET | grep -q '\"state\":\"down\"'" \
    || fail "$HAMLET not down after its agent stopped (state $(hamlet state))"

# The old agent's own resends (an ack late on a busy machine) are taken
# for duplicates, rightly: only the new spool's samples must not be.
dups_old=$(metric covmon_samples_duplicate_total)
rm -rf "$T/spool"
t0=$SECONDS
run_agent "$T/agent.conf" "$T/agent.log"
wait_for 10 grep -q 'spool id' "$T/agent.log" || fail "the new agent logged no spool id"
new=$(agent_sid "$T/agent.log")
[ "$new" != "$old" ] || fail "a wiped spool kept its id $old"
# Its first 15 s are behind what the old clock stored: refused as stale.
wait_covered 30
echo "covered again $((SECONDS - t0)) s after the reinstall"
PROGRESS_OK='[ "$v" -ge 10 ]' wait_progress 20 stored_of "$new" \
    || fail "after the reinstall $(stored_of "$new") samples stored ($(metric covmon_samples_duplicate_total) duplicates)"
[ "$(metric covmon_agent_new_spool_total)" -eq 1 ] \
    || fail "covmon_agent_new_spool_total $(metric covmon_agent_new_spool_total), want 1"
grep -q "agent $AG: a new spool $new (before: $old, last seq $last_old)" "$T/collector.log" \
    || fail "the new spool was not logged"
PROGRESS_OK='[ "$v" = "$new" ]' wait_progress 10 hamlet spool.sid || fail "API spool.sid $(hamlet spool.sid), want $new"
[ "$(hamlet spool.new_spools)" = 1 ] || fail "API spool.new_spools $(hamlet spool.new_spools)"
[ "$(hamlet spool.new_spool_at)" != null ] || fail "API spool.new_spool_at null"
# (The new agent's resends after an ack timeout would be duplicates too;
# without one, none may be.)
dups_new=$(( $(metric covmon_samples_duplicate_total) - dups_old ))
if ! grep -q "no ack for" "$T/agent.log"; then
	[ "$dups_new" -eq 0 ] || fail "$dups_new samples of the new spool taken for duplicates"
fi
stale=$(metric 'covmon_samples_rejected_total{reason="stale"}')
[ "$stale" -ge 5 ] || fail "only $stale samples refused as stale behind the old clock's 15 s"
stop_agent
grep -q "ack of seq .* beyond" "$T/agent.log" && fail "the new agent got an ack beyond what it sent"
ledger spool --id "$AG" --agent-log "$T/agent.log" --reasons stale "$T/collector.log" \
    || fail "ledger after the reinstall"
ledger identity "$API/metrics" || fail "counters do not add up"
pass "reinstalled over a spool stored to seq $last_old (clock +15 s): new spool $new counted once, $stale samples refused as stale, $(stored_of "$new") stored, covered again"
stop_collector
no_crash "$T/collector.log" "$T/agent.log"
