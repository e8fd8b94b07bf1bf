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

# TCP mapping (RFC 5382 REQ-1): two connections from one LAN endpoint (source port 40000, the
# way a hole-punching app reuses its port) to two servers leave from one gateway port.
tcp_mapping_is_endpoint_independent() {
    : >"$LOG_DIR/tcp-peers.log"
    bg_start peers1 "$NS_INET" python3 "$TOOLS/listener.py" --tcp-port 8001 --udp-port 9001 \
        --log "$LOG_DIR/tcp-peers.log"
    bg_start peers2 "$NS_INET" python3 "$TOOLS/listener.py" --tcp-port 8002 --udp-port 9002 \
        --log "$LOG_DIR/tcp-peers.log"
    wait_for 10 "listener on tcp 8001" tcp_listening "$NS_INET" 0.0.0.0 8001
    wait_for 10 "listener on tcp 8002" tcp_listening "$NS_INET" 0.0.0.0 8002
    ip netns exec "$NS_LAN" timeout 20 python3 - "$LAN_IP" "$INET_IP" "$INET_IP2" <<'PY'
import socket, sys, time
lan, a, b = sys.argv[1:4]
held = []
for server, port in ((a, 8001), (b, 8002)):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((lan, 40000))
    s.settimeout(5)
    s.connect((server, port))
    held.append(s)
time.sleep(1)
PY
    wait_for 5 "both connections logged" sh -c "[ \$(grep -c '^TCP FROM' '$LOG_DIR/tcp-peers.log') -ge 2 ]"
    cat "$LOG_DIR/tcp-peers.log"
    local ports
    ports="$(grep '^TCP FROM' "$LOG_DIR/tcp-peers.log" | sed 's/.*://' | sort -u)"
    assert_eq "$(wc -l <<<"$ports")" "1" "gateway ports seen by the two servers"
}

# RFC 5382 REQ-4: an unsolicited SYN to one of masq's ports (the kernel's ephemeral range)
# gets no answer, so a hole punch whose remote SYN arrives first is not reset; the host's
# kernel would otherwise send an RST at once.
unsolicited_syn_unanswered() {
    local start=$SECONDS
    if ip netns exec "$NS_INET" timeout 10 nc -z -w 3 "$GW_UP_IP" 45000; then
        echo "an unsolicited SYN was accepted"
        return 1
    fi
    local waited=$((SECONDS - start))
    echo "the connect gave up after ${waited}s"
    [ "$waited" -ge 2 ] || { echo "answered at once (an RST), not held"; return 1; }
    ip netns exec "$NS_GW" nft list table inet "masq_$TUN" | grep -E 'REQ-4' | tee "$LOG_DIR/req4.nft"
    grep -Eq 'counter packets [1-9]' "$LOG_DIR/req4.nft"
}

e2e_setup
check start-stun-server start_stun
e2e_masq_up
check udp-mapping-endpoint-independent mapping_is_endpoint_independent
check udp-filtering-address-and-port-dependent filtering_is_address_and_port_dependent
check udp-hairpinning-filtered-by-default hairpinning_report
check tcp-mapping-endpoint-independent tcp_mapping_is_endpoint_independent
check tcp-unsolicited-syn-unanswered unsolicited_syn_unanswered
restart_with_filtering endpoint_independent
check udp-mapping-endpoint-independent-again mapping_is_endpoint_independent
check udp-filtering-endpoint-independent-when-configured filtering_is_endpoint_independent
check udp-hairpinning-when-filtering-allows hairpinning_works
