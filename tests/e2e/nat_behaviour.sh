#!/usr/bin/env bash
# NAT behaviour as an RFC 5780 discovery client sees it (coturn's turnutils_natdiscovery
# against coturn's STUN server with two addresses in the internet namespace): UDP mapping must
# be endpoint-independent (RFC 4787 REQ-1) and filtering what `engine.udp.filtering` says:
# address-and-port-dependent by default, endpoint-independent when configured so (REQ-8).
# Hairpinning (REQ-9): with endpoint-independent filtering the client's hairpin probe must come
# back through masq; with the default filtering it is reported (filtered, as it should be).
. "$(dirname "$0")/lib.sh"

INET_IP2=203.0.113.11

start_stun() {
    ip -n "$NS_INET" addr add "$INET_IP2/24" dev inet0
    # `-c /dev/null`: Debian's /etc/turnserver.conf turns RFC 5780 off (`no-rfc5780`).
    bg_start turnserver "$NS_INET" turnserver -c /dev/null --stun-only --no-cli --no-tls \
        --no-dtls -L "$INET_IP" -L "$INET_IP2" -p 3478 --alt-listening-port 3479 \
        --log-file stdout --pidfile "$WORK/turnserver.pid"
    wait_for 10 "STUN on udp $INET_IP:3478" udp_bound "$NS_INET" "$INET_IP" 3478
    wait_for 10 "STUN on udp $INET_IP2:3479" udp_bound "$NS_INET" "$INET_IP2" 3479
}

# discover FLAG: runs the discovery client on the LAN host, output to the check's log.
discover() {
    ip netns exec "$NS_LAN" timeout 60 turnutils_natdiscovery "$1" "$INET_IP" 2>&1 | tee "$LOG_DIR/discovery$1.out"
}

mapping_is_endpoint_independent() {
    discover -m
    grep -q "NAT with Endpoint Independent Mapping" "$LOG_DIR/discovery-m.out"
}

filtering_is_address_and_port_dependent() {
    discover -f
    grep -q "NAT with Address and Port Dependent Filtering" "$LOG_DIR/discovery-f.out"
}

# With address-and-port-dependent filtering the client's hairpin probe is filtered, as it
# must be: its first mapping never sent to the second one's public endpoint (RFC 5780 4.5).
hairpinning_report() {
    discover -H || true
}

# With endpoint-independent filtering the probe from the client's second port, sent to its
# first port's public mapping, comes back in through masq (RFC 4787 REQ-9).
hairpinning_works() {
    discover -H
    grep -q "Received a request (maybe a successful hairpinning)" "$LOG_DIR/discovery-H.out"
}

filtering_is_endpoint_independent() {
    discover -f
    grep -q "NAT with Endpoint Independent Filtering" "$LOG_DIR/discovery-f.out"
}

# Restarts masq with `engine.udp.filtering` set to VALUE (main shell: masq_stop reaps it).
restart_with_filtering() {
    masq_stop INT 15 >"$LOG_DIR/stop-$1.log" 2>&1 || true
    printf '[dhcp]\nlease_file = "%s"\n[engine.udp]\nfiltering = "%s"\n' \
        "$WORK/leases.json" "$1" >"$WORK/masq.toml"
    e2e_masq_up
}

e2e_setup
check start-stun-server start_stun
e2e_masq_up
check udp-mapping-endpoint-independent mapping_is_endpoint_independent
check udp-filtering-address-and-port-dependent filtering_is_address_and_port_dependent
check udp-hairpinning-filtered-by-default hairpinning_report
restart_with_filtering endpoint_independent
check udp-mapping-endpoint-independent-again mapping_is_endpoint_independent
check udp-filtering-endpoint-independent-when-configured filtering_is_endpoint_independent
check udp-hairpinning-when-filtering-allows hairpinning_works
