#!/usr/bin/env bash
# UDP request/response through masq: a socat echo server in the internet namespace, and
# `nc -u` on the hidden host must get its own text back (through the adapter's offload).
. "$(dirname "$0")/lib.sh"

start_echo() {
    bg_start socat "$NS_INET" socat "UDP4-RECVFROM:7007,bind=$INET_IP,fork" PIPE
    wait_for 10 "socat on udp $INET_IP:7007" udp_bound "$NS_INET" "$INET_IP" 7007
}

udp_echo() {
    local text="masq e2e udp echo $$" got
    got="$(printf '%s\n' "$text" | ip netns exec "$NS_LAN" timeout 10 nc -u -w 2 "$INET_IP" 7007)" || true
    echo "sent: $text"
    echo "got:  $got"
    assert_eq "$got" "$text" "echoed text"
}

# A 3000-byte datagram: the LAN host's stack sends it in three fragments, which masq must put
# back together before relaying (RFC 4787 REQ-14); the echo comes back fragmented by masq.
udp_echo_fragmented() {
    ip netns exec "$NS_LAN" timeout 20 python3 - "$INET_IP" <<'PY'
import socket, sys
data = bytes(i % 251 for i in range(3000))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
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
}

# RFC 4787 REQ-13, on a path of 1400 bytes beyond the gateway (a route MTU in the gateway's
# namespace, taken away afterwards): a 1472-byte datagram the host lets be fragmented still
# comes back echoed, and one it sends with DF must not be fragmented by masq; the host gets
# Fragmentation Needed instead and its kernel learns the path's MTU.
udp_dont_fragment() {
    ip -n "$NS_GW" route replace "$INET_IP/32" via "$R1_IP" dev gw-up mtu lock 1400
    local rc=0
    ip netns exec "$NS_LAN" timeout 30 python3 - "$INET_IP" <<'PY' || rc=$?
import errno, socket, sys
IP_MTU_DISCOVER, IP_PMTUDISC_DONT, IP_PMTUDISC_DO, IP_MTU = 10, 0, 2, 14
dst = (sys.argv[1], 7007)
data = bytes(i % 253 for i in range(1472))

def sock(mode):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, mode)
    s.settimeout(2)
    s.connect(dst)
    return s

may_split = sock(IP_PMTUDISC_DONT)
for attempt in range(3):
    may_split.send(data)
    try:
        got = may_split.recv(65535)
    except socket.timeout:
        continue
    print("without DF: sent", len(data), "got", len(got))
    if got != data:
        sys.exit(1)
    break
else:
    print("without DF: no echo")
    sys.exit(1)

# The host's stack reports Fragmentation Needed on a connected socket as EMSGSIZE, from the
# read that waits for the echo or from the next send, and lowers the path's MTU.
whole = sock(IP_PMTUDISC_DO)
for attempt in range(5):
    try:
        whole.send(data)
        whole.recv(65535)
        print("with DF: the echo came back, so the datagram crossed the 1400-byte path in pieces")
        sys.exit(1)
    except socket.timeout:
        print("with DF: no echo, attempt", attempt + 1)
    except OSError as e:
        if e.errno != errno.EMSGSIZE:
            raise
        mtu = whole.getsockopt(socket.IPPROTO_IP, IP_MTU)
        print("with DF: the host learnt path MTU", mtu)
        sys.exit(0 if mtu == 1400 else 1)
print("with DF: the host never heard Fragmentation Needed")
sys.exit(1)
PY
    ip -n "$NS_GW" route del "$INET_IP/32"
    return "$rc"
}

# RFC 5508 REQ-5: a server answers a hidden host that has closed its port; the host's kernel
# says port unreachable, and masq must carry that out to the server as if it were not there
# (the quote rewritten to the gateway's address and port), so the server's connected socket
# fails with ECONNREFUSED instead of sending into a void until it times out.
udp_port_unreachable_reaches_the_server() {
    local result="$WORK/unreachable.txt" pid rc=0
    ip netns exec "$NS_INET" timeout 20 python3 - "$INET_IP" >"$result" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 7008))
s.settimeout(10)
_, peer = s.recvfrom(100)
print("hidden host seen as", peer)
s.connect(peer)
time.sleep(0.5)
for attempt in range(5):
    s.send(b"anyone there?")
    try:
        s.settimeout(1)
        s.recv(100)
        print("an answer from a closed port")
        sys.exit(1)
    except ConnectionRefusedError:
        print("refused after", attempt + 1, "datagram(s)")
        sys.exit(0)
    except socket.timeout:
        print("no error, attempt", attempt + 1)
sys.exit(1)
PY
    pid=$!
    wait_for 10 "python on udp $INET_IP:7008" udp_bound "$NS_INET" "$INET_IP" 7008
    ip netns exec "$NS_LAN" timeout 5 python3 - "$INET_IP" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"hello", (sys.argv[1], 7008))
s.close()
PY
    wait "$pid" || rc=$?
    cat "$result"
    return "$rc"
}

# By default the adapter cuts TCP super-segments, and from Linux 6.2 on UDP super-datagrams
# too (offload_off.sh covers the path without).
offload_on() {
    local want="tcp=true udp=true" major minor
    IFS=. read -r major minor _ <<<"$(uname -r)"
    if [ "$major" -lt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -lt 2 ]; }; then
        want="tcp=true udp=false"
    fi
    grep -F "adapter segmentation offload" "$LOG_DIR/masq.log"
    grep -Fq "adapter segmentation offload $want" "$LOG_DIR/masq.log"
}

e2e_setup
check start-udp-echo-server start_echo
e2e_masq_up
check adapter-offload-on offload_on
check udp-echo-nc udp_echo
check udp-echo-fragmented-3000-bytes udp_echo_fragmented
check udp-dont-fragment-gets-fragmentation-needed udp_dont_fragment
check udp-port-unreachable-reaches-the-server udp_port_unreachable_reaches_the_server
