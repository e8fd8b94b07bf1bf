#!/usr/bin/env bash
# IPv6 through masq (NAT66 in user space): the uplink side of the bench gets documentation
# addresses (2001:db8::/32), the LAN gets masq's ULA prefix, and the hidden host reaches an
# IPv6 web server two routers away; the server must see the gateway's uplink IPv6 address.
# Nothing routes the ULA outside the gateway, so the same requests fail without masq. A
# second run with an IPv4-only uplink shows IPv6 is then not offered at all.
#
#   [lan]  lan0 fd00:6d71:1::10/64, default via fd00:6d71:1::1 (the gateway's ULA)
#   [gw]   gw-up 2001:db8:1::2/64, default via 2001:db8:1::1
#   [r1]   r1-a 2001:db8:1::1/64  r1-b 2001:db8:64::1/64 (forwarding)
#   [r2]   r2-a 2001:db8:64::2/64 r2-b 2001:db8:113::1/64 (forwarding)
#   [inet] inet0 2001:db8:113::10/64, default via 2001:db8:113::1
. "$(dirname "$0")/lib.sh"

LAN6=fd00:6d71:1::10
GW6=fd00:6d71:1::1
UP6=2001:db8:1::2
INET6=2001:db8:113::10

# Turns IPv6 back on in the bench (lib.sh switches it off) and numbers the uplink side.
ipv6_topology() {
    local ns ifs pair
    for pair in "$NS_LAN lan0" "$NS_GW gw-lan gw-up" "$NS_R1 r1-a r1-b" "$NS_R2 r2-a r2-b" \
        "$NS_INET inet0"; do
        # shellcheck disable=SC2086
        set -- $pair
        ns="$1"
        shift
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=0
        for ifs in "$@"; do
            ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$ifs.disable_ipv6=0"
        done
    done
    ip -n "$NS_GW" addr add "$UP6/64" dev gw-up nodad
    ip -n "$NS_R1" addr add 2001:db8:1::1/64 dev r1-a nodad
    ip -n "$NS_R1" addr add 2001:db8:64::1/64 dev r1-b nodad
    ip -n "$NS_R2" addr add 2001:db8:64::2/64 dev r2-a nodad
    ip -n "$NS_R2" addr add 2001:db8:113::1/64 dev r2-b nodad
    ip -n "$NS_INET" addr add "$INET6/64" dev inet0 nodad
    ip -n "$NS_GW" -6 route add default via 2001:db8:1::1 dev gw-up
    ip -n "$NS_R1" -6 route add 2001:db8:113::/64 via 2001:db8:64::2
    ip -n "$NS_R2" -6 route add 2001:db8:1::/64 via 2001:db8:64::1
    ip -n "$NS_INET" -6 route add default via 2001:db8:113::1
    ip netns exec "$NS_R1" sysctl -qw net.ipv6.conf.all.forwarding=1
    ip netns exec "$NS_R2" sysctl -qw net.ipv6.conf.all.forwarding=1
    # The hidden host: a static address in masq's prefix (the one written to masq.toml).
    ip -n "$NS_LAN" addr add "$LAN6/64" dev lan0 nodad
    ip -n "$NS_LAN" -6 route add default via "$GW6" dev lan0
    mkdir -p "$WORK/www"
    echo "hello over IPv6" >"$WORK/www/hello.txt"
    printf '[dhcp]\nlease_file = "%s"\n[ipv6]\nenabled = "auto"\nprefix = "fd00:6d71:1::/64"\n' \
        "$WORK/leases.json" >"$WORK/masq.toml"
}

start_http6() {
    bg_start httpd6 "$NS_INET" python3 -m http.server --bind "$INET6" --directory "$WORK/www" 8080
    wait_for 10 "http server on [$INET6]:8080" tcp_listening "$NS_INET" "[$INET6]" 8080
}

gateway_reaches_server6() {
    # The first probe may go while neighbour discovery is still under way.
    wait_for 10 "a ping reply from $INET6" \
        ip netns exec "$NS_GW" ping -6 -n -c 1 -W 1 "$INET6"
}

no_path_without_masq6() {
    if ip netns exec "$NS_LAN" timeout 5 curl -6 -sf --max-time 3 "http://[$INET6]:8080/hello.txt"; then
        echo "the LAN reached [$INET6] without masq: the topology leaks"
        return 1
    fi
}

curl6_through_masq() {
    local body
    body="$(ip netns exec "$NS_LAN" timeout 20 curl -6 -sf --max-time 10 "http://[$INET6]:8080/hello.txt")"
    assert_eq "$body" "hello over IPv6" "body fetched over IPv6"
}

server_sees_uplink6() {
    grep -q "^$UP6 .*GET /hello.txt" "$LOG_DIR/httpd6.out" || {
        echo "server log does not show $UP6 as the client:"
        cat "$LOG_DIR/httpd6.out"
        return 1
    }
    if grep -q "fd00:6d71" "$LOG_DIR/httpd6.out"; then
        echo "the hidden host's ULA reached the server"
        return 1
    fi
}

ping6_through_masq() {
    local out
    out="$(ip netns exec "$NS_LAN" timeout 20 ping -6 -n -c 3 -i 0.3 -W 3 "$INET6")"
    echo "$out"
    grep -q '3 packets transmitted, 3 received' <<<"$out"
}

gateway_has_v6_steering() {
    local rules
    rules="$(ip -n "$NS_GW" -6 rule show)"
    echo "$rules"
    grep -q "iif gw-lan lookup 28017" <<<"$rules"
    ip -n "$NS_GW" -6 route show table 28017 | grep -q "default dev $TUN"
    ip -n "$NS_GW" -6 addr show dev gw-lan | grep -q "$GW6/64"
    assert_eq "$(ip netns exec "$NS_GW" cat /proc/sys/net/ipv6/conf/gw-lan/force_forwarding)" 1 \
        "force_forwarding on the LAN"
    assert_eq "$(ip netns exec "$NS_GW" cat /proc/sys/net/ipv6/conf/all/forwarding)" 0 \
        "global IPv6 forwarding stays off"
    assert_eq "$(ip netns exec "$NS_GW" cat /proc/sys/net/ipv6/conf/gw-up/forwarding)" 0 \
        "the uplink is not made a router"
}

v6_steering_removed() {
    if ip -n "$NS_GW" -6 rule show | grep -q "lookup 28017"; then
        echo "IPv6 rule left behind"
        return 1
    fi
    if ip -n "$NS_GW" -6 addr show dev gw-lan | grep -q "$GW6"; then
        echo "the gateway's ULA was left on gw-lan"
        return 1
    fi
    assert_eq "$(ip netns exec "$NS_GW" cat /proc/sys/net/ipv6/conf/gw-lan/force_forwarding)" 0 \
        "force_forwarding restored"
}

stopped_cleanly() {
    assert_eq "$MASQ_RC" 0 "exit status after SIGINT"
}

uplink_loses_v6() {
    ip -n "$NS_GW" addr del "$UP6/64" dev gw-up
}

# The uplink keeps IPv4 only: masq must start, offer no IPv6 and say why.
v4_only_uplink_offers_no_v6() {
    grep -q "IPv6 is not offered" "$LOG_DIR/masq.log" || {
        echo "masq did not say why IPv6 is not offered:"
        tail -n 20 "$LOG_DIR/masq.log"
        return 1
    }
    if ip -n "$NS_GW" -6 rule show | grep -q "lookup 28017"; then
        echo "IPv6 steered although the uplink has no IPv6"
        return 1
    fi
    if ip netns exec "$NS_LAN" timeout 5 ping -6 -n -c 1 -W 2 "$INET6"; then
        echo "IPv6 worked without an IPv6 uplink"
        return 1
    fi
}

e2e_setup
check ipv6-topology ipv6_topology
check start-http6-server start_http6
check gateway-reaches-server6 gateway_reaches_server6
check no-path-without-masq6 no_path_without_masq6
e2e_masq_up
check gateway-v6-steering gateway_has_v6_steering
check curl6-through-masq curl6_through_masq
check server-sees-uplink6 server_sees_uplink6
check ping6-3-replies ping6_through_masq
masq_stop INT 15 >"$LOG_DIR/stop-INT.log" 2>&1 || true
check stopped-cleanly stopped_cleanly
check v6-steering-removed v6_steering_removed
check uplink-loses-v6 uplink_loses_v6
e2e_masq_up
check v4-only-uplink-offers-no-v6 v4_only_uplink_offers_no_v6
