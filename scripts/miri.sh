#!/usr/bin/env bash
# Runs the `codec` runtime's tests under Miri (undefined behaviour, Stacked
# Borrows, uninitialised reads, leaks), on the nightly toolchain.
#
#     scripts/miri.sh
#
# Works on a fresh machine: installs the nightly `miri` and `rust-src`
# components if they are missing (the nightly toolchain itself is
# expected). Property tests are scaled down with PROPTEST_CASES (default
# 8 here; set it to run more).
#
# What runs (see docs/RELIABILITY.md for the reasons):
#   codec        lib unit tests, except one that opens TCP sockets (Miri
#                has no sockets) and three 1,000-frame / 2 MiB stress tests
#                (hours under Miri); doctests.
#   codec-tests  golden, roundtrip, and hostile's example-based tests: the
#                derived types of tests/src/types.rs, including the
#                `[T; N]` decoder and the owned-string decoder, which
#                hold the runtime's `unsafe` (hostile's property tests
#                pin 256 to 10,000 cases in the source, which
#                PROPTEST_CASES cannot lower).
#   codec-fuzz   tests/unsafe_paths.rs: the `[T; N]` decoder with owned
#                (heap) element types, on success and on every failure
#                path, so a double drop or leak is a Miri error.
# What does not: the `tokio`/`rpc` feature tests (tokio networking over
# TCP), codec-tests' trybuild UI tests (spawn cargo) and alloc_bound (its
# allocation budget is not meaningful under Miri's allocator), the
# examples (servers, sockets, redb files).
set -euo pipefail

cd "$(dirname "$0")/.."

if ! rustup toolchain list | grep -q '^nightly'; then
    echo "miri.sh: installing the nightly toolchain" >&2
    rustup toolchain install nightly --profile minimal
fi
installed=$(rustup component list --toolchain nightly --installed)
if ! grep -q '^miri' <<<"$installed" || ! grep -q '^rust-src' <<<"$installed"; then
    echo "miri.sh: adding the miri and rust-src components" >&2
    rustup component add miri rust-src --toolchain nightly
fi
cargo +nightly miri setup

export PROPTEST_CASES=${PROPTEST_CASES:-8}
# Proptest forks for timeouts (not under Miri) and looks up the working
# directory for its failure files (`getcwd`, which Miri's isolation
# refuses): no forks, no failure files, and isolation off.
export PROPTEST_DISABLE_FAILURE_PERSISTENCE=1
export PROPTEST_FORK=false
# Stacked Borrows (the default model) with strict provenance: the runtime
# never makes pointers from integers. Leak checking is on (the default).
export MIRIFLAGS=${MIRIFLAGS:-"-Zmiri-strict-provenance -Zmiri-disable-isolation"}

started=$SECONDS
step() {
    echo
    echo "==== [$((SECONDS - started))s] $* ===="
}

# Unit tests left out of the Miri run (all run natively in `cargo test`):
# - a real socket (TcpListener/TcpStream): Miri has no networking;
# - stress tests that push 1,000-frame streams in 64 chunk sizes and 50
#   random splittings, and a 2 MiB frame: hours under Miri, and safe code
#   whose paths the smaller frame tests (and the frame_splits fuzz target)
#   already take.
lib_skips=(
    --skip io::tests::request_response_over_loopback_tcp
    --skip frame::tests::thousand_frames_in_every_chunk_size
    --skip frame::tests::thousand_frames_in_random_splits
    --skip frame::tests::big_frame_buffer_is_released_after
)

# The `[T; N]` decoder's `unsafe` first (the owned-string decoder's is
# taken by every test below that decodes a `String`).
step "codec-fuzz: unsafe_paths ([T; N] decode with owned elements)"
cargo +nightly miri test --manifest-path fuzz/Cargo.toml --test unsafe_paths

# hostile.rs pins its property tests' case counts in the source
# (`ProptestConfig::with_cases(256 | 2_000 | 10_000)`), which
# PROPTEST_CASES cannot scale down: hours under Miri. Its example-based
# tests run; the pinned ones (prefixes_*, random_*, mutated_*, runs_*) run natively
# in `cargo test`, and the fuzz targets cover the same ground.
hostile_skips=(--skip prefixes_ --skip random_ --skip mutated_ --skip runs_)

step "codec-tests: golden, roundtrip (derived types, [T; N] decode)"
cargo +nightly miri test -p codec-tests --test golden --test roundtrip

step "codec-tests: hostile (example-based tests)"
cargo +nightly miri test -p codec-tests --test hostile -- "${hostile_skips[@]}"

step "codec: lib unit tests (minus sockets and stress tests)"
cargo +nightly miri test -p codec --lib -- "${lib_skips[@]}"

# alloc_bound: only its frame tests (the counter of bytes requested on one
# thread); the hostile-length tests' budgets are not meaningful under Miri.
step "codec-tests: protocol, alloc_bound's frame tests"
cargo +nightly miri test -p codec-tests --test protocol
cargo +nightly miri test -p codec-tests --test alloc_bound -- --skip huge_length --skip counter_sees_real_allocations

step "codec: doctests"
cargo +nightly miri test -p codec --doc

step "done: Miri found no undefined behaviour"
