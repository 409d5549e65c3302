#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# TLS faults with the real covmon-agent and a real mosquitto (the production
# settings of deploy/mosquitto/covmon.conf, the site CA from deploy/make-ca,
# accounts from deploy/enroll-agent). The agent's listener is given, in turn:
#  (a) an expired server certificate (same CA),
#  (b) a certificate for another host name ("broker.example", same CA),
# each refused by the agent (no connection, nothing sent in clear, a TLS
# verification error in its log) while it keeps probing and spooling; when
# the right certificate is back, the spool delivers what was made meanwhile.
#  (c) 1,000 bad logins (wrong passwords, some with the agent's own name)
# while the agent publishes: every one refused, the agent never kicked, its
# samples all stored. Ends with the ledger check over every seq the agent
# made. The agent reaches the broker through a small recording proxy: every
# connection it opened must start with a TLS handshake and never carry the
# MQTT protocol name or its password in clear.
TEST_LIMIT=${TEST_LIMIT:-300}
. "$(dirname "$0")/../lib.sh"
need mosquitto mosquitto_passwd openssl curl python3

D=$COVMON_SRC/deploy
AGENT=lc-tls-01
chmod 755 "$T"
M=$T/mosq
mkdir -p "$M/data" "$T/wire"
AP=$(free_port)        # the agents' listener: the certificate under test
CP=$(free_port)        # the collector's listener: always the good certificate
PX=$(free_port)        # the recording proxy in front of AP
while [ "$CP" = "$AP" ]; do CP=$(free_port); done
while [ "$PX" = "$AP" ] || [ "$PX" = "$CP" ]; do PX=$(free_port); done

# --- PKI: the site CA and a good server certificate from make-ca; an
# expired one and one for another host, signed by the same CA.
"$D/make-ca" --pki "$T/pki" --mosquitto-dir "$M" 127.0.0.1 localhost > "$T/make-ca.log"
CA=$T/pki/ca.pem
mkdir -p "$T/ca"
: > "$T/ca/index.txt"
echo 1000 > "$T/ca/serial"
cat > "$T/ca/ca.cnf" <<CNF
[ca]
default_ca = test
[test]
database = $T/ca/index.txt
new_certs_dir = $T/ca
serial = $T/ca/serial
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
[localhost]
subjectAltName = IP:127.0.0.1,DNS:localhost
extendedKeyUsage = serverAuth
basicConstraints = CA:FALSE
[otherhost]
subjectAltName = DNS:broker.example
extendedKeyUsage = serverAuth
basicConstraints = CA:FALSE
CNF
# issue NAME CN EXTENSIONS START END: a server certificate signed by the CA.
issue() {
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$2" \
		-keyout "$M/certs/$1.key" -out "$T/ca/$1.csr" 2>/dev/null
	openssl ca -batch -config "$T/ca/ca.cnf" -cert "$CA" -keyfile "$T/pki/ca.key" \
		-in "$T/ca/$1.csr" -out "$M/certs/$1.pem" -extensions "$3" -notext \
		-startdate "$4" -enddate "$5" > "$T/ca/$1.log" 2>&1 || fail "openssl ca: $(tail -1 "$T/ca/$1.log")"
}
ago() { date -u -d "$1" +%Y%m%d%H%M%SZ; }
issue expired 127.0.0.1 localhost "$(ago '-30 days')" "$(ago '-1 day')"
issue otherhost broker.example otherhost "$(ago '-1 day')" "$(ago '+30 days')"
cp "$M/certs/covmon-server.pem" "$M/certs/good.pem"
cp "$M/certs/covmon-server.key" "$M/certs/good.key"
v=$(openssl verify -CAfile "$CA" "$M/certs/expired.pem" 2>&1 || true)
case $v in *"certificate has expired"*) ;; *) fail "the expired certificate is not expired: $v" ;; esac
openssl verify -CAfile "$CA" "$M/certs/otherhost.pem" > /dev/null 2>&1 || fail "the other host's certificate does not verify"
v=$(openssl x509 -in "$M/certs/otherhost.pem" -noout -ext subjectAltName)
case $v in *127.0.0.1*|*localhost*) fail "the other host's certificate names this host: $v" ;; esac

# --- Accounts and the broker: the deploy config's global settings, and
# its password listener twice (agents; collector) on test ports.
cp "$D/mosquitto/covmon.acl" "$M/covmon.acl"
enroll() { "$D/enroll-agent" --pki "$T/pki" --passwd "$M/covmon.passwd" --acl "$M/covmon.acl" \
	--out "$T/enrolled" --host 127.0.0.1 --reload none "$@" >> "$T/enroll.log" 2>&1; }
enroll --collector collector || fail "enroll-agent --collector: $(tail -1 "$T/enroll.log")"
enroll --port "$AP" "$AGENT" lao-cai || fail "enroll-agent: $(tail -1 "$T/enroll.log")"
AGENT_PW=$(cat "$T/enrolled/$AGENT/agent.secret")
[ -n "$AGENT_PW" ] || fail "enroll-agent made no password"

# broker_conf CERT: the config with CERT on the agents' listener.
broker_conf() {
	sed -n '1,/^# Listeners/p' "$D/mosquitto/covmon.conf" | sed -e "s|/etc/mosquitto/|$M/|g"
	grep -q "^use_username_as_clientid true" "$D/mosquitto/covmon.conf" || fail "deploy conf changed"
	cat <<CONF
persistence_location $M/data/
log_dest stderr
listener $AP 127.0.0.1
protocol mqtt
certfile $M/certs/$1.pem
keyfile $M/certs/$1.key
cafile $M/ca_certificates/covmon-ca.pem
tls_version tlsv1.2
require_certificate false
use_username_as_clientid true
listener $CP 127.0.0.1
protocol mqtt
certfile $M/certs/good.pem
keyfile $M/certs/good.key
cafile $M/ca_certificates/covmon-ca.pem
tls_version tlsv1.2
require_certificate false
use_username_as_clientid true
CONF
}
chmod -R go+rX "$M"
if [ "$(id -u)" -eq 0 ] && id mosquitto >/dev/null 2>&1; then chown -R mosquitto "$M/data"; fi
# broker CERT: (re)starts mosquitto with CERT on the agents' listener.
# DOWN_SEQ: the agent's last spooled seq while no broker ran; the broker
# may hold samples up to it (PUBACKed, queued for the collector).
DOWN_SEQ=0
broker() {
	if [ -n "${BROKER_PID:-}" ]; then
		kill "$BROKER_PID" 2>/dev/null || true
		wait "$BROKER_PID" 2>/dev/null || true
		DOWN_SEQ=$(last_spooled)
	fi
	broker_conf "$1" > "$T/mosquitto.conf"
	echo "=== broker with $1.pem on the agents' listener" >> "$T/mosquitto.log"
	mosquitto -c "$T/mosquitto.conf" >> "$T/mosquitto.log" 2>&1 &
	BROKER_PID=$!; PIDS+=("$BROKER_PID")
	wait_for 10 bash -c "echo > /dev/tcp/127.0.0.1/$AP && echo > /dev/tcp/127.0.0.1/$CP" \
		|| fail "mosquitto did not start with $1.pem"
}

# --- The recording proxy: PX -> AP, each connection's client bytes kept
# (the first 64 KiB) in $T/wire/N.bin, N counting the connections that
# reached the broker.
cat > "$T/proxy.py" <<'PY'
import socket, sys, threading
lport, dport, outdir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", lport)); srv.listen(64)
def pump(a, b, rec):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            if rec is not None and rec.tell() < 65536:
                rec.write(d); rec.flush()
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try: s.shutdown(socket.SHUT_RDWR)
        except OSError: pass
n = 0
while True:
    c, _ = srv.accept()
    # Only connections that reached the broker count (and are recorded):
    # while it restarts, the proxy just closes the agent's.
    try:
        u = socket.create_connection(("127.0.0.1", dport), timeout=5); u.settimeout(None)
    except OSError:
        c.close(); continue
    n += 1
    rec = open("%s/%d.bin" % (outdir, n), "wb")
    threading.Thread(target=pump, args=(c, u, rec), daemon=True).start()
    threading.Thread(target=pump, args=(u, c, None), daemon=True).start()
PY
python3 "$T/proxy.py" "$PX" "$AP" "$T/wire" > "$T/proxy.log" 2>&1 &
PIDS+=("$!")
wait_for 10 bash -c "echo > /dev/tcp/127.0.0.1/$PX" || fail "proxy did not start"
# wire_check: every connection the agent opened began with a TLS handshake
# record and carried neither MQTT's protocol name nor the password in clear.
wire_check() {
	python3 - "$T/wire" "$AGENT_PW" <<'PY'
import os, sys
d, pw = sys.argv[1], sys.argv[2].encode()
n = bad = 0
for f in sorted(os.listdir(d)):
    b = open(os.path.join(d, f), "rb").read()
    if not b:
        continue
    n += 1
    if b[:2] != b"\x16\x03" or b"MQTT" in b or pw in b:
        bad += 1
        print("wire: connection %s: %r" % (f, b[:40]), file=sys.stderr)
print("%d %d" % (n, bad))
sys.exit(1 if bad else 0)
PY
}

broker expired

# --- The collector (-vv: a "stored AGENT seq N" line per sample), over TLS
# with its own account on the good listener.
HTTP_PORT=$(free_port)
# shellcheck disable=SC2034 # read by write_collector_conf (tests/lib.sh)
MQTT_PORT=$CP
write_collector_conf "$T/collector.conf" "$T/data" "$HTTP_PORT"
sed -i "s|^client_id = .*|client_id = collector\nusername = collector\npassword_file = $T/enrolled/collector/collector.secret\ntls_ca = $CA|" "$T/collector.conf"
start_collector "$T/collector.conf" "$T/collector.log" -vv
wait_for 15 bash -c "curl -sf http://127.0.0.1:$HTTP_PORT/metrics | grep -q '^covmon_mqtt_connected 1'" \
	|| fail "collector not connected over TLS"

# --- The agent: TLS through the proxy, 1 s interval, -vv (a "sample N ...
# spooled" line per sample).
write_agent() {  # write_agent INTERVAL
	cat > "$T/agent.conf" <<CONF
[agent]
id = $AGENT
province = lao-cai
interval = $1
spool_dir = $T/spool
start_delay = 0
[mqtt]
host = 127.0.0.1
port = $PX
username = $AGENT
password_file = $T/enrolled/$AGENT/agent.secret
tls_ca = $CA
keepalive = 5
ack_timeout = 3
[probe.tcp]
targets = 127.0.0.1:$HTTP_PORT
timeout_ms = 500
CONF
}
write_agent 1
# Belt and braces to (a) and (b): nothing in the agent or the collector
# turns verification off, and the one client set-up (common/mqtt_client.c)
# asks for it.
if grep -nE "tls_insecure_set\([^)]*(true|1)\)|tls_opts_set\([^,]*, *0|MOSQ_OPT_TLS_INSECURE|SSL_VERIFY_NONE" \
	"$COVMON_SRC"/agent/*.c "$COVMON_SRC"/collector/*.c "$COVMON_SRC"/common/*.c; then
	fail "the agent's or the collector's source turns TLS verification off somewhere"
fi
grep -q 'mosquitto_tls_opts_set(mosq, 1, "tlsv1.2"' "$COVMON_SRC/common/mqtt_client.c" \
	&& grep -q 'mosquitto_tls_insecure_set(mosq, false)' "$COVMON_SRC/common/mqtt_client.c" \
	|| fail "common/mqtt_client.c does not ask for peer and host name verification"
: > "$T/agent.log"
start_agent() {
	"$COVMON_BUILD/covmon-agent" -c "$T/agent.conf" -vv >> "$T/agent.log" 2>&1 &
	AGENT_PID=$!; PIDS+=("$AGENT_PID")
}
stop_agent() {
	kill -TERM "$AGENT_PID" 2>/dev/null || true
	wait "$AGENT_PID" 2>/dev/null || true
}
count() { grep -c -- "$1" "${2:-$T/agent.log}" || true; }
# The last seq the agent spooled; the highest seq the collector stored.
last_spooled() { awk 'match($0, /: sample [0-9]+: [0-9]+ bytes spooled/) { n = split(substr($0, RSTART, RLENGTH), f, /[ :]+/); s = f[3] } END { print s + 0 }' "$T/agent.log"; }
max_stored() { stored_upto "$T/collector.log"; }
stored_upto() { awk -v a="$AGENT" '$3 == "stored" && $4 == a && $6 > m { m = $6 } END { print m + 0 }' "$1"; }
export -f stored_upto
export AGENT
connected() { count "mqtt 127.0.0.1:$PX: connected"; }
broker_logins() { count "as $AGENT (" "$T/mosquitto.log"; }
# refused_begin, then refused_end WHAT SECONDS ERROR_RE BROKER_RE: the
# agent is refused for SECONDS while it spools (counted from
# refused_begin); then the good certificate comes back and the spool
# delivers what was made meanwhile.
refused_begin() {
	c0=$(connected); e0=$(grep -cE "$1" "$T/agent.log" || true)
	b0=$(broker_logins); s0=$(max_stored); w0=$(find "$T/wire" -mindepth 1 -maxdepth 1 | wc -l)
	br0=$(grep -cE "$2" "$T/mosquitto.log" || true)
	t_begin=$(date +%s.%N)
}
refused_end() {
	local what=$1 secs=$2 err_re=$3 broker_re=$4
	local c1 e1 b1 s1 w1 br1 attempts made t0 el
	sleep "$(python3 -c "print(max(0, $t_begin + $secs - $(date +%s.%N)))")"
	made=$(last_spooled)
	c1=$(connected); e1=$(grep -cE "$err_re" "$T/agent.log" || true)
	b1=$(broker_logins); s1=$(max_stored); w1=$(find "$T/wire" -mindepth 1 -maxdepth 1 | wc -l)
	br1=$(grep -cE "$broker_re" "$T/mosquitto.log" || true)
	attempts=$((w1 - w0))
	kill -0 "$AGENT_PID" || fail "$what: the agent died"
	[ "$c1" = "$c0" ] || fail "$what: the agent connected ($((c1 - c0)) times)"
	[ "$b1" = "$b0" ] || fail "$what: the broker logged $AGENT in ($((b1 - b0)) times)"
	[ "$attempts" -ge 2 ] || fail "$what: only $attempts connection attempts in $secs s"
	# The last attempt's handshake may still be under way (its connection
	# is on the wire, its error not yet logged): give it a moment.
	local tries=0
	while { [ $((e1 - e0)) -lt "$attempts" ] || [ $((br1 - br0)) -lt "$attempts" ]; } &&
	    [ $tries -lt 40 ]; do
		sleep 0.25
		tries=$((tries + 1))
		e1=$(grep -cE "$err_re" "$T/agent.log" || true)
		br1=$(grep -cE "$broker_re" "$T/mosquitto.log" || true)
	done
	[ $((e1 - e0)) -ge "$attempts" ] || fail "$what: $((e1 - e0)) TLS verification errors (/$err_re/) in the agent's log for $attempts attempts"
	[ $((br1 - br0)) -ge "$attempts" ] || fail "$what: the broker logged $((br1 - br0)) handshakes failed by the client (/$broker_re/) for $attempts attempts"
	# What the old broker had taken may still arrive; nothing made after.
	[ "$DOWN_SEQ" -gt "$s0" ] && s0=$DOWN_SEQ
	[ "$s1" -le "$s0" ] || fail "$what: samples made while refused were stored (max seq $s1, refused from seq $((s0 + 1)))"
	[ "$made" -ge $((s0 + 3)) ] || fail "$what: the agent made only $((made - s0)) samples while refused"
	wire_check > /dev/null || fail "$what: something left the agent in clear"
	echo "  $what: $attempts connection attempts in $secs s, each refused by the agent" \
		"(log: '$(grep -oE "$err_re" "$T/agent.log" | tail -1)' x$((e1 - e0)));" \
		"broker: '$(grep -oE "$broker_re" "$T/mosquitto.log" | tail -1)' x$((br1 - br0)), no login;" \
		"collector: stored none of seqs $((s0 + 1))..$made, spooled meanwhile"
	t0=$(date +%s.%N)
	broker good
	wait_for 40 bash -c "[ \$(stored_upto $T/collector.log) -ge $made ]" \
		|| fail "$what: the spooled samples were not delivered after the good certificate came back (stored up to $(max_stored), made $made)"
	el=$(python3 -c "print('%.1f' % ($(date +%s.%N) - $t0))")
	pass "$what refused; good certificate back: seqs $((s0 + 1))..$made (spooled while refused) stored within $el s"
}

# (a) An expired certificate, from the agent's first start: nothing goes
# out, the samples wait in the spool.
A_ERR="certificate verify failed"
A_BRK="alert certificate expired"
refused_begin "$A_ERR" "$A_BRK"
start_agent
refused_end "(a) expired server certificate" 6 "$A_ERR" "$A_BRK"

# (b) The broker comes back with a certificate for another host name;
# libmosquitto checks the name (the agent never sets tls_insecure).
sleep 2
B_ERR="host name verification failed"
B_BRK="OpenSSL Error.*alert [a-z ]*"
refused_begin "$B_ERR" "$B_BRK"
broker otherhost
refused_end "(b) certificate for broker.example, agent connecting to 127.0.0.1" 6 "$B_ERR" "$B_BRK"

# (c) 1,000 bad logins while the agent publishes.
sleep 2
cat > "$T/badlogins.py" <<'PY'
# 1,000 MQTT 3.1.1 CONNECTs over TLS with wrong passwords, in 4 workers,
# paced at RATE per second (unpaced they take under a second here, less
# than the agent's interval): prints "refused accepted errors seconds";
# every CONNACK code counted.
import collections, socket, ssl, struct, sys, threading, time
port, ca, agent, rate = int(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
N, W = 1000, 4
ctx = ssl.create_default_context(cafile=ca)
res = collections.Counter()
lock = threading.Lock()
def s16(b): return struct.pack(">H", len(b)) + b
def connect_packet(cid, user, pw):
    vh = s16(b"MQTT") + bytes([4, 0xC2]) + struct.pack(">H", 10)
    body = vh + s16(cid) + s16(user) + s16(pw)
    rl, enc = len(body), b""
    while True:
        d, rl = rl % 128, rl // 128
        enc += bytes([d | (0x80 if rl else 0)])
        if not rl: break
    return b"\x10" + enc + body
def worker(w):
    for i in range(w, N, W):
        time.sleep(max(0, t0 + i / rate - time.time()))
        # Half guess the agent's password (with its client id), a quarter the
        # collector's, a quarter names nobody has.
        user = agent if i % 2 == 0 else ("collector" if i % 4 == 1 else "nobody-%d" % i)
        cid = agent if i % 2 == 0 else "bad-%d" % i
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                    s.sendall(connect_packet(cid.encode(), user.encode(), b"wrong-%d" % i))
                    b = b""
                    while len(b) < 4:
                        d = s.recv(4 - len(b))
                        if not d: break
                        b += d
            k = ("connack-%d" % b[3]) if len(b) == 4 and b[0] == 0x20 else "no-connack"
        except (OSError, ssl.SSLError) as e:
            k = "error-" + type(e).__name__
        with lock:
            res[k] += 1
t0 = time.time()
ts = [threading.Thread(target=worker, args=(w,)) for w in range(W)]
for t in ts: t.start()
for t in ts: t.join()
dt = time.time() - t0
accepted = res["connack-0"]
refused = sum(v for k, v in res.items() if k.startswith("connack-") and k != "connack-0")
print("%d %d %d %.1f %s" % (refused, accepted, N - refused - accepted, dt, dict(res)))
PY
c0=$(connected); r0=$(count "reconnecting"); st0=$(metric covmon_samples_stored_total)
seq0=$(last_spooled); na0=$(count "not authorised" "$T/mosquitto.log")
read -r refused accepted errors secs detail < <(timeout 120 python3 "$T/badlogins.py" "$AP" "$CA" "$AGENT" 100)
seq1=$(last_spooled)
echo "  bad logins: refused=$refused accepted=$accepted errors=$errors in ${secs} s ($detail)"
[ "$accepted" = 0 ] || fail "$accepted bad logins accepted"
[ "$refused" = 1000 ] || fail "only $refused of 1000 bad logins got a refusal ($errors without a CONNACK)"
wait_for 10 bash -c "[ \$(grep -c 'not authorised' $T/mosquitto.log) -ge $((na0 + 1000)) ]" || true
na=$(( $(count "not authorised" "$T/mosquitto.log") - na0 ))
[ "$na" = 1000 ] || fail "the broker logged $na refusals, not 1000"
[ "$(connected)" = "$c0" ] && [ "$(count "reconnecting")" = "$r0" ] \
	|| fail "the agent lost its connection during the bad logins"
wait_for 20 bash -c "[ \$(stored_upto $T/collector.log) -ge $seq1 ]" \
	|| fail "the agent's samples made during the bad logins were not stored"
during=$(awk -v a="$AGENT" -v lo="$seq0" -v hi="$seq1" '$3 == "stored" && $4 == a && $6 > lo && $6 <= hi && !s[$6]++ { n++ } END { print n + 0 }' "$T/collector.log")
[ "$during" = $((seq1 - seq0)) ] && [ "$during" -ge 1 ] || fail "agent made $((seq1 - seq0)) during the bad logins, stored $during"
st1=$(metric covmon_samples_stored_total)
pass "1000 bad logins refused in $secs s (broker logged 1000 'not authorised'); agent stayed connected, stored $during/$((seq1 - seq0)) samples made meanwhile; collector stored $st0 -> $st1"

# --- The end: the agent restarted with an hour's interval drains its
# spool and makes nothing more; then the ledger check over every seq.
stop_agent
write_agent 3600
start_agent
wait_for 10 bash -c "grep -q 'probing every 3600 s' $T/agent.log" || fail "agent did not restart"
last=$(awk 'match($0, /next seq [0-9]+/) { n = substr($0, RSTART + 9, RLENGTH - 9) - 1 } END { print n + 0 }' "$T/agent.log")
wait_for 30 bash -c "[ \$(stored_upto $T/collector.log) -ge $last ]" \
	|| fail "the agent's last samples were not stored (stored up to $(max_stored) of $last)"
sleep 1
stop_agent
ledger agent --id "$AGENT" --fleet-out "$T/fleet.csv" "$T/agent.log" || fail "the agent's own ledger"
ledger check --fleet "$T/fleet.csv" "$T/collector.log" || fail "ledger check"
ledger identity "http://127.0.0.1:$HTTP_PORT/metrics" || fail "counters do not add up"
read -r nconn _ < <(wire_check) || fail "something left the agent in clear"
pass "ledger: seqs 1..$last made by the agent, each stored exactly once; $nconn connections from the agent on the wire, all TLS from the first byte, no password or MQTT header in clear"
stop_collector
no_crash "$T/collector.log" "$T/agent.log"
kill -0 "$BROKER_PID" || fail "the broker died"
