#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# covmon in Prometheus (DESIGN.md section 8, issue 20): /metrics passes
# `promtool check metrics` (HELP and TYPE on every metric); deploy/prometheus's
# config and rules pass promtool's checks and its rule tests; then a real
# Prometheus (Debian's) scrapes a collector fed by fleetsim with a backhaul
# cut, and every query of deploy/grafana/covmon.json answers with data,
# its coverage figures equal to the collector's own API.
. "$(dirname "$0")/../lib.sh"
need mosquitto curl python3 promtool prometheus rrdtool

PROMDIR=$COVMON_SRC/deploy/prometheus
out=$(cd "$PROMDIR" && promtool check config prometheus.yml 2>&1) || fail "promtool check config: $out"
out=$(cd "$PROMDIR" && promtool test rules covmon-rules.test.yml 2>&1) || fail "promtool test rules: $out"
pass "deploy/prometheus: config and rules valid, rule tests pass"

# A past series for Lào Cai: its pace is known (covmon_on_track).
python3 "$COVMON_SRC/deploy/demo/seed-history.py" "$T/data" lao-cai --from 30 --to 45 \
    --days 40 >/dev/null || fail "seed-history"

start_broker
example_collector "[coverage]" "window = 20" "offline_after = 8" "[alerts]" "for = 2" \
    "clear_for = 2" "[rrd]" "retention = RRA:AVERAGE:0.5:1:600"

# The fleet at a 2 s interval, Mường Khương cut after 6 s and for good.
timeout 600 "$COVMON_BUILD/tests/fleetsim/covmon-fleetsim" -p "$MQTT_PORT" \
    -i "$COVMON_SRC/tests/data/inventory.csv" --interval 2 -d 300 \
    -s cut:muong-khuong --cut-after 6 > "$T/fleetsim.log" 2>&1 &
FLEET_PID=$!
PIDS+=("$FLEET_PID")
wait_storing 20 bash -c "curl -sf '$BASE/api/v1/hamlets?state=down' | grep -q '\"state\":\"down\"'" \
    || fail "no hamlet went down after the cut"

curl -sf "$BASE/metrics" > "$T/metrics.txt" || fail "/metrics"
out=$(promtool check metrics < "$T/metrics.txt" 2>&1) || fail "promtool check metrics: $out"
[ -z "$out" ] || fail "promtool check metrics: $out"
for m in covmon_covered_ratio covmon_target_ratio covmon_hamlets covmon_alerts_firing covmon_on_track; do
	grep -q "^$m{" "$T/metrics.txt" || fail "/metrics has no $m"
done
pass "promtool check metrics: clean ($(grep -c '^# HELP' "$T/metrics.txt") metrics, $(grep -vc '^#' "$T/metrics.txt") series)"

# Prometheus scraping the collector every second.
PROM_PORT=$(free_port)
cat > "$T/prometheus.yml" <<CONF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $PROMDIR/covmon-rules.yml
scrape_configs:
  - job_name: covmon
    static_configs:
      - targets: ["127.0.0.1:$HTTP_PORT"]
CONF
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/prom" \
    --web.listen-address="127.0.0.1:$PROM_PORT" > "$T/prometheus.log" 2>&1 &
PIDS+=($!)
PROM="http://127.0.0.1:$PROM_PORT"
query() { curl -sf --get "$PROM/api/v1/query" --data-urlencode "query=$1"; }
wait_for 60 bash -c "curl -sf --get '$PROM/api/v1/query' --data-urlencode 'query=up{job=\"covmon\"} == 1' | grep -q '\"value\"'" \
    || fail "Prometheus did not scrape the collector: $(tail -5 "$T/prometheus.log")"

# Prometheus has the collector's figure when the API's Lao Cai coverage is
# one of the values Prometheus scraped in the last 10 s. (Not the latest
# one: on a loaded machine a hamlet near offline_after flaps, the figure
# moves every second, and the API and the last scrape never meet; a wrong
# scale or label still never matches.)
settled() {
	local api prom
	api=$(curl -sf "$BASE/api/v1/provinces/lao-cai" | python3 -c 'import json,sys; print(json.load(sys.stdin)["covered_pct"])') || return 1
	prom=$(query 'covmon_covered_ratio{scope="province",id="lao-cai"}[10s]' |
	    python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(" ".join(str(round(float(v[1])*100, 2)) for v in r[0]["values"]))') || return 1
	# (0 % is the figure before the fleet's first window: not settled)
	python3 -c 'import sys; a = float(sys.argv[1]); sys.exit(not (a > 0 and a in map(float, sys.argv[2].split())))' \
	    "$api" "$prom" && echo "$api" > "$T/settled"
}
wait_storing 20 settled || fail "Prometheus's covered ratio of lao-cai never matched the API's"
pass "Prometheus: lao-cai $(cat "$T/settled") % covered, as /api/v1/provinces/lao-cai said"

# Every query of the Grafana dashboard, with its variables as Grafana
# would fill them for "All", answers with data.
python3 - "$COVMON_SRC/deploy/grafana/covmon.json" > "$T/exprs" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["templating"]["list"], "no variables"
for p in d["panels"]:
    for t in p["targets"]:
        e = t["expr"].replace("$province", ".*").replace("$__rate_interval", "1m")
        print(e)
PY
# A rate() needs two scrapes of its counter in its range: the first query
# may come one scrape after the figures above settled.
has_data() {
	query "$1" | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["status"]=="success" and r["data"]["result"], r'
}
n=0
while IFS= read -r e; do
	wait_for 15 has_data "$e" || fail "no data for the dashboard's query: $e: $(query "$e")"
	n=$((n + 1))
done < "$T/exprs"
[ "$n" -ge 8 ] || fail "only $n queries in deploy/grafana/covmon.json"
# The dashboard's province variable lists both provinces.
grep -q '"thai-nguyen"' <(curl -sf "$PROM/api/v1/label/province/values") || fail "no province label values"
pass "deploy/grafana/covmon.json: $n queries answered by Prometheus"

# A rule is loaded and evaluated over the live series: the firing hamlet
# outages of Mường Khương show in covmon_alerts_firing.
firing() { query 'covmon_alerts_firing{kind="hamlet_down"} > 0' | grep -q '"value"'; }
wait_storing 20 firing || fail "covmon_alerts_firing shows no hamlet_down while Mường Khương is cut: $(curl -sf "$BASE/metrics" | grep alerts_firing)"
grep -q '"name":"CovmonHamletsDown"' <(curl -sf "$PROM/api/v1/rules") || fail "the rules are not loaded"
pass "rules loaded; hamlet_down firing seen by Prometheus"
kill "$FLEET_PID" 2>/dev/null || true
stop_collector
