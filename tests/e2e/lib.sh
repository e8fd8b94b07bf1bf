# Shared bench for masq's end-to-end tests: the five-namespace topology, process bookkeeping,
# readiness polling and check reporting. Each topic script sources this file, calls
# `e2e_setup` (topology + servers it asks for) and `masq_start`, then runs `check NAME FUNC`.
#
# Topology (namespace names carry the prefix "mq<pid>-" of the topic script, so runs and
# leftovers never collide; interface names live inside those namespaces and need no prefix):
#
#   [lan]  lan0 192.168.137.10/24, default via 192.168.137.1
#   [gw]   gw-lan 192.168.137.1/24   gw-up 198.51.100.2/24, default via 198.51.100.1  (masq)
#   [r1]   r1-a 198.51.100.1/24      r1-b 100.64.0.1/30   (forwarding; 203.0.113.0/24 via r2)
#   [r2]   r2-a 100.64.0.2/30        r2-b 203.0.113.1/24  (forwarding; 198.51.100.0/24 via r1)
#   [inet] inet0 203.0.113.10/24, default via 203.0.113.1 (servers)
#
# Nothing outside the gateway routes 192.168.137.0/24: only masquerading makes the LAN reach
# the servers. All traffic stays inside these namespaces.
#
# Invariants the cleanup relies on: every background process is started with `bg_start`
# (its own session, so its PID is also its process group id) and is stopped by that id; the
# EXIT trap stops masq, every recorded process group, anything still inside our namespaces,
# and deletes the namespaces, whatever way the script ends.

set -euo pipefail

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$E2E_DIR/../.." && pwd)"
TOOLS="$E2E_DIR/tools"
MASQ="${MASQ:-$REPO_ROOT/target/debug/masq}"
TOPIC="$(basename "$0" .sh)"
RESULTS="${E2E_RESULTS:-/dev/null}"
LOG_DIR="${E2E_LOG_DIR:-/tmp}/$TOPIC"
PREFIX="mq$$"
NS_LAN="$PREFIX-lan"
NS_GW="$PREFIX-gw"
NS_R1="$PREFIX-r1"
NS_R2="$PREFIX-r2"
NS_INET="$PREFIX-inet"
ALL_NS=("$NS_LAN" "$NS_GW" "$NS_R1" "$NS_R2" "$NS_INET")

LAN_IP=192.168.137.10
GW_LAN_IP=192.168.137.1
GW_UP_IP=198.51.100.2
R1_IP=198.51.100.1
R2_IP=100.64.0.2
INET_IP=203.0.113.10
TUN=masq0

WORK="$(mktemp -d "/tmp/$PREFIX-e2e.XXXXXX")"
SOCK="$WORK/control.sock"
STATE="$WORK/state.json"
MASQ_PID=""
CHECK_PID=""
# PIDs of background processes, one per line: a file, because checks run in subshells.
PID_FILE="$WORK/pids"
# Deleted on exit whether or not they were created (topology_up may run in a subshell, or not
# at all); the names are unique to this script, so deleting one that does not exist is harmless.
CREATED_NS=("${ALL_NS[@]}")
mkdir -p "$LOG_DIR"
# The runner checks afterwards that no namespace with this prefix survived.
echo "$PREFIX" >>"$LOG_DIR/prefixes"

# --- reporting ---------------------------------------------------------------------------

# Appends one result line to the runner's results file and prints it.
record() {
    local verdict="$1" name="$2"
    printf '%s %s/%s\n' "$verdict" "$TOPIC" "$name" | tee -a "$RESULTS"
}

# Prints to the topic log (stdout of the topic script is the runner's console).
note() {
    printf '[%s] %s\n' "$TOPIC" "$*" >>"$LOG_DIR/topic.log"
}

# Runs FUNC (a shell function or command) as one named check with its output in
# $LOG_DIR/NAME.log; prints PASS/FAIL and, on failure, the end of that log.
# The body runs in a subshell with errexit on, so any failing command fails the check.
check() {
    local name="$1"
    shift
    local log="$LOG_DIR/$name.log" rc
    # In the background plus `wait`, so a SIGTERM from the runner's time limit runs the trap
    # at once instead of after the current client command.
    set +e
    (
        set -e
        "$@"
    ) >"$log" 2>&1 &
    CHECK_PID=$!
    wait "$CHECK_PID"
    rc=$?
    CHECK_PID=""
    set -e
    if [ "$rc" -eq 0 ]; then
        record PASS "$name"
    else
        record FAIL "$name"
        echo "    --- last lines of $log (exit $rc) ---"
        tail -n 25 "$log" | sed 's/^/    /'
    fi
    return 0
}

# Records a check that could not run, with the reason.
skip() {
    local name="$1"
    shift
    record SKIP "$name"
    echo "    ($*)"
}

# Fails (returns 1) with a message when $1 != $2.
assert_eq() {
    if [ "$1" != "$2" ]; then
        echo "assertion failed: ${3:-values differ}: got '$1', want '$2'"
        return 1
    fi
}

# --- processes ---------------------------------------------------------------------------

# bg_start NAME NS CMD...: runs CMD inside namespace NS in the background, in its own
# session, output to $LOG_DIR/NAME.out; sets BG_PID and records it in PID_FILE for cleanup.
bg_start() {
    local name="$1" ns="$2"
    shift 2
    # Without job control the background child is no group leader, so setsid execs in place
    # and $! is the command's own PID and process group id.
    # Bash makes background commands ignore SIGINT; env restores the default disposition.
    setsid env --default-signal=INT,QUIT ip netns exec "$ns" "$@" \
        >"$LOG_DIR/$name.out" 2>&1 </dev/null &
    BG_PID=$!
    echo "$BG_PID" >>"$PID_FILE"
    note "started $name pid $BG_PID in $ns: $*"
}

# Stops the process group PID: SIGTERM, then SIGKILL after 5 s.
stop_group() {
    local pid="$1" i
    kill -TERM -- "-$pid" 2>/dev/null || return 0
    for i in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# True while PID exists and is not a zombie.
alive() {
    local pid="$1" st
    st="$(ps -o stat= -p "$pid" 2>/dev/null)" || return 1
    [ -n "$st" ] && [ "${st:0:1}" != Z ]
}

# --- readiness ---------------------------------------------------------------------------

# wait_for SECONDS WHAT CMD...: polls CMD every 0.1 s until it succeeds, or fails after
# SECONDS with a message naming WHAT.
wait_for() {
    local secs="$1" what="$2"
    shift 2
    local deadline=$((SECONDS + secs))
    until "$@" >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "timed out after ${secs}s waiting for $what"
            return 1
        fi
        sleep 0.1
    done
}

# True when something in NS listens on TCP IP:PORT.
tcp_listening() {
    ip netns exec "$1" ss -Htln "src $2 and sport = :$3" | grep -q .
}

# True when something in NS has UDP IP:PORT bound.
udp_bound() {
    ip netns exec "$1" ss -Huan "src $2 and sport = :$3" | grep -q .
}

# --- topology ----------------------------------------------------------------------------

# Builds the five namespaces and their links; see the header.
topology_up() {
    local ns
    for ns in "${ALL_NS[@]}"; do
        ip netns add "$ns"
        ip -n "$ns" link set lo up
        # The bench is IPv4 only; IPv6 link-local chatter would only add noise (and make the
        # gateway snapshots race with address autoconfiguration).
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
        # Unprivileged ICMP echo sockets (used by masq and ping) need this inside a namespace.
        ip netns exec "$ns" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
    done
    ip -n "$NS_LAN" link add lan0 type veth peer name gw-lan netns "$NS_GW"
    ip -n "$NS_GW" link add gw-up type veth peer name r1-a netns "$NS_R1"
    ip -n "$NS_R1" link add r1-b type veth peer name r2-a netns "$NS_R2"
    ip -n "$NS_R2" link add r2-b type veth peer name inet0 netns "$NS_INET"

    ip -n "$NS_LAN" addr add "$LAN_IP/24" dev lan0
    ip -n "$NS_GW" addr add "$GW_LAN_IP/24" dev gw-lan
    ip -n "$NS_GW" addr add "$GW_UP_IP/24" dev gw-up
    ip -n "$NS_R1" addr add "$R1_IP/24" dev r1-a
    ip -n "$NS_R1" addr add 100.64.0.1/30 dev r1-b
    ip -n "$NS_R2" addr add "$R2_IP/30" dev r2-a
    ip -n "$NS_R2" addr add 203.0.113.1/24 dev r2-b
    ip -n "$NS_INET" addr add "$INET_IP/24" dev inet0
    local pair
    for pair in "$NS_LAN lan0" "$NS_GW gw-lan" "$NS_GW gw-up" "$NS_R1 r1-a" "$NS_R1 r1-b" \
        "$NS_R2 r2-a" "$NS_R2 r2-b" "$NS_INET inet0"; do
        set -- $pair
        ip -n "$1" link set "$2" up
    done
    ip -n "$NS_LAN" route add default via "$GW_LAN_IP"
    ip -n "$NS_GW" route add default via "$R1_IP"
    ip -n "$NS_R1" route add 203.0.113.0/24 via "$R2_IP"
    ip -n "$NS_R2" route add 198.51.100.0/24 via 100.64.0.1
    ip -n "$NS_INET" route add default via 203.0.113.1
    ip netns exec "$NS_R1" sysctl -qw net.ipv4.ip_forward=1
    ip netns exec "$NS_R2" sysctl -qw net.ipv4.ip_forward=1
    # traceroute sends several probes per hop in quick succession, three traceroutes in a row;
    # the kernel's default ICMP error limit (a burst of 6, then 1/s per peer) would drop some
    # of the routers' answers (and the destination's port unreachable) and make hops flaky.
    for ns in "$NS_GW" "$NS_R1" "$NS_R2" "$NS_INET"; do
        ip netns exec "$ns" sysctl -qw net.ipv4.icmp_ratelimit=0
    done
    note "topology up: ${ALL_NS[*]}"
}

# lan_listener TCP_PORT UDP_PORT: starts tools/listener.py on the hidden host, logging every
# arrival ("TCP FROM ip:port", "UDP FROM ip:port") to $LOG_DIR/arrivals.log, and waits for it.
lan_listener() {
    : >"$LOG_DIR/arrivals.log"
    bg_start listener "$NS_LAN" python3 "$TOOLS/listener.py" --tcp-port "$1" \
        --udp-port "$2" --log "$LOG_DIR/arrivals.log"
    wait_for 10 "listener on tcp $1" tcp_listening "$NS_LAN" 0.0.0.0 "$1"
    wait_for 10 "listener on udp $2" udp_bound "$NS_LAN" 0.0.0.0 "$2"
}

# Adds routes toward 192.168.137.0/24 via the gateway in inet, r2 and r1 (inbound test only).
routes_to_lan_via_gateway() {
    ip -n "$NS_INET" route add 192.168.137.0/24 via 203.0.113.1
    ip -n "$NS_R2" route add 192.168.137.0/24 via 100.64.0.1
    ip -n "$NS_R1" route add 192.168.137.0/24 via "$GW_UP_IP"
}

# --- masq --------------------------------------------------------------------------------

# True when masq answers `status --json` with "running": true.
masq_running() {
    "$MASQ" status --json --control "$SOCK" 2>/dev/null |
        python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin).get("running") is True else 1)' 2>/dev/null
}

# Starts `masq up` in the gw namespace and waits until it reports running.
masq_start() {
    if [ ! -x "$MASQ" ]; then
        echo "masq binary not found at $MASQ (build it with: cargo build -p masq)"
        return 1
    fi
    # Built-in defaults, whatever /etc/masq/masq.toml says, except that DHCP leases stay in
    # this run's work directory; a topic may write its own config file first.
    [ -e "$WORK/masq.toml" ] ||
        printf '[dhcp]\nlease_file = "%s"\n' "$WORK/leases.json" >"$WORK/masq.toml"
    setsid env --default-signal=INT,QUIT ip netns exec "$NS_GW" "$MASQ" up --uplink gw-up --lan gw-lan \
        --lan-addr "$GW_LAN_IP/24" --tun "$TUN" --control "$SOCK" --state-file "$STATE" \
        --config "$WORK/masq.toml" --observe-inbound "$@" >>"$LOG_DIR/masq.log" 2>&1 </dev/null &
    MASQ_PID=$!
    note "started masq pid $MASQ_PID"
    local deadline=$((SECONDS + 20))
    until masq_running; do
        if ! alive "$MASQ_PID"; then
            echo "masq exited before it was ready; its log:"
            tail -n 30 "$LOG_DIR/masq.log"
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "masq did not report running within 20s; its log:"
            tail -n 30 "$LOG_DIR/masq.log"
            return 1
        fi
        sleep 0.1
    done
}

# masq_stop SIGNAL [SECONDS]: signals masq and waits for it to exit; sets MASQ_RC to its exit
# status, or to "timeout" (and fails) if it is still running after SECONDS (default 10).
# Must run in the main shell (not inside `check`): only the parent can collect the status.
masq_stop() {
    local sig="$1" secs="${2:-10}"
    MASQ_RC="timeout"
    [ -n "$MASQ_PID" ] || return 0
    kill "-$sig" "$MASQ_PID" 2>/dev/null || true
    local deadline=$((SECONDS + secs))
    while alive "$MASQ_PID"; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "masq (pid $MASQ_PID) still running ${secs}s after SIG$sig"
            return 1
        fi
        sleep 0.1
    done
    set +e
    { wait "$MASQ_PID"; } 2>/dev/null
    MASQ_RC=$?
    set -e
    MASQ_PID=""
}

# Kills masq with SIGKILL (from the main shell, which reaps it quietly).
masq_kill() {
    [ -n "$MASQ_PID" ] || return 0
    kill -KILL "$MASQ_PID" 2>/dev/null || true
    wait "$MASQ_PID" 2>/dev/null || true
    MASQ_PID=""
}

# Runs a masq query subcommand (status, translations, inbound) as JSON.
masq_json() {
    timeout 10 "$MASQ" "$1" --json --control "$SOCK"
}

# --- cleanup -----------------------------------------------------------------------------

# Stops everything this script started and deletes its namespaces. Runs on every exit.
e2e_cleanup() {
    set +e
    # A check cut short by a signal: stop its shell (its clients inside our namespaces are
    # stopped below with everything else there).
    [ -n "$CHECK_PID" ] && kill -TERM "$CHECK_PID" 2>/dev/null
    if [ -n "$MASQ_PID" ] && alive "$MASQ_PID"; then
        kill -TERM "$MASQ_PID" 2>/dev/null
        local i
        for i in $(seq 100); do
            alive "$MASQ_PID" || break
            sleep 0.1
        done
        if alive "$MASQ_PID"; then
            kill -KILL "$MASQ_PID" 2>/dev/null
            wait "$MASQ_PID" 2>/dev/null
            ip netns exec "$NS_GW" "$MASQ" down --state-file "$STATE" >>"$LOG_DIR/masq.log" 2>&1
        fi
        wait "$MASQ_PID" 2>/dev/null
    fi
    local pid
    for pid in $(cat "$PID_FILE" 2>/dev/null); do
        stop_group "$pid"
    done
    local ns stray
    for ns in "${CREATED_NS[@]}"; do
        # Anything left inside our own namespace was started by this script (e.g. a child
        # that left its process group); stop it by its PID.
        for stray in $(ip netns pids "$ns" 2>/dev/null); do
            echo "[$TOPIC] stopping stray process $stray in $ns" >&2
            kill -KILL "$stray" 2>/dev/null
        done
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "$WORK"
}

trap e2e_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Fails the whole topic early (as one FAIL) when the bench cannot be built.
e2e_setup() {
    local name="setup" log="$LOG_DIR/setup.log"
    set +e
    (
        set -e
        command -v ip python3 >/dev/null
        topology_up
    ) >"$log" 2>&1
    local rc=$?
    set -e
    if [ "$rc" -ne 0 ]; then
        record FAIL "$name"
        tail -n 25 "$log" | sed 's/^/    /'
        exit 1
    fi
}

# Starts masq as a setup step (counted as one FAIL and ending the topic if it cannot start).
e2e_masq_up() {
    local log="$LOG_DIR/masq-start.log"
    set +e
    masq_start "$@" >"$log" 2>&1
    local rc=$?
    set -e
    if [ "$rc" -ne 0 ]; then
        record FAIL "masq-start"
        tail -n 30 "$log" | sed 's/^/    /'
        exit 1
    fi
}

# --- gateway state snapshots (lifecycle tests) -------------------------------------------

# Prints everything masq may change in the gateway namespace, in a stable order: policy
# rules, all routing tables, links, addresses, forwarding/rp_filter sysctls, nftables.
gw_snapshot() {
    echo "## rules"
    ip -n "$NS_GW" rule show
    echo "## routes"
    ip -n "$NS_GW" route show table all | sort
    echo "## links"
    ip -n "$NS_GW" -o link show | awk '{print $2}' | sort
    echo "## addresses"
    ip -n "$NS_GW" -o addr show | awk '{print $2, $3, $4}' | sort
    echo "## sysctls"
    ip netns exec "$NS_GW" sysctl -a 2>/dev/null |
        grep -E '^net\.ipv[46]\.(ip_forward|conf\.[^.]+\.(forwarding|rp_filter|accept_local|route_localnet|proxy_arp|send_redirects))' | sort
    echo "## nftables"
    ip netns exec "$NS_GW" nft list ruleset
}

# The routing table masq steers the LAN with: the table of the `ip rule` that exists now and
# did not in the snapshot file $1.
masq_rule_table() {
    { diff <(sed -n '/^## rules/,/^## routes/p' "$1") <(ip -n "$NS_GW" rule show) || true; } |
        sed -n 's/^> .* lookup \([^ ]*\).*/\1/p' | head -n 1
}

# Compares the gateway namespace with snapshot file $1; prints the difference.
gw_same_as() {
    gw_snapshot >"$WORK/now.snap"
    if ! diff -u "$1" "$WORK/now.snap"; then
        echo "the gateway namespace differs from before masq started (see diff above)"
        return 1
    fi
    echo "gateway namespace is exactly as before masq started"
}
