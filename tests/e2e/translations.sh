#!/usr/bin/env bash
# A live translation is visible: while the hidden host holds a TCP connection open,
# `masq translations --json` shows it with its LAN, remote and gateway endpoints, and the
# gateway endpoint is exactly the peer address the server saw.
. "$(dirname "$0")/lib.sh"

start_echo() {
    bg_start echo "$NS_INET" python3 "$TOOLS/echo_server.py" --bind "$INET_IP" --port 7000 \
        --log "$LOG_DIR/peers.log" --peak-file "$WORK/peak"
    wait_for 10 "echo server on $INET_IP:7000" tcp_listening "$NS_INET" "$INET_IP" 7000
}

live_translation() {
    bg_start hold "$NS_LAN" python3 "$TOOLS/hold_client.py" --host "$INET_IP" --port 7000 \
        --port-file "$WORK/lan-port" --seconds 40
    local hold_pid="$BG_PID"
    wait_for 15 "the client to connect" test -s "$WORK/lan-port"
    local lan_port peer
    lan_port="$(cat "$WORK/lan-port")"
    peer="$(sed -n 's/^PEER //p' "$LOG_DIR/peers.log" | tail -n 1)"
    echo "client: $LAN_IP:$lan_port, server saw: $peer"
    masq_json translations | python3 "$TOOLS/json_match.py" protocol=tcp \
        lan="$LAN_IP:$lan_port" remote="$INET_IP:7000" gateway="$peer" gateway^="$GW_UP_IP:" \
        inbound=false
    alive "$hold_pid" || { echo "the client ended early"; return 1; }
    stop_group "$hold_pid"
}

e2e_setup
check start-echo-server start_echo
e2e_masq_up
check translation-of-live-tcp live_translation
