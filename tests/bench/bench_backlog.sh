#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A fleet back after a regional outage (issue 22): AGENTS agents each send
# ROUNDS spooled samples of 12 metrics at once, agent after agent, as fast
# as the broker takes them; covmon and collectd side by side in one
# invocation, on the same values:
#   direct     covmon writing the files itself
#   collectd   collectd's mqtt + rrdtool plugins
#   rrdcached  covmon through rrdcached
#   cd-cached  collectd's mqtt + rrdcached plugins, to the same rrdcached
# Each run starts on an empty data_dir (files created on the way), and is
# timed from the first publish until every file holds the last round
# (rrdcached -w 1: its flush to the files is part of the time). Then, with
# --existing R, a second backlog of R rounds on the files the first left.
# A benchmark, not a test: ctest does not run it. Prints values/s, medians
# of the runs (min-max), and covmon / collectd per run, paired.
#
#   tests/bench/bench_backlog.sh [--agents N] [--rounds R] [--existing R2]
#       [--runs K] [--modes "direct collectd rrdcached cd-cached"]
set -euo pipefail

AGENTS=1000 ROUNDS=10 EXISTING=0 RUNS=3 MODES="direct collectd rrdcached cd-cached"
usage() { sed -n '17,18p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--agents) AGENTS=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--existing) EXISTING=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--modes) MODES=$2; shift 2 ;;
	-h|--help) usage ;;
	*) echo "bench_backlog: unknown option $1" >&2; usage ;;
	esac
done

export TEST_LIMIT=36000
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$COVMON_SRC/tests/bench/lib.sh"
CLEANUPS+=("rm -rf '$T/data'")
need mosquitto cc curl python3 rrdcached
bench_need_build
for m in $MODES; do case $m in collectd|cd-cached) need collectd ;; esac; done
RES=$T/results.txt
: > "$RES"

bench_drivers
bench_fleet "$AGENTS"
TS0=$(( ($(date +%s) - 20 * 86400) / 60 * 60 ))

# -w 1 -f 1: every file written within a second or two of its first
# pending value (-f: how often the whole cache is searched for them).
start_cached() { bench_rrdcached "$1" -w 1 -f 1; }

# files_at DIR TS N: waits until N files under DIR hold a last update >= TS
# and prints the time; when the count stands still for 10 s short of N
# (collectd drops the values that come while their file is being made),
# prints the time of its last rise and says how many files fell short.
files_at() {
	local last=-1 t=$SECONDS tc ge
	tc=$(now)
	while :; do
		t1=$(now)
		read -r _ ge < <("$T/bench_rrd_raw" count "$1" "$2")
		[ "$ge" -ge "$3" ] && break
		if [ "$ge" != "$last" ]; then last=$ge; t=$SECONDS; tc=$t1; fi
		if [ $((SECONDS - t)) -ge 10 ]; then
			echo "bench_backlog: only $ge of $3 files got their last value (ts $2)" >&2
			echo "short $ge/$3" >> "$T/short.txt"
			echo "$tc"
			return 0
		fi
		sleep 0.2
	done
	echo "$t1"
}

# One backlog of R rounds from TS on, with the daemon(s) of MODE already
# up; prints values/s.
backlog() {
	local mode=$1 r=$2 ts=$3 seq=$4 dir=$5 nfiles=$6 fmt=covmon t0 t1
	case $mode in collectd|cd-cached) fmt=collectd ;; esac
	sync; sleep 1
	t0=$(now)
	"$T/bench_pub" backlog $fmt "$MQTT_PORT" "$T/agents.txt" "$r" "$ts" "$seq" > "$T/pub.out"
	t1=$(files_at "$dir" $(( ts + (r - 1) * 60 )) "$nfiles")
	python3 -c "print('%.0f' % ($AGENTS * $r * 12 / ($t1 - $t0)))"
}

# One run of MODE: a fresh data_dir, ROUNDS (files created on the way),
# then EXISTING rounds on those files.
run_mode() {
	local mode=$1 run=$2 data=$T/data dpid='' cached='' nfiles
	rm -rf "$data" "$T/journal" "$T/short.txt"; mkdir -p "$data/rrd"
	bench_broker
	case $mode in
	direct|rrdcached)
		nfiles=$(( AGENTS * 3 ))
		local extra=()
		if [ "$mode" = rrdcached ]; then
			start_cached "$data/rrd"; cached=$RRDCACHED_PID
			extra=("[rrd]" "rrdcached = unix:$T/rrdcached.sock")
		fi
		HTTP_PORT=$(free_port)
		write_collector_conf "$T/collector.conf" "$data" "$HTTP_PORT" \
		    "[collector]" "inventory = $T/inv/inventory.csv" "queue_size = 65536" "${extra[@]}"
		sed -i 's/^max_clock_skew = .*/max_clock_skew = 86400/' "$T/collector.conf"
		"$B/covmon-collector" -c "$T/collector.conf" > "$T/collector-$mode.log" 2>&1 &
		dpid=$!
		PIDS+=("$dpid")
		wait_for 10 curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" || fail "collector did not start"
		;;
	collectd|cd-cached)
		nfiles=$(( AGENTS * 12 ))
		local plugin
		if [ "$mode" = cd-cached ]; then
			start_cached "$data/rrd"; cached=$RRDCACHED_PID
			plugin="LoadPlugin rrdcached
<Plugin rrdcached>
  DaemonAddress \"unix:$T/rrdcached.sock\"
  DataDir \"$data/rrd\"
  CreateFiles true
  CreateFilesAsync false
  StepSize 60
  HeartBeat 180
  XFF 0.5
  RRATimespan 86400
  RRATimespan 604800
  RRATimespan 7776000
  RRATimespan 63072000
</Plugin>"
		else
			plugin="LoadPlugin rrdtool
<Plugin rrdtool>
  DataDir \"$data/rrd\"
  StepSize 60
  HeartBeat 180
  XFF 0.5
  RRATimespan 86400 604800 7776000 63072000
</Plugin>"
		fi
		cat > "$T/collectd.conf" <<EOF
Hostname "bench"
FQDNLookup false
BaseDir "$T"
PIDFile "$T/collectd.pid"
PluginDir "/usr/lib/collectd"
TypesDB "/usr/share/collectd/types.db"
AutoLoadPlugin false
Interval 60
LoadPlugin mqtt
<Plugin mqtt>
  <Subscribe "bench">
    Host "127.0.0.1"
    Port "$MQTT_PORT"
    ClientId "bench-collectd"
    QoS 1
    Topic "collectd/#"
    CleanSession true
  </Subscribe>
</Plugin>
$plugin
EOF
		collectd -f -C "$T/collectd.conf" > "$T/collectd-$mode.log" 2>&1 &
		dpid=$!
		PIDS+=("$dpid")
		sleep 2
		kill -0 "$dpid" 2>/dev/null || fail "collectd did not start: $(tail -3 "$T/collectd-$mode.log")"
		;;
	esac
	local vps vps2=nan
	vps=$(backlog "$mode" "$ROUNDS" "$TS0" 1 "$data/rrd" "$nfiles")
	if [ "$EXISTING" -gt 0 ]; then
		vps2=$(backlog "$mode" "$EXISTING" $(( TS0 + ROUNDS * 60 )) $(( ROUNDS + 1 )) \
		    "$data/rrd" "$nfiles")
	fi
	echo "$mode $run created=$vps existing=$vps2 files=$nfiles disk_mb=$(du -sm "$data/rrd" | cut -f1)" \
	    "short=$(paste -sd, "$T/short.txt" 2>/dev/null | tr ' ' _)" |
	    tee -a "$RES" >&2
	bench_stop "$dpid" "$cached" "$BROKER_PID"
	rm -rf "$data" "$T/journal"
}

for run in $(seq 1 "$RUNS"); do
	for m in $MODES; do
		say "run $run: $m ($AGENTS agents x $ROUNDS rounds, then $EXISTING on existing files)"
		run_mode "$m" "$run"
	done
done

python3 - "$RES" "$AGENTS" "$ROUNDS" "$EXISTING" <<'PY'
import statistics as st, sys
runs = {}
for l in open(sys.argv[1]):
    f = l.split()
    kv = dict(x.split("=", 1) for x in f[2:] if "=" in x)
    if kv.get("short"):
        print("note: %s run %s: files short of their last value: %s" % (f[0], f[1], kv["short"]))
    runs.setdefault(f[0], {})[int(f[1])] = {k: float(kv[k]) for k in ("created", "existing")}
nan = float("nan")
agents, rounds, existing = sys.argv[2:5]
def fmt(xs):
    xs = [x for x in xs if x == x]
    return "%8.0f (%.0f-%.0f)" % (st.median(xs), min(xs), max(xs)) if xs else "       -"
print("\n== backlog: %s agents x 12 metrics x %s rounds (files created on the way)%s; values/s, median (min-max) of %d runs ==" %
      (agents, rounds, ", then %s rounds on the existing files" % existing if existing != "0" else "",
       max(len(v) for v in runs.values())))
for k in ("created", "existing"):
    if k == "existing" and existing == "0":
        continue
    print("%s:" % ("files created on the way" if k == "created" else "existing files"))
    for m in ("direct", "collectd", "rrdcached", "cd-cached"):
        if m in runs:
            print("  %-10s %s" % (m, fmt([r[k] for r in runs[m].values()])))
    for a, b in (("direct", "collectd"), ("rrdcached", "cd-cached")):
        if a in runs and b in runs:
            rs = [runs[a][i][k] / runs[b][i][k] for i in runs[a]
                  if i in runs[b] and runs[b][i][k] > 0 and runs[a][i][k] == runs[a][i][k]]
            if rs:
                print("  %s / %s, paired per run: median %.2f (%.2f-%.2f)" % (a, b, st.median(rs), min(rs), max(rs)))
PY
cp "$RES" "/tmp/bench_backlog-$(date +%s).txt"
