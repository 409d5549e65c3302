#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The collector's HTTP server against hostile requests: path traversal in
# every id position (plain, percent-encoded, through the API, the pages
# and /graph/), unknown templates, formats and ranges, a 100 KB URL and a
# 100 KB header, other methods; then 1000 concurrent connections from one
# address (idle ones, half-sent requests and a stream of page loads) while
# /api/v1/health, asked from another loopback address, answers within a
# second. After all that the collector still serves, and did not crash.
. "$(dirname "$0")/../lib.sh"
need mosquitto curl python3

start_broker
example_collector "[rrd]" "retention = RRA:AVERAGE:0.5:1:600 RRA:AVERAGE:0.5:5:600 RRA:MIN:0.5:5:600 RRA:MAX:0.5:5:600"
wait_for 60 curl -sf -o /dev/null "$BASE/" || fail "no evaluation"
# A data file, so that /graph/ gets as far as it can.
fleet_backfill 3 3
wait_for 10 test -f "$T/data/rrd/lao-cai/lc-batxat-suoichai-01/icmp.rrd" || fail "no RRD file"
wait_for 10 curl -sf -o /dev/null "$BASE/graph/latency/bx-suoi-chai.png" || fail "no graph"

# expect CODE PATH: the status of GET PATH, sent as is (curl does not
# squash the dots), and no file's content in the answer.
expect() {
	local want=$1 path=$2 code
	code=$(curl -s --path-as-is -o "$T/body" -w '%{http_code}' --max-time 5 "$BASE$path") || true
	[ "$code" = "$want" ] || fail "GET $path: HTTP $code, expected $want ($(head -c 200 "$T/body" | tr -cd '[:print:]'))"
	! grep -q 'root:' "$T/body" || fail "GET $path: /etc/passwd in the answer"
}

# Traversal in every id position: each is a malformed id (400), never a file.
for t in '..%2f..%2f..%2fetc%2fpasswd' '../../../etc/passwd' '%2e%2e' '..' '.hidden' \
    '..%5c..%5cetc' 'a%2fb' '%00' 'A-B' '%e2%80%a8' "$(printf 'x%.0s' {1..65})"; do
	for kind in hamlet commune province; do
		expect 400 "/$kind/$t"
	done
	expect 400 "/api/v1/hamlets/$t"
	expect 400 "/api/v1/communes/$t"
	expect 400 "/api/v1/provinces/$t"
	for tmpl in latency throughput radio clients coverage; do
		expect 400 "/graph/$tmpl/$t.png"
		expect 400 "/graph/$tmpl/$t.svg"
	done
done
expect 400 "/graph/latency/../x.png"
expect 400 "/graph/latency/../../../../etc/passwd"
expect 400 "/graph/..%2f..%2fetc/passwd.png"
expect 400 "/graph/../../etc/passwd.png"
expect 400 "/hamlet/bx-suoi-chai/../../../etc/passwd"
expect 404 "/static/../../../etc/passwd"
expect 404 "/../../../etc/passwd"
expect 404 "/api/v1/../../etc/passwd"
pass "path traversal in every id position: 400, never a file"

# Unknown templates, formats and ranges; unknown ids.
expect 400 "/graph/nosuch/bx-suoi-chai.png"
expect 400 "/graph/LATENCY/bx-suoi-chai.png"
expect 400 "/graph/latency/bx-suoi-chai.gif"
expect 400 "/graph/latency/bx-suoi-chai"
expect 400 "/graph/latency/bx-suoi-chai.png?range=2d"
expect 400 "/graph/latency/bx-suoi-chai.png?range=1d%20"
expect 400 "/graph/latency/bx-suoi-chai.png?range=%3Cscript%3E"
expect 400 "/graph/latency/bx-suoi-chai.png?range=$(printf 'y%.0s' {1..5000})"
expect 404 "/graph/latency/no-such-hamlet.png"
expect 404 "/graph/coverage/bx-suoi-chai.png"
expect 404 "/graph/radio/bx-tong-sanh.png"     # no agent installed
expect 404 "/graph/latency/mk-sang-chai.png"   # no sample yet
expect 200 "/graph/latency/bx-suoi-chai.png?range=1w"
expect 200 "/graph/coverage/bat-xat.svg?range=6h"
expect 404 "/hamlet/no-such-hamlet"
expect 404 "/nothing"
expect 200 "/hamlet/bx-suoi-chai?lang=%3Cscript%3E&refresh=%3Cscript%3E"
grep -q '<script' "$T/body" && fail "query echoed into the page"
pass "unknown templates, formats and ranges: 400; unknown ids: 404"

# Other methods.
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data x "$BASE/")
[ "$code" = 405 ] || fail "POST /: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$BASE/hamlet/bx-suoi-chai")
[ "$code" = 405 ] || fail "DELETE: $code"

# A 100 KB URL and a 100 KB header: refused by libmicrohttpd (its
# per-connection memory limit is 64 KB), the server carries on.
long=$(printf 'a%.0s' $(seq 1 102400))
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$BASE/hamlet/$long") || true
case $code in 4*) ;; *) fail "100 KB URL: HTTP $code" ;; esac
pass "100 KB URL: HTTP $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H "X-Long: $long" "$BASE/") || true
case $code in 4*) ;; *) fail "100 KB header: HTTP $code" ;; esac
pass "100 KB header: HTTP $code"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$BASE/graph/latency/bx-suoi-chai.png?range=1d&$long=1") || true
case $code in 4*) ;; *) fail "100 KB query: HTTP $code" ;; esac
curl -sf -o /dev/null "$BASE/" || fail "not serving after long requests"

# 1000 concurrent connections from 127.0.0.1-4 for 8 s (idle ones, half-sent
# requests, whole ones), held open: the collector keeps [http]
# max_per_address (16) per address and closes the rest at once. Meanwhile
# pages are loaded from 127.0.0.5 and health is asked from 127.0.0.6: a
# flood must not lock out the others.
python3 - "$HTTP_PORT" > "$T/flood.log" 2>&1 <<'EOF' &
import resource, socket, sys, threading, time
port = int(sys.argv[1])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 4096), hard), hard))
end = time.time() + 8
socks, refused = [], 0
for i in range(1000):
    try:
        src = "127.0.0.%d" % (1 + i % 4)
        s = socket.create_connection(("127.0.0.1", port), timeout=2, source_address=(src, 0))
        # a third idle, a third half a request, a third whole requests
        if i % 3 == 1:
            s.sendall(b"GET /province/lao-cai HTTP/1.1\r\nHost: x\r\n")
        elif i % 3 == 2:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        socks.append(s)
    except OSError:
        refused += 1
served, turned = [0], [0]
def loader():
    while time.time() < end:
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2,
                                         source_address=("127.0.0.5", 0))
            s.sendall(b"GET /commune/bat-xat HTTP/1.0\r\n\r\n")
            head = s.recv(65536)
            while s.recv(65536):
                pass
            s.close()
            if head.startswith(b"HTTP/1.0 200") or head.startswith(b"HTTP/1.1 200"):
                served[0] += 1
            else:
                turned[0] += 1     # closed at once: over the per-address limit
                time.sleep(0.001)
        except OSError:
            turned[0] += 1
            time.sleep(0.01)
ts = [threading.Thread(target=loader) for _ in range(8)]
for t in ts: t.start()
for t in ts: t.join()
print(f"opened={len(socks)} refused={refused} pages_served={served[0]} turned_away={turned[0]}")
for s in socks:
    s.close()
EOF
FLOOD=$!
PIDS+=("$FLOOD")
sleep 2
worst=0
for _ in $(seq 1 10); do
	t=$(curl -s --interface 127.0.0.6 -o /dev/null -w '%{http_code} %{time_total}' --max-time 3 \
	    "$BASE/api/v1/health") || true
	# shellcheck disable=SC2086 # the code and the time, as $1 and $2
	set -- $t
	[ "${1:-000}" = 200 ] || fail "health during the flood: HTTP ${1:-none}"
	worst=$(python3 -c "print(max($worst, ${2:-9}))")
	python3 -c "import sys; sys.exit(0 if ${2:-9} < 1.0 else 1)" || fail "health took ${2}s during the flood"
	sleep 0.4
done
wait "$FLOOD" || fail "flood client failed: $(cat "$T/flood.log")"
grep -q 'pages_served=[1-9]' "$T/flood.log" || fail "no page served during the flood: $(cat "$T/flood.log")"
pass "1000 connections ($(cat "$T/flood.log")): health answered every time, worst ${worst}s"
curl -sf -o /dev/null "$BASE/" || fail "not serving after the flood"
curl -sf -o /dev/null "$BASE/graph/latency/bx-suoi-chai.png" || fail "no graph after the flood"

kill -0 "$COLLECTOR_PID" || fail "collector died"
stop_collector
no_crash "$T/collector.log"
pass "collector alive and stopped cleanly"
