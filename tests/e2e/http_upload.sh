#!/usr/bin/env bash
# Bulk TCP upload through masq: the hidden host PUTs 20 MiB of random data; the server
# computes the SHA-256 of what arrived and the test compares it with what was sent.
. "$(dirname "$0")/lib.sh"

SIZE_MIB=20

start_http() {
    mkdir -p "$WORK/www"
    bg_start httpd "$NS_INET" python3 "$TOOLS/httpd.py" --bind "$INET_IP" --port 80 \
        --dir "$WORK/www" --log "$LOG_DIR/access.log"
    wait_for 10 "http server on $INET_IP:80" tcp_listening "$NS_INET" "$INET_IP" 80
}

upload() {
    head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom >"$WORK/up.bin"
    local want answer
    want="$(sha256sum "$WORK/up.bin" | cut -d' ' -f1)"
    answer="$(ip netns exec "$NS_LAN" timeout 90 curl -sS --fail -T "$WORK/up.bin" \
        "http://$INET_IP/up.bin")"
    echo "server answered: $answer"
    assert_eq "$answer" "$want $((SIZE_MIB * 1024 * 1024))" "server-side SHA-256 and length"
    # The server's copy on disk must match too.
    assert_eq "$(sha256sum "$WORK/www/uploads/up.bin" | cut -d' ' -f1)" "$want" "stored file"
}

e2e_setup
check start-http-server start_http
e2e_masq_up
check upload-20MiB-sha256 upload
