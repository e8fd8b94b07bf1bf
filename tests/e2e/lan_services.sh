#!/usr/bin/env bash
# LAN services: a LAN host with no manual set-up gets a lease from masq's DHCP server and
# browses through masq; DNS at the gateway address forwards to the resolver in the internet
# namespace (UDP, TCP, truncated answers fetched again over TCP) and answers the DHCP
# client's name; `masq clients` lists it; leases survive a restart of masq.
. "$(dirname "$0")/lib.sh"

HOST=lanbox
# `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf, so masq in
# the gateway namespace reads the internet namespace's dnsmasq as "the host's resolver".
NETNS_ETC="/etc/netns/$NS_GW"
# Remove /etc/netns itself afterwards only if this script creates it.
NETNS_PARENT_NEW=""
[ -d /etc/netns ] || NETNS_PARENT_NEW=1

lan_services_cleanup() {
    e2e_cleanup
    rm -rf "$NETNS_ETC"
    [ -z "$NETNS_PARENT_NEW" ] || rmdir /etc/netns 2>/dev/null || true
}
trap lan_services_cleanup EXIT

start_servers() {
    mkdir -p "$NETNS_ETC" "$WORK/www"
    echo "nameserver $INET_IP" >"$NETNS_ETC/resolv.conf"
    echo "hello from the internet" >"$WORK/www/hello.txt"
    # Twelve 200-byte TXT strings: about 2.5 KB, beyond a 512-byte UDP answer.
    local txt=() i
    for i in $(seq -w 1 12); do
        txt+=(--txt-record="big.example.test,$i$(printf 'x%.0s' $(seq 198))")
    done
    bg_start dnsmasq "$NS_INET" dnsmasq --no-daemon --conf-file=/dev/null --pid-file= \
        --user=root --port 53 --listen-address "$INET_IP" --bind-interfaces --no-resolv \
        --no-hosts --log-queries --address=/example.test/"$INET_IP" "${txt[@]}"
    bg_start httpd "$NS_INET" python3 "$TOOLS/httpd.py" --bind "$INET_IP" --port 80 \
        --dir "$WORK/www" --log "$LOG_DIR/access.log"
    wait_for 10 "dnsmasq on udp $INET_IP:53" udp_bound "$NS_INET" "$INET_IP" 53
    wait_for 10 "dnsmasq on tcp $INET_IP:53" tcp_listening "$NS_INET" "$INET_IP" 53
    wait_for 10 "http server on $INET_IP:80" tcp_listening "$NS_INET" "$INET_IP" 80
    # The LAN host starts with no address and no route: DHCP must configure it.
    ip -n "$NS_LAN" addr flush dev lan0
    printf '[dhcp]\nlease_file = "%s"\n' "$WORK/leases.json" >"$WORK/masq.toml"
}

# Runs udhcpc once in the LAN namespace until it has a lease.
dhcp_lease() {
    ip netns exec "$NS_LAN" env UDHCPC_OUT="$WORK/lease.env" timeout 20 \
        busybox udhcpc -i lan0 -f -q -n -t 5 -T 1 -x "hostname:$HOST" -s "$TOOLS/udhcpc.script"
    cat "$WORK/lease.env"
    . "$WORK/lease.env"
    case "$ip" in 192.168.137.*) ;; *)
        echo "leased address $ip is not on the LAN"
        return 1
        ;;
    esac
    assert_eq "$router" "$GW_LAN_IP" "router option"
    assert_eq "$dns" "$GW_LAN_IP" "DNS server option"
    assert_eq "$serverid" "$GW_LAN_IP" "server identifier"
    assert_eq "$domain" "lan" "domain option"
    assert_eq "$lease" "3600" "lease time"
    ip -n "$NS_LAN" route show default | grep -q "via $GW_LAN_IP"
}

browse() {
    local body
    body="$(ip netns exec "$NS_LAN" timeout 15 curl -sS --fail "http://$INET_IP/hello.txt")"
    assert_eq "$body" "hello from the internet" "body fetched through masq"
}

# ask ARGS...: dig at the gateway from the LAN host, +short.
ask() {
    ip netns exec "$NS_LAN" timeout 15 dig @"$GW_LAN_IP" +time=3 +tries=1 "$@"
}

dig_udp() {
    local a
    a="$(ask +notcp +short www.example.test A)"
    assert_eq "$a" "$INET_IP" "A over UDP"
}

dig_tcp() {
    local a
    a="$(ask +tcp +short www2.example.test A)"
    assert_eq "$a" "$INET_IP" "A over TCP"
}

dig_truncated() {
    local out n
    # Without EDNS a UDP answer may carry 512 bytes: the gateway must say TC.
    out="$(ask +notcp +noedns +ignore big.example.test TXT)"
    echo "$out" | grep -E '^;; flags:' | tee /dev/stderr | grep -qw tc
    # dig itself then retries over TCP and must get all twelve records.
    out="$(ask +noedns +noall +answer big.example.test TXT)"
    echo "$out"
    n="$(echo "$out" | grep -c 'IN[[:space:]]*TXT')"
    assert_eq "$n" 12 "TXT records after the TCP retry"
    masq_json status | python3 -c 'import json,sys; c=json.load(sys.stdin)["lan_services"]["dns_counters"]; print(c); sys.exit(0 if c["tcp_fallbacks"] >= 1 else 1)'
}

lan_names() {
    . "$WORK/lease.env"
    local a p
    a="$(ask +short "$HOST.lan" A)"
    assert_eq "$a" "$ip" "$HOST.lan"
    p="$(ask +short -x "$ip")"
    assert_eq "$p" "$HOST.lan." "reverse name of $ip"
    a="$(ask +short gateway.lan A)"
    assert_eq "$a" "$GW_LAN_IP" "gateway.lan"
}

clients_json() {
    . "$WORK/lease.env"
    local mac
    mac="$(ip -n "$NS_LAN" -o link show lan0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)"
    masq_json clients | tee "$WORK/clients.json"
    python3 - "$WORK/clients.json" "$ip" "$mac" "$HOST" <<'PY'
import json, sys
clients = json.load(open(sys.argv[1]))
ip, mac, host = sys.argv[2:5]
match = [c for c in clients if c["ip"] == ip]
assert match, f"no client {ip} in {clients}"
c = match[0]
assert c["mac"] == mac, c
assert c["hostname"] == host, c
assert c["assigned"] == "dhcp", c
assert c["lease_expires_in_s"] > 3000, c
assert c["bytes_in"] > 0 or c["flows"] >= 0, c
print("client listed:", c)
PY
}

restart_keeps_leases() {
    grep -q "\"$HOST\"" "$WORK/leases.json"
    . "$WORK/lease.env"
    local a
    a="$(ask +short "$HOST.lan" A)"
    assert_eq "$a" "$ip" "$HOST.lan after restart"
    # A renewing client keeps its address.
    ip netns exec "$NS_LAN" env UDHCPC_OUT="$WORK/lease2.env" timeout 20 \
        busybox udhcpc -i lan0 -f -q -n -t 5 -T 1 -r "$ip" -x "hostname:$HOST" -s "$TOOLS/udhcpc.script"
    grep -q "^ip=$ip\$" "$WORK/lease2.env"
}

e2e_setup
check start-servers start_servers
e2e_masq_up
check dhcp-lease dhcp_lease
check browse-after-dhcp browse
check dns-udp dig_udp
check dns-tcp dig_tcp
check dns-truncated-tcp-fallback dig_truncated
check dns-lan-names lan_names
check clients-json clients_json
masq_stop TERM
e2e_masq_up
check leases-survive-restart restart_keeps_leases
