#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Soak: the collector under a steady fleet (fleetsim --ack, a few hundred
# agents at one sample per second each, in real time), with the inventory
# evaluated every 5 s and the HTTP API read on every probe, for
# COVMON_SOAK_SECONDS (default 75; e.g. 3600 for a long run). Its private
# memory (RssAnon) is sampled every few seconds and must be flat after the
# warm-up: the growth from the first third of the run to the last stays
# under a bound that a leak of 100 bytes per sample would exceed (the test
# checks that its own run is long enough for that, or it fails); a leak
# of 100 bytes per message, put in on purpose, was caught (+1,220 kB
# against a bound of 505 kB). Ends with the ledger check.
# A long run, past ctest's 600 s limit: run the script itself, e.g.
#   COVMON_SOAK_SECONDS=3600 COVMON_BUILD=build bash tests/faults/test_soak.sh
SOAK=${COVMON_SOAK_SECONDS:-75}
AGENTS=${COVMON_SOAK_AGENTS:-300}
TEST_LIMIT=${TEST_LIMIT:-$((SOAK + 240))}
. "$(dirname "$0")/../lib.sh"
need mosquitto curl python3
[ "$SOAK" -ge 60 ] || fail "COVMON_SOAK_SECONDS=$SOAK: at least 60 s"

LEAK=100               # bytes per sample the test must be able to see
PERIOD=1.5             # seconds between memory samples (the API read every other)
# The MQTT -> writer queue is one ring allocated at start (512 bytes a
# slot) whose pages the kernel gives on first touch: its first pass looks
# exactly like a leak of 512 bytes per sample (33.5 MB at the default
# 65,536 slots, over 3.6 minutes at this rate). A small ring is past its
# first pass early in the warm-up; the rate never fills it.
QUEUE=4096

start_broker
HTTP_PORT=$(free_port)
write_collector_conf "$T/collector.conf" "$T/data" "$HTTP_PORT" \
	"[collector]" "inventory = $COVMON_SRC/tests/data/inventory.csv" \
	"targets = $COVMON_SRC/tests/data/targets.csv" "eval_interval = 5" "queue_size = $QUEUE" \
	"[rrd]" "retention = RRA:AVERAGE:0.5:1:600"
start_collector "$T/collector.conf" "$T/collector.log" -vv
wait_for 15 bash -c "curl -sf http://127.0.0.1:$HTTP_PORT/metrics | grep -q '^covmon_mqtt_connected 1'" \
	|| fail "collector not up and connected"

fleet_start -a "$AGENTS" --interval 1 -d "$SOAK" --ack --ack-timeout 10 --ack-wait 60

# Every PERIOD s while the fleet runs: seconds, samples stored, VmRSS,
# RssAnon, Private (smaps_rollup), in kB; and the API read as a user would.
kb() { awk -v k="$1:" '$1 == k { print $2 }' "$2"; }
t0=$(date +%s.%N)
echo "t,stored,vmrss_kb,rssanon_kb,private_kb" > "$T/mem.csv"
n=0
while kill -0 "$FLEET_PID" 2>/dev/null; do
	st=/proc/$COLLECTOR_PID/status
	[ -r "$st" ] || fail "the collector is gone"
	priv=$(awk '$1 ~ /^Private_(Clean|Dirty):$/ { s += $2 } END { print s + 0 }' "/proc/$COLLECTOR_PID/smaps_rollup")
	echo "$(python3 -c "print('%.1f' % ($(date +%s.%N) - $t0))"),$(metric covmon_samples_stored_total),$(kb VmRSS "$st"),$(kb RssAnon "$st"),$priv" >> "$T/mem.csv"
	# The API as a user reads it, every other sample: on a loaded machine
	# its four requests took the samples so far apart that too few fell
	# after the warm-up to judge (CI: 8).
	if [ $((++n % 2)) = 0 ]; then
		for u in /api/v1/health /api/v1/provinces "/api/v1/hamlets?state=down" /api/v1/alerts; do
			curl -sf -o /dev/null "http://127.0.0.1:$HTTP_PORT$u" || fail "GET $u failed during the soak"
		done
	fi
	sleep "$PERIOD"
done
wait "$FLEET_PID" || fail "fleetsim failed: $(tail -3 "$T/fleetsim.log")"
tail -1 "$T/fleetsim.log"

python3 - "$T/mem.csv" "$SOAK" "$LEAK" "$QUEUE" <<'PY' || fail "collector memory not flat"
import csv, statistics, sys
rows = [{k: float(v) for k, v in r.items()} for r in csv.DictReader(open(sys.argv[1]))]
soak, leak, queue = float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
# Warm-up: RRD files created, caches filled, the queue's ring past its
# first pass (twice over).
warm = max([15.0, soak * 0.2] + [r["t"] for r in rows if r["stored"] < 2 * queue])
run = [r for r in rows if warm <= r["t"] <= soak]
step = max(1, len(rows) // 25)
print("memory series (t s: stored, RssAnon MB): " + "  ".join(
    "%.0f: %d, %.1f" % (r["t"], r["stored"], r["rssanon_kb"] / 1024) for r in rows[::step]))
if len(run) < 9:
    print("only %d samples after the warm-up" % len(run)); sys.exit(1)
k = len(run) // 3
first, last = run[:k], run[-k:]
def med(rs, key): return statistics.median(r[key] for r in rs)
growth = {key: med(last, key) - med(first, key) for key in ("rssanon_kb", "private_kb", "vmrss_kb")}
samples = med(last, "stored") - med(first, "stored")
# What a leak of LEAK bytes per sample would have added between the thirds.
leak_kb = samples * leak / 1024
bound_kb = leak_kb / 2
n, mx, my = len(run), statistics.mean(r["stored"] for r in run), statistics.mean(r["rssanon_kb"] for r in run)
sxx = sum((r["stored"] - mx) ** 2 for r in run)
slope = sum((r["stored"] - mx) * (r["rssanon_kb"] - my) for r in run) / sxx * 1024 if sxx else 0
print("after %.0f s of warm-up: %d samples stored between the first and last thirds; RssAnon %+.0f kB "
      "(Private %+.0f kB, VmRSS %+.0f kB), fitted %.1f bytes/sample; bound %.0f kB (half of what a "
      "%d-byte-per-sample leak would add: %.0f kB); peak RssAnon %.1f MB"
      % (warm, samples, growth["rssanon_kb"], growth["private_kb"], growth["vmrss_kb"], slope,
         bound_kb, leak, leak_kb, max(r["rssanon_kb"] for r in rows) / 1024))
if bound_kb < 256:
    print("the run is too short to see a %d-byte-per-sample leak: %d samples" % (leak, samples))
    sys.exit(1)
sys.exit(0 if growth["rssanon_kb"] < bound_kb and slope < leak / 2 else 1)
PY
pass "collector memory flat over a ${SOAK} s soak at $AGENTS samples/s"

ledger_ok
stop_collector
no_crash "$T/collector.log"
pass "every (agent, seq) of the soak stored exactly once"
