#!/usr/bin/env bash
# Soak test of the storage server: load for SECONDS (default 600) while the
# server is SIGKILLed and restarted on the same database every KILL_EVERY
# seconds (default 30); then every store acknowledged SUCCESS must be
# present with the right bytes. Server RSS is sampled every second into
# $OUT/rss.csv (OUT defaults to a temp dir) and summarised at the end.
#
#     scripts/soak.sh [SECONDS] [KILL_EVERY]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-600}
kill_every=${2:-30}
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
db="$out/soak.redb"
log="$out/acked.log"
rss="$out/rss.csv"

cargo build --release -q -p codec-examples --bin storage --bin storage-soak
bin=${CARGO_TARGET_DIR:-target}/release

server_pid=
addr=
# Starts the server (in this shell, so `server_pid` is kept) and sets
# `addr` from its `listening on` line.
start_server() {
    : >"$out/server.out"
    "$bin/storage" serve --listen "$1" --db "$db" >"$out/server.out" 2>>"$out/server.err" &
    server_pid=$!
    echo "$server_pid" >"$out/server.pid"
    # After a SIGKILL, redb checks and repairs the file on open: allow for
    # that on a large database.
    for _ in $(seq 1 2400); do
        addr=$(sed -n 's/^listening on //p' "$out/server.out" | head -n 1)
        [ -n "$addr" ] && return
        sleep 0.05
    done
    echo "server did not start" >&2
    exit 1
}
cleanup() {
    [ -n "${server_pid}" ] && kill -9 "$server_pid" 2>/dev/null || true
    [ -n "${load_pid:-}" ] && kill "$load_pid" 2>/dev/null || true
    [ -n "${sampler_pid:-}" ] && kill "$sampler_pid" 2>/dev/null || true
}
trap cleanup EXIT

start_server 127.0.0.1:0
echo "server on $addr, results in $out"
echo "kill,db_bytes,acked" >"$out/disk.csv"

echo "t,rss_kib" >"$rss"
(
    t=0
    while true; do
        pid=$(cat "$out/server.pid" 2>/dev/null || true)
        if [ -n "$pid" ] && [ -e "/proc/$pid/status" ]; then
            kib=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo "")
            [ -n "$kib" ] && echo "$t,$kib" >>"$rss"
        fi
        t=$((t + 1))
        sleep 1
    done
) &
sampler_pid=$!

"$bin/storage-soak" load --server "$addr" --log "$log" --duration "$seconds" \
    --conns "${CONNS:-2}" --depth "${DEPTH:-4}" &
load_pid=$!

kills=0
deadline=$((SECONDS + seconds))
while [ $SECONDS -lt $deadline ]; do
    sleep "$kill_every"
    [ $SECONDS -ge $deadline ] && break
    kill -9 "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    kills=$((kills + 1))
    echo "$kills,$(stat -c %s "$db"),$(wc -l <"$log")" >>"$out/disk.csv"
    start_server "$addr"
done
wait "$load_pid"
load_pid=

# Verify against a freshly restarted server on the same file.
kill -9 "$server_pid"
wait "$server_pid" 2>/dev/null || true
start_server "$addr"
"$bin/storage-soak" verify --server "$addr" --log "$log"
kill "$sampler_pid" 2>/dev/null || true
sampler_pid=

echo "kills: $kills"
# The database file at each kill (before the restart's repair) and after
# the final clean start: bytes, and bytes per acknowledged store (each
# store is a fresh key).
echo "database bytes at each kill (bytes per acknowledged key):" $(awk -F, 'NR > 1 && $3 > 0 { printf "%.0f (%.0f) ", $2, $2 / $3 }' "$out/disk.csv")
echo "database bytes after verifying: $(stat -c %s "$db") for $(wc -l <"$log") acknowledged stores"
# The peak RSS of each server lifetime (one per restart window): flat means
# no growth from window to window beyond the database's own growth.
tail -n +2 "$rss" | awk -F, -v w="$kill_every" '
    { win = int($1 / w); if ($2 > max[win]) max[win] = $2; if (win > last) last = win }
    END { printf "peak server RSS per %ss window (KiB):", w; for (i = 0; i <= last; i++) printf " %d", max[i]; printf "\n" }'
# RSS after warm-up (first 30 s dropped): min, median, max in KiB.
tail -n +2 "$rss" | awk -F, '$1 >= 30 {print $2}' | sort -n | awk '
    { v[NR] = $1 }
    END { if (NR) printf "server RSS after warm-up: min %d KiB, median %d KiB, max %d KiB (%d samples)\n", v[1], v[int((NR+1)/2)], v[NR], NR }'
