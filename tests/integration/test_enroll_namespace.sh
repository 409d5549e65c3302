#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# One namespace for agents, collectors and certificates (issue 17): with
# deploy/make-ca and deploy/enroll-agent on a test's files, a collector
# named like an agent is refused, and an agent named like a collector,
# whatever says the name is taken (a password, a certificate in the CA's
# database, ACL lines, the enrolled files), with or without --force, and
# after the account was revoked; each refusal exits 2, names the clash and
# writes nothing. Then the real broker (the shipped config): the agent
# certificate whose promotion to a collector was refused reads no sample
# and acks nobody, where the collector's account does.
# shellcheck disable=SC1091
. "$(dirname "$0")/../lib.sh"
# shellcheck disable=SC1091
. "$(dirname "$0")/deploy_lib.sh"

# The state enroll-agent writes: password file, ACL, CA database, CRL,
# enrolled files.
state() {
	cat "$M/covmon.passwd" "$M/covmon.acl" "$T/pki/index.txt" "$T/pki/serial" "$T/pki/crl.pem" \
		"$M/ca_certificates/covmon-crl.pem" 2>/dev/null | md5sum
	find "$T/enrolled" -type f -exec md5sum {} + | sort
}
# refused KIND_OF_CLASH ARGS...: enroll-agent ARGS must exit 2, name the
# clash, and leave every file as it was.
N_REFUSED=0
refused() {
	local clash=$1 rc=0 before; shift
	before=$(state)
	enroll "$@" > "$T/refused.out" 2> "$T/refused.err" || rc=$?
	[ $rc -eq 2 ] || fail "enroll-agent $* exited $rc (2 expected): $(cat "$T/refused.err")"
	grep -q "is already the name of $clash" "$T/refused.err" \
		|| fail "enroll-agent $*: the message does not name the clash: $(cat "$T/refused.err")"
	[ "$(state)" = "$before" ] || fail "enroll-agent $* was refused but changed files"
	N_REFUSED=$((N_REFUSED + 1))
}
ok_enroll() { enroll "$@" > /dev/null 2>> "$T/enroll.log" || fail "enroll-agent $*: $(tail -1 "$T/enroll.log")"; }

# --- agent -> collector: the issue's case, a device's certificate.
ok_enroll --cert site-42 lao-cai
for f in "" --force; do
	refused "an agent" $f --collector site-42
	refused "an agent" $f --cert --collector site-42
done
grep -q "its certificate in $T/pki/index.txt" "$T/refused.err" || fail "the clash message does not name the certificate"
ok_enroll lc-a lao-cai
for f in "" --force; do
	refused "an agent" $f --collector lc-a
	refused "an agent" $f --cert --collector lc-a
done
pass "agent -> collector: certificate agent site-42 and password agent lc-a, $N_REFUSED enrolments as collectors refused (exit 2, clash named, nothing written), with and without --force"

# --- collector -> agent: the shipped 'collector' block, a password
# collector, a certificate collector.
n0=$N_REFUSED
ok_enroll --cert --collector coll-c
for name in collector ops coll-c; do
	for f in "" --force; do
		refused "a collector" $f "$name" lao-cai
		refused "a collector" $f --cert "$name" lao-cai
	done
done
pass "collector -> agent: collector, ops (password) and coll-c (certificate), $((N_REFUSED - n0)) enrolments as agents refused, with and without --force"

# --- Each record alone keeps the name: the CA's database (ACL lines and
# enrolled files gone), the enrolled files (an agent whose certificate was
# signed before the CA had a database), the ACL (a hand-written agent
# block), a password with nothing else (an agent of the pattern-ACL days).
n0=$N_REFUSED
ok_enroll --cert only-ca lao-cai
sed -i '/only-ca/d' "$M/covmon.acl"
rm -rf "$T/enrolled/only-ca"
grep -q "CN=only-ca$" "$T/pki/index.txt" || fail "only-ca's certificate is not in the CA's database"
refused "an agent" --force --collector only-ca
mkdir -p "$T/enrolled/old-dev"
printf '[agent]\nid = old-dev\nprovince = lao-cai\n' > "$T/enrolled/old-dev/agent.conf"
refused "an agent" --force --collector old-dev
printf '\nuser hand-made\ntopic write covmon/v1/lao-cai/hand-made/sample\ntopic write covmon/v1/lao-cai/hand-made/state\ntopic read covmon/v1/lao-cai/hand-made/ack\n' >> "$M/covmon.acl"
refused "an agent" --force --collector hand-made
printf 'secret\nsecret\n' | mosquitto_passwd "$M/covmon.passwd" pw-only > /dev/null 2>&1
refused "an agent" --force --collector pw-only
pass "a name known only from the CA's database, the enrolled files, the ACL or the password file: $((N_REFUSED - n0)) promotions refused"

# --- After --revoke the name keeps its kind: the same kind may enrol it
# again, the other may not.
n0=$N_REFUSED
ok_enroll --revoke site-42
ok_enroll --revoke ops
refused "an agent" --force --collector site-42
refused "a collector" --force ops lao-cai
ok_enroll --cert site-42 lao-cai
ok_enroll --collector ops
pass "revoked agent site-42 and collector ops: $((N_REFUSED - n0)) changes of kind refused; each re-enrolled as its own kind"

# --- --force still rotates an account of the same kind.
cp "$T/enrolled/lc-a/agent.secret" "$T/lc-a.old"
ok_enroll --force lc-a lao-cai
cmp -s "$T/lc-a.old" "$T/enrolled/lc-a/agent.secret" && fail "--force lc-a kept the old password"
s0=$(grep -c "CN=site-42$" "$T/pki/index.txt")
ok_enroll --force --cert site-42 lao-cai
[ "$(grep -c "CN=site-42$" "$T/pki/index.txt")" = $((s0 + 1)) ] || fail "--force --cert site-42 issued no new certificate"
ok_enroll --force --collector ops
[ "$(grep -c '^user ' "$M/covmon.acl")" = "$(grep '^user ' "$M/covmon.acl" | sort -u | wc -l)" ] \
	|| fail "the ACL has duplicate user blocks: $(grep '^user ' "$M/covmon.acl" | sort | uniq -d)"
pass "same kind with --force: agent lc-a's password, site-42's certificate and collector ops rotated; $(grep -c '^user ' "$M/covmon.acl") user blocks, none twice"

# --- The broker: site-42's certificate is still an agent's.
deploy_broker
ok_enroll lc-b lao-cai   # reloads the broker
wait_for 10 grep -q "Reloading config" "$T/mosquitto.log" || fail "no reload"
S=$T/enrolled/site-42
timeout 60 mosquitto_sub -h 127.0.0.1 -p "$CERT_PORT" --cafile "$CA" --cert "$S/site-42.pem" --key "$S/site-42.key" \
	-q 1 -v -t 'covmon/v1/+/+/sample' -t 'covmon/v1/+/+/state' -t 'covmon/v1/#' > "$T/site42.out" 2> "$T/site42-sub.log" &
PIDS+=("$!")
wait_for 10 grep -q "as site-42 " "$T/mosquitto.log" || fail "site-42 did not connect with its certificate"
: > "$T/coll.out"
coll_sub "$T/coll.out" 'covmon/v1/+/+/sample' 'covmon/v1/+/+/state' 'covmon/v1/+/summary'
for i in 1 2 3; do ppub lc-b covmon/v1/lao-cai/lc-b/sample "lc-b-$i" || fail "lc-b publish"; done
# lc-b listens for its acks (after its publishes: one account, one client id).
n=$(grep -c "as lc-b " "$T/mosquitto.log")
timeout 60 mosquitto_sub -h 127.0.0.1 -p "$PW_PORT" --cafile "$CA" -u lc-b -P "$(secret lc-b)" -q 1 -v \
	-t covmon/v1/lao-cai/lc-b/ack > "$T/lc-b.out" 2> "$T/lc-b-sub.log" &
PIDS+=("$!")
wait_for 10 bash -c "[ \$(grep -c 'as lc-b ' '$T/mosquitto.log') -gt $n ]" || fail "lc-b's subscriber did not connect"
cpub "$S/site-42.pem" "$S/site-42.key" covmon/v1/lao-cai/lc-b/ack '{"v":1,"seq":99}' || true
cpub "$S/site-42.pem" "$S/site-42.key" covmon/v1/lao-cai/summary 'forged-summary' -r || true
for _ in $(seq 50); do
	ppub ops covmon/v1/lao-cai/lc-b/ack '{"v":1,"seq":3}' || fail "ops could not ack lc-b"
	grep -q '"seq":3' "$T/lc-b.out" && break
	sleep 0.2
done
grep -q '"seq":3' "$T/lc-b.out" || fail "lc-b did not get the ack of the collector account ops"
sync_coll "$T/coll.out"
[ "$(grep -c 'lc-b/sample lc-b-' "$T/coll.out")" = 3 ] || fail "the collector got $(grep -c 'lc-b/sample' "$T/coll.out") of lc-b's 3 samples"
[ -s "$T/site42.out" ] && fail "site-42's certificate read: $(head -3 "$T/site42.out")"
grep -q '"seq":99' "$T/lc-b.out" && fail "site-42's certificate acked lc-b"
grep -q "forged" "$T/coll.out" && fail "site-42 published a summary"
pass "broker: the collector got lc-b's 3 samples, lc-b the ack of ops; site-42's certificate (subscribed to covmon/v1/#) read $(grep -c . "$T/site42.out") messages, its forged ack and summary reached no one"
kill -0 "$BROKER_PID" || fail "the broker died"
