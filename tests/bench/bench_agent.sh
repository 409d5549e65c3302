#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Agent footprint: resident memory and CPU per interval of covmon-agent with
# ICMP (3 targets x 20 echoes) and TCP probes, publishing to a real broker
# and acked by a real collector, over an hour-equivalent of intervals (60),
# beside the floor measured in the same run: an idle mosquitto_sub
# connected to the same broker. Not a test: prints figures (medians).
# With --all, every probe is on: also SNMP (a real snmpd on loopback, v2c,
# IF-MIB and radio OIDs) and passive capture on lo.
#   tests/bench/bench_agent.sh [--runs N] [--intervals N] [--interval S] [--all]
set -euo pipefail
runs=3 intervals=60 interval=1 all=0
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--intervals) intervals=$2; shift 2 ;;
	--interval) interval=$2; shift 2 ;;
	--all) all=1; shift ;;
	*) echo "usage: $0 [--runs N] [--intervals N] [--interval S] [--all]" >&2; exit 2 ;;
	esac
done
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root for ICMP"
need mosquitto mosquitto_sub

start_broker
HTTP_PORT=$(free_port)
write_collector_conf "$T/collector.conf" "$T/data" "$HTTP_PORT"
start_collector "$T/collector.conf" "$T/collector.log"
wait_for 10 curl -sf "http://127.0.0.1:$HTTP_PORT/api/v1/health"

# kB of a /proc/PID/status field
status_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
# utime + stime in clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

extra=""
if [ "$all" = 1 ]; then
	need snmpd
	SNMP_PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	cat > "$T/snmpd.conf" <<CONF
agentaddress udp:127.0.0.1:$SNMP_PORT
rocommunity benchpublic 127.0.0.1
override 1.3.6.1.4.1.41112.1.4.5.1.5.1 integer -67
override 1.3.6.1.4.1.41112.1.4.5.1.8.1 integer -95
override 1.3.6.1.4.1.41112.1.4.5.1.7.1 unsigned 87
CONF
	snmpd -f -Lo -C -c "$T/snmpd.conf" > "$T/snmpd.log" 2>&1 &
	PIDS+=($!)
	sleep 1
	extra="[probe.snmp]
host = 127.0.0.1
port = $SNMP_PORT
version = 2c
community = benchpublic
if_index = 1
timeout_ms = 500
signal_oid = 1.3.6.1.4.1.41112.1.4.5.1.5.1
noise_oid = 1.3.6.1.4.1.41112.1.4.5.1.8.1
ccq_oid = 1.3.6.1.4.1.41112.1.4.5.1.7.1
[probe.pcap]
interface = lo
buffer_kb = 1024"
fi

: > "$T/results"
for run in $(seq 1 "$runs"); do
	rm -rf "$T/spool"
	cat > "$T/agent.conf" <<CONF
[agent]
id = bench-agent-01
province = lao-cai
interval = $interval
spool_dir = $T/spool
start_delay = 0
[mqtt]
host = 127.0.0.1
port = $MQTT_PORT
[probe.icmp]
targets = 127.0.0.1, 127.0.0.2, ::1
count = 20
timeout_ms = $(python3 -c "print(int($interval * 400))")
[probe.tcp]
targets = 127.0.0.1:$MQTT_PORT
timeout_ms = 1000
$extra
CONF
	"$COVMON_BUILD/covmon-agent" -c "$T/agent.conf" > "$T/agent.log" 2>&1 &
	apid=$!
	mosquitto_sub -p "$MQTT_PORT" -t "bench/idle/$run" > /dev/null 2>&1 &
	spid=$!
	sleep "$interval"       # past start-up
	c0=$(cpu_ticks "$apid")
	sleep "$(python3 -c "print($intervals * $interval)")"
	c1=$(cpu_ticks "$apid")
	a_rss=$(status_kb "$apid" VmRSS) a_anon=$(status_kb "$apid" RssAnon) a_hwm=$(status_kb "$apid" VmHWM)
	s_rss=$(status_kb "$spid" VmRSS) s_anon=$(status_kb "$spid" RssAnon)
	stored=$(metric covmon_samples_stored_total)
	kill "$apid" "$spid"; wait "$apid" "$spid" 2>/dev/null || true
	ms_per_interval=$(python3 -c "print(round(($c1 - $c0) * 1000 / $hz / $intervals, 3))")
	echo "$a_rss $a_anon $a_hwm $s_rss $s_anon $ms_per_interval" >> "$T/results"
	echo "run $run: agent RSS ${a_rss} kB (anon ${a_anon} kB, peak ${a_hwm} kB); mosquitto_sub RSS ${s_rss} kB (anon ${s_anon} kB); agent CPU ${ms_per_interval} ms/interval; collector stored $stored"
done

col() { awk -v c="$1" '{ print $c }' "$T/results" | median; }
a_rss=$(col 1) a_anon=$(col 2) s_rss=$(col 4) s_anon=$(col 5) cpu=$(col 6)
echo
probes="ICMP 3 targets x 20 echoes + TCP"
[ "$all" = 1 ] && probes="$probes + SNMP (snmpd on loopback) + pcap on lo (1 MiB ring)"
echo "median of $runs runs, $intervals intervals of $interval s each, $probes:"
printf '  agent RSS %s kB, private (RssAnon) %s kB\n' "$a_rss" "$a_anon"
printf '  floor (idle mosquitto_sub) RSS %s kB, private %s kB\n' "$s_rss" "$s_anon"
if [ "$all" = 1 ]; then
	printf '  agent RSS - floor = %s kB; private %s kB (aim < 2048 besides the capture ring)\n' "$((a_rss - s_rss))" "$a_anon"
else
	printf '  agent RSS - floor = %s kB (aim < 1024); private %s kB (aim < 1024)\n' "$((a_rss - s_rss))" "$a_anon"
fi
printf '  agent RSS / floor = %s\n' "$(python3 -c "print(round($a_rss / $s_rss, 2))")"
printf '  CPU per interval: %s ms (aim < 5 ms)\n' "$cpu"
