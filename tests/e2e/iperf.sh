#!/usr/bin/env bash
# iperf3 through masq: 3 s of TCP and 3 s of UDP at 100 Mbit/s from the hidden host; both must
# complete and report throughput above zero. The numbers are printed into the check logs.
. "$(dirname "$0")/lib.sh"

start_iperf() {
    bg_start iperf3 "$NS_INET" iperf3 -s -B "$INET_IP" -p 5201
    wait_for 10 "iperf3 on $INET_IP:5201" tcp_listening "$NS_INET" "$INET_IP" 5201
}

# summarize JSON-FILE KIND: prints the result and fails unless data arrived.
summarize() {
    python3 - "$1" "$2" <<'PY'
import json, sys
path, kind = sys.argv[1], sys.argv[2]
r = json.load(open(path))
if "error" in r:
    sys.exit("iperf3 error: %s" % r["error"])
end = r["end"]
if kind == "tcp":
    rx = end["sum_received"]["bits_per_second"]
    tx = end["sum_sent"]["bits_per_second"]
    print("TCP: sent %.1f Mbit/s, received %.1f Mbit/s, retransmits %s"
          % (tx / 1e6, rx / 1e6, end["sum_sent"].get("retransmits")))
else:
    s = end["sum"]
    rx = s["bits_per_second"] * (1 - s["lost_percent"] / 100.0)
    print("UDP: offered %.1f Mbit/s, delivered %.1f Mbit/s, lost %.2f %% (%d of %d), jitter %.3f ms"
          % (s["bits_per_second"] / 1e6, rx / 1e6, s["lost_percent"], s["lost_packets"],
             s["packets"], s["jitter_ms"]))
sys.exit(0 if rx > 0 else 1)
PY
}

iperf_tcp() {
    ip netns exec "$NS_LAN" timeout 30 iperf3 -c "$INET_IP" -p 5201 -t 3 -J >"$WORK/tcp.json"
    summarize "$WORK/tcp.json" tcp
}

iperf_udp() {
    ip netns exec "$NS_LAN" timeout 30 iperf3 -c "$INET_IP" -p 5201 -u -b 100M -t 3 -J >"$WORK/udp.json"
    summarize "$WORK/udp.json" udp
}

e2e_setup
check start-iperf3-server start_iperf
e2e_masq_up
check iperf3-tcp-3s iperf_tcp
check iperf3-udp-3s-100M iperf_udp
