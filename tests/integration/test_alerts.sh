#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Alerts end to end, with a real broker and the simulated fleet of
# tests/data/inventory.csv: a commune's backhaul cut is ONE grouped
# notification listing every hamlet of the commune (through an exec
# notifier that appends to a file), and its recovery one resolve; a webhook
# that answers 500 gets the alert once it recovers, with a collector
# restart in between; a silence holds another commune's alert back and
# its expiry releases it. Also the API's write actions and the token.
. "$(dirname "$0")/../lib.sh"
need mosquitto curl python3 sqlite3

start_broker
HTTP_PORT=$(free_port)
HOOK_PORT=$(free_port)
OUT=$T/notified.jsonl
HOOK_OUT=$T/hook.jsonl
TOKEN=s3cret-$$
touch "$OUT" "$HOOK_OUT" "$T/hook-fail"

# The exec notifier: one line of JSON per notification.
cat > "$T/notify.sh" <<EOF
#!/bin/sh
printf '%s\n' "\$COVMON_ALERT_JSON" >> "$OUT"
EOF
chmod +x "$T/notify.sh"

# The webhook: 500 while $T/hook-fail exists, then 200 and the body kept.
cat > "$T/hook.py" <<'EOF'
import http.server, os, sys
port, out, flag = int(sys.argv[1]), sys.argv[2], sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        if os.path.exists(flag):
            with open(out + '.refused', 'a') as f:
                f.write(body.decode() + '\n')
            self.send_response(500); self.end_headers(); return
        with open(out, 'a') as f:
            f.write(body.decode() + '\n')
        self.send_response(200); self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(('127.0.0.1', port), H).serve_forever()
EOF
python3 "$T/hook.py" "$HOOK_PORT" "$HOOK_OUT" "$T/hook-fail" > "$T/hook.log" 2>&1 &
PIDS+=("$!")
wait_for 10 bash -c "echo > /dev/tcp/127.0.0.1/$HOOK_PORT" || fail "webhook receiver did not start"

write_collector_conf "$T/collector.conf" "$T/data" "$HTTP_PORT" \
    "token = $TOKEN" "public_url = https://covmon.laocai.example/" \
    "[collector]" "inventory = $COVMON_SRC/tests/data/inventory.csv" "eval_interval = 1" \
    "[rrd]" "retention = RRA:AVERAGE:0.5:1:600" \
    "[coverage]" "offline_after = 6" \
    "[alerts]" "for = 2" "clear_for = 2" "retry_max = 2" "timezone = Asia/Ho_Chi_Minh" \
    "[notifier.file]" "type = exec" "command = /bin/sh '$T/notify.sh'" \
    "[notifier.hook]" "type = webhook" "url = http://127.0.0.1:$HOOK_PORT/hook" "timeout = 2" \
    "lang = vi" \
    "[route.oncall]" "match = province:lao-cai" "kinds = hamlet_down" "notify = file, hook" \
    "group_by = commune" "group_wait = 2" "repeat = 0"
"$COVMON_BUILD/covmon-collector" -c "$T/collector.conf" --check-config > "$T/check.txt" \
    || { cat "$T/check.txt"; fail "--check-config refused the config"; }
grep -q "^\[route.oncall\]" "$T/check.txt" || fail "--check-config does not print the route"

API=http://127.0.0.1:$HTTP_PORT
covmon() { "$COVMON_BUILD/covmon" --url "$API" "$@"; }

start_collector "$T/collector.conf" "$T/collector.log"
wait_for 10 curl -sf "$API/api/v1/health" || fail "collector not up"
wait_for 10 bash -c "curl -sf $API/metrics | grep -q '^covmon_mqtt_connected 1'" \
    || fail "collector not connected"

# Write actions: no token 401, a wrong one 401.
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{}' "$API/api/v1/silences")
[ "$code" = 401 ] || fail "POST /api/v1/silences without a token: HTTP $code, want 401"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer nope" \
    -X POST -d '{}' "$API/api/v1/silences")
[ "$code" = 401 ] || fail "POST with a wrong token: HTTP $code, want 401"
COVMON_TOKEN="" covmon ack 1 2>/dev/null && fail "covmon ack without a token succeeded"
pass "write actions refused without the token"

# The first 60 agents (Bat Xat and Muong Khuong among them: a test host
# must keep up after the restart, or late samples look like outages).
# Two communes cut at once, 20 s in, for 30 s.
CUT_AFTER=20 CUT_FOR=30
F0=$(date +%s)
"$COVMON_BUILD/tests/fleetsim/covmon-fleetsim" -p "$MQTT_PORT" \
    -i "$COVMON_SRC/tests/data/inventory.csv" -a 60 --interval 2 -d 75 \
    --scenario cut:bat-xat --scenario cut:muong-khuong \
    --cut-after $CUT_AFTER --cut-for $CUT_FOR -v > "$T/fleetsim.log" 2>&1 &
FLEET_PID=$!
PIDS+=("$FLEET_PID")

# Muong Khuong silenced until 14 s into its cut.
SIL_UNTIL=$((F0 + CUT_AFTER + 14))
export COVMON_TOKEN=$TOKEN
covmon silence add --match commune:muong-khuong --until "$SIL_UNTIL" --reason "planned works" \
    > "$T/silence.txt" || fail "covmon silence add"
covmon silence list > "$T/silences.txt" || fail "covmon silence list"
grep -q "commune:muong-khuong" "$T/silences.txt" || fail "covmon silence list: $(cat "$T/silences.txt")"

# The cut: one notification for Bat Xat, with every hamlet that has an agent.
bx_hamlets=$(python3 -c '
import csv, sys
print("\n".join(sorted(r["hamlet_id"] for r in csv.DictReader(open(sys.argv[1], encoding="utf-8"))
    if r["commune_id"] == "bat-xat" and r["agent_id"])))' "$COVMON_SRC/tests/data/inventory.csv")
wait_for 40 grep -q '"commune":"bat-xat"' "$OUT" || fail "no notification for the Bat Xat cut"
sleep 3
n=$(grep -c '"commune":"bat-xat".*"state":"firing"\|"state":"firing".*"commune":"bat-xat"' "$OUT" || true)
[ "$n" -eq 1 ] || { cat "$OUT"; fail "$n firing notifications for Bat Xat, want ONE"; }
got=$(grep '"commune":"bat-xat"' "$OUT" | python3 -c 'import json,sys; print("\n".join(sorted(json.loads(sys.stdin.readline())["hamlets"])))')
[ "$got" = "$bx_hamlets" ] || { echo "got: $got"; echo "want: $bx_hamlets"; fail "the notification does not list every hamlet of the commune"; }
summary=$(grep '"commune":"bat-xat"' "$OUT" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["summary"])')
echo "$summary" | grep -q "Suối Chải (Bát Xát) down since" || fail "summary: $summary"
echo "$summary" | grep -q "also cut, 3 hamlets behind it: " || fail "summary: $summary"
# The page: local time in the zone of the people paged (the server runs
# UTC), the command that acks it, the link to the commune's page.
echo "$summary" | grep -Eq "since 20[0-9-]+ [0-9:]+ UTC\+7" || fail "no local time with its offset: $summary"
echo "$summary" | grep -Eq "ack: covmon ack [0-9]+" || fail "no ack command: $summary"
echo "$summary" | grep -q "https://covmon.laocai.example/commune/bat-xat" || fail "no link: $summary"
url=$(grep '"commune":"bat-xat"' "$OUT" | python3 -c 'import json,sys; o=json.loads(sys.stdin.readline()); print(o.get("url"), o.get("severity"))')
[ "$url" = "https://covmon.laocai.example/commune/bat-xat critical" ] || fail "payload url/severity: $url"
pass "Bat Xat cut: ONE notification, $(echo "$bx_hamlets" | wc -l) hamlets: $summary"

# Silenced meanwhile: in the API, not in the notifications. (The silence
# ends on the clock, 14 s into the cut: on a loaded machine this line can
# come after it, and then there is nothing silenced to see.)
grep -q 'muong-khuong' "$OUT" && fail "the silenced commune was notified"
if [ "$(date +%s)" -lt $((SIL_UNTIL - 2)) ]; then
alerts=$(curl -sf "$API/api/v1/alerts?state=firing")
echo "$alerts" | python3 -c '
import json, sys
a = json.load(sys.stdin)["alerts"]
mk = [x for x in a if x["commune"] == "muong-khuong" and x["kind"] == "hamlet_down"]
assert mk and all(x["silenced"] for x in mk), a
bx = [x for x in a if x["commune"] == "bat-xat" and x["kind"] == "hamlet_down"]
assert bx and not any(x["silenced"] for x in bx), bx
' || fail "the API does not show the silenced alert as silenced: $alerts"
# The CLI as the API: read again while the silenced alerts still fire (on
# a loaded machine one may resolve between the API's read and this one).
cli_shows_silence() {
	covmon alerts > "$T/alerts.txt" || fail "covmon alerts"
	grep -q "silenced" "$T/alerts.txt" && return 0
	curl -sf "$API/api/v1/alerts?state=firing" | grep -q '"silenced":true' && return 1
	return 0   # nothing silenced fires now: nothing to show
}
for _ in 1 2 3 4 5; do cli_shows_silence && break; sleep 1; done
cli_shows_silence || fail "covmon alerts does not show the silence: $(cat "$T/alerts.txt")"
else
	echo "the silence ended before it could be read back ($(( $(date +%s) - SIL_UNTIL )) s late): its API and CLI marks not checked this run"
fi
pass "Muong Khuong held back by its silence, shown silenced in the API"

# The webhook refused (500); restart the collector while it still does.
wait_for 20 test -s "$HOOK_OUT.refused" || fail "the webhook was never tried"
stop_collector
start_collector "$T/collector.conf" "$T/collector.log"
wait_for 10 curl -sf "$API/api/v1/health" || fail "collector not up after its restart"
rm -f "$T/hook-fail"
wait_for 30 grep -q '"commune":"bat-xat"' "$HOOK_OUT" || fail "the webhook never got the alert"
pass "webhook: refused $(wc -l < "$HOOK_OUT.refused") time(s), delivered after a restart"
# lang = vi: the webhook's page is in Vietnamese, the exec one in English.
vi=$(grep '"commune":"bat-xat"' "$HOOK_OUT" | head -1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["summary"])')
for w in "[nghiêm trọng]" "Suối Chải (Bát Xát) mất kết nối từ" "(UTC+7)" "kéo theo 3 thôn phía sau mất kết nối: " \
    "xác nhận: covmon ack" "https://covmon.laocai.example/commune/bat-xat"; do
	echo "$vi" | grep -qF "$w" || fail "the Vietnamese page lacks '$w': $vi"
done
! grep -q "summary_vi" "$HOOK_OUT" "$OUT" || fail "a payload carries summary_vi"
echo "$summary" | grep -q "mất kết nối" && fail "the English page is in Vietnamese: $summary"
pass "lang = vi: $vi"

# The silence's end releases Muong Khuong's alert (it is still cut).
wait_for 30 grep -q '"commune":"muong-khuong"' "$OUT" || fail "the silence's end did not release the alert"
released=$(date +%s)
[ "$released" -ge "$SIL_UNTIL" ] || fail "released before the silence's end"
pass "Muong Khuong released when its silence ended"

# An ack (the alert id from the API).
id=$(curl -sf "$API/api/v1/alerts?state=firing" | python3 -c '
import json, sys
print([x for x in json.load(sys.stdin)["alerts"] if x["commune"] == "bat-xat"][0]["id"])')
covmon ack "$id" > /dev/null || fail "covmon ack $id"
curl -sf "$API/api/v1/alerts" > "$T/alerts.json"
grep -q "\"id\":\"$id\"[^}]*\"acked\":true" "$T/alerts.json" || fail "ack not shown"
pass "alert $id acked"

# Recovery: one resolve for Bat Xat, to both notifiers.
wait_for 40 bash -c "grep -q '\"state\":\"resolved\".*bat-xat\|bat-xat.*\"state\":\"resolved\"' '$OUT'" \
    || fail "no resolve for Bat Xat"
sleep 4
n=$(grep -c '"state":"resolved".*"commune":"bat-xat"\|"commune":"bat-xat".*"state":"resolved"' "$OUT" || true)
[ "$n" -eq 1 ] || { cat "$OUT"; fail "$n resolves for Bat Xat, want one"; }
wait_for 20 grep -q '"state":"resolved"' "$HOOK_OUT" || fail "the webhook got no resolve"
n=$(grep -c '"commune":"bat-xat"' "$OUT")
[ "$n" -eq 2 ] || { cat "$OUT"; fail "$n notifications for Bat Xat in all, want 2"; }
pass "recovery: one resolve for Bat Xat"

covmon alerts --all > "$T/history.txt" || fail "covmon alerts --all"
grep -q "resolved" "$T/history.txt" || fail "covmon alerts --all shows no history"
covmon --json alerts --all | python3 -c 'import json,sys; json.load(sys.stdin)["alerts"]' \
    || fail "covmon --json alerts"
[ "$(sqlite3 "$T/data/state.db" "SELECT count(*) FROM notify_queue WHERE sent_at IS NULL")" -eq 0 ] \
    || fail "notifications left unsent"
stop_collector
no_crash "$T/collector.log"
echo "--- notifications:"; cat "$OUT"
