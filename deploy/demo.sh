#!/bin/bash
# covmon demo: a whole province on this machine. Installs what is missing,
# builds, and starts a local broker, rrdcached, the collector with the
# example inventory of Lào Cai and Thái Nguyên, a real agent probing
# loopback for the hamlet Suối Chải, and fleetsim playing every other
# hamlet, with a backhaul cut in one commune after a minute (an alert fires,
# then resolves when the cut ends). Prints the dashboard's URL and the
# covmon commands to try. Ctrl-C stops everything it started.
#   deploy/demo.sh [--duration SECONDS] [--cut-after S] [--cut-for S] [--no-build]
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
duration=0 cut_after=60 cut_for=90 build=1
while [ $# -gt 0 ]; do
	case $1 in
	--duration) duration=$2; shift 2 ;;
	--cut-after) cut_after=$2; shift 2 ;;
	--cut-for) cut_for=$2; shift 2 ;;
	--no-build) build=0; shift ;;
	-h|--help) sed -n '2,9p' "$0"; exit 0 ;;
	*) echo "demo: unknown option $1" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (the agent's ICMP probe needs a raw socket)" >&2; exit 2; }

if [ $build = 1 ]; then
	"$src/deploy/install-deps.sh"
	cmake -S "$src" -B "$src/build" >/dev/null
	cmake --build "$src/build" -j2 >/dev/null
fi
# The tests run it on the build they test (COVMON_BUILD).
bin=${COVMON_BUILD:-$src/build}

run=$(mktemp -d /tmp/covmon-demo.XXXXXX)
chmod 755 "$run"
pids=()
stop() {
	trap - EXIT INT TERM
	echo
	echo "demo: stopping"
	# Last started, first stopped: the collector flushes into rrdcached,
	# which must still be there.
	local rev=()
	for p in "${pids[@]+"${pids[@]}"}"; do rev=("$p" "${rev[@]+"${rev[@]}"}"); done
	for p in "${rev[@]+"${rev[@]}"}"; do
		kill "$p" 2>/dev/null || true
		for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.25
		done
	done
	for p in "${pids[@]+"${pids[@]}"}"; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.3; done
		kill -9 "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	echo "demo: everything stopped; logs and data kept in $run"
}
trap stop EXIT
trap 'exit 0' INT TERM

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mqtt_port=$(port)
http_port=$(port)

# Broker. As root, mosquitto drops to its own user: let it write its files.
mkdir -p "$run/broker"
id mosquitto >/dev/null 2>&1 && chown mosquitto "$run/broker"
cat > "$run/mosquitto.conf" <<CONF
listener $mqtt_port 127.0.0.1
allow_anonymous true
persistence true
persistence_location $run/broker/
max_queued_messages 100000
CONF
mosquitto -c "$run/mosquitto.conf" > "$run/mosquitto.log" 2>&1 &
pids+=($!)

# rrdcached, as the collector uses it in production.
mkdir -p "$run/data/rrd" "$run/journal"
rrdcached -g -l "unix:$run/rrdcached.sock" -j "$run/journal" -F -w 60 -f 3600 -z 10 \
	-b "$run/data/rrd" -B -p "$run/rrdcached.pid" > "$run/rrdcached.log" 2>&1 &
pids+=($!)

# The on-call "phone": an exec notifier that appends each notification.
cat > "$run/notify.sh" <<'SH'
#!/bin/sh
printf '%s %s %s: %s\n' "$(date +%H:%M:%S)" "$COVMON_ALERT_STATE" "$COVMON_ALERT_KIND" "$COVMON_ALERT_SUMMARY" >> "$(dirname "$0")/notifications.txt"
SH
chmod +x "$run/notify.sh"
: > "$run/notifications.txt"

cat > "$run/collector.conf" <<CONF
[collector]
data_dir = $run/data
inventory = $src/tests/data/inventory.csv
targets = $src/tests/data/targets.csv
eval_interval = 5

[mqtt]
host = 127.0.0.1
port = $mqtt_port
client_id = covmon-collector-demo

[rrd]
rrdcached = unix:$run/rrdcached.sock
; small files for a demo at a 10 s step: 6 hours of 10 s, a day of minutes
retention = RRA:AVERAGE:0.5:1:2160 RRA:AVERAGE:0.5:6:1440 RRA:MIN:0.5:6:1440 RRA:MAX:0.5:6:1440
wal_flush_interval = 30

[http]
listen = 127.0.0.1:$http_port
token = demo-token
; links in the notifications
public_url = http://127.0.0.1:$http_port/

[coverage]
offline_after = 30

[alerts]
for = 10
clear_for = 10
; the provinces' time, whatever the server's
timezone = Asia/Ho_Chi_Minh

[notifier.demo]
type = exec
command = $run/notify.sh

; On-call staff are woken for sites down; the rollout's red communes and
; overdue hamlets are for the dashboard (every alert shows there).
[route.oncall]
match = *
kinds = hamlet_down
notify = demo
group_by = commune
; A cut commune's agents come back each at its own phase of the 10 s
; interval: 10 s gathers their resolves into one message (5 s, the
; evaluation interval, split them now and then).
group_wait = 10
repeat = 10m
CONF
sleep 0.5
"$bin/covmon-collector" -c "$run/collector.conf" > "$run/collector.log" 2>&1 &
pids+=($!)

# A real agent for Suối Chải (Bát Xát), probing this machine.
cat > "$run/agent.conf" <<CONF
[agent]
id = lc-batxat-suoichai-01
province = lao-cai
interval = 10
spool_dir = $run/spool
start_delay = 0

[mqtt]
host = 127.0.0.1
port = $mqtt_port

[probe.icmp]
targets = 127.0.0.1, ::1
count = 10
timeout_ms = 1000

[probe.tcp]
targets = 127.0.0.1:$http_port
CONF
"$bin/covmon-agent" -c "$run/agent.conf" > "$run/agent.log" 2>&1 &
pids+=($!)

# Every other hamlet, played by fleetsim; Mường Khương's backhaul is cut.
"$bin/tests/fleetsim/covmon-fleetsim" -p "$mqtt_port" -i "$src/tests/data/inventory.csv" \
	--interval 10 --duration 86400 --ack -s silent:lc-batxat-suoichai-01 \
	-s cut:muong-khuong --cut-after "$cut_after" --cut-for "$cut_for" \
	> "$run/fleetsim.log" 2>&1 &
pids+=($!)

url=http://127.0.0.1:$http_port
cat <<TXT

covmon demo running: Lào Cai and Thái Nguyên, 369 hamlets (logs and data in $run)

  dashboard   $url/
  a province  $url/province/lao-cai
  a site      $url/hamlet/bx-suoi-chai        (a real agent on this machine)
  alerts      $url/alerts

Where the data goes:
  RRD files   $run/data/rrd/<province>/<agent>/*.rrd, e.g. Suối Chải's latency:
              rrdtool lastupdate --daemon unix:$run/rrdcached.sock $run/data/rrd/lao-cai/lc-batxat-suoichai-01/icmp.rrd
  state       $run/data/state.db (SQLite)

Try:
  $bin/covmon --url $url status
  $bin/covmon --url $url hamlets --state uncovered --province lao-cai
  $bin/covmon --url $url site bx-suoi-chai
  $bin/covmon --url $url alerts
  $bin/covmon-agent -c $run/agent.conf --once      (the technician's check)
  curl -s $url/metrics | grep covmon_samples
  tail -f $run/notifications.txt                   (what on-call staff receive)

Mường Khương's backhaul is cut after ${cut_after} s for ${cut_for} s: watch the alert fire and resolve.
Ctrl-C stops everything.
TXT

start=$(date +%s)
seen=0
shown=0
rrd=$run/data/rrd/lao-cai/lc-batxat-suoichai-01/icmp.rrd
while :; do
	sleep 1
	if [ $shown = 0 ] && [ -f "$rrd" ] && [ $(( $(date +%s) - start )) -ge 25 ]; then
		echo "  Suối Chải's link now (rrdtool lastupdate):"
		rrdtool lastupdate --daemon "unix:$run/rrdcached.sock" "$rrd" 2>&1 | sed 's/^/    /' || true
		shown=1
	fi
	n=$(wc -l < "$run/notifications.txt")
	if [ "$n" -gt "$seen" ]; then
		tail -n $((n - seen)) "$run/notifications.txt" | sed 's/^/  notification: /'
		seen=$n
	fi
	if [ "$duration" -gt 0 ] && [ $(( $(date +%s) - start )) -ge "$duration" ]; then
		break
	fi
done
