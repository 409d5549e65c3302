#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# covmon demo: two provinces on this machine. Installs what is missing,
# builds, and starts a local broker, rrdcached, the collector with the demo
# inventory (deploy/demo/: Thái Nguyên's 92 communes, Lào Cai's border
# communes), a real agent probing loopback for the hamlet Suối Chải, and
# fleetsim playing every other hamlet, with Mường Khương's backhaul cut
# after a minute (an alert fires, then resolves when the cut ends). Prints
# the dashboard's URL, the API token and the covmon commands to try, then
# what the collector says of Thái Nguyên once the fleet is up.
# Ctrl-C stops everything it started.
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
	-h|--help) sed -n '2,11p' "$0"; exit 0 ;;
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

demo=$src/deploy/demo
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

# Two months of rollout behind today, so that the pages and the API can
# judge the pace to each target (on_track, projected_date): Thái Nguyên
# rose from 93 % to its 97.5 % of today, Lào Cai to all of its hamlets;
# Phú Đình gains a point in two months, far too slowly for 100 % by
# 2027-06-30; Cao Minh has not moved since it missed its deadline.
seed() { python3 "$demo/seed-history.py" "$run/data" "$@" --days 60 >/dev/null; }
commune_pct() {	# ID: (hamlets - 1) / hamlets, as the demo's fleet makes it
	awk -F, -v c="$1" 'NR > 1 && $4 == c { n++ } END { printf "%.4f %d\n", (n - 1) * 100 / n, n }' \
	    "$demo/inventory.csv"
}
seed thai-nguyen --from 93 --to 97.54 --total 976
seed lao-cai --from 85 --to 100 --total 34
read -r pd_pct pd_n < <(commune_pct phu-dinh)
seed thai-nguyen --commune phu-dinh --from "$(awk -v p="$pd_pct" 'BEGIN { print p - 1 }')" \
    --to "$pd_pct" --total "$pd_n"
read -r cm_pct cm_n < <(commune_pct cao-minh)
seed thai-nguyen --commune cao-minh --from "$cm_pct" --to "$cm_pct" --total "$cm_n"

# The on-call "phone": an exec notifier that appends each notification.
cat > "$run/notify.sh" <<'SH'
#!/bin/sh
printf '%s %s %s: %s\n' "$(date +%H:%M:%S)" "$COVMON_ALERT_STATE" "$COVMON_ALERT_KIND" "$COVMON_ALERT_SUMMARY" >> "$(dirname "$0")/notifications.txt"
SH
chmod +x "$run/notify.sh"
: > "$run/notifications.txt"

# The API token for write actions (silences, acks): new at each run.
token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
(umask 077; printf '%s\n' "$token" > "$run/api.token")

cat > "$run/collector.conf" <<CONF
[collector]
data_dir = $run/data
inventory = $demo/inventory.csv
targets = $demo/targets.csv
eval_interval = 5

[mqtt]
host = 127.0.0.1
port = $mqtt_port
client_id = covmon-collector-demo

[rrd]
rrdcached = unix:$run/rrdcached.sock
; small files for a demo: at the real agent's 10 s step 6 hours of 10 s and a
; day of minutes; at fleetsim's 30 s, 18 hours of 30 s and 3 days of 3 minutes
retention = RRA:AVERAGE:0.5:1:2160 RRA:AVERAGE:0.5:6:1440 RRA:MIN:0.5:6:1440 RRA:MAX:0.5:6:1440
wal_flush_interval = 30

[http]
listen = 127.0.0.1:$http_port
token_file = $run/api.token
; links in the notifications
public_url = http://127.0.0.1:$http_port/

[coverage]
; fleetsim's sites report every 30 s, the real agent every 10 s
offline_after = 90

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

# Every other hamlet, played by fleetsim: the sites on poor links of
# deploy/demo/degraded.txt degraded, Mường Khương's backhaul cut. A sample
# every 30 s from each of a thousand sites: 33 a second, which a busy
# machine keeps up with. Their traffic and loss are those of 10 in the
# morning whatever the time: in the evening peak one more site lost enough
# echoes to read degraded for minutes, and the figures the demo prints (and
# its test reads) came a minute later.
scen=(-s silent:lc-batxat-suoichai-01 -s cut:muong-khuong)
while read -r a; do
	case $a in ''|'#'*) ;; *) scen+=(-s "degraded:$a") ;; esac
done < "$demo/degraded.txt"
"$bin/tests/fleetsim/covmon-fleetsim" -p "$mqtt_port" -i "$demo/inventory.csv" \
	--interval 30 --duration 86400 --hour 10 --ack "${scen[@]}" \
	--cut-after "$cut_after" --cut-for "$cut_for" \
	> "$run/fleetsim.log" 2>&1 &
pids+=($!)
started=$(date +%s)

url=http://127.0.0.1:$http_port
hamlets=$(($(wc -l < "$demo/inventory.csv") - 1))
hm() { date -d "@$1" +%H:%M:%S; }
if [ "$cut_for" -gt 0 ]; then
	cut_text="at $(hm $((started + cut_after))) (in ${cut_after} s) for ${cut_for} s, back at $(hm $((started + cut_after + cut_for)))"
else
	cut_text="at $(hm $((started + cut_after))) (in ${cut_after} s), until the demo stops"
fi
cat <<TXT

covmon demo running: Thái Nguyên (92 communes) and Lào Cai, $hamlets hamlets (logs and data in $run)

  dashboard   $url/
  a province  $url/province/thai-nguyen
  a site      $url/hamlet/bx-suoi-chai        (a real agent on this machine)
  alerts      $url/alerts

Where the data goes:
  RRD files   $run/data/rrd/<province>/<agent>/*.rrd, e.g. Suối Chải's latency:
              rrdtool lastupdate --daemon unix:$run/rrdcached.sock $run/data/rrd/lao-cai/lc-batxat-suoichai-01/icmp.rrd
  state       $run/data/state.db (SQLite)

Try:
  $bin/covmon --url $url status --province thai-nguyen
  $bin/covmon --url $url hamlets --state uncovered --province thai-nguyen
  $bin/covmon --url $url site bx-suoi-chai
  $bin/covmon --url $url alerts
  $bin/covmon-agent -c $run/agent.conf --once      (the technician's check)
  curl -s $url/metrics | grep covmon_samples
  tail -f $run/notifications.txt                   (what on-call staff receive)

Silences and acks need the API token (in $run/api.token):
  export COVMON_TOKEN=$token
  $bin/covmon --url $url silence add --match commune:muong-khuong --until 2h --reason "fibre repair"
  $bin/covmon --url $url ack ALERT_ID              (ALERT_ID from covmon alerts)
  curl -s -H "Authorization: Bearer $token" $url/api/v1/silences

Backhaul cut: Mường Khương (Lào Cai), its 5 hamlets, $cut_text:
watch the alert fire and resolve. Thái Nguyên is not touched by it.
Ctrl-C stops everything.

TXT

# "Suối Chải: RTT 0.1 ms (…), loss 0 %, TCP connect 0.2 ms" from the last
# values in its RRD files, as rrdcached has them.
site_line() {
	python3 - "$run/rrdcached.sock" "$run/data/rrd/lao-cai/lc-batxat-suoichai-01" <<'PY'
import math, subprocess, sys, time
sock, d = sys.argv[1], sys.argv[2]
def last(f):
    try:
        out = subprocess.run(["rrdtool", "lastupdate", "--daemon", "unix:" + sock, d + "/" + f],
                             capture_output=True, text=True, timeout=10).stdout.split("\n")
    except Exception:
        return 0, {}
    names = out[0].split() if out else []
    for l in out[1:]:
        if ":" in l:
            t, vals = l.split(":", 1)
            v = {}
            for n, x in zip(names, vals.split()):
                try:
                    v[n] = float(x)
                except ValueError:
                    pass
            return int(t), {n: x for n, x in v.items() if math.isfinite(x)}
    return 0, {}
def ms(x):
    return ("%.2f" % x if x < 1 else "%.1f" % x) + " ms"
t, i = last("icmp.rrd")
if "icmp_rtt_avg_ms" not in i:
    sys.exit(1)
parts = ["RTT " + ms(i["icmp_rtt_avg_ms"])]
extra = [k + " " + ms(i[n]) for k, n in (("min", "icmp_rtt_min_ms"), ("max", "icmp_rtt_max_ms"),
         ("jitter", "icmp_jitter_ms")) if n in i]
if extra:
    parts[0] += " (" + ", ".join(extra) + ")"
if "icmp_loss_pct" in i:
    parts.append("loss %g %%" % round(i["icmp_loss_pct"], 1))
_, tc = last("tcp.rrd")
if tc.get("tcp_connect_ok") == 0:
    parts.append("TCP connect failing")
elif "tcp_connect_ms" in tc:
    parts.append("TCP connect " + ms(tc["tcp_connect_ms"]))
print("Suối Chải: %s (icmp.rrd at %s)" % (", ".join(parts), time.strftime("%H:%M:%S", time.localtime(t))))
PY
}

# Thái Nguyên as the collector's API has it, once every agent of it has
# sent samples (an agent only announced online counts as covered until its
# first sample says otherwise).
province_line() {
	curl -sf --max-time 5 "$url/api/v1/provinces/thai-nguyen" > "$run/tn.json" &&
	curl -sf --max-time 5 "$url/api/v1/hamlets?province=thai-nguyen" > "$run/tn-hamlets.json" &&
	python3 - "$run/tn.json" "$run/tn-hamlets.json" "$demo/inventory.csv" <<'PY'
import csv, json, sys
p = json.load(open(sys.argv[1]))
hs = json.load(open(sys.argv[2]))["hamlets"]
inv = [r for r in csv.DictReader(open(sys.argv[3], encoding="utf-8")) if r["province_id"] == "thai-nguyen"]
agents = sum(1 for r in inv if r["agent_id"])
sampled = sum(1 for h in hs if h.get("agent") and "icmp_loss_pct" in (h.get("metrics") or {}))
c = p["counts"]
if sampled < agents or c["total"] != len(inv):
    sys.exit(1)
col = {k: sum(1 for x in p["communes"] if x.get("colour") == k) for k in ("green", "yellow", "red")}
unc = c["down"] + c["unreachable"] + c["unmonitored"]
def pace(x):
    if x.get("on_track") is None:
        return "pace not known yet"
    if x.get("projected_date"):
        return "%s: 100 %% on %s at this pace, deadline %s" % (
            "on track" if x["on_track"] else "behind", x["projected_date"], x["deadline"])
    return "on track" if x["on_track"] else "behind, not rising"
pd = [x for x in p["communes"] if x["id"] == "phu-dinh"]
print("%s: %d communes: %d green, %d yellow, %d red; %d of %d hamlets covered, %.1f %% "
      "(target %g %% by %s: %s); %d uncovered, %d degraded; %s"
      % (p["name"], len(p["communes"]), col["green"], col["yellow"], col["red"], c["covered"],
         c["total"], p["covered_pct"], p["target_pct"], p["deadline"], p["colour"], unc,
         c["degraded"], pace(p)))
if pd:
    print("  Phú Đình: %.1f %% covered (target 100 %% by %s), %s" % (pd[0]["covered_pct"],
          pd[0]["deadline"], pace(pd[0])))
PY
}

start=$(date +%s)
seen=0
shown=0
cut_said=0
last_province=""
prev_province=""
same=0
while :; do
	sleep 1
	now=$(date +%s)
	if [ $shown = 0 ] && [ $((now - start)) -ge 25 ] && line=$(site_line 2>/dev/null); then
		echo "  $line"
		shown=1
	fi
	if [ $cut_said = 0 ] && [ "$now" -ge $((started + cut_after)) ]; then
		echo "  $(hm "$now") backhaul cut: Mường Khương (Lào Cai)"
		cut_said=1
	elif [ $cut_said = 1 ] && [ "$cut_for" -gt 0 ] && [ "$now" -ge $((started + cut_after + cut_for)) ]; then
		echo "  $(hm "$now") backhaul back: Mường Khương (Lào Cai)"
		cut_said=2
	fi
	# Printed when it has changed and held for 35 s (a site's first
	# sample may breach a threshold until the next one, 30 s later).
	if [ $((now % 5)) = 0 ]; then
		line=$(province_line 2>/dev/null) || line=""
		if [ "$line" = "$prev_province" ]; then
			same=$((same + 1))
		else
			same=0
		fi
		prev_province=$line
		if [ -n "$line" ] && [ $same -ge 7 ] && [ "$line" != "$last_province" ]; then
			echo "  $(hm "$now") $line"
			last_province=$line
		fi
	fi
	n=$(wc -l < "$run/notifications.txt")
	if [ "$n" -gt "$seen" ]; then
		tail -n $((n - seen)) "$run/notifications.txt" | sed 's/^/  notification: /'
		seen=$n
	fi
	if [ "$duration" -gt 0 ] && [ $((now - start)) -ge "$duration" ]; then
		break
	fi
done
