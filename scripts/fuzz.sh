#!/usr/bin/env bash
# Builds the cargo-fuzz targets in fuzz/ and runs each for SECONDS
# (default 20), one after another, one job each. Fails on any finding
# (crash, panic, sanitizer report, timeout, out-of-memory).
#
#     scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Works on a fresh machine: the nightly toolchain is expected (libFuzzer and
# ASan need it); cargo-fuzz is installed from crates.io if missing.
#
# Corpora: fuzz/corpus/<target>/ (generated, git-ignored) grows from the
# committed seeds in fuzz/seeds/<target>/ (tiny golden frames and every
# input that ever crashed a target; regenerate the golden ones with
# `cargo +nightly test --manifest-path fuzz/Cargo.toml --test seeds`).
# Findings land in fuzz/artifacts/<target>/, logs in fuzz/logs/<target>.log.
# Each log ends with libFuzzer's final stats (executions, exec/s, cov, ft,
# corpus); the script prints a one-line summary per target.
#
# FUZZ_ARGS adds libFuzzer flags, e.g. FUZZ_ARGS="-max_len=8192", or
# FUZZ_ARGS="-fork=1 -ignore_crashes=1" to keep fuzzing past a known
# finding (crashing inputs still land in fuzz/artifacts/; check them).
set -euo pipefail

cd "$(dirname "$0")/.."

secs=${1:-20}
shift || true

if ! rustup toolchain list | grep -q '^nightly'; then
    echo "fuzz.sh: installing the nightly toolchain" >&2
    rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

# The sanitizer build has its own flags: keep it out of the workspace's
# target directory (whatever CARGO_TARGET_DIR says), so neither rebuilds
# the other.
export CARGO_TARGET_DIR="$PWD/fuzz/target"

if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

# Build every target once (release, ASan, debug assertions on), then run
# the binaries directly: no rebuild between targets.
if [ ${#targets[@]} -eq 1 ]; then
    cargo +nightly fuzz build "${targets[0]}"
else
    cargo +nightly fuzz build
fi
host=$(rustc +nightly -vV | sed -n 's/^host: //p')
bin=fuzz/target/$host/release

failed=()
summary=()
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t" fuzz/logs
    seeds=()
    if [ -d "fuzz/seeds/$t" ]; then
        seeds=("fuzz/seeds/$t")
    fi
    echo "==== $t: ${secs}s"
    log=fuzz/logs/$t.log
    # -malloc_limit_mb: a single allocation over 64 MiB from inputs of at
    # most a few KiB is an over-allocation bug (the largest legitimate one
    # is the 16 MiB default frame limit reserved by the frame decoder).
    # shellcheck disable=SC2086
    if "$bin/$t" \
        -max_total_time="$secs" \
        -timeout=10 \
        -rss_limit_mb=2048 \
        -malloc_limit_mb=64 \
        -print_final_stats=1 \
        -artifact_prefix="fuzz/artifacts/$t/" \
        ${FUZZ_ARGS:-} \
        "fuzz/corpus/$t" "${seeds[@]}" >"$log" 2>&1; then
        status=ok
    else
        status=FAILED
        failed+=("$t")
        grep -E -A 30 'panicked|ERROR: libFuzzer|ERROR: AddressSanitizer' "$log" | head -60 >&2 || true
    fi
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    if [ -z "$done_line" ]; then
        # -fork mode (FUZZ_ARGS="-fork=1 -ignore_crashes=1") prints
        # `#N: cov: .. ft: .. corp: ..` lines and no final stats.
        done_line=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1 || true)
        execs=${execs:-$(sed -n 's/^#\([0-9]*\):.*/\1/p' <<<"$done_line")}
    fi
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
    corp=$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$done_line")
    line="$t: $status execs=${execs:-?} exec/s=${rate:-?} cov=${cov:-?} ft=${ft:-?} corpus=${corp:-?}"
    echo "$line"
    summary+=("$line")
done

echo
echo "==== summary (${secs}s per target)"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz.sh: findings in: ${failed[*]} (see fuzz/artifacts/ and fuzz/logs/)" >&2
    exit 1
fi
