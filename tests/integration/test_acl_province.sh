#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The broker's ACL pins each agent to its province (issue 17): enroll-agent
# writes the agent's own topic lines, and the shipped covmon.acl has no
# '+' pattern left. With the real broker on the shipped config: a password
# agent and a certificate agent publish samples and retained states under
# other provinces (and 40 retained 100 KiB states under invented ones, the
# issue's memory attack); the collector's account, subscribed to every
# province, gets none of them, and a fresh subscription finds only the
# agents' own retained states. Re-enrolment under another province
# (--force) replaces the agent's lines. The ACL edits are whole-file
# renames with one block per agent, also when enrolments run at once.
# shellcheck disable=SC1091
. "$(dirname "$0")/../lib.sh"
# shellcheck disable=SC1091
. "$(dirname "$0")/deploy_lib.sh"

grep -Eq '^[[:space:]]*pattern' "$D/mosquitto/covmon.acl" && fail "the shipped covmon.acl still has pattern lines"
enroll lc-a lao-cai > /dev/null 2>> "$T/enroll.log" || fail "enroll-agent lc-a"
enroll --cert hg-b ha-giang > /dev/null 2>> "$T/enroll.log" || fail "enroll-agent --cert hg-b"
block=$(sed -n '/^user lc-a$/,/^$/p' "$M/covmon.acl" | grep '^topic')
[ "$block" = "topic write covmon/v1/lao-cai/lc-a/sample
topic write covmon/v1/lao-cai/lc-a/state
topic read covmon/v1/lao-cai/lc-a/ack" ] || fail "lc-a's ACL lines: $block"
pass "enroll-agent wrote lc-a's 3 topic lines under lao-cai; the shipped ACL has no pattern"

deploy_broker
: > "$T/coll.out"
coll_sub "$T/coll.out" 'covmon/v1/+/+/sample' 'covmon/v1/+/+/state'
HB=$T/enrolled/hg-b
bpub() { cpub "$HB/hg-b.pem" "$HB/hg-b.key" "$@"; }

# Outside their province: sample, retained state, an invented province.
for p in ha-giang thai-nguyen no-such; do
	ppub lc-a "covmon/v1/$p/lc-a/sample" "lc-a-in-$p" || true
	ppub lc-a "covmon/v1/$p/lc-a/state" "lc-a-state-in-$p" -r || true
done
for p in lao-cai thai-nguyen no-such; do
	bpub "covmon/v1/$p/hg-b/sample" "hg-b-in-$p" || true
	bpub "covmon/v1/$p/hg-b/state" "hg-b-state-in-$p" -r || true
done
# In their own: delivered, and retained.
ppub lc-a covmon/v1/lao-cai/lc-a/sample lc-a-own || fail "lc-a's own sample refused"
ppub lc-a covmon/v1/lao-cai/lc-a/state lc-a-own-state -r || fail "lc-a's own state refused"
bpub covmon/v1/ha-giang/hg-b/sample hg-b-own || fail "hg-b's own sample refused"
bpub covmon/v1/ha-giang/hg-b/state hg-b-own-state -r || fail "hg-b's own state refused"
# The issue's attack: 40 retained states of 100 KiB under invented provinces.
head -c 102400 /dev/zero | tr '\0' 'z' > "$T/big"
for i in $(seq 40); do
	ppub lc-a "covmon/v1/p$i/lc-a/state" "x" -f "$T/big" -r 2>/dev/null || true
done
sync_coll "$T/coll.out"
for m in lc-a-own lc-a-own-state hg-b-own hg-b-own-state; do
	grep -q " $m\$" "$T/coll.out" || fail "the collector did not get $m"
done
grep -q -- "-in-\|zzzz" "$T/coll.out" && fail "the collector got a message from outside its sender's province: $(grep -- '-in-' "$T/coll.out" | head -3)"
pass "lc-a (password) and hg-b (certificate): 12 samples/states under other provinces and 40 retained 100 KiB states under invented ones dropped; their 4 own messages delivered"

# Retained: a fresh subscription of the collector's account (its client
# id replaces the running one) sees only the agents' own states (and
# follows the samples from here on).
kill "$COLL_SUB"; wait "$COLL_SUB" 2>/dev/null || true
: > "$T/retained.out"
coll_sub "$T/retained.out" 'covmon/v1/+/+/state' 'covmon/v1/+/+/sample'
wait_for 10 bash -c "grep -q 'lc-a/state lc-a-own-state$' '$T/retained.out' && grep -q 'hg-b/state hg-b-own-state$' '$T/retained.out'" \
	|| fail "the retained states of lc-a and hg-b were not delivered: $(cat "$T/retained.out")"
n=$(grep -c '/state ' "$T/retained.out")
[ "$n" = 2 ] || fail "$n retained states (2 expected): $(cut -c1-80 "$T/retained.out")"
pass "a fresh collector subscription to covmon/v1/+/+/state: $n retained states, lao-cai/lc-a and ha-giang/hg-b"

# Re-enrolment under another province replaces the lines.
enroll_reloaded --force lc-a thai-nguyen
[ "$(grep -c '^user lc-a$' "$M/covmon.acl")" = 1 ] || fail "lc-a has $(grep -c '^user lc-a$' "$M/covmon.acl") user blocks"
grep -q "covmon/v1/lao-cai/lc-a/" "$M/covmon.acl" && fail "lc-a's lao-cai lines were kept"
[ "$(grep -c "covmon/v1/thai-nguyen/lc-a/" "$M/covmon.acl")" = 3 ] || fail "lc-a's thai-nguyen lines are missing"
ppub lc-a covmon/v1/lao-cai/lc-a/sample lc-a-old-province || true
ppub lc-a covmon/v1/thai-nguyen/lc-a/sample lc-a-new-province || fail "lc-a refused in thai-nguyen"
sync_coll "$T/retained.out"
grep -q "thai-nguyen/lc-a/sample lc-a-new-province$" "$T/retained.out" || fail "lc-a's sample under thai-nguyen did not arrive"
grep -q "lc-a-old-province" "$T/retained.out" && fail "lc-a still writes under lao-cai"
pass "enroll-agent --force lc-a thai-nguyen: one block, 3 lines under thai-nguyen, none under lao-cai; a lao-cai sample dropped"

# Thirty enrolments, six at a time, then ten re-enrolments under other
# provinces: one block per agent, the ACL's mode and owner kept.
mode0=$(stat -c %a:%U:%G "$M/covmon.acl")
for b in 0 1 2 3 4; do
	jobs_=()
	for i in 1 2 3 4 5 6; do
		enroll --reload none "fl-$b$i" lao-cai > /dev/null 2>> "$T/enroll.log" &
		jobs_+=("$!")
	done
	for j in "${jobs_[@]}"; do
		wait "$j" || fail "a parallel enrolment failed: $(tail -1 "$T/enroll.log")"
	done
done
for b in 0 1; do for i in 1 2 3 4 5; do
	enroll --reload none --force "fl-$b$i" ha-giang > /dev/null 2>> "$T/enroll.log" || fail "re-enrolment fl-$b$i"
done; done
n=$(grep -c '^user fl-' "$M/covmon.acl")
[ "$n" = 30 ] || fail "$n blocks for 30 agents"
[ "$(grep '^user ' "$M/covmon.acl" | sort | uniq -d)" = "" ] || fail "duplicate blocks: $(grep '^user ' "$M/covmon.acl" | sort | uniq -d)"
[ "$(grep -c '^topic .*covmon/v1/ha-giang/fl-' "$M/covmon.acl")" = 30 ] || fail "the 10 re-enrolled agents do not have 3 ha-giang lines each"
[ "$(grep -c '^topic .*covmon/v1/lao-cai/fl-' "$M/covmon.acl")" = 60 ] || fail "the 20 others do not have 3 lao-cai lines each"
[ "$(stat -c %a:%U:%G "$M/covmon.acl")" = "$mode0" ] || fail "the ACL's mode changed: $mode0 -> $(stat -c %a:%U:%G "$M/covmon.acl")"
if [ -e "$M/covmon.acl.lock" ] || [ -e "$M/covmon.acl.new" ]; then fail "enroll-agent left its lock or temp file"; fi
enroll_reloaded fl-last lao-cai
kill -0 "$BROKER_PID" || fail "the broker died reloading the ACL"
grep -q "acl_file\|acl file\|pwfile\|password file\|revocation file" "$T/mosquitto.log" \
	&& fail "the broker could not read its files: $(grep 'acl\|pwfile\|password file\|revocation' "$T/mosquitto.log" | head -2)"
ppub fl-06 covmon/v1/lao-cai/fl-06/sample fl-06-own || fail "fl-06 refused"
ppub fl-06 covmon/v1/ha-giang/fl-06/sample fl-06-elsewhere || true
ppub fl-11 covmon/v1/lao-cai/fl-11/sample fl-11-old-province || true
ppub fl-11 covmon/v1/ha-giang/fl-11/sample fl-11-own || fail "fl-11 refused"
sync_coll "$T/retained.out"
grep -q "lao-cai/fl-06/sample fl-06-own$" "$T/retained.out" || fail "fl-06's own sample did not arrive"
grep -q "ha-giang/fl-11/sample fl-11-own$" "$T/retained.out" || fail "fl-11's own sample did not arrive"
grep -q "elsewhere\|old-province" "$T/retained.out" && fail "an agent wrote outside its province after the reload"
pass "30 enrolments (6 at once) and 10 re-enrolments: 30 blocks, none twice, the moved ones under ha-giang only; ACL $mode0 kept ($(wc -l < "$M/covmon.acl") lines); reloaded, fl-06 and fl-11 write only under their province"
