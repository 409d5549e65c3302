#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The OpenWrt package's UCI side (deploy/openwrt/files, docs/openwrt.md):
# /etc/config/covmon turned into the agent's INI by covmon-agent-uci2ini,
# under the shell OpenWrt has (busybox ash and awk when this machine has
# busybox, else dash, Debian's POSIX /bin/sh, with the system awk):
#   1. both scripts parse (sh -n);
#   2. the village example shipped as /etc/config/covmon, read as "uci show
#      covmon" prints it (a small awk in its place: no uci here), equals the
#      sample below, and becomes the INI below; with its SNMP and capture
#      probes turned on, an IPv6 TCP target (a value that starts with "[",
#      which is no section) and its files in $T, covmon-agent --check-config
#      accepts it and shows the values given; so it does after the uci
#      commands of docs/openwrt.md's village site;
#   3. values the agent's INI reader would not read back as given (a line
#      break that starts a section, a control character, " ;", a value past
#      the reader's line length, ...) are refused, with the option named,
#      and nothing on stdout;
#   4. the init script's start_service, with uci, logger and procd's
#      functions stubbed: the INI made 0640 and handed to procd, a refused
#      change logged with the option named and the last good file kept, no
#      start at all without one, a config the agent refuses, "enabled 0".
. "$(dirname "$0")/../lib.sh"
need awk sed cmp

FILES=$COVMON_SRC/deploy/openwrt/files
U2I=$FILES/covmon-agent-uci2ini
INIT=$FILES/covmon-agent.init
AGENT=$COVMON_BUILD/covmon-agent
[ -x "$AGENT" ] || fail "$AGENT is not built"

# OpenWrt's shell and awk are busybox's: used when there is a busybox, its
# applets first on PATH; dash otherwise.
if command -v busybox > /dev/null 2>&1; then
	mkdir -p "$T/bb"
	for a in sh awk sed id mv rm chmod mkdir cat; do
		ln -s "$(command -v busybox)" "$T/bb/$a"
	done
	PATH=$T/bb:$PATH
	SH="busybox sh"
else
	need dash
	SH=dash
fi
pass "shell: $SH, awk: $(command -v awk)"

# ---- 1. Both scripts parse.
for s in "$U2I" "$INIT"; do
	$SH -n "$s" || fail "$SH -n ${s#"$COVMON_SRC"/}"
	head -n 5 "$s" | grep -q 'SPDX-License-Identifier: GPL-2.0-or-later' \
	    || fail "no SPDX line in ${s#"$COVMON_SRC"/}"
done
pass "$SH -n: covmon-agent-uci2ini and covmon-agent.init"

# ---- 2. The shipped example.
# "uci show covmon" of deploy/openwrt/files/covmon.config, as uci prints it:
# a section as NAME=TYPE, an option as NAME='VALUE', a list on one line with
# its values in the order given. Only what the shipped file uses (named
# sections, single-quoted values without quotes inside) is read; anything
# else fails, so that the emulation cannot quietly drift from uci.
uci_show() {
	awk '
	function flush(   i) {
		for (i = 1; i <= nopt; i++)
			print "covmon." sec "." opts[i] "=" vals[sec SUBSEP opts[i]]
		nopt = 0
	}
	function value(s) {
		if (s !~ /^'"'"'[^'"'"']*'"'"'$/) { print "uci_show: line " NR ": " $0 > "/dev/stderr"; bad = 1; exit 1 }
		return s
	}
	/^[ \t]*(#|$)/ { next }
	$1 == "config" {
		flush()
		if (NF != 3) { print "uci_show: line " NR ": an unnamed section" > "/dev/stderr"; bad = 1; exit 1 }
		sec = substr($3, 2, length($3) - 2)
		print "covmon." sec "=" $2
		next
	}
	$1 == "option" || $1 == "list" {
		v = $0; sub(/^[ \t]*(option|list)[ \t]+[A-Za-z0-9_]+[ \t]+/, "", v)
		v = value(v)
		k = sec SUBSEP $2
		if (!(k in vals))
			opts[++nopt] = $2
		else if ($1 == "list")
			v = vals[k] " " v
		vals[k] = v
		next
	}
	{ print "uci_show: line " NR ": " $0 > "/dev/stderr"; bad = 1; exit 1 }
	END { if (!bad) flush(); exit bad }
	' "$1"
}

cat > "$T/show.expected" <<'EOF'
covmon.agent=agent
covmon.agent.enabled='0'
covmon.agent.id='lc-batxat-suoichai-01'
covmon.agent.province='lao-cai'
covmon.agent.interval='60'
covmon.agent.spool_dir='/etc/covmon/spool'
covmon.agent.spool_max_mb='4'
covmon.agent.start_delay='30'
covmon.agent.user='covmon'
covmon.mqtt=mqtt
covmon.mqtt.host='mqtt.laocai.example.vn'
covmon.mqtt.port='8883'
covmon.mqtt.username='lc-batxat-suoichai-01'
covmon.mqtt.password_file='/etc/covmon/agent.secret'
covmon.mqtt.tls_ca='/etc/covmon/ca.pem'
covmon.mqtt.keepalive='60'
covmon.icmp=probe
covmon.icmp.target='10.0.0.1' '8.8.8.8'
covmon.icmp.count='20'
covmon.icmp.timeout_ms='2000'
covmon.tcp=probe
covmon.tcp.target='portal.example.vn:443'
covmon.snmp=probe
covmon.snmp.enabled='0'
covmon.snmp.host='192.168.88.1'
covmon.snmp.version='2c'
covmon.snmp.community='public'
covmon.snmp.if_index='1'
covmon.snmp.signal_oid='1.3.6.1.4.1.14988.1.1.1.1.1.4.1'
covmon.snmp.ccq_oid='1.3.6.1.4.1.14988.1.1.1.1.1.9.1'
covmon.pcap=probe
covmon.pcap.enabled='0'
covmon.pcap.interface='br-lan'
EOF
uci_show "$FILES/covmon.config" > "$T/show" || fail "cannot read deploy/openwrt/files/covmon.config"
diff -u "$T/show.expected" "$T/show" \
    || fail "deploy/openwrt/files/covmon.config is not the sample of this test (update both)"
pass "covmon.config as uci show prints it: the village sample, 33 lines"

cat > "$T/ini.expected" <<'EOF'
; Made by covmon-agent-uci2ini from "uci show covmon" (/etc/config/covmon).
; Change the settings with uci, not here: this file is made again at each start.

[agent]
id = lc-batxat-suoichai-01
province = lao-cai
interval = 60
spool_dir = /etc/covmon/spool
spool_max_mb = 4
start_delay = 30
user = covmon

[mqtt]
host = mqtt.laocai.example.vn
port = 8883
username = lc-batxat-suoichai-01
password_file = /etc/covmon/agent.secret
tls_ca = /etc/covmon/ca.pem
keepalive = 60

[probe.icmp]
targets = 10.0.0.1, 8.8.8.8
count = 20
timeout_ms = 2000

[probe.tcp]
targets = portal.example.vn:443
EOF
$SH "$U2I" < "$T/show" > "$T/agent.conf" 2> "$T/u2i.err" \
    || fail "the shipped example refused: $(cat "$T/u2i.err")"
[ ! -s "$T/u2i.err" ] || fail "stderr on success: $(cat "$T/u2i.err")"
diff -u "$T/ini.expected" "$T/agent.conf" || fail "the INI of the shipped example differs"
pass "the shipped example's INI: agent.enabled read by the init script, not written; the disabled snmp and pcap left out"

# Every probe on, the device's files under $T; an IPv6 TCP target (its
# value starts with "[") and a quote inside a value (uci writes '\'').
mkdir -p "$T/etc/covmon"
echo 'a password' > "$T/etc/covmon/agent.secret"
: > "$T/etc/covmon/ca.pem"
sed -e "s|/etc/covmon/|$T/etc/covmon/|" \
    -e "s|^covmon.snmp.enabled='0'|covmon.snmp.enabled='1'|" \
    -e "s|^covmon.pcap.enabled='0'|covmon.pcap.enabled='1'|" \
    -e "s|^covmon.tcp.target=.*|covmon.tcp.target='portal.example.vn:443' '[2001:db8::1]:443'|" \
    -e "s|^covmon.snmp.community=.*|covmon.snmp.community='it'\\\\''s-ours'|" \
    "$T/show" > "$T/show.all"
grep -q "^covmon.snmp.community='it'\\\\''s-ours'\$" "$T/show.all" || fail "the sed above is wrong"
$SH "$U2I" < "$T/show.all" > "$T/all.conf" 2> "$T/u2i.err" || fail "refused: $(cat "$T/u2i.err")"
[ "$(grep '^\[' "$T/all.conf" | tr '\n' ' ')" = "[agent] [mqtt] [probe.icmp] [probe.tcp] [probe.snmp] [probe.pcap] " ] \
    || fail "sections: $(grep '^\[' "$T/all.conf" | tr '\n' ' ')"
for l in "community = it's-ours" "if_index = 1" "signal_oid = 1.3.6.1.4.1.14988.1.1.1.1.1.4.1" \
    "interface = br-lan" "targets = portal.example.vn:443, [2001:db8::1]:443" \
    "tls_ca = $T/etc/covmon/ca.pem"; do
	grep -qxF "$l" "$T/all.conf" || fail "no line '$l' in the INI"
done
"$AGENT" -c "$T/all.conf" --check-config > "$T/check.out" 2> "$T/check.err" \
    || fail "covmon-agent --check-config refused the INI: $(cat "$T/check.err")"
for l in "id = lc-batxat-suoichai-01" "province = lao-cai" "spool_max_mb = 4" "user = covmon" \
    "host = mqtt.laocai.example.vn" "port = 8883" "targets = 10.0.0.1, 8.8.8.8" \
    "targets = portal.example.vn:443, [2001:db8::1]:443" "count = 20" "timeout_ms = 2000" \
    "[probe.snmp]" "host = 192.168.88.1" "[probe.pcap]" "interface = br-lan"; do
	grep -qxF "$l" "$T/check.out" || { cat "$T/check.out"; fail "--check-config does not show '$l'"; }
done
pass "every probe on: covmon-agent --check-config accepts the INI and shows the values given"

# The uci commands of docs/openwrt.md's village site, run on the shipped
# example (uci's set, add_list and delete on the "uci show" text, as uci
# orders options: a new one at its section's end), give an INI the agent
# accepts.
awk '/^A village site/ { f = 1 } f && /^```sh$/ { g = 1; next } g && /^```$/ { exit } g' \
    "$COVMON_SRC/docs/openwrt.md" > "$T/doc.cmds"
[ "$(grep -c '^uci ' "$T/doc.cmds")" -ge 25 ] || fail "the village site's uci commands not found in docs/openwrt.md"
cp "$T/show" "$T/show.doc"
while IFS= read -r cmd; do
	# Less a comment after two or more spaces.
	cmd=$(printf '%s\n' "$cmd" | sed 's/[[:space:]]\{2,\}#.*$//')
	case $cmd in
	"" | "uci commit covmon && /etc/init.d/covmon-agent reload") continue ;;
	"uci -q delete "*) op='delete'; arg=${cmd#uci -q delete } ;;
	"uci set "*) op='set'; arg=${cmd#uci set } ;;
	"uci add_list "*) op='add_list'; arg=${cmd#uci add_list } ;;
	*) fail "docs/openwrt.md: a command this test does not know: $cmd" ;;
	esac
	key=${arg%%=*}
	val=${arg#"$key"}; val=${val#=}
	case $key in covmon.*.*) ;; *) fail "docs/openwrt.md: not an option: $cmd" ;; esac
	case $op:$val in
	delete:) ;;
	*:\'*\') ;;
	*) fail "docs/openwrt.md: not a single-quoted value: $cmd" ;;
	esac
	sec=${key#covmon.}; sec=${sec%%.*}
	grep -q "^covmon\.$sec=" "$T/show.doc" || fail "docs/openwrt.md: no section $sec: $cmd"
	awk -v op="$op" -v key="$key" -v val="$val" -v sec="covmon.$sec" '
	function emit() { if (!done && (op == "set" || op == "add_list")) print key "=" val; done = 1 }
	index($0, key "=") == 1 {
		if (op == "set") print key "=" val
		else if (op == "add_list") print $0 " " val
		done = 1
		next
	}
	insec && index($0, sec ".") != 1 { emit(); insec = 0 }
	index($0, sec "=") == 1 { insec = 1 }
	{ print }
	END { if (insec) emit() }
	' "$T/show.doc" > "$T/show.doc.new"
	mv "$T/show.doc.new" "$T/show.doc"
done < "$T/doc.cmds"
sed -i "s|/etc/covmon/|$T/etc/covmon/|" "$T/show.doc"
$SH "$U2I" < "$T/show.doc" > "$T/doc.conf" 2> "$T/u2i.err" || fail "docs/openwrt.md's site refused: $(cat "$T/u2i.err")"
for l in "targets = 10.0.0.1, 8.8.8.8" "targets = portal.example.vn:443" "volts_scale = 0.1" \
    "[probe.snmp]" "[probe.pcap]" "interface = br-lan"; do
	grep -qxF "$l" "$T/doc.conf" || { cat "$T/doc.conf"; fail "docs/openwrt.md's site: no line '$l' in the INI"; }
done
! grep -q '^enabled' "$T/doc.conf" || fail "an enabled key in the INI"
"$AGENT" -c "$T/doc.conf" --check-config > /dev/null 2> "$T/check.err" \
    || fail "covmon-agent --check-config refused docs/openwrt.md's site: $(cat "$T/check.err")"
pass "docs/openwrt.md's uci commands on the shipped example: an INI with every probe, accepted by the agent"

# ---- 3. Refused values: exit non-zero, the option named, nothing on stdout.
# refused NAME WANT: the text in $T/bad (a "uci show" output) is refused
# with a message containing WANT.
refused() {
	if $SH "$U2I" < "$T/bad" > "$T/bad.out" 2> "$T/bad.err"; then
		fail "$1: accepted: $(cat "$T/bad.out")"
	fi
	[ ! -s "$T/bad.out" ] || fail "$1: refused, but wrote to stdout: $(cat "$T/bad.out")"
	grep -qF -- "$2" "$T/bad.err" || fail "$1: the message does not say '$2': $(cat "$T/bad.err")"
}
# A line break in the broker's host, followed by a section of its own: uci
# stores it, and "uci show" prints it on three lines.
{ sed '/^covmon.pcap/d; s/^covmon.mqtt.host=.*/covmon.mqtt.host='"'"'mqtt.laocai.example.vn/' "$T/show"
  printf '%s\n' '[probe.pcap]' "interface = eth0'"; } > "$T/bad"
grep -q '^\[probe.pcap\]$' "$T/bad" || fail "the injection sample is wrong"
refused "a line break, then [probe.pcap]" "covmon.mqtt.host: the value has a line break"
# The same, the line break at the end of a list item.
sed "s/^covmon.icmp.target=.*/covmon.icmp.target='10.0.0.1' '8.8.8.8/" "$T/show" > "$T/bad"
echo "[probe.pcap]'" >> "$T/bad"
refused "a line break in a list item" "covmon.icmp.target: the value has a line break"
# A line that is no "uci show" line at all (a line break after a closed quote).
{ cat "$T/show"; echo '[probe.pcap]'; } > "$T/bad"
refused "a [section] line" "line 34: not a line of \"uci show covmon\""
printf "covmon.agent=agent\ncovmon.agent.id='lc-a\tb'\n" > "$T/bad"
refused "a tab" "covmon.agent.id: the value has a line break or another control character"
printf "covmon.agent=agent\ncovmon.agent.id='lc-a\rb'\n" > "$T/bad"
refused "a carriage return" "covmon.agent.id: the value has a line break or another control character"
printf '%s\n' "covmon.probe_filter=x" > "$T/bad"
refused "an unknown section type" "covmon.probe_filter: a section 'x' named 'probe_filter'"
printf '%s\n' "covmon.mqtt=mqtt" "covmon.mqtt.host='broker ;comment'" > "$T/bad"
refused "an inline comment" 'covmon.mqtt.host: a space before ";"'
printf '%s\n' "covmon.mqtt=mqtt" "covmon.mqtt.host=' broker'" > "$T/bad"
refused "a leading space" "covmon.mqtt.host: the value starts or ends with a space"
printf '%s\n' "covmon.icmp=probe" "covmon.icmp.target='10.0.0.1 8.8.8.8'" > "$T/bad"
refused "a list item with a space" "covmon.icmp.target: '10.0.0.1 8.8.8.8': one target per list item"
printf '%s\n' "covmon.icmp=probe" "covmon.icmp.target='10.0.0.1,8.8.8.8'" > "$T/bad"
refused "a list item with a comma" "covmon.icmp.target: '10.0.0.1,8.8.8.8': one target per list item"
printf '%s\n' "covmon.icmp=probe" "covmon.icmp.target='10.0.0.1'" "covmon.icmp.targets='8.8.8.8'" > "$T/bad"
refused "target and targets" "covmon.icmp.targets: given twice"
printf '%s\n' "covmon.mqtt=mqtt" "covmon.mqtt.host='a' 'b'" > "$T/bad"
refused "a list for an option" "covmon.mqtt.host: a list of 2 values; only target is a list"
printf '%s\n' "covmon.pcap=probe" "covmon.pcap.enabled='maybe'" > "$T/bad"
refused "enabled 'maybe'" "covmon.pcap.enabled: 'maybe': expected 1 or 0"
printf '%s\n' "covmon.@probe[0]=probe" > "$T/bad"
refused "an unnamed section" "covmon.@probe[0]: an unnamed section"
printf '%s\n' "covmon.agent=agent" "covmon.other.id='x'" > "$T/bad"
refused "an option of no section" "covmon.other.id: its section is not one of covmon's"
: > "$T/bad"
refused "nothing" "no covmon settings on stdin"
# The agent reads at most 199 characters of a line (with its line break) and
# takes the rest as a line of its own: past that, a value could carry a
# section. The longest spool_dir that fits passes; one more is refused.
long=$(printf '%0185d' 0)
printf '%s\n' "covmon.agent=agent" "covmon.agent.spool_dir='/$long'" > "$T/bad"
$SH "$U2I" < "$T/bad" > "$T/long.conf" || fail "a 198-character line refused"
grep -qx "spool_dir = /$long" "$T/long.conf" || fail "the 198-character line is not whole"
sed "s|^covmon.agent.spool_dir=.*|covmon.agent.spool_dir='/$long'|" "$T/show.all" | $SH "$U2I" > "$T/long.conf" \
    || fail "a 198-character spool_dir refused"
"$AGENT" -c "$T/long.conf" --check-config > "$T/check.out" 2> "$T/check.err" \
    || fail "covmon-agent --check-config refused the 198-character line: $(cat "$T/check.err")"
grep -qx "spool_dir = /$long" "$T/check.out" || fail "the agent did not read the 198-character line whole"
printf '%s\n' "covmon.agent=agent" "covmon.agent.spool_dir='/${long}0[probe.pcap]'" > "$T/bad"
refused "a line past 198 characters" "covmon.agent.spool_dir: the value is too long (211 characters"
pass "refused, the option named, stdout empty: line breaks (and a [section] after one), control characters, ' ;', spaces at the ends, list items with a space or comma, lists for options, long lines, unnamed or unknown sections, empty input"

# ---- 4. The init script's start_service, with OpenWrt's commands stubbed.
# uci answers from $T/uci.show; logger writes $T/syslog; procd's
# functions write $T/procd; chown (not root in CI) notes its arguments and
# the file's mode at that moment in $T/chown.
ME=$(id -un)
MYGID=$(id -g)
cat > "$T/init-env.sh" <<EOF
. "$INIT"
PROG=$AGENT
UCI2INI=$U2I
CONF=$T/var/etc/covmon-agent.conf
uci() {
	case "\$*" in
	"-q show covmon") cat "$T/uci.show" ;;
	-q\ get\ covmon.*) sed -n "s/^\${3}='\(.*\)'\\\$/\1/p" "$T/uci.show" ;;
	*) echo "uci stub: \$*" >&2; return 1 ;;
	esac
}
logger() { echo "\$*" >> "$T/syslog"; }
chown() { echo "\$* \$(stat -c %a "\$2")" >> "$T/chown"; }
procd_open_instance() { echo "open \$*" >> "$T/procd"; }
procd_set_param() { echo "\$*" >> "$T/procd"; }
procd_close_instance() { echo "close" >> "$T/procd"; }
start_service
EOF
# start: runs start_service on $T/uci.show; its exit status in $rc.
start() {
	rm -f "$T/syslog" "$T/procd" "$T/chown"
	touch "$T/syslog" "$T/procd" "$T/chown"
	rc=0
	$SH "$T/init-env.sh" 2> "$T/init.err" || rc=$?
}
CONF=$T/var/etc/covmon-agent.conf
sed -e "s/^covmon.agent.enabled=.*/covmon.agent.enabled='1'/" \
    -e "s/^covmon.agent.user=.*/covmon.agent.user='$ME'/" "$T/show.all" > "$T/uci.good"

cp "$T/uci.good" "$T/uci.show"
start
[ $rc -eq 0 ] || fail "start_service: exit $rc: $(cat "$T/init.err")"
[ -f "$CONF" ] || fail "no $CONF"
[ ! -e "$CONF.new" ] || fail "$CONF.new left behind"
[ "$(stat -c %a "$CONF")" = 640 ] || fail "$CONF has mode $(stat -c %a "$CONF"), not 640"
# Made unreadable by others from the start: 0600 until chmod.
grep -qx "0:$MYGID $CONF.new 600" "$T/chown" || fail "chown (args, mode then): $(cat "$T/chown")"
$SH "$U2I" < "$T/uci.good" | cmp -s - "$CONF" || fail "$CONF is not the translation"
grep -qx "open covmon-agent" "$T/procd" && grep -qx "command $AGENT -c $CONF" "$T/procd" \
    && grep -qx "file $CONF" "$T/procd" && grep -qx close "$T/procd" \
    || fail "procd was given: $(cat "$T/procd")"
! grep -q reload_signal "$T/procd" || fail "a reload_signal: a changed file must restart the agent"
[ ! -s "$T/syslog" ] || fail "logged on a good start: $(cat "$T/syslog")"
pass "start_service: $CONF made (0640, group of covmon.agent.user) and handed to procd"

# A change with a line break: refused, logged with the option; the running
# agent keeps the last good file, unchanged.
cp "$CONF" "$T/last-good"
sed "s/^covmon.mqtt.host=.*/covmon.mqtt.host='a/" "$T/uci.good" > "$T/uci.show"
echo "[probe.pcap]'" >> "$T/uci.show"
start
[ $rc -eq 0 ] || fail "a refused reload: exit $rc"
grep -q "configuration refused: covmon-agent-uci2ini: covmon.mqtt.host: the value has a line break" "$T/syslog" \
    || fail "not logged: $(cat "$T/syslog")"
grep -q "last good configuration" "$T/syslog" || fail "the fallback is not logged: $(cat "$T/syslog")"
cmp -s "$T/last-good" "$CONF" || fail "$CONF changed"
[ ! -e "$CONF.new" ] || fail "$CONF.new left behind"
grep -qx "file $CONF" "$T/procd" || fail "the agent was not kept: $(cat "$T/procd")"
pass "a refused change: logged with the option named, the agent kept on the last good file"

# The agent's own check refuses (an OID by name): logged with its words.
sed "s/^covmon.snmp.signal_oid=.*/covmon.snmp.signal_oid='ubntWlStatSignal'/" "$T/uci.good" > "$T/uci.show"
start
grep -q "configuration refused: .*\[probe.snmp\] signal_oid.*expected a numeric OID" "$T/syslog" \
    || fail "the agent's refusal is not logged: $(cat "$T/syslog")"
cmp -s "$T/last-good" "$CONF" || fail "$CONF changed"
pass "a change covmon-agent --check-config refuses: logged, the last good file kept"

# At boot (no file in /var yet) a refused configuration starts nothing.
rm -f "$CONF"
sed "s/^covmon.agent.id=.*/covmon.agent.id='a' 'b'/" "$T/uci.good" > "$T/uci.show"
start
[ $rc -ne 0 ] || fail "start_service succeeded on a refused configuration"
[ ! -s "$T/procd" ] || fail "an instance was given to procd: $(cat "$T/procd")"
[ ! -e "$CONF" ] && [ ! -e "$CONF.new" ] || fail "a configuration file was left"
grep -q "covmon.agent.id: a list of 2 values" "$T/syslog" || fail "not logged: $(cat "$T/syslog")"
pass "at boot, a refused configuration: logged, not started (exit $rc)"

# A user that is not there.
sed "s/^covmon.agent.user=.*/covmon.agent.user='no-such-user-here'/" "$T/uci.good" > "$T/uci.show"
start
[ $rc -ne 0 ] && [ ! -s "$T/procd" ] || fail "started with a missing user"
grep -q "covmon.agent.user: no user 'no-such-user-here'" "$T/syslog" || fail "not logged: $(cat "$T/syslog")"
pass "a user that does not exist: logged, not started"

# enabled 0: nothing started, and said so.
cp "$T/show.all" "$T/uci.show"
start
[ $rc -eq 0 ] && [ ! -s "$T/procd" ] || fail "covmon.agent.enabled=0: exit $rc, procd: $(cat "$T/procd")"
grep -q "not started: disabled" "$T/syslog" || fail "not logged: $(cat "$T/syslog")"
pass "covmon.agent.enabled=0: not started, and logged"
