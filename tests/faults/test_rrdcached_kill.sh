#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# rrdcached killed with SIGKILL mid-stream and started again on the same
# journal. rrdcached answers before its journal is on disk (FAULTS.md), so
# it loses updates it confirmed; the collector's write-ahead log must cover
# them: after recovery the files hold every acked sample. While rrdcached
# is down the collector stores and acks nothing, and does not fall back to
# writing the files itself.
. "$(dirname "$0")/../lib.sh"
need mosquitto mosquitto_sub rrdtool rrdcached sqlite3 curl python3

AGENTS=20 COUNT=500
start_broker
start_rrdcached
# No periodic flush during the test: everything rrdcached holds is only in
# its memory and journal, and the collector's WAL.
collector_up "[rrd]" "rrdcached = unix:$RRDCACHED_SOCK" "retention = RRA:AVERAGE:0.5:1:3600" \
    "wal_flush_interval = 1h"

# 20 agents x 500 samples at 400 samples/s: about 25 s.
fleet_start -a $AGENTS -n $COUNT --interval 1 --backfill --rate 400 --ack --ack-timeout 3 \
    --ack-wait 60

sleep 6
wait_for 10 test "$(find "$T/data/rrd" -name if.rrd | wc -l)" -eq $AGENTS || fail "not every agent's files created"
before=$(metric covmon_samples_stored_total)
kill -9 "$RRDCACHED_PID"
wait "$RRDCACHED_PID" 2>/dev/null || true
pass "rrdcached killed after $before samples stored through it"
# What is committed (and acked) now; a batch that was being written settles.
sleep 1
ledger lastseq "$T/data/state.db" > "$T/lastseq.kill"
stored_kill=$(metric covmon_samples_stored_total)
find "$T/data/rrd" -name '*.rrd' | sort | xargs md5sum > "$T/files.kill"
timeout 5 mosquitto_sub -p "$MQTT_PORT" -q 1 -v -t 'covmon/v1/+/+/ack' > "$T/acks.down" || true
stored_down=$(metric covmon_samples_stored_total)
[ "$stored_down" -eq "$stored_kill" ] || fail "stored went $stored_kill -> $stored_down while rrdcached was down"
[ "$(metric covmon_samples_not_stored_total)" -gt 0 ] || fail "no sample counted as not stored while rrdcached was down"
[ "$(metric covmon_rrd_errors_total)" -gt 0 ] || fail "no RRD error counted while rrdcached was down"
find "$T/data/rrd" -name '*.rrd' | sort | xargs md5sum | cmp -s - "$T/files.kill" \
    || fail "RRD files changed while rrdcached was down: a silent fallback to direct writes"
# No ack past what was committed when rrdcached went.
python3 - "$T/lastseq.kill" "$T/acks.down" <<'PY' || fail "an ack went past what was stored while rrdcached was down"
import json, sys
last = dict(l.strip().split(",") for l in open(sys.argv[1]) if "," in l)
n = bad = 0
for line in open(sys.argv[2]):
    topic, payload = line.split(" ", 1)
    agent, seq = topic.split("/")[3], json.loads(payload)["seq"]
    n += 1
    if seq > int(last.get(agent, 0)):
        bad += 1
        print("ack %s seq %d past the committed %s" % (agent, seq, last.get(agent)), file=sys.stderr)
print("acks while down: %d, none past the committed seq" % n if not bad else "")
sys.exit(1 if bad else 0)
PY
pass "rrdcached down 6 s: stored stays $stored_kill, not_stored $(metric covmon_samples_not_stored_total), files untouched, no ack past the committed"

start_rrdcached
wait_for 20 bash -c "grep -q 'write-ahead log: .* written again to rrdcached' $T/collector.log" \
    || fail "the collector did not replay its write-ahead log into the new rrdcached"
grep -o 'write-ahead log: .* written again to rrdcached.*' "$T/collector.log" | head -1
wait_for 20 bash -c "[ \$(curl -sf http://127.0.0.1:$HTTP_PORT/metrics | awk '\$1==\"covmon_samples_stored_total\"{print \$2}') -gt $stored_kill ]" \
    || fail "ingest did not resume after rrdcached came back"
pass "rrdcached back: write-ahead log replayed, ingest resumed"

fleet_acked
ledger_ok
stop_and_check_files
pass "every acked sample is in the RRD files after rrdcached's crash"
