#!/usr/bin/env bash
# traceroute from the hidden host through masq: UDP, TCP SYN (port 80) and ICMP echo probes
# must each list the gateway, both internet routers and the server as hops 1 to 4.
. "$(dirname "$0")/lib.sh"

EXPECTED_HOPS=("$GW_LAN_IP" "$R1_IP" "$R2_IP" "$INET_IP")

start_http() {
    mkdir -p "$WORK/www"
    bg_start httpd "$NS_INET" python3 "$TOOLS/httpd.py" --bind "$INET_IP" --port 80 \
        --dir "$WORK/www" --log "$LOG_DIR/access.log"
    wait_for 10 "http server on $INET_IP:80" tcp_listening "$NS_INET" "$INET_IP" 80
}

# trace OPTIONS...: runs traceroute -n and checks hop N answers from EXPECTED_HOPS[N-1].
trace() {
    local out
    out="$(ip netns exec "$NS_LAN" timeout 60 traceroute -n -w 2 -q 2 -m 8 "$@" "$INET_IP")" || true
    echo "$out"
    local i hop
    for i in "${!EXPECTED_HOPS[@]}"; do
        hop="$(awk -v n="$((i + 1))" '$1 == n' <<<"$out")"
        if ! grep -qw -- "${EXPECTED_HOPS[$i]//./\\.}" <<<"$hop"; then
            echo "hop $((i + 1)) should be ${EXPECTED_HOPS[$i]}, got: ${hop:-nothing}"
            return 1
        fi
    done
}

trace_udp() { trace; }
trace_tcp() { trace -T -p 80; }
trace_icmp() { trace -I; }

e2e_setup
check start-http-server start_http
e2e_masq_up
check traceroute-udp trace_udp
check traceroute-tcp-80 trace_tcp
check traceroute-icmp trace_icmp
