#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# deploy/bridge run for real: a Lao Cai province broker (the production
# covmon.conf + covmon.acl + province-lao-cai.conf) bridged over TLS to a
# national broker (covmon.conf + national.acl), with the collector-north
# account (provinces = lao-cai) there. An agent's sample on the province
# broker reaches the national collector, its ack comes back to the agent,
# and collector-south (thai-nguyen) sees none of it.
. "$(dirname "$0")/../lib.sh"
need mosquitto mosquitto_pub mosquitto_sub mosquitto_passwd openssl

D=$COVMON_SRC/deploy
chmod 755 "$T"
N=$T/national; P=$T/province
mkdir -p "$N/data" "$P/data"
NAT_PORT=$(free_port); PROV_PORT=$(free_port)
"$D/make-ca" --pki "$T/pki" --mosquitto-dir "$N" 127.0.0.1 > /dev/null
"$D/make-ca" --pki "$T/pki" --mosquitto-dir "$P" 127.0.0.1 > /dev/null
cp "$D/bridge/national.acl" "$N/covmon.acl"
cp "$D/mosquitto/covmon.acl" "$P/covmon.acl"
en() { local dir=$1; shift; "$D/enroll-agent" --pki "$T/pki" --passwd "$dir/covmon.passwd" --acl "$dir/covmon.acl" \
	--out "$dir/enrolled" --host 127.0.0.1 --reload none "$@" > /dev/null 2>> "$T/enroll.log"; }
en "$N" --collector bridge-lao-cai
en "$N" --collector collector-north
en "$N" --collector collector-south
en "$P" --port "$PROV_PORT" lc-a lao-cai
[ "$(grep -c '^user ' "$N/covmon.acl")" = "$(grep -c '^user ' "$D/bridge/national.acl")" ] \
	|| fail "enroll-agent appended ACL blocks for accounts national.acl already has"

broker() {  # broker DIR PORT [extra file]
	sed -e "s|/etc/mosquitto/|$1/|g" -e "s|^listener 8883\$|listener $2 127.0.0.1|" \
		-e '/^listener 8884$/,$d' "$D/mosquitto/covmon.conf" > "$1/mosquitto.conf"
	printf 'persistence_location %s/data/\nlog_dest stderr\n' "$1" >> "$1/mosquitto.conf"
	[ $# -lt 3 ] || cat "$3" >> "$1/mosquitto.conf"
	chmod -R go+rX "$1"
	if [ "$(id -u)" -eq 0 ] && id mosquitto >/dev/null 2>&1; then chown mosquitto "$1/data"; fi
	mosquitto -c "$1/mosquitto.conf" > "$1.log" 2>&1 &
	PIDS+=("$!")
	wait_for 10 bash -c "echo > /dev/tcp/127.0.0.1/$2" || fail "mosquitto ($1) did not start"
}
broker "$N" "$NAT_PORT"
sed -e "s|^address .*|address 127.0.0.1:$NAT_PORT|" \
	-e "s|/etc/mosquitto/ca_certificates/national-ca.pem|$P/ca_certificates/covmon-ca.pem|" \
	-e "s|^remote_password .*|remote_password $(cat "$N/enrolled/bridge-lao-cai/collector.secret")|" \
	"$D/bridge/province-lao-cai.conf" > "$T/bridge.conf"
broker "$P" "$PROV_PORT" "$T/bridge.conf"
wait_for 15 grep -q "as bridge-lao-cai" "$N.log" || fail "the bridge did not connect to the national broker"
pass "province broker bridged to the national broker over TLS as bridge-lao-cai"

sub() {  # sub DIR PORT USER OUT TOPIC...
	local dir=$1 port=$2 user=$3 out=$4; shift 4
	local args=()
	for t in "$@"; do args+=(-t "$t"); done
	timeout 40 mosquitto_sub -h 127.0.0.1 -p "$port" --cafile "$T/pki/ca.pem" -u "$user" \
		-P "$(cat "$dir/enrolled/$user/"*.secret)" -q 1 -v "${args[@]}" > "$out" 2>> "$T/sub.log" &
	PIDS+=("$!")
}
sub "$N" "$NAT_PORT" collector-north "$T/north.out" 'covmon/v1/lao-cai/+/sample' 'covmon/v1/lao-cai/+/state'
sub "$N" "$NAT_PORT" collector-south "$T/south.out" 'covmon/v1/+/+/sample' 'covmon/v1/+/+/state'
sleep 1
A_PW=$(cat "$P/enrolled/lc-a/agent.secret")
timeout 10 mosquitto_pub -h 127.0.0.1 -p "$PROV_PORT" --cafile "$T/pki/ca.pem" -u lc-a -P "$A_PW" -q 1 \
	-t covmon/v1/lao-cai/lc-a/sample -m '{"v":1,"agent":"lc-a","seq":1}' || fail "agent publish"
wait_for 10 grep -q "lc-a/sample" "$T/north.out" || fail "the sample did not reach collector-north through the bridge"
pass "agent sample on the province broker reached collector-north on the national broker"

# One account is one client id: the agent's listener starts after its
# publisher has gone (as the agent does both on one connection).
sub "$P" "$PROV_PORT" lc-a "$T/agent.out" 'covmon/v1/lao-cai/lc-a/ack'
sleep 1

NORTH_PW=$(cat "$N/enrolled/collector-north/collector.secret")
timeout 10 mosquitto_pub -h 127.0.0.1 -p "$NAT_PORT" --cafile "$T/pki/ca.pem" -u collector-north -P "$NORTH_PW" \
	-q 1 -t covmon/v1/lao-cai/lc-a/ack -m '{"v":1,"seq":1}' || fail "collector-north ack"
wait_for 10 grep -q 'lc-a/ack {"v":1,"seq":1}' "$T/agent.out" || fail "the ack did not come back to the agent"
pass "collector-north's ack came back through the bridge to the agent"

# collector-south subscribed to every province's samples: its ACL block
# (thai-nguyen only) lets none of lao-cai's through.
sleep 1
[ -s "$T/south.out" ] && fail "collector-south got lao-cai traffic: $(head -2 "$T/south.out")"
pass "collector-south (thai-nguyen), subscribed to covmon/v1/+/+/sample, got none of lao-cai's"
