#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Pages to the messaging tools provincial staff read (issue 18): a webhook
# with format = telegram posts a Telegram bot's sendMessage, one with
# format = zalo a Zalo Official Account's message (its token in the
# access_token header), and deploy/notify/sms-gammu (exec) an SMS through
# gammu-smsd's outbox; all in Vietnamese (lang = vi). A real agent stops,
# its hamlet goes down: a local HTTP server checks each body as the tools'
# APIs take it, the SMS is read back from the outbox; the agent comes
# back: the resolve reaches both messaging tools.
. "$(dirname "$0")/../lib.sh"
need mosquitto curl python3 gammu-smsd-inject
# shellcheck disable=SC2034 # read by lib.sh's field helpers
AG=lc-batxat-suoichai-01 HAMLET=bx-suoi-chai PROV=lao-cai

HOOK_PORT=$(free_port)
printf 'zalo-oa-access-token-0123456789\n' > "$T/zalo.token"
chmod 600 "$T/zalo.token"
cat > "$T/tools.py" <<'EOF'
import http.server, json, sys
port, out = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        rec = {"path": self.path, "type": self.headers.get("Content-Type"),
               "access_token": self.headers.get("access_token"),
               "auth": self.headers.get("Authorization"), "body": json.loads(body)}
        with open(out, "a") as f:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok":true,"error":0}')
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
EOF
python3 "$T/tools.py" "$HOOK_PORT" "$T/tools.jsonl" > "$T/tools.log" 2>&1 &
PIDS+=("$!")
wait_for 10 bash -c "echo > /dev/tcp/127.0.0.1/$HOOK_PORT" || fail "the tools' server did not start"

# gammu-smsd with its "files" service: gammu-smsd-inject writes the SMS
# into the outbox that the daemon (not started here: no modem) would send.
mkdir -p "$T/sms/outbox" "$T/sms/inbox" "$T/sms/sent" "$T/sms/error"
printf '[gammu]\ndevice = /dev/null\nconnection = at\n[smsd]\nservice = files\ninboxpath = %s/\noutboxpath = %s/\nsentsmspath = %s/\nerrorsmspath = %s/\n' \
    "$T/sms/inbox" "$T/sms/outbox" "$T/sms/sent" "$T/sms/error" > "$T/smsdrc"
export SMSD_CONFIG=$T/smsdrc
field_setup "[alerts]" "for = 1" "clear_for = 1" "timezone = Asia/Ho_Chi_Minh" \
    "[notifier.tg]" "type = webhook" "format = telegram" "chat_id = -1001234567890" \
    "url = http://127.0.0.1:$HOOK_PORT/bot123456:ABC-token/sendMessage" "lang = vi" \
    "[notifier.zl]" "type = webhook" "format = zalo" "user_id = 2468013579" \
    "token_file = $T/zalo.token" "url = http://127.0.0.1:$HOOK_PORT/v3.0/oa/message/cs" "lang = vi" \
    "[notifier.sms]" "type = exec" "lang = vi" \
    "command = $COVMON_SRC/deploy/notify/sms-gammu +84912345678" \
    "[route.oncall]" "match = *" "notify = tg, zl, sms" "group_wait = 0"
"$COVMON_BUILD/covmon-collector" -c "$T/collector.conf" --check-config | grep -q "^format = zalo$" \
    || fail "--check-config does not show the format"

agent_conf "$T/agent.conf" "$PROV" 1
run_agent "$T/agent.conf" "$T/agent.log"
wait_for 30 grep -q "stored $AG seq 3 " "$T/collector.log" || fail "the agent's samples are not stored"
wait_covered 30
stop_agent
wait_for 40 bash -c "[ \$(grep -c . '$T/tools.jsonl' 2>/dev/null || echo 0) -ge 2 ]" \
    || fail "no page reached the tools: $(tail -3 "$T/collector.log")"

python3 - "$T/tools.jsonl" <<'EOF' || fail "the pages as the tools take them: see above"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
tg = [r for r in recs if r["path"] == "/bot123456:ABC-token/sendMessage"]
zl = [r for r in recs if r["path"] == "/v3.0/oa/message/cs"]
assert tg and zl, recs
t, z = tg[0], zl[0]
assert t["type"].startswith("application/json"), t
assert set(t["body"]) == {"chat_id", "text", "disable_web_page_preview"}, t["body"]
assert t["body"]["chat_id"] == "-1001234567890", t["body"]
assert t["auth"] is None and t["access_token"] is None, t
assert z["access_token"] == "zalo-oa-access-token-0123456789", z
assert z["auth"] is None, z
assert set(z["body"]) == {"recipient", "message"}, z["body"]
assert z["body"]["recipient"] == {"user_id": "2468013579"}, z["body"]
for text in (t["body"]["text"], z["body"]["message"]["text"]):
    for want in ("[nghiêm trọng]", "Suối Chải (Bát Xát) mất kết nối từ", "(UTC+7)",
                 "xác nhận: covmon ack"):
        assert want in text, (want, text)
    assert "down since" not in text, text
print("telegram:", t["body"]["text"])
print("zalo:", z["body"]["message"]["text"])
EOF
pass "hamlet down: a Telegram sendMessage and a Zalo OA message, in Vietnamese"

wait_for 20 bash -c "ls '$T/sms/outbox' | grep -q '+84912345678'" || fail "no SMS in gammu-smsd's outbox"
sms=$(python3 - "$T/sms/outbox" <<'EOF'
import glob, re, sys
f = sorted(glob.glob(sys.argv[1] + "/OUT*+84912345678*"))[0]
t = open(f, encoding="latin-1").read()   # its comment line is not UTF-8
hexes = "".join(re.findall(r"^Text\d+ = ([0-9A-F]+)$", t, re.M))
print(bytes.fromhex(hexes).decode("utf-16-be"))
EOF
)
for w in "[nghiêm trọng]" "Suối Chải (Bát Xát) mất kết nối" "xác nhận: covmon ack"; do
	echo "$sms" | grep -qF "$w" || fail "the SMS lacks '$w': $sms"
done
pass "SMS through gammu-smsd to +84912345678 (Unicode): $sms"

run_agent "$T/agent.conf" "$T/agent.log"
wait_for 40 bash -c "grep -c 'đã hoạt động lại sau' '$T/tools.jsonl' | grep -q '^2$'" \
    || fail "the resolve did not reach both tools: $(tail -2 "$T/tools.jsonl")"
pass "back: $(grep -o '"text": "[^"]*đã hoạt động lại[^"]*"' "$T/tools.jsonl" | head -1)"
stop_agent
stop_collector
no_crash "$T/collector.log"
