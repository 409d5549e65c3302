#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes a large synthetic inventory.csv and targets.csv for scale tests
(DESIGN.md sections 5 and 10): N hamlets in M communes over several
provinces, the same files for the same seed, so a benchmark can be rerun.

  gen-inventory.py --hamlets 100000 --communes 10000 --out-dir /tmp/inv
"""

import argparse
import csv
import os
import random
import sys

# Real provinces (ids as DESIGN.md section 2) with a rough bounding box, so
# lat/lon land inside the province on the dashboard's map.
PROVINCES = [
    ("lao-cai", "Lào Cai", "lc", 22.0, 22.8, 103.5, 104.4),
    ("thai-nguyen", "Thái Nguyên", "tn", 21.3, 22.0, 105.5, 106.2),
    ("ha-giang", "Hà Giang", "hg", 22.3, 23.3, 104.4, 105.5),
    ("cao-bang", "Cao Bằng", "cb", 22.3, 23.1, 105.3, 106.8),
    ("lai-chau", "Lai Châu", "lch", 21.7, 22.8, 102.3, 103.9),
    ("dien-bien", "Điện Biên", "db", 20.9, 22.5, 102.1, 103.6),
    ("son-la", "Sơn La", "sl", 20.6, 22.0, 103.0, 105.0),
    ("lang-son", "Lạng Sơn", "ls", 21.3, 22.4, 106.0, 107.3),
    ("tuyen-quang", "Tuyên Quang", "tq", 21.5, 22.7, 104.9, 105.7),
    ("yen-bai", "Yên Bái", "yb", 21.3, 22.3, 103.9, 105.1),
]

# Syllables for display names: real-sounding, with diacritics, so that UTF-8
# handling is exercised at scale. The ids stay ascii and numbered.
SYL = ["Nà", "Khuổi", "Pác", "Bản", "Cốc", "Phiêng", "Lũng", "Nặm", "Suối",
       "Lao", "Sín", "Tả", "Phìn", "Đồng", "Tân", "Xuân", "Hòa", "Trung",
       "Chải", "Hồ", "Lừa", "Mỏ", "Cáy", "Thàng", "Sảng", "Ngài", "Chồ",
       "Mường", "Phú", "Thịnh", "Lợi", "Sơn", "Quang", "Bình", "Tiến"]

COLS = ("hamlet_id,hamlet_name,village,commune_id,commune_name,province_id,"
        "province_name,lat,lon,agent_id,uplink_hamlet_id,target_date,"
        "population").split(",")


def name(rnd, words):
    return " ".join(rnd.sample(SYL, words))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hamlets", type=int, default=100000)
    ap.add_argument("--communes", type=int, default=10000)
    ap.add_argument("--provinces", type=int, default=len(PROVINCES),
                    help="how many of the %d built-in provinces to use" % len(PROVINCES))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--agent-pct", type=float, default=90.0,
                    help="share of hamlets with an agent installed")
    ap.add_argument("--out-dir", required=True)
    a = ap.parse_args()
    if a.communes < 1 or a.hamlets < a.communes:
        sys.exit("gen-inventory: need 1 <= communes <= hamlets")
    if not 1 <= a.provinces <= len(PROVINCES) or a.provinces > a.communes:
        sys.exit("gen-inventory: --provinces must be 1..%d and <= communes" % len(PROVINCES))

    rnd = random.Random(a.seed)
    os.makedirs(a.out_dir, exist_ok=True)
    provs = PROVINCES[:a.provinces]

    # Communes round-robin over provinces; hamlets spread evenly over
    # communes, the remainder to the first ones.
    per, extra = divmod(a.hamlets, a.communes)
    inv_path = os.path.join(a.out_dir, "inventory.csv")
    communes = []
    with open(inv_path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(COLS)
        for c in range(a.communes):
            pid, pname, pabbr, la0, la1, lo0, lo1 = provs[c % len(provs)]
            cid = "%s-c%05d" % (pabbr, c)
            cname = "Xã " + name(rnd, 2)
            communes.append((cid, pid))
            clat, clon = rnd.uniform(la0, la1), rnd.uniform(lo0, lo1)
            n = per + (1 if c < extra else 0)
            depth = []
            for k in range(n):
                hid = "%s-h%03d" % (cid, k)
                has_agent = rnd.random() * 100 < a.agent_pct
                agent = "%s-a%03d" % (cid, k) if has_agent else ""
                # Backhaul through an earlier hamlet of the same commune that
                # has an agent, at most 3 hops from a direct site: no cycles.
                up, d = "", 0
                if k > 0 and rnd.random() < 0.3:
                    j = rnd.randrange(k)
                    if depth[j][1] and depth[j][0] < 3:
                        up, d = "%s-h%03d" % (cid, j), depth[j][0] + 1
                depth.append((d, has_agent))
                if rnd.random() < 0.35:
                    td = "2025-%02d-%02d" % (rnd.randint(1, 10), rnd.randint(1, 28))
                else:
                    td = "%d-%02d-%02d" % (rnd.choice((2026, 2027)),
                                           rnd.randint(1, 12), rnd.randint(1, 28))
                hname = name(rnd, 2)
                # One village in twenty has a comma in its name: spreadsheets
                # export that quoted, and the loader must take it.
                village = ("Thôn " + hname) if rnd.random() > 0.05 else \
                    "Thôn %s, khu %d" % (hname, rnd.randint(1, 9))
                w.writerow([hid, hname, village, cid, cname, pid, pname,
                            "%.5f" % (clat + rnd.uniform(-0.04, 0.04)),
                            "%.5f" % (clon + rnd.uniform(-0.04, 0.04)),
                            agent, up, td, rnd.randint(80, 1500)])

    with open(os.path.join(a.out_dir, "targets.csv"), "w", newline="",
              encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(["scope", "id", "coverage_pct", "deadline"])
        for pid, *_ in provs:
            w.writerow(["province", pid, 97 if pid == "thai-nguyen" else 95,
                        "2025-12-31"])
        # A commune target for one commune in fifty.
        for cid, _ in communes[::50]:
            w.writerow(["commune", cid, rnd.choice((90, 95, 99)),
                        "%d-%02d-28" % (rnd.choice((2025, 2026)), rnd.randint(1, 12))])
    print("gen-inventory: %d hamlets, %d communes, %d provinces in %s"
          % (a.hamlets, a.communes, len(provs), a.out_dir))


if __name__ == "__main__":
    main()
