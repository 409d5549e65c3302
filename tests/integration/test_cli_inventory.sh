#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `covmon inventory check` on the broken example files of tests/data/bad:
# each one refused with exit 2 and exactly the FILE:LINE:COLUMN error its
# README lists, the good ones accepted with exit 0 and a summary; and the
# exit codes of bad usage. No server involved.
. "$(dirname "$0")/../lib.sh"

COVMON=$COVMON_BUILD/covmon
[ -x "$COVMON" ] || fail "$COVMON not built"
BAD=$COVMON_SRC/tests/data/bad

# check ARGS EXPECTED: run in $BAD as the README says, compare stderr and rc.
n=0
check() {
	local args=$1 want=$2 rc=0
	# shellcheck disable=SC2086  # ARGS is "FILE [--targets FILE]"
	(cd "$BAD" && "$COVMON" inventory check $args 2>"$T/err" >"$T/out") || rc=$?
	if [ "$want" = OK ]; then
		[ "$rc" -eq 0 ] || fail "$args: exit $rc, expected 0: $(cat "$T/err")"
		[ ! -s "$T/err" ] || fail "$args: stderr not empty: $(cat "$T/err")"
		grep -q '^hamlets: ' "$T/out" || fail "$args: no summary: $(cat "$T/out")"
	else
		[ "$rc" -eq 2 ] || fail "$args: exit $rc, expected 2"
		[ "$(cat "$T/err")" = "$want" ] || fail "$args:
  got:      $(cat "$T/err")
  expected: $want"
		[ ! -s "$T/out" ] || fail "$args: stdout not empty: $(cat "$T/out")"
	fi
	n=$((n + 1))
}

# The README's list: "ARGS: EXPECTED" after the first blank line.
while IFS= read -r line; do
	args=${line%%: *}
	want=${line#*: }
	check "$args" "$want"
done < <(sed -n '/^$/,$p' "$BAD/README" | grep -v '^$')
[ "$n" -ge 25 ] || fail "read only $n cases from $BAD/README"
pass "$n files of tests/data/bad checked"

# The example inventory with its targets.
out=$("$COVMON" inventory check "$COVMON_SRC/tests/data/inventory.csv" \
	--targets "$COVMON_SRC/tests/data/targets.csv") || fail "tests/data/inventory.csv refused"
echo "$out" | grep -q '^hamlets: *369$' || fail "unexpected summary: $out"
pass "tests/data/inventory.csv with targets.csv"

# Options in either place; usage errors exit 2.
(cd "$BAD" && "$COVMON" inventory check --targets targets-good.csv good.csv >/dev/null) \
	|| fail "--targets before FILE refused"
for bad_usage in "inventory" "inventory check" "inventory frob x.csv" \
	"inventory check a.csv b.csv" "inventory check good.csv --nope"; do
	rc=0
	# shellcheck disable=SC2086 # the words of the command line
	(cd "$BAD" && "$COVMON" $bad_usage >/dev/null 2>&1) || rc=$?
	[ "$rc" -eq 2 ] || fail "covmon $bad_usage: exit $rc, expected 2"
done
rc=0; "$COVMON" inventory check "$T/missing.csv" 2>"$T/err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "missing.csv" "$T/err" || fail "a missing file: exit $rc: $(cat "$T/err")"
pass "usage errors exit 2"
