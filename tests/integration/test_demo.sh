#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The README's first command, shortened: deploy/demo.sh starts the broker,
# rrdcached, the collector with deploy/demo/'s inventory, a real agent and
# fleetsim. Read back from its API once the fleet is up: Thái Nguyên's 92
# communes 68 green, 21 yellow, 3 red, more than 97 % covered, its last 15
# hamlets uncovered (no agent yet, due in 2026), Suối Chải covered. The
# backhaul cut gives one grouped alert that fires and resolves; the demo
# says which commune is cut and when, prints the API token (the CLI takes
# it) and Suối Chải's RRD values as one line; and when it stops, nothing it
# started is left running.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" -eq 0 ] || skip "the demo needs root (ICMP)"
need mosquitto rrdcached rrdtool curl python3

INV=$COVMON_SRC/deploy/demo/inventory.csv

# The cut outlasts what a firing needs (for 10 s + an evaluation of 5 s +
# group_wait 10 s = 25 s) with room for a busy machine: a hamlet back
# within group_wait resolves before its firing is sent, and nothing pages.
# --duration is only a bound: the test stops the demo when it has seen all.
"$COVMON_SRC/deploy/demo.sh" --no-build --duration 420 --cut-after 10 --cut-for 45 > "$T/demo.log" 2>&1 &
DEMO_PID=$!
PIDS+=("$DEMO_PID")
wait_for 20 grep -q "dashboard   http" "$T/demo.log" || fail "the demo did not start"
url=$(awk '/dashboard   http/ { print $2 }' "$T/demo.log")
url=${url%/}
run=$(grep -o '/tmp/covmon-demo\.[A-Za-z0-9]*' "$T/demo.log" | head -1)
CLEANUPS+=("rm -rf '$run'")
wait_for 30 curl -sf "$url/" -o "$T/index.html" || fail "dashboard not answering at $url"
grep -q "Backhaul cut: Mường Khương (Lào Cai), its 5 hamlets, at [0-9:]* (in 10 s) for 45 s" "$T/demo.log" \
    || fail "the demo does not say which commune is cut and when"
grep -q "Lào Cai" "$T/index.html" || fail "the overview does not show Lào Cai"
grep -q "Thái Nguyên" "$T/index.html" || fail "the overview does not show Thái Nguyên"
pass "dashboard at $url shows the provinces"

# Thái Nguyên and Suối Chải as the API has them. Prints what it sees (so
# wait_progress knows the fleet is still coming up) and "ok" when it is
# what the demo is for.
tn_check() {
	curl -sf "$url/api/v1/provinces/thai-nguyen" > "$T/tn.json" || return 1
	curl -sf "$url/api/v1/hamlets?state=uncovered&province=thai-nguyen" > "$T/tn-uncovered.json" || return 1
	curl -sf "$url/api/v1/hamlets/bx-suoi-chai" > "$T/suoi-chai.json" || return 1
	python3 - "$T" "$INV" <<'PY'
import csv, json, sys
t, inv = sys.argv[1], sys.argv[2]
p = json.load(open(t + "/tn.json"))
unc = json.load(open(t + "/tn-uncovered.json"))["hamlets"]
sc = json.load(open(t + "/suoi-chai.json"))
rows = {r["hamlet_id"]: r for r in csv.DictReader(open(inv, encoding="utf-8"))}
col = {k: sum(1 for c in p["communes"] if c.get("colour") == k) for k in ("green", "yellow", "red")}
c = p["counts"]
nunc = c["down"] + c["unreachable"] + c["unmonitored"]
bad = [h["id"] for h in unc if h.get("agent") or rows[h["id"]]["agent_id"]
       or not rows[h["id"]]["target_date"].startswith("2026-")]
print("communes %d: %d green, %d yellow, %d red; %.2f %% covered (%s); %d uncovered (%d listed, "
      "%d with an agent or not due in 2026); %d degraded; bx-suoi-chai %s"
      % (len(p["communes"]), col["green"], col["yellow"], col["red"], p["covered_pct"],
         p["colour"], nunc, len(unc), len(bad), c["degraded"], sc["state"]))
# The pace, from the two months deploy/demo.sh seeded: the province on
# track, Phú Đình behind with a date past its deadline, Cao Minh flat.
com = {x["id"]: x for x in p["communes"]}
pd, cm = com["phu-dinh"], com["cao-minh"]
print("pace: thai-nguyen on_track %s; phu-dinh on_track %s, projected %s; cao-minh on_track %s, "
      "projected %s" % (p["on_track"], pd["on_track"], pd["projected_date"], cm["on_track"],
                        cm["projected_date"]))
paced = (p["on_track"] is True and pd["on_track"] is False and pd["projected_date"] is not None
         and pd["projected_date"] > pd["deadline"] and cm["on_track"] is False
         and cm["projected_date"] is None)
ok = (len(p["communes"]) == 92 and (col["green"], col["yellow"], col["red"]) == (68, 21, 3)
      and p["covered_pct"] > 97 and p["colour"] == "green" and nunc == 15 and len(unc) == 15
      and not bad and sc["state"] == "covered" and paced)
print("ok" if ok else "not yet")
PY
}
# Waits while the figures move (the fleet coming up, a site's first
# samples over a threshold for a moment); fails when they stop moving
# short of the demo's numbers.
PROGRESS_OK="[[ \$v == *ok ]]" wait_progress 60 tn_check || fail "Thái Nguyên is not what the demo shows: $(tn_check | head -1)"
pass "API: Thái Nguyên $(tn_check | head -2 | paste -sd " ")"

# The demo prints the same, read back from the API.
wait_for 90 grep -q "Thái Nguyên: 92 communes: 68 green, 21 yellow, 3 red; [0-9]* of [0-9]* hamlets covered, 97\.[0-9] % (target 97 % by 2025-12-31: green); 15 uncovered" "$T/demo.log" \
    || { grep "Thái Nguyên:" "$T/demo.log" >&2 || true; fail "the demo does not print Thái Nguyên's figures"; }
pass "the demo prints: $(grep -o "Thái Nguyên: 92 communes.*" "$T/demo.log" | tail -1)"

# The token it prints is the one the collector takes, as the CLI takes it.
tok=$(awk '/export COVMON_TOKEN=/ { sub(/.*COVMON_TOKEN=/, ""); print; exit }' "$T/demo.log")
[ ${#tok} -ge 16 ] || fail "the demo prints no API token"
grep -q "covmon --url $url silence add --match" "$T/demo.log" || fail "no silence command printed"
grep -q "Authorization: Bearer $tok" "$T/demo.log" || fail "no curl command with the token"
COVMON_TOKEN=$tok "$COVMON_BUILD/covmon" --url "$url" silence add --match hamlet:bx-ngai-thau-thuong \
    --until 10m --reason "test_demo" > "$T/silence.log" 2>&1 || { cat "$T/silence.log" >&2; fail "silence add with the printed token"; }
COVMON_TOKEN=wrong-token-0123456789 "$COVMON_BUILD/covmon" --url "$url" silence add \
    --match hamlet:bx-o-quy-ho --until 10m --reason "test_demo" > /dev/null 2>&1 && fail "a wrong token was taken"
pass "the printed token works with covmon silence add (a wrong one does not)"

wait_for 200 grep -q "notification: .* resolved hamlet_down" "$T/demo.log" || fail "no resolve after the cut"
wait_for 30 grep -q "Suối Chải: RTT" "$T/demo.log" || fail "no line of Suối Chải's RRD values"
grep -q "backhaul cut: Mường Khương (Lào Cai)" "$T/demo.log" || fail "the cut is not announced"
grep -q "backhaul back: Mường Khương (Lào Cai)" "$T/demo.log" || fail "the end of the cut is not announced"
kill -TERM "$DEMO_PID"
wait "$DEMO_PID" || true
grep -E "notification:|Suối Chải: |backhaul (cut|back):|Thái Nguyên: " "$T/demo.log" || true
grep -q "notification: .* firing hamlet_down: \[critical\] Mường Khương" "$T/demo.log" || fail "no alert for the cut"
grep -q "notification: .* resolved hamlet_down: Mường Khương" "$T/demo.log" || fail "no resolve after the cut"
[ "$(grep -c "notification:" "$T/demo.log")" -eq 2 ] || fail "expected one firing and one resolve"
# The page, as on-call staff read it: every hamlet the cut took by name,
# local time with its offset, how to ack, where to look.
page=$(grep "notification: .* firing hamlet_down" "$T/demo.log")
for h in "Lùng Thắng" "Pạc Tà" "Cốc Phương" "Sảng Chải" "Nàn Vải"; do
	echo "$page" | grep -qF "$h" || fail "the page does not name $h: $page"
done
echo "$page" | grep -q "UTC+7" || fail "the page has no local time with its offset: $page"
echo "$page" | grep -Eq "covmon ack [0-9]+" || fail "the page has no ack command: $page"
echo "$page" | grep -q "$url/commune/muong-khuong" || fail "the page has no link: $page"
resolve=$(grep "notification: .* resolved hamlet_down" "$T/demo.log")
echo "$resolve" | grep -q "Lùng Thắng (Mường Khương) and 2 hamlets behind it: back after" \
    || fail "the resolve does not say what came back: $resolve"
pass "the cut: one grouped page naming its 5 hamlets, with local time, ack command and link; one resolve"

line=$(grep -o "Suối Chải: RTT .*" "$T/demo.log" | head -1)
rtt=$(sed -E 's/^Suối Chải: RTT ([0-9.]+) ms.*/\1/' <<<"$line")
python3 -c "import math,sys; v=float('$rtt'); sys.exit(0 if math.isfinite(v) and v >= 0 else 1)" \
    || fail "no finite RTT in the line of RRD values ('$line')"
grep -q "loss [0-9.]* %" <<<"$line" || fail "no loss in the line of RRD values ('$line')"
pass "the RRD values, read from rrdcached: $line"

grep -q "everything stopped" "$T/demo.log" || fail "the demo did not stop cleanly"
sleep 1
left=$(pgrep -af "$run" || true)
[ -z "$left" ] || fail "left running: $left"
pass "nothing left running"
