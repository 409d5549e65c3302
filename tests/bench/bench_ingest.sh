#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Sustained and peak ingest of covmon-collector through a real local
# mosquitto, driven by covmon-fleetsim, beside raw librrd on the same files
# and collectd (mqtt + rrdtool plugins) on the same values. A benchmark, not
# a test: not run by ctest. Method and figures: docs/performance.md.
#
#   tests/bench/bench_ingest.sh [--agents N] [--rate R] [--duration S]
#       [--runs K] [--mode direct|rrdcached|collectd|all] [--probes P]
#       [--timeout S] [--retention full|short] [--perf PREFIX]
#
# direct, rrdcached: one warm-up sample per agent (creates the files, not
#   timed), then K times: a sustained run (fleetsim at --rate for about
#   --duration s, with P lag probes beside it), a peak run (the same number
#   of samples as fast as fleetsim and the broker go) and, in direct mode,
#   raw librrd updates of the same files (the ceiling).
# collectd: collectd -f with its own config, only mqtt (Subscribe) and
#   rrdtool loaded, fed the same values one message each, as fast as they go.
# all: the three in turn, same agents, same counts; ratios at the end.
# --retention short: one hour of 60 s rows (AVERAGE, MIN, MAX) for covmon
#   and collectd alike instead of the default RRAs, ~70 KiB an agent (~150
#   KiB as collectd's files) instead of ~4 MiB: for more agents than the
#   disk holds at full retention (each update then touches 3 RRAs instead
#   of 10: faster than production).
# --perf PREFIX: each peak run of the collector under perf record (cpu-clock,
#   call graphs) into PREFIX-MODE-RUN.data, for perf report --sort comm,sym.
# Needs a release build in build/ (or COVMON_BUILD), cc, mosquitto,
# rrdcached, collectd (Debian collectd-core). Everything it starts is
# stopped on exit; the whole run is bounded by --timeout.
set -euo pipefail

AGENTS=10000 RATE=1700 DURATION=60 RUNS=3 MODE=all PROBES=20 TIMEOUT=3600 RETENTION=full PERF=
usage() { sed -n '8,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--agents) AGENTS=$2; shift 2 ;;
	--rate) RATE=$2; shift 2 ;;
	--duration) DURATION=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--mode) MODE=$2; shift 2 ;;
	--probes) PROBES=$2; shift 2 ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	--retention) RETENTION=$2; shift 2 ;;
	--perf) PERF=$2; shift 2 ;;
	-h|--help) usage ;;
	*) echo "bench_ingest: unknown option $1" >&2; usage ;;
	esac
done
case $MODE in direct|rrdcached|collectd|all) ;; *) usage ;; esac
case $RETENTION in full|short) ;; *) usage ;; esac

# The whole run under timeout(1): on expiry our TERM trap stops everything.
if [ -z "${BENCH_INGEST_INNER:-}" ]; then
	BENCH_INGEST_INNER=1 exec timeout -s TERM "$TIMEOUT" "$0" --agents "$AGENTS" \
	    --rate "$RATE" --duration "$DURATION" --runs "$RUNS" --mode "$MODE" \
	    --probes "$PROBES" --timeout "$TIMEOUT" --retention "$RETENTION" ${PERF:+--perf "$PERF"}
fi

# lib.sh's watchdog is for tests (480 s); the bench is bounded by --timeout.
export TEST_LIMIT=$(( TIMEOUT + 60 ))
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$COVMON_SRC/tests/bench/lib.sh"
# lib.sh keeps $T on failure for its logs: never the RRD files (gigabytes).
CLEANUPS+=("rm -rf '$T/data' '$T/collectd/rrd'")
need mosquitto cc curl python3
[ -z "$PERF" ] || need perf
bench_need_build
grep -q 'CMAKE_BUILD_TYPE:STRING=Release' "$B/CMakeCache.txt" ||
	echo "bench_ingest: warning: $B is not a Release build" >&2
HZ=$(getconf CLK_TCK)
RES=$T/results.txt
: > "$RES"

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
calc() { python3 -c "print($*)"; }

# Disk: a full set of one agent's files is ~3.8 MiB (covmon), ~3.3 MiB
# as collectd's one-DS files (72 KiB and 148 KiB at short retention:
# collectd's files are one DS each, with a header each); refuse rather
# than fill the disk.
need_mb=$(( AGENTS * 5 ))
[ "$RETENTION" = full ] || need_mb=$(( AGENTS / 6 + 100 ))
bench_need_disk "$need_mb"

# Drivers, compiled here against the build tree.
bench_drivers

# Inventory: AGENTS agents, the first AGENTS in file order as fleetsim takes them.
bench_fleet "$AGENTS"
INV=$T/inv/inventory.csv
AGENTS=$(wc -l < "$T/agents.txt")
ROUNDS=$(( (RATE * DURATION + AGENTS - 1) / AGENTS ))   # samples per agent per run
# Timestamps: aligned, in the past, one step per round and never reused
# (RRD refuses a time at or before a file's last update).
TSC=$(( ($(date +%s) - 20 * 86400) / 60 * 60 ))
VPS=$("$T/bench_pub" values "$T/agents.txt" "$TSC" 1)
say "agents=$AGENTS rate=$RATE/s duration=${DURATION}s -> $ROUNDS rounds per run, $VPS values per sample"

# wait_stored TARGET SECS: polls /metrics until stored >= TARGET; prints the time.
wait_stored() {
	local end=$(( $(date +%s) + $2 ))
	while [ "$(metric covmon_samples_stored_total)" -lt "$1" ]; do
		[ "$(date +%s)" -lt "$end" ] || fail "stored $(metric covmon_samples_stored_total) < $1 after $2 s"
		sleep 0.05
	done
	now
}

# lag PROBE_FILE LOG: p50 p99 (s) of publish -> "stored" log line.
lag() {
	python3 - "$1" "$2" <<'PY'
import sys, re, datetime
pub = {}
for l in open(sys.argv[1]):
    a, s, t = l.split()
    pub[(a, s)] = float(t)
rx = re.compile(r'^(\S+)Z \S+ stored (lagprobe-\d+) seq (\d+) ')
lags = []
for l in open(sys.argv[2], errors="replace"):
    m = rx.match(l)
    if m and (m[2], m[3]) in pub:
        t = datetime.datetime.fromisoformat(m[1]).replace(tzinfo=datetime.timezone.utc).timestamp()
        lags.append(t - pub[(m[2], m[3])])
lags.sort()
if not lags:
    print("nan nan 0"); sys.exit()
q = lambda p: lags[min(len(lags) - 1, int(p * len(lags)))]
print("%.4f %.4f %d" % (q(0.50), q(0.99), len(lags)))
PY
}

# One covmon mode: direct or rrdcached.
bench_covmon() {
	local mode=$1 extra=() seq=1 pseq=1
	local data=$T/data log=$T/collector-$mode.log
	rm -rf "$data"; mkdir -p "$data/rrd"
	bench_broker
	if [ "$mode" = rrdcached ]; then
		bench_rrdcached "$data/rrd" -w 300 -z 60
		extra=("[rrd]" "rrdcached = unix:$T/rrdcached.sock")
	fi
	if [ "$RETENTION" = short ]; then
		[ ${#extra[@]} -gt 0 ] || extra=("[rrd]")
		extra+=("retention = RRA:AVERAGE:0.5:1:60 RRA:MIN:0.5:1:60 RRA:MAX:0.5:1:60")
	fi
	HTTP_PORT=$(free_port)
	write_collector_conf "$T/collector.conf" "$data" "$HTTP_PORT" "${extra[@]}"
	# Samples carry past timestamps (see TSC); the skew check stays on.
	# min_step: the default (60 s samples make 60 s files either way;
	# builds before issue 16 know no such key and refuse it).
	sed -i '/^min_step/d; s/^max_clock_skew = .*/max_clock_skew = 86400/; s/^keepalive = .*/keepalive = 60/' \
	    "$T/collector.conf"
	# -vv: the "stored AGENT seq N" lines the lag probes are matched with.
	"$B/covmon-collector" -c "$T/collector.conf" -vv > "$log" 2>&1 &
	COLLECTOR_PID=$!
	PIDS+=("$COLLECTOR_PID")
	wait_for 10 curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" || fail "collector did not start"
	sleep 0.5

	say "$mode: warm-up, creating $AGENTS agents' files"
	local t0
	t0=$(now)
	"$FLEETSIM" -p "$MQTT_PORT" -i "$INV" -a "$AGENTS" --interval 60 -r 0 -n 1 \
	    --seq-start $seq --start-ts $TSC > "$T/fleetsim.out"
	wait_stored "$AGENTS" 1800 > /dev/null
	"$T/bench_pub" probe "$MQTT_PORT" bench-probe "$PROBES" 1.5 $pseq > /dev/null
	pseq=$(( pseq + 3 ))
	wait_stored $(( AGENTS + PROBES )) 60 > /dev/null
	say "$mode: warm-up done in $(calc "round($(now) - $t0, 1)") s; $(du -sm "$data/rrd" | cut -f1) MB"
	seq=$(( seq + 1 )); TSC=$(( TSC + 60 ))

	for run in $(seq 1 "$RUNS"); do
		sync; sleep 2
		# Sustained: fleetsim at RATE, probes beside it.
		local s0 c0 r0 t1 n
		s0=$(metric covmon_samples_stored_total); c0=$(ticks "$COLLECTOR_PID")
		r0=$( [ "$mode" = rrdcached ] && ticks "$RRDCACHED_PID" || echo 0)
		t0=$(now)
		"$T/bench_pub" probe "$MQTT_PORT" bench-probe "$PROBES" "$DURATION" $pseq > "$T/probe.txt" &
		local probe_pid=$!
		"$FLEETSIM" -p "$MQTT_PORT" -i "$INV" -a "$AGENTS" --interval 60 -r "$RATE" \
		    -n "$ROUNDS" --seq-start $seq --start-ts $TSC > "$T/fleetsim.out"
		wait $probe_pid
		n=$(( AGENTS * ROUNDS + $(wc -l < "$T/probe.txt") ))
		t1=$(wait_stored $(( s0 + n )) 600)
		local cpu rcpu rss hwm lp
		cpu=$(calc "100 * ($(ticks "$COLLECTOR_PID") - $c0) / $HZ / ($t1 - $t0)")
		rcpu=$( [ "$mode" = rrdcached ] &&
		    calc "100 * ($(ticks "$RRDCACHED_PID") - $r0) / $HZ / ($t1 - $t0)" || echo 0)
		rss=$(status_kb "$COLLECTOR_PID" VmRSS); hwm=$(status_kb "$COLLECTOR_PID" VmHWM)
		lp=$(lag "$T/probe.txt" "$log")
		local sps
		sps=$(calc "$n / ($t1 - $t0)")
		echo "$mode sustained $run sps=$sps vps=$(calc "$sps * $VPS") cpu=$cpu rrdcached_cpu=$rcpu" \
		    "rss_kb=$rss hwm_kb=$hwm lag_p50=${lp%% *} lag_p99=$(echo "$lp" | cut -d' ' -f2)" \
		    "lag_n=${lp##* } fleetsim=\"$(tail -1 "$T/fleetsim.out")\"" | tee -a "$RES" >&2
		seq=$(( seq + ROUNDS )); TSC=$(( TSC + ROUNDS * 60 )); pseq=$(( pseq + DURATION + 5 ))

		sync; sleep 2
		# Peak: the same number of samples, as fast as they go.
		s0=$(metric covmon_samples_stored_total); c0=$(ticks $COLLECTOR_PID)
		local b0 m0
		bench_threads "$COLLECTOR_PID" > "$T/threads0"; b0=$(ticks "$BROKER_PID")
		m0=$( [ "$mode" = rrdcached ] && ticks "$RRDCACHED_PID" || echo 0)
		local perf_pid=
		if [ -n "$PERF" ]; then
			perf record -q -e cpu-clock -F 999 -g -p "$COLLECTOR_PID" \
			    -o "$PERF-$mode-$run.data" 2> "$T/perf.err" &
			perf_pid=$!
			sleep 1
		fi
		# The deepest the writer's queue gets (what it holds is resident).
		echo 0 > "$T/qmax"
		( m=0; while :; do d=$(metric covmon_queue_depth); d=${d%.*}
		  [ "${d:-0}" -le "$m" ] || { m=$d; echo "$m" > "$T/qmax"; }; sleep 0.1; done ) &
		local qpid=$!
		PIDS+=("$qpid")     # stopped on exit, should the wait below fail
		t0=$(now)
		"$FLEETSIM" -p "$MQTT_PORT" -i "$INV" -a "$AGENTS" --interval 60 -r 0 \
		    -n "$ROUNDS" --seq-start $seq --start-ts $TSC > "$T/fleetsim.out"
		t1=$(wait_stored $(( s0 + AGENTS * ROUNDS )) 900)
		kill "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null || true
		bench_threads "$COLLECTOR_PID" > "$T/threads1"
		if [ -n "$perf_pid" ]; then
			kill -INT "$perf_pid"; wait "$perf_pid" || true
			say "$mode: peak $run profiled in $PERF-$mode-$run.data"
		fi
		sps=$(calc "$AGENTS * $ROUNDS / ($t1 - $t0)")
		cpu=$(calc "100 * ($(ticks $COLLECTOR_PID) - $c0) / $HZ / ($t1 - $t0)")
		rcpu=$( [ "$mode" = rrdcached ] &&
		    calc "100 * ($(ticks "$RRDCACHED_PID") - $m0) / $HZ / ($t1 - $t0)" || echo 0)
		echo "$mode peak $run sps=$sps vps=$(calc "$sps * $VPS") cpu=$cpu rrdcached_cpu=$rcpu" \
		    "broker_cpu=$(calc "100 * ($(ticks "$BROKER_PID") - $b0) / $HZ / ($t1 - $t0)")" \
		    "queue_max=$(cat "$T/qmax") rss_kb=$(status_kb "$COLLECTOR_PID" VmRSS)" |
		    tee -a "$RES" >&2
		# Where the collector's time went, thread by thread (user/system %).
		echo "threads $mode-peak $run $(bench_threads_cpu "$T/threads0" "$T/threads1" \
		    "$(calc "$t1 - $t0")")" | tee -a "$RES" >&2
		seq=$(( seq + ROUNDS )); TSC=$(( TSC + ROUNDS * 60 ))

		if [ "$mode" = direct ]; then
			# The ceiling: raw librrd on the same files, collector idle.
			sync; sleep 2
			local out
			out=$("$T/bench_rrd_raw" update "$data/rrd" "$ROUNDS" "$TSC") || fail "bench_rrd_raw: $out"
			sps=$(echo "$out" | sed -n 's/.*samples_rate=\([0-9.]*\).*/\1/p')
			echo "raw ceiling $run sps=$sps vps=$(calc "$sps * $VPS")" | tee -a "$RES" >&2
			TSC=$(( TSC + ROUNDS * 60 ))
		fi
	done
	echo "disk $mode agent_kb=$(du -sk "$data/rrd/$(head -1 "$T/agents.txt" | tr ' ' /)" | cut -f1)" \
	    "max_agent_kb=$(du -sk "$data"/rrd/*/* | sort -n | tail -1 | cut -f1)" \
	    "total_mb=$(du -sm "$data/rrd" | cut -f1)" | tee -a "$RES" >&2
	bench_stop "$COLLECTOR_PID"
	grep -E 'warn|error|illegal' "$log" | grep -v 'debug' | head -5 >&2 || true
	if [ "$mode" = rrdcached ]; then bench_stop "$RRDCACHED_PID"; fi
	bench_stop "$BROKER_PID"
	rm -rf "$data" "$T/journal"
}

bench_collectd() {
	need collectd
	local dir=$T/collectd seq=1
	rm -rf "$dir"; mkdir -p "$dir/rrd"
	bench_broker
	# collectd's rrdtool plugin makes one file per value with AVERAGE, MIN
	# and MAX over the given spans: our retention's spans at a 60 s step.
	cat > "$dir/collectd.conf" <<EOF
Hostname "bench"
FQDNLookup false
BaseDir "$dir"
PIDFile "$dir/collectd.pid"
PluginDir "/usr/lib/collectd"
TypesDB "/usr/share/collectd/types.db"
AutoLoadPlugin false
Interval 60
LoadPlugin mqtt
LoadPlugin rrdtool
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
<Plugin rrdtool>
  DataDir "$dir/rrd"
  StepSize 60
  HeartBeat 180
  XFF 0.5
$( [ "$RETENTION" = short ] && printf '  RRARows 60\n  RRATimespan 3600' ||
    printf '  RRATimespan 86400 604800 7776000 63072000')
</Plugin>
EOF
	collectd -f -C "$dir/collectd.conf" > "$T/collectd.log" 2>&1 &
	COLLECTD_PID=$!
	PIDS+=("$COLLECTD_PID")
	sleep 2
	kill -0 "$COLLECTD_PID" 2>/dev/null || fail "collectd did not start"

	# done_at TS EXPECTED SECS: the time when EXPECTED files have a last
	# update >= TS: a 1-in-EVERY sample is polled until it is nearly there,
	# then every file (the time taken is the one before the last count).
	local every=$(( AGENTS / 100 > 1 ? AGENTS / 100 : 1 )) list
	done_at() {
		local end=$(( $(date +%s) + $3 )) t n ge
		while :; do
			read -r n ge < <("$T/bench_rrd_raw" count "$list" "$1" "$every")
			[ $(( ge * every * 100 )) -ge $(( $2 * 98 )) ] && break
			[ "$(date +%s)" -lt "$end" ] || fail "collectd: $ge of $n sampled files at ts $1 after $3 s"
			sleep 0.5
		done
		while :; do
			t=$(now)
			read -r n ge < <("$T/bench_rrd_raw" count "$list" "$1")
			[ "$ge" -ge "$2" ] && break
			[ "$(date +%s)" -lt "$end" ] || fail "collectd: $ge of $2 files at ts $1 after $3 s"
			sleep 0.2
		done
		echo "$t"
	}

	say "collectd: warm-up, creating $AGENTS agents' files"
	local t0 out v
	t0=$(now)
	out=$("$T/bench_pub" collectd "$MQTT_PORT" "$T/agents.txt" 0 1 $TSC $seq)
	v=$(echo "$out" | sed -n 's/.* last_values=\([0-9]*\).*/\1/p')
	# Until the list of files exists, poll by walking the tree (untimed).
	list=$dir/rrd
	done_at $TSC "$v" 3600 > /dev/null
	find "$dir/rrd" -name '*.rrd' | sort > "$dir/files"
	list=$dir/files
	say "collectd: warm-up done in $(calc "round($(now) - $t0, 1)") s; $(du -sm "$dir/rrd" | cut -f1) MB"
	seq=$(( seq + 1 )); TSC=$(( TSC + 60 ))
	for run in $(seq 1 "$RUNS"); do
		sync; sleep 2
		local c0 t1 last
		c0=$(ticks $COLLECTD_PID); t0=$(now)
		last=$(( TSC + (ROUNDS - 1) * 60 ))
		out=$("$T/bench_pub" collectd "$MQTT_PORT" "$T/agents.txt" 0 "$ROUNDS" $TSC $seq)
		v=$(echo "$out" | sed -n 's/.* values=\([0-9]*\).*/\1/p')
		t1=$(done_at $last "$(echo "$out" | sed -n 's/.* last_values=\([0-9]*\).*/\1/p')" 1800)
		local vps
		vps=$(calc "$v / ($t1 - $t0)")
		echo "collectd peak $run sps=$(calc "$vps / $VPS") vps=$vps" \
		    "cpu=$(calc "100 * ($(ticks $COLLECTD_PID) - $c0) / $HZ / ($t1 - $t0)")" \
		    "rss_kb=$(status_kb $COLLECTD_PID VmRSS) hwm_kb=$(status_kb $COLLECTD_PID VmHWM)" \
		    "publish=\"$out\"" | tee -a "$RES" >&2
		seq=$(( seq + ROUNDS )); TSC=$(( TSC + ROUNDS * 60 ))
	done
	echo "disk collectd agent_kb=$(du -sk "$dir/rrd/$(head -1 "$T/agents.txt" | cut -d' ' -f2)" | cut -f1)" |
	    tee -a "$RES" >&2
	bench_stop "$COLLECTD_PID"
	bench_stop "$BROKER_PID"
	rm -rf "$dir/rrd"
}

case $MODE in
direct|rrdcached) bench_covmon "$MODE" ;;
collectd) bench_collectd ;;
all) bench_covmon direct; bench_covmon rrdcached; bench_collectd ;;
esac

python3 - "$RES" "$AGENTS" "$RATE" "$VPS" "$RETENTION" <<'PY'
import sys, re, statistics as st
rows = {}
disk = {}
for l in open(sys.argv[1]):
    f = l.split()
    if f[0] == "threads":
        continue
    if f[0] == "disk":
        disk[f[1]] = dict(x.split("=", 1) for x in f[2:]); continue
    kv = dict(x.split("=", 1) for x in f[3:] if "=" in x and not x.startswith(("fleetsim", "publish")))
    rows.setdefault((f[0], f[1]), []).append({k: float(v) for k, v in kv.items() if re.match(r"^-?[0-9.]+$|^nan$", v)})
med = lambda key, k: st.median([r[k] for r in rows[key]]) if key in rows and all(k in r for r in rows[key]) else float("nan")
n = lambda key: len(rows.get(key, []))
agents, rate, vps = sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
print("\n== covmon ingest benchmark: %s agents, %.0f samples/s target, %.2f values/sample, %s retention (medians of runs) ==" % (agents, rate, vps, sys.argv[5]))
print("%-22s %4s %10s %11s %7s %9s %9s %8s %8s" % ("what", "runs", "samples/s", "values/s", "cpu %", "rss MB", "hwm MB", "lag p50", "lag p99"))
for key in [("direct", "sustained"), ("direct", "peak"), ("raw", "ceiling"),
            ("rrdcached", "sustained"), ("rrdcached", "peak"), ("collectd", "peak")]:
    if key not in rows: continue
    print("%-22s %4d %10.0f %11.0f %7.1f %9.1f %9.1f %8.3f %8.3f" % (
        " ".join(key), n(key), med(key, "sps"), med(key, "vps"), med(key, "cpu"),
        med(key, "rss_kb") / 1024, med(key, "hwm_kb") / 1024, med(key, "lag_p50"), med(key, "lag_p99")))
    if key == ("rrdcached", "sustained"):
        print("%-22s %4s %10s %11s %7.1f" % ("  (rrdcached itself)", "", "", "", med(key, "rrdcached_cpu")))
print("\nratios (medians of the same runs):")
def ratio(label, a, b):
    if a == a and b == b and b > 0: print("  %-50s %6.2f" % (label, a / b))
ratio("direct peak (its sustainable rate) / raw librrd ceiling", med(("direct", "peak"), "sps"), med(("raw", "ceiling"), "sps"))
ratio("direct peak / raw librrd ceiling (values/s)", med(("direct", "peak"), "vps"), med(("raw", "ceiling"), "vps"))
ratio("rrdcached peak / %.0f samples/s" % rate, med(("rrdcached", "peak"), "sps"), rate)
ratio("direct peak / %.0f samples/s" % rate, med(("direct", "peak"), "sps"), rate)
ratio("covmon direct peak / collectd (values/s)", med(("direct", "peak"), "vps"), med(("collectd", "peak"), "vps"))
ratio("covmon rrdcached peak / collectd (values/s)", med(("rrdcached", "peak"), "vps"), med(("collectd", "peak"), "vps"))
for m, d in disk.items():
    print("disk %-9s %s" % (m, " ".join("%s=%s" % kv for kv in d.items())))
PY
echo "bench_ingest: raw results in $RES (removed on exit; copy it if needed)" >&2
cp "$RES" "/tmp/bench_ingest-results-$$.txt" && echo "bench_ingest: copied to /tmp/bench_ingest-results-$$.txt" >&2
