#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs what is missing, builds covmon (normal and ASan+UBSan), and runs
# every test: unit (cmocka), integration and fault tests with real peers,
# the agent cross-built and run under qemu-user, then the fuzzers.
#   tests/run.sh              everything
#   COVMON_SANITIZE=0 ...     no sanitizer build: every test on the plain one
#   COVMON_FUZZ=0 ...         skip the fuzzing stage (clang, libFuzzer)
#   COVMON_FUZZ_SECONDS=N     seconds per fuzz target (default 10)
#   COVMON_JOBS=N             build jobs (2)
#   COVMON_TEST_JOBS=N        sanitizer tests at a time (5); COVMON_SLOW_JOBS=N
#                             slow tests at a time (3)
#   tests/run.sh -L unit      extra arguments go to ctest
set -euo pipefail
# Each stage says how long the run has taken so far (CI's budget is the whole).
stage() { echo "== [$((SECONDS / 60)) min $((SECONDS % 60)) s] $*"; }

src=$(cd "$(dirname "$0")/.." && pwd)
# The system's programs first (Debian's python3, not a version manager's
# shim: tests/lib.sh says why).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
cd "$src"

stage "what is missing, installed (deploy/install-deps.sh)"
./deploy/install-deps.sh

jobs=${COVMON_JOBS:-2}
# Tests at a time, more than the two CPUs: most tests wait on peers and
# timelines (a cut that lasts, a group_wait, a SIGSTOPped daemon), and
# they wait on progress, so a busy machine slows them without failing them.
# On two cores (2026-12-07, vmstat over each pass): the sanitizer pass took
# 565 s two at a time, 378 s three at a time (the CPUs 49 % idle), 242 s
# five at a time (26 % idle); the slow pass, whose cross builds and browser
# compute, 346 s two at a time, 273 s three at a time (16 % idle).
slow_jobs=${COVMON_SLOW_JOBS:-3}
test_jobs=${COVMON_TEST_JOBS:-5}
werror=OFF
if [ "${CI:-}" = "true" ]; then werror=ON; fi

run_suite() {
	local dir=$1; shift
	local san=$1; shift
	local tj=$1; shift
	cmake -S "$src" -B "$dir" -DCOVMON_WERROR="$werror" -DCOVMON_SANITIZE="$san" >/dev/null
	cmake --build "$dir" -j"$jobs"
	(cd "$dir" && ctest --output-on-failure -j"$tj" "$@")
}

# Every test runs once, in the build that checks it best: under ASan and
# UBSan, but for the "slow" ones (a browser, the demo, the soak whose memory
# figures mean nothing under ASan's quarantine, the packages, timing-bound
# network cases, the cross builds), which run on the plain
# build. Both builds are made whole (and warning-free with CI=true).
if [ "${COVMON_SANITIZE:-1}" != "0" ]; then
	stage "build, and the slow tests (build/)"
	# (the slow ones are CPU-bound: emulated CPUs, a browser, the demo)
	run_suite "$src/build" OFF "$slow_jobs" -L slow "$@"
	stage "build with AddressSanitizer + UndefinedBehaviorSanitizer, and every other test (build-asan/)"
	# The fast unwinder: the slow one (every malloc's stack from DWARF)
	# made test_graphs take 18 s instead of 4.7 s, and a collector under a
	# fleet fall behind. Library leaks are matched by their first frame
	# (tests/lsan.supp).
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	export LSAN_OPTIONS=suppressions=$src/tests/lsan.supp
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	run_suite "$src/build-asan" ON "$test_jobs" -LE slow "$@"
else
	stage "build and test (build/)"
	run_suite "$src/build" OFF "$test_jobs" "$@"
fi

if [ "${COVMON_FUZZ:-1}" != "0" ] && command -v clang >/dev/null 2>&1; then
	stage "fuzz targets with libFuzzer + ASan + UBSan, ${COVMON_FUZZ_SECONDS:-10} s each, corpus replayed (build-fuzz/)"
	CC=clang cmake -S "$src" -B "$src/build-fuzz" -DCOVMON_WERROR=$werror -DCOVMON_FUZZ=ON >/dev/null
	cmake --build "$src/build-fuzz" -j"$jobs" --target fuzz_all
	(cd "$src/build-fuzz" && ctest --output-on-failure -j"$jobs" -L fuzz)
fi
stage "done"
