#!/usr/bin/env bash
# The storage service against Redis, on loopback, with ONE load client for
# both: `storage bench`, which speaks the storage protocol and RESP with the
# same code (`--protocol resp`; redis-benchmark's model: one thread, each
# connection writes `depth` requests then reads all their replies; 1000
# keys, all stored before the measured phase).
#
# Installs redis-server and redis-tools from the Debian packages if they are
# missing, then starts four servers, each its own process on 127.0.0.1 with
# a free port and its files in one temporary directory:
#
#   storage serve --memory      against  Redis without persistence
#                                        (save "", appendonly no)
#   storage serve --db FILE     against  Redis appendonly yes +
#                                        appendfsync always
#                                        (SET, and GET: values served from
#                                        the read cache, DURABLE_OPS)
#
# For every value size (32 B, 4 KiB), connection count (1, 50), pipelining
# depth (1, 16) and operation (SET, GET; durable: DURABLE_OPS), one cell runs our
# client four times, alternating the servers A-B-B-A (storage, Redis,
# Redis, storage) so that load from other processes falls on both, then
# redis-benchmark once against the same Redis with the same -c/-P/-d/-r (so
# the client is checked in the same run: "rb" column, and our Redis figure
# over redis-benchmark's). For GET, redis-benchmark's own keys
# (key:000000000NNN) are first stored with values of the cell's size
# (one pipelined `redis-cli --pipe`), so its GETs read what ours do (a GET
# of a key never set is answered nil, a 5-byte reply, whatever -d says).
#
# Prints one markdown table (ops/s: the mean of each side's two runs; ratio
# = storage / Redis; each server's CPU time per request, user + system
# from /proc, which a busy machine disturbs less than throughput; the
# longest latency seen, a stall, for durable SET)
# and writes it with the raw figures to $OUT (docs/bench-data by default):
# redis-one-client.md, redis-one-client-raw.csv, redis-one-client-machine.txt
# (redis.md and redis-raw.csv are the earlier two-client runs, which
# scripts/plots.py still reads).
#
# Usage: scripts/bench-redis.sh
#        DUR=1 scripts/bench-redis.sh         seconds per run (default 2)
#        SIZES=32 CONNS=50 DEPTHS=16 OPS=get DURABLE=0 scripts/bench-redis.sh
#        DURABLE_OPS=get MEMORY=0 scripts/bench-redis.sh   GET on --db only
#        STORAGE_BIN=/tmp/base-storage OUT=/tmp/before scripts/bench-redis.sh
#
# About 8 minutes on 2 cores at DUR=2, plus the release build of `storage`.
set -euo pipefail
cd "$(dirname "$0")/.."

DUR=${DUR:-2}
SIZES=${SIZES:-"32 4096"}
CONNS=${CONNS:-"1 50"}
DEPTHS=${DEPTHS:-"1 16"}
OPS=${OPS:-"set get"}
MEMORY=${MEMORY:-1}
DURABLE=${DURABLE:-1}
DURABLE_OPS=${DURABLE_OPS:-"set get"}
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

# STORAGE_BIN=path: measure that `storage` binary (server and client)
# instead of building this tree's, e.g. a base commit's copy for a
# before/after pair of runs.
if [ -n "${STORAGE_BIN:-}" ]; then
    STORAGE=$STORAGE_BIN
else
    cargo build --release -p codec-examples --bin storage
    STORAGE="$TARGET/release/storage"
fi
"$STORAGE" bench --help | grep -q -- --protocol

# $tmp, pids, cleanup on exit, free_port.
. scripts/servers.sh

# start_redis NAME [redis-server options...]: starts Redis, prints its port.
start_redis() {
    local name=$1 port
    shift
    port=$(free_port)
    mkdir -p "$tmp/$name"
    redis-server --bind 127.0.0.1 --port "$port" --dir "$tmp/$name" \
        --daemonize no --logfile "$tmp/$name/redis.log" "$@" &
    pids+=("$!")
    REDIS_PID=$!
    for _ in $(seq 100); do
        redis-cli -p "$port" ping >/dev/null 2>&1 && { REDIS_PORT=$port; return 0; }
        sleep 0.1
    done
    echo "redis did not start:" >&2
    cat "$tmp/$name/redis.log" >&2
    exit 1
}

# start_storage NAME [serve options...]: starts `storage serve`, sets
# STORAGE_ADDR.
start_storage() {
    local name=$1
    shift
    mkdir -p "$tmp/$name"
    "$STORAGE" serve --listen 127.0.0.1:0 "$@" >"$tmp/$name/out" 2>"$tmp/$name/err" &
    pids+=("$!")
    STORAGE_PID=$!
    for _ in $(seq 100); do
        STORAGE_ADDR=$(sed -n 's/^listening on //p' "$tmp/$name/out")
        [ -n "$STORAGE_ADDR" ] && return 0
        sleep 0.1
    done
    echo "storage did not start:" >&2
    cat "$tmp/$name/err" >&2
    exit 1
}

# cpu_ticks PID: the process's user + system time, in clock ticks.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# ours ADDR PROTOCOL OP SIZE CONNS DEPTH PID: "ops/s,p50 ms,p99 ms,max ms,
# server CPU µs per request" of one `storage bench` run against the server
# PID.
ours() {
    local addr=$1 proto=$2 op=$3 size=$4 conns=$5 depth=$6 pid=$7 mix out t0 t1
    mix=$([ "$op" = set ] && echo 0 || echo 1)
    t0=$(cpu_ticks "$pid")
    out=$("$STORAGE" bench --server "$addr" --protocol "$proto" --conns "$conns" \
        --depth "$depth" --size "$size" --mix "$mix" --duration "$DUR" --keys "$KEYS" 2>&1) || {
        echo "storage bench failed against $addr ($proto):" >&2
        echo "$out" >&2
        exit 1
    }
    t1=$(cpu_ticks "$pid")
    local rate lat n
    rate=$(sed -n 's/^ops: .* = \([0-9.]*\) ops\/s.*/\1/p' <<<"$out")
    n=$(sed -n 's/^ops: \([0-9]*\) in .*/\1/p' <<<"$out")
    lat=$(sed -n 's/^latency: p50 \([0-9.]*\) ms  p99 \([0-9.]*\) ms  p999 [0-9.]* ms  max \([0-9.]*\) ms/\1,\2,\3/p' <<<"$out")
    echo "$rate,$lat,$(python3 -c "print(f'{($t1 - $t0) * 1e6 / $(getconf CLK_TCK) / max($n, 1):.3f}')")"
}

# rb_keys PORT SIZE: stores redis-benchmark's keys (-r $KEYS) with values
# of SIZE bytes, in one pipeline (quick even with appendfsync always).
rb_keys() {
    python3 -c "
import sys
v = 'x' * $2
sys.stdout.write(''.join(
    f'*3\r\n\$3\r\nSET\r\n\$16\r\nkey:{i:012d}\r\n\${len(v)}\r\n{v}\r\n'
    for i in range($KEYS)))" | redis-cli -p "$1" --pipe >/dev/null
}

# rb PORT OP SIZE CONNS DEPTH N: requests/s of one redis-benchmark test of
# N requests (for GET, of keys stored by rb_keys).
rb() {
    local port=$1 op=$2 size=$3 conns=$4 depth=$5 n=$6
    [ "$op" = get ] && rb_keys "$port" "$size"
    redis-benchmark -h 127.0.0.1 -p "$port" -t "$op" -d "$size" -c "$conns" \
        -P "$depth" -r "$KEYS" -n "$n" -q --csv |
        awk -F'"' 'NR > 1 && $2 == toupper("'"$op"'") { print $4 }'
}

raw="$OUT/redis-one-client-raw.csv"
machine="$OUT/redis-one-client-machine.txt"
echo "pair,size,conns,depth,op,run,client,server,ops_per_s,p50_ms,p99_ms,max_ms,server_cpu_us" >"$raw"
{
    echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty)"
    echo "storage binary: ${STORAGE_BIN:-built from this tree}"
    echo "nproc: $(nproc)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "redis: $(redis-server --version)"
    echo "seconds per run: $DUR"
    echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$machine"

# matrix PAIR STORAGE_ADDR REDIS_PORT OPS STORAGE_PID REDIS_PID
matrix() {
    local pair=$1 saddr=$2 rport=$3 ops=$4 spid=$5 rpid=$6
    for size in $SIZES; do for conns in $CONNS; do for depth in $DEPTHS; do for op in $ops; do
        local cell="$pair,$size,$conns,$depth,$op" rsum=0 r
        for run in 1 2 3 4; do
            if [ "$run" = 1 ] || [ "$run" = 4 ]; then
                r=$(ours "$saddr" storage "$op" "$size" "$conns" "$depth" "$spid")
                echo "$cell,$run,storage-bench,storage,$r" >>"$raw"
            else
                r=$(ours "127.0.0.1:$rport" resp "$op" "$size" "$conns" "$depth" "$rpid")
                echo "$cell,$run,storage-bench,redis,$r" >>"$raw"
                rsum=$(python3 -c "print($rsum + ${r%%,*})")
            fi
            log "$pair $op ${size}B c$conns d$depth run $run: $r"
        done
        local n
        n=$(python3 -c "print(max(2000, int($rsum / 2 * $DUR)))")
        r=$(rb "$rport" "$op" "$size" "$conns" "$depth" "$n")
        echo "$cell,5,redis-benchmark,redis,$r,,,," >>"$raw"
        log "$pair $op ${size}B c$conns d$depth redis-benchmark: $r"
    done; done; done; done
}

if [ "$MEMORY" = 1 ]; then
    start_storage memory --memory
    start_redis redis --save "" --appendonly no
    matrix memory "$STORAGE_ADDR" "$REDIS_PORT" "$OPS" "$STORAGE_PID" "$REDIS_PID"
fi
if [ "$DURABLE" = 1 ]; then
    start_storage durable --db "$tmp/durable/storage.redb"
    start_redis redis-aof --save "" --appendonly yes --appendfsync always
    matrix durable "$STORAGE_ADDR" "$REDIS_PORT" "$DURABLE_OPS" "$STORAGE_PID" "$REDIS_PID"
fi

echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$machine"

python3 - "$raw" <<'PY' | tee "$OUT/redis-one-client.md"
import csv, sys
from collections import defaultdict
runs = defaultdict(list)
for r in csv.DictReader(open(sys.argv[1])):
    key = (r["pair"], int(r["size"]), int(r["conns"]), int(r["depth"]), r["op"])
    runs[key].append(r)
def k(x):
    return f"{x / 1000:,.1f}k" if x < 1e6 else f"{x / 1e6:,.2f}M"
def side(rows, client, server):
    return [r for r in rows if r["client"] == client and r["server"] == server]
def mean(rows, col):
    xs = [float(r[col]) for r in rows if r[col]]
    return sum(xs) / len(xs) if xs else 0.0
def top(rows, col):
    return max((float(r[col]) for r in rows if r[col]), default=0.0)
print("| pair | value | conns × depth | op | storage | Redis | ratio | CPU µs/op storage / Redis | redis-benchmark | ours/rb | max ms storage / Redis |")
print("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for key in sorted(runs, key=lambda c: (c[0] != "memory", c[1], c[2], c[3], c[4] == "get")):
    pair, size, conns, depth, op = key
    rows = runs[key]
    s, r = side(rows, "storage-bench", "storage"), side(rows, "storage-bench", "redis")
    b = side(rows, "redis-benchmark", "redis")
    sv, rv, bv = mean(s, "ops_per_s"), mean(r, "ops_per_s"), mean(b, "ops_per_s")
    ratio = sv / rv if rv else 0
    mark = f"**{ratio:.2f}**" if ratio < 1.0 else f"{ratio:.2f}"
    check = f"{rv / bv:.2f}" if bv else "-"
    stall = f"{top(s, 'max_ms'):.1f} / {top(r, 'max_ms'):.1f}"
    cpu = f"{mean(s, 'server_cpu_us'):.2f} / {mean(r, 'server_cpu_us'):.2f}"
    print(f"| {pair} | {size} B | {conns} × {depth} | {op.upper()} | {k(sv)} | {k(rv)} | {mark} "
          f"| {cpu} | {k(bv)} | {check} | {stall} |")
print()
print("ops/s, the mean of each side's two runs (A-B-B-A, one client: `storage bench`,"
      " `--protocol resp` for Redis); ratio = storage / Redis, **bold** under 1.0;"
      " CPU µs/op = the server process's user + system time per request (from /proc);"
      " ours/rb = our client's Redis figure / redis-benchmark's in the same cell;"
      " max ms = the longest latency in either run.")
PY
log "done: $OUT/redis-one-client.md"
