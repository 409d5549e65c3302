#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes the demo's inventory.csv, targets.csv and degraded.txt (the agents
fleetsim plays as degraded sites) into this directory, or --out-dir. The
same files every time: no clock, a fixed seed. deploy/demo.sh loads them.

  deploy/demo/gen.py [--out-dir DIR]

Thái Nguyên: the 92 commune-level units (77 xã, 15 phường) of the province
from 1 July 2025 (Thái Nguyên and Bắc Kạn merged; Resolution
1683/NQ-UBTVQH15), by their real names, each with the district it was in
before, which places it on the map. The hamlets (xóm, bản, thôn, tổ dân
phố) are made up from the syllables of the region's place names; their
coordinates are spread around the old district's centre, inside the
province, not surveyed.

What the demo shows, read back from the collector once the fleet is up:
  - Thái Nguyên's target, 97 % of hamlets covered by 2025-12-31, is met:
    green, more than 97 % covered;
  - 68 communes green, 21 yellow, 3 red: the 24 communes not green have
    each one hamlet not covered. 15 of those have no agent yet (the last 15
    hamlets to connect, target dates in 2026); 9 have an agent on a poor
    link (fleetsim -s degraded:AGENT, listed in degraded.txt);
  - yellow: the commune's own target, 100 % by 2027-06-30, not met yet but
    within the 10-point margin (one hamlet out of 11-16);
  - red: Cao Minh and Sảng Mộc, 100 % by mid 2026, deadline passed; Thượng
    Quan (kept as it was in 2025 because it is so isolated), 100 % by
    2027-06-30 but more than 10 points short (one hamlet out of 7).
Lào Cai: Bát Xát with Suối Chải (the real agent of the demo) and a few
other border communes; Mường Khương's backhaul is the one the demo cuts
(Lùng Thắng carries Pạc Tà, which carries Cốc Phương).

fleetsim (tests/fleetsim/model.c) gives one link in twenty a poor profile
whose loss crosses the 5 % threshold with the hour of the day: such a
hamlet would turn degraded at random and move the demo's numbers. Its
model_hash and uni are replicated below, and an agent id fleetsim would make
poor is given the site's next device number (-02) instead. The demo's test
reads the numbers back from the API: if the model changes, it says so.
"""

import argparse
import csv
import math
import os
import random
import unicodedata

PROVINCE_TN = ("thai-nguyen", "Thái Nguyên")
PROVINCE_LC = ("lao-cai", "Lào Cai")
SEED = 2025
FLEETSIM_SEED = 1  # fleetsim's --seed default, which deploy/demo.sh uses

# Old districts: centre (lat, lon), spread (degrees), and the style of their
# hamlets' names.
DISTRICTS = {
    "tp-thai-nguyen": (21.594, 105.848, 0.05, "kinh"),
    "song-cong": (21.480, 105.830, 0.04, "kinh"),
    "pho-yen": (21.415, 105.870, 0.05, "kinh"),
    "phu-binh": (21.490, 105.985, 0.05, "kinh"),
    "dong-hy": (21.680, 105.930, 0.07, "trung-du"),
    "dai-tu": (21.635, 105.625, 0.08, "trung-du"),
    "phu-luong": (21.765, 105.720, 0.06, "trung-du"),
    "dinh-hoa": (21.905, 105.630, 0.07, "trung-du"),
    "vo-nhai": (21.760, 106.070, 0.08, "vung-cao"),
    "tp-bac-kan": (22.150, 105.830, 0.03, "vung-cao"),
    "bach-thong": (22.230, 105.870, 0.07, "vung-cao"),
    "cho-moi": (21.975, 105.835, 0.07, "vung-cao"),
    "cho-don": (22.180, 105.600, 0.08, "vung-cao"),
    "ba-be": (22.420, 105.730, 0.07, "vung-cao"),
    "pac-nam": (22.600, 105.680, 0.06, "vung-cao"),
    "ngan-son": (22.430, 106.010, 0.07, "vung-cao"),
    "na-ri": (22.170, 106.100, 0.08, "vung-cao"),
}

# The 92 units, in the order of the resolution's list: (type, name, old
# district). "phuong" units have tổ dân phố, the others xóm, bản or thôn.
TN_UNITS = [
    ("phuong", "Phan Đình Phùng", "tp-thai-nguyen"),
    ("phuong", "Linh Sơn", "tp-thai-nguyen"),
    ("phuong", "Tích Lương", "tp-thai-nguyen"),
    ("phuong", "Gia Sàng", "tp-thai-nguyen"),
    ("phuong", "Quyết Thắng", "tp-thai-nguyen"),
    ("phuong", "Quan Triều", "tp-thai-nguyen"),
    ("xa", "Tân Cương", "tp-thai-nguyen"),
    ("xa", "Đại Phúc", "tp-thai-nguyen"),
    ("xa", "Đại Từ", "dai-tu"),
    ("xa", "Đức Lương", "dai-tu"),
    ("xa", "Phú Thịnh", "dai-tu"),
    ("xa", "La Bằng", "dai-tu"),
    ("xa", "Phú Lạc", "dai-tu"),
    ("xa", "An Khánh", "dai-tu"),
    ("xa", "Quân Chu", "dai-tu"),
    ("xa", "Vạn Phú", "dai-tu"),
    ("xa", "Phú Xuyên", "dai-tu"),
    ("phuong", "Phổ Yên", "pho-yen"),
    ("phuong", "Vạn Xuân", "pho-yen"),
    ("phuong", "Trung Thành", "pho-yen"),
    ("phuong", "Phúc Thuận", "pho-yen"),
    ("xa", "Thành Công", "pho-yen"),
    ("xa", "Phú Bình", "phu-binh"),
    ("xa", "Tân Thành", "phu-binh"),
    ("xa", "Điềm Thụy", "phu-binh"),
    ("xa", "Kha Sơn", "phu-binh"),
    ("xa", "Tân Khánh", "phu-binh"),
    ("xa", "Đồng Hỷ", "dong-hy"),
    ("xa", "Quang Sơn", "dong-hy"),
    ("xa", "Trại Cau", "dong-hy"),
    ("xa", "Nam Hòa", "dong-hy"),
    ("xa", "Văn Hán", "dong-hy"),
    ("xa", "Văn Lăng", "dong-hy"),
    ("phuong", "Sông Công", "song-cong"),
    ("phuong", "Bá Xuyên", "song-cong"),
    ("phuong", "Bách Quang", "song-cong"),
    ("xa", "Phú Lương", "phu-luong"),
    ("xa", "Vô Tranh", "phu-luong"),
    ("xa", "Yên Trạch", "phu-luong"),
    ("xa", "Hợp Thành", "phu-luong"),
    ("xa", "Định Hóa", "dinh-hoa"),
    ("xa", "Bình Yên", "dinh-hoa"),
    ("xa", "Trung Hội", "dinh-hoa"),
    ("xa", "Phượng Tiến", "dinh-hoa"),
    ("xa", "Phú Đình", "dinh-hoa"),
    ("xa", "Bình Thành", "dinh-hoa"),
    ("xa", "Kim Phượng", "dinh-hoa"),
    ("xa", "Lam Vỹ", "dinh-hoa"),
    ("xa", "Võ Nhai", "vo-nhai"),
    ("xa", "Dân Tiến", "vo-nhai"),
    ("xa", "Nghinh Tường", "vo-nhai"),
    ("xa", "Thần Sa", "vo-nhai"),
    ("xa", "La Hiên", "vo-nhai"),
    ("xa", "Tràng Xá", "vo-nhai"),
    ("xa", "Bằng Thành", "pac-nam"),
    ("xa", "Nghiên Loan", "pac-nam"),
    ("xa", "Cao Minh", "pac-nam"),
    ("xa", "Ba Bể", "ba-be"),
    ("xa", "Chợ Rã", "ba-be"),
    ("xa", "Phúc Lộc", "ba-be"),
    ("xa", "Thượng Minh", "ba-be"),
    ("xa", "Đồng Phúc", "ba-be"),
    ("xa", "Yên Bình", "cho-moi"),
    ("xa", "Bằng Vân", "ngan-son"),
    ("xa", "Ngân Sơn", "ngan-son"),
    ("xa", "Nà Phặc", "ngan-son"),
    ("xa", "Hiệp Lực", "ngan-son"),
    ("xa", "Nam Cường", "cho-don"),
    ("xa", "Quảng Bạch", "cho-don"),
    ("xa", "Yên Thịnh", "cho-don"),
    ("xa", "Chợ Đồn", "cho-don"),
    ("xa", "Yên Phong", "cho-don"),
    ("xa", "Nghĩa Tá", "cho-don"),
    ("xa", "Phủ Thông", "bach-thong"),
    ("xa", "Cẩm Giàng", "bach-thong"),
    ("xa", "Vĩnh Thông", "bach-thong"),
    ("xa", "Bạch Thông", "bach-thong"),
    ("xa", "Phong Quang", "tp-bac-kan"),
    ("phuong", "Đức Xuân", "tp-bac-kan"),
    ("phuong", "Bắc Kạn", "tp-bac-kan"),
    ("xa", "Văn Lang", "na-ri"),
    ("xa", "Cường Lợi", "na-ri"),
    ("xa", "Na Rì", "na-ri"),
    ("xa", "Trần Phú", "na-ri"),
    ("xa", "Côn Minh", "na-ri"),
    ("xa", "Xuân Dương", "na-ri"),
    ("xa", "Tân Kỳ", "cho-moi"),
    ("xa", "Thanh Mai", "cho-moi"),
    ("xa", "Thanh Thịnh", "cho-moi"),
    ("xa", "Chợ Mới", "cho-moi"),
    ("xa", "Sảng Mộc", "vo-nhai"),
    ("xa", "Thượng Quan", "ngan-son"),
]

# Two names fold to the same id: Văn Lang (Na Rì) and Văn Lăng (Đồng Hỷ).
ID_OVERRIDE = {"Văn Lăng": "van-lang-dong-hy"}

# The communes behind: own target 100 % by 2027-06-30, one hamlet short.
YELLOW = [
    "Bằng Thành", "Nghiên Loan", "Phúc Lộc", "Thượng Minh", "Đồng Phúc",
    "Bằng Vân", "Hiệp Lực", "Nà Phặc", "Nam Cường", "Quảng Bạch",
    "Yên Thịnh", "Yên Phong", "Văn Lang", "Cường Lợi", "Trần Phú",
    "Côn Minh", "Xuân Dương", "Nghinh Tường", "Thần Sa", "Phú Đình",
    "Lam Vỹ",
]
# Of those, the ones whose hamlet short has a degraded site rather than no
# agent (the other 12 have a hamlet without agent).
YELLOW_DEGRADED = [
    "Phúc Lộc", "Hiệp Lực", "Quảng Bạch", "Yên Phong", "Cường Lợi",
    "Côn Minh", "Thần Sa", "Lam Vỹ", "Đồng Phúc",
]
# Red: (target, deadline, hamlets); one hamlet without agent in each.
RED = {
    "Cao Minh": (100, "2026-06-30", 11),
    "Sảng Mộc": (100, "2026-09-30", 12),
    "Thượng Quan": (100, "2027-06-30", 7),
}
# Communes on the province's target that set their own, and met it.
GREEN_OWN = {
    "Tân Cương": (100, "2025-06-30"),
    "Phan Đình Phùng": (100, "2024-12-31"),
    "Định Hóa": (99, "2025-12-31"),
    "Ba Bể": (98, "2025-12-31"),
    "Chợ Đồn": (98, "2025-12-31"),
}

NAMES = {
    # The plains around the cities: Vietnamese names.
    "kinh": (["Xóm"], [
        "Đồng", "Tân", "Trung", "Hòa", "Cầu", "Gò", "Làng", "Xuân", "Phú",
        "An", "Thịnh", "Đình", "Chùa", "Soi", "Ao", "Gốc", "Bãi", "Cổ",
    ], [
        "Tiến", "Long", "Gáy", "Lũa", "Mới", "Chè", "Vàng", "Bình", "Cả",
        "Hạ", "Thượng", "Đông", "Tây", "Nam", "Trại", "Quán", "Thành",
        "Lợi", "Phúc", "Tâm", "Sơn", "Hương", "Lạc", "Mai",
    ]),
    # The midlands: Vietnamese and Tày names mixed.
    "trung-du": (["Xóm", "Xóm", "Bản"], [
        "Na", "Khuôn", "Đèo", "Khe", "Làng", "Đồng", "Mỏ", "Suối",
        "Cây", "Nà", "Pác", "Khau", "Tân", "Hợp", "Lương",
    ], [
        "Mao", "Ngàn", "Vai", "Cọ", "Tác", "Quân", "Lai", "Hin", "Chú", "Rọ",
        "Dạ", "Bục", "Thị", "Muông", "Pặng", "Chang", "Tiến", "Thái", "Cháy",
        "Chè", "Mới", "Hồng",
    ]),
    # The highlands, Bắc Kạn and Võ Nhai: Tày, Nùng, Dao and Mông villages.
    "vung-cao": (["Bản", "Thôn", "Bản"], [
        "Nà", "Pác", "Khuổi", "Cốc", "Phiêng", "Nặm", "Lũng", "Khau", "Bó",
        "Thôm", "Pò", "Keo", "Vằng", "Hát", "Nà", "Khuổi", "Cốc",
    ], [
        "Làng", "Mạ", "Vẻn", "Cuôn", "Chang", "Đông", "Slam", "Quang", "Deng",
        "Nưa", "Mu", "Phầy", "Lù", "Tộc", "Ngòi", "Kẹn", "Hon", "Mò", "Cáy",
        "Sla", "Pục", "Luông", "Tát", "Nghè", "Lịa", "Dạ", "Pjạc", "Chả",
    ]),
}

# Lào Cai: (commune id, name, centre, hamlets as (slug, name, has agent,
# uplink slug)). Ids and names of Bát Xát and Mường Khương as the project's
# tests and README use them.
LC_COMMUNES = [
    ("bat-xat", "Bát Xát", "lc-batxat", (22.545, 103.890), [
        ("suoi-chai", "Suối Chải", True, ""),
        ("phin-ho", "Phìn Hồ", True, "suoi-chai"),
        ("trung-leng-ho", "Trung Lèng Hồ", True, "suoi-chai"),
        ("tong-sanh", "Tòng Sành", True, ""),
        ("ngai-thau-thuong", "Ngải Thầu Thượng", True, "phin-ho"),
        ("o-quy-ho", "Ô Quy Hồ", True, ""),
        ("sang-ma-sao", "Sàng Ma Sáo", True, ""),
    ]),
    ("y-ty", "Y Tý", "lc-yty", (22.630, 103.615), [
        ("lao-chai", "Lao Chải", True, ""),
        ("choan-then", "Choản Thèn", False, ""),
        ("hong-ngai", "Hồng Ngài", True, "lao-chai"),
        ("mo-phu-chai", "Mò Phú Chải", True, ""),
        ("ngai-thau", "Ngài Thầu", True, "mo-phu-chai"),
        ("sin-chai", "Sín Chải", True, ""),
    ]),
    ("a-mu-sung", "A Mú Sung", "lc-amusung", (22.745, 103.725), [
        ("lung-po", "Lũng Pô", True, ""),
        ("nam-cang", "Nậm Cáng", True, "lung-po"),
        ("pho-cu-sung", "Pho Cú Sung", True, "lung-po"),
        ("ban-trung", "Bản Trung", True, ""),
        ("ngai-cho", "Ngải Chồ", True, ""),
    ]),
    ("muong-khuong", "Mường Khương", "lc-muongkhuong", (22.770, 104.100), [
        ("sang-chai", "Sảng Chải", True, ""),
        ("lung-thang", "Lùng Thắng", True, ""),
        ("pac-ta", "Pạc Tà", True, "lung-thang"),
        ("coc-phuong", "Cốc Phương", True, "pac-ta"),
        ("nan-vai", "Nàn Vải", True, ""),
    ]),
    ("bac-ha", "Bắc Hà", "lc-bacha", (22.540, 104.290), [
        ("na-hoi", "Na Hối", True, ""),
        ("ban-pho", "Bản Phố", True, "na-hoi"),
        ("ta-chai", "Tả Chải", True, ""),
        ("nam-mon", "Nậm Mòn", False, ""),
        ("hoang-thu-pho", "Hoàng Thu Phố", True, ""),
        ("lau-thi-ngai", "Lầu Thí Ngài", True, "hoang-thu-pho"),
    ]),
    ("si-ma-cai", "Si Ma Cai", "lc-simacai", (22.700, 104.285), [
        ("san-cha", "Sán Chá", True, ""),
        ("lung-sui", "Lùng Sui", True, ""),
        ("can-cau", "Cán Cấu", True, "lung-sui"),
        ("nan-san", "Nàn Sán", True, ""),
        ("thao-chu-phin", "Thào Chư Phìn", True, ""),
    ]),
]
LC_TARGETS = [
    ("province", "lao-cai", 95, "2027-12-31"),
    ("commune", "bat-xat", 90, "2025-09-30"),
    ("commune", "muong-khuong", 95, "2026-03-31"),
    ("commune", "y-ty", 85, "2027-06-30"),
]

COLS = ("hamlet_id,hamlet_name,village,commune_id,commune_name,province_id,"
        "province_name,lat,lon,agent_id,uplink_hamlet_id,target_date,"
        "population").split(",")

M64 = (1 << 64) - 1


def mix(x):
    x = (x + 0x9e3779b97f4a7c15) & M64
    x = ((x ^ (x >> 30)) * 0xbf58476d1ce4e5b9) & M64
    x = ((x ^ (x >> 27)) * 0x94d049bb133111eb) & M64
    return x ^ (x >> 31)


def model_hash(s, seed):
    h = 0xcbf29ce484222325 ^ mix(seed)
    for b in s.encode():
        h = ((h ^ b) * 0x100000001b3) & M64
    return mix(h)


def uni(key, seq, n):
    x = mix(key ^ mix((seq * 0x2545f4914f6cdd1d + n) & M64))
    return (x >> 11) / 9007199254740992.0


def fleetsim_poor(agent):
    """fleetsim's model_profile: p->bad = uni(k, 0, 1) < 0.05."""
    return uni(model_hash(agent, FLEETSIM_SEED), 0, 1) < 0.05


def agent_id(base):
    for dev in range(1, 10):
        a = "%s-%02d" % (base, dev)
        if not fleetsim_poor(a):
            return a
    raise SystemExit("gen.py: no device number for " + base)


def slug(s):
    s = s.replace("đ", "d").replace("Đ", "D")
    s = unicodedata.normalize("NFD", s)
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    out = "".join(c if c.isalnum() else "-" for c in s)
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")


def date(rnd, y0, y1):
    y = rnd.randint(y0, y1)
    return "%d-%02d-%02d" % (y, rnd.randint(1, 12), rnd.randint(1, 28))


def hamlet_names(rnd, style, n, phuong):
    if phuong:
        return [("Tổ %d" % (k + 1), "Tổ dân phố %d" % (k + 1)) for k in range(n)]
    kinds, first, second = NAMES[style]
    seen, out = set(), []
    while len(out) < n:
        name = "%s %s" % (rnd.choice(first), rnd.choice(second))
        if name in seen or name.split()[0] == name.split()[1]:
            continue
        seen.add(name)
        out.append((name, "%s %s" % (rnd.choice(kinds), name)))
    return out


def thai_nguyen(rnd, rows, targets, degraded):
    assert len(TN_UNITS) == 92 and len(YELLOW) == 21
    names = [u[1] for u in TN_UNITS]
    assert len(set(names)) == 92
    for n in YELLOW + YELLOW_DEGRADED + list(RED) + list(GREEN_OWN):
        assert n in names, n
    ids = set()
    uncovered = []
    # Communes spread around their old district's centre: a golden-angle
    # spiral, so neighbours do not sit on top of each other.
    per_district = {}
    for kind, name, dist in TN_UNITS:
        k = per_district.get(dist, 0)
        per_district[dist] = k + 1
        lat0, lon0, spread, style = DISTRICTS[dist]
        r = spread * (0.25 + 0.75 * ((k * 0.618034) % 1.0))
        a = k * 2.399963
        clat = lat0 + r * math.sin(a)
        clon = lon0 + r * math.cos(a)

        cid = ID_OVERRIDE.get(name) or slug(name)
        assert cid not in ids and cid != PROVINCE_TN[0], cid
        ids.add(cid)
        short = None  # the hamlet short of the target: "none" or "degraded"
        if name in RED:
            t, dl, n = RED[name]
            targets.append(("commune", cid, t, dl))
            short = "none"
        elif name in YELLOW:
            n = rnd.randint(11, 16)
            targets.append(("commune", cid, 100, "2027-06-30"))
            short = "degraded" if name in YELLOW_DEGRADED else "none"
        else:
            n = rnd.randint(10, 14) if kind == "phuong" else rnd.randint(6, 13)
            if name in GREEN_OWN:
                t, dl = GREEN_OWN[name]
                targets.append(("commune", cid, t, dl))

        hams = hamlet_names(rnd, style, n, kind == "phuong")
        short_at = rnd.randrange(1, n) if short else -1
        hids = []
        for k, (hname, village) in enumerate(hams):
            hid = "%s-%s" % (cid, slug(hname))
            assert hid not in hids, hid
            hids.append(hid)
            # The last hamlets to connect: no agent yet, due this year.
            if k == short_at and short == "none":
                agent, td = "", "2026-%02d-%02d" % (rnd.randint(2, 12), rnd.randint(1, 28))
                uncovered.append(hid)
            else:
                agent = agent_id("tn-" + hid)
                td = date(rnd, 2022, 2025)
                if k == short_at:
                    degraded.append(agent)
            # One site in five gets its backhaul over a neighbour's radio.
            up = ""
            if k > 0 and agent and rnd.random() < 0.2:
                up = hids[rnd.randrange(k)]
            pop = rnd.randint(300, 1200) if kind == "phuong" else rnd.randint(150, 900)
            rows.append([hid, hname, village, cid, name, *PROVINCE_TN,
                         "%.5f" % (clat + rnd.uniform(-0.02, 0.02)),
                         "%.5f" % (clon + rnd.uniform(-0.02, 0.02)),
                         agent, up, td, pop])
    assert len(uncovered) == 15, len(uncovered)
    assert len(degraded) == 9, len(degraded)


def lao_cai(rnd, rows, targets):
    for cid, cname, abbr, (clat, clon), hams in LC_COMMUNES:
        prefix = {"bat-xat": "bx", "muong-khuong": "mk", "y-ty": "yt",
                  "a-mu-sung": "ams", "bac-ha": "bh", "si-ma-cai": "smc"}[cid]
        for hs, hname, has_agent, up in hams:
            hid = "%s-%s" % (prefix, hs)
            if hid == "bx-suoi-chai":
                agent = "lc-batxat-suoichai-01"  # the demo's real agent
            elif has_agent:
                agent = agent_id("%s-%s" % (abbr, hs.replace("-", "")))
            else:
                agent = ""
            td = date(rnd, 2024, 2025) if has_agent else \
                "2026-%02d-%02d" % (rnd.randint(2, 12), rnd.randint(1, 28))
            rows.append([hid, hname, "Thôn " + hname, cid, cname, *PROVINCE_LC,
                         "%.5f" % (clat + rnd.uniform(-0.03, 0.03)),
                         "%.5f" % (clon + rnd.uniform(-0.03, 0.03)),
                         agent, "%s-%s" % (prefix, up) if up else "", td,
                         rnd.randint(150, 1300)])
    targets.extend(LC_TARGETS)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out-dir", default=os.path.dirname(os.path.abspath(__file__)))
    a = ap.parse_args()
    rnd = random.Random(SEED)
    rows, targets, degraded = [], [("province", "thai-nguyen", 97, "2025-12-31")], []
    lao_cai(rnd, rows, targets)
    thai_nguyen(rnd, rows, targets, degraded)

    os.makedirs(a.out_dir, exist_ok=True)
    with open(os.path.join(a.out_dir, "inventory.csv"), "w", newline="",
              encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLS)
        w.writerows(rows)
    with open(os.path.join(a.out_dir, "targets.csv"), "w", newline="",
              encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["scope", "id", "coverage_pct", "deadline"])
        w.writerows(targets)
    with open(os.path.join(a.out_dir, "degraded.txt"), "w", encoding="utf-8") as f:
        f.write("# Agents deploy/demo.sh has fleetsim play as degraded sites (-s degraded:AGENT):\n"
                "# poor links in communes behind their target. Written by gen.py.\n")
        f.writelines(d + "\n" for d in degraded)
    tn = sum(1 for r in rows if r[5] == "thai-nguyen")
    print("gen.py: %d hamlets (Thái Nguyên %d in 92 communes, Lào Cai %d), "
          "%d targets, %d degraded sites, in %s"
          % (len(rows), tn, len(rows) - tn, len(targets), len(degraded), a.out_dir))


if __name__ == "__main__":
    main()
