#!/usr/bin/env bash
# SIGTERM and SIGINT stop masq cleanly: it exits promptly with status 0 and leaves the gateway
# namespace exactly as it found it (no rule, no routes in its table, no TUN, sysctls restored).
. "$(dirname "$0")/lib.sh"

snapshot_before() {
    gw_snapshot >"$WORK/before.snap"
    cat "$WORK/before.snap"
}

steering_present() {
    local table
    table="$(masq_rule_table "$WORK/before.snap")"
    echo "rule table: ${table:-none}"
    [ -n "$table" ] || { echo "no new ip rule while masq runs"; return 1; }
    echo "$table" >"$WORK/table"
    ip -n "$NS_GW" link show "$TUN"
    ip netns exec "$NS_LAN" timeout 10 ping -n -c 1 -W 3 "$INET_IP"
}

# stopped_cleanly SIGNAL: checks masq's exit status after SIGNAL (see stop_masq) and what it left.
stopped_cleanly() {
    cat "$LOG_DIR/stop-$1.log"
    echo "masq exit status after SIG$1: $MASQ_RC"
    assert_eq "$MASQ_RC" 0 "exit status after SIG$1"
    local table
    table="$(cat "$WORK/table")"
    if [ -n "$(ip -n "$NS_GW" route show table "$table" 2>/dev/null)" ]; then
        echo "routes left in table $table"
        return 1
    fi
    gw_same_as "$WORK/before.snap"
}

e2e_setup
check snapshot-gateway snapshot_before
e2e_masq_up
check steering-present-while-running steering_present
# Stopped from the main shell, which alone can collect masq's exit status.
masq_stop TERM 10 >"$LOG_DIR/stop-TERM.log" 2>&1 || true
check sigterm-leaves-nothing stopped_cleanly TERM
e2e_masq_up
masq_stop INT 10 >"$LOG_DIR/stop-INT.log" 2>&1 || true
check sigint-leaves-nothing stopped_cleanly INT
