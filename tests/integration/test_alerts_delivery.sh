#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Alerts that are never lost, through every kind of notifier, with a real
# broker, a real SMTP server (Debian's aiosmtpd) and the simulated fleet:
# - a grouped notification waiting for its group_wait survives a SIGKILL of
#   the collector: it arrives once, after the restart, at its deadline;
# - the mqtt notifier publishes it on covmon/v1/<province>/alert, the email
#   notifier delivers a readable mail (and one that requires TLS refuses a
#   server without STARTTLS instead of sending in clear);
# - SIGHUP reloads routes and notifiers: a broken file changes nothing and
#   shows in /api/v1/health, a good one routes the resolve to a new notifier.
. "$(dirname "$0")/../lib.sh"
need mosquitto mosquitto_sub curl python3 sqlite3
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || skip "python3-aiosmtpd not installed"

start_broker
HTTP_PORT=$(free_port)
SMTP_PORT=$(free_port)
API=http://127.0.0.1:$HTTP_PORT
OUT=$T/file.jsonl OUT2=$T/file2.jsonl
touch "$OUT" "$OUT2"
for f in file file2; do
	cat > "$T/$f.sh" <<EOF
#!/bin/sh
printf '%s\n' "\$COVMON_ALERT_JSON" >> "$T/$f.jsonl"
EOF
done

/usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Mailbox \
    "$T/mail" > "$T/smtp.log" 2>&1 &
PIDS+=("$!")
wait_for 10 bash -c "echo > /dev/tcp/127.0.0.1/$SMTP_PORT" || fail "aiosmtpd did not start"
timeout 150 mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -q 1 -v -t 'covmon/v1/+/alert' \
    > "$T/mqtt.out" 2> "$T/mqtt.err" &
PIDS+=("$!")

conf() {  # conf FILE [extra lines]: the collector's config, with its routes
	local f=$1; shift
	write_collector_conf "$f" "$T/data" "$HTTP_PORT" \
	    "[collector]" "inventory = $COVMON_SRC/tests/data/inventory.csv" "eval_interval = 1" \
	    "[rrd]" "retention = RRA:AVERAGE:0.5:1:600" \
	    "[coverage]" "offline_after = 6" \
	    "[alerts]" "for = 2" "clear_for = 2" "retry_max = 2" \
	    "[notifier.file]" "type = exec" "command = /bin/sh '$T/file.sh'" \
	    "[notifier.bus]" "type = mqtt" \
	    "[notifier.mail]" "type = email" "smtp_url = smtp://127.0.0.1:$SMTP_PORT" \
	    "from = covmon@lao-cai.example" "to = oncall@lao-cai.example, it@lao-cai.example" \
	    "tls = no" "timeout = 5" \
	    "[notifier.mailtls]" "type = email" "smtp_url = smtp://127.0.0.1:$SMTP_PORT" \
	    "from = covmon@lao-cai.example" "to = tls@lao-cai.example" "tls = yes" "timeout = 5" \
	    "$@"
}
conf "$T/collector.conf" \
    "[route.oncall]" "match = commune:bat-xat" "kinds = hamlet_down" \
    "notify = file, bus, mail, mailtls" "group_by = commune" "group_wait = 15" "repeat = 0"
start_collector "$T/collector.conf" "$T/collector.log"
wait_for 10 bash -c "curl -sf $API/metrics | grep -q '^covmon_mqtt_connected 1'" \
    || fail "collector not connected"

# Bat Xat cut 10 s in, for 60 s.
"$COVMON_BUILD/tests/fleetsim/covmon-fleetsim" -p "$MQTT_PORT" \
    -i "$COVMON_SRC/tests/data/inventory.csv" -a 60 --interval 2 -d 130 \
    --scenario cut:bat-xat --cut-after 10 --cut-for 60 -v > "$T/fleetsim.log" 2>&1 &
PIDS+=("$!")

# 1. Fired, notified to its group, waiting: SIGKILL.
# (Its hamlet_down: a slow start can first show Bat Xat red, unrouted.)
cut_fired() {
	curl -sf "$API/api/v1/alerts?state=firing" | python3 -c '
import json, sys
sys.exit(0 if any(a["kind"] == "hamlet_down" and a["commune"] == "bat-xat"
    for a in json.load(sys.stdin)["alerts"]) else 1)'
}
wait_for 40 cut_fired || fail "the Bat Xat cut never fired"
wait_for 5 bash -c "[ \$(sqlite3 '$T/data/state.db' 'SELECT count(*) FROM notify_groups') -ge 1 ]" \
    || fail "the waiting group was not kept in the state DB"
waiting=$(sqlite3 "$T/data/state.db" "SELECT count(*) FROM notify_groups")
deadline=$(sqlite3 "$T/data/state.db" "SELECT CAST(min(deadline) AS INTEGER) FROM notify_groups")
stop_collector KILL
[ -s "$OUT" ] && fail "notified before group_wait was over: $(cat "$OUT")"
start_collector "$T/collector.conf" "$T/collector.log"
wait_for 10 curl -sf "$API/api/v1/health" > /dev/null || fail "collector not up after SIGKILL"
wait_for 40 grep -q '"commune":"bat-xat"' "$OUT" || fail "the waiting notification was lost with the SIGKILL"
sent=$(date +%s)
[ "$sent" -ge "$deadline" ] || fail "sent at $sent, before its group_wait deadline $deadline"
grep -q "waiting in groups" "$T/collector.log" || fail "restore not logged"
sleep 3
n=$(grep -c '"state":"firing"' "$OUT")
[ "$n" -eq 1 ] || { cat "$OUT"; fail "$n firing notifications after the restart, want 1"; }
nh=$(python3 -c 'import json,sys; print(len(json.loads(open(sys.argv[1]).readline())["hamlets"]))' "$OUT")
[ "$nh" -ge 5 ] || fail "the notification lists $nh hamlets"
[ "$(sqlite3 "$T/data/state.db" "SELECT count(*) FROM notify_groups")" -eq 0 ] \
    || fail "the sent group is still kept"
pass "SIGKILL with $waiting alert(s) waiting in group_wait: ONE notification after the restart ($nh hamlets), at its deadline"

# 2. The same notification on MQTT and by mail.
wait_for 20 grep -q '^covmon/v1/lao-cai/alert ' "$T/mqtt.out" || fail "nothing on covmon/v1/lao-cai/alert"
grep '^covmon/v1/lao-cai/alert ' "$T/mqtt.out" | head -1 | cut -d' ' -f2- | python3 -c '
import json, sys
o = json.load(sys.stdin)
assert o["v"] == 1 and o["state"] == "firing" and o["commune"] == "bat-xat" and len(o["hamlets"]) >= 5, o
' || fail "the MQTT alert is not the contract payload: $(head -1 "$T/mqtt.out")"
pass "mqtt notifier: $(grep -c '^covmon/v1/lao-cai/alert ' "$T/mqtt.out") message(s) on covmon/v1/lao-cai/alert"
wait_for 20 bash -c "ls '$T/mail/new/' 2>/dev/null | grep -q ." || fail "no mail delivered"
m=$(find "$T/mail/new" -type f | sort | head -1)
grep -q '^Subject: .*Bát Xát\|^Subject: =?UTF-8' "$m" || fail "mail subject: $(grep ^Subject "$m")"
grep -q '^To: .*oncall@lao-cai.example' "$m" || fail "mail To: $(grep ^To "$m")"
grep -q '^State: firing' "$m" || fail "mail body has no State line: $(cat "$m")"
grep -q '^  bx-suoi-chai' "$m" || fail "mail body does not list the hamlets"
grep -q 'covmon ack' "$m" || fail "mail body does not say how to ack"
pass "email notifier: $(find "$T/mail/new" -type f | wc -l) mail(s) to $(grep -m1 '^X-RcptTo\|^To:' "$m" | cut -c1-60)"
# TLS required, the server offers no STARTTLS: refused, retried, never sent in clear.
wait_for 20 grep -q "notifier mailtls: SMTP" "$T/collector.log" || fail "mailtls did not fail"
grep -rq 'tls@lao-cai.example' "$T/mail/new/" && fail "a tls = yes mail went out in clear"
tlsq=$(sqlite3 "$T/data/state.db" "SELECT count(*) FROM notify_queue WHERE notifier='mailtls' AND sent_at IS NULL")
[ "$tlsq" -ge 1 ] || fail "mailtls's notification is not kept for retry"
pass "email with tls = yes: refused by a server without STARTTLS, $tlsq kept for retry, none in clear"

# 3. SIGHUP: a broken file changes nothing; a good one takes effect.
cp "$T/collector.conf" "$T/collector.good"
printf '[route.broken]\nmatch = *\nnotify = nobody\n' >> "$T/collector.conf"
kill -HUP "$COLLECTOR_PID"
wait_for 10 bash -c "curl -sf $API/api/v1/health | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)[\"config\"][\"last_error\"] else 1)'" \
    || fail "a broken config on SIGHUP does not show in /api/v1/health"
err=$(curl -sf "$API/api/v1/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["config"]["last_error"])')
echo "$err" | grep -q "collector.conf:[0-9]*:.*nobody" || fail "health last_error: $err"
conf "$T/collector.conf" \
    "[notifier.file2]" "type = exec" "command = /bin/sh '$T/file2.sh'" \
    "[route.oncall]" "match = commune:bat-xat" "kinds = hamlet_down" \
    "notify = file, file2" "group_by = commune" "group_wait = 2" "repeat = 0"
kill -HUP "$COLLECTOR_PID"
wait_for 10 grep -q "reload: alerts: 1 routes, 5 notifiers in use" "$T/collector.log" \
    || fail "the good config was not taken"
wait_for 10 bash -c "curl -sf $API/api/v1/health | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)[\"config\"][\"last_error\"] is None else 1)'" \
    || fail "health still shows the old error"
pass "SIGHUP: broken file refused ($err), good one in use"
# The cut ends at 70 s: the resolve goes by the new route, to file2 too.
wait_for 60 grep -q '"state":"resolved"' "$OUT2" || fail "the resolve did not reach the reloaded notifier file2"
grep -q '"commune":"bat-xat"' "$OUT2" || fail "file2: $(cat "$OUT2")"
n=$(grep -c '"state":"resolved"' "$OUT")
[ "$n" -eq 1 ] || fail "$n resolves to file"
pass "after the reload: the resolve went to file and file2"

stop_collector
no_crash "$T/collector.log"
