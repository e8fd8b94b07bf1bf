#!/usr/bin/env bash
# After masq is killed with SIGKILL (no chance to clean up), `masq down --state-file` removes
# everything it left: the policy rule, its routing table's routes, the TUN device and the
# sysctl changes; the gateway namespace ends up exactly as before masq started.
. "$(dirname "$0")/lib.sh"

snapshot_before() {
    gw_snapshot >"$WORK/before.snap"
    cat "$WORK/before.snap"
}

# masq's steering is in place while it runs (so the final comparison can fail).
steering_present() {
    local table
    table="$(masq_rule_table "$WORK/before.snap")"
    echo "rule table: ${table:-none}"
    [ -n "$table" ] || { echo "no new ip rule while masq runs"; ip -n "$NS_GW" rule show; return 1; }
    echo "$table" >"$WORK/table"
    ip -n "$NS_GW" route show table "$table"
    ip -n "$NS_GW" link show "$TUN"
    ip netns exec "$NS_LAN" timeout 10 ping -n -c 1 -W 3 "$INET_IP"
}

masq_down() {
    echo "masq killed; state file:"
    cat "$STATE" || true
    echo
    ip netns exec "$NS_GW" timeout 30 "$MASQ" down --state-file "$STATE"
}

nothing_left() {
    local table
    table="$(cat "$WORK/table" 2>/dev/null || true)"
    if [ -n "$table" ] && [ -n "$(ip -n "$NS_GW" route show table "$table" 2>/dev/null)" ]; then
        echo "routes left in table $table:"
        ip -n "$NS_GW" route show table "$table"
        return 1
    fi
    if ip -n "$NS_GW" link show "$TUN" 2>/dev/null; then
        echo "TUN $TUN still exists"
        return 1
    fi
    gw_same_as "$WORK/before.snap"
}

e2e_setup
check snapshot-gateway snapshot_before
e2e_masq_up
check steering-present-while-running steering_present
masq_kill
check masq-down-after-sigkill masq_down
check nothing-left-after-down nothing_left
