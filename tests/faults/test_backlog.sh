#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An agent back after a day offline (fleetsim's backlog scenario: a day of
# samples spooled at a 60 s interval, then live): its spool drains oldest
# first, the RRD holds the whole day (not just the last hours), the backlog
# does not count as fresh (it speaks for the graphs, not for the present),
# and the collector's memory stays bounded meanwhile.
. "$(dirname "$0")/../lib.sh"
need mosquitto rrdtool curl python3

start_broker
HTTP_PORT=$(free_port)
write_collector_conf "$T/collector.conf" "$T/data" "$HTTP_PORT"
start_collector "$T/collector.conf" "$T/collector.log"
wait_for 10 bash -c "curl -sf http://127.0.0.1:$HTTP_PORT/metrics | grep -q '^covmon_mqtt_connected 1'" \
    || fail "collector not up and connected"

agent=lc-batxat-suoichai-01
fleetsim -a 3 -n 3 --interval 60 --rate 0 --ack --ack-wait 60 -s "backlog:$agent" \
    --ledger "$T/fleet.csv" > "$T/fleetsim.log" 2>&1 || fail "fleetsim: $(tail -2 "$T/fleetsim.log")"
tail -1 "$T/fleetsim.log"
grep -q "acked=$((1440 + 9)) " "$T/fleetsim.log" || fail "not every sample acked"
rss=$(awk '/^VmHWM:/ { print $2 }' "/proc/$COLLECTOR_PID/status")
echo "collector peak RSS while draining: $rss kB"
[ "$rss" -lt 200000 ] || fail "collector memory not bounded: $rss kB"

rrd="$T/data/rrd/lao-cai/$agent/icmp.rrd"
rows=$(rrdtool fetch "$rrd" AVERAGE -r 60 -s end-23h -e now | awk 'NF > 1 && $2 != "-nan" && $2 != "nan"' | wc -l)
echo "RRD: $rows rows with values over the last 23 hours (the 1-minute archive holds a day)"
[ "$rows" -ge 1370 ] || fail "the RRD holds $rows of the 23 hours (1380 samples)"
pass "a day of backlog drained oldest first: $rows rows in the RRD"

lag=$(metric covmon_ingest_lag_seconds_count)
stored=$(metric covmon_samples_stored_total)
echo "stored $stored, of which counted fresh: $lag"
# 9 live samples, and the newest spooled one (60 s old: within two
# intervals, so it is fresh by the rule).
[ "$lag" -le 10 ] || fail "backlog counted as fresh ($lag fresh samples)"
pass "backlog samples filled the RRD without speaking for the present"
stop_collector
no_crash "$T/collector.log"
