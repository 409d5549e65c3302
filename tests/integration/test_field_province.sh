#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A province typo in an agent's config, then fixed; then the agent moved to
# another province in the inventory (issue 16, event 3). Before, the first
# province an agent was heard under (a state message would do) stuck in
# state.db and its acks went there for ever: after the fix the agent waited
# at its window of 16. Now the current inventory decides: under the wrong
# province a sample is refused (province_mismatch) and acked on the topic
# it came from; under the right one it is stored at once.
. "$(dirname "$0")/../lib.sh"
need mosquitto curl python3

# shellcheck disable=SC2034 # read by field_setup and hamlet (tests/lib.sh)
AG=lc-batxat-suoichai-01 PROV=lao-cai HAMLET=bx-suoi-chai
field_setup
mismatch() { metric 'covmon_samples_rejected_total{reason="province_mismatch"}'; }
depth() { grep -o '([0-9]* waiting)' "$T/agent.log" | tail -1 | tr -dc 0-9; }

agent_conf "$T/agent.conf" lao-ca 1
run_agent "$T/agent.conf" "$T/agent.log"
wait_for 10 grep -q 'spool id' "$T/agent.log" || fail "no spool id"
sid=$(agent_sid "$T/agent.log")
PROGRESS_OK='[ "$v" -ge 5 ]' wait_progress 15 mismatch || fail "the typo's samples: $(mismatch) refused"
[ "$(depth)" -le 2 ] || fail "refused samples not acked on lao-ca: $(depth) waiting"
[ "$(stored_of "$sid")" -eq 0 ] || fail "stored under the typo"
[ ! -e "$T/data/rrd/lao-ca" ] || fail "a directory for the typo's province was made"
n_typo=$(mismatch)
stop_agent

agent_conf "$T/agent.conf" lao-cai 1
t0=$SECONDS
run_agent "$T/agent.conf" "$T/agent.log"
wait_covered 30
PROGRESS_OK='[ "$v" -ge 5 ]' wait_progress 15 stored_of "$sid" || fail "after the fix $(stored_of "$sid") stored"
echo "typo fixed: covered after $((SECONDS - t0)) s, $(stored_of "$sid") stored under lao-cai"

# The inventory moves the agent to Hà Giang (SIGHUP): under lao-cai it is
# refused from the reload on; configured for ha-giang, stored at once.
field_inventory ha-giang
loads=$(grep -c 'inventory .*: 1 provinces' "$T/collector.log")
kill -HUP "$COLLECTOR_PID"
wait_for 10 bash -c "[ \$(grep -c 'inventory .*: 1 provinces' '$T/collector.log') -gt $loads ]" || fail "no reload"
m0=$(mismatch)
PROGRESS_OK="[ \$v -ge $((m0 + 3)) ]" wait_progress 15 mismatch || fail "under the old province after the move: $(mismatch) refused"
stop_agent
agent_conf "$T/agent.conf" ha-giang 1
n0=$(stored_of "$sid")
t0=$SECONDS
run_agent "$T/agent.conf" "$T/agent.log"
PROGRESS_OK="[ \$v -ge $((n0 + 5)) ]" wait_progress 15 stored_of "$sid" || fail "after the move $(stored_of "$sid") stored"
wait_covered 30
[ -f "$T/data/rrd/ha-giang/$AG/tcp.rrd" ] || fail "no files under ha-giang"
[ "$(hamlet province)" = ha-giang ] || fail "API province $(hamlet province)"
echo "moved to ha-giang: stored there and covered after $((SECONDS - t0)) s"
stop_agent
grep -q "ack of seq .* beyond\|acks ignored: [1-9]" "$T/agent.log" && fail "the agent ignored acks"
ledger spool --id "$AG" --agent-log "$T/agent.log" --reasons province_mismatch "$T/collector.log" \
    || fail "ledger"
ledger identity "$API/metrics" || fail "counters do not add up"
pass "typo lao-ca: $n_typo refused and acked on its topic; fixed: stored; moved to ha-giang: stored at once, $(mismatch) province_mismatch in all"
stop_collector
no_crash "$T/collector.log" "$T/agent.log"
