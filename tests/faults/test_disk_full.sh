#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The collector's data_dir on a small tmpfs that is full when agents start
# to report: the collector logs at a rate limit, acks nothing it did not
# store, does not crash; when space returns it catches up, and the ledger
# check passes (the agents' spools - here fleetsim --ack - carry the
# guarantee). (RRD files are written in place once created: a disk that
# fills later stops new agents and the state DB, not existing files.)
. "$(dirname "$0")/../lib.sh"
need mosquitto rrdtool sqlite3 curl python3
[ "$(id -u)" -eq 0 ] || skip "needs root to mount a tmpfs"

AGENTS=10 COUNT=300
mkdir -p "$T/data"
mount -t tmpfs -o size=24m covmon-test "$T/data" || skip "cannot mount a tmpfs here"
CLEANUPS+=("umount -l '$T/data'")

start_broker
collector_up "[rrd]" "retention = RRA:AVERAGE:0.5:1:1200"

# Fill the disk, then the agents come.
dd if=/dev/zero of="$T/data/filler" bs=1M count=64 2>/dev/null || true
echo "disk: $(df -h "$T/data" | tail -1)"
# 10 agents x 300 samples at 100/s: a stream of 30 s.
fleet_start -a $AGENTS -n $COUNT --interval 1 --backfill --rate 100 --ack --ack-timeout 3 \
    --ack-wait 90
full_at=$(metric covmon_samples_stored_total)
sleep 8
stuck=$(metric covmon_samples_stored_total)
acks_full=$(metric covmon_acks_sent_total)
# New agents' files cannot be made: their samples wait in the hold (or
# are let go from it when it is full: resent), counted, never acked.
not_stored=$(( $(metric covmon_samples_not_stored_total) + $(metric covmon_samples_held) + \
    $(metric covmon_samples_held_dropped_total) ))
errors=$(grep -cE "not stored|creating its files" "$T/collector.log" || true)
echo "while full: stored $full_at -> $stuck, not stored (or held) $not_stored, log lines $errors"
kill -0 "$COLLECTOR_PID" || fail "the collector died on a full disk"
[ "$not_stored" -gt 0 ] || fail "nothing counted as not stored (or held) while the disk was full"
[ "$(metric covmon_rrd_errors_total)" -gt 0 ] || fail "no RRD error counted while the disk was full"
[ "$stuck" -eq "$full_at" ] && [ "$acks_full" -eq 0 ] || fail "stored $stuck / acked $acks_full on a full disk"
[ "$errors" -le 40 ] || fail "$errors log lines in 8 s: not rate limited"
pass "full disk: the collector keeps running, counts $not_stored samples not stored, logs $errors lines"

# Space returns: catch up.
rm -f "$T/data/filler"
wait "$FLEET_PID" || fail "fleetsim failed: $(tail -3 "$T/fleetsim.log")"
tail -2 "$T/fleetsim.log"
grep -q "acked=$((AGENTS * COUNT)) " "$T/fleetsim.log" ||
	fail "not every sample acked after space returned (the collector sent $(metric covmon_acks_sent_total) acks)"
ledger check --fleet "$T/fleet.csv" "$T/collector.log" || fail "ledger check"
ledger identity "http://127.0.0.1:$HTTP_PORT/metrics" || fail "counters do not add up"
pass "space back: every (agent, seq) stored exactly once, $(metric covmon_samples_stored_total) stored"
stop_collector
no_crash "$T/collector.log"
