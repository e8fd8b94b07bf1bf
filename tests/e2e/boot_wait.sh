#!/usr/bin/env bash
# A daemon that autostarts before its LAN interface exists (a USB Ethernet adapter, Wi-Fi not
# up yet at boot) keeps trying and starts sharing once the interface appears, instead of
# failing once and staying off.
. "$(dirname "$0")/lib.sh"

# The LAN interface goes away under another name before the daemon starts.
hide_lan() {
    ip -n "$NS_GW" link set gw-lan down
    ip -n "$NS_GW" link set gw-lan name gw-lan-hidden
    ! ip -n "$NS_GW" link show gw-lan 2>/dev/null
}

# Runs in the main shell, so that MASQ_PID is known to lib.sh's cleanup.
start_daemon() {
    cat >"$WORK/masq.toml" <<TOML
autostart = true
uplink = "gw-up"
lan = "gw-lan"
lan_addr = "$GW_LAN_IP/24"
tun = "$TUN"

[dhcp]
lease_file = "$WORK/leases.json"
TOML
    setsid env --default-signal=INT,QUIT ip netns exec "$NS_GW" "$MASQ" daemon --control "$SOCK" \
        --state-file "$STATE" --config "$WORK/masq.toml" >>"$LOG_DIR/masq.log" 2>&1 </dev/null &
    MASQ_PID=$!
    note "started masq daemon pid $MASQ_PID"
}

daemon_answers() {
    wait_for 20 "the daemon's control socket" "$MASQ" status --json --control "$SOCK"
}

said_it_waits() {
    grep -F "trying again every" "$LOG_DIR/masq.log"
}

waits_without_the_lan() {
    wait_for 20 "the daemon to say it waits for the network" said_it_waits
    if masq_running; then
        echo "sharing runs although the LAN interface does not exist"
        return 1
    fi
    alive "$MASQ_PID" || { echo "the daemon exited"; return 1; }
}

starts_once_the_lan_appears() {
    ip -n "$NS_GW" link set gw-lan-hidden name gw-lan
    ip -n "$NS_GW" link set gw-lan up
    wait_for 15 "sharing to start" masq_running
    ip netns exec "$NS_LAN" timeout 10 ping -n -c 1 -W 3 "$INET_IP"
}

e2e_setup
check lan-interface-hidden hide_lan
start_daemon
check daemon-answers daemon_answers
check waits-while-the-lan-is-missing waits_without_the_lan
check starts-when-the-lan-appears starts_once_the_lan_appears
