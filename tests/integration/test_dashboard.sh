#!/bin/bash
# The dashboard in a real browser: a collector fed by fleetsim (a backhaul
# cut in one commune, a degraded site, a hamlet whose name is HTML), every
# page and every image it links fetched (all 200), then each page loaded
# by headless Chromium: screenshots in $COVMON_BUILD/screenshots/, and the
# DOM checked for the HTML name shown as text. Chromium is installed here
# when missing (it is too big for deploy/install-deps.sh); skipped when it
# cannot be.
. "$(dirname "$0")/../lib.sh"
need mosquitto curl python3

CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "installing chromium (apt-get install --no-install-recommends chromium)"
		DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q \
		    --no-install-recommends chromium > "$T/apt.log" 2>&1 || true
	fi
	CHROME=$(command -v chromium || true)
	[ -n "$CHROME" ] || skip "chromium is not installed and could not be installed"
fi

SHOTS="$COVMON_BUILD/screenshots"
mkdir -p "$SHOTS"
rm -f "$SHOTS"/*.png

# The test inventory, and a hamlet whose name and village are HTML.
XSS_NAME='<script>alert("x")</script> & <b>Bản</b>'
cp "$COVMON_SRC/tests/data/inventory.csv" "$T/inventory.csv"
printf '%s\n' 'bx-xss,"<script>alert(""x"")</script> & <b>Bản</b>","<img src=x onerror=alert(1)>",bat-xat,Bát Xát,lao-cai,Lào Cai,22.54,103.90,lc-batxat-xss-01,bx-suoi-chai,2025-01-01,12' \
    >> "$T/inventory.csv"

start_broker
HTTP_PORT=$(free_port)
BASE="http://127.0.0.1:$HTTP_PORT"
write_collector_conf "$T/collector.conf" "$T/data" "$HTTP_PORT" \
    "[rrd]" "retention = RRA:AVERAGE:0.5:1:600 RRA:AVERAGE:0.5:30:600 RRA:MIN:0.5:30:600 RRA:MAX:0.5:30:600" \
    "[coverage]" "window = 20" "offline_after = 8" "[alerts]" "for = 2" "clear_for = 2"
sed -i "/^\[collector\]/a inventory = $T/inventory.csv\ntargets = $COVMON_SRC/tests/data/targets.csv\neval_interval = 1" \
    "$T/collector.conf"
TZ=Asia/Ho_Chi_Minh start_collector "$T/collector.conf" "$T/collector.log"
wait_for 10 curl -sf "$BASE/api/v1/health" || fail "collector not up"

# 40 s of a live fleet at a 2 s interval; Mường Khương's backhaul cut after
# 12 s (its sites go down, the ones behind them unreachable), one site
# degraded, one silent, and Suối Chải with a day of spooled samples (its
# graphs have something to show: 10 hours at this retention).
timeout 120 "$COVMON_BUILD/tests/fleetsim/covmon-fleetsim" -p "$MQTT_PORT" \
    -i "$T/inventory.csv" --interval 2 -d 40 -s cut:muong-khuong --cut-after 12 \
    -s degraded:lc-yty-laochai-01 -s silent:lc-amusung-bantrung-01 \
    -s backlog:lc-batxat-suoichai-01 --burst 5000 \
    > "$T/fleetsim.log" 2>&1 &
FLEET_PID=$!
PIDS+=("$FLEET_PID")
wait_storing 20 bash -c "curl -sf $BASE/api/v1/hamlets?state=down | grep -q '\"state\":\"down\"'" \
    || fail "no hamlet went down after the cut"
wait_storing 20 bash -c "curl -sf $BASE/api/v1/hamlets/bx-xss | grep -q '\"state\":\"covered\"'" \
    || fail "the HTML-named hamlet is not covered"
# The backlog stored: the day's first sample is in icmp.rrd.
wait_storing 20 bash -c "[ \$(rrdtool first --rraindex 1 $T/data/rrd/lao-cai/lc-batxat-suoichai-01/icmp.rrd 2>/dev/null || echo 0) -gt 0 ] && \
    [ \$(( \$(date +%s) - \$(rrdtool lastupdate $T/data/rrd/lao-cai/lc-batxat-suoichai-01/icmp.rrd | awk -F: 'NR==3{print \$1}') )) -lt 10 ]" \
    || fail "Suối Chải's backlog not stored"
pass "fleet running; a commune cut off"

# The cut as the pages show it: a firing hamlet_down on the overview and on
# /alerts, named, and on the site page of a hamlet cut off behind it.
wait_storing 20 bash -c "curl -sf '$BASE/api/v1/alerts?state=firing' | grep -q '\"kind\":\"hamlet_down\"'" \
    || fail "no hamlet_down alert firing after the cut"
curl -sf "$BASE/" > "$T/page.html"
grep -q '<table class="alerts">' "$T/page.html" || fail "overview: no firing alerts table"
grep -q '<td class="hide-sm">hamlet down</td>' "$T/page.html" || fail "overview: no hamlet down"
curl -sf "$BASE/alerts" > "$T/page.html"
grep -q '<td class="hide-sm">hamlet down</td>' "$T/page.html" || fail "/alerts: no hamlet down"
grep -q 'None firing' "$T/page.html" && fail "/alerts says none firing"
cut=$(curl -sf "$BASE/api/v1/hamlets?state=unreachable" | python3 -c \
    'import json,sys; h=json.load(sys.stdin)["hamlets"]; print(h[0]["id"] if h else "")')
if [ -n "$cut" ]; then
	curl -sf "$BASE/hamlet/$cut" | grep -q '<span class="badge st-down">firing</span>' \
	    || fail "/hamlet/$cut: its uplink's alert not listed"
fi
pass "firing alerts on /, /alerts and the site page${cut:+ of $cut}"

# Issue 18: the cut above the rollout's backlog. Tòng Sành (bx-tong-sanh)
# has no agent and a target date of 2025-04-07: overdue, an info alert, in
# the Rollout section with that date, not with the collector's start.
wait_for 30 bash -c "curl -sf '$BASE/api/v1/alerts?state=firing' | grep -q '\"scope\":\"hamlet:bx-tong-sanh\"'" \
    || fail "no overdue alert for bx-tong-sanh"
curl -sf "$BASE/alerts" > "$T/alerts-en.html"
curl -sf "$BASE/alerts?lang=vi" > "$T/alerts-vi.html"
curl -sf "$BASE/" > "$T/overview.html"
python3 - "$T/alerts-en.html" "$T/alerts-vi.html" "$T/overview.html" <<'PY' || fail "severity and rollout on the pages"
import re, sys
en, vi, ov = (open(f, encoding="utf-8").read() for f in sys.argv[1:4])
def check(ok, what):
    if not ok:
        sys.exit("FAIL: " + what)
for page, lang, crit, info, since in ((en, "EN", "Critical", "Info", "overdue since"),
                                      (vi, "VI", "Nghiêm trọng", "Thông tin", "quá hạn từ")):
    rows = [(m.start(), m.group(1), page[m.start():page.index("</tr>", m.start())])
            for m in re.finditer(r'<tr id="alert-\d+" class="sev-(\w+)">', page)]
    roll = page.find('<h2 id="rollout">')
    check(roll > 0, lang + ": no Rollout section")
    check((page[roll:roll + 40].startswith('<h2 id="rollout">Rollout') if lang == "EN"
           else page[roll:roll + 40].startswith('<h2 id="rollout">Triển khai')),
          lang + ": the Rollout heading: " + page[roll:roll + 40])
    firing = page[:page.index("<h2>Resolved" if lang == "EN" else "<h2>Đã hết")]
    down = [r for r in rows if r[1] == "critical" and r[0] < roll]
    check(down, lang + ": no critical row above the rollout")
    check(all('<span class="badge sev-critical">%s</span>' % crit in r[2] for r in down),
          lang + ": a critical row without its label")
    overdue = [r for r in rows if "/hamlet/" in r[2] and r[1] == "info"]
    check(overdue, lang + ": no overdue row")
    # (the resolved list, between them, may hold a rollout alert that ended)
    check(all(r[0] > len(firing) for r in rows if r[1] == "info"),
          lang + ": an info row among the firing alerts")
    check(all(r[0] < roll for r in rows if r[1] == "critical"), lang + ": a critical row in the rollout")
    check(min(r[0] for r in down) < min(r[0] for r in overdue), lang + ": overdue before the outage")
    # firing rows above Resolved: most severe first
    sev = {"critical": 2, "warning": 1, "info": 0}
    order = [sev[r[1]] for r in rows if r[0] < len(firing)]
    check(order == sorted(order, reverse=True), lang + ": not by severity: %s" % order)
    ts = [r for r in overdue if 'href="/hamlet/bx-tong-sanh' in r[2]]
    check(len(ts) == 1, lang + ": Tòng Sành not in the rollout")
    check('<span class="badge sev-info">%s</span>' % info in ts[0][2], lang + ": no Info label")
    check(since + " 2025-04-07" in ts[0][2], lang + ": not overdue since its target date: " + ts[0][2])
roll = ov.find('<h2 id="rollout">Rollout <small>(')
check(roll > 0, "overview: no Rollout count")
check(ov.find('class="sev-critical"') < roll, "overview: the outage is not above the rollout")
end = ov.find("<h2>", roll + 10)
n = ov.count('<tr id="alert-', roll, end)
check(1 <= n <= 5, "overview: %d rows of the rollout, not the first few" % n)
check('href="/alerts#rollout"' in ov, "overview: no link to the whole rollout list")
PY
pass "/alerts and /: the cut first and labelled; Tòng Sành in the Rollout, overdue since 2025-04-07; EN and VI"

# Every page answers 200, and so does every image it links.
pages=(/ /alerts /province/lao-cai /province/thai-nguyen /commune/bat-xat
    /commune/muong-khuong /commune/y-ty /hamlet/bx-suoi-chai /hamlet/bx-xss
    /hamlet/mk-pac-ta /hamlet/mk-coc-phuong /hamlet/yt-lao-chai /hamlet/bx-tong-sanh
    "/hamlet/bx-suoi-chai?lang=vi" "/?lang=vi" "/province/lao-cai?lang=vi&refresh=60")
for p in "${pages[@]}"; do
	code=$(curl -s -o "$T/page.html" -w '%{http_code}' "$BASE$p")
	[ "$code" = 200 ] || fail "$p: HTTP $code"
	grep -q '<script' "$T/page.html" && fail "$p: a <script> element in the page"
	for img in $(grep -o 'src="/graph/[^"]*"' "$T/page.html" | sed 's/^src="//; s/"$//; s/&amp;/\&/g'); do
		code=$(curl -s -o "$T/img" -w '%{http_code} %{content_type}' "$BASE$img")
		[ "$code" = "200 image/png" ] || fail "$p: image $img: $code"
	done
done
curl -s -o /dev/null -w '%{http_code}' "$BASE/static/covmon.css" | grep -q 200 || fail "css"
nimg=$(curl -s "$BASE/hamlet/bx-suoi-chai" | grep -o '<img src="/graph/' | wc -l)
[ "$nimg" -ge 6 ] || fail "site page: only $nimg graphs"
pass "${#pages[@]} pages and their images: 200 ($nimg graphs on a site page)"

hdrs=$(curl -sI "$BASE/")
grep -qi "^content-security-policy: default-src 'self'" <<<"$hdrs" || fail "no CSP"
grep -qi '^x-content-type-options: nosniff' <<<"$hdrs" || fail "no nosniff"
pass "security headers"

# Headless Chromium: a fresh profile, nothing fetched but the collector.
chrome() {
	local profile
	profile=$(mktemp -d "$T/chrome.XXXXXX")
	timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	    --disable-background-networking --disable-component-update --disable-sync \
	    --disable-dev-shm-usage --hide-scrollbars --user-data-dir="$profile" "$@" \
	    2>> "$T/chrome.log"
}
shot() {
	local name=$1 url=$2 size=${3:-1280,900}
	chrome --screenshot="$SHOTS/$name.png" --window-size="$size" \
	    --virtual-time-budget=5000 "$BASE$url" > /dev/null
	[ -s "$SHOTS/$name.png" ] || fail "no screenshot of $url"
}
shot overview /
shot overview-vi "/?lang=vi"
shot province-lao-cai /province/lao-cai 1280,1600
shot province-thai-nguyen /province/thai-nguyen 1280,1600
shot commune-muong-khuong /commune/muong-khuong
shot hamlet-suoi-chai /hamlet/bx-suoi-chai 1280,2200
shot hamlet-pac-ta-vi "/hamlet/mk-pac-ta?lang=vi" 1280,1400
shot hamlet-html-name /hamlet/bx-xss
shot hamlet-phone /hamlet/bx-suoi-chai 412,1800
shot alerts /alerts
shot alerts-phone-vi "/alerts?lang=vi" 412,1400
pass "screenshots in $SHOTS: $(ls "$SHOTS" | wc -l)"

# What the browser made of the HTML name: text in the heading, no element.
chrome --dump-dom "$BASE/hamlet/bx-xss" > "$T/dom.html"
grep -q '<h1>&lt;script&gt;alert("x")&lt;/script&gt; &amp; &lt;b&gt;Bản&lt;/b&gt;</h1>' "$T/dom.html" \
    || { grep -o '<h1>.*</h1>' "$T/dom.html" >&2; fail "the HTML name is not shown as text"; }
grep -qi '<script' "$T/dom.html" && fail "a script element in the DOM"
grep -q '<img src="x"' "$T/dom.html" && fail "the village's <img> became an element"
grep -q 'Suối Chải' "$T/dom.html" || fail "UTF-8 names lost"
chrome --dump-dom "$BASE/province/lao-cai" > "$T/dom.html"
n=$(grep -o '<circle class="st-' "$T/dom.html" | wc -l)
[ "$n" -ge 40 ] || fail "province map: $n dots"
grep -q '<circle class="st-down"' "$T/dom.html" || fail "no down hamlet on the map"
pass "DOM: the HTML name is text, the map has $n dots"

kill -0 "$COLLECTOR_PID" || fail "collector died"
wait "$FLEET_PID" 2>/dev/null || true
stop_collector
no_crash "$T/collector.log"
