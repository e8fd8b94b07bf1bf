#!/usr/bin/env bash
# traceroute from the hidden host through masq: UDP, TCP SYN (port 80) and ICMP echo probes
# must each list the gateway, both internet routers and the server as hops, in that order;
# and the gateway must count as one hop (hops 1 to 4 exactly).
. "$(dirname "$0")/lib.sh"

EXPECTED_HOPS=("$GW_LAN_IP" "$R1_IP" "$R2_IP" "$INET_IP")

start_http() {
    mkdir -p "$WORK/www"
    bg_start httpd "$NS_INET" python3 "$TOOLS/httpd.py" --bind "$INET_IP" --port 80 \
        --dir "$WORK/www" --log "$LOG_DIR/access.log"
    wait_for 10 "http server on $INET_IP:80" tcp_listening "$NS_INET" "$INET_IP" 80
}

# trace NAME OPTIONS...: runs traceroute -n into $WORK/NAME.txt and checks that the gateway,
# both routers and the server answer, in that order, and that the server is the last hop.
trace() {
    local name="$1"
    shift
    ip netns exec "$NS_LAN" timeout 60 traceroute -n -w 2 -q 2 -m 8 "$@" "$INET_IP" \
        >"$WORK/$name.txt" || true
    cat "$WORK/$name.txt"
    local ip n prev=0
    for ip in "${EXPECTED_HOPS[@]}"; do
        n="$(hop_of "$ip" "$WORK/$name.txt")"
        if [ -z "$n" ] || [ "$n" -le "$prev" ]; then
            echo "$ip should answer as a hop after hop $prev; it answered at: ${n:-no hop}"
            return 1
        fi
        prev="$n"
    done
    local last
    last="$(awk '$1 ~ /^[0-9]+$/ { n = $1 } END { print n }' "$WORK/$name.txt")"
    assert_eq "$last" "$prev" "the server's hop should be the last one"
}

# hop_of IP FILE: the first hop number at which IP answered in traceroute output FILE.
hop_of() {
    awk -v ip="$1" '$1 ~ /^[0-9]+$/ { for (i = 2; i <= NF; i++) if ($i == ip) { print $1; exit } }' "$2"
}

trace_udp() { trace udp; }
trace_tcp() { trace tcp -T -p 80; }
trace_icmp() { trace icmp -I; }

# The gateway is one router: it must appear as hop 1 only, so the hops are exactly
# gateway, router 1, router 2, server (as for a kernel NAT on the same path).
gateway_counted_once() {
    local name i
    for name in udp tcp icmp; do
        [ -s "$WORK/$name.txt" ] || continue
        for i in "${!EXPECTED_HOPS[@]}"; do
            if [ "$(hop_of "${EXPECTED_HOPS[$i]}" "$WORK/$name.txt")" != "$((i + 1))" ]; then
                echo "traceroute ($name): hop $((i + 1)) should be ${EXPECTED_HOPS[$i]}:"
                cat "$WORK/$name.txt"
                return 1
            fi
        done
        echo "traceroute ($name): hops are exactly ${EXPECTED_HOPS[*]}"
    done
}

e2e_setup
check start-http-server start_http
e2e_masq_up
check traceroute-udp trace_udp
check traceroute-tcp-80 trace_tcp
check traceroute-icmp trace_icmp
check gateway-is-one-hop gateway_counted_once
