#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes a rollup file with a past coverage series, so that a demo (or a
test) starts with the pace to the target already known: the collector's
pace reads the last 30 days of each rollup's covered_pct (DESIGN.md
section 6), and a fresh data_dir has none.

  seed-history.py DATA_DIR PROVINCE [--commune C] --from PCT --to PCT
                  [--days 60] [--total N]

The file gets the collector's rollup DS names and default archives at a
60 s step, with a heartbeat of two hours so that the hourly points written
here are read as a line; the collector then goes on updating it. An
existing file is left alone (nothing already stored is lost).
"""

import argparse
import os
import subprocess
import sys
import time

DS = ["covered", "degraded", "down", "unreachable", "unmonitored", "total",
      "covered_pct"]
STEP = 60
DAY = 86400


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data_dir")
    ap.add_argument("province")
    ap.add_argument("--commune")
    ap.add_argument("--from", dest="start_pct", type=float, required=True)
    ap.add_argument("--to", dest="end_pct", type=float, required=True)
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--total", type=int, default=0,
                    help="hamlets in the scope: fills the counts too")
    a = ap.parse_args()
    for name, v in (("province", a.province), ("commune", a.commune)):
        if v is not None and (not v or v.startswith("_") or "/" in v or ".." in v):
            sys.exit(f"seed-history: bad {name} id '{v}'")
    d = os.path.join(a.data_dir, "rrd", a.province)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, f"_commune_{a.commune}.rrd" if a.commune else "_province.rrd")
    if os.path.exists(path):
        print(f"seed-history: {path} exists, left alone")
        return
    now = int(time.time()) // STEP * STEP
    first = now - a.days * DAY
    rras = []
    for cf, steps, span in (("AVERAGE", 1, DAY), ("AVERAGE", 5, 7 * DAY),
                            ("AVERAGE", 60, 90 * DAY), ("AVERAGE", 1440, 730 * DAY),
                            ("MIN", 5, 7 * DAY), ("MIN", 60, 90 * DAY),
                            ("MIN", 1440, 730 * DAY), ("MAX", 5, 7 * DAY),
                            ("MAX", 60, 90 * DAY), ("MAX", 1440, 730 * DAY)):
        rras.append(f"RRA:{cf}:0.5:{steps}:{-(-span // (STEP * steps))}")
    subprocess.run(["rrdtool", "create", path, "--step", str(STEP), "--start",
                    str(first - STEP)] +
                   [f"DS:{n}:GAUGE:7200:0:U" for n in DS] + rras, check=True)
    vals = []
    hours = a.days * 24
    # Hourly, and a last point a step before now: the collector's first
    # update then stands for a minute, not for the hour since the last one.
    times = [first + h * 3600 for h in range(hours) if first + h * 3600 < now - STEP]
    for t in times + [now - STEP]:
        pct = a.start_pct + (a.end_pct - a.start_pct) * (t - first) / (now - first)
        if a.total > 0:
            cov = round(pct * a.total / 100)
            row = [cov, 0, 0, 0, a.total - cov, a.total, pct]
        else:
            row = ["U"] * 6 + [pct]
        vals.append(f"{t}:" + ":".join(f"{x:.4f}" if isinstance(x, float) else str(x)
                                        for x in row))
    for i in range(0, len(vals), 200):
        subprocess.run(["rrdtool", "update", path] + vals[i:i + 200], check=True)
    os.chmod(path, 0o640)
    print(f"seed-history: {path}: {a.start_pct:g} % to {a.end_pct:g} % over {a.days} days")


if __name__ == "__main__":
    main()
