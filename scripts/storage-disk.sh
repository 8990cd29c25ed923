#!/usr/bin/env bash
# Bytes on disk per key: N keys (default 1,000,000) of 32-byte values
# stored through `storage serve --db` by `storage bench`, measured after a
# clean stop (a checkpoint: the log is empty), after `storage compact`, and
# across ROUNDS rounds of overwriting every key for a few seconds and then
# a SIGKILL (each restart replays the log and lets redb repair the file;
# opening compacts the file when it is mostly free pages).
#
# Prints one markdown table: file bytes, bytes per key, and the target
# 2 x (key + value + 32).
#
# Usage: scripts/storage-disk.sh
#        N=100000 ROUNDS=3 scripts/storage-disk.sh
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-1000000}
ROUNDS=${ROUNDS:-5}
SIZE=32
TARGET=${CARGO_TARGET_DIR:-target}
cargo build --release -p codec-examples --bin storage
STORAGE="$TARGET/release/storage"

tmp=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
db="$tmp/storage.redb"

start() {
    "$STORAGE" serve --listen 127.0.0.1:0 --db "$db" >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    for _ in $(seq 600); do
        addr=$(sed -n 's/^listening on //p' "$tmp/out")
        [ -n "$addr" ] && return 0
        sleep 0.1
    done
    cat "$tmp/err" >&2
    exit 1
}
stop() { kill -"$1" "$pid"; wait "$pid" 2>/dev/null || true; pid=; }
bytes() { stat -c %s "$db"; }
# The log is two files used in turn: <db>.wal and <db>.wal.1.
wal() { cat "$db.wal" "$db.wal.1" 2>/dev/null | wc -c; }
load() {
    "$STORAGE" bench --server "$addr" --keys "$N" --size "$SIZE" --mix 0 \
        --conns 8 --depth 16 --duration "$1" | sed -n 's/^ops: /  /p' >&2
}

key_len=$(printf 'bench/%07d' 0 | wc -c)
target=$(( 2 * (key_len + SIZE + 32) ))
rows=()
row() { rows+=("| $1 | $2 | $3 | $(python3 -c "print(f'{$2 / $N:.1f}')") |"); }

echo "== storing $N keys" >&2
start
load 0.5
stop TERM
row "after storing, clean stop (checkpoint)" "$(bytes)" "$(wal)"
"$STORAGE" compact "$db" >&2
row "after \`storage compact\`" "$(bytes)" "$(wal)"
for r in $(seq "$ROUNDS"); do
    start
    load 3
    stop 9
    row "round $r: overwrites for 3 s, then SIGKILL" "$(bytes)" "$(wal)"
done
start
stop TERM
row "restart (log replayed; compacted if mostly free), clean stop" "$(bytes)" "$(wal)"

echo "| $N keys of $SIZE B | database bytes | log bytes | bytes per key |"
echo "| --- | ---: | ---: | ---: |"
printf '%s\n' "${rows[@]}"
echo
echo "target: 2 x (key $key_len + value $SIZE + 32) = $target bytes per key"
