#!/usr/bin/env bash
# Uplink roaming (issue 5): masq started without --uplink follows the default route. The
# gateway has two uplinks, each to its own "internet" namespace holding the same server
# address 203.0.113.10; the default route goes via A first. Switching it to B must make new
# LAN connections work via B within 2 s (B's server sees the gateway's B address), reset a TCP
# connection opened before (the client sees an RST, not a hang), and show in `masq status`.
#
#   [lan] lan0 192.168.137.10 ── gw-lan [gw] up-a 10.1.0.2 ── ia0 10.1.0.1 [ia] 203.0.113.10
#                                            up-b 10.2.0.2 ── ib0 10.2.0.1 [ib] 203.0.113.10
. "$(dirname "$0")/lib.sh"

NS_IA="$PREFIX-ia"
NS_IB="$PREFIX-ib"
ALL_NS=("$NS_LAN" "$NS_GW" "$NS_IA" "$NS_IB")
CREATED_NS=("${ALL_NS[@]}")
SERVER=203.0.113.10

topology_up() {
    local ns
    for ns in "${ALL_NS[@]}"; do
        ip netns add "$ns"
        ip -n "$ns" link set lo up
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
        ip netns exec "$ns" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
    done
    ip -n "$NS_LAN" link add lan0 type veth peer name gw-lan netns "$NS_GW"
    ip -n "$NS_GW" link add up-a type veth peer name ia0 netns "$NS_IA"
    ip -n "$NS_GW" link add up-b type veth peer name ib0 netns "$NS_IB"
    ip -n "$NS_LAN" addr add "$LAN_IP/24" dev lan0
    ip -n "$NS_GW" addr add "$GW_LAN_IP/24" dev gw-lan
    ip -n "$NS_GW" addr add 10.1.0.2/24 dev up-a
    ip -n "$NS_GW" addr add 10.2.0.2/24 dev up-b
    ip -n "$NS_IA" addr add 10.1.0.1/24 dev ia0
    ip -n "$NS_IB" addr add 10.2.0.1/24 dev ib0
    ip -n "$NS_IA" addr add "$SERVER/32" dev lo
    ip -n "$NS_IB" addr add "$SERVER/32" dev lo
    local pair
    for pair in "$NS_LAN lan0" "$NS_GW gw-lan" "$NS_GW up-a" "$NS_GW up-b" "$NS_IA ia0" \
        "$NS_IB ib0"; do
        set -- $pair
        ip -n "$1" link set "$2" up
    done
    ip -n "$NS_LAN" route add default via "$GW_LAN_IP"
    ip -n "$NS_GW" route add default via 10.1.0.1 dev up-a
    note "topology up: ${ALL_NS[*]}"
}

# Like masq_start, but without --uplink: the uplink is picked from (and follows) the default
# route.
masq_start_automatic() {
    printf '[dhcp]\nenabled = false\n[dns]\nenabled = false\n' >"$WORK/masq.toml"
    setsid env --default-signal=INT,QUIT ip netns exec "$NS_GW" "$MASQ" up --lan gw-lan \
        --lan-addr "$GW_LAN_IP/24" --tun "$TUN" --control "$SOCK" --state-file "$STATE" \
        --config "$WORK/masq.toml" --observe-inbound >>"$LOG_DIR/masq.log" 2>&1 </dev/null &
    MASQ_PID=$!
    note "started masq pid $MASQ_PID"
    wait_for 20 "masq to report running" masq_running
}

start_servers() {
    bg_start httpd-a "$NS_IA" python3 "$TOOLS/httpd.py" --bind "$SERVER" --port 8080 \
        --dir "$WORK" --log "$WORK/a.log"
    bg_start httpd-b "$NS_IB" python3 "$TOOLS/httpd.py" --bind "$SERVER" --port 8080 \
        --dir "$WORK" --log "$WORK/b.log"
    bg_start echo-a "$NS_IA" python3 "$TOOLS/echo_server.py" --bind "$SERVER" --port 7007 \
        --log "$WORK/echo-a.log" --peak-file "$WORK/echo-a.peak"
    echo hello >"$WORK/hello.txt"
    wait_for 10 "http server in A" tcp_listening "$NS_IA" "$SERVER" 8080
    wait_for 10 "http server in B" tcp_listening "$NS_IB" "$SERVER" 8080
    wait_for 10 "echo server in A" tcp_listening "$NS_IA" "$SERVER" 7007
}

lan_get() {
    ip netns exec "$NS_LAN" curl -sS --fail --max-time "${1:-5}" "http://$SERVER:8080/hello.txt"
}

http_via_a() {
    assert_eq "$(lan_get 5)" hello "body via A"
    grep -q '^10\.1\.0\.2:' "$WORK/a.log" || { echo "A's server saw:"; cat "$WORK/a.log"; return 1; }
}

hold_connection() {
    bg_start hold "$NS_LAN" python3 "$TOOLS/hold_client.py" --host "$SERVER" --port 7007 \
        --port-file "$WORK/hold.port" --seconds 60
    echo "$BG_PID" >"$WORK/hold.pid"
    wait_for 10 "the held connection" test -s "$WORK/hold.port"
}

switch_to_b() {
    ip -n "$NS_GW" route replace default via 10.2.0.1 dev up-b
    date +%s.%N >"$WORK/switched"
}

# New connections must work via B within 2 s of the switch.
new_connections_via_b() {
    local t0 now
    t0="$(cat "$WORK/switched")"
    while :; do
        if lan_get 0.5 >/dev/null 2>&1 && grep -q '^10\.2\.0\.2:' "$WORK/b.log" 2>/dev/null; then
            break
        fi
        now="$(date +%s.%N)"
        if python3 -c "import sys; sys.exit(0 if $now - $t0 > 2.0 else 1)"; then
            echo "no connection via B within 2 s of the switch; B's server saw:"
            cat "$WORK/b.log" 2>/dev/null || true
            return 1
        fi
        sleep 0.1
    done
    python3 -c "print('via B after %.2f s' % ($(date +%s.%N) - $t0))"
}

# The connection opened via A ends with an RST (not a hang until its 60 s are up).
old_connection_reset() {
    local pid
    pid="$(cat "$WORK/hold.pid")"
    wait_for 5 "the held connection to end" bash -c "! kill -0 $pid 2>/dev/null"
    cat "$LOG_DIR/hold.out"
    # A reset shows as ECONNRESET on the next read or write (EPIPE if the write came first).
    grep -Eq "ConnectionResetError|BrokenPipeError" "$LOG_DIR/hold.out"
}

status_shows_b() {
    local json
    json="$(masq_json status)"
    echo "$json"
    python3 - "$json" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
assert s["uplink"]["name"] == "up-b", s["uplink"]
r = s["roaming"]
assert r["mode"] == "automatic" and r["available"] is True, r
assert r["changes"] == 1, r
assert r["last_change"]["kind"] == "switched", r
assert r["last_change"]["from"] == "up-a 10.1.0.2" and r["last_change"]["to"] == "up-b 10.2.0.2", r
PY
}

# RFC 4787 REQ-7 after a move: the uplink's network now overlaps the LAN (here a /16 around
# the LAN's /24 appears on up-b), so sharing must not use it and `status` says why; when the
# address goes, the uplink is usable again.
roaming_state_is() {
    local json
    json="$(masq_json status)" || return 1
    python3 - "$json" "$@" <<'PY'
import json, sys
s = json.loads(sys.argv[1])
available, kind, reason = sys.argv[2] == "true", sys.argv[3], sys.argv[4]
r = s["roaming"]
last = r["last_change"] or {}
ok = r["available"] is available and last.get("kind") == kind
ok = ok and (reason in (last.get("reason") or "") if reason else "reason" not in last)
if not ok:
    print(r)
sys.exit(0 if ok else 1)
PY
}

overlap_makes_the_uplink_unusable() {
    ip -n "$NS_GW" addr add 192.168.0.2/16 dev up-b
    wait_for 10 "status to call up-b unusable" roaming_state_is false lost "overlaps the network of uplink up-b"
    masq_json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["roaming"])'
    timeout 10 "$MASQ" status --control "$SOCK" | grep -q "lost up-b 10.2.0.2 (the LAN 192.168.137.0/24 overlaps"
}

overlap_gone_restores_the_uplink() {
    ip -n "$NS_GW" addr del 192.168.0.2/16 dev up-b
    wait_for 10 "status to call up-b usable again" roaming_state_is true restored ""
    assert_eq "$(lan_get 5)" hello "body via B after the overlap went"
}

e2e_setup
check start-servers start_servers
check masq-start-automatic masq_start_automatic
check http-via-a http_via_a
check hold-connection hold_connection
check switch-default-route switch_to_b
check new-connections-via-b-within-2s new_connections_via_b
check open-tcp-connection-reset old_connection_reset
check status-shows-new-uplink status_shows_b
check uplink-overlapping-the-lan-is-not-used overlap_makes_the_uplink_unusable
check uplink-usable-again-without-the-overlap overlap_gone_restores_the_uplink
