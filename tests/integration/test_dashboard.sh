#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The dashboard in a real browser: a collector fed by fleetsim (a backhaul
# cut in one commune, a degraded site, a hamlet whose name is HTML), every
# page and every image it links fetched (all 200), then every page loaded
# by headless Chromium in English and Vietnamese at 1280 and 360 px wide,
# driven over the DevTools protocol (--remote-debugging-pipe, Python's
# standard library only): nothing wider than the window, nothing cut off
# in a scrolling box, every image loaded (a phone gets the 340 px graphs);
# screenshots in $COVMON_BUILD/screenshots/<page>-<width>-<lang>.png; and
# the DOM checked for the HTML name shown as text. Chromium is installed
# here when missing (it is too big for deploy/install-deps.sh); skipped
# when it cannot be.
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
# (its name: <script>alert("x")</script> & <b>Bản</b>, checked as text below)
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

# 120 s of a live fleet at a 2 s interval (ended when the pages are
# checked, below); Mường Khương's backhaul cut after
# 12 s (its sites go down, the ones behind them unreachable), one site
# degraded, one silent, and Suối Chải with a day of spooled samples (its
# graphs have something to show: 10 hours at this retention). The agents
# wait for acks and resend as covmon-agent does (--ack: 64 in flight), so
# Suối Chải, new to the collector, sends while its files are being made
# what a real agent would, not 5,000 samples unasked. Its backlog drains
# 64 samples an ack; the fleet lives long enough for that on a loaded
# machine, since bx-xss below is covered only while Suối Chải, its uplink,
# reports live.
timeout 300 "$COVMON_BUILD/tests/fleetsim/covmon-fleetsim" -p "$MQTT_PORT" \
    -i "$T/inventory.csv" --interval 2 -d 120 -s cut:muong-khuong --cut-after 12 \
    -s degraded:lc-yty-laochai-01 -s silent:lc-amusung-bantrung-01 \
    -s backlog:lc-batxat-suoichai-01 --burst 5000 --ack --ack-timeout 3 \
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
grep -q '<table class="alerts stack">' "$T/page.html" || fail "overview: no firing alerts table"
grep -q 'data-label="Kind">hamlet down</td>' "$T/page.html" || fail "overview: no hamlet down"
curl -sf "$BASE/alerts" > "$T/page.html"
grep -q 'data-label="Kind">hamlet down</td>' "$T/page.html" || fail "/alerts: no hamlet down"
grep -q 'None firing' "$T/page.html" && fail "/alerts says none firing"
cut=$(curl -sf "$BASE/api/v1/hamlets?state=unreachable" | python3 -c \
    'import json,sys; h=json.load(sys.stdin)["hamlets"]; print(h[0]["id"] if h else "")')
if [ -n "$cut" ]; then
	grep -q '<span class="badge st-down">firing</span>' <(curl -sf "$BASE/hamlet/$cut") \
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

# The pages of the browser pass: name and path. The search page (another
# part of issue 19) is in it once the collector serves it.
PAGES=(overview=/ alerts=/alerts province-lao-cai=/province/lao-cai
    province-thai-nguyen=/province/thai-nguyen commune-bat-xat=/commune/bat-xat
    commune-muong-khuong=/commune/muong-khuong commune-y-ty=/commune/y-ty
    hamlet-suoi-chai=/hamlet/bx-suoi-chai hamlet-pac-ta=/hamlet/mk-pac-ta
    hamlet-coc-phuong=/hamlet/mk-coc-phuong hamlet-lao-chai=/hamlet/yt-lao-chai
    hamlet-tong-sanh=/hamlet/bx-tong-sanh hamlet-html-name=/hamlet/bx-xss)
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/search?q=suoi+chai")
if [ "$code" = 200 ]; then
	PAGES+=("search=/search?q=suoi+chai")
	echo "# /search?q=suoi+chai: 200, in the browser pass"
else
	echo "# /search?q=suoi+chai: HTTP $code, not in the browser pass (not served yet)"
fi
# with_lang PATH LANG: the path with ?lang= (or &lang=)
with_lang() { case $1 in *\?*) echo "$1&lang=$2" ;; *) echo "$1?lang=$2" ;; esac; }

# Every page answers 200 in both languages, and so does every image it
# links: the <img> and the phone's <source srcset>.
pages=()
for entry in "${PAGES[@]}"; do
	pages+=("$(with_lang "${entry#*=}" en)" "$(with_lang "${entry#*=}" vi)")
done
pages+=("/hamlet/bx-suoi-chai" "/province/lao-cai?lang=vi&refresh=60")
nimg=0
for p in "${pages[@]}"; do
	code=$(curl -s -o "$T/page.html" -w '%{http_code}' "$BASE$p")
	[ "$code" = 200 ] || fail "$p: HTTP $code"
	grep -q '<script' "$T/page.html" && fail "$p: a <script> element in the page"
	while IFS= read -r img; do
		code=$(curl -s -o "$T/img" -w '%{http_code} %{content_type}' "$BASE$img")
		[ "$code" = "200 image/png" ] || fail "$p: image $img: $code"
		nimg=$((nimg + 1))
	done < <(grep -o 'src\(set\)\?="/graph/[^"]*"' "$T/page.html" | sed 's/^src\(set\)\?="//; s/"$//; s/&amp;/\&/g')
done
curl -s -o /dev/null -w '%{http_code}' "$BASE/static/covmon.css" | grep -q 200 || fail "css"
curl -s "$BASE/hamlet/bx-suoi-chai" > "$T/page.html"
ngraph=$(grep -o '<img class="graph" src="/graph/' "$T/page.html" | wc -l)
[ "$ngraph" -ge 6 ] || fail "site page: only $ngraph graphs"
nphone=$(grep -o 'srcset="/graph/[^"]*width=340[^"]*"' "$T/page.html" | wc -l)
[ "$nphone" -eq "$ngraph" ] || fail "site page: $nphone phone graphs for $ngraph graphs"
pass "${#pages[@]} pages and their $nimg images: 200 ($ngraph graphs on a site page, each with a phone size)"

# Issue 19: a down hamlet's last figures are not current ones: greyed,
# with their time, without a verdict; on its commune's page too.
# (One whose agent had reported a loss before the cut: a site cut before
# its first sample has nothing to show as of a time.)
down=$(curl -sf "$BASE/api/v1/hamlets?state=down&commune=muong-khuong" | python3 -c \
    'import json,sys; h=[x for x in json.load(sys.stdin)["hamlets"] if (x.get("metrics") or {}).get("icmp_loss_pct") is not None]; print(h[0]["id"] if h else "")')
[ -n "$down" ] || fail "no hamlet of Mường Khương down with figures from before the cut"
curl -sf "$BASE/hamlet/$down" > "$T/page.html"
grep -q '<table class="values stale">' "$T/page.html" || fail "/hamlet/$down: values not marked old"
grep -q '<tr><th>Loss</th><td class="num old">[^<]*</td><td class="old"><small class="asof">as of ' \
    "$T/page.html" || fail "/hamlet/$down: loss without 'as of'"
grep -q 'class="v-ok"' "$T/page.html" && fail "/hamlet/$down: an old value judged ok"
grep -q '<small class="asof">lúc ' <(curl -sf "$BASE/hamlet/$down?lang=vi") \
    || fail "/hamlet/$down?lang=vi: no 'lúc'"
curl -sf "$BASE/commune/muong-khuong" > "$T/page.html"
python3 - "$T/page.html" "$down" <<'PY' || fail "/commune/muong-khuong: old figures"
import re, sys
page, down = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2]
row = re.search(r'<tr><td class="name" data-label="Hamlet"><a href="/hamlet/%s">.*?</tr>' % down, page)
if not row:
    sys.exit("FAIL: no row of " + down)
for label in ("Loss", "RTT"):
    cell = re.search(r'<td class="num( old)?( v-bad)?" data-label="%s">(.*?)</td>' % label, row.group(0))
    if not cell:
        sys.exit("FAIL: no %s cell in %s" % (label, row.group(0)))
    if cell.group(3) != "—" and (not cell.group(1) or "as of " not in cell.group(3)):
        sys.exit("FAIL: %s of a down hamlet shown as current: %s" % (label, cell.group(0)))
PY
pass "old values: /hamlet/$down and its commune say 'as of' (VI 'lúc'), no verdict"

hdrs=$(curl -sI "$BASE/")
grep -qi "^content-security-policy: default-src 'self'" <<<"$hdrs" || fail "no CSP"
grep -qi '^x-content-type-options: nosniff' <<<"$hdrs" || fail "no nosniff"
# The language may come from Accept-Language: caches must keep them apart.
grep -qi '^vary: accept-language' <<<"$hdrs" || fail "no Vary: Accept-Language on a page"
img=$(curl -s -D - -o /dev/null "$BASE/graph/latency/bx-suoi-chai.png?range=1d" -H 'Accept-Language: vi')
grep -qi '^vary: accept-language' <<<"$img" || fail "no Vary: Accept-Language on a graph"
pass "security headers; Vary: Accept-Language on pages and graphs"

# Headless Chromium: a fresh profile, nothing fetched but the collector.
CHROME_FLAGS=(--no-sandbox --disable-gpu --disable-quic --no-first-run
    --disable-background-networking --disable-component-update --disable-sync
    --disable-dev-shm-usage --hide-scrollbars)
chrome() {
	local profile
	profile=$(mktemp -d "$T/chrome.XXXXXX")
	timeout 60 "$CHROME" --headless "${CHROME_FLAGS[@]}" --user-data-dir="$profile" "$@" \
	    2>> "$T/chrome.log"
}

# The browser pass: one Chromium, driven over the DevTools protocol on a
# pipe (fd 3 commands, fd 4 answers, each a JSON text ended by a NUL).
# Each page at each width and language is loaded, its lazy images made
# eager and awaited, then measured in the page: the document no wider than
# the window, no element out of it, no scrolling box holding more than it
# shows, every <img> decoded (naturalWidth > 0), the phone graphs chosen
# below 600 px; then a screenshot of the whole page. Every wait ends on an
# event or a deadline, never a fixed sleep.
cat > "$T/cdp.py" <<'PY'
import base64, json, os, select, subprocess, sys, tempfile, time

chrome, base, shots, flags, jobs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
cmd_r, cmd_w = os.pipe()      # we write commands, Chromium reads fd 3
ans_r, ans_w = os.pipe()      # Chromium writes answers on fd 4
def child_fds():
    os.dup2(cmd_r, 3)
    os.dup2(ans_w, 4)
proc = subprocess.Popen([chrome, "--headless=new", "--remote-debugging-pipe",
                         "--user-data-dir=" + tempfile.mkdtemp(prefix="chrome.", dir=os.environ["T"])]
                        + flags.split() + ["about:blank"],
                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                        stderr=open(os.environ["T"] + "/chrome.log", "ab"),
                        preexec_fn=child_fds, pass_fds=(3, 4), close_fds=True)
os.close(cmd_r)
os.close(ans_w)
buf, events, seq = b"", [], 0

def read_msg(deadline):
    global buf
    while b"\0" not in buf:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([ans_r], [], [], left)[0]:
            raise TimeoutError("no answer from Chromium")
        chunk = os.read(ans_r, 1 << 20)
        if not chunk:
            raise EOFError("Chromium closed its pipe")
        buf += chunk
    msg, buf = buf.split(b"\0", 1)
    return json.loads(msg)

def call(method, params=None, session=None, timeout=60):
    global seq
    seq += 1
    m = {"id": seq, "method": method, "params": params or {}}
    if session:
        m["sessionId"] = session
    os.write(cmd_w, json.dumps(m).encode() + b"\0")
    deadline = time.monotonic() + timeout
    while True:
        r = read_msg(deadline)
        if r.get("id") == seq:
            if "error" in r:
                raise RuntimeError("%s: %s" % (method, r["error"]))
            return r["result"]
        events.append(r)

def wait_event(method, session, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        for i, e in enumerate(events):
            if e.get("method") == method and e.get("sessionId") == session:
                del events[i]
                return e
        events.append(read_msg(deadline))

CHECK = r"""(async () => {
  const imgs = [...document.images];
  for (const i of imgs) i.loading = "eager";
  const done = Promise.all(imgs.map(i => i.complete ? null : new Promise(r => {
    i.addEventListener("load", r); i.addEventListener("error", r); })));
  await Promise.race([done, new Promise(r => setTimeout(r, 30000))]);
  const vw = window.innerWidth, out = [], cut = [];
  const name = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
    (e.className && typeof e.className === "string" ? "." + e.className.trim().replace(/\s+/g, ".") : "");
  for (const e of document.body.querySelectorAll("*")) {
    if (e.closest("svg") && e.tagName.toLowerCase() !== "svg") continue;
    const r = e.getBoundingClientRect();
    if (r.width > 0 && r.height > 0 && (r.right > vw + 0.5 || r.left < -0.5))
      out.push(name(e) + " " + Math.round(r.left) + ".." + Math.round(r.right));
    const ox = getComputedStyle(e).overflowX;
    if (!["INPUT", "TEXTAREA", "SELECT", "BUTTON"].includes(e.tagName) && ox !== "visible" &&
        e.scrollWidth > e.clientWidth + 1)
      cut.push(name(e) + (e.firstElementChild ? " > " + name(e.firstElementChild) : "") +
        " shows " + e.clientWidth + " of " + e.scrollWidth);
  }
  return { vw: vw, sw: document.documentElement.scrollWidth, out: out.slice(0, 8),
    cut: cut.slice(0, 8), imgs: imgs.length,
    broken: imgs.filter(i => !(i.naturalWidth > 0)).map(i => i.currentSrc || i.src),
    graphs: imgs.map(i => i.currentSrc).filter(u => u.includes("/graph/")) };
})()"""

failures = []
try:
    target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
    sess = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    call("Page.enable", session=sess)
    for job in jobs:
        name, width, lang, path = job.split(" ", 3)
        width = int(width)
        call("Emulation.setDeviceMetricsOverride", {"width": width, "height": 800,
             "deviceScaleFactor": 1, "mobile": False}, session=sess)
        nav = call("Page.navigate", {"url": base + path}, session=sess)
        if nav.get("errorText"):
            failures.append("%s: %s" % (path, nav["errorText"]))
            continue
        wait_event("Page.loadEventFired", sess)
        r = call("Runtime.evaluate", {"expression": CHECK, "awaitPromise": True,
                 "returnByValue": True}, session=sess, timeout=90)
        if "exceptionDetails" in r:
            failures.append("%s: %s" % (path, r["exceptionDetails"]))
            continue
        v = r["result"]["value"]
        where = "%s at %d px" % (path, width)
        if v["vw"] != width:
            failures.append("%s: the window is %d px" % (where, v["vw"]))
        if v["sw"] > v["vw"]:
            failures.append("%s: the page is %d px wide" % (where, v["sw"]))
        for e in v["out"]:
            failures.append("%s: out of the window: %s" % (where, e))
        for e in v["cut"]:
            failures.append("%s: cut off: %s" % (where, e))
        for u in v["broken"]:
            failures.append("%s: image not loaded: %s" % (where, u))
        for u in v["graphs"]:
            if (width <= 600) != ("width=340" in u):
                failures.append("%s: graph of the wrong size: %s" % (where, u))
            if ("lang=" + lang) not in u:
                failures.append("%s: graph not in %s: %s" % (where, lang, u))
        size = call("Page.getLayoutMetrics", session=sess)["cssContentSize"]
        shot = call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                    "clip": {"x": 0, "y": 0, "width": width,
                             "height": min(size["height"], 12000), "scale": 1}}, session=sess)
        with open("%s/%s-%d-%s.png" % (shots, name, width, lang), "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        print("# %-44s %4d px: %d px wide, %d images, %d graphs" %
              (path, width, v["sw"], v["imgs"], len(v["graphs"])))
    try:
        call("Browser.close", timeout=10)
    except (TimeoutError, EOFError, RuntimeError):
        pass
finally:
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
for f in failures:
    print("FAIL: " + f, file=sys.stderr)
sys.exit(1 if failures else 0)
PY
jobs=()
for entry in "${PAGES[@]}"; do
	for width in 1280 360; do
		for lang in en vi; do
			jobs+=("${entry%%=*} $width $lang $(with_lang "${entry#*=}" "$lang")")
		done
	done
done
export T
timeout 400 python3 "$T/cdp.py" "$CHROME" "$BASE" "$SHOTS" "${CHROME_FLAGS[*]}" "${jobs[@]}" \
    || fail "the browser pass (above)"
[ "$(find "$SHOTS" -maxdepth 1 -name '*.png' | wc -l)" -eq "${#jobs[@]}" ] || fail "not every page has its screenshot"
pass "${#jobs[@]} page loads (${#PAGES[@]} pages, EN and VI, 1280 and 360 px): nothing wider than the window, nothing cut off, every image loaded; screenshots in $SHOTS"

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
kill "$FLEET_PID" 2>/dev/null || true
wait "$FLEET_PID" 2>/dev/null || true
stop_collector
no_crash "$T/collector.log"
