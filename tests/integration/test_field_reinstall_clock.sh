#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A replacement router without a real-time clock, before NTP: reinstalled
# with its clock 2 h behind (issue 16). Every sample is behind what the old
# one stored, so none can go into the RRD; but the site must not be
# silenced: each is refused as stale and acked (the spool does not fill),
# agent_clock_skew is raised for on-call, and once the clock is right the
# same spool's samples are stored and the hamlet is covered again.
. "$(dirname "$0")/../lib.sh"
need mosquitto curl python3 faketime

# shellcheck disable=SC2034 # read by field_setup and hamlet (tests/lib.sh)
AG=lc-batxat-suoichai-01 PROV=lao-cai HAMLET=bx-suoi-chai
field_setup "[alerts]" "for = 2" "clear_for = 3" "clock_skew = 120"
agent_conf "$T/agent.conf" "$PROV" 1

run_agent "$T/agent.conf" "$T/agent-old.log"
wait_for 10 grep -q 'spool id' "$T/agent-old.log" || fail "no spool id"
old=$(agent_sid "$T/agent-old.log")
PROGRESS_OK='[ "$v" -ge 5 ]' wait_progress 15 stored_of "$old" || fail "the first install stored $(stored_of "$old")"
stop_agent

rm -rf "$T/spool"
run_agent "$T/agent.conf" "$T/agent.log" "-2h"
wait_for 10 grep -q 'spool id' "$T/agent.log" || fail "no spool id"
new=$(agent_sid "$T/agent.log")
stale() { metric 'covmon_samples_rejected_total{reason="stale"}'; }
PROGRESS_OK='[ "$v" -ge 10 ]' wait_progress 15 stale || fail "samples 2 h behind: $(stale) refused as stale"
firing() {
	curl -sf "$API/api/v1/alerts?state=firing" | python3 -c '
import json, sys
a = [x for x in json.load(sys.stdin)["alerts"] if x["kind"] == "agent_clock_skew"]
print(a[0]["summary"] if a else "")'
}
PROGRESS_OK='[ -n "$v" ]' wait_progress 20 firing || fail "no agent_clock_skew alert firing"
echo "alert: $(firing)"
depth=$(grep -o '([0-9]* waiting)' "$T/agent.log" | tail -1 | tr -dc 0-9)
[ "${depth:-99}" -le 2 ] || fail "the agent's spool grows ($depth waiting): refused samples not acked"
[ "$(stored_of "$new")" -eq 0 ] || fail "samples 2 h behind were stored"
[ "$(metric covmon_agent_new_spool_total)" -eq 1 ] || fail "new spools $(metric covmon_agent_new_spool_total)"
stop_agent
n_stale=$(stale)

# NTP has set the clock: the same spool, stored again.
run_agent "$T/agent.conf" "$T/agent.log"
wait_covered 30
PROGRESS_OK='[ "$v" -ge 5 ]' wait_progress 15 stored_of "$new" || fail "after the clock was set $(stored_of "$new") stored"
[ "$(agent_sid "$T/agent.log")" = "$new" ] || fail "the spool id changed across a restart"
stop_agent
ledger spool --id "$AG" --agent-log "$T/agent.log" --reasons stale "$T/collector.log" \
    || fail "ledger after the reinstall"
ledger identity "$API/metrics" || fail "counters do not add up"
pass "replacement 2 h behind: $n_stale samples refused as stale and acked (spool depth ${depth}), agent_clock_skew fired; clock set: $(stored_of "$new") stored, covered after $COVERED_AFTER s"
stop_collector
no_crash "$T/collector.log" "$T/agent.log"
