#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Revocation through the site CA's CRL (issue 17), with the real broker on
# the shipped config (crlfile on the certificate listener): after
# `enroll-agent --revoke` and the broker's reload (SIGHUP), a revoked
# certificate is refused at the TLS handshake while another certificate
# still connects; a revoked password account is refused (and its open
# session closed); a certificate session left open can no longer read or
# write (its ACL lines are gone). Rotation: after `--force --cert` the old
# certificate is refused and the new one connects; after `--force` to a
# password, the old certificate is refused too.
# shellcheck disable=SC1091
. "$(dirname "$0")/../lib.sh"
# shellcheck disable=SC1091
. "$(dirname "$0")/deploy_lib.sh"

E=$T/enrolled
for a in c-gone c-keep c-rot c-topw; do
	enroll --cert "$a" lao-cai > /dev/null 2>> "$T/enroll.log" || fail "enroll-agent --cert $a"
done
enroll p-gone lao-cai > /dev/null 2>> "$T/enroll.log" || fail "enroll-agent p-gone"
deploy_broker
: > "$T/coll.out"
coll_sub "$T/coll.out" 'covmon/v1/+/+/sample'

# cert_ok NAME TAG [CERT KEY]: NAME's certificate connects and its sample
# TAG reaches the collector.
cert_ok() {
	local c=${3:-$E/$1/$1.pem} k=${4:-$E/$1/$1.key}
	cpub "$c" "$k" "covmon/v1/lao-cai/$1/sample" "$2" 2>> "$T/pub.log" \
		|| fail "$1's certificate was refused ($2): $(tail -1 "$T/pub.log")"
	wait_for 10 grep -q "$1/sample $2\$" "$T/coll.out" || fail "the collector did not get $1's sample $2"
}
# cert_refused NAME TAG CERT KEY: the broker refuses the certificate at
# the handshake (its log says so) and nothing reaches the collector.
cert_refused() {
	local n
	n=$(grep -c "certificate verify failed" "$T/mosquitto.log" || true)
	if cpub "$3" "$4" "covmon/v1/lao-cai/$1/sample" "$2" 2> "$T/refused.log"; then
		fail "$1's certificate ($2) was accepted"
	fi
	wait_for 5 bash -c "[ \$(grep -c 'certificate verify failed' '$T/mosquitto.log') -gt $n ]" \
		|| fail "$1 ($2): no refused handshake in the broker's log ($(tail -1 "$T/refused.log"))"
}

for a in c-gone c-keep c-rot c-topw; do cert_ok "$a" before; done
ppub p-gone covmon/v1/lao-cai/p-gone/sample before || fail "p-gone refused before its revocation"
wait_for 10 grep -q "p-gone/sample before$" "$T/coll.out" || fail "the collector did not get p-gone's sample"
pass "before: 4 certificate agents and 1 password agent connect; the collector got $(grep -c '/sample before$' "$T/coll.out") samples"

# Sessions open across the revocation: c-gone reading its acks, p-gone
# subscribed too.
timeout 60 mosquitto_sub -h 127.0.0.1 -p "$CERT_PORT" --cafile "$CA" --cert "$E/c-gone/c-gone.pem" \
	--key "$E/c-gone/c-gone.key" -q 1 -v -t covmon/v1/lao-cai/c-gone/ack > "$T/c-gone.out" 2> "$T/c-gone-sub.log" &
CG_SUB=$!; PIDS+=("$CG_SUB")
timeout 60 mosquitto_sub -h 127.0.0.1 -p "$PW_PORT" --cafile "$CA" -u p-gone -P "$(secret p-gone)" \
	-q 1 -v -t covmon/v1/lao-cai/p-gone/ack > "$T/p-gone.out" 2> "$T/p-gone-sub.log" &
PG_SUB=$!; PIDS+=("$PG_SUB")
wait_for 10 bash -c "grep -q 'as c-gone ' '$T/mosquitto.log' && [ \$(grep -c 'as p-gone ' '$T/mosquitto.log') -ge 2 ]" \
	|| fail "the open sessions did not connect"
for _ in $(seq 50); do
	ppub ops covmon/v1/lao-cai/c-gone/ack '{"v":1,"seq":1}' || fail "ops ack"
	grep -q '"seq":1' "$T/c-gone.out" && break
	sleep 0.2
done
grep -q '"seq":1' "$T/c-gone.out" || fail "c-gone's open session got no ack before the revocation"

# --- Revocation: certificate and password accounts.
serial=$(openssl x509 -in "$E/c-gone/c-gone.pem" -noout -serial | sed 's/^serial=//')
cp "$E/c-gone/c-gone.pem" "$E/c-gone/c-gone.key" "$T/"
cp "$E/p-gone/agent.secret" "$T/p-gone.secret"
t0=$(date +%s%N)
enroll_reloaded --revoke c-gone
enroll_reloaded --revoke p-gone
t1=$(date +%s%N)
openssl crl -in "$M/ca_certificates/covmon-crl.pem" -noout -text | grep -q "Serial Number: $serial" \
	|| fail "the broker's CRL does not list c-gone's serial $serial"
v=$(openssl verify -crl_check -CAfile "$CA" -CRLfile "$M/ca_certificates/covmon-crl.pem" "$T/c-gone.pem" 2>&1 || true)
case $v in *"certificate revoked"*) ;; *) fail "openssl verify with the CRL: $v" ;; esac
grep -q "^p-gone:" "$M/covmon.passwd" && fail "p-gone's password is still in the password file"
grep -q "c-gone\|p-gone" "$M/covmon.acl" && fail "the ACL still names a revoked account: $(grep 'c-gone\|p-gone' "$M/covmon.acl")"
[ -e "$E/c-gone/c-gone.key" ] || [ -e "$E/p-gone/agent.secret" ] && fail "a revoked account's secret is still in the enrolled files"
pass "enroll-agent --revoke c-gone and p-gone, broker reloaded, in $(( (t1 - t0) / 1000000 )) ms: serial $serial in the CRL (openssl verify: revoked), password and ACL lines gone"

cert_refused c-gone after "$T/c-gone.pem" "$T/c-gone.key"
cert_ok c-keep after
if timeout 10 mosquitto_pub -h 127.0.0.1 -p "$PW_PORT" --cafile "$CA" -u p-gone -P "$(cat "$T/p-gone.secret")" \
	-q 1 -t covmon/v1/lao-cai/p-gone/sample -m after 2> "$T/p-refused.log"; then
	fail "p-gone's password still works"
fi
grep -q "not authori[sz]ed" "$T/p-refused.log" || fail "p-gone: $(cat "$T/p-refused.log")"
wait_for 10 bash -c "! kill -0 $PG_SUB" || fail "p-gone's open session was not closed by the reload"
pass "after the reload: c-gone's certificate refused at the handshake, c-keep's accepted; p-gone's password refused ($(head -1 "$T/p-refused.log")); p-gone's open session closed"

# c-gone's session, opened before the CRL changed, survives the reload
# (mosquitto checks certificates at the handshake only) but its ACL lines
# are gone: an ack to it is not delivered, its publishes go nowhere.
ppub ops covmon/v1/lao-cai/c-gone/ack '{"v":1,"seq":2}' || fail "ops ack"
sync_coll "$T/coll.out"
sleep 0.5
grep -q '"seq":2' "$T/c-gone.out" && fail "c-gone's open session still reads its acks after the revocation"
if kill -0 "$CG_SUB" 2>/dev/null; then
	state="still connected, read nothing"
else
	state="closed by the broker"
fi
grep -q "c-gone/sample after" "$T/coll.out" && fail "a revoked certificate's sample reached the collector"
pass "c-gone's session opened before the revocation: $state (acks after it: $(grep -c '"seq":2' "$T/c-gone.out"))"

# --- Rotation: --force --cert revokes the old certificate.
cp "$E/c-rot/c-rot.pem" "$T/c-rot.old.pem"; cp "$E/c-rot/c-rot.key" "$T/c-rot.old.key"
enroll_reloaded --force --cert c-rot lao-cai
cmp -s "$T/c-rot.old.pem" "$E/c-rot/c-rot.pem" && fail "--force --cert c-rot kept the old certificate"
cert_refused c-rot old-after-rotation "$T/c-rot.old.pem" "$T/c-rot.old.key"
cert_ok c-rot new-after-rotation
pass "rotation (--force --cert c-rot): old certificate refused, new one connects and its sample arrives"

# --- A certificate replaced by a password: the certificate goes too.
cp "$E/c-topw/c-topw.pem" "$T/c-topw.old.pem"; cp "$E/c-topw/c-topw.key" "$T/c-topw.old.key"
enroll_reloaded --force c-topw lao-cai
cert_refused c-topw old-cert "$T/c-topw.old.pem" "$T/c-topw.old.key"
ppub c-topw covmon/v1/lao-cai/c-topw/sample with-password || fail "c-topw's new password was refused"
wait_for 10 grep -q "c-topw/sample with-password$" "$T/coll.out" || fail "c-topw's sample did not arrive"
pass "certificate -> password (--force c-topw): old certificate refused, the password works"

revoked=$(openssl crl -in "$M/ca_certificates/covmon-crl.pem" -noout -text | grep -c "Serial Number")
[ "$revoked" = 3 ] || fail "the CRL lists $revoked certificates (3 expected: c-gone, c-rot's old, c-topw's old)"
kill -0 "$BROKER_PID" || fail "the broker died"
pass "CRL: $revoked revoked of $(grep -c . "$T/pki/index.txt") certificates issued; broker log: $(grep -c 'certificate verify failed' "$T/mosquitto.log") handshakes refused, $(grep -c 'Reloading config' "$T/mosquitto.log") reloads"
