#!/usr/bin/env bash
# Runs every end-to-end topic script in tests/e2e (or those named as arguments), each against
# its own fresh namespace topology and masq instance, and prints "PASS/FAIL topic/check" per
# check and a final "N passed, N failed[, N skipped]" line. Exit 1 if any check failed.
#
# Needs root (network namespaces) and a built masq: MASQ=path, default target/debug/masq.
# Logs of every check, server and masq instance go to E2E_LOG_DIR (default target/e2e-logs).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

if [ "$(id -u)" -ne 0 ]; then
    echo "error: the end-to-end tests create network namespaces and need root (try: sudo $0)" >&2
    exit 1
fi
export MASQ="${MASQ:-$repo/target/debug/masq}"
if [ ! -x "$MASQ" ]; then
    echo "error: masq binary not found at $MASQ; build it first (cargo build -p masq) or set MASQ" >&2
    exit 1
fi
export E2E_LOG_DIR="${E2E_LOG_DIR:-$repo/target/e2e-logs}"
# One run per log directory at a time: a second run would empty the first one's results and
# count its namespaces as leftovers. Wait for it (a whole suite takes a few minutes).
mkdir -p "$(dirname "$E2E_LOG_DIR")"
exec 9>"$E2E_LOG_DIR.lock"
if ! flock -n 9; then
    echo "another e2e run uses $E2E_LOG_DIR; waiting for it (or set E2E_LOG_DIR)…"
    if ! flock -w 900 9; then
        echo "error: $E2E_LOG_DIR is still in use after 15 minutes" >&2
        exit 1
    fi
fi
# Only ever empty a directory that an earlier run made (it has results.txt).
if [ -d "$E2E_LOG_DIR" ] && [ -n "$(ls -A "$E2E_LOG_DIR")" ]; then
    if [ ! -f "$E2E_LOG_DIR/results.txt" ]; then
        echo "error: E2E_LOG_DIR=$E2E_LOG_DIR is not empty and not an e2e log directory" >&2
        exit 1
    fi
    rm -rf "${E2E_LOG_DIR:?}"/*
fi
mkdir -p "$E2E_LOG_DIR"
export E2E_RESULTS="$E2E_LOG_DIR/results.txt"
: >"$E2E_RESULTS"
# Longest a single topic may run before it is stopped (its trap still cleans up).
topic_limit="${E2E_TOPIC_LIMIT:-240}"

if [ "$#" -gt 0 ]; then
    topics=()
    for t in "$@"; do topics+=("$here/${t%.sh}.sh"); done
else
    mapfile -t topics < <(find "$here" -maxdepth 1 -name '*.sh' ! -name lib.sh ! -name run.sh | sort)
fi

echo "masq: $MASQ"
echo "logs: $E2E_LOG_DIR"
started=$SECONDS
for t in "${topics[@]}"; do
    name="$(basename "$t" .sh)"
    echo "--- $name"
    before="$(grep -c '' "$E2E_RESULTS" || true)"
    set +e
    timeout --signal=TERM --kill-after=15 "$topic_limit" bash "$t" 9>&-
    rc=$?
    set -e
    after="$(grep -c '' "$E2E_RESULTS" || true)"
    if [ "$rc" -ne 0 ] && ! tail -n "+$((before + 1))" "$E2E_RESULTS" | grep -q '^FAIL'; then
        if [ "$rc" -eq 124 ]; then why="stopped after ${topic_limit}s"; else why="exited with $rc"; fi
        printf 'FAIL %s/script (%s)\n' "$name" "$why" | tee -a "$E2E_RESULTS"
    elif [ "$after" -eq "$before" ]; then
        printf 'FAIL %s/script (ran no check)\n' "$name" | tee -a "$E2E_RESULTS"
    fi
done

# Nothing the topics started may survive them: no namespace with a topic's prefix, and no
# process whose command line names a topic's work directory (masq, servers, clients).
leftover_ns=""
for prefix in $(cat "$E2E_LOG_DIR"/*/prefixes 2>/dev/null); do
    leftover_ns+="$(ip netns list | awk '{print $1}' | grep "^$prefix-" || true) "
done
leftover_ns="$(echo $leftover_ns)"
if [ -z "$leftover_ns" ]; then
    printf 'PASS run/no-leftover-namespaces\n' | tee -a "$E2E_RESULTS"
else
    printf 'FAIL run/no-leftover-namespaces\n    left: %s\n' "$leftover_ns" | tee -a "$E2E_RESULTS"
fi
leftover_procs=""
for prefix in $(cat "$E2E_LOG_DIR"/*/prefixes 2>/dev/null); do
    leftover_procs+="$(pgrep -f -- "/tmp/$prefix-e2e" || true) "
done
leftover_procs="$(echo $leftover_procs)"
if [ -z "$leftover_procs" ]; then
    printf 'PASS run/no-leftover-processes\n' | tee -a "$E2E_RESULTS"
else
    printf 'FAIL run/no-leftover-processes\n    pids: %s\n' "$leftover_procs" | tee -a "$E2E_RESULTS"
fi

passed="$(grep -c '^PASS' "$E2E_RESULTS" || true)"
failed="$(grep -c '^FAIL' "$E2E_RESULTS" || true)"
skipped="$(grep -c '^SKIP' "$E2E_RESULTS" || true)"
echo "e2e took $((SECONDS - started))s"
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
