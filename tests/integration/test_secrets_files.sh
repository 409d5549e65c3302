#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Secrets and files (issue 17; DESIGN.md section 11): an API token file
# that is empty, holds only a newline, is too short or may be read by
# others is refused at start with a message naming it (before, the first
# two silently disabled writes); with no token at all the collector says
# once that writes are disabled. Started under umask 022, as outside
# systemd, the collector and the agent still create nothing that others
# may read: state.db, the RRD files and their folders, the spool.
. "$(dirname "$0")/../lib.sh"
need mosquitto curl python3 stat
AG=lc-batxat-suoichai-01 HAMLET=bx-suoi-chai PROV=lao-cai
umask 022

start_broker
HTTP_PORT=$(free_port)
API=http://127.0.0.1:$HTTP_PORT
field_inventory "$PROV"
write_collector_conf "$T/collector.conf" "$T/data" "$HTTP_PORT" \
    "token_file = $T/api.token" \
    "[collector]" "inventory = $T/inventory.csv" "eval_interval = 1"

# refused CONTENT MODE WHAT: --check-config exits 2 naming the file and WHAT.
refused() {
	printf '%b' "$1" > "$T/api.token"
	chmod "$2" "$T/api.token"
	local rc=0
	"$COVMON_BUILD/covmon-collector" -c "$T/collector.conf" --check-config > "$T/out" 2>&1 || rc=$?
	[ $rc -eq 2 ] || fail "token file ($3): exit $rc, expected 2: $(cat "$T/out")"
	grep -q "collector.conf:[0-9]*: \[http\] token_file = $T/api.token: .*$3" "$T/out" \
	    || fail "token file ($3): $(cat "$T/out")"
	echo "  $(cat "$T/out")"
}
refused '' 600 'has 0 characters, at least 16'
refused '\n' 600 'has 0 characters, at least 16'
refused '  \t\n' 600 'has 0 characters, at least 16'
refused 'short-token\n' 600 'has 11 characters, at least 16'
refused '0123456789abcdef0123\n' 644 'readable or writable by others (mode 0644)'
refused '0123456789abcdef0123\n' 602 'readable or writable by others (mode 0602)'
pass "token files empty, newline-only, blank, short, 0644 and 0602: refused, each with its file and line"

printf '0123456789abcdef0123\n' > "$T/api.token"
chmod 640 "$T/api.token"
"$COVMON_BUILD/covmon-collector" -c "$T/collector.conf" --check-config > "$T/out" 2>&1 \
    || fail "a good token file (0640, 20 characters) refused: $(cat "$T/out")"
grep -q '^token = \*\*\*\*\*\*\*\*$' "$T/out" || fail "--check-config does not mask the token"
! grep -q 0123456789abcdef "$T/out" || fail "--check-config prints the token"
pass "a token file of 20 characters, mode 0640: accepted, printed masked"

# Started under umask 022 with the token: a silence needs it.
start_collector "$T/collector.conf" "$T/collector.log"
wait_for 10 curl -sf "$API/api/v1/health" || fail "collector not up"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer 0123456789abcdef0123' \
    --data '{"match":"hamlet:bx-suoi-chai","until":"2h","reason":"test"}' "$API/api/v1/silences")
[ "$code" = 201 ] || fail "silence with the token: HTTP $code"
! grep -q "write actions .* are disabled" "$T/collector.log" || fail "says writes are disabled, with a token"
pass "with the token: a silence is created (HTTP 201)"

# An agent, under umask 022 too, until one of its samples is stored.
agent_conf "$T/agent.conf" "$PROV" 1
run_agent "$T/agent.conf" "$T/agent.log"
wait_for 30 bash -c "find '$T/data/rrd/$PROV/$AG' -name '*.rrd' | grep -q ." || fail "no RRD file: $(tail -5 "$T/agent.log")"
wait_for 30 bash -c "curl -sf $API/api/v1/hamlets/$HAMLET | grep -q '\"state\":\"covered\"'" || fail "not covered"
stop_agent
stop_collector
files=$(find "$T/data" "$T/spool" | wc -l)
open=$(find "$T/data" "$T/spool" -perm /o=rwx)
[ -z "$open" ] || fail "open to others under umask 022: $(for f in $open; do stat -c '%a %n' "$f"; done)"
[ -f "$T/data/state.db" ] && [ -n "$(find "$T/spool" -type f)" ] || fail "no state.db or spool file to check"
pass "under umask 022: $files files and folders (state.db $(stat -c %a "$T/data/state.db"), RRD $(stat -c %a "$(find "$T/data/rrd/$PROV/$AG" -name '*.rrd' | head -1)"), rollup $(stat -c %a "$T/data/rrd/$PROV/_province.rrd"), spool $(stat -c %a "$(find "$T/spool" -type f | head -1)")): none open to others"

# No token at all: writes disabled, said once at the start.
sed -i '/^token_file/d' "$T/collector.conf"
start_collector "$T/collector.conf" "$T/collector2.log"
wait_for 10 curl -sf "$API/api/v1/health" || fail "collector (no token) not up"
n=$(grep -c "no \[http\] token or token_file: write actions (silences, acks) are disabled" "$T/collector2.log" || true)
[ "$n" = 1 ] || fail "the no-token notice was logged $n times"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data '{}' "$API/api/v1/silences")
[ "$code" = 403 ] || fail "silence with no token configured: HTTP $code"
stop_collector
no_crash "$T/collector.log" "$T/collector2.log"
pass "no token: said once at the start, a silence is refused (HTTP 403)"
