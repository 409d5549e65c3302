#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The technician's check (`covmon-agent --once`) against devices as snmpsim
# serves them from tests/data/snmpsim/, with the settings docs/snmp.md gives:
#   - a MikroTik RouterOS recording: mtxrHlVoltage in tenths of a volt with
#     volts_scale = 0.1 gives the recording's value x 0.1 (154 -> 15.4 V),
#     and the access point's noise floor and CCQ at the documented OIDs;
#   - a Morningstar TriStar MPPT charge controller (written from its MIB):
#     batteryVoltage x 0.0054931640625;
#   - the same MikroTik recording made live (snmpsim's numeric variation:
#     sysUpTime counts, the WAN's ifHC counters grow at known rates): --once
#     polls at its start and end, and its rates are those rates.
# Every expected figure is read from the recording, not written here.
. "$(dirname "$0")/../lib.sh"
need snmpget python3 mosquitto
SNMPSIMD=$(command -v snmpsimd || command -v snmpsimd.py) \
    || skip "snmpsim is not installed (apt-get install snmpsim)"

DATA=$COVMON_SRC/tests/data/snmpsim
VOLTS_OID=1.3.6.1.4.1.14988.1.1.3.8.0		# mtxrHlVoltage
NOISE_OID=1.3.6.1.4.1.14988.1.1.1.3.1.9.2	# mtxrWlApNoiseFloor.2 (wlan2)
CCQ_OID=1.3.6.1.4.1.14988.1.1.1.3.1.10.2	# mtxrWlApOverallTxCCQ.2
TS_VOLTS_OID=1.3.6.1.4.1.33333.2.36.0		# TriStar MPPT batteryVoltage
TS_SCALE=0.0054931640625			# its scaling factor (180 / 32768)
WAN=3						# ifIndex of "WAN" in the recording
IN_RATE=125000 OUT_RATE=25000			# octets/s of the live variant

# recorded COMMUNITY OID: a value as the .snmprec holds it.
recorded() {
	awk -F'|' -v oid="$2" '!/^#/ && $1 == oid { print $3; f = 1 } END { exit !f }' \
	    "$T/sim-data/$1.snmprec" || fail "$2 is not in $1.snmprec"
}

# ---- snmpsim on a loopback port, serving a copy of the recordings.
mkdir -p "$T/sim-data" "$T/sim-cache"
cp "$DATA"/*.snmprec "$T/sim-data/"
# The live variant: what snmprec's numeric module would record of a device
# whose WAN moves IN_RATE and OUT_RATE octets a second.
awk -F'|' -v OFS='|' -v wan="$WAN" -v in_rate="$IN_RATE" -v out_rate="$OUT_RATE" '
	/^#/ { print; next }
	$1 == "1.3.6.1.2.1.1.3.0" { $2 = "67:numeric"; $3 = "initial=" $3 ",rate=100" }
	$1 == "1.3.6.1.2.1.2.2.1.10." wan || $1 == "1.3.6.1.2.1.31.1.1.1.6." wan {
		$2 = $2 ":numeric"; $3 = "initial=" $3 ",rate=" in_rate }
	$1 == "1.3.6.1.2.1.2.2.1.16." wan || $1 == "1.3.6.1.2.1.31.1.1.1.10." wan {
		$2 = $2 ":numeric"; $3 = "initial=" $3 ",rate=" out_rate }
	{ print }' "$T/sim-data/mikrotik-routeros.snmprec" > "$T/sim-data/mikrotik-routeros-live.snmprec"
[ "$(grep -c ':numeric|' "$T/sim-data/mikrotik-routeros-live.snmprec")" -eq 5 ] \
    || fail "the live variant does not vary sysUpTime and the four WAN counters"

SIM_PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sim_args=(--data-dir="$T/sim-data" --cache-dir="$T/sim-cache"
    --agent-udpv4-endpoint="127.0.0.1:$SIM_PORT" --logging-method=stderr)
# snmpsimd will not run as root: it drops to nobody, who must read the
# data and write the index cache.
if [ "$(id -u)" -eq 0 ]; then
	chmod 755 "$T"
	chmod -R a+rX "$T/sim-data"
	chown nobody "$T/sim-cache"
	sim_args+=(--process-user=nobody --process-group="$(id -gn nobody)")
fi
"$SNMPSIMD" "${sim_args[@]}" > "$T/snmpsimd.log" 2>&1 &
SIM_PID=$!
PIDS+=("$SIM_PID")
sim_up() {
	kill -0 "$SIM_PID" 2>/dev/null || fail "snmpsimd exited (log above)"
	local c oid
	for c in mikrotik-routeros:1.3.6.1.2.1.1.3.0 mikrotik-routeros-live:1.3.6.1.2.1.1.3.0 \
	    "morningstar-tristar-mppt:$TS_VOLTS_OID"; do
		oid=${c#*:}
		snmpget -v2c -c "${c%%:*}" -t 0.5 -r 0 -On "127.0.0.1:$SIM_PORT" "$oid" 2>/dev/null \
		    | grep -q "^\.$oid = " || return 1
	done
}
# It indexes the recordings before it answers; a slow machine takes longer.
wait_for 60 sim_up || fail "snmpsimd did not answer on udp $SIM_PORT"
start_broker

# agent_conf_snmp NAME COMMUNITY [probe.snmp lines...]
agent_conf_snmp() {
	local name=$1 community=$2; shift 2
	{
		printf '[agent]\nid = test-%s\nprovince = lao-cai\nspool_dir = %s\n\n' "$name" "$T/spool"
		printf '[mqtt]\nhost = 127.0.0.1\nport = %s\n\n' "$MQTT_PORT"
		printf '[probe.snmp]\nhost = 127.0.0.1\nport = %s\ncommunity = %s\n' "$SIM_PORT" "$community"
		printf 'timeout_ms = 1000\n'
		printf '%s\n' "$@"
	} > "$T/$name.conf"
}

# once NAME INTERVAL: --once --json into NAME.json, then the report into
# NAME.txt; both must exit 0 (the report: every verdict ok).
once() {
	local rc=0
	"$COVMON_BUILD/covmon-agent" -c "$T/$1.conf" --once --interval "$2" --json \
	    > "$T/$1.json" 2> "$T/$1-json.log" || fail "$1: --once --json exited $?"
	"$COVMON_BUILD/covmon-agent" -c "$T/$1.conf" --once --interval "$2" \
	    > "$T/$1.txt" 2> "$T/$1-report.log" || rc=$?
	echo "--- $1: covmon-agent --once --interval $2 --json"
	cat "$T/$1.json"
	echo "--- $1: covmon-agent --once --interval $2 (exit $rc)"
	cat "$T/$1.txt"
	[ "$rc" -eq 0 ] || fail "$1: --once exited $rc (a verdict is not ok)"
}

# json_metric NAME METRIC: its value in NAME.json's sample, "null" when missing.
json_metric() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["m"].get(sys.argv[2], "null"))' \
	    "$T/$1.json" "$2"
}

# metric_is NAME METRIC VALUE: the sample's value equals VALUE, as numbers.
metric_is() {
	python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["m"].get(sys.argv[2]) != float(sys.argv[3]))' \
	    "$T/$1.json" "$2" "$3" || fail "$1: $2 is $(json_metric "$1" "$2"), want $3"
}

# equal_scaled FILE.json METRIC RAW SCALE: the metric is RAW x SCALE, the
# decimal product as the nearest double (what the sample's JSON carries).
equal_scaled() {
	python3 - "$T/$1.json" "$2" "$3" "$4" <<'PY'
import json, sys
from decimal import Decimal
path, metric, raw, scale = sys.argv[1:]
got = json.load(open(path))["m"].get(metric)
want = float(Decimal(raw) * Decimal(scale))
print(f"{metric}: {got!r}, recording {raw} x {scale} = {want!r}")
sys.exit(0 if got == want else 1)
PY
}

# ---- MikroTik: supply volts in tenths.
raw=$(recorded mikrotik-routeros "$VOLTS_OID")
agent_conf_snmp mikrotik mikrotik-routeros "if_index = $WAN" "noise_oid = $NOISE_OID" \
    "ccq_oid = $CCQ_OID" "volts_oid = $VOLTS_OID" "volts_scale = 0.1"
once mikrotik 1
equal_scaled mikrotik supply_volts "$raw" 0.1 || fail "MikroTik supply_volts is not $raw x 0.1"
want=$(python3 -c 'import sys; from decimal import Decimal; print("%.1f" % (Decimal(sys.argv[1]) * Decimal("0.1")))' "$raw")
grep -qx "power supply $want V" "$T/mikrotik.txt" || fail "the report has no 'power supply $want V'"
noise=$(recorded mikrotik-routeros "$NOISE_OID")
ccq=$(recorded mikrotik-routeros "$CCQ_OID")
metric_is mikrotik radio_noise_dbm "$noise"
metric_is mikrotik radio_ccq_pct "$ccq"
metric_is mikrotik if_oper_up 1
grep -Eq "^snmp 127\.0\.0\.1:$SIM_PORT v2c +ok " "$T/mikrotik.txt" || fail "MikroTik: snmp not ok"
pass "MikroTik mtxrHlVoltage $raw x volts_scale 0.1: supply_volts $(json_metric mikrotik supply_volts), report 'power supply $want V'"

# ---- Morningstar TriStar MPPT: raw Modbus units.
raw=$(recorded morningstar-tristar-mppt "$TS_VOLTS_OID")
agent_conf_snmp tristar morningstar-tristar-mppt "volts_oid = $TS_VOLTS_OID" \
    "volts_scale = $TS_SCALE"
once tristar 1
equal_scaled tristar supply_volts "$raw" "$TS_SCALE" \
    || fail "TriStar supply_volts is not $raw x $TS_SCALE"
want=$(python3 -c 'import sys; from decimal import Decimal; print("%.1f" % (Decimal(sys.argv[1]) * Decimal(sys.argv[2])))' "$raw" "$TS_SCALE")
grep -qx "power supply $want V" "$T/tristar.txt" || fail "the report has no 'power supply $want V'"
pass "TriStar MPPT batteryVoltage $raw x volts_scale $TS_SCALE: supply_volts $(json_metric tristar supply_volts)"

# ---- The live MikroTik: rates between --once's two polls.
agent_conf_snmp live mikrotik-routeros-live "if_index = $WAN" "volts_oid = $VOLTS_OID" \
    "volts_scale = 0.1"
once live 3
python3 - "$T/live.json" "$IN_RATE" "$OUT_RATE" <<'PY' || fail "live: rates wrong (above)"
import json, math, sys
m = json.load(open(sys.argv[1]))["m"]
ok = True
for k, octets in (("if_rx_bps", int(sys.argv[2])), ("if_tx_bps", int(sys.argv[3]))):
    v, want = m.get(k), octets * 8
    # The counters grow with snmpsim's clock, read when it answers; the
    # agent divides by the time between the answers it received.
    if v is None or not math.isfinite(v) or abs(v - want) > 0.05 * want:
        print(f"{k} {v!r}, want {want} within 5 %"); ok = False
    else:
        print(f"{k} {v:.0f} bit/s, the variation's {want} ({v / want - 1:+.2%})")
if m.get("if_errors") != 0:
    print(f"if_errors {m.get('if_errors')!r}, want 0 (not varied)"); ok = False
sys.exit(0 if ok else 1)
PY
grep -qx 'link traffic in 1.0 Mbit/s, out 0.2 Mbit/s' "$T/live.txt" \
    || fail "the report has no 'link traffic in 1.0 Mbit/s, out 0.2 Mbit/s'"
pass "live MikroTik: --once rates $(json_metric live if_rx_bps) / $(json_metric live if_tx_bps) bit/s for $((IN_RATE * 8)) / $((OUT_RATE * 8))"
no_crash "$T"/*-json.log "$T"/*-report.log
