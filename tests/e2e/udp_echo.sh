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

# A 3000-byte datagram: the LAN host's stack sends it in three fragments, which masq must put
# back together before relaying (RFC 4787 REQ-14); the echo comes back fragmented by masq.
udp_echo_fragmented() {
    ip netns exec "$NS_LAN" timeout 20 python3 - "$INET_IP" <<'PY'
import socket, sys
data = bytes(i % 251 for i in range(3000))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
for attempt in range(3):
    s.sendto(data, (sys.argv[1], 7007))
    try:
        got, _ = s.recvfrom(65535)
    except socket.timeout:
        print("no answer, attempt", attempt + 1)
        continue
    print("sent", len(data), "got", len(got))
    sys.exit(0 if got == data else 1)
sys.exit(1)
PY
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
check udp-echo-fragmented-3000-bytes udp_echo_fragmented
