#!/usr/bin/env bash
# Per-client limits: a hidden host with `[[engine.client_limits]]` rates downloads and uploads
# at that rate (measured by curl), its data arrives intact, and `masq clients --json` shows
# the limits. Changed through the control API while sharing runs (as the desktop app's
# Clients screen does), a new limit applies to the next download at once, and a lifted one
# lets it run at full speed.
. "$(dirname "$0")/lib.sh"

DOWN=1000000   # bytes per second
UP=500000

start_http() {
    mkdir -p "$WORK/www"
    head -c 4000000 /dev/urandom >"$WORK/www/4mb.bin"
    bg_start httpd "$NS_INET" python3 "$TOOLS/httpd.py" --bind "$INET_IP" --port 80 \
        --dir "$WORK/www" --log "$LOG_DIR/access.log"
    wait_for 10 "http server on $INET_IP:80" tcp_listening "$NS_INET" "$INET_IP" 80
    printf '[dhcp]\nlease_file = "%s"\n[[engine.client_limits]]\nip = "%s"\ndown_bytes_per_s = %d\nup_bytes_per_s = %d\n' \
        "$WORK/leases.json" "$LAN_IP" "$DOWN" "$UP" >"$WORK/masq.toml"
}

# within RATE MEASURED: the measured bytes/s is at most 1.3 x and at least 0.5 x the limit.
within() {
    python3 -c 'import sys; r, m = float(sys.argv[1]), float(sys.argv[2]); print("measured %.0f B/s for a limit of %.0f" % (m, r)); sys.exit(0 if 0.5 * r <= m <= 1.3 * r else 1)' "$1" "$2"
}

download_at_rate() {
    local speed
    speed="$(ip netns exec "$NS_LAN" timeout 30 curl -sS --fail -o "$WORK/got.bin" \
        -w '%{speed_download}' "http://$INET_IP/4mb.bin")"
    cmp "$WORK/got.bin" "$WORK/www/4mb.bin"
    within "$DOWN" "$speed"
}

upload_at_rate() {
    head -c 2000000 /dev/urandom >"$WORK/up.bin"
    local speed
    speed="$(ip netns exec "$NS_LAN" timeout 30 curl -sS --fail -o /dev/null -T "$WORK/up.bin" \
        -w '%{speed_upload}' "http://$INET_IP/up.bin")"
    cmp "$WORK/up.bin" "$WORK/www/uploads/up.bin"
    within "$UP" "$speed"
}

clients_show_limits() {
    masq_json clients | python3 "$TOOLS/json_match.py" ip="$LAN_IP" \
        down_limit_bytes_per_s="$DOWN" up_limit_bytes_per_s="$UP"
}

# A new rate through set_settings, while sharing runs, holds the next download to it.
limit_changed_live() {
    python3 "$TOOLS/control.py" "$SOCK" set \
        "engine.client_limits=[{\"ip\": \"$LAN_IP\", \"down_bytes_per_s\": $((DOWN * 2))}]" >/dev/null
    masq_json clients | python3 "$TOOLS/json_match.py" ip="$LAN_IP" \
        down_limit_bytes_per_s="$((DOWN * 2))"
    local speed
    speed="$(ip netns exec "$NS_LAN" timeout 30 curl -sS --fail -o "$WORK/got2.bin" \
        -w '%{speed_download}' "http://$INET_IP/4mb.bin")"
    cmp "$WORK/got2.bin" "$WORK/www/4mb.bin"
    within "$((DOWN * 2))" "$speed"
}

# Lifted: the next download is far faster than any of the limits were.
limit_lifted_live() {
    python3 "$TOOLS/control.py" "$SOCK" set 'engine.client_limits=[]' >/dev/null
    local speed
    speed="$(ip netns exec "$NS_LAN" timeout 30 curl -sS --fail -o "$WORK/got3.bin" \
        -w '%{speed_download}' "http://$INET_IP/4mb.bin")"
    cmp "$WORK/got3.bin" "$WORK/www/4mb.bin"
    python3 -c 'import sys; m = float(sys.argv[1]); print("measured %.0f B/s without a limit" % m); sys.exit(0 if m > 6 * float(sys.argv[2]) else 1)' "$speed" "$DOWN"
}

e2e_setup
check start-http-server start_http
e2e_masq_up
check download-at-the-limit download_at_rate
check upload-at-the-limit upload_at_rate
check clients-show-limits clients_show_limits
check limit-changed-while-sharing limit_changed_live
check limit-lifted-while-sharing limit_lifted_live
