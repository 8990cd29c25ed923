#!/usr/bin/env bash
# Instructions per request of each thread of a `storage serve --db`
# server (callgrind, `--separate-threads`) under 8 s of SETs from the work
# tree's `storage bench`: the figure docs/BENCHMARKS.md compares between
# builds, steadier than throughput on a shared machine.
#
# Usage: scripts/storage-callgrind.sh BIN [CONNS DEPTH SIZE]
#        (defaults 50 16 32; BIN: the `storage` binary whose server to
#        measure, e.g. target/release/storage)
# Prints one line per busy thread: thread 1 is the runtime's, the
# writer's is the one with the second-largest count.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:?usage: scripts/storage-callgrind.sh BIN [CONNS DEPTH SIZE]}
C=${2:-50}; D=${3:-16}; S=${4:-32}
command -v valgrind >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y valgrind; }
cargo build -q --release -p codec-examples --bin storage
LOAD=${CARGO_TARGET_DIR:-$PWD/target}/release/storage
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/db"
valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$dir/cg.out" \
    "$BIN" serve --db "$dir/db/s.redb" --listen 127.0.0.1:0 >"$dir/serve.out" 2>"$dir/serve.err" &
vp=$!
addr=
for _ in $(seq 1 200); do
    addr=$(sed -n 's/^listening on //p' "$dir/serve.out")
    [ -n "$addr" ] && break
    sleep 0.1
done
[ -n "$addr" ] || { cat "$dir/serve.err" >&2; exit 1; }
"$LOAD" bench --server "$addr" --mix 0 --size "$S" --conns "$C" --depth "$D" \
    --duration 8 --keys 1000 >"$dir/bench.out" 2>&1
# A graceful stop, so that callgrind writes its files (within 30 s).
kill -INT "$vp"
for _ in $(seq 1 300); do kill -0 "$vp" 2>/dev/null || break; sleep 0.1; done
wait "$vp" 2>/dev/null || true
# The measured SETs and the 1,000 that populate the keys first.
ops=$(( $(sed -n 's/^ops: \([0-9]*\) in.*/\1/p' "$dir/bench.out") + 1000 ))
for f in "$dir"/cg.out-*; do
    n=$(grep -m1 '^summary:\|^totals:' "$f" | awk '{print $2}')
    th=$(grep -m1 '^thread:' "$f" | awk '{print $2}')
    if [ -n "$n" ] && [ "$n" -gt 10000000 ]; then
        echo "thread $th: $n instructions, $((n / ops)) per request ($ops requests)"
    fi
done
