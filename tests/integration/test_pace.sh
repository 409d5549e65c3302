#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The pace to the target (DESIGN.md section 6) end to end: rollup files
# with a past series (deploy/demo/seed-history.py), a collector on the test
# inventory with no agent reporting (every hamlet unmonitored: 0 % covered),
# and the API's on_track / projected_date and the province page's line read
# back. Lào Cai rose 70 → 80 % in 60 days (1/6 point a day): 95 % from 0 %
# is 570 days away, far past its 2026-06-30 deadline. Bát Xát is flat (no
# date); Y Tý has no series (nothing to judge: null).
. "$(dirname "$0")/../lib.sh"
need mosquitto curl python3 rrdtool

SEED=$COVMON_SRC/deploy/demo/seed-history.py
python3 "$SEED" "$T/data" lao-cai --from 70 --to 80 --days 60 >/dev/null || fail "seed lao-cai"
python3 "$SEED" "$T/data" lao-cai --commune bat-xat --from 50 --to 50 --days 60 >/dev/null \
    || fail "seed bat-xat"
# An existing file is left alone.
python3 "$SEED" "$T/data" lao-cai --from 0 --to 1 --days 60 | grep -q 'left alone' \
    || fail "seed-history overwrote a file"

start_broker
example_collector

# The pacer reads the files once the first evaluation is published.
api() { curl -sf "$BASE/api/v1/provinces/lao-cai"; }
wait_for 30 bash -c "curl -sf $BASE/api/v1/provinces/lao-cai | grep -q '\"projected_date\":\"'" \
    || fail "no projected_date for lao-cai: $(api)"
api > "$T/lao-cai.json"
python3 - "$T/lao-cai.json" <<'PY' || fail "pace of lao-cai: $(cat "$T/lao-cai.json")"
import datetime, json, sys
p = json.load(open(sys.argv[1]))
today = datetime.datetime.now(datetime.timezone.utc).date()
proj = datetime.date.fromisoformat(p["projected_date"])
assert p["covered_pct"] == 0, p["covered_pct"]
assert p["on_track"] is False, p["on_track"]
assert 0.15 <= p["pace_pct_per_day"] <= 0.18, p["pace_pct_per_day"]
# 95 points at 1/6 a day: 570 days (a few either side: the collector's own
# 0 % points since it started weigh a little on the slope).
assert abs((proj - today).days - 570) <= 15, (proj - today).days
c = {x["id"]: x for x in p["communes"]}
assert c["bat-xat"]["on_track"] is False, c["bat-xat"]
assert c["bat-xat"]["projected_date"] is None, c["bat-xat"]
assert c["bat-xat"]["colour"] == "red", c["bat-xat"]
assert c["y-ty"]["on_track"] is None, c["y-ty"]
assert c["y-ty"]["projected_date"] is None, c["y-ty"]
print("lao-cai: %.3f a day, 95 %% on %s (%d days from today), on_track %s" %
      (p["pace_pct_per_day"], proj, (proj - today).days, p["on_track"]))
PY
pass "API: lao-cai behind, its projected date; bat-xat flat; y-ty unknown"

proj=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["projected_date"])' "$T/lao-cai.json")
curl -sf "$BASE/province/lao-cai" > "$T/en.html" || fail "province page"
grep -q "<b>Behind</b>: at this pace 95[.,]0&nbsp;% on $proj, [0-9]* days late; the deadline has passed (2026-06-30)." "$T/en.html" \
    || fail "no pace line on the province page: $(grep -o '<p class="pace[^<]*<b>[^<]*</b>[^<]*' "$T/en.html")"
vi_date=$(python3 -c 'import sys; y,m,d=sys.argv[1].split("-"); print(f"{d}/{m}/{y}")' "$proj")
curl -sf "$BASE/province/lao-cai?lang=vi" > "$T/vi.html" || fail "province page (vi)"
grep -q "<b>Chậm tiến độ</b>: với tốc độ này đạt 95[.,]0&nbsp;% vào $vi_date, trễ [0-9]* ngày; đã quá hạn (30/06/2026)." "$T/vi.html" \
    || fail "no VI pace line: $(grep -o '<p class="pace.*</p>' "$T/vi.html")"
grep -q "<b>Behind</b>: coverage has not risen in the last 30 days" <(curl -sf "$BASE/commune/bat-xat") \
    || fail "no flat pace line on bat-xat's page"
# No series, no line.
curl -sf "$BASE/commune/y-ty" > "$T/y-ty.html" || fail "/commune/y-ty"
if grep -q 'class="pace' "$T/y-ty.html"; then fail "a pace line for y-ty"; fi
pass "pages: the pace line in EN and VI"
stop_collector
