#!/usr/bin/env bash
# flows-idle.sh - memory per flow and idle wake-ups of the real `masq up` (issue 4 targets:
# 100 000 mostly idle flows in <= 200 MiB RSS; zero wake-ups per second when idle).
#
# Usage (root): MASQ_BIN=target/release/masq TCP_FLOWS=9000 UDP_FLOWS=9000 bench/flows-idle.sh
# (each flow is one socket in masq: the descriptor hard limit bounds the count)
#
# Builds the e2e suite's namespace topology (tests/e2e/lib.sh: lan / gw / r1 / r2 / inet, all
# traffic inside them, everything removed on exit), starts masq in gw, then from the LAN host
# opens TCP_FLOWS connections to a sink in inet and UDP_FLOWS UDP mappings (one datagram
# each), waits until masq holds them all, and reports:
#   - masq's RSS before and with the flows, and the difference per flow;
#   - voluntary + involuntary context switches of every masq thread over IDLE_S seconds with
#     no traffic (a wake-up is a switch back in, so this counts them).
# The shell raises its own descriptor limit (masq needs one socket per flow); masq raises its
# soft limit to the hard one by itself.
set -euo pipefail
MASQ="$(realpath "${MASQ_BIN:-target/release/masq}")"
export MASQ
TCP_FLOWS="${TCP_FLOWS:-9000}"
UDP_FLOWS="${UDP_FLOWS:-9000}"
IDLE_S="${IDLE_S:-10}"
# Start-up work ends first: NAT-PMP/PCP restart announcements (RFC 6886 3.2.1: ten, doubling
# from 250 ms, about two minutes) are not idle wake-ups.
SETTLE_S="${SETTLE_S:-130}"
E2E_LOG_DIR="${E2E_LOG_DIR:-$(pwd)/target/flows-idle}"
export E2E_LOG_DIR
mkdir -p "$E2E_LOG_DIR"
BENCH_TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/tools"
# shellcheck source=../tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../tests/e2e/lib.sh"

need=$((TCP_FLOWS + UDP_FLOWS + 1024))
ulimit -Hn "$need" 2>/dev/null || true
ulimit -Sn "$(ulimit -Hn)"
if [ "$(ulimit -Hn)" -lt "$need" ]; then
    echo "error: $need descriptors needed, the hard limit here is $(ulimit -Hn) (raising it needs" \
        "CAP_SYS_RESOURCE); lower TCP_FLOWS/UDP_FLOWS" >&2
    exit 1
fi

# The sum of all masq threads' context switches.
switches() {
    local pid="$1" total=0 n
    for f in /proc/"$pid"/task/*/status; do
        n=$(awk '/ctxt_switches/ {s += $2} END {print s}' "$f" 2>/dev/null || echo 0)
        total=$((total + n))
    done
    echo "$total"
}
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
flows() {
    "$MASQ" status --json --control "$SOCK" |
        python3 -c 'import json,sys; c=json.load(sys.stdin)["engine"]; print(c["flows_tcp"], c["flows_udp"])'
}

e2e_setup
total=$((TCP_FLOWS + UDP_FLOWS))
printf '[engine]\nmax_flows = %d\nmax_flows_per_host = %d\n[dhcp]\nenabled = false\n[dns]\nenabled = false\n' \
    "$((total + 1000))" "$((total + 1000))" >"$WORK/masq.toml"
ip netns exec "$NS_LAN" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
ports=(5001 5002 5003 5004)
bg_start sink "$NS_INET" python3 "$BENCH_TOOLS/flow_sink.py" --bind "$INET_IP" --ports "${ports[@]}"
wait_for 10 "sink listening" tcp_listening "$NS_INET" "$INET_IP" 5001
masq_start
mpid="$(pgrep -f -- "--control $SOCK" | head -1)"
started=$SECONDS
sleep 1
base_kib="$(rss_kib "$mpid")"
echo "masq pid $mpid, RSS without flows: $base_kib KiB"

opening=$SECONDS
bg_start source "$NS_LAN" python3 "$BENCH_TOOLS/flow_source.py" --server "$INET_IP" \
    --ports "${ports[@]}" --tcp "$TCP_FLOWS" --udp "$UDP_FLOWS" --ready-file "$WORK/ready" --timeout 300
wait_for 320 "the LAN host to open its flows" test -s "$WORK/ready"
echo "opened in $((SECONDS - opening)) s: $(cat "$WORK/ready")"
sleep 2
read -r tcp udp <<<"$(flows)"
kib="$(rss_kib "$mpid")"
n=$((tcp + udp))
echo "masq holds $tcp TCP + $udp UDP flows; RSS $kib KiB"
per_flow=$(( (kib - base_kib) * 1024 / (n > 0 ? n : 1) ))
echo "RSS per flow: $per_flow bytes; projected for 100000 flows: $(( (base_kib * 1024 + per_flow * 100000) / 1048576 )) MiB"

settle=$((SETTLE_S - (SECONDS - started)))
if [ "$settle" -gt 0 ]; then
    echo "waiting ${settle} s for start-up announcements to end"
    sleep "$settle"
fi
s0="$(switches "$mpid")"
sleep "$IDLE_S"
s1="$(switches "$mpid")"
echo "idle: $((s1 - s0)) context switches in ${IDLE_S} s across $(ls /proc/"$mpid"/task | wc -l) threads, with $n flows"
