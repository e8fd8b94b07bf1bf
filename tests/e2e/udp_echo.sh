#!/usr/bin/env bash
# UDP request/response through masq: a socat echo server in the internet namespace, and
# `nc -u` on the hidden host must get its own text back.
. "$(dirname "$0")/lib.sh"

start_echo() {
    bg_start socat "$NS_INET" socat "UDP4-RECVFROM:7007,bind=$INET_IP,fork" PIPE
    wait_for 10 "socat on udp $INET_IP:7007" udp_bound "$NS_INET" "$INET_IP" 7007
}

udp_echo() {
    local text="masq e2e udp echo $$" got
    got="$(printf '%s\n' "$text" | ip netns exec "$NS_LAN" timeout 10 nc -u -w 2 "$INET_IP" 7007)" || true
    echo "sent: $text"
    echo "got:  $got"
    assert_eq "$got" "$text" "echoed text"
}

e2e_setup
check start-udp-echo-server start_echo
e2e_masq_up
check udp-echo-nc udp_echo
