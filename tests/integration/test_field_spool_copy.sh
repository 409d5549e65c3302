#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A spool that is a copy of another: an SD card image restored from a
# backup (or cloned from a running site) holds the same spool id with seqs
# behind what the collector stored of it. Its samples look like duplicates,
# and the acks name seqs it never gave: before spool ids it took them and
# fell silent; with an id and nothing more it would resend for ever. The
# agent takes a new spool id (logged, counted), the collector sees a new
# spool, passes the gap to its last acked seq after gap_timeout (5 s), and
# stores; the old samples the files already hold are refused as stale.
. "$(dirname "$0")/../lib.sh"
need mosquitto curl python3

# shellcheck disable=SC2034 # read by field_setup and hamlet (tests/lib.sh)
AG=lc-batxat-suoichai-01 PROV=lao-cai HAMLET=bx-suoi-chai
field_setup "[collector]" "gap_timeout = 5"
agent_conf "$T/agent.conf" "$PROV" 1
run_agent "$T/agent.conf" "$T/agent-old.log"
wait_for 10 grep -q 'spool id' "$T/agent-old.log" || fail "no spool id"
sid=$(agent_sid "$T/agent-old.log")
PROGRESS_OK='[ "$v" -ge 5 ]' wait_progress 15 stored_of "$sid" || fail "stored $(stored_of "$sid")"
stop_agent
cp -a "$T/spool" "$T/spool.backup"          # the backup, taken at rest
run_agent "$T/agent.conf" "$T/agent-old.log"
n=$(stored_of "$sid")
PROGRESS_OK="[ \$v -ge $((n + 8)) ]" wait_progress 15 stored_of "$sid" || fail "stored $(stored_of "$sid")"
stop_agent
last=$(sqlite3 "$T/data/state.db" "SELECT last_seq FROM spools WHERE agent = '$AG' AND sid = '$sid'" 2>/dev/null || echo ?)

# The device dies; its replacement gets the backup's image.
rm -rf "$T/spool"; cp -a "$T/spool.backup" "$T/spool"
t0=$SECONDS
run_agent "$T/agent.conf" "$T/agent.log"
wait_for 20 grep -q 'this spool is now' "$T/agent.log" || fail "the copied spool did not take a new id"
new=$(grep -o 'this spool is now [0-9a-f]*' "$T/agent.log" | awk '{print $5}')
grep -o 'spool: the collector acked.*' "$T/agent.log" || true
PROGRESS_OK='[ "$v" -ge 5 ]' wait_progress 20 stored_of "$new" || fail "under the new id $(stored_of "$new") stored"
wait_covered 30
echo "stored again under $new $((SECONDS - t0)) s after the restore"
[ "$(metric covmon_agent_new_spool_total)" -eq 1 ] || fail "new spools $(metric covmon_agent_new_spool_total)"
[ "$(metric covmon_seq_gaps_skipped_total)" -ge 1 ] || fail "no gap passed"
stop_agent
grep -q 'new spool ids taken (a copied spool): 1$' "$T/agent.log" || fail "the renewal was not counted"
ledger spool --id "$AG" --agent-log "$T/agent.log" --reasons stale "$T/collector.log" || fail "ledger"
ledger identity "$API/metrics" || fail "counters do not add up"
pass "a restored spool image behind the collector's seq $last of $sid: new id $new taken once, stored again"
stop_collector
no_crash "$T/collector.log" "$T/agent.log"
