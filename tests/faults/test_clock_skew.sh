#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Clock skew (FAULTS.md, issue 10), with real agents whose clocks libfaketime
# moves: an agent ten minutes ahead has every sample refused (clock_skew,
# counted), acked so that its spool does not retry them, and alerted
# (agent_clock_skew, through an exec notifier); set right, it is stored
# again and the alert resolves; set an hour back, its samples are refused as
# stale (RRD cannot go back) and alerted as "behind". An agent that starts an
# hour in the past is stored where its timestamps say.
. "$(dirname "$0")/../lib.sh"
need mosquitto curl python3 faketime rrdtool

start_broker
HTTP_PORT=$(free_port)
API=http://127.0.0.1:$HTTP_PORT
OUT=$T/notified.jsonl
touch "$OUT"
cat > "$T/inventory.csv" <<'CSV'
hamlet_id,hamlet_name,village,commune_id,commune_name,province_id,province_name,lat,lon,agent_id,uplink_hamlet_id,target_date,population
sk-ahead,Lũng Pô,,skew,Skew,lao-cai,Lào Cai,22.5,103.9,lc-skew-ahead-01,,,100
sk-past,A Mú Sung,,skew,Skew,lao-cai,Lào Cai,22.6,103.8,lc-skew-past-01,,,100
CSV
cat > "$T/notify.sh" <<EOF
#!/bin/sh
printf '%s\n' "\$COVMON_ALERT_JSON" >> "$OUT"
EOF
chmod +x "$T/notify.sh"
write_collector_conf "$T/collector.conf" "$T/data" "$HTTP_PORT" \
    "[collector]" "inventory = $T/inventory.csv" "eval_interval = 1" \
    "[rrd]" "retention = RRA:AVERAGE:0.5:1:7200" \
    "[coverage]" "offline_after = 6" \
    "[alerts]" "for = 2" "clear_for = 3" "clock_skew = 120" \
    "[notifier.file]" "type = exec" "command = /bin/sh '$T/notify.sh'" \
    "[route.skew]" "match = *" "kinds = agent_clock_skew" "notify = file" "group_by = none" \
    "group_wait = 0" "repeat = 0"
start_collector "$T/collector.conf" "$T/collector.log" -vv
wait_for 10 bash -c "curl -sf $API/metrics | grep -q '^covmon_mqtt_connected 1'" \
    || fail "collector not connected"

skew_conf() {  # skew_conf ID
	cat > "$T/$1.conf" <<CONF
[agent]
id = $1
province = lao-cai
interval = 1
spool_dir = $T/spool-$1
start_delay = 0

[mqtt]
host = 127.0.0.1
port = $MQTT_PORT
keepalive = 10
ack_timeout = 5

[probe.tcp]
targets = 127.0.0.1:$MQTT_PORT
CONF
}
# start_agent ID OFFSET: the agent under libfaketime (lib.sh run_agent), its
# clock OFFSET ("+600s", "-3600s", "" for none) from the machine's.
start_agent() { run_agent "$T/$1.conf" "$T/$1.log" "$2"; }
rejected() { curl -sf "$API/metrics" | awk '$1 == "covmon_samples_rejected_total{reason=\"clock_skew\"}" { print $2; f=1 } END { if (!f) print 0 }'; }
stale() { curl -sf "$API/metrics" | awk '$1 == "covmon_samples_rejected_total{reason=\"stale\"}" { print $2; f=1 } END { if (!f) print 0 }'; }
firing() {  # firing SCOPE: the open agent_clock_skew alert's summary
	curl -sf "$API/api/v1/alerts?state=firing" | python3 -c '
import json, sys
a = [x for x in json.load(sys.stdin)["alerts"] if x["kind"] == "agent_clock_skew" and x["scope"] == sys.argv[1]]
print(a[0]["summary"] if a else "")' "$1"
}

# 1. Ten minutes ahead.
skew_conf lc-skew-ahead-01
start_agent lc-skew-ahead-01 +600s
wait_for 20 bash -c "[ \$(curl -sf $API/metrics | awk '\$1 == \"covmon_samples_rejected_total{reason=\\\"clock_skew\\\"}\" { print \$2 }') -ge 3 ] 2>/dev/null" \
    || fail "samples 600 s in the future were not refused as clock_skew"
grep -q "clock_skew" "$T/collector.log" || fail "the refusal was not logged"
wait_for 20 bash -c "grep -q '\"kind\":\"agent_clock_skew\".*\"state\":\"firing\"' '$OUT'" \
    || fail "no agent_clock_skew notification for an agent 600 s ahead"
s=$(firing agent:lc-skew-ahead-01)
echo "$s" | grep -Eq "clock (59[0-9]|60[0-9]) s ahead" || fail "alert summary: '$s'"
# Refused samples are acked: the spool does not send them again and again.
r0=$(rejected); sleep 5; r1=$(rejected)
rate=$(( r1 - r0 ))
[ "$rate" -ge 3 ] && [ "$rate" -le 8 ] \
    || fail "$rate clock_skew refusals in 5 s from an agent sampling every 1 s (a retry loop?)"
[ "$(metric covmon_samples_stored_total)" -eq 0 ] || fail "a sample from the future was stored"
pass "600 s ahead: refused ($r1 counted, $rate in 5 s: no retry loop), alerted: $s"

# 2. Set right: stored again, and the alert resolves.
stop_agent
start_agent lc-skew-ahead-01 ""
wait_for 20 bash -c "[ \$(curl -sf $API/metrics | awk '\$1 == \"covmon_samples_stored_total\" { print \$2 }') -ge 3 ]" \
    || fail "the agent set right is not stored"
wait_for 30 bash -c "grep -q '\"kind\":\"agent_clock_skew\".*\"state\":\"resolved\"' '$OUT'" \
    || fail "agent_clock_skew did not resolve once the clock was right"
pass "clock set right: stored ($(metric covmon_samples_stored_total) samples), alert resolved"

# 3. Set an hour back: RRD cannot go back; refused as stale, alerted as behind.
stop_agent
st0=$(stale)
start_agent lc-skew-ahead-01 -3600s
wait_for 20 bash -c "[ \$(curl -sf $API/metrics | awk '\$1 == \"covmon_samples_rejected_total{reason=\\\"stale\\\"}\" { print \$2 }') -ge $((st0 + 3)) ]" \
    || fail "samples an hour back were not refused as stale"
wait_for 30 bash -c "[ -n \"\$(curl -sf '$API/api/v1/alerts?state=firing' | grep -o 'clock 3[0-9]* s behind')\" ]" \
    || fail "no agent_clock_skew (behind) alert: $(curl -sf "$API/api/v1/alerts?state=firing")"
s=$(firing agent:lc-skew-ahead-01)
pass "an hour back: refused as stale ($(stale)), alerted: $s"
stop_agent

# 4. An agent that starts an hour in the past: stored where its ts says.
skew_conf lc-skew-past-01
start_agent lc-skew-past-01 -3600s
rrd=$T/data/rrd/lao-cai/lc-skew-past-01/tcp.rrd
wait_for 20 test -f "$rrd" || fail "no RRD for the agent an hour in the past"
sleep 4
last=$(rrdtool last "$rrd")
now=$(date +%s)
off=$((now - last))
[ "$off" -ge 3590 ] && [ "$off" -le 3620 ] || fail "last update $last is $off s before now, want about 3600"
rows=$(rrdtool fetch "$rrd" AVERAGE -s $((now - 3700)) -e $((now - 3500)) | awk 'NF > 1 && $2 !~ /nan/' | wc -l)
[ "$rows" -ge 2 ] || fail "no values an hour back in the RRD ($rows rows)"
pass "agent an hour behind from its start: stored at its timestamps (last update $off s ago, $rows rows)"
stop_agent

stop_collector
no_crash "$T/collector.log"
