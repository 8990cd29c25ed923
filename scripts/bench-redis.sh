#!/usr/bin/env bash
# The storage service against Redis, on loopback, in one run.
#
# Installs redis-server and redis-tools from the Debian packages if they are
# missing, then for every value size (32 B, 4 KiB), connection count (1, 50)
# and pipelining depth (1, 16):
#
#   Redis, default configuration      redis-benchmark -t set,get
#   storage serve --memory            storage bench --mix 0 (SET), --mix 1 (GET)
#   Redis, appendonly yes +
#          appendfsync always         redis-benchmark -t set,get
#   storage serve --db FILE           storage bench --mix 0 / --mix 1
#
# Every server is a separate process on 127.0.0.1 with a free port and its
# files in a temporary directory (on the same file system for both); every
# client is a separate process, as redis-benchmark is. Both spread the load
# over 1000 keys (`-r 1000` / `--keys 1000`). Prints one markdown table
# (ops/s, and storage / Redis), and writes it with the raw figures to
# $OUT (docs/bench-data by default).
#
# Usage: scripts/bench-redis.sh
#        DUR=3 scripts/bench-redis.sh         seconds per cell (default 2)
#        SIZES=32 CONNS=50 DEPTHS=16 scripts/bench-redis.sh
#
# About 6 minutes on 2 cores, plus the release build of `storage`.
set -euo pipefail
cd "$(dirname "$0")/.."

DUR=${DUR:-2}
SIZES=${SIZES:-"32 4096"}
CONNS=${CONNS:-"1 50"}
DEPTHS=${DEPTHS:-"1 16"}
KEYS=1000
OUT=${OUT:-docs/bench-data}
TARGET=${CARGO_TARGET_DIR:-target}
mkdir -p "$OUT"

log() { printf '== %s (load: %s)\n' "$*" "$(cut -d' ' -f1-3 /proc/loadavg)" >&2; }

if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
    log "installing redis-server and redis-tools"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server redis-tools
fi

cargo build --release -p codec-examples --bin storage
STORAGE="$TARGET/release/storage"
"$STORAGE" bench --help >/dev/null

tmp=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_redis NAME [redis-server options...]: starts Redis, sets REDIS_PORT
# and REDIS_PID.
start_redis() {
    local name=$1
    shift
    REDIS_PORT=$(free_port)
    mkdir -p "$tmp/$name"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$tmp/$name" \
        --daemonize no --logfile "$tmp/$name/redis.log" "$@" &
    REDIS_PID=$!
    pids+=("$REDIS_PID")
    for _ in $(seq 100); do
        redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "redis did not start:" >&2
    cat "$tmp/$name/redis.log" >&2
    exit 1
}

stop_redis() {
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    wait "$REDIS_PID" 2>/dev/null || true
}

# start_storage NAME [serve options...]: starts `storage serve`, sets
# STORAGE_ADDR and STORAGE_PID.
start_storage() {
    local name=$1
    shift
    mkdir -p "$tmp/$name"
    "$STORAGE" serve --listen 127.0.0.1:0 "$@" >"$tmp/$name/out" 2>"$tmp/$name/err" &
    STORAGE_PID=$!
    pids+=("$STORAGE_PID")
    for _ in $(seq 100); do
        STORAGE_ADDR=$(sed -n 's/^listening on //p' "$tmp/$name/out")
        [ -n "$STORAGE_ADDR" ] && return 0
        sleep 0.1
    done
    echo "storage did not start:" >&2
    cat "$tmp/$name/err" >&2
    exit 1
}

stop_storage() {
    kill -TERM "$STORAGE_PID" 2>/dev/null || true
    wait "$STORAGE_PID" 2>/dev/null || true
}

# redis_rate TEST SIZE CONNS DEPTH: requests/s of one redis-benchmark test,
# sized to run about DUR seconds from a short probe run.
redis_rate() {
    local test=$1 size=$2 conns=$3 depth=$4 n rate
    run() {
        redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -t "$test" -d "$size" -c "$conns" \
            -P "$depth" -r "$KEYS" -n "$1" -q --csv |
            awk -F'"' 'NR > 1 && $2 == toupper("'"$test"'") { print $4 }'
    }
    rate=$(run 2000)
    n=$(python3 -c "print(max(2000, int($rate * $DUR)))")
    run "$n"
}

# storage_rate MIX SIZE CONNS DEPTH: ops/s of one `storage bench` run.
storage_rate() {
    local mix=$1 size=$2 conns=$3 depth=$4
    "$STORAGE" bench --server "$STORAGE_ADDR" --conns "$conns" --depth "$depth" \
        --size "$size" --mix "$mix" --duration "$DUR" --keys "$KEYS" 2>/dev/null |
        sed -n 's/^ops: .* = \([0-9.]*\) ops\/s.*/\1/p'
}

raw="$OUT/redis-raw.csv"
echo "server,size,conns,depth,op,ops_per_s" >"$raw"
{
    echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "nproc: $(nproc)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "redis: $(redis-server --version)"
    echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/redis-machine.txt"

measure_redis() {
    local label=$1
    for size in $SIZES; do for conns in $CONNS; do for depth in $DEPTHS; do
        for op in set get; do
            rate=$(redis_rate "$op" "$size" "$conns" "$depth")
            echo "$label,$size,$conns,$depth,$op,$rate" >>"$raw"
            log "$label $op ${size}B c$conns P$depth: $rate"
        done
    done; done; done
}

measure_storage() {
    local label=$1
    for size in $SIZES; do for conns in $CONNS; do for depth in $DEPTHS; do
        for op in set get; do
            mix=$([ "$op" = set ] && echo 0 || echo 1)
            rate=$(storage_rate "$mix" "$size" "$conns" "$depth")
            echo "$label,$size,$conns,$depth,$op,$rate" >>"$raw"
            log "$label $op ${size}B c$conns d$depth: $rate"
        done
    done; done; done
}

start_redis redis
measure_redis redis
stop_redis

start_storage memory --memory
measure_storage storage-memory
stop_storage

start_redis redis-aof --appendonly yes --appendfsync always
measure_redis redis-aof
stop_redis

start_storage durable --db "$tmp/durable/storage.redb"
measure_storage storage-durable
stop_storage

echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/redis-machine.txt"

python3 - "$raw" <<'EOF' | tee "$OUT/redis.md"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
rate = {(r["server"], r["size"], r["conns"], r["depth"], r["op"]): float(r["ops_per_s"] or 0) for r in rows}
cells = sorted({(r["size"], r["conns"], r["depth"], r["op"]) for r in rows},
               key=lambda c: (int(c[0]), int(c[1]), int(c[2]), c[3] == "get"))
def k(x):
    return f"{x / 1000:,.1f}k" if x < 1e6 else f"{x / 1e6:,.2f}M"
def ratio(a, b, target):
    if not b:
        return "-"
    r = a / b
    return f"**{r:.2f}**" if target and r < 1.0 else f"{r:.2f}"
print("| value | conns | depth | op | Redis | storage --memory | ratio | Redis AOF always | storage durable | ratio |")
print("| ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for size, conns, depth, op in cells:
    r, m = rate[("redis", size, conns, depth, op)], rate[("storage-memory", size, conns, depth, op)]
    ra, d = rate[("redis-aof", size, conns, depth, op)], rate[("storage-durable", size, conns, depth, op)]
    print(f"| {size} B | {conns} | {depth} | {op.upper()} | {k(r)} | {k(m)} | {ratio(m, r, True)} "
          f"| {k(ra)} | {k(d)} | {ratio(d, ra, op == 'set')} |")
print()
print("ops/s; ratio = storage / Redis, **bold** where a target (memory: every row;"
      " durable: SET) is missed.")
EOF
log "done: $OUT/redis.md"
