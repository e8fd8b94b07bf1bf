#!/usr/bin/env bash
# 1000 concurrent TCP connections from one hidden host: all open at the same time, each
# exchanging a line while the others stay open; the server confirms the peak concurrency.
. "$(dirname "$0")/lib.sh"

N=1000

start_echo() {
    bg_start echo "$NS_INET" python3 "$TOOLS/echo_server.py" --bind "$INET_IP" --port 7000 \
        --log "$LOG_DIR/peers.log" --peak-file "$WORK/peak"
    wait_for 10 "echo server on $INET_IP:7000" tcp_listening "$NS_INET" "$INET_IP" 7000
}

storm() {
    ip netns exec "$NS_LAN" timeout 100 python3 "$TOOLS/conn_storm.py" --host "$INET_IP" \
        --port 7000 -n "$N" --timeout 90
    local peak
    peak="$(cat "$WORK/peak")"
    echo "server saw at most $peak connections at once"
    [ "$peak" -ge "$N" ] || { echo "peak $peak < $N"; return 1; }
    # Every connection reached the server from the gateway's address, never the LAN's.
    if grep -v "^PEER $GW_UP_IP:" "$LOG_DIR/peers.log"; then
        echo "the server saw peers other than $GW_UP_IP"
        return 1
    fi
}

e2e_setup
check start-echo-server start_echo
e2e_masq_up
check tcp-1000-concurrent storm
