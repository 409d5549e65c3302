#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The ledger checks of covmon's delivery tests (FAULTS.md), stdlib only.

  ledger.py check --fleet CSV LOG...      every (agent, seq) the fleet made is
                                          stored exactly once, in order
  ledger.py rrd --data DIR LOG...         the RRD rows hold every stored sample,
                                          the last values equal state.db's
  ledger.py identity URL [--wait S]       /metrics counters add up
  ledger.py lastseq DB                    agent,last_seq of state.db (sorted)
  ledger.py monotonic OLD NEW             no agent's last_seq went back
  ledger.py spool --id ID --agent-log LOG [--reasons R,...] LOG...
                                          after a field event: every sample the
                                          agent (its log: -vv) made and had acked
                                          is stored once or refused once for a
                                          named reason, by its spool id
  ledger.py agent --id ID --fleet-out CSV LOG...
                                          a real covmon-agent's own ledger from
                                          its logs (-vv, one or more runs): no
                                          seq given twice, none reused after a
                                          restart; writes the CSV for check

LOG files are the collector's stderr at -vv, one or more runs each: a run
starts at its "agents known" line. A collector logs "stored AGENT seq N ts T"
per sample, with " (already in the RRD)" / " (partly already in the RRD)"
when the files held it before (a crash between the RRD write and the commit).

A fleet CSV may have a "burned" column: seqs (space separated) the agent gave
to a sample whose spool write was torn by a crash. Such a sample never left
the agent, so its seq must never be stored, and it is not counted as lost;
the seq is not given again either.
"""
import argparse
import collections
import re
import sqlite3
import struct
import subprocess
import sys
import time
import urllib.request

STORED = re.compile(r"stored (\S+) seq (\d+) ts (\d+)(?: sid ([0-9a-f]{16}))?"
                    r"( \((partly )?already in the RRD\))?$")
REFUSED = re.compile(r"refused (\S+) seq (\d+) ts (\d+) sid (\S+): (\w+)$")
RUN = re.compile(r"state .*: \d+ agents known")

# metric_table order (common/metric.c): the state.db blob is in this order.
METRICS = [
    "icmp_rtt_min_ms", "icmp_rtt_avg_ms", "icmp_rtt_max_ms", "icmp_rtt_p50_ms",
    "icmp_rtt_p90_ms", "icmp_jitter_ms", "icmp_loss_pct", "tcp_connect_ms",
    "tcp_connect_ok", "if_rx_bps", "if_tx_bps", "if_oper_up", "if_errors",
    "radio_signal_dbm", "radio_noise_dbm", "radio_snr_db", "radio_ccq_pct",
    "clients", "pcap_rx_bps", "pcap_tx_bps", "pcap_pps", "tcp_retrans_pct",
    "tcp_hs_rtt_ms", "pcap_drop", "uptime_s", "spool_depth", "spool_dropped",
    "power_mains_up", "battery_pct", "supply_volts",
]
GROUP_OF = {}
for _m in METRICS:
    GROUP_OF[_m] = {"icmp": "icmp", "tcp": "tcp", "if": "if", "radio": "radio",
                    "uptime": "site", "spool": "site", "power": "site", "battery": "site",
                    "supply": "site"}.get(_m.split("_")[0], "traffic")
GROUP_OF["tcp_retrans_pct"] = GROUP_OF["tcp_hs_rtt_ms"] = "traffic"


def read_stored(logs):
    """[(run, agent, seq, ts, kind)] with kind 'new', 'partly' or 'already'."""
    out, run = [], 0
    for path in logs:
        with open(path, errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                if RUN.search(line):
                    run += 1
                    continue
                m = STORED.search(line)
                if m:
                    kind = "new" if not m.group(5) else ("partly" if m.group(6) else "already")
                    out.append((run, m.group(1), int(m.group(2)), int(m.group(3)), kind))
    return out


def read_fleet(path):
    with open(path) as f:
        rows = list(__import__("csv").DictReader(f))
    return {r["agent_id"]: r for r in rows}


def cmd_check(a):
    stored = read_stored(a.logs)
    fleet = read_fleet(a.fleet)
    errors = []
    per = collections.defaultdict(list)
    for run, agent, seq, ts, kind in stored:
        per[agent].append((run, seq, ts, kind))
    for agent in per:
        if agent not in fleet:
            errors.append("%s: stored but not made by the fleet" % agent)
    made = lost = twice = 0
    for agent, r in fleet.items():
        first, last = int(r["first_seq"]), int(r["last_seq"])
        if int(r["dropped"]):
            errors.append("%s: the fleet dropped %s samples (spool full)" % (agent, r["dropped"]))
        if int(r["unacked"]) or int(r["acked_seq"]) != last:
            errors.append("%s: acked up to %s of %d, %s unacked"
                          % (agent, r["acked_seq"], last, r["unacked"]))
        lines = per.get(agent, [])
        seqs = collections.Counter(s for _, s, _, _ in lines)
        firsts = collections.Counter(s for _, s, _, k in lines if k != "already")
        inrun = collections.Counter((run, s) for run, s, _, _ in lines)
        burned = {int(x) for x in (r.get("burned") or "").split()}
        made += last - first + 1 - len([b for b in burned if first <= b <= last])
        for s in range(first, last + 1):
            if s in burned:
                if seqs[s]:
                    errors.append("%s seq %d: stored, but its spool write was torn" % (agent, s))
                continue
            if seqs[s] == 0:
                lost += 1
                if lost <= 10:
                    errors.append("%s seq %d: never stored" % (agent, s))
            elif firsts[s] > 1:
                twice += 1
                if twice <= 10:
                    errors.append("%s seq %d: written to the RRD %d times" % (agent, s, firsts[s]))
        for s in seqs:
            if s < first or s > last:
                errors.append("%s seq %d: stored but never made" % (agent, s))
        for (run, s), n in inrun.items():
            if n > 1:
                errors.append("%s seq %d: stored %d times by run %d" % (agent, s, n, run))
        # In seq order within a run: the writer never stores past a gap.
        prev = {}
        for run, s, _, _ in lines:
            if run in prev and s <= prev[run]:
                errors.append("%s: run %d stored seq %d after %d" % (agent, run, s, prev[run]))
                break
            prev[run] = s
    kinds = collections.Counter(k for *_, k in stored)
    print("ledger: agents=%d made=%d stored_lines=%d (new=%d partly=%d already=%d) "
          "runs=%d lost=%d twice=%d"
          % (len(fleet), made, len(stored), kinds["new"], kinds["partly"], kinds["already"],
             max([s[0] for s in stored] or [0]), lost, twice))
    for e in errors[:30]:
        print("ledger: " + e, file=sys.stderr)
    return 1 if errors else 0


def fetch(rrd, start, end, res):
    out = subprocess.run(["rrdtool", "fetch", rrd, "AVERAGE", "-r", str(res), "-s", str(start),
                          "-e", str(end)], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    names = lines[0].split()
    rows = {}
    for ln in lines[1:]:
        if ":" not in ln:
            continue
        t, vals = ln.split(":", 1)
        rows[int(t)] = dict(zip(names, [float(v) for v in vals.split()]))
    return rows


def lastupdate(rrd):
    out = subprocess.run(["rrdtool", "lastupdate", rrd], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    names = out[0].split()
    t, vals = out[-1].split(":", 1)
    return int(t), dict(zip(names, vals.split()))


def cmd_rrd(a):
    """Every stored ts has its own row in site.rrd, and no other ts has one:
    fleetsim's uptime_s is ts - boot, so a row filled from a later sample
    (RRD spreads an update over the heartbeat, hiding a lost one behind
    its neighbour) shows as a wrong value. And the files' last update is
    the last stored sample, with state.db's values."""
    stored = read_stored(a.logs)
    per = collections.defaultdict(dict)
    for _, agent, seq, ts, _ in stored:
        per[agent][seq] = ts
    db = sqlite3.connect("file:%s/state.db?mode=ro" % a.data, uri=True)
    rows_db = {r[0]: r[1:] for r in db.execute(
        "SELECT agent, province, last_seq, last_ts, present, vals FROM agents")}
    errors, nrows, nagents = [], 0, 0
    up = METRICS.index("uptime_s")
    for agent, seqs in sorted(per.items()):
        if agent not in rows_db:
            errors.append("%s: not in state.db" % agent)
            continue
        province, last_seq, last_ts, present, blob = rows_db[agent]
        vals = struct.unpack("<%dd" % (len(blob) // 8), blob)
        base = "%s/rrd/%s/%s" % (a.data, province, agent)
        want = set(seqs.values())
        if last_seq != max(seqs) or last_ts != seqs[max(seqs)]:
            errors.append("%s: state.db last_seq %d ts %d, the ledger's last %d ts %d"
                          % (agent, last_seq, last_ts, max(seqs), seqs[max(seqs)]))
        offset = vals[up] - last_ts     # uptime_s - ts, the same for every sample
        rows = fetch(base + "/site.rrd", min(want) - 10 * a.interval, max(want), a.interval)
        have = {t for t, v in rows.items() if v.get("uptime_s") == v.get("uptime_s")}
        wrong = sorted(t for t in have & want if rows[t]["uptime_s"] != t + offset)
        if have != want or wrong:
            errors.append("%s: site.rrd rows with values %d, samples stored %d (missing %s, "
                          "extra %s, wrong value at %s)"
                          % (agent, len(have), len(want), sorted(want - have)[:5],
                             sorted(have - want)[:5], wrong[:5]))
        nrows += len(have) - len(wrong)
        nagents += 1
        for group in sorted({GROUP_OF[m] for i, m in enumerate(METRICS) if present >> i & 1}):
            t, lu = lastupdate("%s/%s.rrd" % (base, group))
            if t != last_ts:
                errors.append("%s/%s.rrd: last update %d, last stored ts %d" % (agent, group, t, last_ts))
                continue
            for i, m in enumerate(METRICS):
                if GROUP_OF[m] != group or not (present >> i & 1):
                    continue
                if m not in lu or float(lu[m]) != vals[i]:
                    errors.append("%s/%s.rrd %s = %s, state.db %r" % (agent, group, m, lu.get(m), vals[i]))
    print("rrd: agents=%d rows_with_values=%d (every stored sample, none other; last values = "
          "state.db)" % (nagents, nrows) if not errors else "rrd: %d errors" % len(errors))
    for e in errors[:30]:
        print("rrd: " + e, file=sys.stderr)
    return 1 if errors else 0


def metrics(url):
    m = {}
    with urllib.request.urlopen(url, timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line and not line.startswith("#"):
                k, v = line.rsplit(" ", 1)
                m[k] = float(v)
    return m


def identity(m):
    rej = sum(v for k, v in m.items() if k.startswith("covmon_samples_rejected_total{"))
    parts = [("stored", m["covmon_samples_stored_total"]),
             ("duplicates", m["covmon_samples_duplicate_total"]), ("rejected", rej),
             ("queue_full", m["covmon_queue_full_total"]),
             ("not_stored", m["covmon_samples_not_stored_total"]),
             ("held_dropped", m["covmon_samples_held_dropped_total"]),
             ("held", m["covmon_samples_held"])]
    rec = m["covmon_samples_received_total"]
    ok = rec == sum(v for _, v in parts) and m["covmon_queue_depth"] == 0
    text = "received=%d = " % rec + " + ".join("%s=%d" % p for p in parts)
    return ok, text


def cmd_identity(a):
    end = time.time() + a.wait
    while True:
        ok, text = identity(metrics(a.url))
        if ok or time.time() >= end:
            break
        time.sleep(0.2)
    print("identity %s: %s" % ("holds" if ok else "BROKEN", text))
    return 0 if ok else 1


def cmd_lastseq(a):
    db = sqlite3.connect("file:%s?mode=ro" % a.db, uri=True, timeout=10)
    for agent, seq in db.execute("SELECT agent, last_seq FROM agents ORDER BY agent"):
        print("%s,%d" % (agent, seq))
    return 0


def cmd_monotonic(a):
    def load(p):
        with open(p) as f:
            return {l.split(",")[0]: int(l.split(",")[1]) for l in f if "," in l}
    old, new = load(a.old), load(a.new)
    bad = [(k, v, new.get(k)) for k, v in old.items() if new.get(k, -1) < v]
    for k, v, n in bad:
        print("lastseq: %s went back from %d to %s" % (k, v, n), file=sys.stderr)
    return 1 if bad else 0


AGENT_OPEN = re.compile(r"covmon-agent\[\w+\]: spool .*: (\d+) samples waiting, next seq (\d+)"
                        r"( \(a torn last record was discarded\))?$")
AGENT_SPOOLED = re.compile(r"covmon-agent\[\w+\]: sample (\d+): \d+ bytes spooled")
AGENT_STOP = re.compile(r"covmon-agent\[\w+\]: stopping: (\d+) samples waiting for an ack, "
                        r"last acked seq (\d+), (\d+) dropped")


def cmd_agent(a):
    """A covmon-agent's runs, from its -vv logs: each run opens its spool
    ("N samples waiting, next seq M", with the torn flag when a torn last
    record was discarded) and logs "sample N: ... spooled" per append, and
    "stopping: ..." at a clean stop. A torn sample's header named the next
    seq, which the spool burns: M - 1 at that open, never spooled."""
    runs, spooled, errors = [], collections.Counter(), []
    burned, stop = [], None
    seen_max = 0
    for path in a.logs:
        with open(path, errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                m = AGENT_OPEN.search(line)
                if m:
                    nxt = int(m.group(2))
                    if nxt <= seen_max:
                        errors.append("run %d opened with next seq %d, but seq %d was given before"
                                      % (len(runs) + 1, nxt, seen_max))
                    if m.group(3) and nxt - 1 not in spooled and nxt - 1 > 0:
                        burned.append(nxt - 1)
                    runs.append((int(m.group(1)), nxt, bool(m.group(3))))
                    seen_max = max(seen_max, nxt - 1)
                    stop = None
                    continue
                m = AGENT_SPOOLED.search(line)
                if m:
                    s = int(m.group(1))
                    if not runs:
                        errors.append("seq %d spooled before any spool open" % s)
                    elif s < runs[-1][1]:
                        errors.append("seq %d spooled in run %d, which opened at next seq %d"
                                      % (s, len(runs), runs[-1][1]))
                    spooled[s] += 1
                    seen_max = max(seen_max, s)
                    continue
                m = AGENT_STOP.search(line)
                if m:
                    stop = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
    twice = sorted(s for s, n in spooled.items() if n > 1)
    if twice:
        errors.append("seqs given to two samples: %s" % twice[:10])
    for b in burned:
        if spooled[b]:
            errors.append("burned seq %d was spooled" % b)
    if not runs:
        errors.append("no run found")
    if stop is None:
        errors.append("the last run did not stop cleanly (no 'stopping:' line)")
        stop = (0, 0, 0)
    last = seen_max
    while last in burned:   # a burned seq is never acked: the last made is before it
        last -= 1
    torn = sum(1 for r in runs if r[2])
    unlogged = [s for s in range(1, last + 1) if not spooled[s] and s not in burned]
    print("agent %s: runs=%d seqs 1..%d, spooled lines=%d, torn tails discarded=%d "
          "(seqs burned: %s), complete but unlogged (killed before the log line)=%d; "
          "at the last stop: %d waiting, last acked %d, %d dropped"
          % (a.id, len(runs), last, sum(spooled.values()), torn,
             " ".join(map(str, burned)) or "none", len(unlogged), stop[0], stop[1], stop[2]))
    with open(a.fleet_out, "w") as f:
        f.write("agent_id,acked_seq,dropped,unacked,first_seq,last_seq,burned\n")
        f.write("%s,%d,%d,%d,1,%d,%s\n" % (a.id, stop[1], stop[2], stop[0], last,
                                           " ".join(map(str, burned))))
    for e in errors[:30]:
        print("agent: " + e, file=sys.stderr)
    return 1 if errors else 0


AGENT_SID = re.compile(r"covmon-agent\[\w+\]: spool .*: spool id ([0-9a-f]{16})")
AGENT_RENEWED = re.compile(r"covmon-agent\[\w+\]: spool: the collector acked seq \d+ of spool "
                           r"[0-9a-f]{16}, past .*; this spool is now ([0-9a-f]{16})")


def cmd_spool(a):
    """One real agent's samples after a field event, by spool id: every
    sample it made and that its last ack covers is, in the collector's
    -vv logs, stored exactly once (a first write) or refused once for one
    of the named reasons; nothing it made past its ack is stored twice;
    nothing is stored or refused under its spool id that it did not make.
    AGENTLOG holds the agent's runs after the event (-vv). A spool that
    found itself a copy takes a new id, its seqs kept: both ids count."""
    sid, sids, made, stop, errors = None, set(), set(), None, []
    since = None       # a spool id the agent started with counts from then on:
    first_sid = None   # a copied spool shares it with the original's history
    with open(a.agent_log, errors="replace") as f:
        for line in f:
            if since is None and line[:4].isdigit():
                since = line.split(" ", 1)[0]
            m = AGENT_SID.search(line) or AGENT_RENEWED.search(line)
            if m and first_sid is None:
                first_sid = m.group(1)
            if m:
                if sid is not None and m.group(1) != sid and not AGENT_RENEWED.search(line):
                    errors.append("the agent's spool id changed from %s to %s" % (sid, m.group(1)))
                sid = m.group(1)
                sids.add(sid)
            m = AGENT_OPEN.search(line)
            if m and not made:
                # Samples made by an earlier run, still waiting: sent now.
                waiting, nxt = int(m.group(1)), int(m.group(2))
                made.update(range(nxt - waiting, nxt))
            m = AGENT_SPOOLED.search(line)
            if m:
                made.add(int(m.group(1)))
            m = AGENT_STOP.search(line)
            if m:
                stop = (int(m.group(1)), int(m.group(2)))
    if sid is None or not made or stop is None:
        print("spool: no spool id, no sample or no clean stop in %s" % a.agent_log, file=sys.stderr)
        return 1
    acked = stop[1]
    allowed = set(r for r in a.reasons.split(",") if r)
    stored, refused = collections.Counter(), collections.defaultdict(list)
    for path in a.logs:
        with open(path, errors="replace") as f:
            for line in f:
                early = since is not None and line.split(" ", 1)[0] < since
                m = STORED.search(line)
                if m and m.group(1) == a.id and m.group(4) in sids and \
                        not (early and m.group(4) == first_sid):
                    if not m.group(5):
                        stored[int(m.group(2))] += 1
                    continue
                m = REFUSED.search(line)
                if m and m.group(1) == a.id and m.group(4) in sids and \
                        not (early and m.group(4) == first_sid):
                    refused[int(m.group(2))].append(m.group(5))
    by_reason = collections.Counter()
    for s in sorted(made):
        outcomes = stored[s] + len(refused[s])
        if s <= acked and outcomes != 1:
            errors.append("seq %d (acked): stored %d times, refused %s"
                          % (s, stored[s], refused[s] or "never"))
        elif s > acked and outcomes > 1:
            errors.append("seq %d: stored %d times, refused %s" % (s, stored[s], refused[s]))
        for r in refused[s]:
            by_reason[r] += 1
            if r not in allowed:
                errors.append("seq %d refused as %s, not one of %s" % (s, r, sorted(allowed)))
    for s in set(stored) | set(refused):
        if s not in made:
            errors.append("seq %d of spool %s stored or refused, but the agent never made it"
                          % (s, "/".join(sorted(sids))))
    if acked > max(made):
        errors.append("acked %d, past the last seq made %d" % (acked, max(made)))
    print("spool %s of %s: %d samples made (seqs %d..%d), acked up to %d, %d waiting at stop; "
          "stored %d, refused %s"
          % (" then ".join([s for s in sorted(sids) if s != sid] + [sid]), a.id, len(made), min(made), max(made), acked, stop[0],
             sum(1 for s in made if stored[s]),
             ", ".join("%s %d" % kv for kv in sorted(by_reason.items())) or "none"))
    for e in errors[:30]:
        print("spool: " + e, file=sys.stderr)
    return 1 if errors else 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("check"); s.add_argument("--fleet", required=True); s.add_argument("logs", nargs="+")
    s = sub.add_parser("rrd"); s.add_argument("--data", required=True)
    s.add_argument("--interval", type=int, default=1); s.add_argument("logs", nargs="+")
    s = sub.add_parser("identity"); s.add_argument("url"); s.add_argument("--wait", type=float, default=10)
    s = sub.add_parser("lastseq"); s.add_argument("db")
    s = sub.add_parser("monotonic"); s.add_argument("old"); s.add_argument("new")
    s = sub.add_parser("spool"); s.add_argument("--id", required=True)
    s.add_argument("--agent-log", required=True); s.add_argument("--reasons", default="")
    s.add_argument("logs", nargs="+")
    s = sub.add_parser("agent"); s.add_argument("--id", required=True)
    s.add_argument("--fleet-out", required=True); s.add_argument("logs", nargs="+")
    a = p.parse_args()
    return {"check": cmd_check, "rrd": cmd_rrd, "identity": cmd_identity,
            "lastseq": cmd_lastseq, "monotonic": cmd_monotonic, "agent": cmd_agent,
            "spool": cmd_spool}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
