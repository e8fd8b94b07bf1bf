#!/usr/bin/env bash
# NAT-PMP and PCP: with [port_mapping] on, a LAN program opens a TCP port on the gateway's
# uplink address with natpmpc (NAT-PMP) or a PCP MAP request, and a connection from the
# internet host then reaches the LAN server, which sees the real remote address; `masq forward
# list --json` shows the mapping with its owner and expiry; after the client deletes it, and
# after it expires, the same connection is refused again.
. "$(dirname "$0")/lib.sh"

LAN_PORT=8080
NATPMP_PORT=18080
EXPIRING_PORT=18081
PCP_PORT=18082

start_listener() {
    : >"$LOG_DIR/arrivals.log"
    bg_start listener "$NS_LAN" python3 "$TOOLS/listener.py" --tcp-port "$LAN_PORT" \
        --udp-port 9090 --log "$LOG_DIR/arrivals.log"
    wait_for 10 "listener on tcp $LAN_PORT" tcp_listening "$NS_LAN" 0.0.0.0 "$LAN_PORT"
}

natpmpc_lan() {
    ip netns exec "$NS_LAN" timeout 20 natpmpc -g "$GW_LAN_IP" "$@"
}

external_address() {
    natpmpc_lan | tee "$LOG_DIR/natpmpc-address.out"
    grep -q "Public IP address : $GW_UP_IP" "$LOG_DIR/natpmpc-address.out"
}

# map PUBLIC LIFETIME: natpmpc asks for tcp PUBLIC -> LAN_PORT; the answer must grant PUBLIC.
map() {
    natpmpc_lan -a "$1" "$LAN_PORT" tcp "$2" | tee "$LOG_DIR/natpmpc-map-$1.out"
    grep -q "Mapped public port $1 protocol TCP to local port $LAN_PORT" "$LOG_DIR/natpmpc-map-$1.out"
}

unmap() {
    natpmpc_lan -a "$1" "$LAN_PORT" tcp 0 | tee "$LOG_DIR/natpmpc-unmap-$1.out"
}

connect_ok() {
    ip netns exec "$NS_INET" timeout 8 nc -z -w 3 "$GW_UP_IP" "$1"
}

# reaches PORT: a connection from the internet to the uplink address:PORT reaches the LAN
# server, which sees the internet host's own address.
reaches() {
    local before
    before="$(grep -c "^TCP FROM $INET_IP:" "$LOG_DIR/arrivals.log" || true)"
    wait_for 10 "tcp $GW_UP_IP:$1 to accept" connect_ok "$1"
    wait_for 5 "the LAN server to see $INET_IP" \
        bash -c "[ \"\$(grep -c '^TCP FROM $INET_IP:' '$LOG_DIR/arrivals.log')\" -gt $before ]"
}

refused() {
    if connect_ok "$1"; then
        echo "tcp $GW_UP_IP:$1 still accepts connections"
        return 1
    fi
}

# listed PORT CLIENT PROTOCOL: `masq forward list --json` has tcp/PORT owned by CLIENT via
# PROTOCOL (nat_pmp or pcp), leading to CLIENT:LAN_PORT, with an expiry.
forward_json() {
    timeout 10 "$MASQ" forward list --json --control "$SOCK"
}

listed() {
    forward_json | python3 -c '
import json, sys
port, client, proto, lan_port = sys.argv[1:5]
views = json.load(sys.stdin)
print(json.dumps(views, indent=1))
for v in views:
    s = v["spec"]
    o = s.get("origin", {})
    if (v["key"]["port"] == int(port) and s["protocol"] == "tcp"
            and o.get("kind") == "port_map" and o.get("client") == client
            and o.get("protocol") == proto and s["target"] == client + ":" + lan_port
            and (v.get("expires_in_s") or 0) > 0):
        sys.exit(0)
sys.exit(1)
' "$1" "$2" "$3" "$LAN_PORT"
}

not_listed() {
    forward_json | python3 -c '
import json, sys
views = json.load(sys.stdin)
sys.exit(1 if any(v["key"]["port"] == int(sys.argv[1]) for v in views) else 0)
' "$1"
}

deleted() {
    unmap "$NATPMP_PORT"
    refused "$NATPMP_PORT"
    not_listed "$NATPMP_PORT"
}

# The short lifetime (3 s, allowed by min_lifetime_secs = 2) runs out without renewal.
expires() {
    map "$EXPIRING_PORT" 3
    reaches "$EXPIRING_PORT"
    wait_for 10 "the mapping to expire" not_listed "$EXPIRING_PORT"
    refused "$EXPIRING_PORT"
}

# pcp LIFETIME NONCE: one PCP MAP request from the LAN host for tcp LAN_PORT, suggesting
# PCP_PORT; prints the answer as JSON.
pcp() {
    ip netns exec "$NS_LAN" python3 "$TOOLS/pcp_map.py" "$GW_LAN_IP" "$LAN_IP" tcp "$LAN_PORT" \
        "$PCP_PORT" "$1" "$2"
}

NONCE=0123456789abcdef01234567

pcp_map() {
    pcp 60 $NONCE |
        tee "$LOG_DIR/pcp-map.out"
    python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
ok = (a["result"] == 0 and a["opcode"] == 0x81 and a["nonce_ok"] and a["external_port"] == int(sys.argv[2])
      and a["external_address"] == sys.argv[3] and a["lifetime"] == 60)
sys.exit(0 if ok else 1)
' "$LOG_DIR/pcp-map.out" "$PCP_PORT" "$GW_UP_IP"
    reaches "$PCP_PORT"
    listed "$PCP_PORT" "$LAN_IP" pcp
}

pcp_other_nonce_refused() {
    pcp 0 ffffffffffffffffffffffff |
        tee "$LOG_DIR/pcp-other.out"
    grep -q '"result": 2' "$LOG_DIR/pcp-other.out"
    listed "$PCP_PORT" "$LAN_IP" pcp
}

pcp_delete() {
    pcp 0 $NONCE |
        tee "$LOG_DIR/pcp-delete.out"
    grep -q '"result": 0' "$LOG_DIR/pcp-delete.out"
    refused "$PCP_PORT"
    not_listed "$PCP_PORT"
}

e2e_setup
printf '[dhcp]\nlease_file = "%s"\n[port_mapping]\nenabled = true\nmin_lifetime_secs = 2\n' \
    "$WORK/leases.json" >"$WORK/masq.toml"
check start-lan-listener start_listener
e2e_masq_up
check refused-before-mapping refused "$NATPMP_PORT"
check natpmp-external-address external_address
check natpmp-map-tcp map "$NATPMP_PORT" 3600
check natpmp-inbound-reaches-lan reaches "$NATPMP_PORT"
check natpmp-mapping-listed listed "$NATPMP_PORT" "$LAN_IP" nat_pmp
check natpmp-delete-refuses-again deleted
check natpmp-expiry-refuses-again expires
check pcp-map-inbound-listed pcp_map
check pcp-other-nonce-refused pcp_other_nonce_refused
check pcp-delete-refuses-again pcp_delete
