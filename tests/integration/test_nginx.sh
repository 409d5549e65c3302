#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# deploy/nginx/covmon.conf in front of a real collector: the shipped file,
# with only its names, ports, paths and the /metrics range replaced (and
# client_header_timeout cut from 10 s to $HDR_TIMEOUT s so the test is
# short), inside an nginx.conf like Debian's, checked by nginx -t and run by
# a real nginx on loopback. Through it, over https with a self-signed
# certificate: TLS versions and ciphers, HSTS and the collector's own
# headers, pages, a page's images, graphs, the JSON API, the write actions
# with and without the bearer token, /metrics by address; then slow
# clients closed by the header deadline while health answers, the
# per-address connection cap, and the request rate limit.
. "$(dirname "$0")/../lib.sh"
NGINX=$(command -v nginx || true)
[ -n "$NGINX" ] || { [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx; } || true
[ -n "$NGINX" ] || skip "nginx is not installed (deploy/install-deps.sh installs it)"
need mosquitto curl python3 openssl

SHIPPED="$COVMON_SRC/deploy/nginx/covmon.conf"
HDR_TIMEOUT=3        # the shipped 10 s, shortened for the test
SLOW_TLS=1000 SLOW_RAW=50
TOKEN=$(openssl rand -hex 16)

# The limits as shipped: the checks below follow the file.
BURST=$(sed -n 's/^\s*limit_req zone=covmon_req burst=\([0-9]*\).*/\1/p' "$SHIPPED")
RATE=$(sed -n 's/^\s*limit_req_zone .* rate=\([0-9]*\)r\/s;.*/\1/p' "$SHIPPED")
CONNS=$(sed -n 's/^\s*limit_conn covmon_conn \([0-9]*\);.*/\1/p' "$SHIPPED")
NAME=$(sed -n 's/^\s*server_name \([^ ;]*\);.*/\1/p' "$SHIPPED" | head -1)
[ -n "$BURST" ] && [ -n "$RATE" ] && [ -n "$CONNS" ] && [ -n "$NAME" ] \
    || fail "covmon.conf: no limit_req burst, rate, limit_conn or server_name found"

# --- The collector, with the test inventory, a token, and some data.
start_broker
example_collector "token = $TOKEN" \
    "[rrd]" "retention = RRA:AVERAGE:0.5:1:600 RRA:AVERAGE:0.5:5:600 RRA:MIN:0.5:5:600 RRA:MAX:0.5:5:600"
wait_for 60 curl -sf -o /dev/null "$BASE/" || fail "no evaluation"
fleet_backfill 3 3
wait_for 20 curl -sf -o /dev/null "$BASE/graph/latency/bx-suoi-chai.png" || fail "no latency graph"
wait_for 20 curl -sf -o /dev/null "$BASE/graph/coverage/lao-cai.png" || fail "no coverage graph"

# --- A self-signed RSA certificate for the shipped server name (RSA, so
# that a plain-RSA key exchange would be possible if the ciphers let it).
mkdir -p "$T/tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$NAME" \
    -addext "subjectAltName=DNS:$NAME" -keyout "$T/tls/covmon.key" -out "$T/tls/covmon.pem" \
    > "$T/openssl.out" 2>&1 || fail "openssl req: $(cat "$T/openssl.out")"
chmod 600 "$T/tls/covmon.key"

# --- The shipped site file, rendered: every replacement must apply once or
# more, and nothing it replaces may be left, or the file changed under the
# test and the test says so.
P443=$(free_port)
P80=$(free_port)
while [ "$P80" = "$P443" ]; do P80=$(free_port); done
mkdir -p "$T/acme/.well-known/acme-challenge" "$T/nginx-tmp"
sed -e "s#server 127\.0\.0\.1:8080;#server 127.0.0.1:$HTTP_PORT;#" \
    -e "s#^\(\s*\)listen 443 ssl#\1listen 127.0.0.1:$P443 ssl#" \
    -e "s#^\(\s*\)listen 80;#\1listen 127.0.0.1:$P80;#" \
    -e '/^\s*listen \[::\]/d' \
    -e "s#/etc/nginx/ssl/covmon\.pem#$T/tls/covmon.pem#" \
    -e "s#/etc/nginx/ssl/covmon\.key#$T/tls/covmon.key#" \
    -e "s#/var/log/nginx/covmon\.#$T/nginx-covmon.#" \
    -e "s#root /var/www/letsencrypt;#root $T/acme;#" \
    -e "s#allow 10\.0\.0\.0/8;#allow 127.0.0.2;#" \
    -e "s#client_header_timeout 10s;#client_header_timeout ${HDR_TIMEOUT}s;#" \
    "$SHIPPED" > "$T/covmon.conf"
for want in "server 127.0.0.1:$HTTP_PORT;" "listen 127.0.0.1:$P443 ssl" "listen 127.0.0.1:$P80;" \
    "$T/tls/covmon.pem" "$T/tls/covmon.key" "$T/nginx-covmon.access.log" \
    "$T/nginx-covmon.error.log" "root $T/acme;" "allow 127.0.0.2;" \
    "client_header_timeout ${HDR_TIMEOUT}s;"; do
	grep -qF -- "$want" "$T/covmon.conf" || fail "rendering covmon.conf: '$want' not produced (shipped file changed?)"
done
n=$(grep -c "client_header_timeout ${HDR_TIMEOUT}s;" "$T/covmon.conf")
[ "$n" -eq 2 ] || fail "rendering covmon.conf: client_header_timeout replaced $n times, want 2 (both servers)"
for gone in ':8080' '/etc/nginx/ssl' '/var/log/nginx' '/var/www' '10.0.0.0/8' 'listen 443' \
    'listen 80' 'listen [::]' 'client_header_timeout 10s'; do
	! grep -v '^\s*#' "$T/covmon.conf" | grep -qF -- "$gone" || fail "rendering covmon.conf: '$gone' left in it"
done
diff "$SHIPPED" "$T/covmon.conf" > "$T/render.diff" || true
changed=$(grep -c '^<' "$T/render.diff" || true)
total=$(grep -c . "$SHIPPED")
pass "covmon.conf rendered: $changed of its $total lines replaced (ports, paths, /metrics range, header timeout ${HDR_TIMEOUT}s)"

# An nginx.conf like Debian's (whose http {} sets TLS 1.0 and 1.1, which
# the site must override), everything in $T, the site included as
# sites-enabled is. As root, workers run as www-data, as Debian's do.
user_line=""
if [ "$(id -u)" -eq 0 ] && id www-data > /dev/null 2>&1; then
	user_line="user www-data;"
	chmod 755 "$T"
	chown www-data "$T/nginx-tmp"
fi
echo "token-for-acme" > "$T/acme/.well-known/acme-challenge/t1"
chmod -R a+rX "$T/acme"
cat > "$T/nginx.conf" <<CONF
$user_line
daemon off;
worker_processes 1;
worker_rlimit_nofile 8192;
pid $T/nginx.pid;
error_log $T/nginx-error.log info;
events { worker_connections 4096; }
http {
	sendfile on;
	tcp_nopush on;
	types_hash_max_size 2048;
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
	ssl_prefer_server_ciphers on;
	access_log $T/nginx-access.log;
	gzip on;
	client_body_temp_path $T/nginx-tmp/body;
	proxy_temp_path $T/nginx-tmp/proxy;
	fastcgi_temp_path $T/nginx-tmp/fastcgi;
	uwsgi_temp_path $T/nginx-tmp/uwsgi;
	scgi_temp_path $T/nginx-tmp/scgi;
	include $T/covmon.conf;
}
CONF
"$NGINX" -t -p "$T" -e "$T/nginx-error.log" -c "$T/nginx.conf" > "$T/nginx-t.log" 2>&1 \
    || fail "nginx -t refused the config: $(cat "$T/nginx-t.log")"
grep -q 'syntax is ok' "$T/nginx-t.log" || fail "nginx -t: $(cat "$T/nginx-t.log")"
"$NGINX" -p "$T" -e "$T/nginx-error.log" -c "$T/nginx.conf" > "$T/nginx-stderr.log" 2>&1 &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
wait_for 10 bash -c "echo > /dev/tcp/127.0.0.1/$P443" || fail "nginx did not start"
pass "nginx -t: syntax ok; nginx $("$NGINX" -v 2>&1 | sed 's/.*\///') on :$P443 and :$P80"

URL="https://$NAME:$P443"
# hc SOURCE_ADDRESS CURL_ARGS...: curl through nginx, trusting the test's
# certificate, from a loopback address of its own (each check its own
# address, so that one check's requests do not use up another's limits).
hc() {
	local src=$1; shift
	curl -s --max-time 10 --cacert "$T/tls/covmon.pem" --resolve "$NAME:$P443:127.0.0.1" \
	    --interface "$src" "$@"
}
# code SOURCE PATH [CURL_ARGS...]: the status of PATH through nginx (and
# its content type when CT=1), the body in $T/body.
code() {
	local src=$1 path=$2 fmt='%{http_code}'; shift 2
	[ -z "${CT:-}" ] || fmt='%{http_code} %{content_type}'
	hc "$src" -o "$T/body" -w "$fmt" "$@" "$URL$path" || true
}

# --- TLS: 1.2 and 1.3 only; for 1.2, forward-secret AEAD suites only.
tls() { timeout 10 openssl s_client -connect "127.0.0.1:$P443" -servername "$NAME" \
    -CAfile "$T/tls/covmon.pem" "$@" < /dev/null > "$T/s_client.out" 2>&1; }
tls -tls1_3 || fail "TLS 1.3 refused: $(tail -3 "$T/s_client.out")"
grep -q 'Verify return code: 0 (ok)' "$T/s_client.out" || fail "certificate not verified"
v13=$(sed -n 's/^New, \(TLSv1.3\), Cipher is \(.*\)/\1 \2/p' "$T/s_client.out")
tls -tls1_2 || fail "TLS 1.2 refused: $(tail -3 "$T/s_client.out")"
v12=$(sed -n 's/^New, \(TLSv1.2\), Cipher is \(.*\)/\1 \2/p' "$T/s_client.out")
case $v12 in *ECDHE-RSA-*GCM*|*ECDHE-RSA-CHACHA20*) ;; *) fail "TLS 1.2 cipher: '$v12'" ;; esac
for c in AES128-SHA AES256-GCM-SHA384 ECDHE-RSA-AES128-SHA ECDHE-RSA-AES256-SHA384; do
	! tls -tls1_2 -cipher "$c" || fail "TLS 1.2 with $c accepted"
done
! tls -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' || fail "TLS 1.1 accepted"
! tls -tls1 -cipher 'DEFAULT:@SECLEVEL=0' || fail "TLS 1.0 accepted"
pass "TLS: $v13; $v12; refused: RSA key exchange, CBC suites, and TLS 1.0 and 1.1 (which OpenSSL 3 also refuses at its default security level)"

# --- Port 80: a redirect to https (never to a host the client names), and
# the ACME challenge directory.
loc=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H "Host: evil.example" \
    "http://127.0.0.1:$P80/province/lao-cai?lang=vi")
[ "$loc" = "301 https://$NAME/province/lao-cai?lang=vi" ] || fail "port 80: '$loc'"
acme=$(curl -s "http://127.0.0.1:$P80/.well-known/acme-challenge/t1")
[ "$acme" = "token-for-acme" ] || fail "port 80: ACME challenge: '$acme'"
pass "port 80: $loc (Host: evil.example ignored); ACME challenge served"

# --- Pages, graphs and the API through nginx, with the collector's headers.
for p in / /province/lao-cai /commune/bat-xat /hamlet/bx-suoi-chai /alerts "/hamlet/bx-suoi-chai?lang=vi"; do
	c=$(CT=1 code 127.0.0.1 "$p")
	[ "$c" = "200 text/html; charset=utf-8" ] || fail "GET $p through nginx: $c"
	[ "$p" != /province/lao-cai ] || grep -q 'Lào Cai' "$T/body" || fail "province page: no 'Lào Cai'"
done
for g in /graph/coverage/lao-cai.png /graph/coverage/bat-xat.png "/graph/latency/bx-suoi-chai.png?range=1w"; do
	c=$(CT=1 code 127.0.0.1 "$g")
	[ "$c" = "200 image/png" ] || fail "GET $g: $c"
	[ "$(head -c 8 "$T/body" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$g: not a PNG"
done
png=$(stat -c %s "$T/body")
cmp -s "$T/body" <(curl -s "$BASE/graph/latency/bx-suoi-chai.png?range=1w") \
    || fail "the latency graph through nginx differs from the collector's"
c=$(CT=1 code 127.0.0.1 /api/v1/provinces)
[ "${c%%;*}" = "200 application/json" ] || fail "GET /api/v1/provinces: $c"
python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["provinces"]; assert any(x["id"]=="lao-cai" for x in p)' \
    "$T/body" || fail "/api/v1/provinces: $(head -c 200 "$T/body")"
st=$(hc 127.0.0.1 "$URL/api/v1/hamlets/bx-suoi-chai" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])') \
    || fail "/api/v1/hamlets/bx-suoi-chai"
c=$(code 127.0.0.1 /api/v1/hamlets/no-such-hamlet)
[ "$c" = 404 ] && grep -q '"error"' "$T/body" || fail "unknown hamlet: $c $(head -c 200 "$T/body")"
pass "6 pages, 3 graphs (${png} bytes, byte for byte the collector's), the API (bx-suoi-chai $st, 404 JSON passed on)"

# A site page and all its images at once, as a browser loads it, from a
# fresh address: none refused by the limits.
hc 127.0.0.8 "$URL/hamlet/bx-suoi-chai" > "$T/page.html"
imgs=$(grep -o 'src="/graph/[^"]*"' "$T/page.html" | sed 's/^src="//; s/"$//; s/&amp;/\&/g')
nimg=$(echo "$imgs" | grep -c . || true)
[ "$nimg" -ge 6 ] || fail "site page: only $nimg images"
args=(-w '%{http_code}\n')
for i in $imgs /static/covmon.css; do args+=(-o /dev/null "$URL$i"); done
codes=$(hc 127.0.0.8 -Z --parallel-immediate "${args[@]}" | sort | uniq -c | tr -s ' \n' ' ')
[ "$(echo "$codes" | awk '{print $1, $2}')" = "$((nimg + 1)) 200" ] || fail "a site page's $nimg images and css at once: $codes"
pass "a site page's $nimg images and its stylesheet fetched at once: all 200"

hc 127.0.0.1 -D "$T/headers" -o /dev/null "$URL/" || fail "GET / for headers"
h() { grep -ci "^$1:" "$T/headers" || true; }
[ "$(h strict-transport-security)" = 1 ] || fail "HSTS headers: $(h strict-transport-security)"
[ "$(h content-security-policy)" = 1 ] || fail "CSP headers: $(h content-security-policy)"
[ "$(h x-content-type-options)" = 1 ] && [ "$(h x-frame-options)" = 1 ] && [ "$(h referrer-policy)" = 1 ] \
    || fail "the collector's headers: $(cat "$T/headers")"
direct=$(curl -sI "$BASE/" | grep -i '^content-security-policy:' | tr -d '\r' | sed 's/^[^:]*: //')
via=$(grep -i '^content-security-policy:' "$T/headers" | tr -d '\r' | sed 's/^[^:]*: //')
[ "$direct" = "$via" ] || fail "CSP changed by nginx: '$via' vs '$direct'"
grep -qi '^server: nginx\s*$' "$T/headers" || fail "server_tokens: $(grep -i '^server:' "$T/headers")"
hsts=$(grep -i '^strict-transport-security:' "$T/headers" | tr -d '\r' | sed 's/^[^:]*: //')
hc 127.0.0.1 -D "$T/headers" -o /dev/null "$URL/nothing" || true
[ "$(h strict-transport-security)" = 1 ] || fail "no HSTS on a 404"
pass "headers: HSTS once ($hsts, on errors too), the collector's CSP once and unchanged, nosniff, DENY, Server without version"

# --- Write actions: the bearer token passes through nginx.
W=127.0.0.7
body='{"match":"commune:bat-xat","until":"1h","reason":"nginx test"}'
c=$(code $W /api/v1/silences -X POST -H 'Content-Type: application/json' -d "$body")
[ "$c" = 401 ] && grep -q 'API token' "$T/body" || fail "POST silence without a token: $c $(cat "$T/body")"
c=$(code $W /api/v1/silences -X POST -H "Authorization: Bearer wrong-$TOKEN" -d "$body")
[ "$c" = 401 ] || fail "POST silence with a wrong token: $c"
c=$(code $W /api/v1/silences -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$body")
[ "$c" = 201 ] || fail "POST silence with the token: $c $(cat "$T/body")"
sid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/body")
c=$(code $W /api/v1/silences)
[ "$c" = 200 ] && grep -q '"reason":"nginx test"' "$T/body" || fail "silence not listed: $c"
c=$(code $W "/api/v1/silences/$sid" -X DELETE)
[ "$c" = 401 ] || fail "DELETE silence without a token: $c"
c=$(code $W "/api/v1/silences/$sid" -X DELETE -H "Authorization: Bearer $TOKEN")
[ "$c" = 200 ] || fail "DELETE silence with the token: $c $(cat "$T/body")"
c=$(code $W /api/v1/alerts/999999/ack -X POST)
[ "$c" = 401 ] || fail "ack without a token: $c"
c=$(code $W /api/v1/alerts/999999/ack -X POST -H "Authorization: Bearer $TOKEN")
[ "$c" = 404 ] || fail "ack of no alert with the token: $c (want the collector's 404: the token got through)"
grep -q "http: POST /api/v1/silences: 201" "$T/collector.log" || fail "the collector did not log the silence"
# A body over client_max_body_size: 413 from nginx, the collector never asked.
before=$(grep -c 'http: ' "$T/collector.log" || true)
head -c 20000 /dev/zero | tr '\0' x > "$T/big"
c=$(code $W /api/v1/silences -X POST -H "Authorization: Bearer $TOKEN" --data-binary @"$T/big")
[ "$c" = 413 ] || fail "20 KB body: $c"
grep -q 'client intended to send too large body' "$T/nginx-covmon.error.log" || fail "413 not logged by nginx"
[ "$(grep -c 'http: ' "$T/collector.log" || true)" = "$before" ] || fail "the 20 KB body reached the collector"
pass "write actions: 401 without or with a wrong token, silence 201 (id $sid) and DELETE 200 with it, ack 401/404; 20 KB body 413 at nginx"

# --- /metrics: the provincial network only (here 127.0.0.2), whatever the
# spelling of the path.
for p in /metrics //metrics /%6detrics /./metrics /api/../metrics "/metrics?x=1"; do
	c=$(code 127.0.0.1 "$p" --path-as-is)
	[ "$c" = 403 ] || fail "GET $p from 127.0.0.1: $c, want 403"
done
c=$(code 127.0.0.2 /metrics)
[ "$c" = 200 ] && grep -q '^covmon_samples_received_total' "$T/body" || fail "GET /metrics from 127.0.0.2: $c"
nm=$(grep -c '^covmon_' "$T/body")
pass "/metrics: 403 from 127.0.0.1 for 6 spellings of the path, 200 from 127.0.0.2 ($nm series)"

# --- Slow clients, as in issue 17: 1,000 TLS connections from 127.0.0.2-6
# that send a request line and then a header line every half second (for
# a minute if let), and 50 that never start TLS. The header deadline (${HDR_TIMEOUT}s here) closes
# each: nginx starts that timer once, the trickle does not reset it (were
# it reset by each line, they would live 20 s). Meanwhile health through
# nginx from 127.0.0.1 answers within a second.
python3 - "$P443" "$NAME" "$T/tls/covmon.pem" "$T/slow.out" "$SLOW_TLS" "$SLOW_RAW" \
    > "$T/slow.log" 2>&1 <<'EOF' &
import resource, select, socket, ssl, sys, time
port, name, ca, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ntls, nraw = int(sys.argv[5]), int(sys.argv[6])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 4096), hard), hard))
ctx = ssl.create_default_context(cafile=ca)
# Opened a batch at a time while the others are watched, so that each
# one's life is measured from its own start.
todo = [(i < ntls, "127.0.0.%d" % (2 + i % 5)) for i in range(ntls + nraw)]
todo = todo[::2] + todo[1::2]
conns = {}   # fd: [socket, opened at, closed at, lines sent, bytes answered]
poll = select.poll()
end = time.monotonic() + 60
next_line = time.monotonic() + 0.5
opened = False
while time.monotonic() < end and (todo or any(c[2] is None for c in conns.values())):
    for tls, src in todo[:25]:
        s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(src, 0))
        if tls:
            s = ctx.wrap_socket(s, server_hostname=name)
            s.sendall(b"GET / HTTP/1.1\r\nHost: " + name.encode() + b"\r\n")
        s.setblocking(False)
        conns[s.fileno()] = [s, time.monotonic(), None, 0, b""]
        poll.register(s, select.POLLIN)
    del todo[:25]
    if not todo and not opened:
        opened = True
        print("opened", len(conns), flush=True)
    now = time.monotonic()
    for fd, ev in poll.poll(20):
        c = conns[fd]
        try:
            d = c[0].recv(4096)
        except (ssl.SSLWantReadError, BlockingIOError):
            continue     # TLS 1.3 session tickets: no data, still open
        except (OSError, ssl.SSLError):
            d = b""
        if d:
            c[4] += d
        else:
            c[2] = now
            poll.unregister(fd)
    if now >= next_line:
        next_line = now + 0.5
        for c in conns.values():
            if c[2] is None and isinstance(c[0], ssl.SSLSocket):
                try:
                    c[0].send(b"X-Slow-%d: x\r\n" % c[3])
                    c[3] += 1
                except (ssl.SSLWantWriteError, ssl.SSLWantReadError, BlockingIOError):
                    pass
                except (OSError, ssl.SSLError):
                    c[2] = now
                    poll.unregister(c[0].fileno())
cs = list(conns.values())
lived = [c[2] - c[1] for c in cs if c[2] is not None]
with open(out, "w") as f:
    f.write("open=%d closed=%d min=%.2f max=%.2f lines=%d answered=%d\n" % (
        sum(c[2] is None for c in cs), len(lived), min(lived or [0]), max(lived or [0]),
        max(c[3] for c in cs), sum(1 for c in cs if c[4])))
EOF
SLOW=$!
PIDS+=("$SLOW")
worst=0 probes=0
while kill -0 "$SLOW" 2>/dev/null; do
	t=$(hc 127.0.0.1 -o /dev/null -w '%{http_code} %{time_total}' --max-time 3 "$URL/api/v1/health") || true
	read -r hcode htime <<<"$t"
	[ "${hcode:-000}" = 200 ] || fail "health through nginx during the slow clients: HTTP ${hcode:-none}"
	python3 -c "import sys; sys.exit(0 if ${htime:-9} < 1.0 else 1)" || fail "health took ${htime}s during the slow clients"
	worst=$(python3 -c "print('%.3f' % max($worst, ${htime:-9}))")
	probes=$((probes + 1))
	sleep 0.25
done
wait "$SLOW" || fail "slow client script: $(cat "$T/slow.log")"
grep -q "^opened $((SLOW_TLS + SLOW_RAW))\$" "$T/slow.log" || fail "slow clients: $(cat "$T/slow.log")"
read -r open closed mn mx lines answered < <(sed 's/[a-z]*=//g' "$T/slow.out")
[ "$open" = 0 ] && [ "$closed" = $((SLOW_TLS + SLOW_RAW)) ] || fail "slow clients: $(cat "$T/slow.out")"
python3 -c "import sys; sys.exit(0 if $HDR_TIMEOUT - 0.5 <= $mn and $mx <= $HDR_TIMEOUT + 2.5 else 1)" \
    || fail "slow clients closed after ${mn}-${mx}s, want about ${HDR_TIMEOUT}s: $(cat "$T/slow.out")"
[ "$answered" = 0 ] || fail "nginx answered $answered slow clients (none were whole requests)"
n408=$(grep -c '" 408 ' "$T/nginx-covmon.access.log" || true)
[ "$n408" = "$SLOW_TLS" ] || fail "$n408 slow TLS clients logged as 408 (request timeout), want $SLOW_TLS"
pass "slow clients: $((SLOW_TLS + SLOW_RAW)) from 5 addresses ($SLOW_TLS trickling a header line every 0.5 s, $SLOW_RAW without TLS) closed after ${mn}-${mx}s (header deadline ${HDR_TIMEOUT}s, shipped 10s), at most $lines lines sent; $n408 logged 408; health $probes times meanwhile, worst ${worst}s"

# --- The per-address cap: CONNS+4 requests held open from 127.0.0.3 (POSTs
# whose bodies are still coming; nginx has no answer for them until they
# end). The 4 past the cap get 429 at once; another request from .3 too,
# one from .9 not; once they close, .3 is served again.
python3 - "$P443" "$NAME" "$T/tls/covmon.pem" "$T/held.out" "$T/release" "$CONNS" > "$T/held.log" 2>&1 <<'EOF' &
import os, select, socket, ssl, sys, time
port, name, ca, out, release, cap = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
ctx = ssl.create_default_context(cafile=ca)
socks = []
for i in range(cap + 4):
    raw = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=("127.0.0.3", 0))
    s = ctx.wrap_socket(raw, server_hostname=name)
    s.sendall(b"POST /api/v1/silences HTTP/1.1\r\nHost: " + name.encode() +
              b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"match\":")
    s.setblocking(False)
    socks.append(s)
answers = {}
end = time.monotonic() + 5
while time.monotonic() < end and len(answers) < 4:
    r, _, _ = select.select([s for s in socks if s not in answers], [], [], 0.2)
    for s in r:
        try:
            answers[s] = s.recv(4096)
        except (ssl.SSLWantReadError, BlockingIOError):
            pass     # TLS 1.3 session tickets: no answer yet
        except (OSError, ssl.SSLError):
            answers[s] = b""
time.sleep(1)    # any late answer to the held ones would show now
late = 0
for s in socks:
    if s in answers:
        continue
    try:
        late += 1 if s.recv(4096) is not None else 0
    except (ssl.SSLWantReadError, BlockingIOError):
        pass
    except (OSError, ssl.SSLError):
        late += 1
codes = sorted(a.split(b" ")[1].decode() if a.startswith(b"HTTP/1.1 ") else "closed" for a in answers.values())
with open(out, "w") as f:
    f.write("held=%d refused=%s late=%d\n" % (len(socks) - len(answers), ",".join(codes), late))
while not os.path.exists(release):
    time.sleep(0.1)
for s in socks:
    s.close()
EOF
HELD=$!
PIDS+=("$HELD")
wait_for 20 test -s "$T/held.out" || fail "held connections: $(cat "$T/held.log")"
read -r held refused late < <(sed 's/[a-z]*=//g' "$T/held.out")
want=$(printf '429,%.0s' 1 2 3 4)
[ "$held" = "$CONNS" ] && [ "$refused" = "${want%,}" ] && [ "$late" = 0 ] \
    || fail "limit_conn $CONNS: $(cat "$T/held.out")"
c=$(code 127.0.0.3 /api/v1/health)
[ "$c" = 429 ] || fail "a request from 127.0.0.3 while $CONNS are held: $c"
grep -q '"error"' "$T/body" || fail "429 without a JSON error: $(cat "$T/body")"
c=$(code 127.0.0.9 /api/v1/health)
[ "$c" = 200 ] || fail "a request from 127.0.0.9 while .3 is at its cap: $c"
nlog=$(grep -c 'limiting connections by zone "covmon_conn", client: 127.0.0.3' "$T/nginx-covmon.error.log" || true)
[ "$nlog" -ge 5 ] || fail "limit_conn refusals logged: $nlog"
touch "$T/release"
wait "$HELD" || fail "held connections script: $(cat "$T/held.log")"
wait_for 5 bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --cacert $T/tls/covmon.pem \
    --resolve $NAME:$P443:127.0.0.1 --interface 127.0.0.3 $URL/api/v1/health)\" = 200 ]" \
    || fail "127.0.0.3 not served after its connections closed"
pass "limit_conn: $CONNS requests held from 127.0.0.3, the next 4 and one more 429 at once (JSON), 127.0.0.9 served meanwhile; 127.0.0.3 served again once they closed"

# --- The rate limit: BURST+20 requests back to back on one connection from
# 127.0.0.4. The first BURST+1 pass (nodelay), then 429, no more passing
# than the rate allows; later the address is served again.
N=$((BURST + 20))
mkdir -p "$T/rate"
t0=$(date +%s.%N)
hc 127.0.0.4 --http1.1 -w '%{http_code}\n' -o "$T/rate/#1" "$URL/api/v1/health?n=[1-$N]" \
    > "$T/rate.out" || true
el=$(python3 -c "import time; print('%.2f' % ($(date +%s.%N) - $t0))")
ok=$(grep -c '^200$' "$T/rate.out" || true)
lim=$(grep -c '^429$' "$T/rate.out" || true)
[ $((ok + lim)) = "$N" ] || fail "rate limit: other answers: $(sort "$T/rate.out" | uniq -c | tr '\n' ' ')"
first=$(head -n $((BURST + 1)) "$T/rate.out" | sort -u | tr '\n' ' ')
[ "$first" = "200 " ] || fail "rate limit: within the burst: $first"
maxok=$(python3 -c "import math; print($BURST + 1 + math.ceil($RATE * $el) + 1)")
[ "$lim" -ge 1 ] && [ "$ok" -le "$maxok" ] || fail "rate limit: $ok passed and $lim refused in ${el}s (burst $BURST, $RATE r/s: at most $maxok)"
grep -q 'limiting requests, excess: .* by zone "covmon_req", client: 127.0.0.4' "$T/nginx-covmon.error.log" \
    || fail "limit_req refusals not logged"
grep -q '"error":"too many requests' "$T/rate/$N" || fail "the last 429: $(cat "$T/rate/$N")"
wait_for 10 bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' --cacert $T/tls/covmon.pem \
    --resolve $NAME:$P443:127.0.0.1 --interface 127.0.0.4 $URL/api/v1/health)\" = 200 ]" \
    || fail "127.0.0.4 not served again after the burst"
again=$(python3 -c "import time; print('%.2f' % ($(date +%s.%N) - $t0))")
pass "limit_req: $N requests in ${el}s from 127.0.0.4: $ok passed (burst $BURST + 1, $RATE r/s), $lim got 429 (JSON); served again ${again}s after the first"

# The collector saw none of it as an attack, and is unharmed.
kill -0 "$NGINX_PID" || fail "nginx died"
kill -0 "$COLLECTOR_PID" || fail "collector died"
grep -q '\[emerg\]\|\[alert\]\|\[crit\]' "$T/nginx-error.log" "$T/nginx-covmon.error.log" \
    && fail "nginx logged emerg/alert/crit: $(grep -h '\[emerg\]\|\[alert\]\|\[crit\]' "$T"/nginx*.log | head -3)"
stop_collector
no_crash "$T/collector.log"
pass "nginx and the collector alive; collector stopped cleanly"
