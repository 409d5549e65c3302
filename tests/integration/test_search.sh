#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Search (issue 19, DESIGN.md sections 8 and 9) on a collector of the test
# inventory: /api/v1/search finds "suoi chai" (no diacritics, any case, NFD)
# with bx-suoi-chai first and every result leads to a page that exists; the
# /search page links it and escapes what it shows; `covmon site NAME`
# prints the site, lists the choices of an ambiguous name and exits 1;
# `covmon hamlets` takes a commune's and a province's name.
. "$(dirname "$0")/../lib.sh"
need mosquitto curl python3

COVMON=$COVMON_BUILD/covmon
[ -x "$COVMON" ] || fail "$COVMON not built"

# The test inventory, and one hamlet whose name and village are HTML.
cp "$COVMON_SRC/tests/data/inventory.csv" "$T/inventory.csv"
printf '%s\n' 'yt-xss,"<script>alert(""x"")</script> Suối Xa","<b>Bản</b> Xa",y-ty,Y Tý,lao-cai,Lào Cai,,,lc-yty-xss-01,,,' \
    >> "$T/inventory.csv"

start_broker
HTTP_PORT=$(free_port)
BASE=http://127.0.0.1:$HTTP_PORT
write_collector_conf "$T/collector.conf" "$T/data" "$HTTP_PORT"
sed -i "/^\[collector\]/a inventory = $T/inventory.csv\neval_interval = 1" "$T/collector.conf"
start_collector "$T/collector.conf" "$T/collector.log"
# 503 until the first evaluation.
wait_for 20 curl -sf "$BASE/api/v1/search?q=suoi" || fail "no search answer from the collector"
cm() { "$COVMON" --url "$BASE" "$@"; }

# ---- The API.
# check_api QUERY MATCH: the answer's shape, bx-suoi-chai first (matched
# so), every result's page 200.
check_api() {
	curl -sf -G "$BASE/api/v1/search" --data-urlencode "q=$1" > "$T/search.json" \
	    || fail "/api/v1/search?q=$1 failed"
	python3 - "$T/search.json" "$2" > "$T/urls" <<'PY' || fail "/api/v1/search?q=$1: $(cat "$T/search.json")"
import json, sys
d = json.load(open(sys.argv[1]))
r = d["results"]
assert r, "no result"
first = r[0]
want = {"type": "hamlet", "id": "bx-suoi-chai", "name": "Suối Chải", "province": "lao-cai",
        "commune": "bat-xat", "url": "/hamlet/bx-suoi-chai", "match": sys.argv[2]}
for k, v in want.items():
    assert first.get(k) == v, f"first result {k}={first.get(k)!r}, expected {v!r}: {first}"
pages = {"hamlet": "/hamlet/", "agent": "/hamlet/", "village": "/commune/",
         "commune": "/commune/", "province": "/province/"}
for x in r:
    for k in ("type", "id", "name", "province", "commune", "url"):
        assert k in x, f"no {k} in {x}"
    assert x["url"].startswith(pages[x["type"]]), x
    print(x["url"])
# The agent of the same site is found too, after it.
assert any(x["type"] == "agent" and x["id"] == "lc-batxat-suoichai-01" and
           x["url"] == "/hamlet/bx-suoi-chai" for x in r), r
assert d["total"] == len(r), d
PY
	while read -r url; do
		code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE$url")
		[ "$code" = 200 ] || fail "result page $url: HTTP $code"
	done < "$T/urls"
}
check_api "suoi chai" exact
check_api "Suối Chải" exact
check_api "SUỐI CHẢI" exact
check_api "$(printf 'Suo\xcc\x82\xcc\x81i Cha\xcc\x89i')" exact	# NFD
check_api "chai suoi" word
pass "/api/v1/search finds bx-suoi-chai first for suoi chai, Suối Chải, capitals, NFD, any order"

# A form's '+' is a space.
grep -q '"results":\[{"type":"hamlet","id":"bx-suoi-chai"' <(curl -sf "$BASE/api/v1/search?q=suoi+chai&type=hamlet") \
    || fail "q=suoi+chai&type=hamlet: $(curl -s "$BASE/api/v1/search?q=suoi+chai&type=hamlet")"
# Every place kind, each with its page.
for q in "bat xat:commune:bat-xat:/commune/bat-xat" "lao cai:province:lao-cai:/province/lao-cai" \
    "thon phin ho:village:bat-xat:/commune/bat-xat"; do
	IFS=: read -r query type id url <<<"$q"
	curl -sf -G "$BASE/api/v1/search" --data-urlencode "q=$query" | python3 -c '
import json, sys
x = json.load(sys.stdin)["results"][0]
want = dict(zip(("type", "id", "url"), sys.argv[1:]))
assert all(x[k] == v for k, v in want.items()), x' "$type" "$id" "$url" \
	    || fail "search $query: not $type $id first"
done
pass "communes, provinces and villages are found, with their pages"

# Bad input: a clear 400 with an {"error"}.
expect_400() {
	local code
	code=$(curl -s -o "$T/err.json" -w '%{http_code}' "$BASE/api/v1/search?$1")
	[ "$code" = 400 ] || fail "/api/v1/search?$1: HTTP $code, expected 400"
	grep -q "\"error\":\".*$2" "$T/err.json" || fail "/api/v1/search?$1: $(cat "$T/err.json")"
}
long=$(head -c 201 /dev/zero | tr '\0' a)
expect_400 "q=$long" "longer than 200 bytes"
expect_400 "" "nothing to search for"
expect_400 "q=%20-%20" "nothing to search for"
expect_400 "q=suoi&type=town" "bad type"
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/v1/search?q=${long:1}")
[ "$code" = 200 ] || fail "a query of 200 bytes: HTTP $code"
code=$(curl -s -o "$T/bad.json" -w '%{http_code}' "$BASE/api/v1/search?q=%FF%C3%28suoi")
[ "$code" = 200 ] && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/bad.json" \
    || fail "a query that is not UTF-8: HTTP $code $(cat "$T/bad.json")"
pass "empty, too long, bad type: 400 with a message; bytes that are not UTF-8 are no harm"

# ---- The page.
curl -sf "$BASE/search?q=suoi+chai" > "$T/page.html" || fail "/search?q=suoi+chai failed"
grep -q 'href="/hamlet/bx-suoi-chai"' "$T/page.html" || fail "/search?q=suoi+chai does not link the site"
grep -q 'name="q"[^>]*value="suoi chai"' "$T/page.html" || fail "the search form is not filled"
grep -q 'class="badge st-' "$T/page.html" || fail "no state badge on the search page"
# The first result row is the site.
first=$(grep -o '<tr><td class="name"[^>]*><a href="[^"]*"' "$T/page.html" | head -1)
[[ $first == *'href="/hamlet/bx-suoi-chai"' ]] || fail "first result row: $first"
curl -sf "$BASE/search?q=suoi+chai&lang=vi" > "$T/page-vi.html" || fail "/search in Vietnamese failed"
grep -q 'href="/hamlet/bx-suoi-chai?lang=vi"' "$T/page-vi.html" || fail "VI page: links lose the language"
grep -q 'kết quả cho' "$T/page-vi.html" || fail "VI page: not in Vietnamese"
grep -q '<input type="hidden" name="lang" value="vi">' "$T/page-vi.html" || fail "VI page: the form loses the language"
# The language switch keeps the search words (Vietnamese ones percent-encoded).
grep -q 'href="/search?lang=en&amp;q=suoi%20chai">EN</a>' "$T/page-vi.html" \
    || fail "the language switch loses the query: $(grep -o '<span class="lang">.*</span>' "$T/page-vi.html")"
curl -sf -G "$BASE/search" --data-urlencode 'q=Suối Chải' > "$T/page-nfc.html" || fail "/search?q=Suối Chải"
grep -q 'href="/search?lang=vi&amp;q=Su%E1%BB%91i%20Ch%E1%BA%A3i">VI</a>' "$T/page-nfc.html" \
    || fail "the switch of a Vietnamese query: $(grep -o '<span class="lang">.*</span>' "$T/page-nfc.html")"
# Escaped: the HTML name shows as text, the query too.
curl -sf -G "$BASE/search" --data-urlencode 'q=suoi xa"><script>' > "$T/xss.html" || true
curl -sf -G "$BASE/search" --data-urlencode 'q=suoi xa' >> "$T/xss.html" || fail "/search?q=suoi xa failed"
grep -q '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Suối Xa' "$T/xss.html" \
    || fail "the HTML-named hamlet is not shown escaped"
! grep -q '<script\|<b>Bản' "$T/xss.html" || fail "an inventory string or the query went out unescaped"
grep -q 'name="q"' <(curl -sf "$BASE/search") || fail "/search without a query has no form"
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/search?q=$long")
[ "$code" = 400 ] || fail "/search with a query too long: HTTP $code"
# The search box of every page submits here.
grep -q '<form[^>]*action="/search"' <(curl -sf "$BASE/") || fail "no search box in the overview's header"
pass "/search?q=suoi+chai links /hamlet/bx-suoi-chai, in EN and VI, escaped"

# ---- The CLI: a name where an id was expected.
for name in 'suoi chai' 'Suối Chải' 'SUOI CHAI' 'thon suoi chai' bx-suoi-chai lc-batxat-suoichai-01; do
	out=$(cm site "$name") || fail "covmon site '$name' failed"
	[ "$(echo "$out" | head -1)" = "Suối Chải (bx-suoi-chai)" ] \
	    || fail "covmon site '$name' printed: $(echo "$out" | head -3)"
	echo "$out" | grep -q '^  state ' || fail "covmon site '$name': no state line"
done
cm --json site 'suoi chai' | python3 -c 'import json,sys; assert json.load(sys.stdin)["id"] == "bx-suoi-chai"' \
    || fail "covmon --json site 'suoi chai'"
pass "covmon site prints Suối Chải by its name (any case, no diacritics, its village), its id and its agent's"

# Ambiguous: two hamlets are named Lao Chải; the list, then exit 1.
rc=0; cm site 'lao chai' > "$T/out" 2> "$T/err" || rc=$?
[ "$rc" = 1 ] || fail "covmon site 'lao chai': exit $rc, expected 1"
for id in yt-lao-chai pl-lao-chai; do
	grep -q "Lao Chải .* $id" "$T/out" || fail "covmon site 'lao chai' does not list $id: $(cat "$T/out")"
done
grep -q '^NAME / TÊN  *COMMUNE / XÃ  *PROVINCE / TỈNH  *ID / MÃ' "$T/out" || fail "no bilingual header: $(cat "$T/out")"
grep -q "names more than one site" "$T/err" && grep -q "ứng với nhiều điểm" "$T/err" \
    || fail "covmon site 'lao chai': no clear message: $(cat "$T/err")"
# None: a clear error, exit 1.
rc=0; cm site 'khong co thon nay' > "$T/out" 2> "$T/err" || rc=$?
[ "$rc" = 1 ] && grep -q "no hamlet or agent matches 'khong co thon nay'" "$T/err" \
    || fail "covmon site with no match: exit $rc: $(cat "$T/err")"
# A commune's name: not a site, and how to list its hamlets.
rc=0; cm site 'bat xat' > "$T/out" 2> "$T/err" || rc=$?
[ "$rc" = 1 ] && grep -q "covmon hamlets --commune bat-xat" "$T/err" \
    || fail "covmon site 'bat xat': exit $rc: $(cat "$T/err")"
pass "covmon site: an ambiguous name lists the choices and exits 1; none is a clear error"

want=$(cm hamlets --commune bat-xat | tail -1)
[ "$want" = "6 hamlets" ] || fail "covmon hamlets --commune bat-xat: $want"
for args in "--commune|bat xat" "--commune|Bát Xát" "--province|lao cai|--commune|BAT XAT"; do
	IFS='|' read -r -a a <<<"$args"
	out=$(cm hamlets "${a[@]}") || fail "covmon hamlets ${a[*]} failed"
	[ "$(echo "$out" | tail -1)" = "6 hamlets" ] || fail "covmon hamlets ${a[*]}: $(echo "$out" | tail -1)"
	echo "$out" | grep -q '^bx-suoi-chai ' || fail "covmon hamlets ${a[*]}: no bx-suoi-chai"
done
n=$(cm hamlets --province 'Thái Nguyên' | tail -1)
[ "$n" = "$(cm hamlets --province thai-nguyen | tail -1)" ] && [ "$n" != "0 hamlets" ] \
    || fail "covmon hamlets --province 'Thái Nguyên': $n"
rc=0; cm hamlets --commune xuan > "$T/out" 2> "$T/err" || rc=$?
[ "$rc" = 1 ] && grep -q 'xuan-duong' "$T/out" && grep -q 'names more than one commune' "$T/err" \
    || fail "covmon hamlets --commune xuan: exit $rc: $(cat "$T/out" "$T/err")"
rc=0; cm hamlets --commune 'khong co xa nay' > /dev/null 2> "$T/err" || rc=$?
[ "$rc" = 1 ] && grep -q "no commune matches" "$T/err" || fail "an unknown commune name: exit $rc: $(cat "$T/err")"
pass "covmon hamlets --commune 'bat xat' and --province 'Thái Nguyên' work; an ambiguous name lists the choices"

# Bad usage: exit 2 before asking the collector.
for args in "site|" "site|$long" "hamlets|--commune| " "hamlets|--province|$long"; do
	IFS='|' read -r -a a <<<"$args"
	[ "${#a[@]}" -gt 1 ] || a+=("")
	rc=0; cm "${a[@]}" > /dev/null 2> "$T/err" || rc=$?
	[ "$rc" = 2 ] && grep -q 'empty\|longer than 200 bytes' "$T/err" \
	    || fail "covmon ${a[*]:0:2}: exit $rc, expected 2: $(cat "$T/err")"
done
pass "an empty or too long name is bad usage (exit 2)"

stop_collector
no_crash "$T/collector.log"
