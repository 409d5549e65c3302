#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bad MQTT input never stops ingest: every rejection reason of DESIGN.md
# section 3 / docs/protocol.md gets payloads (empty, 8 KiB + 1, 1 MiB, deep
# nesting, invalid UTF-8, duplicate keys, 1e309, NaN, wrong types, v=2, bad
# ids in topic and payload, topic/payload agent mismatch, clock skew,
# province mismatch, planted symlinks), each followed by a good sample that
# is stored. Each reason's counter in /metrics is exactly right, the counters
# add up, no file appears outside data_dir/rrd/<province>/<agent>/, and
# symlinks planted in data_dir/rrd are not followed.
. "$(dirname "$0")/../lib.sh"
need mosquitto mosquitto_pub rrdtool curl python3

start_broker
HTTP_PORT=$(free_port)
write_collector_conf "$T/collector.conf" "$T/data" "$HTTP_PORT" \
    "[rrd]" "retention = RRA:AVERAGE:0.5:1:3600"
# Planted before the collector starts: a province and an agent directory
# that lead out of data_dir.
mkdir -p "$T/data/rrd/lao-cai" "$T/outside1" "$T/outside2"
ln -s "$T/outside1" "$T/data/rrd/evil"
ln -s "$T/outside2" "$T/data/rrd/lao-cai/lc-sym-01"
start_collector "$T/collector.conf" "$T/collector.log" -vv
wait_for 10 bash -c "curl -sf http://127.0.0.1:$HTTP_PORT/metrics | grep -q '^covmon_mqtt_connected 1'" \
    || fail "collector not up"

# The cases: NNN.topic, NNN.payload, NNN.reason (the counter it must bump,
# "-" for nothing: a topic the subscription does not match), expected.json.
mkdir "$T/cases"
python3 - "$T/cases" "$(date +%s)" <<'PY'
import json, os, sys
d, now = sys.argv[1], int(sys.argv[2])
P = "covmon/v1/lao-cai"
cases = []
def add(reason, payload, topic=P + "/lc-bad-01/sample"):
    cases.append((reason, topic, payload if isinstance(payload, bytes) else payload.encode()))
def s(**kw):
    o = {"v": 1, "agent": "lc-bad-01", "seq": 1, "ts": now - 100, "interval": 1, "m": {"icmp_loss_pct": 1}}
    o.update(kw)
    return json.dumps(o)
add("empty", b"")
add("empty", b"   \n")
big = s()[:-1] + ', "pad": "' + "x" * (8193 - len(s()) - 11) + '"}'
assert len(big) == 8193
add("oversize", big)
add("oversize", s()[:-1] + ', "pad": "' + "x" * (1 << 20) + '"}')
add("too_deep", s()[:-1] + ', "x": ' + "[" * 100 + "]" * 100 + "}")
add("too_deep", s(m={"icmp_loss_pct": {"a": {"b": 1}}}))
add("bad_utf8", s()[:-1].encode() + b', "x": "\xff\xfe"}')
add("bad_utf8", s()[:-1].encode() + b', "x": "\xc3\x28"}')
add("bad_utf8", s()[:-1].encode() + b', "x": "\xed\xa0\x80"}')   # a UTF-16 surrogate
add("duplicate_key", '{"v":1,"v":1,"agent":"lc-bad-01","seq":1,"ts":%d,"interval":1,"m":{}}' % (now - 100))
add("duplicate_key", s(m={})[:-3] + '{"icmp_loss_pct":1,"icmp_loss_pct":2}}')
add("non_finite", s()[:-2].replace('"icmp_loss_pct": 1', '"icmp_loss_pct": 1e309') + "}}")
add("non_finite", s()[:-2].replace('"icmp_loss_pct": 1', '"icmp_loss_pct": NaN') + "}}")
add("non_finite", s()[:-2].replace('"icmp_loss_pct": 1', '"icmp_loss_pct": -Infinity') + "}}")
add("bad_json", "not json")
add("bad_json", s() + " trailing")
add("bad_json", "{'v': 1}")
add("not_object", "[1, 2]")
add("not_object", '"a string"')
add("bad_version", s(v=2))
add("bad_version", s(v="1"))
add("bad_version", json.dumps({"agent": "lc-bad-01", "seq": 1}))
add("bad_type", s(agent=5))
add("bad_type", s(m=[1]))
add("bad_type", s(m={"icmp_loss_pct": "1"}))
add("bad_type", s(m={"icmp_loss_pct": True}))
add("missing_field", json.dumps({"v": 1, "agent": "lc-bad-01", "seq": 1, "interval": 1, "m": {}}))
add("missing_field", json.dumps({"v": 1, "agent": "lc-bad-01", "seq": 1, "ts": now, "interval": 1}))
add("bad_seq", s(seq="5"))
add("bad_seq", s(seq=-1))
add("bad_seq", s(seq=2 ** 64))
add("bad_ts", s(ts="x"))
add("bad_ts", s(ts=0))
add("bad_interval", s(interval=0))
add("bad_interval", s(interval=3601))
add("bad_prev", s(seq=5, prev=5))
add("bad_prev", s(prev="4"))
# Ids in the payload: refused before any path is built.
for bad in ["..", "../../etc", "a/b", "a%2fb", "+", "#", "UPPER", "x" * 65, "", ".hidden", "a\u0000b"]:
    add("bad_id", s(agent=bad))
# Ids in the topic (one level: the subscription matches, the parse refuses).
for agent in ["..", "a%2fb", "UPPER", "x" * 65, ".hidden", "-dash"]:
    add("bad_topic", s(agent="lc-bad-01"), P + "/" + agent + "/sample")
add("bad_topic", s(), "covmon/v1/Lao-Cai/lc-bad-01/sample")
add("bad_topic", s(), "covmon/v1/../lc-bad-01/sample")
# '/' in an id makes more topic levels: the subscription never matches.
add("-", s(agent="b"), P + "/a/b/sample")
add("-", s(), "covmon/v1/lao-cai/../../x/sample")
add("agent_mismatch", s(agent="lc-other-01"))
# Decodable, with a seq: refused in order, and acknowledged.
add("clock_skew", s(agent="lc-skew-01", ts=now + 600), P + "/lc-skew-01/sample")
add("province_mismatch", s(agent="lc-prov-01", seq=1, ts=now - 50), P + "/lc-prov-01/sample")
add("province_mismatch", s(agent="lc-prov-01", seq=2, ts=now - 49), "covmon/v1/thai-nguyen/lc-prov-01/sample")
add("stale", s(agent="lc-stale-01", seq=1, ts=now - 50), P + "/lc-stale-01/sample")
add("stale", s(agent="lc-stale-01", seq=2, ts=now - 60), P + "/lc-stale-01/sample")
add("store_error", s(agent="lc-evil-01"), "covmon/v1/evil/lc-evil-01/sample")
add("store_error", s(agent="lc-sym-01"), P + "/lc-sym-01/sample")
exp = {}
for i, (reason, topic, payload) in enumerate(cases):
    open("%s/%03d.topic" % (d, i), "w").write(topic)
    open("%s/%03d.payload" % (d, i), "wb").write(payload)
    open("%s/%03d.reason" % (d, i), "w").write(reason)
    exp[reason] = exp.get(reason, 0) + 1
# lc-prov-01 and lc-stale-01 seq 1 are good: stored (not rejections).
exp["province_mismatch"] -= 1
exp["stale"] -= 1
exp["stored_extra"] = 2
json.dump(exp, open(d + "/expected.json", "w"))
print("cases: %d payloads, %d reasons" % (len(cases), len([r for r in exp if r not in ("-", "stored_extra")])))
PY

BASE=$(( $(date +%s) - 300 ))
good=0
good() {
	good=$((good + 1))
	mosquitto_pub -p "$MQTT_PORT" -q 1 -t covmon/v1/lao-cai/lc-good-01/sample -m \
	    "{\"v\":1,\"agent\":\"lc-good-01\",\"seq\":$good,\"prev\":$((good - 1)),\"ts\":$((BASE + good)),\"interval\":1,\"m\":{\"icmp_loss_pct\":$good}}"
}
ncases=0
for f in "$T"/cases/*.topic; do
	c=${f%.topic}
	if [ ! -s "$c.payload" ]; then
		mosquitto_pub -p "$MQTT_PORT" -q 1 -t "$(cat "$f")" -n || fail "publish $(basename "$c")"
	else
		mosquitto_pub -p "$MQTT_PORT" -q 1 -t "$(cat "$f")" -f "$c.payload" || fail "publish $(basename "$c")"
	fi
	good
	ncases=$((ncases + 1))
done
# '+' and '#' cannot be in a topic one publishes to: the client (and the
# broker) refuse them, so they can only reach the collector in a payload.
for t in 'covmon/v1/lao-cai/a+b/sample' 'covmon/v1/lao-cai/#/sample'; do
	! mosquitto_pub -p "$MQTT_PORT" -q 1 -t "$t" -m '{}' 2>/dev/null || fail "published to '$t'"
done
pass "$ncases cases published (bad payloads and topics, and the good samples that refusals need), each followed by a good sample ($good)"

wait_for 20 bash -c "[ \$(curl -sf http://127.0.0.1:$HTTP_PORT/metrics | awk '\$1==\"covmon_samples_stored_total\"{print \$2}') -ge $((good + 2)) ]" \
    || fail "good samples not all stored: $(metric covmon_samples_stored_total) of $((good + 2))"
ledger identity "http://127.0.0.1:$HTTP_PORT/metrics" || fail "counters do not add up"
kill -0 "$COLLECTOR_PID" || fail "collector died"
curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" > "$T/metrics.txt"
python3 - "$T/metrics.txt" "$T/cases/expected.json" "$good" <<'PY' || fail "rejection counters"
import json, re, sys
m = {}
for line in open(sys.argv[1]):
    r = re.match(r'covmon_samples_rejected_total\{reason="([a-z0-9_]+)"\} (\d+)', line)
    if r:
        m[r.group(1)] = int(r.group(2))
    elif line.startswith(("covmon_samples_received_total ", "covmon_samples_stored_total ")):
        m[line.split()[0]] = int(line.split()[1])
exp = json.load(open(sys.argv[2]))
good = int(sys.argv[3])
bad = []
for reason, n in sorted(m.items()):
    if reason.startswith("covmon_"):
        continue
    want = exp.get(reason, 0)
    print("  %-18s %3d %s" % (reason, n, "ok" if n == want else "EXPECTED %d" % want))
    if n != want:
        bad.append(reason)
missing = [r for r in exp if r not in m and r not in ("-", "stored_extra")]
if missing:
    bad.append("no counter for " + ",".join(missing))
received = sum(v for k, v in exp.items() if k not in ("-",)) + good
if m["covmon_samples_received_total"] != received:
    bad.append("received %d, expected %d" % (m["covmon_samples_received_total"], received))
if m["covmon_samples_stored_total"] != good + exp["stored_extra"]:
    bad.append("stored %d, expected %d" % (m["covmon_samples_stored_total"], good + exp["stored_extra"]))
print("received %d stored %d" % (m["covmon_samples_received_total"], m["covmon_samples_stored_total"]))
if bad:
    print("wrong: " + ", ".join(bad), file=sys.stderr)
sys.exit(1 if bad else 0)
PY
pass "each reason counted exactly; every good sample stored"

# Nothing outside data_dir/rrd/<province>/<agent>/: only the agents whose
# samples were good have a directory; the planted links lead nowhere.
find "$T/data" | sed "s|^$T/data||" | sort > "$T/files.txt"
grep -v -E '^(|/state\.db(-wal|-shm)?|/rrd|/rrd/\.undo|/rrd/lao-cai|/rrd/evil|/rrd/lao-cai/lc-sym-01|/rrd/lao-cai/(lc-good-01|lc-prov-01|lc-stale-01)(/icmp\.rrd)?)$' "$T/files.txt" \
    && fail "unexpected files in data_dir"
[ -z "$(find "$T/outside1" "$T/outside2" -mindepth 1)" ] \
    || fail "a planted symlink was followed: $(find "$T/outside1" "$T/outside2" -mindepth 1)"
[ -L "$T/data/rrd/evil" ] && [ -L "$T/data/rrd/lao-cai/lc-sym-01" ] || fail "a planted symlink was replaced"
[ -z "$(find "$T" -path "$T/cases" -prune -o \( -name '*..*' -o -name 'x' -o -name 'etc' -o -name 'UPPER' \) -print)" ] \
    || fail "a file named from a bad id: $(find "$T" -name '*..*' -o -name UPPER)"
grep -q "is a symlink: refused" "$T/collector.log" || fail "symlink refusal not logged"
pass "no file outside data_dir/rrd/<province>/<agent>/; planted symlinks not followed"

stop_collector
no_crash "$T/collector.log"
rrdtool fetch "$T/data/rrd/lao-cai/lc-good-01/icmp.rrd" AVERAGE -r 1 -s $BASE -e $((BASE + good)) > "$T/fetch.txt"
rows=$(python3 - "$T/fetch.txt" "$BASE" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
col = lines[0].split().index("icmp_loss_pct")
base = int(sys.argv[2])
print(sum(1 for l in lines[1:] if ":" in l and
          float(l.split(":")[1].split()[col]) == int(l.split(":")[0]) - base))
PY
)
[ "$rows" -eq "$good" ] || fail "icmp.rrd holds $rows of the $good good samples"
pass "rrdtool fetch: $rows rows, each good sample's value at its time"
