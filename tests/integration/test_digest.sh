#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The daily rollout digest end to end, with a real broker and the
# inventory of tests/data (no agent has reported: every hamlet whose target
# date has passed is overdue, every commune with a target red). With [digest]
# at = the current minute, the exec notifier gets exactly ONE digest per
# province, naming the overdue hamlets, with the link to the province page;
# a restart the same day sends none again; lang = vi gives the Vietnamese
# text; `covmon digest` prints it; and a route with default settings pages
# nobody for the overdue hamlets and red communes (severity info).
. "$(dirname "$0")/../lib.sh"
need mosquitto curl python3

# `at` is this minute: a digest at 23:59 would be tomorrow's before its time.
[ "$(date +%H:%M)" != 23:59 ] || sleep 61
AT=$(date +%H:%M)

start_broker
HTTP_PORT=$(free_port)
API=http://127.0.0.1:$HTTP_PORT
PUBLIC=http://covmon.test.example
OUT=$T/digest.jsonl
PAGES=$T/pages.jsonl
touch "$OUT" "$PAGES"
covmon() { "$COVMON_BUILD/covmon" --url "$API" "$@"; }

cat > "$T/digest.sh" <<EOF
#!/bin/sh
printf '%s\n' "\$COVMON_ALERT_JSON" >> "\$(cat '$T/digest-out')"
printf '%s %s %s\n' "\$COVMON_ALERT_KIND" "\$COVMON_ALERT_STATE" "\$COVMON_ALERT_SCOPE" >> "$T/env.txt"
EOF
cat > "$T/page.sh" <<EOF
#!/bin/sh
printf '%s\n' "\$COVMON_ALERT_JSON" >> "$PAGES"
EOF
echo "$OUT" > "$T/digest-out"

conf() { # conf FILE DATA_DIR LANG
	write_collector_conf "$1" "$2" "$HTTP_PORT" \
	    "public_url = $PUBLIC/" \
	    "[collector]" "inventory = $COVMON_SRC/tests/data/inventory.csv" \
	    "targets = $COVMON_SRC/tests/data/targets.csv" "eval_interval = 1" \
	    "[coverage]" "offline_after = 6" \
	    "[alerts]" "for = 2" "clear_for = 2" "retry_max = 2" \
	    "[notifier.it]" "type = exec" "command = /bin/sh '$T/digest.sh'" \
	    "[notifier.page]" "type = exec" "command = /bin/sh '$T/page.sh'" \
	    "[route.oncall]" "match = *" "notify = page" "group_wait = 1" \
	    "[digest]" "at = $AT" "notify = it" "lang = $3"
}
conf "$T/collector.conf" "$T/data" en

# What the digest must say, from the inventory: the hamlets of each
# province whose target date is over (none is covered).
python3 - "$COVMON_SRC/tests/data/inventory.csv" "$(date -u +%F)" > "$T/overdue.txt" <<'EOF'
import csv, sys
for r in csv.DictReader(open(sys.argv[1], encoding="utf-8")):
    if r["target_date"] and r["target_date"] < sys.argv[2]:
        print("\t".join([r["province_id"], r["hamlet_name"], r["commune_name"], r["target_date"]]))
EOF
n_lc=$(grep -c '^lao-cai' "$T/overdue.txt")
n_tn=$(grep -c '^thai-nguyen' "$T/overdue.txt")
[ "$n_lc" -gt 0 ] && [ "$n_tn" -gt 30 ] || fail "test data: $n_lc and $n_tn overdue hamlets"

# --check-config prints [digest]; a bad one is refused with its line.
"$COVMON_BUILD/covmon-collector" -c "$T/collector.conf" --check-config > "$T/check.txt" \
    || { cat "$T/check.txt"; fail "--check-config refused the config"; }
grep -q "^at = $AT\$" "$T/check.txt" && grep -q "^notify = it\$" "$T/check.txt" \
    || fail "--check-config does not print [digest]: $(cat "$T/check.txt")"
sed 's/^notify = it$/notify = it, sms/' "$T/collector.conf" > "$T/bad.conf"
rc=0; "$COVMON_BUILD/covmon-collector" -c "$T/bad.conf" --check-config > "$T/bad.txt" 2>&1 || rc=$?
line=$(grep -n '^notify = it, sms$' "$T/bad.conf" | cut -d: -f1)
[ $rc -eq 2 ] && grep -q "bad.conf:$line: \[digest\] notify: no \[notifier.sms\]" "$T/bad.txt" \
    || fail "an unknown digest notifier: exit $rc, $(cat "$T/bad.txt")"
pass "[digest] printed by --check-config; an unknown notifier refused at line $line"

start_collector "$T/collector.conf" "$T/collector.log"
wait_for 10 curl -sf "$API/api/v1/health" || fail "collector not up"

# One digest per province, once the collector has judged the hamlets.
wait_for 60 bash -c "[ \$(grep -c '\"kind\":\"digest\"' '$OUT') -ge 2 ]" \
    || fail "no digest within 60 s: $(cat "$OUT")"
sleep 3
check_once() {
	for p in lao-cai thai-nguyen; do
		n=$(grep -c "\"scope\":\"province:$p\"" "$OUT" || true)
		[ "$n" -eq 1 ] || fail "$1: $n digests for $p, want ONE"
	done
	[ "$(grep -c '"kind":"digest"' "$OUT")" -eq 2 ] || fail "$1: $(wc -l < "$OUT") digests, want 2"
}
check_once "first day"
# Every overdue hamlet of Lào Cai by name, commune and date; Thái Nguyên's
# first 30 and the rest counted.
python3 - "$OUT" "$T/overdue.txt" "$PUBLIC" "$(date +%F)" <<'EOF' || fail "the English digest"
import json, sys
msgs = {m["province"]: m for m in map(json.loads, open(sys.argv[1]))}
overdue = [l.rstrip("\n").split("\t") for l in open(sys.argv[2], encoding="utf-8")]
pub, today = sys.argv[3], sys.argv[4]
for p, name in (("lao-cai", "Lào Cai"), ("thai-nguyen", "Thái Nguyên")):
    m = msgs[p]
    t = m["summary"]
    mine = [o for o in overdue if o[0] == p]
    for k, v in (("kind", "digest"), ("severity", "info"), ("state", "digest"),
                 ("scope", "province:" + p), ("url", pub + "/province/" + p)):
        assert m.get(k) == v, (k, m.get(k))
    assert t.startswith("Daily rollout digest — %s, %s\n" % (name, today)), t
    assert "New overdue hamlets in the last 24 h: %d (overdue in all: %d)\n" % (len(mine), len(mine)) in t, t
    for o in mine[:30]:
        assert "- %s (%s), target date %s\n" % (o[1], o[2], o[3]) in t, (o, t)
    if len(mine) > 30:
        assert "- … and %d more\n" % (len(mine) - 30) in t, t
    assert "Communes turned red: " in t, t
    assert t.endswith("Province page: %s/province/%s\n" % (pub, p)), t
    assert sorted(m["hamlets"]) == sorted(m["hamlets"]) and len(m["hamlets"]) == len(mine)
print(msgs["lao-cai"]["summary"])
EOF
grep -q "^digest digest province:lao-cai$" "$T/env.txt" || fail "exec environment: $(cat "$T/env.txt")"
pass "one digest per province, every overdue hamlet of Lào Cai named ($n_lc), link, exec env"

# The rollout backlog is firing, but a route with default settings
# (min_severity warning) paged nobody for it.
curl -sf "$API/api/v1/alerts?state=firing" | python3 -c '
import json, sys
k = {a["kind"] for a in json.load(sys.stdin)["alerts"]}
assert {"hamlet_overdue", "commune_red"} <= k, k' || fail "the overdue/red alerts are not firing"
sleep 2
[ ! -s "$PAGES" ] || fail "a default route paged for the rollout backlog: $(head -c 600 "$PAGES")"
pass "overdue hamlets and red communes firing, no page from a default route"


# covmon digest: the same text now, and the API's fields.
covmon digest --province lao-cai > "$T/cli.txt" || fail "covmon digest"
grep -q "^Daily rollout digest — Lào Cai, $(date +%F)\$" "$T/cli.txt" || fail "covmon digest: $(cat "$T/cli.txt")"
first=$(grep '^lao-cai' "$T/overdue.txt" | head -1 | cut -f2)
grep -q "^- $first (" "$T/cli.txt" || fail "covmon digest does not name $first"
grep -q "Thái Nguyên" "$T/cli.txt" && fail "covmon digest --province lao-cai printed Thái Nguyên"
n=$(covmon digest | grep -c '^Daily rollout digest — ')
[ "$n" -eq 2 ] || fail "covmon digest: $n provinces, want 2"
curl -sf "$API/api/v1/digest?province=lao-cai" | python3 -c '
import json, sys
d = json.load(sys.stdin)["digests"]
assert len(d) == 1 and d[0]["province"] == "lao-cai" and d[0]["name"] == "Lào Cai", d
assert d[0]["target_pct"] == 95 and d[0]["deadline"] == "2026-06-30" and d[0]["colour"] == "red", d
assert d[0]["text"].startswith("Daily rollout digest"), d' || fail "/api/v1/digest"
code=$(curl -s -o /dev/null -w '%{http_code}' "$API/api/v1/digest?province=nowhere")
[ "$code" = 404 ] || fail "/api/v1/digest of an unknown province: HTTP $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$API/api/v1/digest?lang=fr")
[ "$code" = 400 ] || fail "/api/v1/digest?lang=fr: HTTP $code"
rc=0; covmon digest --lang fr 2> /dev/null || rc=$?
[ $rc -eq 2 ] || fail "covmon digest --lang fr: exit $rc, want 2"
rc=0; covmon digest --province nowhere 2> /dev/null || rc=$?
[ $rc -eq 1 ] || fail "covmon digest --province nowhere: exit $rc, want 1"
pass "covmon digest and /api/v1/digest: the same text, errors refused"

# One real outage among them: the real agent of Suối Chải reports, then
# stops. The default route pages exactly that, with everything on-call
# staff need, and still nothing of the backlog.
# shellcheck disable=SC2034 # read by lib.sh's agent_conf
AG=lc-batxat-suoichai-01
agent_conf "$T/agent.conf" lao-cai 1
run_agent "$T/agent.conf" "$T/agent.log"
# Its samples stored (this test has no other agent), then judged covered.
stored3() { [ "$(metric covmon_samples_stored_total)" -ge 3 ]; }
wait_for 30 stored3 || fail "the real agent's samples not stored"
wait_for 30 bash -c "curl -sf $API/api/v1/hamlets/bx-suoi-chai | grep -q '\"state\":\"covered\"'" \
    || fail "Suối Chải not covered by its real agent"
stop_agent
wait_for 40 test -s "$PAGES" || fail "the outage paged nobody"
sleep 3
python3 - "$PAGES" "$PUBLIC" <<'EOF' || fail "the outage's page"
import json, re, sys
pages = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(pages) == 1, ["%s %s" % (p["kind"], p["scope"]) for p in pages]
p = pages[0]
assert p["kind"] == "hamlet_down" and p["severity"] == "critical" and p["state"] == "firing", p
assert p["hamlets"] == ["bx-suoi-chai"], p["hamlets"]
assert p["url"] == sys.argv[2] + "/hamlet/bx-suoi-chai", p["url"]
assert p["summary"].startswith("[critical] Suối Chải (Bát Xát) down since "), p["summary"]
assert re.search(r"ack: covmon ack %s\b" % p["id"], p["summary"]), p["summary"]
print(p["summary"])
EOF
pass "a real outage among the backlog: exactly its page, with severity, name, ack command and link"

# A restart the same day sends nothing again.
stop_collector
start_collector "$T/collector.conf" "$T/collector.log"
wait_for 10 curl -sf "$API/api/v1/health" || fail "collector not up after its restart"
sleep 16
check_once "after a restart"
pass "restarted the same day: no digest again"
stop_collector

# lang = vi: a new collector (a new state DB), the Vietnamese text.
OUT=$T/digest-vi.jsonl
touch "$OUT"
echo "$OUT" > "$T/digest-out"
conf "$T/collector-vi.conf" "$T/data-vi" vi
start_collector "$T/collector-vi.conf" "$T/collector-vi.log"
wait_for 10 curl -sf "$API/api/v1/health" || fail "collector (vi) not up"
wait_for 60 bash -c "[ \$(grep -c '\"kind\":\"digest\"' '$OUT') -ge 2 ]" \
    || fail "no Vietnamese digest within 60 s"
sleep 2
check_once "lang = vi"
python3 - "$OUT" "$T/overdue.txt" "$PUBLIC" "$(date +%d/%m/%Y)" <<'EOF' || fail "the Vietnamese digest"
import json, sys
msgs = {m["province"]: m for m in map(json.loads, open(sys.argv[1]))}
overdue = [l.rstrip("\n").split("\t") for l in open(sys.argv[2], encoding="utf-8")]
pub, today = sys.argv[3], sys.argv[4]
t = msgs["lao-cai"]["summary"]
mine = [o for o in overdue if o[0] == "lao-cai"]
assert t.startswith("Bản tin triển khai hằng ngày — Lào Cai, %s\n" % today), t
assert "\nTỷ lệ phủ sóng 0,0 % / mục tiêu 95 % (hạn 30/06/2026): đỏ — chậm so với mục tiêu\n" in t, t
assert "\nThôn quá hạn mới trong 24 giờ qua: %d (tổng số thôn quá hạn: %d)\n" % (len(mine), len(mine)) in t, t
for o in mine:
    y, m, d = o[3].split("-")
    assert "- %s (%s), hạn %s/%s/%s\n" % (o[1], o[2], d, m, y) in t, (o, t)
assert "\nXã chuyển sang đỏ: " in t, t
assert t.endswith("Trang của tỉnh: %s/province/lao-cai\n" % pub), t
tn = msgs["thai-nguyen"]["summary"]
n = len([o for o in overdue if o[0] == "thai-nguyen"])
assert "- … và %d thôn khác\n" % (n - 30) in tn, tn
print(t)
EOF
covmon digest --province lao-cai > "$T/cli-vi.txt" || fail "covmon digest (vi)"
grep -q "^Bản tin triển khai hằng ngày — Lào Cai, $(date +%d/%m/%Y)\$" "$T/cli-vi.txt" \
    || fail "covmon digest with lang = vi: $(cat "$T/cli-vi.txt")"
covmon digest --province lao-cai --lang en | grep -q "^Daily rollout digest — Lào Cai" \
    || fail "covmon digest --lang en"
pass "lang = vi: the Vietnamese digest sent and printed; --lang en still English"
