#!/usr/bin/env bash
# TCP semantics masq must preserve: the server speaks first (a banner before the client sends
# anything), and half-close (the client shuts down its write side; the server still sends
# its answer and more data after reading EOF, and every byte arrives).
. "$(dirname "$0")/lib.sh"

start_server() {
    bg_start halfclose "$NS_INET" python3 "$TOOLS/halfclose.py" serve --bind "$INET_IP" \
        --port 2121 --tail 200000
    wait_for 10 "banner server on $INET_IP:2121" tcp_listening "$NS_INET" "$INET_IP" 2121
}

banner_and_halfclose() {
    ip netns exec "$NS_LAN" timeout 30 python3 "$TOOLS/halfclose.py" client --host "$INET_IP" \
        --port 2121 --size 500000 --tail 200000
}

e2e_setup
check start-banner-server start_server
e2e_masq_up
check banner-then-half-close banner_and_halfclose
