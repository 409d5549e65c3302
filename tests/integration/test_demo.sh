#!/bin/bash
# The README's first command, shortened: deploy/demo.sh starts the broker,
# rrdcached, the collector, a real agent and fleetsim; the backhaul cut
# gives one grouped alert that fires and resolves; the dashboard answers;
# the RRD file it names holds a finite RTT; and when it stops, nothing it
# started is left running.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" -eq 0 ] || skip "the demo needs root (ICMP)"
need mosquitto rrdcached rrdtool curl python3

# The cut outlasts what a firing needs (for 10 s + an evaluation of 5 s +
# group_wait 10 s = 25 s) with room for a busy machine: a hamlet back
# within group_wait resolves before its firing is sent, and nothing pages.
"$COVMON_SRC/deploy/demo.sh" --no-build --duration 100 --cut-after 10 --cut-for 45 > "$T/demo.log" 2>&1 &
DEMO_PID=$!
PIDS+=("$DEMO_PID")
wait_for 20 grep -q "dashboard   http" "$T/demo.log" || fail "the demo did not start"
url=$(awk '/dashboard   http/ { print $2 }' "$T/demo.log")
url=${url%/}
run=$(grep -o '/tmp/covmon-demo\.[A-Za-z0-9]*' "$T/demo.log" | head -1)
CLEANUPS+=("rm -rf '$run'")
wait_for 30 curl -sf "$url/" -o "$T/index.html" || fail "dashboard not answering at $url"
grep -q "Lào Cai" "$T/index.html" || fail "the overview does not show Lào Cai"
pass "dashboard at $url shows the provinces"

wait "$DEMO_PID" || true
cat "$T/demo.log" | grep -E "notification|lastupdate|icmp_rtt|^    [0-9]" || true
grep -q "notification: .* firing hamlet_down: \[critical\] Mường Khương" "$T/demo.log" || fail "no alert for the cut"
grep -q "notification: .* resolved hamlet_down: Mường Khương" "$T/demo.log" || fail "no resolve after the cut"
[ "$(grep -c "notification:" "$T/demo.log")" -eq 2 ] || fail "expected one firing and one resolve"
# The page, as on-call staff read it: every hamlet the cut took by name,
# local time with its offset, how to ack, where to look.
page=$(grep "notification: .* firing hamlet_down" "$T/demo.log")
for h in "Lùng Thắng" "Pạc Tà" "Cốc Phương" "Sảng Chải" 'Nàn Vải "Mới"'; do
	echo "$page" | grep -qF "$h" || fail "the page does not name $h: $page"
done
echo "$page" | grep -q "UTC+7" || fail "the page has no local time with its offset: $page"
echo "$page" | grep -Eq "covmon ack [0-9]+" || fail "the page has no ack command: $page"
echo "$page" | grep -q "$url/commune/muong-khuong" || fail "the page has no link: $page"
resolve=$(grep "notification: .* resolved hamlet_down" "$T/demo.log")
echo "$resolve" | grep -q "Lùng Thắng (Mường Khương) and 2 hamlets behind it: back after" \
    || fail "the resolve does not say what came back: $resolve"
pass "the cut: one grouped page naming its 5 hamlets, with local time, ack command and link; one resolve"
avg=$(awk '/icmp_rtt_avg_ms/ { for (i=1;i<=NF;i++) if ($i=="icmp_rtt_avg_ms") col=i; getline; getline; print $(col+1); exit }' "$T/demo.log")
python3 -c "import math,sys; v=float('$avg'); sys.exit(0 if math.isfinite(v) else 1)" || fail "no finite RTT in the RRD ('$avg')"
pass "rrdtool lastupdate on the file it names: icmp_rtt_avg_ms $avg"

grep -q "everything stopped" "$T/demo.log" || fail "the demo did not stop cleanly"
sleep 1
left=$(pgrep -af "$run" || true)
[ -z "$left" ] || fail "left running: $left"
pass "nothing left running"
