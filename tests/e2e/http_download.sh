#!/usr/bin/env bash
# Bulk TCP download through masq: a 50 MiB random file over HTTP, compared by SHA-256, first
# on a clean path and then with 5 % random loss in both directions on the LAN link.
. "$(dirname "$0")/lib.sh"

SIZE_MIB=50

prepare_file() {
    mkdir -p "$WORK/www"
    head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom >"$WORK/www/big.bin"
    sha256sum "$WORK/www/big.bin" | cut -d' ' -f1 >"$WORK/big.sha256"
}

start_http() {
    bg_start httpd "$NS_INET" python3 "$TOOLS/httpd.py" --bind "$INET_IP" --port 80 \
        --dir "$WORK/www" --log "$LOG_DIR/access.log"
    wait_for 10 "http server on $INET_IP:80" tcp_listening "$NS_INET" "$INET_IP" 80
}

# download OUT SECONDS: fetches big.bin from the hidden host and compares its digest.
download() {
    local out="$1" secs="$2" start=$SECONDS rc=0
    ip netns exec "$NS_LAN" timeout "$secs" curl -sS --fail -o "$out" \
        -w 'http %{http_code}, %{size_download} bytes in %{time_total} s (%{speed_download} B/s)\n' \
        "http://$INET_IP/big.bin" || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "curl failed (exit $rc; 124 = time limit) after $((SECONDS - start)) s with" \
            "$(stat -c %s "$out" 2>/dev/null || echo 0) of $((SIZE_MIB * 1024 * 1024)) bytes"
        return 1
    fi
    local got want
    got="$(sha256sum "$out" | cut -d' ' -f1)"
    want="$(cat "$WORK/big.sha256")"
    rm -f "$out"
    assert_eq "$got" "$want" "SHA-256 of the downloaded file"
    echo "sha256 matches: $got"
}

plain_download() {
    download "$WORK/plain.bin" 90
}

# 5 % loss each way on lan0, with offloads off on both ends of the link so the loss hits
# MTU-sized packets rather than 64 KiB super-packets.
add_loss() {
    ip netns exec "$NS_LAN" ethtool -K lan0 tso off gso off gro off
    ip netns exec "$NS_GW" ethtool -K gw-lan tso off gso off gro off
    ip netns exec "$NS_LAN" nft -f - <<'NFT'
table inet e2e_loss {
    chain in {
        type filter hook input priority 0; policy accept;
        iifname "lan0" numgen random mod 100 < 5 counter drop
    }
    chain out {
        type filter hook output priority 0; policy accept;
        oifname "lan0" numgen random mod 100 < 5 counter drop
    }
}
NFT
    ip netns exec "$NS_LAN" nft list table inet e2e_loss
}

lossy_download() {
    download "$WORK/lossy.bin" 150
    # Proof that the loss really happened in both directions: the drop rules' counters.
    local chain dropped
    for chain in in out; do
        dropped="$(ip netns exec "$NS_LAN" nft list chain inet e2e_loss "$chain" |
            sed -n 's/.*counter packets \([0-9]*\).*/\1/p')"
        echo "dropped on the way $chain: ${dropped:-?} packets"
        [ "${dropped:-0}" -gt 0 ]
    done
}

e2e_setup
check prepare-50MiB-file prepare_file
check start-http-server start_http
e2e_masq_up
check download-50MiB-sha256 plain_download
check add-5pct-loss add_loss
check download-50MiB-5pct-loss-sha256 lossy_download
