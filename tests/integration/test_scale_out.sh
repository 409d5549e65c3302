#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Scale-out shown for real on one machine (DESIGN.md section 10): a province
# broker, where the agents connect, bridged to a national broker; two
# collectors there, each owning one province ([collector] provinces =),
# sharing one rrdcached; a third collector as the national view
# ([collector] national = yes) reading the retained province summaries.
# The fleet publishes both provinces' agents into the province broker and
# waits for the acks that come back over the bridge. Nothing lost: every
# (agent, seq) stored once, by its province's collector, in the RRD files;
# nothing counted twice: the national view's figures are each province
# collector's own, and its total is the inventory.
. "$(dirname "$0")/../lib.sh"
need mosquitto mosquitto_sub rrdtool rrdcached curl python3

COUNT=10
INV=$COVMON_SRC/tests/data/inventory.csv
TGT=$COVMON_SRC/tests/data/targets.csv

# Each province collector has its own province's inventory and targets
# rows (deploy/bridge/README.md: a row of another province would be
# published as that province's summary too; a target of a province or
# commune not in the inventory is refused).
HAMLETS=$(python3 - "$INV" "$TGT" "$T" <<'PY'
import csv, sys
inv, tgt, out = sys.argv[1:]
with open(inv, newline="") as f:
    rows = list(csv.reader(f))
with open(tgt, newline="") as f:
    targets = list(csv.reader(f))
for p in ("lao-cai", "thai-nguyen"):
    mine = [r for r in rows[1:] if r[5] == p]
    communes = {r[3] for r in mine}
    with open("%s/inventory-%s.csv" % (out, p), "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows[:1] + mine)
    with open("%s/targets-%s.csv" % (out, p), "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(targets[:1] + [t for t in targets[1:]
            if (t[0] == "province" and t[1] == p) or (t[0] == "commune" and t[1] in communes)])
print(len(rows) - 1)
PY
)

# The national broker (lib.sh: MQTT_PORT, the collectors' broker).
start_broker
# The province broker: agents here; samples and states go out over the
# bridge, acks and summaries come back in (as deploy/bridge/province-*.conf,
# without TLS: test_deploy_bridge.sh runs those files for real).
PROV_PORT=$(free_port)
mkdir -p "$T/province"
[ "$(id -u)" -eq 0 ] && id mosquitto >/dev/null 2>&1 && chown mosquitto "$T/province"
cat > "$T/province.conf" <<CONF
listener $PROV_PORT 127.0.0.1
allow_anonymous true
persistence true
persistence_location $T/province/
autosave_interval 1
max_queued_messages 100000
connection national
address 127.0.0.1:$MQTT_PORT
bridge_protocol_version mqttv311
remote_clientid bridge-province-$$
cleansession false
try_private true
notifications false
keepalive_interval 10
restart_timeout 1 5
topic covmon/v1/+/+/sample out 1
topic covmon/v1/+/+/state out 1
topic covmon/v1/+/+/ack in 1
topic covmon/v1/+/summary in 1
CONF
mosquitto -c "$T/province.conf" > "$T/province-mosquitto.log" 2>&1 &
PIDS+=("$!")
wait_for 10 bash -c "echo > /dev/tcp/127.0.0.1/$PROV_PORT" || fail "province broker did not start"
wait_for 15 grep -q "as bridge-province-$$" "$T/mosquitto.log" || fail "the bridge did not connect"
pass "province broker bridged to the national broker"

# One rrdcached for both collectors, each with its own data_dir under it.
start_rrdcached "$T/data"

# collector NAME HTTP_PORT [extra [collector] lines]
collector() {
	local name=$1 port=$2; shift 2
	write_collector_conf "$T/$name.conf" "$T/data/$name" "$port" "[collector]" "$@"
	sed -i "s/^client_id = .*/client_id = covmon-$name-$$/" "$T/$name.conf"
	start_collector "$T/$name.conf" "$T/$name.log" -vv
	eval "${name^^}_PID=$COLLECTOR_PID"
	wait_for 20 bash -c "curl -sf http://127.0.0.1:$port/metrics | grep -q '^covmon_mqtt_connected 1'" \
	    || fail "$name: collector not connected"
}
RRD_KEYS=("[rrd]" "rrdcached = unix:$RRDCACHED_SOCK" "wal_flush_interval = 1h"
	"retention = RRA:AVERAGE:0.5:1:3600 RRA:MAX:0.5:60:48"
	"[coverage]" "offline_after = 10m")
NORTH=$(free_port); SOUTH=$(free_port); NATIONAL=$(free_port)
collector north "$NORTH" "provinces = lao-cai" "inventory = $T/inventory-lao-cai.csv" \
	"targets = $T/targets-lao-cai.csv" "eval_interval = 2" "${RRD_KEYS[@]}"
collector south "$SOUTH" "provinces = thai-nguyen" "inventory = $T/inventory-thai-nguyen.csv" \
	"targets = $T/targets-thai-nguyen.csv" "eval_interval = 2" "${RRD_KEYS[@]}"
collector national "$NATIONAL" "national = yes" "provinces = *" "eval_interval = 2"
# --check-config opens the [mqtt] files: the CA and the password as
# enroll-agent leaves them, in $T instead of /etc/covmon.
mkdir -p "$T/etc-covmon"; : > "$T/etc-covmon/ca.pem"; echo pw > "$T/etc-covmon/collector.secret"
sed "s|/etc/covmon/|$T/etc-covmon/|" "$COVMON_SRC/deploy/bridge/collector-national.conf" \
	> "$T/collector-national.conf"
"$COVMON_BUILD/covmon-collector" -c "$T/collector-national.conf" --check-config \
	| grep -q '^national = yes' || fail "deploy/bridge/collector-national.conf does not parse"
grep -q "national view of the provinces' summaries" "$T/national.log" || fail "national: not in national mode"
pass "collectors up: north (lao-cai), south (thai-nguyen), both through one rrdcached; national view"

# Both provinces' agents, one sample a second each, into the province
# broker; every sample kept until its collector's ack comes back. Midway
# the south collector is killed (-9) and started again: its broker session
# keeps its samples, its agents resend what it had not acked, and north
# goes on untouched.
t0=$SECONDS
timeout 120 "$COVMON_BUILD/tests/fleetsim/covmon-fleetsim" -p "$PROV_PORT" -i "$INV" -n $COUNT \
	--interval 1 --ack --ack-timeout 5 --ack-wait 60 --ledger "$T/fleet.csv" \
	> "$T/fleetsim.log" 2>&1 &
FLEET_PID=$!
PIDS+=("$FLEET_PID")
wait_for 20 grep -q "stored .* seq 3 " "$T/south.log" || fail "south stored nothing"
COLLECTOR_PID=$SOUTH_PID stop_collector KILL
COLLECTOR_PID=
start_collector "$T/south.conf" "$T/south.log" -vv
SOUTH_PID=$COLLECTOR_PID
wait $FLEET_PID || { cat "$T/fleetsim.log"; fail "fleetsim failed"; }
grep '^fleetsim:' "$T/fleetsim.log"
AGENTS=$(($(wc -l < "$T/fleet.csv") - 1))
MADE=$((AGENTS * COUNT))
grep -q "acked=$MADE " "$T/fleetsim.log" || fail "not every sample acked"
pass "$AGENTS agents x $COUNT samples through the bridge, south killed and restarted midway, all acked, in $((SECONDS - t0)) s"

# Each collector: its own province's samples, each once, none of the
# other's. The ledger (every stored line of every run) is the proof; the
# counters add up within each run, and north's run saw every sample.
for name in north south; do
	port=$([ "$name" = north ] && echo "$NORTH" || echo "$SOUTH")
	p=$([ "$name" = north ] && echo lao-cai || echo thai-nguyen)
	awk -F, -v p="$p" 'NR == 1 || $2 == p' "$T/fleet.csv" > "$T/fleet-$p.csv"
	own=$(($(wc -l < "$T/fleet-$p.csv") - 1))
	ledger identity "http://127.0.0.1:$port/metrics" || fail "$name: counters do not add up"
	stored=$(metric covmon_samples_stored_total "$port")
	if [ $name = north ]; then
		[ "$stored" -eq $((own * COUNT)) ] || fail "$name: stored $stored, its $own agents made $((own * COUNT))"
	fi
	for m in 'covmon_samples_rejected_total{reason="province_mismatch"}' \
	    covmon_unknown_agent_samples_total; do
		[ "$(metric "$m" "$port")" -eq 0 ] || fail "$name: $m = $(metric "$m" "$port")"
	done
	# An agent of the other province in its ledger: "stored but not made".
	ledger check --fleet "$T/fleet-$p.csv" "$T/$name.log" || fail "$name: ledger check"
	pass "$name ($p, $own agents): this run stored $stored, duplicates $(metric covmon_samples_duplicate_total "$port"); each (agent, seq) once over its runs, none of the other province"
done

# The national view: both provinces, each with the figures its own
# collector serves (compared once they stop moving), the total the inventory.
cat > "$T/compare.py" <<'PY'
import json, sys, time, urllib.request
nat, north, south, hamlets = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
get = lambda port, path: json.load(urllib.request.urlopen("http://127.0.0.1:%s%s" % (port, path), timeout=5))
KEYS = ("name", "covered_pct", "target_pct", "deadline", "colour", "counts", "overdue")
def figures(p):
    return {k: p.get(k) for k in KEYS} | {"communes": [{k: c.get(k) for k in ("id",) + KEYS} for c in p["communes"]]}
end, last = time.time() + 30, None
while True:
    try:
        view = {p["id"]: p for p in get(nat, "/api/v1/provinces")["provinces"]}
        own = {"lao-cai": get(north, "/api/v1/provinces/lao-cai"),
               "thai-nguyen": get(south, "/api/v1/provinces/thai-nguyen")}
        diff = [i for i in own if i not in view or figures(view[i]) != figures(own[i])]
        if sorted(view) == sorted(own) and not diff:
            break
        last = "provinces %s, differing %s" % (sorted(view), diff)
    except Exception as e:
        last = repr(e)
    if time.time() > end:
        sys.exit("national view never matched the province collectors: %s" % last)
    time.sleep(0.5)
total = sum(p["counts"]["total"] for p in view.values())
stale = [i for i, p in view.items() if p["stale"]]
if total != hamlets or stale:
    sys.exit("national total %d hamlets (inventory %d), stale %s" % (total, hamlets, stale))
for i in sorted(view):
    c = view[i]["counts"]
    print("%s: covered %s %% (%d covered, %d degraded, %d down, %d unreachable, %d unmonitored of %d), "
          "%d communes, age %d s" % (i, view[i]["covered_pct"], c["covered"], c["degraded"], c["down"],
          c["unreachable"], c["unmonitored"], c["total"], len(view[i]["communes"]), view[i]["age_s"]))
PY
python3 "$T/compare.py" "$NATIONAL" "$NORTH" "$SOUTH" "$HAMLETS" || fail "national view"
pass "national /api/v1/provinces: lao-cai and thai-nguyen with their collectors' own figures, $HAMLETS hamlets in all (each counted once)"

curl -sf "http://127.0.0.1:$NATIONAL/" > "$T/overview.html" || fail "national: overview page"
for s in "National coverage overview" "Lào Cai" "Thái Nguyên" "All provinces" "<td class=\"num\" data-label=\"Total\">$HAMLETS</td>"; do
	grep -qF "$s" "$T/overview.html" || fail "national overview lacks '$s'"
done
grep -q "out of date" "$T/overview.html" && fail "national overview: a fresh province shown out of date"
pass "national overview page shows both provinces and the total of $HAMLETS hamlets"
# covmon status works against it as against a province collector.
"$COVMON_BUILD/covmon" --url "http://127.0.0.1:$NATIONAL" status > "$T/status.out" ||
	fail "covmon status on the national view"
grep -q "Lào Cai" "$T/status.out" && grep -q "Thái Nguyên" "$T/status.out" ||
	fail "covmon status lacks a province: $(cat "$T/status.out")"
"$COVMON_BUILD/covmon" --url "http://127.0.0.1:$NATIONAL" status --province lao-cai |
	grep -q "Lào Cai (lao-cai)" || fail "covmon status --province on the national view"
pass "covmon status against the national view lists both provinces"

# It stores nothing, refused nothing; the summaries also came back over
# the bridge to the province broker (retained there too).
[ "$(metric covmon_samples_received_total "$NATIONAL")" -eq 0 ] || fail "national received samples"
[ "$(find "$T/data/national" -name '*.rrd' | wc -l)" -eq 0 ] || fail "national wrote RRD files"
rej=$(curl -sf "http://127.0.0.1:$NATIONAL/metrics" | awk '/^covmon_national_summaries_rejected_total/ { n += $2 } END { print n + 0 }')
[ "$rej" -eq 0 ] || fail "national refused $rej summaries"
[ "$(metric covmon_national_provinces "$NATIONAL")" -eq 2 ] || fail "national: not 2 provinces"
timeout 10 mosquitto_sub -h 127.0.0.1 -p "$PROV_PORT" -t 'covmon/v1/+/summary' -C 2 -W 8 -v \
	> "$T/province-summaries.out" 2>/dev/null || true
[ "$(cut -d' ' -f1 "$T/province-summaries.out" | sort -u | wc -l)" -eq 2 ] \
	|| fail "the province broker has not both retained summaries"
pass "national: $(metric covmon_national_summaries_accepted_total "$NATIONAL") summaries accepted, none refused, no sample, no RRD file; both retained on the province broker too"

# A province collector stops: the national view keeps its last summary,
# marked stale after 3 evaluation intervals (6 s), the other stays fresh.
COLLECTOR_PID=$SOUTH_PID stop_collector
wait_for 20 bash -c "curl -sf http://127.0.0.1:$NATIONAL/api/v1/provinces/thai-nguyen | grep -q '\"stale\":true'" \
	|| fail "national: thai-nguyen not marked stale after its collector stopped"
grep -q '"stale":false' <(curl -sf "http://127.0.0.1:$NATIONAL/api/v1/provinces/lao-cai") \
	|| fail "national: lao-cai stale while its collector runs"
grep -q "out of date" <(curl -sf "http://127.0.0.1:$NATIONAL/") || fail "national overview: no stale mark"
[ "$(metric covmon_national_provinces_stale "$NATIONAL")" -eq 1 ] || fail "national: stale gauge"
pass "south stopped: its last summary kept and shown out of date, lao-cai fresh"

# The files, through the one rrdcached: each collector flushed what it
# wrote when it stopped; every stored sample has its row.
# shellcheck disable=SC2153 # NORTH_PID is set by the eval in collector()
COLLECTOR_PID=$NORTH_PID stop_collector
COLLECTOR_PID=$NATIONAL_PID stop_collector
ledger rrd --interval 1 --data "$T/data/north" "$T/north.log" || fail "north: RRD rows"
ledger rrd --interval 1 --data "$T/data/south" "$T/south.log" || fail "south: RRD rows"
[ -z "$(find "$T/data/north/rrd" -path '*/thai-nguyen/*' -name '*.rrd')" ] || fail "north has thai-nguyen files"
[ -z "$(find "$T/data/south/rrd" -path '*/lao-cai/*' -name '*.rrd')" ] || fail "south has lao-cai files"
pass "RRD files through the shared rrdcached: every stored sample in its collector's files, none in the other's"
no_crash "$T/north.log" "$T/south.log" "$T/national.log"
kill -0 "$RRDCACHED_PID" || fail "rrdcached died"
pass "scale-out: nothing lost, nothing counted twice ($MADE samples, $HAMLETS hamlets, in $SECONDS s)"
