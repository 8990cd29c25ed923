#!/usr/bin/env bash
# The storage server of a base commit (A) against the work tree's (B), with
# the same load client (the work tree's `storage bench`), cells alternating
# A B B A so that load from other processes falls on both.
#
# Usage: scripts/storage-ab.sh BASE            (DUR=3 seconds a run)
#        OUT=/tmp/sab DUR=5 scripts/storage-ab.sh 7996b30
#
# Prints a markdown table: per cell, the median ops/s of A's and of B's
# two runs, and B/A. About 2 minutes plus the two builds.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE=${1:?usage: scripts/storage-ab.sh BASE}
DUR=${DUR:-3}
OUT=${OUT:-target/storage-ab}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
base_tree="$OUT/base-tree"
if [ ! -d "$base_tree" ]; then
    git worktree add --detach "$base_tree" "$BASE" >/dev/null
else
    git -C "$base_tree" checkout --detach -q "$BASE"
fi

echo "== building A ($BASE) and B (work tree at $(git rev-parse --short HEAD))" >&2
(cd "$base_tree" && CARGO_TARGET_DIR="$OUT/target-a" cargo build -q --release -p codec-examples --bin storage)
cargo build -q --release -p codec-examples --bin storage
bin_a="$OUT/target-a/release/storage"
bin_b="${CARGO_TARGET_DIR:-$PWD/target}/release/storage"

pid=
stop() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; pid=; }
trap stop EXIT

# rate SIDE ENGINE MIX SIZE CONNS DEPTH: ops/s of one run against a fresh
# server of SIDE (`memory`, or `db`: a new database file).
rate() {
    local bin=$bin_a engine=(--memory)
    [ "$1" = b ] && bin=$bin_b
    if [ "$2" = db ]; then
        rm -rf "$OUT/db" && mkdir -p "$OUT/db"
        engine=(--db "$OUT/db/storage.redb")
    fi
    "$bin" serve "${engine[@]}" --listen 127.0.0.1:0 >"$OUT/serve.out" 2>"$OUT/serve.err" &
    pid=$!
    local addr=
    for _ in $(seq 1 100); do
        addr=$(sed -n 's/^listening on //p' "$OUT/serve.out")
        [ -n "$addr" ] && break
        sleep 0.1
    done
    [ -n "$addr" ] || { cat "$OUT/serve.err" >&2; exit 1; }
    local ops
    ops=$("$bin_b" bench --server "$addr" --mix "$3" --size "$4" --conns "$5" --depth "$6" \
        --duration "$DUR" --keys 1000 2>>"$OUT/bench.err" |
        sed -n 's/^ops: .* = \([0-9.]*\) ops\/s.*/\1/p')
    stop
    if [ -z "$ops" ]; then
        echo "storage bench against $1 ($*) reported nothing: see $OUT/bench.err" >&2
        exit 1
    fi
    echo "$ops"
}

echo "| engine | op | size | conns x depth | A ops/s | B ops/s | B/A |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
while read -r engine mix size conns depth; do
    a1=$(rate a "$engine" "$mix" "$size" "$conns" "$depth")
    b1=$(rate b "$engine" "$mix" "$size" "$conns" "$depth")
    b2=$(rate b "$engine" "$mix" "$size" "$conns" "$depth")
    a2=$(rate a "$engine" "$mix" "$size" "$conns" "$depth")
    op=SET
    [ "$mix" = 1 ] && op=GET
    python3 - "$engine" "$op" "$size" "$conns" "$depth" "$a1" "$a2" "$b1" "$b2" <<'EOF'
import sys
e, op, size, c, d, a1, a2, b1, b2 = sys.argv[1:]
a = (float(a1) + float(a2)) / 2
b = (float(b1) + float(b2)) / 2
print(f"| {e} | {op} | {size} | {c} x {d} | {a:,.0f} | {b:,.0f} | {b / a:.2f} |")
EOF
done <<'CELLS'
memory 0 32 1 1
memory 0 32 50 16
memory 1 32 50 16
memory 1 4096 50 16
db 0 32 1 1
db 0 32 50 16
db 0 4096 50 16
CELLS
