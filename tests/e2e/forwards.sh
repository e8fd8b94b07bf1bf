#!/usr/bin/env bash
# Port forwards, the only way in: without a forward the internet host cannot reach the LAN
# server; `masq forward add` opens a TCP and a UDP port on the gateway's uplink address; the
# LAN server then answers and sees the internet host's real address (not the gateway's);
# the translation is listed as inbound; removing the forward closes the port again, and the
# forwards added through the API are saved for the next start.
. "$(dirname "$0")/lib.sh"

export MASQ_FORWARDS_FILE="$WORK/forwards.json"
WEB_PORT=8000
UDP_PORT=9000

start_lan_servers() {
    mkdir -p "$WORK/www"
    printf 'hello from the hidden host\n' >"$WORK/www/index.txt"
    : >"$LOG_DIR/httpd.log"
    bg_start httpd "$NS_LAN" python3 "$TOOLS/httpd.py" --bind 0.0.0.0 --port "$WEB_PORT" \
        --dir "$WORK/www" --log "$LOG_DIR/httpd.log"
    : >"$LOG_DIR/arrivals.log"
    bg_start listener "$NS_LAN" python3 "$TOOLS/listener.py" --tcp-port 7999 \
        --udp-port "$UDP_PORT" --log "$LOG_DIR/arrivals.log"
    wait_for 10 "web server on $WEB_PORT" tcp_listening "$NS_LAN" 0.0.0.0 "$WEB_PORT"
    wait_for 10 "udp listener on $UDP_PORT" udp_bound "$NS_LAN" 0.0.0.0 "$UDP_PORT"
}

fetch() {
    ip netns exec "$NS_INET" timeout 10 curl -sS --max-time 5 "http://$GW_UP_IP:8080/index.txt"
}

masq_forward() {
    timeout 10 "$MASQ" forward "$@" --control "$SOCK"
}

closed_without_forward() {
    if fetch; then
        echo "reached the LAN server without a forward"
        return 1
    fi
}

add_forwards() {
    masq_forward add tcp 8080 "$LAN_IP:$WEB_PORT" --name web
    masq_forward add udp 9090 "$LAN_IP:$UDP_PORT"
    wait_for 5 "both forwards to listen" \
        sh -c "'$MASQ' forward list --json --control '$SOCK' | python3 '$TOOLS/json_match.py' state=listening >/dev/null"
    masq_forward list
}

tcp_reaches_server_with_real_source() {
    local body
    body="$(fetch)"
    assert_eq "hello from the hidden host" "$body"
    cat "$LOG_DIR/httpd.log"
    grep -q "^$INET_IP:[0-9]* GET /index.txt 200" "$LOG_DIR/httpd.log"
}

# Hairpinning (RFC 5382 REQ-8, RFC 4787 REQ-9): the hidden host itself uses the public
# address and port of its forward, and reaches its own server, which sees the connection come
# from the gateway's public address (the sender's public mapping), not from the LAN.
hairpin_to_own_forward() {
    local body
    : >"$LOG_DIR/httpd.log"
    body="$(ip netns exec "$NS_LAN" timeout 10 curl -sS --max-time 5 "http://$GW_UP_IP:8080/index.txt")"
    assert_eq "hello from the hidden host" "$body"
    cat "$LOG_DIR/httpd.log"
    grep -q "^$GW_UP_IP:[0-9]* GET /index.txt 200" "$LOG_DIR/httpd.log"
}

hairpin_udp_to_own_forward() {
    : >"$LOG_DIR/arrivals.log"
    printf 'hairpin\n' | ip netns exec "$NS_LAN" timeout 5 nc -u -w 1 "$GW_UP_IP" 9090 || true
    wait_for 5 "the hairpinned datagram at the LAN listener" grep -q "^UDP FROM $GW_UP_IP:" "$LOG_DIR/arrivals.log"
    cat "$LOG_DIR/arrivals.log"
}

inbound_translation_listed() {
    # A connection held open while the table is read.
    bg_start hold "$NS_INET" bash -c "exec 3<>/dev/tcp/$GW_UP_IP/8080; sleep 20"
    wait_for 10 "the forwarded connection in the table" \
        sh -c "'$MASQ' translations --json --control '$SOCK' | python3 '$TOOLS/json_match.py' protocol=tcp inbound=true lan=$LAN_IP:$WEB_PORT remote^=$INET_IP: state=established >/dev/null"
}

udp_reaches_listener_with_real_source() {
    printf 'datagram\n' | ip netns exec "$NS_INET" timeout 5 nc -u -w 1 "$GW_UP_IP" 9090 || true
    wait_for 5 "the datagram at the LAN listener" grep -q "^UDP FROM $INET_IP:" "$LOG_DIR/arrivals.log"
    cat "$LOG_DIR/arrivals.log"
}

forward_not_a_refusal() {
    # One refusal is right: the probe before the forward existed. None may follow it.
    if masq_json inbound | python3 "$TOOLS/json_match.py" gateway="$GW_UP_IP:8080" "count>1"; then
        echo "a forwarded connection was listed as refused"
        return 1
    fi
}

bad_forwards_refused() {
    if masq_forward add tcp 8080 "$LAN_IP:81" 2>"$WORK/err"; then
        echo "an overlapping forward was accepted"
        return 1
    fi
    cat "$WORK/err"
    grep -q "already forwarded" "$WORK/err"
    if masq_forward add tcp 8081 10.9.9.9:80 2>"$WORK/err"; then
        echo "a forward outside the LAN was accepted"
        return 1
    fi
    cat "$WORK/err"
    grep -q "shared LAN" "$WORK/err"
}

saved_for_next_start() {
    python3 -c 'import json,sys; f=json.load(open(sys.argv[1])); assert len(f)==2, f; print(f)' "$MASQ_FORWARDS_FILE"
}

moved_forward_listens() {
    "$MASQ" forward list --json --control "$SOCK" | python3 -c '
import json, sys
views = json.load(sys.stdin)
sys.exit(0 if any(v["key"]["port"] == 8088 and v["state"] == "listening" and v["spec"].get("name") == "web2" for v in views) else 1)'
}

# `masq forward edit` moves the web forward to public port 8088 in one step: the new port
# reaches the server, the old one is closed, and a refused edit (onto the UDP forward's
# protocol and port is fine, onto a host outside the LAN is not) leaves it as it was.
edit_moves_the_forward() {
    if masq_forward edit tcp 8080 --to 10.9.9.9:80 2>"$WORK/err"; then
        echo "an edit to a host outside the LAN was accepted"
        return 1
    fi
    grep -q "shared LAN" "$WORK/err"
    assert_eq "hello from the hidden host" "$(fetch)"
    masq_forward edit tcp 8080 --public 8088 --name web2
    wait_for 5 "the moved forward to listen" moved_forward_listens
    local body
    body="$(ip netns exec "$NS_INET" timeout 10 curl -sS --max-time 5 "http://$GW_UP_IP:8088/index.txt")"
    assert_eq "hello from the hidden host" "$body"
    closed_without_forward
    python3 -c 'import json,sys; f=json.load(open(sys.argv[1])); assert sorted(x["public"] for x in f)==["8088","9090"], f' "$MASQ_FORWARDS_FILE"
    masq_forward edit tcp 8088 --public 8080 --name web
}

removed_closes_again() {
    masq_forward remove tcp 8080
    closed_without_forward
    python3 -c 'import json,sys; f=json.load(open(sys.argv[1])); assert [x["protocol"] for x in f]==["udp"], f' "$MASQ_FORWARDS_FILE"
}

e2e_setup
check start-lan-servers start_lan_servers
e2e_masq_up
check closed-without-forward closed_without_forward
check add-forwards add_forwards
check tcp-real-source tcp_reaches_server_with_real_source
check hairpin-tcp-to-own-forward hairpin_to_own_forward
check hairpin-udp-to-own-forward hairpin_udp_to_own_forward
check inbound-translation inbound_translation_listed
check udp-real-source udp_reaches_listener_with_real_source
check forward-not-listed-as-refused forward_not_a_refusal
check bad-forwards-refused bad_forwards_refused
check saved-for-next-start saved_for_next_start
check edit-moves-the-forward edit_moves_the_forward
check removed-closes-again removed_closes_again
