#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 30 % random packet loss between an agent and its broker (two network
# namespaces joined by a veth pair, nftables dropping at random on the
# agent's side, both ways): every sample the agent makes is stored exactly
# once, and the agent does not storm the broker with reconnects.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, nftables, ICMP)"
need ip nft mosquitto python3

a=covmon-la-$$ b=covmon-lb-$$
ip netns add "$a" || skip "cannot create a network namespace here"
CLEANUPS+=("ip netns del $a")
ip netns add "$b"
CLEANUPS+=("ip netns del $b")
net=10.233.$(( $$ % 250 ))
ip link add "va$$" type veth peer name "vb$$"
ip link set "va$$" netns "$a"
ip link set "vb$$" netns "$b"
ip -n "$a" addr add "$net.1/30" dev "va$$"
ip -n "$b" addr add "$net.2/30" dev "vb$$"
for n in "$a" "$b"; do ip -n "$n" link set lo up; done
ip -n "$a" link set "va$$" up
ip -n "$b" link set "vb$$" up

MQTT_PORT=$(free_port)
HTTP_PORT=$(free_port)
printf 'listener %s %s\nallow_anonymous true\n' "$MQTT_PORT" "$net.2" > "$T/mosquitto.conf"
ip netns exec "$b" mosquitto -c "$T/mosquitto.conf" > "$T/mosquitto.log" 2>&1 &
PIDS+=($!)
sleep 0.5
write_collector_conf "$T/collector.conf" "$T/data" "$HTTP_PORT" "[rrd]" "retention = RRA:AVERAGE:0.5:1:1200"
sed -i "s/^host = 127.0.0.1/host = $net.2/" "$T/collector.conf"
ip netns exec "$b" "$COVMON_BUILD/covmon-collector" -c "$T/collector.conf" -vv > "$T/collector.log" 2>&1 &
COLLECTOR_PID=$!; PIDS+=("$COLLECTOR_PID")

# 30 % of the agent's packets dropped at random, each way.
ip netns exec "$a" nft add table inet loss
ip netns exec "$a" nft add chain inet loss out '{ type filter hook output priority 0; }'
ip netns exec "$a" nft add chain inet loss in '{ type filter hook input priority 0; }'
ip netns exec "$a" nft add rule inet loss out tcp dport "$MQTT_PORT" numgen random mod 100 '<' 30 drop
ip netns exec "$a" nft add rule inet loss in tcp sport "$MQTT_PORT" numgen random mod 100 '<' 30 drop

cat > "$T/agent.conf" <<CONF
[agent]
id = lc-lossy-01
province = lao-cai
interval = 1
spool_dir = $T/spool
start_delay = 0
[mqtt]
host = $net.2
port = $MQTT_PORT
keepalive = 10
ack_timeout = 5
[probe.icmp]
targets = 127.0.0.1
count = 3
timeout_ms = 200
CONF
ip netns exec "$a" "$COVMON_BUILD/covmon-agent" -c "$T/agent.conf" -vv > "$T/agent.log" 2>&1 &
AGENT_PID=$!; PIDS+=("$AGENT_PID")

sleep 40
reconnects=$(grep -c "reconnecting in" "$T/agent.log" || true)
ip netns exec "$a" nft delete table inet loss
pass "40 s at 30 % loss: $(grep -c spooled "$T/agent.log") samples made, $reconnects reconnects"
[ "$reconnects" -le 12 ] || fail "reconnect storm: $reconnects reconnects in 40 s"

# Heal, stop making samples, let the spool drain.
sleep 3
kill -TERM "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null || true
made=$(grep -o "sample [0-9]*: [0-9]* bytes spooled" "$T/agent.log" | awk '{print $2}' | tr -d : | sort -n | tail -1)
# The agent is stopped: what it had not delivered is in its spool; start
# it again without loss to drain, with no probing to speak of.
sed -i 's/^interval = 1$/interval = 3600/' "$T/agent.conf"
ip netns exec "$a" "$COVMON_BUILD/covmon-agent" -c "$T/agent.conf" -v >> "$T/agent.log" 2>&1 &
AGENT_PID=$!; PIDS+=("$AGENT_PID")
distinct() { grep -o 'stored lc-lossy-01 seq [0-9]*' "$T/collector.log" | sort -u | wc -l; }
PROGRESS_OK="[ \$v -ge $made ]" wait_progress 15 distinct || true
seqs=$(grep -o 'stored lc-lossy-01 seq [0-9]*' "$T/collector.log" | awk '{print $4}')
total=$(echo "$seqs" | wc -l); uniq=$(echo "$seqs" | sort -nu | wc -l)
dups=$(grep -c "already in the RRD" "$T/collector.log" || true)
echo "made $made, stored $uniq distinct in $total store lines ($dups already in the RRD)"
[ "$uniq" -eq "$made" ] || fail "$made samples made, $uniq stored"
[ "$total" -eq "$uniq" ] || fail "a seq was stored twice"
pass "ledger: every one of $made samples stored exactly once through 30 % loss"
no_crash "$T/collector.log"
