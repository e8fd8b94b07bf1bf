#!/usr/bin/env bash
# `masq doctor` in the gateway namespace: a sound setup passes, a LAN prefix that overlaps the
# uplink's network is named as an error with a fix, and a running daemon is seen sharing.
# `masq logs` shows what that daemon logged, through the control API.
. "$(dirname "$0")/lib.sh"

# doctor_json CONFIG: masq doctor's JSON for CONFIG, against this topic's daemon socket.
doctor_json() {
    ip netns exec "$NS_GW" "$MASQ" doctor --json --config "$1" --control "$SOCK" \
        --state-file "$STATE" || true
}

sound_setup_passes() {
    printf 'uplink = "gw-up"\nlan = "gw-lan"\nlan_addr = "%s/24"\n' "$GW_LAN_IP" >"$WORK/good.toml"
    doctor_json "$WORK/good.toml" | tee "$WORK/good.json" | python3 -c '
import json, sys
r = json.load(sys.stdin)
bad = [f for f in r["findings"] if f["level"] != "ok"]
sys.exit(0 if r["ok"] and not bad else 1)'
}

overlap_is_an_error_with_a_fix() {
    # The uplink gw-up is 198.51.100.2/24: a LAN in the same /24 cannot work.
    printf 'uplink = "gw-up"\nlan = "gw-lan"\nlan_addr = "198.51.100.77/24"\n' >"$WORK/overlap.toml"
    doctor_json "$WORK/overlap.toml" | tee "$WORK/overlap.json" | python3 -c '
import json, sys
r = json.load(sys.stdin)
a = [f for f in r["findings"] if f["check"] == "addresses"]
ok = (not r["ok"]) and a and a[0]["level"] == "error" and "lan_addr" in a[0].get("fix", "")
sys.exit(0 if ok else 1)'
}

sees_the_daemon_sharing() {
    doctor_json "$WORK/good.toml" | python3 -c '
import json, sys
r = json.load(sys.stdin)
d = [f for f in r["findings"] if f["check"] == "daemon"]
sys.exit(0 if d and "sharing" in d[0]["message"] and "off" not in d[0]["message"] else 1)'
}

logs_through_the_api() {
    "$MASQ" logs --control "$SOCK" | tee "$WORK/logs.txt" | grep -F "sharing started"
    "$MASQ" logs --json --level warn --control "$SOCK" | python3 -c '
import json, sys
lines = json.load(sys.stdin)
sys.exit(0 if all(l["level"] in ("error", "warn") for l in lines) else 1)'
}

e2e_setup
check sound-setup-passes sound_setup_passes
check lan-overlapping-the-uplink-is-an-error overlap_is_an_error_with_a_fix
e2e_masq_up
check sees-the-daemon-sharing sees_the_daemon_sharing
check logs-through-the-api logs_through_the_api
