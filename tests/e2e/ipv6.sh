#!/usr/bin/env bash
# IPv6 through masq (NAT66 in user space): the uplink side of the bench gets documentation
# addresses (2001:db8::/32), the LAN gets masq's ULA prefix from its router advertisements
# (SLAAC, nothing configured on the host), and the hidden host reaches an IPv6 web server two
# routers away; the server must see the gateway's uplink IPv6 address.
# Nothing routes the ULA outside the gateway, so the same requests fail without masq. A
# second run with an IPv4-only uplink shows IPv6 is then not offered at all.
#
#   [lan]  lan0 SLAAC address in fd00:6d71:1::/64, default via the gateway's link-local
#   [gw]   gw-up 2001:db8:1::2/64, default via 2001:db8:1::1
#   [r1]   r1-a 2001:db8:1::1/64  r1-b 2001:db8:64::1/64 (forwarding)
#   [r2]   r2-a 2001:db8:64::2/64 r2-b 2001:db8:113::1/64 (forwarding)
#   [inet] inet0 2001:db8:113::10/64, default via 2001:db8:113::1
. "$(dirname "$0")/lib.sh"

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
    # The hidden host configures itself from router advertisements (the defaults, made
    # explicit): accept them, form addresses from the advertised prefix.
    ip netns exec "$NS_LAN" sysctl -qw net.ipv6.conf.lan0.accept_ra=1
    ip netns exec "$NS_LAN" sysctl -qw net.ipv6.conf.lan0.autoconf=1
    mkdir -p "$WORK/www"
    echo "hello over IPv6" >"$WORK/www/hello.txt"
    # No upstream resolver: the forwarder answers SERVFAIL at once, which is enough to show
    # it listens on the gateway's IPv6 address.
    echo "# no nameserver" >"$WORK/resolv.conf"
    printf '[dhcp]\nlease_file = "%s"\n[dns]\nresolv_conf = "%s"\n[ipv6]\nenabled = "auto"\nprefix = "fd00:6d71:1::/64"\n' \
        "$WORK/leases.json" "$WORK/resolv.conf" >"$WORK/masq.toml"
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

dns_answers_on_the_gateways_ula() {
    local udp tcp
    udp="$(ip netns exec "$NS_LAN" timeout 10 dig @"$GW6" example.test +tries=1 +time=3)"
    echo "$udp"
    grep -q "SERVER: $GW6#53(.*) (UDP)" <<<"$udp"
    tcp="$(ip netns exec "$NS_LAN" timeout 10 dig @"$GW6" example.test +tcp +tries=1 +time=3)"
    echo "$tcp"
    grep -q "SERVER: $GW6#53(.*) (TCP)" <<<"$tcp"
}

ping6_through_masq() {
    local out
    out="$(ip netns exec "$NS_LAN" timeout 20 ping -6 -n -c 3 -i 0.3 -W 3 "$INET6")"
    echo "$out"
    grep -q '3 packets transmitted, 3 received' <<<"$out"
}

# The LAN host's global address from masq's prefix, if it has one.
lan_slaac_addr() {
    ip -n "$NS_LAN" -6 -o addr show dev lan0 scope global |
        awk '{print $4}' | grep '^fd00:6d71:1:0*:'
}

host_configures_itself() {
    wait_for 20 "a SLAAC address from masq's prefix on lan0" lan_slaac_addr
    wait_for 10 "a default route learned from the advertisement" \
        sh -c "ip -n '$NS_LAN' -6 route show default | grep -q 'proto ra'"
    # DAD must be over before the address can be used as a source.
    wait_for 10 "the address to leave DAD" \
        sh -c "! ip -n '$NS_LAN' -6 addr show dev lan0 | grep -q tentative"
    ip -n "$NS_LAN" -6 addr show dev lan0
    ip -n "$NS_LAN" -6 route show
}

status_says_offered() {
    local text
    text="$("$MASQ" status --control "$SOCK")"
    echo "$text"
    grep -q "ipv6 .*offered as $GW6/64 (router advertisements" <<<"$text"
}

goodbye_removes_the_route() {
    if [ -n "$(ip -n "$NS_LAN" -6 route show default)" ]; then
        echo "the LAN host still has an IPv6 default route after masq stopped:"
        ip -n "$NS_LAN" -6 route show default
        return 1
    fi
}

gateway_has_v6_steering() {
    local rules
    rules="$(ip -n "$NS_GW" -6 rule show)"
    echo "$rules"
    grep -q "iif gw-lan lookup 28017" <<<"$rules"
    local routes addrs
    routes="$(ip -n "$NS_GW" -6 route show table 28017)"
    addrs="$(ip -n "$NS_GW" -6 addr show dev gw-lan)"
    grep -q "default dev $TUN" <<<"$routes"
    grep -q "$GW6/64" <<<"$addrs"
    assert_eq "$(ip netns exec "$NS_GW" cat /proc/sys/net/ipv6/conf/gw-lan/forwarding)" 1 \
        "router behaviour on the LAN"
    assert_eq "$(ip netns exec "$NS_GW" cat /proc/sys/net/ipv6/conf/gw-lan/force_forwarding)" 1 \
        "force_forwarding on the LAN"
    assert_eq "$(ip netns exec "$NS_GW" cat /proc/sys/net/ipv6/conf/all/forwarding)" 0 \
        "global IPv6 forwarding stays off"
    assert_eq "$(ip netns exec "$NS_GW" cat /proc/sys/net/ipv6/conf/gw-up/forwarding)" 0 \
        "the uplink is not made a router"
}

v6_steering_removed() {
    if ip -n "$NS_GW" -6 rule show | grep "lookup 28017" >/dev/null; then
        echo "IPv6 rule left behind"
        return 1
    fi
    if ip -n "$NS_GW" -6 addr show dev gw-lan | grep "$GW6" >/dev/null; then
        echo "the gateway's ULA was left on gw-lan"
        return 1
    fi
    assert_eq "$(ip netns exec "$NS_GW" cat /proc/sys/net/ipv6/conf/gw-lan/force_forwarding)" 0 \
        "force_forwarding restored"
}

masq_down() {
    ip netns exec "$NS_GW" timeout 30 "$MASQ" down --state-file "$STATE"
}

stopped_cleanly() {
    assert_eq "$MASQ_RC" 0 "exit status after SIGINT"
}

uplink_loses_v6() {
    ip -n "$NS_GW" addr del "$UP6/64" dev gw-up
}

# The uplink keeps IPv4 only: masq must start, offer no IPv6 and say why.
v4_only_uplink_offers_no_v6() {
    local text
    text="$("$MASQ" status --control "$SOCK")"
    echo "$text"
    grep -q 'ipv6 .*not offered: uplink `gw-up` has no routable IPv6 address' <<<"$text" 
    if ip -n "$NS_GW" -6 rule show | grep "lookup 28017" >/dev/null; then
        echo "IPv6 steered although the uplink has no IPv6"
        return 1
    fi
    if ip netns exec "$NS_LAN" timeout 5 ping -6 -n -c 1 -W 2 "$INET6"; then
        echo "IPv6 worked without an IPv6 uplink"
        return 1
    fi
}

# Kernels before 6.17 cannot forward IPv6 on chosen interfaces only; masq then offers no
# IPv6 rather than turning it on for every interface, and says so.
old_kernel_offers_no_v6() {
    local text
    text="$("$MASQ" status --control "$SOCK")"
    echo "$text"
    grep -q 'ipv6 .*not offered: this kernel cannot forward IPv6 per interface' <<<"$text"
}

# A 3000-byte UDP datagram over IPv6: the LAN host's stack sends it in fragments (Fragment
# header after the fixed header), which masq must put back together before relaying it
# (RFC 4787 REQ-14); the echo comes back through masq as well.
start_udp6_echo() {
    bg_start socat6 "$NS_INET" socat "UDP6-RECVFROM:7007,bind=[$INET6],fork" PIPE
    wait_for 10 "udp echo on [$INET6]:7007" \
        bash -c "ip netns exec '$NS_INET' ss -Hunl 'sport = :7007' | grep -q ."
}

udp6_echo_fragmented() {
    start_udp6_echo
    local ok=0
    ip netns exec "$NS_LAN" timeout 20 python3 - "$INET6" <<'PY' || ok=1
import socket, sys
data = bytes(i % 251 for i in range(3000))
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
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
    masq_json status | python3 -c 'import json,sys; c=json.load(sys.stdin)["engine"]["counters"]; print("reassembled", c.get("datagrams_reassembled"), "drops", c["drops"])'
    [ "$ok" -eq 0 ] || return 1
    local reassembled
    reassembled="$(masq_json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["engine"]["counters"]["datagrams_reassembled"])')"
    echo "datagrams reassembled: $reassembled"
    [ "$reassembled" -ge 1 ]
}

e2e_setup
check ipv6-topology ipv6_topology
if [ ! -e /proc/sys/net/ipv6/conf/all/force_forwarding ]; then
    e2e_masq_up
    check old-kernel-offers-no-v6 old_kernel_offers_no_v6
    skip ipv6-through-masq "kernel $(uname -r) has no net.ipv6.conf.*.force_forwarding (Linux 6.17+)"
    exit 0
fi
check start-http6-server start_http6
check gateway-reaches-server6 gateway_reaches_server6
check no-path-without-masq6 no_path_without_masq6
e2e_masq_up
check gateway-v6-steering gateway_has_v6_steering
check host-configures-itself host_configures_itself
check status-says-offered status_says_offered
check curl6-through-masq curl6_through_masq
check server-sees-uplink6 server_sees_uplink6
check ping6-3-replies ping6_through_masq
check udp6-echo-fragmented-3000-bytes udp6_echo_fragmented
check dns-on-the-gateways-ula dns_answers_on_the_gateways_ula
masq_stop INT 15 >"$LOG_DIR/stop-INT.log" 2>&1 || true
check stopped-cleanly stopped_cleanly
check v6-steering-removed v6_steering_removed
check goodbye-removes-the-route goodbye_removes_the_route
# A crash leaves the IPv6 steering behind; `masq down` removes it from the journal.
e2e_masq_up
check v6-steering-before-crash gateway_has_v6_steering
masq_kill
check masq-down-after-sigkill masq_down
check v6-steering-removed-by-down v6_steering_removed
check uplink-loses-v6 uplink_loses_v6
e2e_masq_up
check v4-only-uplink-offers-no-v6 v4_only_uplink_offers_no_v6
