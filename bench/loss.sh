#!/usr/bin/env bash
# loss.sh - TCP through masq against kernel NAT under random loss on the LAN link: one
# iperf3 stream down and up at each of LOSS_RATES (default 0, 0.1, 1 and 3 %), with LAN
# offloads off so loss hits MTU-sized packets (netns-bench.sh's "loss" group), plus each
# sender's retransmission timeouts and loss recoveries.
#
# Usage (root): MASQ_BIN=target/release/masq bench/loss.sh
#   DOC=docs/performance.md bench/loss.sh   # also write the table into its netns-bench-loss block
# Every netns-bench.sh setting applies (RUNS, DUR, LOSS_RATES, OUTDIR ...).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export TESTS=${TESTS:-loss} MODES=${MODES:-"kernel-nat masq"} RUNS=${RUNS:-1} DUR=${DUR:-8}
export DOC_MARK=${DOC_MARK:-netns-bench-loss}
exec "$here/netns-bench.sh" "$@"
