#!/usr/bin/env bash
# Security of the root daemon (issue 14's five findings, each reproduced as an attacker would
# try it, and each refused):
#   1. control roles: an observer only reads, an operator starts and stops but cannot name a
#      file or an interface, a stranger is not let in; the lease file is private (0600);
#   2. DNS answers the LAN only, not an uplink host that routes the LAN prefix to the gateway;
#   3. NAT-PMP/PCP ignores a request that arrives on the uplink with a spoofed LAN source;
#   4. the LAN stays closed when the host forwards (ip_forward=1, as Docker sets it);
#   5. a LAN device that calls itself `wpad` (or `isatap`) in DHCP does not get that name.
# Unprivileged clients run as uid 65534 with chosen groups (setpriv), so no user or group is
# created on the machine: `users` (gid 100) is the control group, `nogroup` the observers'.
. "$(dirname "$0")/lib.sh"

OPERATOR_GID=100
OBSERVER_GID=65534
STRANGER_GID=4242
TCP_PORT=8080
UDP_PORT=9090
# The system interpreter: a pyenv shim under /root is out of reach of uid 65534.
PY=/usr/bin/python3
[ -x "$PY" ] || PY="$(command -v python3)"

prepare() {
    # The unprivileged clients need to reach the socket, the binary and the tool: copies in
    # this run's work directory, which they may traverse but not list.
    chmod 0711 "$WORK"
    cp "$MASQ" "$WORK/masq"
    cp "$TOOLS/control.py" "$WORK/control.py"
    chmod 0755 "$WORK/masq" "$WORK/control.py"
    cat >"$WORK/masq.toml" <<TOML
control_group = "users"
observer_group = "nogroup"
[dhcp]
lease_file = "$WORK/leases.json"
[port_mapping]
enabled = true
TOML
}

# as GID CMD...: runs CMD as uid 65534 with primary group GID and no other groups.
as() {
    local gid="$1"
    shift
    setpriv --reuid=65534 --regid="$gid" --clear-groups "$@"
}

control_as() {
    local gid="$1"
    shift
    as "$gid" "$PY" "$WORK/control.py" "$SOCK" "$@"
}

# expect_refusal TEXT CMD...: CMD must fail and say TEXT.
expect_refusal() {
    local text="$1" out
    shift
    if out="$("$@" 2>&1)"; then
        echo "succeeded, but should have been refused: $*"
        echo "$out"
        return 1
    fi
    echo "$out"
    grep -q -- "$text" <<<"$out" || { echo "the refusal does not say: $text"; return 1; }
}

observer_reads_only() {
    as "$OBSERVER_GID" "$WORK/masq" status --control "$SOCK"
    as "$OBSERVER_GID" "$WORK/masq" translations --control "$SOCK" >/dev/null
    expect_refusal "needs the operator role" as "$OBSERVER_GID" "$WORK/masq" stop --control "$SOCK"
    expect_refusal "needs the operator role" control_as "$OBSERVER_GID" set observe_inbound=false
    masq_running
}

stranger_is_not_let_in() {
    expect_refusal "may connect" as "$STRANGER_GID" "$WORK/masq" status --control "$SOCK"
}

operator_runs_but_cannot_name_files_or_interfaces() {
    # Finding 1: a file path through the API (root would have overwritten it).
    expect_refusal "config file" control_as "$OPERATOR_GID" set 'dhcp.lease_file="/etc/masq-victim"'
    expect_refusal "config file" control_as "$OPERATOR_GID" set 'dns.resolv_conf="/dev/zero"'
    [ ! -e /etc/masq-victim ]
    expect_refusal "needs the administrator role" control_as "$OPERATOR_GID" set 'lan="lo"'
    expect_refusal "needs the administrator role" control_as "$OPERATOR_GID" set 'port_mapping.enabled=false'
    # What an operator may change: client limits and inbound observation.
    control_as "$OPERATOR_GID" set 'observe_inbound=true'
    control_as "$OPERATOR_GID" set 'engine.client_limits=[]'
    as "$OPERATOR_GID" "$WORK/masq" stop --control "$SOCK"
    as "$OPERATOR_GID" "$WORK/masq" start --control "$SOCK"
    wait_for 20 "masq running again" masq_running
}

administrator_cannot_name_loopback_either() {
    expect_refusal "loopback" "$PY" "$TOOLS/control.py" "$SOCK" set 'lan="lo"'
    expect_refusal "creates this adapter itself" "$PY" "$TOOLS/control.py" "$SOCK" set "uplink=\"$TUN\""
    expect_refusal "config file" "$PY" "$TOOLS/control.py" "$SOCK" set 'dns.resolv_conf="/dev/zero"'
}

# Finding 2: the DNS forwarder at the LAN address, asked from the uplink side.
dns_answers_the_lan_only() {
    local answer
    answer="$(ip netns exec "$NS_LAN" timeout 15 dig @"$GW_LAN_IP" +time=3 +tries=1 +short gateway.lan)"
    assert_eq "$answer" "$GW_LAN_IP" "gateway.lan asked from the LAN"
    ip -n "$NS_INET" route get "$GW_LAN_IP"
    if ip netns exec "$NS_INET" timeout 15 dig @"$GW_LAN_IP" +time=2 +tries=1 gateway.lan; then
        echo "the DNS forwarder answered a host on the uplink side"
        return 1
    fi
    if ip netns exec "$NS_INET" timeout 15 dig @"$GW_LAN_IP" +tcp +time=2 +tries=1 gateway.lan; then
        echo "the DNS forwarder answered a host on the uplink side over TCP"
        return 1
    fi
}

# Finding 3: a PCP MAP request that arrives on the uplink with the LAN host's address as
# source (r1 holds that address and routes the gateway's LAN address to the uplink).
portmap_ignores_the_uplink() {
    ip netns exec "$NS_GW" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.gw-up.rp_filter=0
    ip -n "$NS_R1" addr add "$LAN_IP/32" dev r1-a
    ip -n "$NS_R1" route replace "$GW_LAN_IP/32" via "$GW_UP_IP" src "$LAN_IP"
    # The answer (if any) would go to the real LAN host, so success is judged by the table.
    ip netns exec "$NS_R1" "$PY" "$TOOLS/pcp_map.py" "$GW_LAN_IP" "$LAN_IP" tcp 22 2222 600 \
        0123456789abcdef01234567 || true
    ip -n "$NS_R1" addr del "$LAN_IP/32" dev r1-a
    local forwards
    forwards="$(timeout 10 "$MASQ" forward list --json --control "$SOCK")"
    echo "$forwards"
    if grep -q 2222 <<<"$forwards"; then
        echo "a request from the uplink opened tcp/2222 into the LAN"
        return 1
    fi
    # The same request from the LAN is granted: the server runs and listens there.
    ip netns exec "$NS_LAN" "$PY" "$TOOLS/pcp_map.py" "$GW_LAN_IP" "$LAN_IP" tcp 22 2223 600 \
        0123456789abcdef01234568
}

# Finding 4: the host forwards (as Docker or libvirt make it), and the internet routes the
# LAN prefix to the gateway.
closed_when_the_host_forwards() {
    ip netns exec "$NS_GW" sysctl -qw net.ipv4.ip_forward=1
    ip netns exec "$NS_INET" timeout 8 nc -z -w 3 "$LAN_IP" "$TCP_PORT" &&
        { echo "TCP from the internet reached the LAN host"; return 1; }
    printf 'knock\n' | ip netns exec "$NS_INET" timeout 5 nc -u -w 1 "$LAN_IP" "$UDP_PORT" || true
    sleep 1
    cat "$LOG_DIR/arrivals.log"
    if grep -q "FROM $INET_IP" "$LOG_DIR/arrivals.log"; then
        echo "the LAN host saw the internet host's own address"
        return 1
    fi
    # The refusal is masq's table, not an accident of routing: its drop counter moved.
    ip netns exec "$NS_GW" nft list table inet "masq_$TUN" | tee "$LOG_DIR/guard.nft"
    grep -Eq 'counter packets [1-9]' "$LOG_DIR/guard.nft"
    # The hidden host still browses out.
    ip netns exec "$NS_LAN" timeout 8 nc -z -w 3 "$INET_IP" "$TCP_PORT" || true
}

# Finding 5: a DHCP client calling itself wpad.
wpad_is_not_claimable() {
    ip -n "$NS_LAN" addr flush dev lan0
    ip netns exec "$NS_LAN" env UDHCPC_OUT="$WORK/lease.env" timeout 20 \
        busybox udhcpc -i lan0 -f -q -n -t 5 -T 1 -x "hostname:wpad" -s "$TOOLS/udhcpc.script"
    cat "$WORK/lease.env"
    local answer status
    answer="$(ip netns exec "$NS_LAN" timeout 15 dig @"$GW_LAN_IP" +time=3 +tries=1 wpad.lan)"
    echo "$answer"
    status="$(grep -o 'status: [A-Z]*' <<<"$answer")"
    assert_eq "$status" "status: NXDOMAIN" "wpad.lan"
    # The lease was kept, privately.
    wait_for 10 "the lease file" test -s "$WORK/leases.json"
    assert_eq "$(stat -c %a "$WORK/leases.json")" "600" "lease file mode"
}

e2e_setup() {
    topology_up
    prepare
    routes_to_lan_via_gateway
    lan_listener "$TCP_PORT" "$UDP_PORT"
    masq_start
}

e2e_setup
check observer_reads_only observer_reads_only
check stranger_is_not_let_in stranger_is_not_let_in
check operator_runs_but_cannot_name_files_or_interfaces operator_runs_but_cannot_name_files_or_interfaces
check administrator_cannot_name_loopback_either administrator_cannot_name_loopback_either
check dns_answers_the_lan_only dns_answers_the_lan_only
check portmap_ignores_the_uplink portmap_ignores_the_uplink
check closed_when_the_host_forwards closed_when_the_host_forwards
check wpad_is_not_claimable wpad_is_not_claimable
# masq's table goes with it (masq_stop collects the exit status, so it runs here, not in a check).
masq_stop INT 15 >"$LOG_DIR/stop.log" 2>&1 || true
if [ "${MASQ_RC:-}" = "0" ] && ! ip netns exec "$NS_GW" nft list table inet "masq_$TUN" >/dev/null 2>&1; then
    record PASS guard_removed_on_stop
else
    record FAIL guard_removed_on_stop
    echo "    masq exit status ${MASQ_RC:-?}; nftables table still present or masq did not stop"
fi
