#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A rollout day (issue 22): AGENTS agents whose files exist publish at
# RATE samples/s while NEW agents join at once (two samples each, as fast
# as fleetsim goes). Prints the publish -> stored lag of the existing
# agents (20 probe agents beside them, one sample a second each) over the
# whole run and in 5 s windows (beside each window, the most the page
# cache had dirty and under writeback), and the time until every new agent
# has a sample stored. A benchmark, not a test: ctest does not run it.
#
#   tests/bench/bench_rollout.sh [--agents N] [--new M] [--rate R] [--duration S]
#       [--mode direct|rrdcached|all] [--retention full|short] [--probes P]
#
# Defaults: 10,000 existing, 10,000 new, 1,700 samples/s (100,000 agents
# at 60 s), 60 s, both modes, short retention (one hour of 60 s rows: full
# retention is ~4 MB an agent, 80 GB for 20,000 agents, more than this
# disk has; --retention full for a smaller fleet). The new agents start
# joining 5 s into the run.
set -euo pipefail

AGENTS=10000 NEW=10000 RATE=1700 DURATION=60 MODE=all RETENTION=short PROBES=20
usage() { sed -n '10,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--agents) AGENTS=$2; shift 2 ;;
	--new) NEW=$2; shift 2 ;;
	--rate) RATE=$2; shift 2 ;;
	--duration) DURATION=$2; shift 2 ;;
	--mode) MODE=$2; shift 2 ;;
	--retention) RETENTION=$2; shift 2 ;;
	--probes) PROBES=$2; shift 2 ;;
	-h|--help) usage ;;
	*) echo "bench_rollout: unknown option $1" >&2; usage ;;
	esac
done
case $MODE in all|direct|rrdcached) ;; *) usage ;; esac
case $RETENTION in full|short) ;; *) usage ;; esac

export TEST_LIMIT=$(( 7200 + (AGENTS + NEW) / 5 ))
. "$(cd "$(dirname "$0")/.." && pwd)/lib.sh"
. "$COVMON_SRC/tests/bench/lib.sh"
CLEANUPS+=("rm -rf '$T/data'")
need mosquitto cc curl python3
bench_need_build

need_mb=$(( (AGENTS + NEW) * 5 ))
[ "$RETENTION" = full ] || need_mb=$(( (AGENTS + NEW) / 6 + 100 ))
bench_need_disk "$need_mb"
bench_drivers

# One inventory of AGENTS + NEW agents for the collector; fleetsim takes
# the first AGENTS from one file and the NEW others from another.
bench_fleet $(( AGENTS + NEW ))
python3 - "$T/inv/inventory.csv" "$AGENTS" "$T/existing.csv" "$T/new.csv" <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines(True)
n = int(sys.argv[2])
# gen-inventory writes one agent per hamlet (--agent-pct 100), no quoted newlines.
open(sys.argv[3], "w", encoding="utf-8").writelines(lines[:1] + lines[1:1 + n])
open(sys.argv[4], "w", encoding="utf-8").writelines(lines[:1] + lines[1 + n:])
PY
NEW=$(( $(wc -l < "$T/new.csv") - 1 ))
ROUNDS=$(( (RATE * DURATION + AGENTS - 1) / AGENTS ))
TSC=$(( ($(date +%s) - 20 * 86400) / 60 * 60 ))
say "existing=$AGENTS new=$NEW rate=$RATE/s duration=${DURATION}s ($ROUNDS rounds) retention=$RETENTION"


bench_mode() {
	local mode=$1 extra=() data=$T/data log=$T/collector-$1.log
	rm -rf "$data"; mkdir -p "$data/rrd"
	bench_broker
	local broker=$BROKER_PID cached=
	if [ "$mode" = rrdcached ]; then
		bench_rrdcached "$data/rrd" -w 300 -z 60
		cached=$RRDCACHED_PID
		extra=("[rrd]" "rrdcached = unix:$T/rrdcached.sock")
	fi
	if [ "$RETENTION" = short ]; then
		[ ${#extra[@]} -gt 0 ] || extra=("[rrd]")
		extra+=("retention = RRA:AVERAGE:0.5:1:60 RRA:MIN:0.5:1:60 RRA:MAX:0.5:1:60")
	fi
	HTTP_PORT=$(free_port)
	write_collector_conf "$T/collector.conf" "$data" "$HTTP_PORT" \
	    "[collector]" "inventory = $T/inv/inventory.csv" "queue_size = 65536" "${extra[@]}"
	sed -i 's/^max_clock_skew = .*/max_clock_skew = 86400/; s/^keepalive = .*/keepalive = 60/' \
	    "$T/collector.conf"
	"$B/covmon-collector" -c "$T/collector.conf" -vv > "$log" 2>&1 &
	local collector=$!
	PIDS+=("$collector")
	wait_for 10 curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" || fail "collector did not start"

	say "$mode: warm-up, creating $AGENTS existing agents' files"
	local t0
	t0=$(now)
	"$FLEETSIM" -p "$MQTT_PORT" -i "$T/existing.csv" --interval 60 -r 0 -n 1 --seq-start 1 \
	    --start-ts $TSC > "$T/fleetsim.out"
	"$T/bench_pub" probe "$MQTT_PORT" bench-probe "$PROBES" 1.5 1 > /dev/null
	bench_wait_stored $(( AGENTS + PROBES )) 120
	say "$mode: warm-up done in $(python3 -c "print(round($(now) - $t0, 1))") s"
	sync; sleep 2

	local s0 tstart tnew
	s0=$(metric covmon_samples_stored_total)
	tstart=$(now)
	"$T/bench_pub" probe "$MQTT_PORT" bench-probe "$PROBES" "$DURATION" 10 > "$T/probe.txt" &
	local probe_pid=$!
	# The page cache's dirty and under-writeback kB every half second: a
	# window whose lag is high is read beside what the kernel was writing.
	( while :; do
		printf '%s %s\n' "$(now)" "$(awk '/^(Dirty|Writeback):/ { printf "%s ", $2 }' /proc/meminfo)"
		sleep 0.5
	done ) > "$T/dirty.txt" &
	local dirty_pid=$!
	"$FLEETSIM" -p "$MQTT_PORT" -i "$T/existing.csv" --interval 60 -r "$RATE" -n "$ROUNDS" \
	    --seq-start 2 --start-ts $(( TSC + 60 )) > "$T/fleetsim-existing.out" &
	local fleet_pid=$!
	sleep 5
	tnew=$(now)
	say "$mode: $NEW new agents join"
	"$FLEETSIM" -p "$MQTT_PORT" -i "$T/new.csv" --interval 60 -r 0 -n 2 --seq-start 1 \
	    --start-ts $(( TSC + 60 )) > "$T/fleetsim-new.out"
	wait $fleet_pid
	wait $probe_pid
	kill $dirty_pid 2>/dev/null || true
	local total=$(( s0 + AGENTS * ROUNDS + NEW * 2 + $(wc -l < "$T/probe.txt") ))
	bench_wait_stored "$total" 60 soft
	local tend
	tend=$(now)
	python3 - "$T/probe.txt" "$log" "$T/new.csv" "$tstart" "$tnew" "$tend" "$mode" "$T/dirty.txt" <<'PY' | tee -a "$T/results.txt"
import csv, datetime, re, sys
probe, log, newcsv, tstart, tnew, tend, mode, dirtyf = sys.argv[1:9]
tstart, tnew, tend = float(tstart), float(tnew), float(tend)
pub = {}
for l in open(probe):
    a, s, t = l.split()
    pub[(a, s)] = float(t)
new = {r["agent_id"] for r in csv.DictReader(open(newcsv, encoding="utf-8")) if r["agent_id"]}
rx = re.compile(r'^(\S+)Z \S+ stored (\S+) seq (\d+) ')
lags, first = [], {}
for l in open(log, errors="replace"):
    m = rx.match(l)
    if not m:
        continue
    t = datetime.datetime.fromisoformat(m[1]).replace(tzinfo=datetime.timezone.utc).timestamp()
    if (m[2], m[3]) in pub:
        lags.append((pub[(m[2], m[3])], t - pub[(m[2], m[3])]))
    elif m[2] in new and m[2] not in first:
        first[m[2]] = t
def q(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else float("nan")
all_l = [l for _, l in lags]
win = {}
for t, l in lags:
    win.setdefault(int((t - tstart) // 5), []).append(l)
wp99 = [q(v, 0.99) for k, v in sorted(win.items())]
during = [l for t, l in lags if t >= tnew]
print("%s existing lag p50=%.3f p99=%.3f max=%.3f n=%d; worst 5 s window p99=%.3f; "
      "after the new agents joined p99=%.3f" % (mode, q(all_l, .5), q(all_l, .99),
      max(all_l) if all_l else float("nan"), len(all_l), max(wp99) if wp99 else float("nan"),
      q(during, .99)))
print("%s window p99 (5 s): %s" % (mode, " ".join("%.3f" % x for x in wp99)))
# The most the kernel had dirty and under writeback in each window (MB).
dw = {}
for l in open(dirtyf):
    f = l.split()
    if len(f) == 3:
        k = int((float(f[0]) - tstart) // 5)
        d, w = dw.get(k, (0, 0))
        dw[k] = (max(d, int(f[1]) // 1024), max(w, int(f[2]) // 1024))
print("%s window dirty/writeback MB: %s" % (mode, " ".join(
    "%d/%d" % dw.get(k, (0, 0)) for k in sorted(win))))
if len(first) == len(new):
    print("%s new agents: all %d stored %.1f s after they started joining (half by %.1f s)" %
          (mode, len(new), max(first.values()) - tnew, q(list(first.values()), .5) - tnew))
else:
    print("%s new agents: only %d of %d stored" % (mode, len(first), len(new)))
PY
	curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" | grep -E '^covmon_(rrd_files_created_total|rrd_create_seconds|samples_held_back_total|samples_held_dropped_total|agents_awaiting_files|queue_full_total)' \
	    | sed "s/^/$mode /" | tee -a "$T/results.txt"
	bench_stop "$collector" "$cached" "$broker"
	rm -rf "$data" "$T/journal"
}

modes=$MODE
[ "$MODE" = all ] && modes="direct rrdcached"
for m in $modes; do bench_mode "$m"; done
echo "bench_rollout: results in $T/results.txt" >&2
cat "$T/results.txt"
cp "$T/results.txt" "/tmp/bench_rollout-$(date +%s).txt"
