#!/bin/bash
# covmon demo: installs what is missing, builds, and starts a local broker,
# a collector and an agent probing this machine, then shows where the data
# goes. Ctrl-C stops everything it started.
#   deploy/demo.sh [--duration SECONDS]   (default: run until Ctrl-C)
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
duration=0
while [ $# -gt 0 ]; do
	case $1 in
	--duration) duration=$2; shift 2 ;;
	-h|--help) sed -n '2,6p' "$0"; exit 0 ;;
	*) echo "demo: unknown option $1" >&2; exit 2 ;;
	esac
done

"$src/deploy/install-deps.sh"
cmake -S "$src" -B "$src/build" >/dev/null
cmake --build "$src/build" -j2 >/dev/null

run=$(mktemp -d /tmp/covmon-demo.XXXXXX)
pids=()
stop() {
	trap - EXIT INT TERM
	echo
	echo "demo: stopping"
	for p in "${pids[@]+"${pids[@]}"}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	echo "demo: everything stopped; data kept in $run"
}
trap stop EXIT
trap 'exit 0' INT TERM

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mqtt_port=$(port)
http_port=$(port)

cat > "$run/mosquitto.conf" <<CONF
listener $mqtt_port 127.0.0.1
allow_anonymous true
persistence true
persistence_location $run/broker/
CONF
# As root, mosquitto drops to its own user: let it write its database.
if [ "$(id -u)" -eq 0 ] && id mosquitto >/dev/null 2>&1; then chmod 755 "$run"; mkdir -p "$run/broker"; chown mosquitto "$run/broker"; fi
mosquitto -c "$run/mosquitto.conf" > "$run/mosquitto.log" 2>&1 &
pids+=($!)

cat > "$run/collector.conf" <<CONF
[collector]
data_dir = $run/data

[mqtt]
host = 127.0.0.1
port = $mqtt_port
client_id = covmon-collector-demo

[http]
listen = 127.0.0.1:$http_port
CONF
sleep 0.5
"$src/build/covmon-collector" -c "$run/collector.conf" > "$run/collector.log" 2>&1 &
pids+=($!)

cat > "$run/agent.conf" <<CONF
[agent]
id = lc-batxat-suoichai-01
province = lao-cai
interval = 5
spool_dir = $run/spool
start_delay = 0

[mqtt]
host = 127.0.0.1
port = $mqtt_port

[probe.icmp]
targets = 127.0.0.1
count = 10
timeout_ms = 1000
CONF
"$src/build/covmon-agent" -c "$run/agent.conf" > "$run/agent.log" 2>&1 &
pids+=($!)

rrd=$run/data/rrd/lao-cai/lc-batxat-suoichai-01/icmp.rrd
cat <<TXT

covmon demo running (logs and data in $run)
  broker     mosquitto on 127.0.0.1:$mqtt_port
  collector  $src/build/covmon-collector -c $run/collector.conf
  agent      $src/build/covmon-agent -c $run/agent.conf  (ICMP to 127.0.0.1 every 5 s)

Where the data goes:
  RRD file   $rrd
             rrdtool lastupdate $rrd
  state      $run/data/state.db
  counters   curl -s http://127.0.0.1:$http_port/metrics
  health     curl -s http://127.0.0.1:$http_port/api/v1/health
  live MQTT  mosquitto_sub -p $mqtt_port -v -t 'covmon/v1/#'
  site check $src/build/covmon-agent -c $run/agent.conf --once

Ctrl-C stops everything.
TXT

start=$(date +%s)
shown=0
while :; do
	sleep 1
	if [ $shown -eq 0 ] && [ -f "$rrd" ]; then
		sleep 6
		echo
		echo "first samples stored:"
		rrdtool lastupdate "$rrd" || true
		shown=1
	fi
	if [ "$duration" -gt 0 ] && [ $(( $(date +%s) - start )) -ge "$duration" ]; then
		break
	fi
done
