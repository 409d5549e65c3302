#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The project's own text checked by the ecosystem's linters: every manual
# page in docs/man by mandoc -T lint (no message at warning level or
# above), and every shell script of the repository by shellcheck (no
# finding at any level, less the three checks below). A script is a *.sh
# file, or a file whose first line runs sh or bash (deploy/make-ca,
# deploy/debian/*.postinst, .ci/run...), tracked or not yet tracked by git.
# Left out of shellcheck's checks, and why:
#   SC1091  "not following a sourced file": the tests source tests/lib.sh
#           through a computed path; lib.sh is checked on its own.
#   SC2015  "A && B || C is not if-then-else": the scripts write
#           "[ check ] && [ check ] || fail" on purpose: C is meant to run
#           when either test fails.
#   SC2016  "expressions don't expand in single quotes": awk, sed, jq and
#           dpkg-query programs in single quotes are not the shell's.
. "$(dirname "$0")/../lib.sh"
need mandoc shellcheck git

cd "$COVMON_SRC" || fail "no $COVMON_SRC"

# ---- Manual pages
mans=(docs/man/*.[1-8])
[ ${#mans[@]} -ge 8 ] || fail "only ${#mans[@]} manual pages in docs/man"
mandoc -T lint -W warning "${mans[@]}" > "$T/mandoc.log" 2>&1 || true
n=$(grep -c . "$T/mandoc.log" || true)
if [ "$n" -ne 0 ]; then
	cat "$T/mandoc.log"
	fail "mandoc -T lint -W warning: $n messages on ${#mans[@]} pages"
fi
pass "mandoc -T lint -W warning: 0 messages on ${#mans[@]} manual pages"

# ---- Shell scripts
{ git ls-files; git ls-files --others --exclude-standard; } | sort -u > "$T/files"
scripts=()
while IFS= read -r f; do
	[ -f "$f" ] || continue
	case $f in
	*.sh) scripts+=("$f") ;;
	*.py|*.c|*.h|*.md|*.csv|*.json|*.png|*.txt|*.conf|*.acl) ;;
	*) if head -n 1 "$f" | grep -Eq '^#!.*[/ ](ba|da)?sh( |$)'; then scripts+=("$f"); fi ;;
	esac
done < "$T/files"
[ ${#scripts[@]} -ge 60 ] || fail "only ${#scripts[@]} shell scripts found"
# One list to look names up in (grep -q on a pipe from printf can end before
# printf has written all, and pipefail then fails on printf's SIGPIPE: seen
# once, five tests at a time).
script_list=$(printf '%s\n' "${scripts[@]}")
for s in tests/lib.sh deploy/make-ca deploy/enroll-agent deploy/build-debs.sh deploy/install-deps.sh; do
	grep -Fqx -- "$s" <<<"$script_list" || fail "$s is not among the scripts checked"
done
shellcheck -f gcc -e SC1091,SC2015,SC2016 "${scripts[@]}" > "$T/shellcheck.log" 2>&1 || true
n=$(grep -c ': \(error\|warning\|note\|info\|style\):' "$T/shellcheck.log" || true)
if [ "$n" -ne 0 ] || [ -s "$T/shellcheck.log" ]; then
	cat "$T/shellcheck.log"
	fail "shellcheck: $n findings in $(cut -d: -f1 "$T/shellcheck.log" | sort -u | wc -l) of ${#scripts[@]} scripts"
fi
pass "shellcheck: 0 findings in ${#scripts[@]} shell scripts"

# ---- Licence: every source file and script says it (SPDX), as LICENSE and
# deploy/debian/copyright do for the whole tree.
nolic=()
while IFS= read -r f; do
	[ -f "$f" ] || continue
	case $f in
	*.c|*.h|*.py) ;;
	*) grep -Fqx -- "$f" <<<"$script_list" || continue ;;
	esac
	head -n 5 "$f" | grep -q 'SPDX-License-Identifier: GPL-2.0-or-later' || nolic+=("$f")
done < "$T/files"
[ ${#nolic[@]} -eq 0 ] || fail "no SPDX-License-Identifier line in: ${nolic[*]}"
grep -q 'GNU GENERAL PUBLIC LICENSE' LICENSE && grep -q 'Version 2, June 1991' LICENSE \
    || fail "LICENSE is not the GPL version 2"
pass "SPDX GPL-2.0-or-later in every C, Python and shell file; LICENSE is the GPL v2"

# ---- Text files end with a newline: the fuzz build's clang refuses a C
# file without one (-Wnewline-eof under -Werror), which gcc lets through.
noeol=()
while IFS= read -r f; do
	[ -f "$f" ] || continue
	case $f in
	*.c|*.h|*.sh|*.md|*.txt|*.cmake) ;;
	*) continue ;;
	esac
	[ -s "$f" ] && [ -n "$(tail -c 1 "$f")" ] && noeol+=("$f")
done < "$T/files"
[ ${#noeol[@]} -eq 0 ] || fail "no newline at the end of: ${noeol[*]}"
pass "every C, header, shell, Markdown and CMake file ends with a newline"

# ---- No vasprintf/asprintf in covmon's C: tests/lsan.supp suppresses
# leaks whose stack ends in glibc's __vasprintf_internal (librrd's; the
# fast unwinder stops there), which would hide one of ours (common/strf.h).
# The pattern is built so that this file does not match it.
pat='\bv?as''printf[[:space:]]*\('
vas=$(grep -E "\.[ch]$" "$T/files" | xargs grep -lE "$pat" 2>/dev/null || true)
[ -z "$vas" ] || fail "vasprintf/asprintf in: $vas (use strf/vstrf, common/strf.h)"
pass "no vasprintf or asprintf in covmon's C (common/strf.h)"
