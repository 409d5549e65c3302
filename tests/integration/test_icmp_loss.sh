#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ICMP loss as the agent reports it, against a known loss: two network
# namespaces joined by a veth pair, the responder dropping 30% of the echo
# requests it receives (nftables, at random). `covmon-agent --once --json`
# runs in the prober namespace; its icmp_loss_pct must be 0 without the
# drop rule and within 4.5 sigma of 30% with it (binomial, n = 200: ±14.6; a correct probe fails about once in 150,000 runs).
# Needs root, ip and nft; exits 77 (skipped) without them.
set -euo pipefail

skip() { echo "SKIP: $*" >&2; exit 77; }

[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, nftables)"
for tool in ip nft python3; do
	command -v "$tool" >/dev/null || skip "$tool not found (apt-get install iproute2 nftables python3)"
done

src=${COVMON_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${COVMON_BUILD:-$src/build}
agent=$build/covmon-agent
[ -x "$agent" ] || { echo "FAIL: $agent not built" >&2; exit 1; }

# Unique per run, so concurrent runs do not collide; interface names <= 15.
prober=covmon-p$$
responder=covmon-r$$
veth_p=cvp$$
veth_r=cvr$$
net=10.231.$(( $$ % 250 ))
tmp=$(mktemp -d)

cleanup() {
	ip netns del "$prober" 2>/dev/null || true
	ip netns del "$responder" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ip netns add "$prober" 2>/dev/null || skip "cannot create a network namespace here"
ip netns add "$responder"
ip link add "$veth_p" type veth peer name "$veth_r" || skip "no veth support here"
ip link set "$veth_p" netns "$prober"
ip link set "$veth_r" netns "$responder"
ip -n "$prober" addr add "$net.1/30" dev "$veth_p"
ip -n "$responder" addr add "$net.2/30" dev "$veth_r"
for ns in "$prober" "$responder"; do
	ip -n "$ns" link set lo up
done
ip -n "$prober" link set "$veth_p" up
ip -n "$responder" link set "$veth_r" up
ip netns exec "$responder" nft add table inet t ||
	skip "nftables does not work here (kernel module nf_tables?)"
ip netns exec "$responder" nft add chain inet t input \
	'{ type filter hook input priority 0; policy accept; }'

# The agent drops privileges after opening its raw sockets.
mkdir "$tmp/spool"
chown nobody "$tmp/spool" 2>/dev/null || true
cat >"$tmp/agent.conf" <<EOF
[agent]
id = test-icmp-loss-01
province = test
interval = 60
spool_dir = $tmp/spool
user = nobody

[probe.icmp]
targets = $net.2
count = 200
timeout_ms = 500
EOF

# Prints icmp_loss_pct from the agent's --json sample.
loss() {
	local out
	out=$(ip netns exec "$prober" "$agent" -c "$tmp/agent.conf" --once --interval 10 --json) || {
		echo "FAIL: covmon-agent --once exited with $?" >&2
		return 1
	}
	printf '%s\n' "$out" | python3 -c '
import json, sys
text = sys.stdin.read()
try:
    sample = json.loads(text)
except ValueError:
    # Tolerate log lines around the sample: take the last JSON object line.
    lines = [l for l in text.splitlines() if l.lstrip().startswith("{")]
    if not lines:
        sys.exit("no JSON sample in the output:\n" + text)
    sample = json.loads(lines[-1])
m = sample.get("m", {})
if "icmp_loss_pct" not in m:
    sys.exit("icmp_loss_pct missing from the sample: " + json.dumps(sample))
print(m["icmp_loss_pct"])
'
}

echo "== no drop rule: expect 0% loss"
l0=$(loss)
echo "icmp_loss_pct = $l0"
python3 -c "import sys; sys.exit(0 if float('$l0') == 0 else 1)" ||
	{ echo "FAIL: loss $l0% on a lossless link" >&2; exit 1; }

echo "== responder drops 30% of echo requests: expect 30 ± 14.6%"
ip netns exec "$responder" nft add rule inet t input \
	icmp type echo-request numgen random mod 100 '<' 30 drop
l30=$(loss)
echo "icmp_loss_pct = $l30"
python3 -c "import sys; sys.exit(0 if 15.4 <= float('$l30') <= 44.6 else 1)" ||
	{ echo "FAIL: loss $l30% outside 30 ± 14.6 (4.5 sigma, n = 200)" >&2; exit 1; }

echo "PASS"
