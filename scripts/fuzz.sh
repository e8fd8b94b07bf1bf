#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for a bounded time (FUZZ_SECONDS each, default 20) and
# fails on the first crash, printing the input that caused it. CI runs it (scripts/test.sh);
# run it longer by hand with FUZZ_SECONDS=600 scripts/fuzz.sh [TARGET...].
#
# The targets are built as `cargo fuzz build --sanitizer none` builds them (libFuzzer,
# sanitizer coverage, `--cfg fuzzing`, which turns off checksum verification so mutations
# reach the logic behind it), with the stable toolchain and without cargo-fuzz itself: the
# machine's one toolchain is all CI has, and safe Rust needs no address sanitizer to show a
# panic, an overflow or a broken assertion. Each target starts from its seed corpus in
# fuzz/corpus/<target> and writes what it finds to a scratch corpus under target/, so the
# checkout is never modified; executions per target go to target/fuzz/summary.txt.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
seconds="${FUZZ_SECONDS:-20}"
triple="$(rustc -vV | sed -n 's/^host: //p')"
out="${CARGO_TARGET_DIR:-$repo/target}/fuzz"
mkdir -p "$out"


if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(sed -n 's/^name = "\([a-z_]*\)"$/\1/p' "$repo/fuzz/Cargo.toml")
fi

# --target keeps these flags off build scripts and proc macros, as cargo-fuzz does.
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module \
-Cllvm-args=-sanitizer-coverage-level=4 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
-Cllvm-args=-sanitizer-coverage-pc-table -Cllvm-args=-sanitizer-coverage-trace-compares \
-Cdebug-assertions -Coverflow-checks"
cargo build --release --manifest-path "$repo/fuzz/Cargo.toml" --target "$triple" \
    --target-dir "$out/build" --bins
bins="$out/build/$triple/release"

: >"$out/summary.txt"
for t in "${targets[@]}"; do
    scratch="$out/corpus/$t"
    mkdir -p "$scratch" "$out/artifacts/$t"
    seeds=()
    [ -d "$repo/fuzz/corpus/$t" ] && seeds=("$repo/fuzz/corpus/$t")
    echo "fuzz: $t for ${seconds}s"
    log="$out/$t.log"
    if ! "$bins/$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$out/artifacts/$t/" \
        "$scratch" "${seeds[@]}" >"$log" 2>&1; then
        tail -n 40 "$log"
        echo "fuzz: $t FAILED; the input is in $out/artifacts/$t/ (replay: $bins/$t FILE)" >&2
        exit 1
    fi
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    cov="$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)"
    printf '%-16s %10s executions in %ss, coverage %s edges, corpus %s inputs\n' \
        "$t" "${runs:-?}" "$seconds" "${cov:-?}" "$(find "$scratch" -type f | wc -l)" |
        tee -a "$out/summary.txt"
done
