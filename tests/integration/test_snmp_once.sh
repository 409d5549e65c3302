#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The technician's check, `covmon-agent --once`, against a real snmpd on a
# loopback port: it polls SNMP at the start and at the end of its
# measurement, so it shows the interface's traffic rates (one poll gives no
# rate: before, --once showed none). Traffic of a known rate runs over lo
# while it measures; the rates must be there, in bits per second, and
# bounded by what crossed lo: snmpd keeps the kernel's counters for up to
# 3 s, so each poll may read counters up to 3 s old; over INTERVAL = 6 s
# the rate read is at least (6 - 3) / 6 of the rate sent, and at most all
# that the kernel counted on lo (other processes' traffic too) from the
# start of the traffic to the end of --once, over 6 s. Octets taken for
# bits, or the other way, are 8 x off. Also: a supply
# voltage in tenths (as MikroTik's mtxrHlVoltage) with volts_scale = 0.1
# prints as 12.6, not 12.600000000000001.
. "$(dirname "$0")/../lib.sh"
need snmpget snmpwalk python3 mosquitto
SNMPD=$(PATH=$PATH:/usr/sbin:/sbin command -v snmpd) || skip "snmpd is not installed (apt-get install snmpd)"

COMMUNITY=covmon-once
VOLTS_OID=1.3.6.1.4.1.99999.2.4.0
RATE=1000000		# octets per second sent over lo while --once measures
INTERVAL=6		# twice snmpd's interface cache (3 s)

SNMP_PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$T/snmpd-persist"
cat > "$T/snmpd.conf" <<CONF
agentaddress udp:127.0.0.1:$SNMP_PORT
rocommunity $COMMUNITY 127.0.0.1
override $VOLTS_OID integer 126
CONF
SNMP_PERSISTENT_DIR=$T/snmpd-persist MIBS='' "$SNMPD" -f -Lo -C -c "$T/snmpd.conf" \
    > "$T/snmpd.log" 2>&1 &
PIDS+=("$!")
snmp() { snmpget -v2c -c "$COMMUNITY" -t 0.5 -r 0 -On -Oqv "127.0.0.1:$SNMP_PORT" "$@"; }
wait_for 10 snmp 1.3.6.1.2.1.1.3.0 || fail "snmpd did not answer on udp $SNMP_PORT"

# The loopback interface's ifIndex, by its name.
lo_index=$(snmpwalk -v2c -c "$COMMUNITY" -On "127.0.0.1:$SNMP_PORT" 1.3.6.1.2.1.2.2.1.2 \
    | awk -F' = ' '/STRING: "?lo"?$/ { n = split($1, a, "."); print a[n]; exit }')
[ -n "$lo_index" ] || fail "no interface named lo in snmpd's ifTable"

start_broker
cat > "$T/agent.conf" <<CONF
[agent]
id = test-snmp-once
province = lao-cai
spool_dir = $T/spool

[mqtt]
host = 127.0.0.1
port = $MQTT_PORT

[probe.snmp]
host = 127.0.0.1
port = $SNMP_PORT
community = $COMMUNITY
if_index = $lo_index
timeout_ms = 500
volts_oid = $VOLTS_OID
volts_scale = 0.1
CONF

# Paced UDP over lo, to a socket that reads it, for as long as it runs;
# it touches $T/traffic.on once sending.
cat > "$T/traffic.py" <<'PY'
import socket, sys, time
rate, mark = int(sys.argv[1]), sys.argv[2]
rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rx.bind(("127.0.0.1", 0))
rx.setblocking(False)
tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
payload, sent, t0 = b"c" * 8000, 0, time.monotonic()
open(mark, "w").close()
while True:
    while sent < rate * (time.monotonic() - t0):
        tx.sendto(payload, rx.getsockname())
        sent += len(payload)
        try:
            while True:
                rx.recv(2048)
        except BlockingIOError:
            pass
    time.sleep(0.005)
PY
kernel_lo() { cat /sys/class/net/lo/statistics/rx_bytes; }
kernel0=$(kernel_lo)
python3 "$T/traffic.py" "$RATE" "$T/traffic.on" &
TRAFFIC_PID=$!
PIDS+=("$TRAFFIC_PID")
wait_for 10 test -e "$T/traffic.on" || fail "the traffic generator did not start"
# What snmpd has cached must be from after the traffic began (the walk
# above filled its cache): wait until its lo counter has moved by a second
# of it.
lo_octets() { snmp "1.3.6.1.2.1.31.1.1.1.6.$lo_index"; }
octets0=$(lo_octets)
lo_moved() { [ "$(lo_octets)" -ge $((octets0 + RATE)) ]; }
wait_for 20 lo_moved || fail "snmpd's ifHCInOctets.$lo_index did not move with the traffic"

"$COVMON_BUILD/covmon-agent" -c "$T/agent.conf" --once --interval "$INTERVAL" --json \
    > "$T/once.json" 2> "$T/once-json.log" || fail "--once --json exited $?: $(cat "$T/once-json.log")"
kernel1=$(kernel_lo)
rc=0
"$COVMON_BUILD/covmon-agent" -c "$T/agent.conf" --once --interval "$INTERVAL" \
    > "$T/once.txt" 2> "$T/once-report.log" || rc=$?
kill "$TRAFFIC_PID" 2>/dev/null || true
wait "$TRAFFIC_PID" 2>/dev/null || true
echo "--- covmon-agent --once --json --interval $INTERVAL"
cat "$T/once.json"
echo "--- covmon-agent --once --interval $INTERVAL (exit $rc)"
cat "$T/once.txt"
[ "$rc" -eq 0 ] || fail "--once exited $rc (its verdict is not ok)"

python3 - "$T/once.json" "$RATE" "$INTERVAL" "$((kernel1 - kernel0))" <<'PY' \
    || fail "--once --json: rates or volts wrong (above)"
import json, math, sys
m = json.load(open(sys.argv[1]))["m"]
bps, interval, kernel = int(sys.argv[2]) * 8, float(sys.argv[3]), int(sys.argv[4])
# Lowest: 3 of the 6 s, less 20 % for a late sender; highest: everything
# lo carried since the traffic began, over the interval less 5 %.
low, high = bps * (interval - 3) / interval * 0.8, kernel * 8 / (interval * 0.95)
ok = True
for k in ("if_rx_bps", "if_tx_bps"):
    v = m.get(k)
    if v is None or not math.isfinite(v):
        print(f"{k} missing: --once gave no rate"); ok = False
    elif not low <= v <= high:
        print(f"{k} {v:.0f} bit/s: not within {low:.0f} to {high:.0f} bit/s"); ok = False
    else:
        print(f"{k} {v:.0f} bit/s for {bps} bit/s sent ({v / bps:.2f} x; bounds {low:.0f} to {high:.0f})")
if m.get("if_errors") is None:
    print("if_errors missing"); ok = False
if m.get("if_oper_up") != 1:
    print(f"if_oper_up {m.get('if_oper_up')}"); ok = False
# 126 tenths x 0.1: the decimal, as the JSON writes it back (12.6).
if m.get("supply_volts") != 12.6:
    print(f"supply_volts {m.get('supply_volts')!r}, want 12.6"); ok = False
sys.exit(0 if ok else 1)
PY
pass "--once --json: if_rx_bps and if_tx_bps measured between two polls, supply_volts 12.6"

grep -Eq '^link traffic in [0-9]+\.[0-9] Mbit/s, out [0-9]+\.[0-9] Mbit/s$' "$T/once.txt" \
    || fail "the report has no traffic line"
grep -qx 'power supply 12.6 V' "$T/once.txt" || fail "the report has no 'power supply 12.6 V'"
grep -Eq "^snmp 127\.0\.0\.1:$SNMP_PORT v2c +ok " "$T/once.txt" || fail "the report's snmp line is not ok"
pass "--once report: $(grep '^link traffic' "$T/once.txt")"
no_crash "$T/once-json.log" "$T/once-report.log"
