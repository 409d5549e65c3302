# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# For the whole file, and why: the tests read the variables set here for
# them (SC2034, e.g. COVERED_AFTER), and call start_broker with or without
# its optional config lines (SC2119/SC2120 see only the calls in here).
# shellcheck disable=SC2034,SC2119,SC2120
# Shared helpers of covmon's integration and fault tests (sourced).
# Every test starts its own peers on free loopback ports, in its own temp
# dir, and stops everything it started on exit, whatever happens.

set -euo pipefail

: "${COVMON_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${COVMON_BUILD:=$COVMON_SRC/build}"
export COVMON_SRC COVMON_BUILD
# The system's programs first: Debian's python3 (with its packages, as
# aiosmtpd and snmpsim) rather than a version manager's shim ahead of it in
# PATH. pyenv's is two bash scripts a call: 20 calls took 23.9 s against
# 1.3 s for /usr/bin/python3 beside a test run, and the tests call python3
# in their polling loops.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

T=$(mktemp -d /tmp/covmon-test.XXXXXX)
PIDS=()
CLEANUPS=()

cleanup() {
	local rc=$?
	pkill -P "$WATCHDOG" 2>/dev/null || true
	kill "$WATCHDOG" 2>/dev/null || true
	for c in "${CLEANUPS[@]+"${CLEANUPS[@]}"}"; do eval "$c" || true; done
	for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$p" 2>/dev/null || true; done
	sleep 0.2
	for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill -9 "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
		echo "--- test failed (rc=$rc); logs in $T:" >&2
		for f in "$T"/*.log; do
			[ -f "$f" ] || continue
			echo "--- $f (last 40 lines)" >&2
			tail -n 40 "$f" >&2
		done
	else
		rm -rf "$T"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A hung test fails with its logs rather than being killed silently by
# ctest's timeout (600 s): the watchdog interrupts whatever the script
# waits on (a trapped signal ends bash's wait).
TEST_LIMIT=${TEST_LIMIT:-480}
{ sleep "$TEST_LIMIT" && echo "FAIL: still running after $TEST_LIMIT s" >&2 && kill -TERM $$; } &
WATCHDOG=$!

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }

# A TCP port nobody listens on now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_for SECONDS COMMAND...: polls until the command succeeds.
wait_for() {
	local secs=$1; shift
	local end=$(( $(date +%s) + secs ))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.2
	done
}

need() {
	for t in "$@"; do command -v "$t" >/dev/null 2>&1 || skip "$t is not installed"; done
}

# start_broker [extra config lines]: mosquitto on a free port; sets MQTT_PORT.
start_broker() {
	need mosquitto
	MQTT_PORT=${MQTT_PORT:-$(free_port)}
	mkdir -p "$T/mosquitto"
	# As root, mosquitto drops to its own user: let it reach its files.
	if [ "$(id -u)" -eq 0 ] && id mosquitto >/dev/null 2>&1; then
		chmod 755 "$T"
		chown mosquitto "$T/mosquitto"
	fi
	{
		echo "listener $MQTT_PORT 127.0.0.1"
		echo "allow_anonymous true"
		echo "persistence true"
		echo "persistence_location $T/mosquitto/"
		echo "autosave_interval 1"
		echo "max_queued_messages 100000"
		printf '%s\n' "$@"
	} > "$T/mosquitto.conf"
	mosquitto -c "$T/mosquitto.conf" > "$T/mosquitto.log" 2>&1 &
	BROKER_PID=$!
	PIDS+=("$BROKER_PID")
	wait_for 10 bash -c "echo > /dev/tcp/127.0.0.1/$MQTT_PORT" || fail "mosquitto did not start"
}

stop_broker() {
	kill "$BROKER_PID" 2>/dev/null || true
	wait "$BROKER_PID" 2>/dev/null || true
}

# write_collector_conf FILE DATA_DIR HTTP_PORT [extra lines]
write_collector_conf() {
	local f=$1 dd=$2 hp=$3; shift 3
	cat > "$f" <<CONF
[collector]
data_dir = $dd
max_clock_skew = 300

[mqtt]
host = 127.0.0.1
port = $MQTT_PORT
client_id = covmon-collector-test-$$
keepalive = 10

[http]
listen = 127.0.0.1:$hp
CONF
	printf '%s\n' "$@" >> "$f"
	# Tests run agents at 1-2 s intervals and read one RRD row per
	# sample: files as fine as the samples, unless the test says.
	if ! grep -q '^min_step' "$f"; then
		printf '\n[rrd]\nmin_step = 1\n' >> "$f"
	fi
}

# start_collector CONF LOG [FLAGS]: sets COLLECTOR_PID. FLAGS default -v;
# -vv logs the "stored AGENT seq N ts T" ledger lines.
start_collector() {
	"$COVMON_BUILD/covmon-collector" -c "$1" "${3:--v}" >> "$2" 2>&1 &
	COLLECTOR_PID=$!
	PIDS+=("$COLLECTOR_PID")
}

# mqtt_connected [HTTP_PORT]: the collector's /metrics says it is
# connected to its broker.
mqtt_connected() {
	grep -q '^covmon_mqtt_connected 1' <(curl -sf "http://127.0.0.1:${1:-$HTTP_PORT}/metrics")
}

# collector_up [extra config lines]: a collector at -vv on a free HTTP port
# (sets HTTP_PORT), config $T/collector.conf, data in $T/data, log
# $T/collector.log; fails unless it is connected to the broker in 10 s.
collector_up() {
	HTTP_PORT=$(free_port)
	write_collector_conf "$T/collector.conf" "$T/data" "$HTTP_PORT" "$@"
	start_collector "$T/collector.conf" "$T/collector.log" -vv
	wait_for 10 mqtt_connected || fail "collector not up and connected"
}

# example_collector [extra config lines]: a collector of the example
# inventory and targets (tests/data), evaluating every second, on a free
# HTTP port (sets HTTP_PORT and BASE); fails unless it answers in 20 s.
# Its first snapshot comes some seconds later, once every rollup file is
# made.
example_collector() {
	HTTP_PORT=$(free_port)
	BASE="http://127.0.0.1:$HTTP_PORT"
	write_collector_conf "$T/collector.conf" "$T/data" "$HTTP_PORT" "$@"
	sed -i "/^\[collector\]/a inventory = $COVMON_SRC/tests/data/inventory.csv\ntargets = $COVMON_SRC/tests/data/targets.csv\neval_interval = 1" \
	    "$T/collector.conf"
	start_collector "$T/collector.conf" "$T/collector.log"
	wait_for 20 curl -sf "$BASE/api/v1/health" || fail "collector not up"
}

# fleet_backfill AGENTS SAMPLES: that many agents of the example inventory
# send that many samples each, at once; fails unless done in 30 s.
fleet_backfill() {
	timeout 30 "$COVMON_BUILD/tests/fleetsim/covmon-fleetsim" -p "$MQTT_PORT" \
	    -i "$COVMON_SRC/tests/data/inventory.csv" -a "$1" -n "$2" --interval 1 --backfill \
	    --rate 0 > "$T/fleetsim.log" 2>&1 || fail "fleetsim"
}

# stop_collector [SIGNAL]: TERM (default: it stores and acks what is queued,
# flushes rrdcached, and exits 0) or KILL; fails when a TERM'd collector
# does not exit 0 in time (a crash, or a sanitizer report).
stop_collector() {
	local sig=${1:-TERM} rc=0
	kill -"$sig" "$COLLECTOR_PID" 2>/dev/null || true
	wait "$COLLECTOR_PID" 2>/dev/null || rc=$?
	if [ "$sig" = TERM ] && [ $rc -ne 0 ]; then
		fail "collector exited $rc on SIGTERM"
	fi
}

# start_rrdcached [BASE]: rrdcached on a unix socket in $T, files restricted
# to BASE (-B; default $T/data/rrd, one collector's data_dir/rrd; a parent
# of several data_dirs for collectors sharing it), a journal in $T/journal,
# nothing written to the files before an hour (-w 3600) unless flushed;
# sets RRDCACHED_SOCK and RRDCACHED_PID. Called again after a kill, it
# replays the same journal.
start_rrdcached() {
	local base=${1:-$T/data/rrd}
	need rrdcached
	mkdir -p "$T/journal" "$base"
	RRDCACHED_SOCK="$T/rrdcached.sock"
	rm -f "$RRDCACHED_SOCK" "$T/rrdcached.pid"
	rrdcached -g -l "unix:$RRDCACHED_SOCK" -j "$T/journal" -F -w 3600 -f 7200 -z 1 \
	    -b "$base" -B -p "$T/rrdcached.pid" >> "$T/rrdcached.log" 2>&1 &
	RRDCACHED_PID=$!
	PIDS+=("$RRDCACHED_PID")
	wait_for 20 test -S "$RRDCACHED_SOCK" || fail "rrdcached did not start"
}

stop_rrdcached() {
	kill -"${1:-TERM}" "$RRDCACHED_PID" 2>/dev/null || true
	wait "$RRDCACHED_PID" 2>/dev/null || true
}

# The ledger checks (tests/ledger.py): see its header.
ledger() { python3 "$COVMON_SRC/tests/ledger.py" "$@"; }

# fleetsim ARGS...: the simulated fleet on this test's broker, agents from
# tests/data/inventory.csv.
fleetsim() {
	"$COVMON_BUILD/tests/fleetsim/covmon-fleetsim" -p "$MQTT_PORT" \
	    -i "$COVMON_SRC/tests/data/inventory.csv" "$@"
}

# fleet_start ARGS...: fleetsim ARGS in the background, its ledger in
# $T/fleet.csv and its output in $T/fleetsim.log; sets FLEET_PID.
fleet_start() {
	fleetsim "$@" --ledger "$T/fleet.csv" > "$T/fleetsim.log" 2>&1 &
	FLEET_PID=$!
	PIDS+=("$FLEET_PID")
}

# fleet_acked: the fleet of fleet_start ended well (its output shown), each
# of its AGENTS x COUNT samples acked.
fleet_acked() {
	wait "$FLEET_PID" || fail "fleetsim failed: $(cat "$T/fleetsim.log")"
	cat "$T/fleetsim.log"
	grep -q "acked=$((AGENTS * COUNT)) " "$T/fleetsim.log" ||
		fail "not every sample acked (the collector sent $(metric covmon_acks_sent_total) acks)"
}

# ledger_ok: the collector's /metrics adds up, and the ledger check of the
# fleet's samples against its -vv log passes.
ledger_ok() {
	ledger identity "http://127.0.0.1:$HTTP_PORT/metrics" || fail "counters do not add up"
	ledger check --fleet "$T/fleet.csv" "$T/collector.log" || fail "ledger check"
}

# stop_and_check_files: stops a collector that wrote through rrdcached
# (SIGTERM: it flushes on the way out), then checks that nothing crashed,
# that its write-ahead log is empty, and that every acked sample of its -vv
# log is in the RRD files under $T/data.
stop_and_check_files() {
	local wal
	stop_collector
	no_crash "$T/collector.log"
	wal=$(sqlite3 "$T/data/state.db" "SELECT count(*) FROM wal")
	[ "$wal" -eq 0 ] || fail "$wal write-ahead log entries left after a clean stop"
	ledger rrd --data "$T/data" "$T/collector.log" || fail "acked samples missing from the RRD files"
}

# A crashed (or sanitizer-aborted) collector leaves its mark in the log.
no_crash() {
	! grep -E "AddressSanitizer|UndefinedBehaviorSanitizer|runtime error:|LeakSanitizer" "$@" \
	    || fail "sanitizer report in $*"
}

# metric NAME [HTTP_PORT]: the value of a /metrics line (0 when absent).
metric() {
	local name=$1 port=${2:-$HTTP_PORT}
	curl -sf "http://127.0.0.1:$port/metrics" | awk -v n="$name" '$1 == n { print $2; f=1 } END { if (!f) print 0 }'
}

# ---- An agent's field life (issue 16): one hamlet, one real agent.
# field_setup [extra collector lines]: broker, an inventory of one hamlet
# ($HAMLET, agent $AG in $PROV, written to $T/inventory.csv), a collector
# at -vv evaluating every second; sets HTTP_PORT and API.
field_setup() {
	start_broker
	HTTP_PORT=$(free_port)
	API=http://127.0.0.1:$HTTP_PORT
	field_inventory "$PROV"
	write_collector_conf "$T/collector.conf" "$T/data" "$HTTP_PORT" \
	    "[collector]" "inventory = $T/inventory.csv" "eval_interval = 1" \
	    "[coverage]" "offline_after = 6" "$@"
	start_collector "$T/collector.conf" "$T/collector.log" -vv
	wait_for 10 bash -c "curl -sf $API/metrics | grep -q '^covmon_mqtt_connected 1'" \
	    || fail "collector not connected"
}

# field_inventory PROVINCE: the one hamlet of $AG, in PROVINCE.
field_inventory() {
	cat > "$T/inventory.csv.new" <<CSV
hamlet_id,hamlet_name,village,commune_id,commune_name,province_id,province_name,lat,lon,agent_id,uplink_hamlet_id,target_date,population
$HAMLET,Suối Chải,Thôn Suối Chải,bat-xat,Bát Xát,$1,Province $1,22.56,103.85,$AG,,,1263
CSV
	mv "$T/inventory.csv.new" "$T/inventory.csv"
}

# agent_conf FILE PROVINCE INTERVAL [SPOOL]: $AG probing the broker's port.
agent_conf() {
	cat > "$1" <<CONF
[agent]
id = $AG
province = $2
interval = $3
spool_dir = ${4:-$T/spool}
start_delay = 0

[mqtt]
host = 127.0.0.1
port = $MQTT_PORT
keepalive = 10
ack_timeout = 3

[probe.tcp]
targets = 127.0.0.1:$MQTT_PORT
CONF
}

# run_agent CONF LOG [FAKETIME_OFFSET]: the agent at -vv, its clock moved by
# libfaketime when an offset ("+15s", "-2h") is given; sets AGENT_PID.
run_agent() {
	local conf=$1 log=$2 off=${3:-}
	if [ -n "$off" ]; then
		local lib asan
		lib=$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketimeMT.so.1$' | head -1)
		[ -n "$lib" ] || fail "libfaketime not found (deploy/install-deps.sh installs it)"
		asan=$(ldd "$COVMON_BUILD/covmon-agent" | awk '/libasan/ { print $3 }')
		[ -z "$asan" ] || lib="$asan $lib"
		LD_PRELOAD=$lib FAKETIME="$off" FAKETIME_DONT_FAKE_MONOTONIC=1 \
		    "$COVMON_BUILD/covmon-agent" -c "$conf" -vv >> "$log" 2>&1 &
	else
		"$COVMON_BUILD/covmon-agent" -c "$conf" -vv >> "$log" 2>&1 &
	fi
	AGENT_PID=$!
	PIDS+=("$AGENT_PID")
}

# stop_agent: SIGTERM; it logs its "stopping:" line (the ledger needs it).
stop_agent() { kill "$AGENT_PID" 2>/dev/null || true; wait "$AGENT_PID" 2>/dev/null || true; }

# stored_of SID: the samples of spool SID stored (first writes) so far.
stored_of() { grep -c "stored $AG seq [0-9]* ts [0-9]* sid $1\$" "$T/collector.log" || true; }

# agent_sid LOG: the spool id the agent logged at its start.
agent_sid() { grep -o 'spool id [0-9a-f]*' "$1" | tail -1 | awk '{print $3}'; }

# hamlet FIELD: a field of $HAMLET's API entry ("spool.new_spools" goes down).
hamlet() {
	curl -sf "$API/api/v1/hamlets/$HAMLET" | python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("null" if v is None else v)' "$1"
}

# wait_covered SECS: $HAMLET is covered within SECS; prints how long it took.
wait_covered() {
	local t0=$SECONDS
	wait_for "$1" bash -c "curl -sf $API/api/v1/hamlets/$HAMLET | grep -q '\"state\":\"covered\"'" \
	    || fail "$HAMLET not covered within $1 s (state $(hamlet state))"
	COVERED_AFTER=$((SECONDS - t0))
}

# wait_storing IDLE COMMAND...: polls until COMMAND succeeds, for as long
# as the collector on $HTTP_PORT keeps storing samples; fails when none was
# stored for IDLE seconds (a busy machine is slow, not stuck).
wait_storing() {
	local idle=$1; shift
	local last="" v t=$SECONDS
	while ! "$@" >/dev/null 2>&1; do
		v=$(metric covmon_samples_stored_total)
		if [ "$v" != "$last" ]; then last=$v; t=$SECONDS; fi
		[ $((SECONDS - t)) -lt "$idle" ] || return 1
		sleep 0.3
	done
}

# wait_progress SECS COMMAND...: waits while the output of COMMAND keeps
# changing, until COMMAND's output satisfies the test in PROGRESS_OK (a
# bash expression on $v); fails when nothing moved for SECS.
wait_progress() {
	local idle=$1; shift
	local last="" v t=$SECONDS
	while :; do
		v=$("$@" 2>/dev/null || true)
		if eval "$PROGRESS_OK"; then return 0; fi
		if [ "$v" != "$last" ]; then last=$v; t=$SECONDS; fi
		[ $((SECONDS - t)) -lt "$idle" ] || return 1
		sleep 0.5
	done
}
