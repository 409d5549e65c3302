#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An agent's interval changed in the field (1 s -> 5 s here, as 10 s -> 60 s
# there) (issue 16, event 4). Before, its files kept the first interval's
# heartbeat (3 steps): every later sample was acked and counted stored but
# landed as UNKNOWN (0 of 85 rows held a value after 10 -> 60 s). Now the
# collector raises the heartbeat (librrd tune) before storing, logs it, and
# the files keep their history.
. "$(dirname "$0")/../lib.sh"
need mosquitto curl python3 rrdtool

# shellcheck disable=SC2034 # read by field_setup and hamlet (tests/lib.sh)
AG=lc-batxat-suoichai-01 PROV=lao-cai HAMLET=bx-suoi-chai
field_setup "[rrd]" "retention = RRA:AVERAGE:0.5:1:3600"
rrd=$T/data/rrd/$PROV/$AG/tcp.rrd
agent_conf "$T/agent.conf" "$PROV" 1
run_agent "$T/agent.conf" "$T/agent.log"
wait_for 10 grep -q 'spool id' "$T/agent.log" || fail "no spool id"
sid=$(agent_sid "$T/agent.log")
PROGRESS_OK='[ "$v" -ge 10 ]' wait_progress 15 stored_of "$sid" || fail "stored $(stored_of "$sid")"
stop_agent
t_change=$(date +%s)
before=$(rrdtool fetch "$rrd" AVERAGE -r 1 -s $((t_change - 30)) -e "$t_change" | grep -c ': [0-9]')

agent_conf "$T/agent.conf" "$PROV" 5
run_agent "$T/agent.conf" "$T/agent.log"
n0=$(stored_of "$sid")
PROGRESS_OK="[ \$v -ge $((n0 + 6)) ]" wait_progress 20 stored_of "$sid" || fail "at 5 s: $(stored_of "$sid") stored"
wait_covered 30
grep -q "agent $AG: tcp.rrd heartbeat 3 s -> 15 s for interval 5 s" "$T/collector.log" \
    || fail "the heartbeat raise was not logged"
[ "$(metric covmon_rrd_heartbeat_raised_total)" -ge 1 ] \
    || fail "covmon_rrd_heartbeat_raised_total $(metric covmon_rrd_heartbeat_raised_total)"
hb=$(rrdtool info "$rrd" | awk -F' = ' '/^ds\[tcp_connect_ms\].minimal_heartbeat/ { print $2 }')
[ "$hb" -eq 15 ] || fail "heartbeat $hb, want 15"
stop_agent
# Rows after the change hold values (before: UNKNOWN), and those before it
# are still there.
last=$(rrdtool last "$rrd")
rrdtool fetch "$rrd" AVERAGE -r 1 -s $((t_change + 10)) -e "$last" > "$T/after.txt"
rows=$(grep -c ':' "$T/after.txt"); known=$(grep -c ': [0-9]' "$T/after.txt")
[ "$rows" -gt 10 ] && [ "$known" -ge $((rows * 9 / 10)) ] \
    || fail "after the change $known of $rows rows hold a value"
kept=$(rrdtool fetch "$rrd" AVERAGE -r 1 -s $((t_change - 30)) -e "$t_change" | grep -c ': [0-9]')
[ "$kept" -ge "$before" ] && [ "$before" -ge 8 ] || fail "history before the change: $kept rows, had $before"
ledger spool --id "$AG" --agent-log "$T/agent.log" "$T/collector.log" || fail "ledger"
pass "interval 1 s -> 5 s: heartbeat raised 3 -> 15 s; $known of $rows rows after the change hold a value; $kept rows of history kept"
stop_collector
no_crash "$T/collector.log" "$T/agent.log"
