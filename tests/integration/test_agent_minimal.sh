#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The agent for an 8 MB flash (docs/openwrt.md): built alone from the
# top-level CMakeLists.txt without its two largest libraries
# (-DCOVMON_AGENT_SNMP=OFF -DCOVMON_AGENT_PCAP=OFF, as the OpenWrt
# package's menuconfig switches do). It links neither net-snmp nor
# libpcap, refuses [probe.snmp] and [probe.pcap] naming their lines, still
# reads the site's power from sysfs, and its samples are stored end to end.
. "$(dirname "$0")/../lib.sh"
need mosquitto curl python3 cmake

cmake -S "$COVMON_SRC" -B "$T/build" -DCOVMON_COLLECTOR=OFF -DCOVMON_CLI=OFF \
    -DCOVMON_TESTS=OFF -DCOVMON_AGENT_SNMP=OFF -DCOVMON_AGENT_PCAP=OFF \
    -DCOVMON_WERROR=ON -DCMAKE_BUILD_TYPE=MinSizeRel > "$T/cmake.log" 2>&1 \
    || { cat "$T/cmake.log"; fail "configure"; }
cmake --build "$T/build" -j2 --target covmon-agent > "$T/build.log" 2>&1 \
    || { tail -30 "$T/build.log"; fail "build"; }
MIN=$T/build/covmon-agent
libs=$(ldd "$MIN" | awk '{print $1}' | tr '\n' ' ')
case $libs in *netsnmp*|*pcap*) fail "the minimal agent links $libs" ;; esac
for lib in libmosquitto libjson-c libinih; do
	case $libs in *"$lib"*) ;; *) fail "the minimal agent does not link $lib: $libs" ;; esac
done
pass "covmon-agent without SNMP and capture: $(stat -c %s "$MIN") bytes, links $libs"

# shellcheck disable=SC2034 # HAMLET: read by field_setup (tests/lib.sh)
AG=lc-batxat-suoichai-01 PROV=lao-cai HAMLET=bx-suoi-chai
field_setup
agent_conf "$T/agent.conf" "$PROV" 1
for sec in "probe.snmp|host = 10.0.0.2|SNMP probe (COVMON_AGENT_SNMP=OFF)" \
    "probe.pcap|interface = br-lan|capture probe (COVMON_AGENT_PCAP=OFF)"; do
	IFS='|' read -r name key why <<<"$sec"
	{ cat "$T/agent.conf"; printf '\n[%s]\n%s\n' "$name" "$key"; } > "$T/bad.conf"
	line=$(grep -n "^\[$name\]" "$T/bad.conf" | cut -d: -f1)
	rc=0; "$MIN" -c "$T/bad.conf" --check-config > /dev/null 2> "$T/err" || rc=$?
	[ "$rc" = 2 ] && grep -qF "bad.conf:$line: [$name]: this covmon-agent was built without the $why" "$T/err" \
	    || fail "[$name] in a build without it: exit $rc, $(cat "$T/err")"
done
pass "[probe.snmp] and [probe.pcap] refused with their lines, exit 2"

"$MIN" -c "$T/agent.conf" -vv >> "$T/agent.log" 2>&1 &
AGENT_PID=$!
PIDS+=("$AGENT_PID")
wait_for 20 grep -q 'spool id' "$T/agent.log" || fail "the minimal agent did not start"
sid=$(agent_sid "$T/agent.log")
PROGRESS_OK='[ "$v" -ge 3 ]' wait_progress 15 stored_of "$sid" \
    || fail "$(stored_of "$sid") samples of the minimal agent stored"
stop_agent
ledger spool --id "$AG" --agent-log "$T/agent.log" "$T/collector.log" || fail "ledger"
pass "the minimal agent's samples stored and acked ($(stored_of "$sid"))"
stop_collector
no_crash "$T/collector.log"
