#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The load series of DESIGN.md section 10: for each fleet size, the
# existing benchmarks one after the other, and one table at the end.
# A benchmark, not a test: not run by ctest. How to run it and what the
# columns are: docs/performance.md ("Scale series").
#
#   tests/bench/bench_scale.sh [--agents N[,N...]] [--duration S] [--runs K]
#       [--rate R] [--mode all|direct|rrdcached] [--no-ingest] [--no-agent]
#
# --agents     fleet sizes (default 1000,10000,100000)
# --duration   seconds of each sustained ingest run, and of each wrk run up
#              to 10 (default 60)
# --runs       runs of each measure, medians reported (default 3)
# --rate       samples/s of the sustained ingest runs, the same at every
#              size (default 1700: 100,000 agents at a 60 s interval)
# --mode       bench_ingest's covmon modes, collectd always beside them
#              (default all: direct and rrdcached)
# --no-ingest  evaluation and API only (no RRD files at all)
# --no-agent   without the agent footprint (it needs root for ICMP)
#
# Per size N: bench_ingest.sh (N agents; full retention when 5 MB an agent
# fits in 80 % of the free disk, else --retention short, else skipped and
# said so), bench_coverage.sh (N hamlets in N/10 communes), bench_http.sh
# (the collector on an inventory of N hamlets); once: bench_agent.sh (one
# agent's footprint does not depend on the fleet). Logs of every bench are
# kept in the directory printed at the end.
set -euo pipefail

AGENTS=1000,10000,100000 DURATION=60 RUNS=3 RATE=1700 MODE=all INGEST=1 AGENT=1
usage() { sed -n '7,8p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--agents) AGENTS=$2; shift 2 ;;
	--duration) DURATION=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--rate) RATE=$2; shift 2 ;;
	--mode) MODE=$2; shift 2 ;;
	--no-ingest) INGEST=0; shift ;;
	--no-agent) AGENT=0; shift ;;
	-h|--help) usage ;;
	*) echo "bench_scale: unknown option $1" >&2; usage ;;
	esac
done
case $MODE in all|direct|rrdcached) ;; *) usage ;; esac
[[ $AGENTS =~ ^[0-9]+(,[0-9]+)*$ ]] || usage

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BENCH=$SRC/tests/bench
export COVMON_BUILD=${COVMON_BUILD:-$SRC/build}
export COVMON_SRC=$SRC
[ -x "$COVMON_BUILD/covmon-collector" ] ||
	{ echo "bench_scale: no build in $COVMON_BUILD" >&2; exit 2; }
OUT=$(mktemp -d /tmp/covmon-bench-scale-XXXXXX)
say() { printf '%s bench_scale: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
# The sub-benches' own watchdog (tests/lib.sh) is for tests: these may run long.
export TEST_LIMIT=36000
wrk_s=$(( DURATION < 10 ? DURATION : 10 ))

for n in ${AGENTS//,/ }; do
	communes=$(( n / 10 > 0 ? n / 10 : 1 ))
	: > "$OUT/meta-$n"
	if [ "$INGEST" = 1 ]; then
		free_mb=$(df -Pm /tmp | awk 'NR == 2 { print $4 }')
		ret=full
		[ $(( n * 5 )) -lt $(( free_mb * 8 / 10 )) ] || ret=short
		if [ "$ret" = short ] && [ $(( n / 6 + 100 )) -ge $(( free_mb * 8 / 10 )) ]; then
			ret=skipped
		fi
		echo "retention=$ret" >> "$OUT/meta-$n"
		if [ "$ret" != skipped ]; then
			modes=$MODE
			[ "$MODE" = all ] || modes="$MODE collectd"
			for m in $modes; do
				say "$n agents: ingest ($m, $ret retention, rate $RATE/s, ${DURATION} s runs)"
				bash "$BENCH/bench_ingest.sh" --agents "$n" --rate "$RATE" --duration "$DURATION" \
				    --runs "$RUNS" --mode "$m" --retention "$ret" \
				    --timeout $(( 3600 + n / 10 )) >> "$OUT/ingest-$n.log" 2>&1 ||
					say "$n agents: bench_ingest ($m) failed, see $OUT/ingest-$n.log"
				sed -n 's/^bench_ingest: copied to //p' "$OUT/ingest-$n.log" | tail -1 |
				    xargs -r cat >> "$OUT/ingest-$n.txt"
			done
		else
			say "$n agents: ingest skipped: even short retention ($(( n / 6 + 100 )) MB) does not fit in /tmp"
		fi
	fi
	say "$n hamlets: evaluation"
	bash "$BENCH/bench_coverage.sh" --hamlets "$n" --communes "$communes" --runs $(( RUNS * 3 )) \
	    > "$OUT/coverage-$n.log" 2>&1 || say "$n: bench_coverage failed, see $OUT/coverage-$n.log"
	say "$n hamlets: HTTP API"
	python3 "$SRC/tests/data/gen-inventory.py" --hamlets "$n" --communes "$communes" \
	    --out-dir "$OUT/inv-$n" > /dev/null
	bash "$BENCH/bench_http.sh" --duration "$wrk_s" --runs "$RUNS" \
	    --inventory "$OUT/inv-$n/inventory.csv" --targets "$OUT/inv-$n/targets.csv" \
	    > "$OUT/http-$n.log" 2>&1 || say "$n: bench_http failed, see $OUT/http-$n.log"
	rm -rf "$OUT/inv-$n"
done
if [ "$AGENT" = 1 ]; then
	say "agent footprint (one agent)"
	rc=0
	bash "$BENCH/bench_agent.sh" --runs "$RUNS" --intervals $(( DURATION < 60 ? DURATION : 60 )) \
	    > "$OUT/agent.log" 2>&1 || rc=$?
	[ $rc -eq 0 ] || say "bench_agent exited $rc (77: skipped, needs root), see $OUT/agent.log"
fi

python3 - "$OUT" "$AGENTS" "$RATE" "$DURATION" "$RUNS" <<'PY'
import os, re, statistics, sys
out, sizes, rate, duration, runs = sys.argv[1], sys.argv[2].split(","), sys.argv[3], sys.argv[4], sys.argv[5]
nan = float("nan")
def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""
def med(xs):
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else nan
def ingest(n):
    rows = {}
    for line in read("%s/ingest-%s.txt" % (out, n)).splitlines():
        f = line.split()
        if len(f) < 3 or f[0] == "disk":
            continue
        kv = {k: float(v) for k, v in re.findall(r"\b(\w+)=(-?[0-9.]+|nan)\b", line)}
        rows.setdefault((f[0], f[1]), []).append(kv)
    return lambda mode, kind, key: med([r.get(key, nan) for r in rows.get((mode, kind), [])])
def grab(text, rx, conv=float):
    m = re.search(rx, text, re.M)
    return conv(m.group(1)) if m else nan
agent = read(out + "/agent.log")
a_rss = grab(agent, r"agent RSS (\d+) kB, private")
a_anon = grab(agent, r"private \(RssAnon\) (\d+) kB")
a_cpu = grab(agent, r"CPU per interval: ([0-9.]+) ms")
fmt = lambda v, spec: (spec % v) if v == v else "—"
print("\n== covmon scale series: sustained ingest at %s samples/s, %s s runs, medians of %s runs ==" % (rate, duration, runs))
head = ("agents", "retention", "mode", "samples/s", "values/s", "collectd v/s", "ratio",
        "lag p50/p99 s", "eval ms", "API req/s", "API p99 ms", "agent RSS kB", "agent CPU ms")
w = (7, 9, 9, 9, 9, 12, 5, 13, 7, 9, 10, 12, 12)
line = lambda cells: print("  ".join(str(c).rjust(wi) for c, wi in zip(cells, w)))
line(head)
for n in sizes:
    meta = read("%s/meta-%s" % (out, n))
    ret = grab(meta, r"retention=(\w+)", str) if "retention=" in meta else "—"
    q = ingest(n)
    cov = read("%s/coverage-%s.log" % (out, n))
    http = read("%s/http-%s.log" % (out, n))
    ev = grab(cov, r"evaluation: median ([0-9.]+) ms")
    rps = grab(http, r"^/api/v1/provinces\s+([0-9.]+) req/s")
    p99 = grab(http, r"^/api/v1/provinces\s+[0-9.]+ req/s\s+p99\s+([0-9.]+) ms")
    cd = q("collectd", "peak", "vps")
    first = True
    for mode in ("direct", "rrdcached"):
        sps = q(mode, "peak", "sps")
        if sps != sps and not (first and mode == "rrdcached"):
            continue
        vps = q(mode, "peak", "vps")
        lag = "%s/%s" % (fmt(q(mode, "sustained", "lag_p50"), "%.3f"), fmt(q(mode, "sustained", "lag_p99"), "%.3f"))
        line((n if first else "", ret if first else "", mode if sps == sps else "—",
              fmt(sps, "%.0f"), fmt(vps, "%.0f"), fmt(cd, "%.0f"),
              fmt(vps / cd if cd == cd and cd > 0 else nan, "%.1f"), lag if sps == sps else "—",
              fmt(ev, "%.2f") if first else "", fmt(rps, "%.0f") if first else "",
              fmt(p99, "%.1f") if first else "",
              fmt(a_rss, "%.0f") + ("/" + fmt(a_anon, "%.0f") if a_anon == a_anon else "") if first else "",
              fmt(a_cpu, "%.2f") if first else ""))
        first = False
print("""
samples/s, values/s: the collector's peak (bench_ingest.sh: the sustained run's sample count
  as fast as it goes); collectd v/s: collectd (mqtt + rrdtool) on the same values; ratio: covmon
  values/s / collectd's. lag: publish -> stored of probe samples during the sustained run.
retention: full (default RRAs), short (one hour: 3 RRAs an update instead of 10, faster than
  production), skipped (not even that fits the disk: evaluation and API only).
eval ms: one coverage evaluation of N hamlets in N/10 communes (bench_coverage.sh).
API: wrk -t2 -c32 on /api/v1/provinces of a collector holding N hamlets (bench_http.sh).
agent: one covmon-agent, ICMP + TCP probes (bench_agent.sh): RSS/private kB, CPU ms per interval;
  measured once, the same for every fleet size.""")
print("logs: " + out)
PY
