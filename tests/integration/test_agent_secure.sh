#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The agent as it runs in the field: MQTT over TLS (a CA made by the test)
# with a username and a password file, root dropped to an unprivileged user
# once the raw socket is open (no capabilities left, NoNewPrivs set), and
# SIGHUP reloading the probes. A broker presenting a certificate from
# another CA is refused, with no fallback to an insecure connection.
. "$(dirname "$0")/../lib.sh"
need mosquitto mosquitto_passwd openssl curl
[ "$(id -u)" -eq 0 ] || skip "needs root (privilege drop, ICMP)"
id nobody >/dev/null 2>&1 || skip "no user 'nobody'"

chmod 755 "$T"
pki=$T/pki; mkdir -p "$pki"
mkca() {  # mkca NAME: a CA and a server certificate for 127.0.0.1 signed by it
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=covmon test $1" \
		-keyout "$pki/$1-ca.key" -out "$pki/$1-ca.pem" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
		-keyout "$pki/$1-server.key" -out "$pki/$1-server.csr" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$pki/san.ext"
	openssl x509 -req -in "$pki/$1-server.csr" -CA "$pki/$1-ca.pem" -CAkey "$pki/$1-ca.key" \
		-CAcreateserial -days 2 -extfile "$pki/san.ext" -out "$pki/$1-server.pem" 2>/dev/null
}
mkca good
mkca other
chmod 644 "$pki"/*.pem "$pki"/*.key

# Broker: TLS only, no anonymous access, per-client passwords.
MQTT_PORT=$(free_port)
mosquitto_passwd -c -b "$T/passwd" lc-secure-01 agent-secret 2>/dev/null
mosquitto_passwd -b "$T/passwd" collector collector-secret 2>/dev/null
chmod 644 "$T/passwd"
printf 'agent-secret\n' > "$T/agent.secret"; chmod 600 "$T/agent.secret"
printf 'collector-secret\n' > "$T/collector.secret"; chmod 600 "$T/collector.secret"
cat > "$T/mosquitto.conf" <<CONF
listener $MQTT_PORT 127.0.0.1
cafile $pki/good-ca.pem
certfile $pki/good-server.pem
keyfile $pki/good-server.key
allow_anonymous false
password_file $T/passwd
CONF
mosquitto -c "$T/mosquitto.conf" > "$T/mosquitto.log" 2>&1 &
BROKER_PID=$!; PIDS+=("$BROKER_PID")
wait_for 10 bash -c "echo > /dev/tcp/127.0.0.1/$MQTT_PORT" || fail "mosquitto did not start"

HTTP_PORT=$(free_port)
write_collector_conf "$T/collector.conf" "$T/data" "$HTTP_PORT"
sed -i "s|^client_id = .*|&\nusername = collector\npassword_file = $T/collector.secret\ntls_ca = $pki/good-ca.pem|" "$T/collector.conf"
start_collector "$T/collector.conf" "$T/collector.log"
wait_for 10 curl -sf "http://127.0.0.1:$HTTP_PORT/api/v1/health" || fail "collector not up"

write_agent() {  # write_agent CA COUNT
	cat > "$T/agent.conf" <<CONF
[agent]
id = lc-secure-01
province = lao-cai
interval = 1
spool_dir = $T/spool
user = nobody
start_delay = 0
[mqtt]
host = 127.0.0.1
port = $MQTT_PORT
username = lc-secure-01
password_file = $T/agent.secret
tls_ca = $1
keepalive = 10
[probe.icmp]
targets = 127.0.0.1
count = $2
timeout_ms = 200
CONF
}

# A broker whose certificate is not from our CA: refused, nothing sent.
write_agent "$pki/other-ca.pem" 3
"$COVMON_BUILD/covmon-agent" -c "$T/agent.conf" -v > "$T/agent-badca.log" 2>&1 &
BAD_PID=$!; PIDS+=("$BAD_PID")
sleep 4
kill "$BAD_PID"; wait "$BAD_PID" 2>/dev/null || true
grep -q "connected" "$T/agent-badca.log" && fail "agent connected to a broker of an unknown CA"
[ "$(metric covmon_samples_received_total)" = 0 ] || fail "samples arrived through an untrusted broker"
pass "broker with an unknown CA refused ($(grep -c reconnecting "$T/agent-badca.log") attempts, none connected)"

# The real CA: connects, drops root, delivers.
rm -rf "$T/spool"
write_agent "$pki/good-ca.pem" 3
"$COVMON_BUILD/covmon-agent" -c "$T/agent.conf" -v > "$T/agent.log" 2>&1 &
AGENT_PID=$!; PIDS+=("$AGENT_PID")
wait_for 20 bash -c "[ \$(curl -sf http://127.0.0.1:$HTTP_PORT/metrics | awk '\$1==\"covmon_samples_stored_total\"{print \$2}') -ge 3 ]" \
	|| fail "no samples stored over TLS"
pass "TLS + password: $(metric covmon_samples_stored_total) samples stored"

st=/proc/$AGENT_PID/status
uid=$(awk '/^Uid:/ { print $2 " " $3 " " $4 " " $5 }' "$st")
nnp=$(awk '/^NoNewPrivs:/ { print $2 }' "$st")
capeff=$(awk '/^CapEff:/ { print $2 }' "$st")
capprm=$(awk '/^CapPrm:/ { print $2 }' "$st")
echo "agent: Uid $uid, NoNewPrivs $nnp, CapEff $capeff, CapPrm $capprm"
nobody=$(id -u nobody)
[ "$uid" = "$nobody $nobody $nobody $nobody" ] || fail "agent still has uid $uid"
[ "$nnp" = 1 ] || fail "NoNewPrivs not set"
[ "$capeff" = 0000000000000000 ] && [ "$capprm" = 0000000000000000 ] || fail "capabilities left: $capeff / $capprm"
pass "running as nobody, no capabilities, NoNewPrivs"
# The spool still compacts as nobody (the directory was given to it).
[ "$(stat -c %U "$T/spool")" = nobody ] || fail "spool dir not owned by the agent's user"

# SIGHUP: the probes are reloaded (count 3 -> 5).
write_agent "$pki/good-ca.pem" 5
kill -HUP "$AGENT_PID"
wait_for 10 grep -q "probes reloaded\|keeping the running probes" "$T/agent.log" || fail "SIGHUP not acted on"
grep "reload" "$T/agent.log" | tail -2
kill -0 "$AGENT_PID" || fail "agent died on SIGHUP"
pass "SIGHUP handled, agent still running"
