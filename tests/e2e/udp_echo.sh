#!/usr/bin/env bash
# UDP request/response through masq: a socat echo server in the internet namespace, and
# `nc -u` on the hidden host must get its own text back (through the adapter's offload).
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

# By default the adapter cuts TCP super-segments, and from Linux 6.2 on UDP super-datagrams
# too (offload_off.sh covers the path without).
offload_on() {
    local want="tcp=true udp=true" major minor
    IFS=. read -r major minor _ <<<"$(uname -r)"
    if [ "$major" -lt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -lt 2 ]; }; then
        want="tcp=true udp=false"
    fi
    grep -F "adapter segmentation offload" "$LOG_DIR/masq.log"
    grep -Fq "adapter segmentation offload $want" "$LOG_DIR/masq.log"
}

e2e_setup
check start-udp-echo-server start_echo
e2e_masq_up
check adapter-offload-on offload_on
check udp-echo-nc udp_echo
