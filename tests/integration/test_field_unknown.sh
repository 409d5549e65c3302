#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Agents not in the inventory, and a sample that asks for 1 s files (issue
# 16, event 5). Before, 3,000 distinct unknown ids from one publisher made
# 3,000 agents' directories in 2.5 s, and one 260-byte sample with
# interval 1 made 222 MB of RRD. Now at most [collector] max_unknown_agents
# (3 here) are kept; samples of further unknown ids are refused as
# unknown_agent_limit, acked (a real agent among them is not stuck), and
# the cap shows in /api/v1/health; no file is finer than [rrd] min_step.
. "$(dirname "$0")/../lib.sh"
need mosquitto mosquitto_pub mosquitto_sub curl python3 rrdtool

# shellcheck disable=SC2034 # read by field_setup and hamlet (tests/lib.sh)
AG=lc-batxat-suoichai-01 PROV=lao-cai HAMLET=bx-suoi-chai
field_setup "[collector]" "max_unknown_agents = 3" "[rrd]" "min_step = 10"
mosquitto_sub -p "$MQTT_PORT" -q 1 -t "covmon/v1/$PROV/+/ack" -v > "$T/acks.txt" 2>&1 &
PIDS+=("$!")
sleep 0.5
now=$(date +%s)
# Every metric, interval 1: what once made 222 MB.
all=$(python3 - "$COVMON_SRC/tests/ledger.py" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
names = re.findall(r'"([a-z0-9_]+)"', src[src.index("METRICS = ["):src.index("]", src.index("METRICS = ["))])
print(",".join('"%s":1' % n for n in names))
PY
)
for i in $(seq 1 10); do
	id=lc-stranger-$i
	mosquitto_pub -p "$MQTT_PORT" -q 1 -t "covmon/v1/$PROV/$id/sample" -m \
	    "{\"v\":1,\"agent\":\"$id\",\"sid\":\"00000000000000$(printf %02x "$i")\",\"seq\":1,\"ts\":$now,\"interval\":1,\"m\":{$all}}"
done
limit() { metric 'covmon_samples_rejected_total{reason="unknown_agent_limit"}'; }
PROGRESS_OK='[ "$v" -ge 7 ]' wait_progress 10 limit || fail "$(limit) refused as unknown_agent_limit, want 7"
# The three taken are stored once their files are made (on the creator
# thread): waited for, then exactly three.
PROGRESS_OK='[ "$v" -ge 3 ]' wait_progress 10 metric covmon_samples_stored_total || true
[ "$(metric covmon_samples_stored_total)" -eq 3 ] || fail "stored $(metric covmon_samples_stored_total), want 3"
dirs=$(find "$T/data/rrd/$PROV" -mindepth 1 -maxdepth 1 -type d | wc -l)
[ "$dirs" -eq 3 ] || fail "$dirs agent directories for 10 unknown ids"
wait_for 10 bash -c "[ \$(grep -c '/ack ' '$T/acks.txt') -ge 10 ]" || fail "not every sample acked: $(grep -c '/ack ' "$T/acks.txt")"
health=$(curl -sf "$API/api/v1/health")
python3 - "$health" <<'PY' || fail "health: $health"
import json, sys
h = json.loads(sys.argv[1])
assert h["max_unknown_agents"] == 3 and h["unknown_agents_refused"] == 7, h
PY
[ "$(metric covmon_unknown_agents)" -eq 3 ] || fail "covmon_unknown_agents $(metric covmon_unknown_agents)"
# The files of a 1 s sample are at min_step: every group at step 10 is
# 23,311,120 bytes (docs/collector.md), the most one agent can take.
one=$(find "$T/data/rrd/$PROV" -mindepth 1 -maxdepth 1 -type d | head -1)
steps=$(for f in "$one"/*.rrd; do rrdtool info "$f" | awk -F' = ' '$1 == "step" { print $2 }'; done | sort -u | paste -sd' ')
[ "$steps" = 10 ] || fail "steps of a 1 s sample's files: $steps, want 10"
size=$(du -sb "$one" | awk '{print $1}')
[ "$size" -le $((24 * 1024 * 1024)) ] || fail "one unknown agent's files take $size bytes"
echo "10 unknown ids: 3 kept, 7 refused and acked; one agent's files at step 10: $((size / 1024)) KiB"

# A real agent that is not in the inventory, past the cap: refused, acked,
# its spool does not fill.
AG=lc-stranger-real
agent_conf "$T/agent.conf" "$PROV" 1
run_agent "$T/agent.conf" "$T/agent.log"
l0=$(limit)
PROGRESS_OK="[ \$v -ge $((l0 + 5)) ]" wait_progress 15 limit || fail "the real stranger's samples: $(limit)"
depth=$(grep -o '([0-9]* waiting)' "$T/agent.log" | tail -1 | tr -dc 0-9)
[ "${depth:-99}" -le 2 ] || fail "refused samples not acked: $depth waiting"
[ ! -e "$T/data/rrd/$PROV/$AG" ] || fail "a directory was made for an agent past the cap"
stop_agent
ledger spool --id "$AG" --agent-log "$T/agent.log" --reasons unknown_agent_limit "$T/collector.log" \
    || fail "ledger"
ledger identity "$API/metrics" || fail "counters do not add up"
pass "max_unknown_agents 3: 10 ids from one publisher make 3 directories; a real agent past the cap is refused and acked (spool depth $depth)"
stop_collector
no_crash "$T/collector.log" "$T/agent.log"
