#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# One [mqtt] section for every binary (common/mqtt_client.c, issue 17): a
# TLS key without what it needs is a config error in the collector and the
# agent alike (exit 2, the file, line and key named), never a plaintext
# connection; --check-config of both says "TLS: on (...)" or "TLS: off";
# and a collector and an agent with client certificates meet on a real
# mosquitto that requires them, and a sample is stored.
. "$(dirname "$0")/../lib.sh"
need mosquitto openssl curl

chmod 755 "$T"   # mosquitto, started as root, reads its files as itself
pki=$T/pki; mkdir -p "$pki"
# sign NAME CN [SAN]: a key and a certificate signed by the test CA.
sign() {
	openssl req -newkey rsa:2048 -nodes -subj "/CN=$2" -keyout "$pki/$1.key" \
		-out "$pki/$1.csr" 2>/dev/null
	printf '%s\n' "${3:-extendedKeyUsage=clientAuth}" > "$pki/$1.ext"
	openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" \
		-CAcreateserial -days 2 -extfile "$pki/$1.ext" -out "$pki/$1.pem" 2>/dev/null
}
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=covmon test CA" \
	-keyout "$pki/ca.key" -out "$pki/ca.pem" 2>/dev/null
sign server 127.0.0.1 "subjectAltName=IP:127.0.0.1,DNS:localhost"
sign collector covmon-collector-tls
sign agent lc-tls-01
chmod 644 "$pki"/*
CA=$pki/ca.pem

MQTT_PORT=$(free_port)
HTTP_PORT=$(free_port)

# collector_conf FILE [mqtt lines...]
collector_conf() {
	local f=$1; shift
	write_collector_conf "$f" "$T/data" "$HTTP_PORT"
	local extra; extra=$(printf '%s\\n' "$@")
	sed -i "s|^keepalive = .*|&\n${extra%\\n}|" "$f"
}
# agent_tls_conf FILE [mqtt lines...]
agent_tls_conf() {
	local f=$1; shift
	cat > "$f" <<CONF
[agent]
id = lc-tls-01
province = lao-cai
interval = 1
spool_dir = $T/spool
start_delay = 0

[mqtt]
host = 127.0.0.1
port = $MQTT_PORT
keepalive = 10
ack_timeout = 3
$(printf '%s\n' "$@")

[probe.tcp]
targets = 127.0.0.1:$HTTP_PORT
timeout_ms = 500
CONF
}

# refused BINARY CONF WHAT: exits 2 at once, WHAT in its message.
refused() {
	local rc=0
	timeout 10 "$COVMON_BUILD/$1" -c "$2" > "$T/refused.log" 2>&1 || rc=$?
	[ "$rc" = 2 ] || { cat "$T/refused.log"; fail "$1 with $(basename "$2"): exit $rc, expected 2"; }
	grep -qF -- "$3" "$T/refused.log" \
		|| fail "$1 with $(basename "$2"): '$(cat "$T/refused.log")' does not say '$3'"
	echo "  $1: $(cat "$T/refused.log")"
}

# --- tls_cert without tls_ca: refused by both, before any connection.
collector_conf "$T/c-noca.conf" "tls_cert = $pki/collector.pem" "tls_key = $pki/collector.key"
refused covmon-collector "$T/c-noca.conf" "c-noca.conf:10: [mqtt] tls_cert: needs tls_ca"
agent_tls_conf "$T/a-noca.conf" "tls_cert = $pki/agent.pem" "tls_key = $pki/agent.key"
refused covmon-agent "$T/a-noca.conf" "a-noca.conf:13: [mqtt] tls_cert: needs tls_ca"
pass "tls_cert without tls_ca: collector and agent both refuse to start (exit 2)"

# --- The other rules, the same in both.
collector_conf "$T/c-nokey.conf" "tls_ca = $CA" "tls_cert = $pki/collector.pem"
refused covmon-collector "$T/c-nokey.conf" "[mqtt] tls_cert: needs tls_key"
agent_tls_conf "$T/a-nocert.conf" "tls_ca = $CA" "tls_key = $pki/agent.key"
refused covmon-agent "$T/a-nocert.conf" "[mqtt] tls_key: needs tls_cert"
collector_conf "$T/c-8883.conf"
sed -i "s|^port = .*|port = 8883|" "$T/c-8883.conf"
refused covmon-collector "$T/c-8883.conf" "[mqtt] port = 8883 is a TLS port: set tls_ca"
agent_tls_conf "$T/a-8884.conf"
sed -i "s|^port = .*|port = 8884|" "$T/a-8884.conf"
refused covmon-agent "$T/a-8884.conf" "[mqtt] port = 8884 is a TLS port: set tls_ca"
collector_conf "$T/c-noca-file.conf" "tls_ca = $T/missing-ca.pem"
refused covmon-collector "$T/c-noca-file.conf" "tls_ca = '$T/missing-ca.pem': cannot read"
agent_tls_conf "$T/a-nokey-file.conf" "tls_ca = $CA" "tls_cert = $pki/agent.pem" \
	"tls_key = $T/missing.key"
refused covmon-agent "$T/a-nokey-file.conf" "tls_key = '$T/missing.key': cannot read"
pass "cert without key, key without cert, a TLS port without tls_ca, unreadable files: refused"

# --- --check-config: the TLS line in both.
check() {  # check BINARY CONF EXPECTED-LINE
	"$COVMON_BUILD/$1" -c "$2" --check-config > "$T/check.out" 2>&1 \
		|| fail "$1 --check-config $(basename "$2"): $(cat "$T/check.out")"
	grep -qxF -- "$3" "$T/check.out" || { cat "$T/check.out"; fail "$1: no line '$3'"; }
}
collector_conf "$T/c-plain.conf"
check covmon-collector "$T/c-plain.conf" "TLS: off"
agent_tls_conf "$T/a-plain.conf"
check covmon-agent "$T/a-plain.conf" "TLS: off"
collector_conf "$T/c-tls.conf" "tls_ca = $CA" "tls_cert = $pki/collector.pem" \
	"tls_key = $pki/collector.key"
check covmon-collector "$T/c-tls.conf" "TLS: on (CA $CA, client certificate $pki/collector.pem)"
agent_tls_conf "$T/a-tls.conf" "tls_ca = $CA" "tls_cert = $pki/agent.pem" "tls_key = $pki/agent.key"
check covmon-agent "$T/a-tls.conf" "TLS: on (CA $CA, client certificate $pki/agent.pem)"
agent_tls_conf "$T/a-ca.conf" "tls_ca = $CA"
check covmon-agent "$T/a-ca.conf" "TLS: on (CA $CA, no client certificate)"
pass "--check-config: 'TLS: off' without tls_ca, 'TLS: on (CA ..., client certificate ...)' with"

# --- A broker that takes TLS with a client certificate only.
cat > "$T/mosquitto.conf" <<CONF
listener $MQTT_PORT 127.0.0.1
cafile $CA
certfile $pki/server.pem
keyfile $pki/server.key
require_certificate true
tls_version tlsv1.2
allow_anonymous true
CONF
mosquitto -c "$T/mosquitto.conf" > "$T/mosquitto.log" 2>&1 &
BROKER_PID=$!; PIDS+=("$BROKER_PID")
wait_for 10 bash -c "echo > /dev/tcp/127.0.0.1/$MQTT_PORT" || fail "mosquitto did not start"

start_collector "$T/c-tls.conf" "$T/collector.log"
wait_for 20 bash -c "curl -sf http://127.0.0.1:$HTTP_PORT/metrics | grep -q '^covmon_mqtt_connected 1'" \
	|| fail "collector not connected over TLS"
"$COVMON_BUILD/covmon-agent" -c "$T/a-tls.conf" -v > "$T/agent.log" 2>&1 &
AGENT_PID=$!; PIDS+=("$AGENT_PID")
wait_for 30 bash -c "[ \$(curl -sf http://127.0.0.1:$HTTP_PORT/metrics | awk '\$1==\"covmon_samples_stored_total\"{print \$2}') -ge 1 ]" \
	|| fail "no sample stored over TLS with client certificates"
grep -q "connected" "$T/agent.log" || fail "the agent did not log its connection"
pass "collector and agent with client certificates on a TLS-only broker: $(metric covmon_samples_stored_total) samples stored"
kill "$AGENT_PID" 2>/dev/null || true; wait "$AGENT_PID" 2>/dev/null || true
stop_collector
no_crash "$T/collector.log" "$T/agent.log"
