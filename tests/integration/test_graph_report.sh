#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# covmon-graph report without a collector: a rollup series written by
# deploy/demo/seed-history.py, the test inventory and targets, the report
# in Vietnamese and in English. Each names its language, its words are the
# language's, the coverage graph is drawn, no "nan" anywhere, and Lào Cai
# (below its 95 % target after 2026-06-30) is red by the one colour rule.
. "$(dirname "$0")/../lib.sh"
need python3 rrdtool

GRAPH=$COVMON_BUILD/covmon-graph
SEED=$COVMON_SRC/deploy/demo/seed-history.py
python3 "$SEED" "$T/data" lao-cai --from 60 --to 70 --days 40 >/dev/null || fail "seed lao-cai"
python3 "$SEED" "$T/data" lao-cai --commune bat-xat --from 40 --to 50 --days 40 >/dev/null \
    || fail "seed bat-xat"
args=(--data-dir "$T/data" --inventory "$COVMON_SRC/tests/data/inventory.csv"
    --targets "$COVMON_SRC/tests/data/targets.csv")

"$GRAPH" "${args[@]}" report --out "$T/vi" --province lao-cai --lang vi 2> "$T/vi.err" \
    || fail "report --lang vi: $(cat "$T/vi.err")"
grep -q '^covmon-graph: report in .*: [1-9][0-9]* graphs, ' "$T/vi.err" || fail "no summary: $(cat "$T/vi.err")"
grep -q '<html lang="vi">' "$T/vi/index.html" || fail "index.html is not marked vi"
grep -q '<h1>Phủ sóng theo tỉnh</h1>' "$T/vi/index.html" || fail "index.html not in Vietnamese"
grep -q '<td class="red">70.0 %</td><td>95 % trước 30/06/2026</td>' "$T/vi/index.html" \
    || fail "lao-cai not red at 70 % after its deadline: $(grep -o '<tr><td><a href="province-lao-cai.*</tr>' "$T/vi/index.html")"
grep -q '<img src="img/lao-cai-coverage-1m.png"' "$T/vi/province-lao-cai.html" \
    || fail "no coverage graph on the province page"
[ -s "$T/vi/img/lao-cai-coverage-1m.png" ] || fail "the coverage graph was not written"
grep -q '<th>Thôn</th><th>Thôn/bản</th><th>Trạm đo</th><th>Hạn phủ sóng</th>' "$T/vi/commune-bat-xat.html" \
    || fail "the commune page is not in Vietnamese"
# (a figure librrd could not compute prints "nan" or "-nan"; an id such as
# mk-nan-vai or lc-muongkhuong-nanvai-01 holds the letters too: a figure
# stands between spaces, tags or brackets)
nanre='(^|[ >(])-?nan([ <)%]|$)'
if grep -Eq "$nanre" "$T"/vi/*.html; then fail "nan in the report: $(grep -El "$nanre" "$T"/vi/*.html)"; fi
pass "report --lang vi: $(find "$T/vi" -name '*.html' | wc -l) pages, $(find "$T/vi/img" -name '*.png' | wc -l) graphs, Lào Cai red at 70 % after its deadline"

"$GRAPH" "${args[@]}" report --out "$T/en" --province lao-cai 2> "$T/en.err" \
    || fail "report: $(cat "$T/en.err")"
grep -q '<html lang="en">' "$T/en/index.html" || fail "index.html is not marked en"
grep -q '<h1>Coverage by province</h1>' "$T/en/index.html" || fail "index.html not in English"
grep -q '<td class="red">70.0 %</td><td>95 % by 2026-06-30</td>' "$T/en/index.html" \
    || fail "lao-cai in English: $(grep -o '<tr><td><a href="province-lao-cai.*</tr>' "$T/en/index.html")"
pass "report in English"
