#!/usr/bin/env bash
# netns-bench.sh - anchor benchmarks for the "masq" user-space masquerading
# gateway, measured against kernel routing, kernel NAT, pasta and slirp4netns.
#
# Usage (as root):
#   ./netns-bench.sh                 # all modes, RUNS runs, results under $OUTDIR (default ./target/netns-bench/DATE)
#   MODES="route pasta-1500" RUNS=1 ./netns-bench.sh
#   MASQ_BIN=target/release/masq ./netns-bench.sh   # masq mode runs the real `masq up`
#   TESTS="udp rr" MODES="kernel-nat masq" RUNS=1 ./netns-bench.sh   # some test groups only
#   TESTS=loss MODES="kernel-nat masq" ./netns-bench.sh   # TCP under random loss (bench/loss.sh)
#   DOC=docs/performance.md ./netns-bench.sh   # also write the table, date and machine there
#   ./netns-bench.sh cleanup         # remove namespaces/processes left by a killed run
#   ./netns-bench.sh summarize FILE.jsonl...   # re-print the median table
#
# Debian 12 packages: iproute2 nftables iperf3 sockperf apache2-utils nginx-light
#   passt slirp4netns iputils-ping jq procps coreutils python3
#   (netperf is in non-free, so TCP_RR is done with sockperf ping-pong --tcp)
#
# SAFETY: all traffic stays in three namespaces this script creates. Only
# 10.200.1.0/24 (lan side) and 10.200.2.0/24 (uplink) exist; no namespace has a
# default route (pasta/slirp4netns install one in 'lan'; it is replaced by a
# 10.200.2.0/24 route at once) and 'gw' has no route except its two subnets,
# so nothing can leave the machine. Every client is bounded by count and
# 'timeout'. Every process is started by this script and killed by its PID.
#
# Topology (common part, built fresh for every mode):
#
#   [lan] lan0/tap0 10.200.1.x  ==?==  [gw] gw-up 10.200.2.1 ---veth--- inet0 10.200.2.2 [inet]
#                                                              servers: iperf3 -s :5201,
#                                                              sockperf server :11111,
#                                                              nginx :80 (no keep-alive)
#
# How 'lan' is wired to 'gw' per MODE ("==?==" above):
#   route        veth lan0 10.200.1.2 <-> gw-lan 10.200.1.1; gw ip_forward=1;
#                inet has a route back to 10.200.1.0/24 via gw. No NAT:
#                the kernel forwarding limit of this path.
#   kernel-nat   same veth; gw ip_forward=1 + nftables 'masquerade' on oif gw-up;
#                inet has NO route to 10.200.1.0/24 (only NAT makes it work).
#   pasta[-MTU]  no veth. pasta runs in gw (--netns lan) and creates tap0 in lan
#                (10.200.1.2/24, gateway 10.200.1.1 which is virtual, inside pasta).
#                pasta terminates the client's TCP/UDP/ICMP and re-originates
#                them from ordinary sockets in gw, so inet sees 10.200.2.1.
#                gw ip_forward=0; inet has no route back. Default MTU 65520.
#   slirp4netns[-MTU]  same idea with slirp4netns (libslirp) running in gw,
#                --netns-type=path /run/netns/lan, --cidr 10.200.1.0/24 (guest
#                10.200.1.100, virtual gateway 10.200.1.2). Default MTU 65520
#                here (what podman uses); slirp4netns' own default is 1500.
#   masq         veth as in route; the real `masq up` ($MASQ_BIN, default
#                ../target/release/masq) runs inside gw and sets up its own TUN
#                'masq0', policy rule, route table and sysctls, as for users.
#                nft drops any kernel forwarding gw-lan -> gw-up so the only path
#                is through masq. inet has no route back.
# The MTU suffix (e.g. pasta-1500) sets the lan-side MTU; route/kernel-nat/masq
# use LAN_MTU (1500). The gw-up/inet0 uplink always uses UPLINK_MTU (1500).
#
# Figures per mode (one JSON line each, see emit()):
#   ping            ICMP echo lan->inet, PING_N packets: median/p99/avg RTT (us)
#   tcp_up_1/4      iperf3 lan->inet, DUR s, 1 and 4 streams (Gbit/s, retransmits)
#   tcp_down_1/4    iperf3 -R (inet->lan)
#   tcp_rr          sockperf ping-pong --tcp, RR_SIZE bytes, RR_DUR s: p50/p99 RTT us,
#                   transactions/s (netperf TCP_RR equivalent), processes unpinned
#   tcp_rr_pin0     the same with client, server and translator pinned to vCPU 0:
#                   on this VM a cross-vCPU wake-up of an idle vCPU costs ~40-50 us,
#                   so unpinned RR mostly measures wake-up latency, pinned RR the
#                   per-transaction CPU path
#   conn_c1/conn_cN ab -n CONN_N without keep-alive (HTTP/1.0, new TCP connection
#                   per request), concurrency 1 and CONN_C: connections/s
#   udp_up_R/down_R iperf3 -u -l UDP_LEN at offered rate R for UDP_DUR s: received
#                   Mbit/s, loss %, jitter
#   tcp_{down,up}_loss<P>  only with TESTS containing "loss": iperf3 one stream each way
#                   with random loss of P % on the LAN link both ways (nftables
#                   numgen where each way arrives, offloads off on both ends of the veth so loss hits
#                   MTU-sized packets), for every P in LOSS_RATES; each line also has
#                   the sender's loss-recovery counters over the test (rtos,
#                   recoveries = fast recoveries + losses repaired by a probe, probes):
#                   Linux's TcpExt counters for a kernel sender, masq's engine counters
#                   when masq sends (downloads through masq)
# CPU accounting (every test line): own_cpu_s = utime+stime of the client (via
# /usr/bin/time), plus the deltas of every process in the three namespaces
# (servers, translator) and of ksoftirqd/*. The kernel here uses tick accounting
# without IRQ_TIME_ACCOUNTING, so softirq work (veth, forwarding, NAT) is charged
# to whichever task it ran in, i.e. mostly to these. trans_cpu_s = the translator
# process tree alone (pasta/slirp4netns/masq; 0 for kernel modes).
# sys_cpu_s = whole-machine busy time (/proc/stat), foreign_cpu_s = sys - own:
# load from processes that are not ours. *_cpu_s_per_GB divide by bytes
# received (1e9). A quiet gate waits (max QUIET_WAIT_S) before each test until
# whole-machine busy <= QUIET_MAX_PCT, because this VM may be shared
# (pre_busy_pct, gate_wait_s record it).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NSP=${NS_PREFIX:-mqbench-}
NS_LAN=${NSP}lan NS_GW=${NSP}gw NS_INET=${NSP}inet
MODES=${MODES:-"route kernel-nat pasta pasta-1500 slirp4netns slirp4netns-1500 masq"}
RUNS=${RUNS:-2}
DUR=${DUR:-10}
UDP_DUR=${UDP_DUR:-5}
UDP_RATES=${UDP_RATES:-"200M 1G"}
UDP_LEN=${UDP_LEN:-1400}
RR_DUR=${RR_DUR:-10}
RR_SIZE=${RR_SIZE:-64}
CONN_N=${CONN_N:-5000}
CONN_C=${CONN_C:-8}
PING_N=${PING_N:-200}
LAN_MTU=${LAN_MTU:-1500}
UPLINK_MTU=${UPLINK_MTU:-1500}
TRANSLATOR_MTU_DEFAULT=${TRANSLATOR_MTU_DEFAULT:-65520}
MASQ_TUN_MTU=${MASQ_TUN_MTU:-1500}
MASQ_READY_S=${MASQ_READY_S:-10}
QUIET_MAX_PCT=${QUIET_MAX_PCT:-15}      # gate: whole-machine busy % allowed before a test
QUIET_WAIT_S=${QUIET_WAIT_S:-300}      # gate: max wait per test
OUTDIR=${OUTDIR:-$PWD/target/netns-bench/$(date +%Y%m%d-%H%M%S)}   # shared/ is read-only

SRV=10.200.2.2        # inet server address
GW_UP=10.200.2.1
CLK_TCK=$(getconf CLK_TCK)

LOSS_RATES=${LOSS_RATES:-"0 0.1 1 3"}   # percent, for the loss group
# CPUs that RPS may steer a LAN flow to in the loss group (all of them; see set_lan_loss).
RPS_MASK=${RPS_MASK:-$(printf '%x' $(( (1 << $(nproc)) - 1 )))}
HOST_CC=${HOST_CC:-}   # e.g. cubic: iperf3's TCP congestion control at both ends (-C; default: the machine's)
MASQ_CC=${MASQ_CC:-$HOST_CC}   # masq's toward the LAN ([engine.tcp] congestion_control; default: its own)
DOC=${DOC:-}           # Markdown file whose netns-bench block gets the table (e.g. docs/performance.md)
DOC_MARK=${DOC_MARK:-netns-bench}   # which <!-- MARK:begin/end --> block of DOC
TESTS=${TESTS:-}       # only these groups (ping tcp_up_1 tcp_up_4 tcp_down_1 tcp_down_4 rr conn udp loss); empty: all but loss

PIDS=()               # every background PID this script started
TRANS_PID=""          # translator (pasta/slirp4netns/masq) PID for CPU accounting
WORK=""

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- cleanup
kill_pid() {  # kill one PID we started: TERM, wait up to 3 s, then KILL
  local p=$1 i
  kill -0 "$p" 2>/dev/null || return 0
  kill -TERM "$p" 2>/dev/null || true
  for i in $(seq 30); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
}

teardown() {
  local p n
  for p in "${PIDS[@]}"; do kill_pid "$p"; done
  PIDS=(); TRANS_PID=""
  # safety net: anything still inside OUR namespaces was started by us
  for n in "$NS_LAN" "$NS_GW" "$NS_INET"; do
    [ -e "/run/netns/$n" ] || continue
    for p in $(ip netns pids "$n" 2>/dev/null); do kill_pid "$p"; done
    ip netns del "$n" 2>/dev/null || true
  done
}
trap 'teardown' EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- helpers
NUMRE='^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$'
emit() {  # emit KEY VAL ... -> one JSON line (numbers stay numbers)
  local args=() k v
  args+=(--arg ts "$(date -Is)" --argjson run "$RUN" --arg mode "$MODE" --argjson lan_mtu "${CUR_MTU:-null}")
  while [ $# -ge 2 ]; do
    k=$1 v=$2; shift 2
    if [[ $v =~ $NUMRE ]] || [ "$v" = null ]; then args+=(--argjson "$k" "$v")
    else args+=(--arg "$k" "$v"); fi
  done
  jq -cn "${args[@]}" '$ARGS.named' | tee -a "$JSONL" >&2
}

sys_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8+$9; exit}' /proc/stat; }  # busy total

pid_ticks() {  # utime+stime of one PID (0 if gone); includes softirq run in its context
  local line rest
  { read -r line <"/proc/$1/stat"; } 2>/dev/null || { echo 0; return; }
  rest=${line##*) }; set -- $rest   # $1=state $2=ppid ... $12=utime $13=stime
  echo $(( ${12} + ${13} ))
}

tree_ticks() {  # utime+stime (ticks) of PID $1 and all its live descendants
  local root=$1 f line pid rest total=0
  [ -n "$root" ] || { echo 0; return; }
  declare -A PP TK
  for f in /proc/[0-9]*/stat; do
    { read -r line <"$f"; } 2>/dev/null || continue
    pid=${line%% *}; rest=${line##*) }
    set -- $rest
    PP[$pid]=$2; TK[$pid]=$(( ${12} + ${13} ))
  done
  local -a queue=("$root"); local cur c
  while [ ${#queue[@]} -gt 0 ]; do
    cur=${queue[0]}; queue=("${queue[@]:1}")
    total=$(( total + ${TK[$cur]:-0} ))
    for c in "${!PP[@]}"; do [ "${PP[$c]}" = "$cur" ] && queue+=("$c"); done
  done
  echo "$total"
}

KSOFTIRQD=$(for f in /proc/[0-9]*/comm; do c=$(<"$f") 2>/dev/null || continue
  if [[ $c == ksoftirqd/* ]]; then f=${f#/proc/}; echo "${f%/comm}"; fi; done | tr '\n' ' ')

busy_pct() {  # whole-machine busy % over $1 seconds
  local a0 t0 a1 t1
  read -r a0 t0 < <(sys_ticks); sleep "$1"; read -r a1 t1 < <(sys_ticks)
  echo $(( (a1 - a0) * 100 / (t1 - t0 > 0 ? t1 - t0 : 1) ))
}

quiet_gate() {  # this VM may be shared: wait (bounded) until other load is low
  local waited=0 b
  while :; do
    b=$(busy_pct 1)
    [ "$b" -le "$QUIET_MAX_PCT" ] && break
    [ "$waited" -ge "$QUIET_WAIT_S" ] && { log "machine still ${b}% busy after ${waited}s; measuring anyway"; break; }
    [ "$waited" = 0 ] && log "machine ${b}% busy before $1; waiting (max ${QUIET_WAIT_S}s)"
    sleep 4; waited=$((waited + 5))
  done
  PRE_BUSY=$b; GATE_WAIT=$waited
}

declare -A SNAP
cpu_begin() {  # $1 = test name
  quiet_gate "$1"
  local p
  SNAP=()
  for p in $(ip netns pids "$NS_LAN"; ip netns pids "$NS_GW"; ip netns pids "$NS_INET") $KSOFTIRQD; do
    SNAP[$p]=$(pid_ticks "$p")
  done
  read -r C0_SYS C0_TOT < <(sys_ticks); C0_TR=$(tree_ticks "$TRANS_PID"); T0=$(date +%s.%N)
  rm -f "$WORK/.client-time"
}
client() {  # client NS TIMEOUT CMD... : run a client, its CPU goes to $WORK/.client-time
  local ns=$1 to=$2; shift 2
  ip netns exec "$ns" /usr/bin/time -f '%U %S' -o "$WORK/.client-time" timeout "$to" "$@"
}
cpu_end() {   # sets CPU_FIELDS for emit; $1 = bytes received (or 0)
  local s1 tot1 t1 b=${1:-0} p own=0 d cl=0
  read -r s1 tot1 < <(sys_ticks); t1=$(tree_ticks "$TRANS_PID")
  for p in "${!SNAP[@]}"; do
    d=$(( $(pid_ticks "$p") - ${SNAP[$p]} )); [ "$d" -gt 0 ] && own=$((own + d))
  done
  [ -s "$WORK/.client-time" ] && cl=$(tail -1 "$WORK/.client-time" | awk '{printf "%.2f", $1+$2}')
  WALL=$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f",b-a}')
  CPU_SYS=$(awk -v a="$C0_SYS" -v b="$s1" -v hz="$CLK_TCK" 'BEGIN{printf "%.2f",(b-a)/hz}')
  CPU_TR=$(awk -v a="$C0_TR" -v b="$t1" -v hz="$CLK_TCK" 'BEGIN{printf "%.2f",(b-a)/hz}')
  CPU_OWN=$(awk -v o="$own" -v hz="$CLK_TCK" -v c="$cl" 'BEGIN{printf "%.2f",o/hz+c}')
  local foreign
  foreign=$(awk -v s="$CPU_SYS" -v o="$CPU_OWN" 'BEGIN{f=s-o; if(f<0)f=0; printf "%.2f",f}')
  CPU_FIELDS=(wall_s "$WALL" pre_busy_pct "$PRE_BUSY" gate_wait_s "$GATE_WAIT" sys_cpu_s "$CPU_SYS"
    own_cpu_s "$CPU_OWN" foreign_cpu_s "$foreign" trans_cpu_s "$CPU_TR")
  if [ "$b" != 0 ] && [ "$b" != null ]; then
    CPU_FIELDS+=(bytes "$b"
      own_cpu_s_per_GB "$(awk -v c="$CPU_OWN" -v b="$b" 'BEGIN{printf "%.3f",c/(b/1e9)}')"
      trans_cpu_s_per_GB "$(awk -v c="$CPU_TR" -v b="$b" 'BEGIN{printf "%.3f",c/(b/1e9)}')")
  fi
}

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

bg_in() {  # bg_in NS LOGFILE CMD... : start in background, record PID
  local ns=$1 logf=$2; shift 2
  ip netns exec "$ns" "$@" >"$logf" 2>&1 &
  PIDS+=($!); LASTPID=$!
}

wait_ping() {  # wait until lan reaches inet by ICMP; $1 = seconds
  local i
  for i in $(seq "$1"); do
    nsx "$NS_LAN" ping -c1 -W1 "$SRV" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  return 1
}

wait_tcp() {  # wait until a TCP port in inet answers from lan
  local port=$1 i
  for i in $(seq 20); do
    nsx "$NS_LAN" timeout 2 bash -c "exec 3<>/dev/tcp/$SRV/$port" 2>/dev/null && return 0
    sleep 0.3
  done
  return 1
}

# ---------------------------------------------------------------- topology
build_base() {
  local n
  for n in "$NS_LAN" "$NS_GW" "$NS_INET"; do
    [ -e "/run/netns/$n" ] && die "namespace $n exists (stale run? try: $0 cleanup)"
  done
  for n in "$NS_LAN" "$NS_GW" "$NS_INET"; do
    ip netns add "$n"
    ip -n "$n" link set lo up
    nsx "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    nsx "$n" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  done
  # translators answer ICMP through unprivileged "ping" sockets (pasta runs as
  # root here but slirp uses SOCK_DGRAM/ICMP): allow every gid in gw only
  nsx "$NS_GW" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
  nsx "$NS_GW" sysctl -qw net.ipv4.ip_forward=0
  ip link add gw-up netns "$NS_GW" mtu "$UPLINK_MTU" type veth peer name inet0 netns "$NS_INET" mtu "$UPLINK_MTU"
  ip -n "$NS_GW" addr add $GW_UP/24 dev gw-up
  ip -n "$NS_INET" addr add $SRV/24 dev inet0
  ip -n "$NS_GW" link set gw-up up
  ip -n "$NS_INET" link set inet0 up
  start_servers
}

start_servers() {
  local d=$WORK/nginx
  mkdir -p "$d"
  cat >"$d/nginx.conf" <<EOF
worker_processes 1;
master_process off;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_timeout 0;
  client_body_temp_path $d/tmp;
  default_type text/plain;
  server { listen $SRV:80 backlog=4096; location / { return 200 "ok\n"; } }
}
EOF
  mkdir -p "$d/tmp"
  bg_in "$NS_INET" "$WORK/iperf3-s.log" iperf3 -s -B $SRV -p 5201
  bg_in "$NS_INET" "$WORK/sockperf-s.log" sockperf server --tcp -i $SRV -p 11111
  SOCKPERF_PID=$LASTPID
  bg_in "$NS_INET" "$WORK/nginx.log" nginx -p "$d" -c "$d/nginx.conf"
  sleep 0.5
}

veth_lan() {  # lan0 <-> gw-lan
  ip link add lan0 netns "$NS_LAN" mtu "$CUR_MTU" type veth peer name gw-lan netns "$NS_GW" mtu "$CUR_MTU"
  ip -n "$NS_LAN" addr add 10.200.1.2/24 dev lan0
  ip -n "$NS_GW" addr add 10.200.1.1/24 dev gw-lan
  ip -n "$NS_LAN" link set lan0 up
  ip -n "$NS_GW" link set gw-lan up
  ip -n "$NS_LAN" route add 10.200.2.0/24 via 10.200.1.1 dev lan0
  LAN_IF=lan0
}

fix_lan_route() {  # translators install 'default via GW'; keep only the test subnet
  local via=$1
  ip -n "$NS_LAN" route del default 2>/dev/null || true
  ip -n "$NS_LAN" route replace 10.200.2.0/24 via "$via" dev tap0
}

wire_mode() {  # sets LAN_IF, TRANS_PID, CUR_MTU; SKIP=1 to skip the mode
  local base=${MODE%%-[0-9]*} m
  m=${MODE##*-}; [[ $m =~ ^[0-9]+$ ]] || m=""
  case $base in
    route)
      CUR_MTU=${m:-$LAN_MTU}; veth_lan
      nsx "$NS_GW" sysctl -qw net.ipv4.ip_forward=1
      ip -n "$NS_INET" route add 10.200.1.0/24 via $GW_UP ;;
    kernel-nat)
      CUR_MTU=${m:-$LAN_MTU}; veth_lan
      nsx "$NS_GW" sysctl -qw net.ipv4.ip_forward=1
      nsx "$NS_GW" nft -f - <<'EOF'
table ip benchnat {
  chain post { type nat hook postrouting priority srcnat; policy accept; oifname "gw-up" masquerade; }
}
EOF
      ;;
    pasta)
      # --runas 0:0 is required: as root pasta drops to 'nobody' by default and
      # then cannot setns() into /run/netns/lan ("Couldn't switch to pasta namespaces")
      CUR_MTU=${m:-$TRANSLATOR_MTU_DEFAULT}
      bg_in "$NS_GW" "$WORK/pasta.out" pasta -f -q --runas 0:0 -l "$WORK/pasta.log" \
        --config-net -4 -I tap0 -i gw-up -m "$CUR_MTU" \
        -a 10.200.1.2 -n 24 -g 10.200.1.1 \
        -t none -u none -T none -U none --netns "$NS_LAN"
      TRANS_PID=$LASTPID
      for _ in $(seq 50); do ip -n "$NS_LAN" -4 addr show dev tap0 2>/dev/null | grep -q inet && break; sleep 0.1; done
      fix_lan_route 10.200.1.1; LAN_IF=tap0 ;;
    slirp4netns)
      CUR_MTU=${m:-$TRANSLATOR_MTU_DEFAULT}
      bg_in "$NS_GW" "$WORK/slirp4netns.log" slirp4netns --configure --mtu="$CUR_MTU" \
        --cidr=10.200.1.0/24 --disable-host-loopback --disable-dns \
        --netns-type=path "/run/netns/$NS_LAN" tap0
      TRANS_PID=$LASTPID
      for _ in $(seq 50); do ip -n "$NS_LAN" -4 addr show dev tap0 2>/dev/null | grep -q inet && break; sleep 0.1; done
      fix_lan_route 10.200.1.2; LAN_IF=tap0 ;;
    masq)
      # The real product: `masq up` creates its own TUN, policy rule, routes and sysctls
      # (exactly what users get). nft only proves the kernel never forwards LAN -> uplink
      # by itself, so every byte measured went through masq.
      CUR_MTU=${m:-$LAN_MTU}
      veth_lan
      nsx "$NS_GW" nft -f - <<'EOF'
table inet benchmasq {
  chain fwdcheck { type filter hook forward priority filter; policy accept; iifname "gw-lan" oifname "gw-up" drop; }
}
EOF
      MASQ_BIN=${MASQ_BIN:-$HERE/../target/release/masq}
      [ -x "$MASQ_BIN" ] || die "masq binary not found at $MASQ_BIN (cargo build --release -p masq, or set MASQ_BIN)"
      local conf=/dev/null
      if [ -n "$MASQ_CC" ]; then
        conf=$WORK/masq.toml
        printf '[engine.tcp]\ncongestion_control = "%s"\n' "${MASQ_CC/reno/new_reno}" >"$conf"
      fi
      bg_in "$NS_GW" "$WORK/masq.log" env MASQ_LOG="${MASQ_LOG:-warn}" MASQ_CONFIG="$conf" "$MASQ_BIN" up \
        --uplink gw-up --lan gw-lan --lan-addr 10.200.1.1/24 --tun masq0 \
        --control "$WORK/masq.sock" --state-file "$WORK/masq-state.json" --no-observe-inbound
      TRANS_PID=$LASTPID ;;
    *) die "unknown mode $MODE" ;;
  esac
}

# ---------------------------------------------------------------- tests
t_ping() {
  local out
  cpu_begin ping
  out=$(client "$NS_LAN" $((PING_N / 50 + 15)) ping -n -c "$PING_N" -i 0.01 -W 1 "$SRV" 2>&1) || true
  cpu_end 0
  local stats
  stats=$( { grep -o 'time=[0-9.]*' <<<"$out" || true; } | cut -d= -f2 | sort -g | awk '
    {v[NR]=$1*1000; s+=$1*1000}
    END{ if(NR==0){print "null null null 0"; exit}
         p50=v[int((NR+1)/2)]; i=int(NR*0.99+0.999); if(i<1)i=1; if(i>NR)i=NR;
         printf "%.1f %.1f %.1f %d\n", p50, v[i], s/NR, NR }')
  set -- $stats
  emit test ping rtt_p50_us "$1" rtt_p99_us "$2" rtt_avg_us "$3" received "$4" sent "$PING_N" "${CPU_FIELDS[@]}"
}

t_iperf_tcp() {  # name, extra iperf3 args; RECOVERY_OF=NS|masq adds that sender's counters
  local name=$1; shift
  local j=$WORK/$name.json r0="" r1="" rec=() a b
  cpu_begin "$name"
  [ -n "${RECOVERY_OF:-}" ] && r0=$(recovery_counters "$RECOVERY_OF")
  # Every TCP counter of the LAN host, before and after, for reading what its stack did.
  nsx "$NS_LAN" nstat -az >"$WORK/$name.nstat-lan.0" 2>/dev/null || true
  client "$NS_LAN" $((DUR + 30)) iperf3 -c $SRV -p 5201 -t "$DUR" -J ${HOST_CC:+-C "$HOST_CC"} "$@" >"$j" 2>&1 || true
  [ -n "${RECOVERY_OF:-}" ] && r1=$(recovery_counters "$RECOVERY_OF")
  nsx "$NS_LAN" nstat -az >"$WORK/$name.nstat-lan.1" 2>/dev/null || true
  local bytes gbps retr err
  bytes=$(jq -r '.end.sum_received.bytes // 0' "$j" 2>/dev/null || echo 0)
  cpu_end "$bytes"
  gbps=$(jq -r '(.end.sum_received.bits_per_second // null) | if .==null then "null" else (./1e9*1000|round/1000) end' "$j" 2>/dev/null || echo null)
  retr=$(jq -r '.end.sum_sent.retransmits // "null"' "$j" 2>/dev/null || echo null)
  err=$(jq -r '.error // ""' "$j" 2>/dev/null || echo "unparsable output")
  if [ -n "$r0" ] && [ -n "$r1" ]; then
    read -r -a a <<<"$r0"; read -r -a b <<<"$r1"
    rec=(sender "$RECOVERY_OF" rtos $((b[0] - a[0])) recoveries $((b[1] - a[1])) probes $((b[2] - a[2])))
  fi
  emit test "$name" gbps "$gbps" retrans "$retr" ${err:+error "$err"} "${rec[@]}" "${CPU_FIELDS[@]}"
  sleep 1
}

# Loss-recovery counters of a TCP sender: "rtos recoveries probes", where recoveries are
# fast recoveries plus losses a tail loss probe alone repaired. $1 = masq (the engine's
# counters) or a namespace (Linux's TcpExt counters of every socket in it).
recovery_counters() {
  if [ "$1" = masq ]; then
    nsx "$NS_GW" "$MASQ_BIN" status --json --control "$WORK/masq.sock" 2>/dev/null |
      jq -r '.engine.counters | "\(.tcp_rtos // 0) \((.tcp_fast_recoveries // 0) + (.tcp_tlp_recoveries // 0)) \(.tcp_tail_loss_probes // 0)"' ||
      echo "0 0 0"
  else
    nsx "$1" awk '/^TcpExt:/ { if (!h) { for (i = 2; i <= NF; i++) n[$i] = i; h = 1 }
      else print $n["TCPTimeouts"], $n["TCPSackRecovery"] + $n["TCPRenoRecovery"] + $n["TCPLossProbeRecovery"], $n["TCPLossProbes"] }' /proc/net/netstat
  fi
}

# Random loss of $1 % on the LAN link, both ways, on MTU-sized packets: offloads off on
# both ends of the veth (or GSO/GRO would make a drop take 40 segments at once) and an
# nftables numgen rule where each direction arrives: in 'lan' for what the gateway sends,
# in 'gw' for what the LAN host sends. (Dropping on the sender's own way out would be a
# local drop, which Linux's TCP is told about at once: not loss on a link.) 0 removes it.
set_lan_loss() {
  local per10k
  per10k=$(awk -v p="$1" 'BEGIN { printf "%d", p * 100 + 0.5 }')
  nsx "$NS_LAN" ethtool -K lan0 tso off gso off gro off >/dev/null 2>&1 || die "ethtool on lan0"
  nsx "$NS_GW" ethtool -K gw-lan tso off gso off gro off >/dev/null 2>&1 || die "ethtool on gw-lan"
  # Without GRO a veth hands each packet to the backlog of the CPU that sent it, and a TCP
  # sender sends from two CPUs (its application's, and the one that processed the ACK), so
  # a flow arrives reordered by tens of segments, which no NIC does (RSS keeps a flow on
  # one queue) and which makes the sender retransmit what was only late. RPS steers each
  # flow to one CPU, as RSS would; both ends, for every mode alike.
  nsx "$NS_LAN" sh -c "echo $RPS_MASK > /sys/class/net/lan0/queues/rx-0/rps_cpus" || die "rps on lan0"
  nsx "$NS_GW" sh -c "echo $RPS_MASK > /sys/class/net/gw-lan/queues/rx-0/rps_cpus" || die "rps on gw-lan"
  nsx "$NS_LAN" nft delete table inet benchloss 2>/dev/null || true
  nsx "$NS_GW" nft delete table inet benchloss 2>/dev/null || true
  [ "$per10k" -gt 0 ] || return 0
  nsx "$NS_LAN" nft -f - <<NFT
table inet benchloss {
  chain in { type filter hook prerouting priority -300; iifname "lan0" numgen random mod 10000 < $per10k drop; }
}
NFT
  nsx "$NS_GW" nft -f - <<NFT
table inet benchloss {
  chain in { type filter hook prerouting priority -300; iifname "gw-lan" numgen random mod 10000 < $per10k drop; }
}
NFT
}

t_loss() {  # every rate of LOSS_RATES, one stream down then up
  local r name down_sender
  [ "$LAN_IF" = lan0 ] || { emit test skipped reason "loss needs the veth LAN (modes route, kernel-nat, masq)"; return 0; }
  case ${MODE%%-*} in masq) down_sender=masq ;; *) down_sender=$NS_INET ;; esac
  for r in $LOSS_RATES; do
    set_lan_loss "$r"
    name=${r//./_}
    RECOVERY_OF=$down_sender t_iperf_tcp "tcp_down_loss$name" -P 1 -R
    RECOVERY_OF=$NS_LAN t_iperf_tcp "tcp_up_loss$name" -P 1
  done
  set_lan_loss 0
}

t_iperf_udp() {  # name, rate, extra args
  local name=$1 rate=$2; shift 2
  local j=$WORK/$name.json
  cpu_begin "$name"
  client "$NS_LAN" $((UDP_DUR + 30)) iperf3 -c $SRV -p 5201 -u -b "$rate" -l "$UDP_LEN" -t "$UDP_DUR" -J "$@" >"$j" 2>&1 || true
  local bytes mbps loss jit err
  bytes=$(jq -r '.end.sum_received.bytes // 0' "$j" 2>/dev/null || echo 0)
  cpu_end "$bytes"
  mbps=$(jq -r '(.end.sum_received.bits_per_second // null) | if .==null then "null" else (./1e6*10|round/10) end' "$j" 2>/dev/null || echo null)
  loss=$(jq -r '(.end.sum_received.lost_percent // null) | if .==null then "null" else (.*100|round/100) end' "$j" 2>/dev/null || echo null)
  jit=$(jq -r '(.end.sum_received.jitter_ms // null) | if .==null then "null" else (.*1000|round/1000) end' "$j" 2>/dev/null || echo null)
  err=$(jq -r '.error // ""' "$j" 2>/dev/null || echo "unparsable output")
  emit test "$name" offered "$rate" recv_mbps "$mbps" loss_pct "$loss" jitter_ms "$jit" ${err:+error "$err"} "${CPU_FIELDS[@]}"
  sleep 1
}

t_rr() {  # $1 = "" (scheduler places processes) or a CPU number to pin
  local pin=${1:-} name=tcp_rr f saved_s="" saved_t="" p
  local -a pre=()
  if [ -n "$pin" ]; then
    # pin client, server and translator (all threads) to one vCPU; restored below
    name=tcp_rr_pin$pin; pre=(taskset -c "$pin")
    saved_s=$(taskset -p "$SOCKPERF_PID" | awk '{print $NF}'); taskset -p -c "$pin" "$SOCKPERF_PID" >/dev/null
    if [ -n "$TRANS_PID" ]; then
      saved_t=$(taskset -p "$TRANS_PID" | awk '{print $NF}')
      for p in $TRANS_PID $(pgrep -P "$TRANS_PID" || true); do taskset -a -p -c "$pin" "$p" >/dev/null; done
    fi
  fi
  f=$WORK/$name.txt
  cpu_begin "$name"
  client "$NS_LAN" $((RR_DUR + 30)) "${pre[@]}" sockperf ping-pong --tcp -i $SRV -p 11111 \
    -t "$RR_DUR" -m "$RR_SIZE" --full-rtt --no-rdtsc >"$f" 2>&1 || true
  cpu_end 0
  if [ -n "$pin" ]; then
    taskset -p "$saved_s" "$SOCKPERF_PID" >/dev/null || true
    if [ -n "$TRANS_PID" ]; then
      for p in $TRANS_PID $(pgrep -P "$TRANS_PID" || true); do taskset -a -p "$saved_t" "$p" >/dev/null || true; done
    fi
  fi
  local p50 p99 avg obs rt
  p50=$(sed -n 's/.*percentile 50.000 = *\([0-9.]*\).*/\1/p' "$f" | head -1)
  p99=$(sed -n 's/.*percentile 99.000 = *\([0-9.]*\).*/\1/p' "$f" | head -1)
  avg=$(sed -n 's/.*avg-rtt=\([0-9.]*\).*/\1/p' "$f" | head -1)
  obs=$(sed -n 's/.*Valid Duration\] RunTime=\([0-9.]*\) sec; SentMessages=[0-9]*; ReceivedMessages=\([0-9]*\).*/\2 \1/p' "$f" | head -1)
  rt=null; [ -n "$obs" ] && rt=$(awk -v a="${obs% *}" -v b="${obs#* }" 'BEGIN{printf "%.0f", a/b}')
  emit test "$name" msg_bytes "$RR_SIZE" rtt_p50_us "${p50:-null}" rtt_p99_us "${p99:-null}" \
    rtt_avg_us "${avg:-null}" trans_per_s "$rt" "${CPU_FIELDS[@]}"
}

t_conn() {  # concurrency
  local c=$1 f=$WORK/conn_c$1.txt
  cpu_begin "conn_c$c"
  client "$NS_LAN" 120 ab -q -n "$CONN_N" -c "$c" -s 5 -r "http://$SRV/" >"$f" 2>&1 || true
  cpu_end 0
  local rps failed done p50 p99
  rps=$(awk '/^Requests per second/{print $4}' "$f")
  failed=$(awk '/^Failed requests/{print $3}' "$f")
  done=$(awk '/^Complete requests/{print $3}' "$f")
  p50=$(awk '$1=="50%"{print $2}' "$f"); p99=$(awk '$1=="99%"{print $2}' "$f")
  emit test "conn_c$c" conn_per_s "${rps:-null}" completed "${done:-0}" failed "${failed:-null}" \
    lat_p50_ms "${p50:-null}" lat_p99_ms "${p99:-null}" "${CPU_FIELDS[@]}"
}

run_mode() {
  WORK=$OUTDIR/raw/run$RUN/$MODE; mkdir -p "$WORK"
  TRANS_PID=""; LAN_IF=""; CUR_MTU=""
  log "run $RUN mode $MODE: building topology"
  build_base
  SKIP=0
  wire_mode            # plain call so that 'set -e' aborts on any wiring error
  if [ "$SKIP" = 1 ]; then teardown; return 0; fi
  local ready_s=20; [ "${MODE%%-*}" = masq ] && ready_s=$((MASQ_READY_S * 2))
  if ! wait_ping "$ready_s" || ! wait_tcp 5201; then
    emit test setup_failed lan_if "${LAN_IF:-none}" note "lan cannot reach $SRV"
    ip -n "$NS_GW" -s link show masq0 >"$WORK/masq0-stats.txt" 2>&1 || true
    teardown; return 0
  fi
  local lan_mtu up_mtu tver=""
  lan_mtu=$(nsx "$NS_LAN" cat "/sys/class/net/$LAN_IF/mtu")
  up_mtu=$(nsx "$NS_GW" cat /sys/class/net/gw-up/mtu)
  case ${MODE%%-*} in
    pasta) tver="passt $(dpkg-query -W -f='${Version}' passt 2>/dev/null)";;
    slirp4netns) tver="slirp4netns $(dpkg-query -W -f='${Version}' slirp4netns 2>/dev/null)";;
  esac
  CUR_MTU=$lan_mtu
  emit test meta lan_if "$LAN_IF" uplink_mtu "$up_mtu" translator_pid "${TRANS_PID:-null}" \
    translator "${tver:-kernel}" kernel "$(uname -r)" ncpu "$(nproc)"

  want ping && t_ping
  want tcp_up_1 && t_iperf_tcp tcp_up_1   -P 1
  want tcp_up_4 && t_iperf_tcp tcp_up_4   -P 4
  want tcp_down_1 && t_iperf_tcp tcp_down_1 -P 1 -R
  want tcp_down_4 && t_iperf_tcp tcp_down_4 -P 4 -R
  want rr && t_rr
  want rr && t_rr 0
  want conn && t_conn 1
  want conn && t_conn "$CONN_C"
  local r
  for r in $UDP_RATES; do
    want udp && t_iperf_udp "udp_up_$r" "$r"
    want udp && t_iperf_udp "udp_down_$r" "$r" -R
  done
  want_only loss && t_loss
  if [ -n "$TRANS_PID" ] && ! kill -0 "$TRANS_PID" 2>/dev/null; then
    emit test translator_died note "translator PID $TRANS_PID exited during the run"
  fi
  if [ "${MODE%%-*}" = masq ]; then
    # The engine's own counters (drops by reason, flows) after the run.
    nsx "$NS_GW" "$MASQ_BIN" status --json --control "$WORK/masq.sock" >"$WORK/masq-status.json" 2>&1 || true
  fi
  # Where packets were dropped: interface queues and socket buffers in the gateway.
  ip -n "$NS_GW" -s link show >"$WORK/gw-links.txt" 2>&1 || true
  local ns
  for ns in "$NS_LAN" "$NS_GW" "$NS_INET"; do
    nsx "$ns" cat /proc/net/snmp >"$WORK/${ns#"$NSP"}-snmp.txt" 2>&1 || true
  done
  teardown
}

# True when test group $1 is to run (TESTS empty: every group but the opt-in ones).
want() { [ -z "$TESTS" ] || [[ " $TESTS " == *" $1 "* ]]; }
# True when opt-in group $1 is named in TESTS.
want_only() { [[ " $TESTS " == *" $1 "* ]]; }

# ---------------------------------------------------------------- main
case ${1:-} in
  cleanup) teardown; log "cleaned"; exit 0 ;;
  summarize) shift; trap - EXIT; exec python3 "$HERE/summarize.py" "$@" ;;
  "") ;;
  *) die "usage: $0 [cleanup|summarize FILE...]" ;;
esac
[ "$(id -u)" = 0 ] || die "run as root"
tools=(ip nft iperf3 sockperf ab nginx jq timeout python3 ethtool awk)
[[ " $MODES " == *" pasta"* ]] && tools+=(pasta)
[[ " $MODES " == *" slirp4netns"* ]] && tools+=(slirp4netns)
for t in "${tools[@]}"; do
  command -v "$t" >/dev/null || die "missing $t"
done
STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')
mkdir -p "$OUTDIR"
JSONL=$OUTDIR/results.jsonl
log "results -> $JSONL"
for RUN in $(seq "$RUNS"); do
  for MODE in $MODES; do
    CUR_MTU=""
    run_mode
  done
done
trap - EXIT; teardown
python3 "$HERE/summarize.py" "$JSONL" | tee "$OUTDIR/table.txt"
if [ -n "$DOC" ]; then
  cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
  mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
  header="Run of $STARTED on $(nproc) cores (${cpu:-unknown CPU}), $mem, Linux $(uname -r):"
  header+=" MODES=\"$MODES\" RUNS=$RUNS DUR=$DUR UDP_DUR=$UDP_DUR LAN_MTU=$LAN_MTU${TESTS:+ TESTS=\"$TESTS\"}"
  header+=" ${LOSS_RATES:+LOSS_RATES=\"$LOSS_RATES\"} TCP congestion control of the hosts: ${HOST_CC:-$(sysctl -n net.ipv4.tcp_congestion_control)}, of masq toward the LAN: ${MASQ_CC:-its default}."
  DOC_MARK=$DOC_MARK python3 "$HERE/write-doc.py" "$DOC" "$OUTDIR/table.txt" "$header"
  log "table written to $DOC"
fi
