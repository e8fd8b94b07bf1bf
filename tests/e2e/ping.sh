#!/usr/bin/env bash
# ICMP echo through masq: the hidden host pings a server two routers away.
# Before masq starts the same ping must fail (nothing routes the LAN), which shows the test
# can fail and that only masquerading makes the path work.
. "$(dirname "$0")/lib.sh"

ping_fails_without_masq() {
    if ip netns exec "$NS_LAN" timeout 5 ping -n -c 1 -W 1 "$INET_IP"; then
        echo "the LAN reached $INET_IP without masq: the topology leaks"
        return 1
    fi
}

gateway_reaches_server() {
    ip netns exec "$NS_GW" timeout 10 ping -n -c 1 -W 2 "$INET_IP"
}

ping_three() {
    local out
    out="$(ip netns exec "$NS_LAN" timeout 20 ping -n -c 3 -i 0.3 -W 3 "$INET_IP")"
    echo "$out"
    grep -q '3 packets transmitted, 3 received' <<<"$out"
}

e2e_setup
check no-path-without-masq ping_fails_without_masq
check gateway-reaches-server gateway_reaches_server
e2e_masq_up
check ping-3-replies ping_three
