#!/usr/bin/env bash
# Nothing from the internet gets in: a TCP connect and a UDP datagram from the internet host,
# both to the gateway's address and (with routes added toward the LAN) to the hidden host's
# own address. A listener on the hidden host must never see them, and `masq inbound --json`
# must list each refusal with its reason.
. "$(dirname "$0")/lib.sh"

TCP_PORT=8080
UDP_PORT=9090

start_listener() {
    lan_listener "$TCP_PORT" "$UDP_PORT"
    # The listener works: a connection from the hidden host to itself is recorded.
    ip netns exec "$NS_LAN" timeout 5 nc -z -w 2 "$LAN_IP" "$TCP_PORT"
    wait_for 5 "the listener to record the local probe" grep -q "^TCP FROM $LAN_IP:" "$LOG_DIR/arrivals.log"
}

# knock TARGET: one TCP connect and one UDP datagram from the internet host to TARGET.
knock() {
    local target="$1"
    if ip netns exec "$NS_INET" timeout 8 nc -z -w 3 "$target" "$TCP_PORT"; then
        echo "TCP connect from the internet to $target:$TCP_PORT succeeded"
        return 1
    fi
    echo "TCP connect to $target:$TCP_PORT failed, as it should"
    printf 'knock knock\n' | ip netns exec "$NS_INET" timeout 5 nc -u -w 1 "$target" "$UDP_PORT" || true
    echo "UDP datagram sent to $target:$UDP_PORT"
}

knock_gateway() {
    knock "$GW_UP_IP"
}

knock_hidden_host() {
    routes_to_lan_via_gateway
    ip -n "$NS_INET" route get "$LAN_IP"
    knock "$LAN_IP"
}

# True when `masq inbound --json` has an entry matching every json_match.py condition.
inbound_has() {
    masq_json inbound | python3 "$TOOLS/json_match.py" "$@"
}

# inbound_lists PROTOCOL GATEWAY REASON: waits until `masq inbound --json` has the entry.
inbound_lists() {
    local conds=(protocol="$1" remote^="$INET_IP:" gateway="$2" reason="$3" "count>0" explanation!=)
    if ! wait_for 10 "masq inbound to list $*" inbound_has "${conds[@]}"; then
        inbound_has "${conds[@]}"
        return 1
    fi
    inbound_has "${conds[@]}"
}

nothing_arrived() {
    cat "$LOG_DIR/arrivals.log"
    if grep -v "FROM $LAN_IP:" "$LOG_DIR/arrivals.log"; then
        echo "the hidden host received traffic from outside"
        return 1
    fi
}

e2e_setup
check start-lan-listener start_listener
e2e_masq_up
check refuse-to-gateway-address knock_gateway
check refuse-to-hidden-address knock_hidden_host
check inbound-lists-tcp-to-gateway inbound_lists tcp "$GW_UP_IP:$TCP_PORT" no_translation
check inbound-lists-udp-to-gateway inbound_lists udp "$GW_UP_IP:$UDP_PORT" no_translation
check inbound-lists-tcp-to-hidden inbound_lists tcp "$LAN_IP:$TCP_PORT" addressed_to_hidden_host
check inbound-lists-udp-to-hidden inbound_lists udp "$LAN_IP:$UDP_PORT" addressed_to_hidden_host
check hidden-host-received-nothing nothing_arrived
