#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The production broker config (deploy/mosquitto/covmon.conf + covmon.acl)
# run for real: the site CA from deploy/make-ca, accounts from
# deploy/enroll-agent, only paths and ports rewritten for the test. Shows
# that an agent cannot publish as another, cannot read another's acks,
# cannot take the collector's client id (nor its queued messages), that
# anonymous clients, bad passwords, plaintext and unknown CAs are refused,
# that oversize messages are dropped, and that an agent enrolled while the
# broker runs works after the reload.
. "$(dirname "$0")/../lib.sh"
need mosquitto mosquitto_pub mosquitto_sub mosquitto_passwd openssl

D=$COVMON_SRC/deploy
chmod 755 "$T"
M=$T/mosq
mkdir -p "$M/data"
PW_PORT=$(free_port)
CERT_PORT=$(free_port)
while [ "$CERT_PORT" = "$PW_PORT" ]; do CERT_PORT=$(free_port); done

# The test's own site CA and server certificate, made by the shipped script.
"$D/make-ca" --pki "$T/pki" --mosquitto-dir "$M" 127.0.0.1 localhost > "$T/make-ca.log"
cp "$D/mosquitto/covmon.acl" "$M/covmon.acl"
enroll() { "$D/enroll-agent" --pki "$T/pki" --passwd "$M/covmon.passwd" --acl "$M/covmon.acl" \
	--out "$T/enrolled" --host 127.0.0.1 "$@"; }
enroll --reload none --collector collector > /dev/null 2>> "$T/enroll.log"
# A second collector's account: the test publishes acks with it (one
# account is one client id: a second connection as 'collector' would
# replace the collector's own).
enroll --reload none --collector ops > /dev/null 2>> "$T/enroll.log"
grep -qx "user ops" "$M/covmon.acl" || fail "enroll-agent --collector added no ACL block"
enroll --reload none --port "$PW_PORT" lc-a lao-cai > "$T/lc-a.conf" 2>> "$T/enroll.log"
enroll --reload none --cert --port "$CERT_PORT" lc-c lao-cai > "$T/lc-c.conf" 2>> "$T/enroll.log"
grep -q "^username = lc-a$" "$T/lc-a.conf" && grep -q "^province = lao-cai$" "$T/lc-a.conf" \
	|| fail "enroll-agent printed no usable agent.conf"
grep -q "^tls_cert = /etc/covmon/lc-c.pem$" "$T/lc-c.conf" || fail "enroll-agent --cert: no tls_cert in agent.conf"

# enroll-agent refuses bad ids before it writes anything, and a clash with
# the collector's account.
for bad in "Lc-upper" "../etc" "a/b" "a+b" "#" "-lead" "" "$(printf 'x%.0s' $(seq 65))" "$(printf 'ok\nbad')"; do
	if enroll --reload none "$bad" lao-cai >/dev/null 2>&1; then fail "enroll-agent took id '$bad'"; fi
done
enroll --reload none lc-x 'Lao Cai' >/dev/null 2>&1 && fail "enroll-agent took province 'Lao Cai'"
enroll --reload none collector lao-cai >/dev/null 2>&1 && fail "enroll-agent made an agent named like the collector"
enroll --reload none lc-a lao-cai >/dev/null 2>&1 && fail "enroll-agent enrolled lc-a twice without --force"
[ "$(cut -d: -f1 "$M/covmon.passwd" | sort | tr '\n' ' ')" = "collector lc-a ops " ] \
	|| fail "password file holds: $(cut -d: -f1 "$M/covmon.passwd" | tr '\n' ' ')"
pass "enroll-agent: 9 bad ids, a bad province, a collector clash and a duplicate refused; nothing written"

# The shipped config, pointed at the test's files and ports.
sed -e "s|/etc/mosquitto/|$M/|g" \
	-e "s|^listener 8883\$|listener $PW_PORT 127.0.0.1|" \
	-e "s|^listener 8884\$|listener $CERT_PORT 127.0.0.1|" \
	"$D/mosquitto/covmon.conf" > "$T/mosquitto.conf"
grep -q "^listener $PW_PORT 127.0.0.1$" "$T/mosquitto.conf" && grep -q "^listener $CERT_PORT 127.0.0.1$" "$T/mosquitto.conf" \
	|| fail "the deploy config's listeners were not where the test expected them"
printf 'persistence_location %s/data/\nlog_dest stderr\n' "$M" >> "$T/mosquitto.conf"
chmod -R go+rX "$M"
if [ "$(id -u)" -eq 0 ] && id mosquitto >/dev/null 2>&1; then chown mosquitto "$M/data"; fi
mosquitto -c "$T/mosquitto.conf" > "$T/mosquitto.log" 2>&1 &
BROKER_PID=$!; PIDS+=("$BROKER_PID")
wait_for 10 bash -c "echo > /dev/tcp/127.0.0.1/$PW_PORT" || fail "mosquitto did not start with the deploy config"

CA=$T/pki/ca.pem
secret() { cat "$T/enrolled/$1/$2.secret"; }
COLL_PW=$(secret collector collector)
A_PW=$(secret lc-a agent)
PWA=(-h 127.0.0.1 -p "$PW_PORT" --cafile "$CA")
# pub USER PASSWORD TOPIC MESSAGE|@FILE [more mosquitto_pub args]
pub() { local u=$1 p=$2 t=$3 m=$4; shift 4
	if [ "${m#@}" != "$m" ]; then set -- -f "${m#@}" "$@"; else set -- -m "$m" "$@"; fi
	timeout 10 mosquitto_pub "${PWA[@]}" -u "$u" -P "$p" -q 1 -t "$t" "$@"; }

# The collector: a persistent session (clean session off) on every sample
# and state, like covmon-collector.
start_coll() {
	timeout 50 mosquitto_sub "${PWA[@]}" -u collector -P "$COLL_PW" -i covmon-collector-1 -c -q 1 \
		-t 'covmon/v1/+/+/sample' -t 'covmon/v1/+/+/state' -v >> "$T/collector.out" 2>> "$T/collector-sub.log" &
	COLL_PID=$!; PIDS+=("$COLL_PID")
	wait_for 10 grep -q "as collector" "$T/mosquitto.log" || fail "collector subscriber did not connect"
	sleep 0.3
}
start_coll
seen() { grep -q -- "$1" "$T/collector.out"; }

# An agent enrolled while the broker runs: the reload makes it work at once.
enroll --reload "pid:$BROKER_PID" --port "$PW_PORT" lc-b lao-cai > /dev/null 2>> "$T/enroll.log"
B_PW=$(secret lc-b agent)
wait_for 10 pub lc-b "$B_PW" covmon/v1/lao-cai/lc-b/sample B-own-1 || fail "lc-b rejected after enrolment and reload"
wait_for 10 seen "lc-b/sample B-own-1" || fail "collector did not get lc-b's sample"
grep -q "Reloading config" "$T/mosquitto.log" || fail "no reload in the broker log"
pass "agent enrolled while the broker ran: reloaded (SIGHUP), its sample reached the collector"

# Agent A publishes as B (sample and state) and outside covmon's topics.
pub lc-a "$A_PW" covmon/v1/lao-cai/lc-b/sample A-as-B || true
pub lc-a "$A_PW" covmon/v1/lao-cai/lc-b/state A-as-B-state -r || true
pub lc-a "$A_PW" covmon/v1/lao-cai/lc-b/ack A-forged-ack || true
pub lc-a "$A_PW" covmon/v1/lao-cai/alert A-alert || true
pub lc-a "$A_PW" covmon/v1/lao-cai/lc-a/sample A-own-1 || fail "lc-a could not publish its own sample"
wait_for 10 seen "lc-a/sample A-own-1" || fail "collector did not get lc-a's own sample"
sleep 0.5
seen "A-as-B" && fail "the collector got a message lc-a published as lc-b"
pass "agent A publishing as B (sample, retained state): dropped by the ACL; A's own sample delivered"

# A listens for B's acks (and for everything); B listens for its own.
timeout 30 mosquitto_sub "${PWA[@]}" -u lc-a -P "$A_PW" -q 1 -t covmon/v1/lao-cai/lc-b/ack -t 'covmon/v1/#' \
	-t covmon/v1/lao-cai/lc-a/ack -v > "$T/a.out" 2> "$T/a-sub.log" &
A_SUB=$!; PIDS+=("$A_SUB")
timeout 30 mosquitto_sub "${PWA[@]}" -u lc-b -P "$B_PW" -q 1 -t covmon/v1/lao-cai/lc-b/ack -v > "$T/b.out" 2> "$T/b-sub.log" &
B_SUB=$!; PIDS+=("$B_SUB")
sleep 1
OPS_PW=$(secret ops collector)
pub ops "$OPS_PW" covmon/v1/lao-cai/lc-b/ack '{"v":1,"seq":7}' || fail "collector could not ack lc-b"
pub ops "$OPS_PW" covmon/v1/lao-cai/lc-a/ack '{"v":1,"seq":3}' || fail "collector could not ack lc-a"
pub ops "$OPS_PW" covmon/v1/lao-cai/summary '{"v":1}' -r || fail "collector could not publish a summary"
wait_for 10 grep -q 'lc-b/ack {"v":1,"seq":7}' "$T/b.out" || fail "lc-b did not get its ack"
wait_for 10 grep -q 'lc-a/ack {"v":1,"seq":3}' "$T/a.out" || fail "lc-a did not get its own ack"
sleep 0.5
grep -q "lc-b" "$T/a.out" && fail "lc-a read lc-b's traffic: $(grep lc-b "$T/a.out")"
pass "agent A subscribed to B's ack and to covmon/v1/#: got only its own ack ($(wc -l < "$T/a.out") message), B got its own"
kill "$A_SUB" "$B_SUB"; wait "$A_SUB" "$B_SUB" 2>/dev/null || true

# A takes the collector's client id, while the collector is connected and
# then while it is away with messages queued for it.
pub lc-a "$A_PW" covmon/v1/lao-cai/lc-a/sample A-with-collector-id -i covmon-collector-1 || true
pub lc-a "$A_PW" covmon/v1/lao-cai/lc-a/sample A-with-collector-id2 -i collector || true
wait_for 10 seen "A-with-collector-id2" || fail "collector lost lc-a's samples"
kill -0 "$COLL_PID" || fail "collector subscriber died"
grep -q "already connected, closing old connection" "$T/mosquitto.log" \
	&& fail "the broker dropped a client for its id: $(grep 'closing old connection' "$T/mosquitto.log")"
[ "$(grep -c 'as collector' "$T/mosquitto.log")" = 1 ] || fail "the collector reconnected: it was kicked"
grep -q "as lc-a (.*u'lc-a')" "$T/mosquitto.log" || fail "the broker did not name lc-a's connection after its username"
pass "agent A with client id 'covmon-collector-1' and 'collector': connected as lc-a; collector not kicked (1 connection in the log)"

kill "$COLL_PID"; wait "$COLL_PID" 2>/dev/null || true
for i in 1 2 3; do pub lc-b "$B_PW" covmon/v1/lao-cai/lc-b/sample "queued-$i" || fail "lc-b publish"; done
timeout 5 mosquitto_sub "${PWA[@]}" -u lc-a -P "$A_PW" -i collector -c -q 1 -t 'covmon/v1/#' -W 3 -v \
	> "$T/a-steal.out" 2> "$T/a-steal.log" || true
grep -q queued "$T/a-steal.out" && fail "lc-a got the collector's queued messages"
start_coll
wait_for 10 seen "queued-3" || fail "the collector's queued messages were lost"
pass "collector away, 3 samples queued; A connected as 'collector' with a persistent session: got none; collector back: $(grep -c 'queued-' "$T/collector.out") of 3 delivered"

# Refused at the door.
refused() {  # refused WHAT ARGS...: mosquitto_pub must fail
	local what=$1; shift
	if timeout 10 mosquitto_pub -h 127.0.0.1 -q 1 -t covmon/v1/lao-cai/lc-a/sample -m "$what" "$@" 2> "$T/refused.log"; then
		fail "$what: accepted"
	fi
	echo "  $what: $(head -1 "$T/refused.log")"
}
refused anonymous -p "$PW_PORT" --cafile "$CA"
refused "wrong password" -p "$PW_PORT" --cafile "$CA" -u lc-a -P not-the-password
refused "plaintext on the TLS port" -p "$PW_PORT" -u lc-a -P "$A_PW"
refused "cert listener without a certificate" -p "$CERT_PORT" --cafile "$CA" -u lc-a -P "$A_PW"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=rogue CA" \
	-keyout "$T/rogue-ca.key" -out "$T/rogue-ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=lc-a" \
	-keyout "$T/rogue.key" -out "$T/rogue.csr" 2>/dev/null
openssl x509 -req -in "$T/rogue.csr" -CA "$T/rogue-ca.pem" -CAkey "$T/rogue-ca.key" -CAcreateserial \
	-days 2 -out "$T/rogue.pem" 2>/dev/null
refused "client certificate from an unknown CA" -p "$CERT_PORT" --cafile "$CA" --cert "$T/rogue.pem" --key "$T/rogue.key"
refused "broker checked against an unknown CA" -p "$PW_PORT" --cafile "$T/rogue-ca.pem" -u lc-a -P "$A_PW"
sleep 0.5
seen "anonymous\|wrong password\|plaintext\|unknown CA\|without a certificate" && fail "a refused client's message reached the collector"
pass "anonymous, wrong password, plaintext, no client cert, rogue client cert, rogue broker CA: all refused"

# The certificate account: CN is the username, the ACL applies to it.
C=$T/enrolled/lc-c
cpub() { timeout 10 mosquitto_pub -h 127.0.0.1 -p "$CERT_PORT" --cafile "$CA" --cert "$C/lc-c.pem" --key "$C/lc-c.key" -q 1 "$@"; }
cpub -t covmon/v1/lao-cai/lc-a/sample -m C-as-A || true
cpub -t covmon/v1/lao-cai/lc-c/sample -m C-own -i collector || fail "lc-c could not publish with its certificate"
wait_for 10 seen "lc-c/sample C-own" || fail "collector did not get lc-c's sample"
sleep 0.5
seen "C-as-A" && fail "lc-c published as lc-a"
pass "certificate account lc-c (CN as username): own sample delivered, as lc-a dropped"

# Oversize: past message_size_limit the broker drops it; below, it passes
# (the collector then applies the protocol's own 8 KiB limit).
limit=$(awk '$1 == "message_size_limit" { print $2 }' "$D/mosquitto/covmon.conf")
head -c $((limit + 1)) /dev/zero | tr '\0' 'x' > "$T/big"
pub lc-a "$A_PW" covmon/v1/lao-cai/lc-a/sample "@$T/big" || true
pub lc-a "$A_PW" covmon/v1/lao-cai/lc-a/sample "A-after-big" || fail "lc-a publish after the big one"
wait_for 10 seen "A-after-big" || fail "collector did not get the sample after the big one"
sleep 0.5
grep -q "xxxxxxxxxx" "$T/collector.out" && fail "a $((limit + 1))-byte message went through"
head -c 8193 /dev/zero | tr '\0' 'y' > "$T/8k1"
pub lc-a "$A_PW" covmon/v1/lao-cai/lc-a/sample "@$T/8k1" || fail "8 KiB + 1 refused by the broker"
wait_for 10 grep -q "yyyyyyyyyy" "$T/collector.out" || fail "the 8 KiB + 1 message did not reach the collector"
pass "message of $((limit + 1)) bytes dropped by the broker; 8193 bytes forwarded (for the collector to refuse)"

# The real daemons with the files enroll-agent made (paths moved to the
# test's): the agent's config is accepted as printed, and samples flow.
if [ -x "$COVMON_BUILD/covmon-agent" ] && [ -x "$COVMON_BUILD/covmon-collector" ]; then
	kill "$COLL_PID"; wait "$COLL_PID" 2>/dev/null || true
	sed -e "s|/etc/covmon/|$T/enrolled/lc-b/|" -e "s|/var/lib/covmon-agent|$T/spool|" \
		-e "s|^interval = 60|interval = 1\nstart_delay = 0|" -e "s|^count = 20|count = 2|" \
		-e "s|^timeout_ms = 2000|timeout_ms = 300|" \
		"$T/enrolled/lc-b/agent.conf" > "$T/agent.conf"
	"$COVMON_BUILD/covmon-agent" -c "$T/agent.conf" --check-config > "$T/agent-check.log" 2>&1 \
		|| fail "covmon-agent --check-config refused enroll-agent's config: $(tail -1 "$T/agent-check.log")"
	HTTP_PORT=$(free_port)
	# shellcheck disable=SC2034 # read by write_collector_conf (tests/lib.sh)
	MQTT_PORT=$PW_PORT
	write_collector_conf "$T/collector.conf" "$T/data" "$HTTP_PORT"
	sed -e "/^\[mqtt\]/,/^\[/{/^username\|^password_file\|^tls_ca\|^client_id\|^host\|^port/d}" \
		-e "s|^\[mqtt\]|[mqtt]\nhost = 127.0.0.1\nport = $PW_PORT\nusername = collector\nclient_id = covmon-collector-1\npassword_file = $T/enrolled/collector/collector.secret\ntls_ca = $CA|" \
		-i "$T/collector.conf"
	start_collector "$T/collector.conf" "$T/collector.log"
	"$COVMON_BUILD/covmon-agent" -c "$T/agent.conf" > "$T/agent.log" 2>&1 &
	PIDS+=("$!")
	wait_for 30 bash -c "[ \$(curl -sf http://127.0.0.1:$HTTP_PORT/metrics | awk '\$1==\"covmon_samples_stored_total\"{print \$2}') -ge 3 ]" \
		|| fail "no samples stored from the enrolled agent through the deploy broker"
	pass "covmon-agent with enroll-agent's agent.conf -> deploy broker -> covmon-collector: $(metric covmon_samples_stored_total) samples stored"
	stop_collector
else
	echo "  (no build in $COVMON_BUILD: the covmon-agent/covmon-collector run is left out)"
fi

kill -0 "$BROKER_PID" || fail "the broker died"
echo "broker log: $(grep -c 'New client connected' "$T/mosquitto.log") connections, $(grep -c 'OpenSSL Error' "$T/mosquitto.log") TLS handshakes refused"
