#!/usr/bin/env bash
# DNS through masq, over UDP and over TCP, against dnsmasq in the internet namespace.
. "$(dirname "$0")/lib.sh"

start_dnsmasq() {
    bg_start dnsmasq "$NS_INET" dnsmasq --no-daemon --conf-file=/dev/null --pid-file= \
        --user=root --port 53 --listen-address "$INET_IP" --bind-interfaces --no-resolv \
        --no-hosts --log-queries --address=/example.test/"$INET_IP"
    wait_for 10 "dnsmasq on udp $INET_IP:53" udp_bound "$NS_INET" "$INET_IP" 53
    wait_for 10 "dnsmasq on tcp $INET_IP:53" tcp_listening "$NS_INET" "$INET_IP" 53
}

# lookup DIG-OPTION: asks for www.example.test from the hidden host.
lookup() {
    local answer
    answer="$(ip netns exec "$NS_LAN" timeout 15 dig "$@" +time=3 +tries=2 +short \
        @"$INET_IP" www.example.test A)"
    echo "answer: $answer"
    assert_eq "$answer" "$INET_IP" "A record of www.example.test"
}

dig_udp() { lookup +notcp; }
dig_tcp() { lookup +tcp; }

e2e_setup
check start-dnsmasq start_dnsmasq
e2e_masq_up
check dig-udp dig_udp
check dig-tcp dig_tcp
