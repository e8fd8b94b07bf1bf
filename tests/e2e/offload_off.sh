#!/usr/bin/env bash
# The same traffic with the adapter's segmentation offload turned off (MASQ_TUN_OFFLOAD=off):
# every packet then crosses the TUN whole, the path a kernel without TSO/USO takes. The rest
# of the suite runs with offload on; the engine's unit tests run both ways too.
. "$(dirname "$0")/lib.sh"

SIZE_MIB=20
export MASQ_TUN_OFFLOAD=off

prepare() {
    mkdir -p "$WORK/www"
    head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom >"$WORK/www/file.bin"
    sha256sum "$WORK/www/file.bin" | cut -d' ' -f1 >"$WORK/file.sha256"
    bg_start httpd "$NS_INET" python3 "$TOOLS/httpd.py" --bind "$INET_IP" --port 80 \
        --dir "$WORK/www" --log "$LOG_DIR/access.log"
    wait_for 10 "http server on $INET_IP:80" tcp_listening "$NS_INET" "$INET_IP" 80
    bg_start socat "$NS_INET" socat "UDP4-RECVFROM:7007,bind=$INET_IP,fork" PIPE
    wait_for 10 "socat on udp $INET_IP:7007" udp_bound "$NS_INET" "$INET_IP" 7007
}

# The adapter was opened without offload, and masq says so.
no_offload() {
    grep -F "adapter segmentation offload" "$LOG_DIR/masq.log"
    grep -Eq "adapter segmentation offload tcp=false udp=false" "$LOG_DIR/masq.log"
    ip netns exec "$NS_GW" ethtool -k "$TUN" | grep -E '^tcp-segmentation-offload: off'
}

download() {
    local out="$WORK/got.bin"
    ip netns exec "$NS_LAN" timeout 60 curl -sS --fail -o "$out" \
        -w 'http %{http_code}, %{size_download} bytes in %{time_total} s\n' "http://$INET_IP/file.bin"
    assert_eq "$(sha256sum "$out" | cut -d' ' -f1)" "$(cat "$WORK/file.sha256")" "SHA-256 of the download"
    rm -f "$out"
}

upload() {
    local n=$((4 * 1024 * 1024)) want answer
    head -c "$n" /dev/urandom >"$WORK/up.bin"
    want="$(sha256sum "$WORK/up.bin" | cut -d' ' -f1)"
    answer="$(ip netns exec "$NS_LAN" timeout 60 curl -sS --fail -T "$WORK/up.bin" \
        "http://$INET_IP/up.bin")"
    assert_eq "$answer" "$want $n" "server-side SHA-256 and length"
}

udp_echo() {
    local text="masq e2e udp without offload $$" got
    got="$(printf '%s\n' "$text" | ip netns exec "$NS_LAN" timeout 10 nc -u -w 2 "$INET_IP" 7007)" || true
    assert_eq "$got" "$text" "echoed text"
}

e2e_setup
check start-servers prepare
e2e_masq_up
check adapter-without-offload no_offload
check download-20MiB-sha256 download
check upload-4MiB-sha256 upload
check udp-echo udp_echo
