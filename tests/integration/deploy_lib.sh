# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced after lib.sh by the tests of the province broker as deployed
# (deploy/make-ca, deploy/enroll-agent, deploy/mosquitto/): the site CA in
# $T/pki, the broker's files in $M (laid out like /etc/mosquitto), enroll
# with every path pointed at them, and the shipped covmon.conf run with
# only its paths and ports rewritten. Not a test itself (no test_ prefix).
need mosquitto mosquitto_pub mosquitto_sub mosquitto_passwd openssl

D=$COVMON_SRC/deploy
chmod 755 "$T"
M=$T/mosq
mkdir -p "$M/data"
CA=$T/pki/ca.pem
"$D/make-ca" --pki "$T/pki" --mosquitto-dir "$M" 127.0.0.1 localhost > "$T/make-ca.log" 2>&1 \
	|| fail "make-ca: $(tail -1 "$T/make-ca.log")"
cp "$D/mosquitto/covmon.acl" "$M/covmon.acl"

# enroll ARGS...: deploy/enroll-agent on the test's files; the broker is
# reloaded by SIGHUP to its pid once it runs (never a system mosquitto).
enroll() {
	local r=none
	[ -z "${BROKER_PID:-}" ] || r=pid:$BROKER_PID
	"$D/enroll-agent" --pki "$T/pki" --passwd "$M/covmon.passwd" --acl "$M/covmon.acl" \
		--crl "$M/ca_certificates/covmon-crl.pem" --out "$T/enrolled" --host 127.0.0.1 \
		--reload "$r" "$@"
}

# The collector's account, and a second collector account ('ops') the
# tests publish acks and markers with.
enroll --collector collector > /dev/null 2>> "$T/enroll.log" || fail "enroll-agent --collector collector"
enroll --collector ops > /dev/null 2>> "$T/enroll.log" || fail "enroll-agent --collector ops"

# enroll_reloaded ARGS...: enroll, then wait until the broker has reloaded.
enroll_reloaded() {
	local n
	n=$(grep -c "Reloading config" "$T/mosquitto.log" || true)
	enroll "$@" > /dev/null 2>> "$T/enroll.log" || fail "enroll-agent $*: $(tail -1 "$T/enroll.log")"
	wait_for 10 bash -c "[ \$(grep -c 'Reloading config' '$T/mosquitto.log') -gt $n ]" \
		|| fail "the broker did not reload after enroll-agent $*"
}

# deploy_broker: the shipped covmon.conf on two loopback ports, PW_PORT
# (password listener) and CERT_PORT (certificate listener, with crlfile);
# sets BROKER_PID.
deploy_broker() {
	PW_PORT=$(free_port)
	CERT_PORT=$(free_port)
	while [ "$CERT_PORT" = "$PW_PORT" ]; do CERT_PORT=$(free_port); done
	sed -e "s|/etc/mosquitto/|$M/|g" \
		-e "s|^listener 8883\$|listener $PW_PORT 127.0.0.1|" \
		-e "s|^listener 8884\$|listener $CERT_PORT 127.0.0.1|" \
		"$D/mosquitto/covmon.conf" > "$T/mosquitto.conf"
	if ! grep -q "^listener $PW_PORT 127.0.0.1$" "$T/mosquitto.conf" \
		|| ! grep -q "^listener $CERT_PORT 127.0.0.1$" "$T/mosquitto.conf"; then
		fail "the deploy config's listeners were not where the test expected them"
	fi
	[ "$(sed -n "/^listener $CERT_PORT /,\$p" "$T/mosquitto.conf" | grep -c "^crlfile $M/ca_certificates/covmon-crl.pem$")" = 1 ] \
		|| fail "the deploy config sets no crlfile on the certificate listener"
	printf 'persistence_location %s/data/\nlog_dest stderr\n' "$M" >> "$T/mosquitto.conf"
	chmod -R go+rX "$M"
	if [ "$(id -u)" -eq 0 ] && id mosquitto >/dev/null 2>&1; then chown mosquitto "$M/data"; fi
	mosquitto -c "$T/mosquitto.conf" > "$T/mosquitto.log" 2>&1 &
	BROKER_PID=$!
	PIDS+=("$BROKER_PID")
	wait_for 10 bash -c "echo > /dev/tcp/127.0.0.1/$PW_PORT && echo > /dev/tcp/127.0.0.1/$CERT_PORT" \
		|| fail "mosquitto did not start with the deploy config"
}

# secret NAME: the password enroll-agent made for NAME.
secret() { cat "$T/enrolled/$1/"*.secret; }

# ppub USER TOPIC MESSAGE [mosquitto_pub args]: publish with USER's
# password on the password listener (QoS 1).
ppub() {
	local u=$1 t=$2 m=$3; shift 3
	timeout 10 mosquitto_pub -h 127.0.0.1 -p "$PW_PORT" --cafile "$CA" -u "$u" -P "$(secret "$u")" \
		-q 1 -t "$t" -m "$m" "$@"
}

# cpub CERT KEY TOPIC MESSAGE [mosquitto_pub args]: publish with a client
# certificate on the certificate listener (QoS 1).
cpub() {
	local c=$1 k=$2 t=$3 m=$4; shift 4
	timeout 10 mosquitto_pub -h 127.0.0.1 -p "$CERT_PORT" --cafile "$CA" --cert "$c" --key "$k" \
		-q 1 -t "$t" -m "$m" "$@"
}

# coll_sub OUT TOPIC...: the collector account subscribed (in the
# background, verbose) to TOPIC...; sets COLL_SUB. One account is one
# client id: a second one replaces the first. Returns once the
# subscription is in place: the 'ops' collector account's summary on
# covmon/v1/sync/summary has reached it.
coll_sub() {
	local out=$1; shift
	local args=(-t covmon/v1/sync/summary)
	for t in "$@"; do args+=(-t "$t"); done
	timeout 120 mosquitto_sub -h 127.0.0.1 -p "$PW_PORT" --cafile "$CA" -u collector \
		-P "$(secret collector)" -q 1 -v "${args[@]}" >> "$out" 2>> "$T/coll-sub.log" &
	COLL_SUB=$!
	PIDS+=("$COLL_SUB")
	SYNC=$((${SYNC:-0} + 1))
	for _ in $(seq 50); do
		ppub ops covmon/v1/sync/summary "sync-$SYNC" > /dev/null 2>&1 || true
		grep -q "sync-$SYNC\$" "$out" && return 0
		sleep 0.2
	done
	fail "the collector's subscriber got nothing in 10 s"
}

# sync_coll OUT: a marker through the broker to the collector's subscriber:
# whatever was published before it has been delivered (or dropped).
sync_coll() {
	SYNC=$((${SYNC:-0} + 1))
	ppub ops covmon/v1/sync/summary "sync-$SYNC" || fail "ops could not publish the marker"
	wait_for 10 grep -q "sync-$SYNC\$" "$1" || fail "the marker did not reach the collector"
}
