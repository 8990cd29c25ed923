#!/usr/bin/env bash
# mqtt-broker against mosquitto on loopback, with ONE load client for both
# (`mqtt-peer bench`: subscribers connect and subscribe, a warm-up that is
# not counted, then publishers send; messages are counted at the
# subscribers; latency is publish -> receipt, from the send time each
# payload carries).
#
# Installs mosquitto from the Debian package if it is missing, then starts
# both brokers, each its own process on 127.0.0.1 with a free port:
#
#   mqtt-broker --listen 127.0.0.1:PORT        (its defaults)
#   mosquitto -c CONF                          (listener PORT 127.0.0.1,
#                                               allow_anonymous true,
#                                               persistence false, its
#                                               defaults otherwise)
#
# Every row (pubs->subs 1->1, 1->50, 50->1; QoS 0, 1; payload 32 B, 4 KiB)
# runs ROUNDS rounds of ours, mosquitto, mosquitto, ours (A-B-B-A), so load
# from other processes falls on both sides. Prints one markdown table
# (msgs/s: the median of each side's 2 x ROUNDS runs; ratio = ours /
# mosquitto; latency: the median run's p50 and p99) and writes it with the
# raw figures to $OUT (/tmp by default): mqtt-bench.md, mqtt-bench-raw.csv.
#
# Usage: scripts/bench-mqtt.sh
#        ROUNDS=1 scripts/bench-mqtt.sh           rounds per row (default 3)
#        ROWS="1:1:1:32 1:1:1:4096" scripts/bench-mqtt.sh   pubs:subs:qos:size
#        SCALE=2 scripts/bench-mqtt.sh            messages per run x SCALE
#        BROKER_ARGS="--threads 0" scripts/bench-mqtt.sh   flags for mqtt-broker
#
# About 5 minutes on 2 cores at ROUNDS=3, plus the release build.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
SCALE=${SCALE:-1}
ROWS=${ROWS:-"1:1:0:32 1:1:0:4096 1:1:1:32 1:1:1:4096 1:50:0:32 1:50:0:4096 1:50:1:32 1:50:1:4096 50:1:0:32 50:1:0:4096 50:1:1:32 50:1:1:4096"}
OUT=${OUT:-/tmp}
mkdir -p "$OUT"
TARGET=${CARGO_TARGET_DIR:-target}
MOSQUITTO=${MOSQUITTO:-/usr/sbin/mosquitto}
BROKER_ARGS=${BROKER_ARGS:-}

log() { printf '== %s (load: %s)\n' "$*" "$(cut -d' ' -f1-3 /proc/loadavg)" >&2; }

if ! [ -x "$MOSQUITTO" ]; then
    log "installing mosquitto"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y mosquitto
fi

cargo build --release -p codec-examples --bin mqtt-broker --bin mqtt-peer
BROKER="$TARGET/release/mqtt-broker"
PEER="$TARGET/release/mqtt-peer"

# $tmp, pids, cleanup on exit, free_port.
. scripts/servers.sh

wait_port() {
    for _ in $(seq 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.05
    done
    echo "nothing listens on $1" >&2
    return 1
}

OURS=$(free_port)
# shellcheck disable=SC2086 # BROKER_ARGS is a list of flags
"$BROKER" --listen "127.0.0.1:$OURS" $BROKER_ARGS >"$tmp/ours.out" 2>"$tmp/ours.err" &
pids+=($!)
MOSQ=$(free_port)
cat >"$tmp/mosquitto.conf" <<EOF
listener $MOSQ 127.0.0.1
allow_anonymous true
persistence false
log_dest none
EOF
"$MOSQUITTO" -c "$tmp/mosquitto.conf" >"$tmp/mosq.out" 2>&1 &
pids+=($!)
wait_port "$OURS"
wait_port "$MOSQ"
log "mqtt-broker on $OURS, mosquitto on $MOSQ"

# Messages per publisher for a row: each run about a second on an idle
# machine, and the same for both brokers.
count() {
    local pubs=$1 subs=$2 qos=$3 size=$4 n
    case "$pubs:$subs:$qos" in
        1:1:0) n=100000 ;;
        1:1:1) n=20000 ;;
        1:50:0) n=4000 ;;
        1:50:1) n=2000 ;;
        50:1:0) n=1000 ;;
        50:1:1) n=600 ;;
        *) n=1000 ;;
    esac
    [ "$size" -gt 1024 ] && n=$((n / 2))
    echo $((n * SCALE))
}

raw="$OUT/mqtt-bench-raw.csv"
echo "pubs,subs,qos,size,round,broker,sent,delivered,msgs_per_s,p50_us,p99_us" >"$raw"

one() { # one BROKER PORT PUBS SUBS QOS SIZE ROUND
    local line
    line=$("$PEER" bench -h 127.0.0.1 -p "$2" --pubs "$3" --subs "$4" -q "$5" --size "$6" \
        --count "$(count "$3" "$4" "$5" "$6")" --timeout 60)
    # "... sent S delivered D msgs/s R p50 Xus p99 Yus"
    echo "$line" | awk -v b="$1" -v r="$7" -v row="$3,$4,$5,$6" '{
        for (i = 1; i < NF; i++) {
            if ($i == "sent") s = $(i+1); if ($i == "delivered") d = $(i+1);
            if ($i == "msgs/s") m = $(i+1); if ($i == "p50") p = $(i+1); if ($i == "p99") q = $(i+1);
        }
        sub(/us$/, "", p); sub(/us$/, "", q);
        print row "," r "," b "," s "," d "," m "," p "," q }' >>"$raw"
}

start=$(date +%s)
for row in $ROWS; do
    IFS=: read -r pubs subs qos size <<<"$row"
    log "row $pubs->$subs QoS $qos $size B"
    for r in $(seq "$ROUNDS"); do
        one ours "$OURS" "$pubs" "$subs" "$qos" "$size" "$r"
        one mosquitto "$MOSQ" "$pubs" "$subs" "$qos" "$size" "$r"
        one mosquitto "$MOSQ" "$pubs" "$subs" "$qos" "$size" "$r"
        one ours "$OURS" "$pubs" "$subs" "$qos" "$size" "$r"
    done
done
log "matrix done in $(($(date +%s) - start)) s"

python3 - "$raw" "$OUT/mqtt-bench.md" <<'EOF'
import csv, statistics, sys
from collections import defaultdict
runs = defaultdict(list)
for r in csv.DictReader(open(sys.argv[1])):
    runs[(int(r["pubs"]), int(r["subs"]), int(r["qos"]), int(r["size"]), r["broker"])].append(r)
def side(rs):
    rs = sorted(rs, key=lambda r: float(r["msgs_per_s"]))
    mid = rs[(len(rs) - 1) // 2]
    return (statistics.median(float(r["msgs_per_s"]) for r in rs), mid,
            min(int(r["delivered"]) for r in rs), max(int(r["sent"]) for r in rs))
lines = ["| pubs→subs | QoS | payload | ours msgs/s | mosquitto msgs/s | ratio | ours p50 / p99 ms | mosquitto p50 / p99 ms | delivered (fewest run), ours / mosquitto of expected |",
         "| --- | --- | --- | ---: | ---: | ---: | --- | --- | --- |"]
for key in sorted({k[:4] for k in runs}, key=lambda k: (k[0] * 100 + k[1] if k[0] > 1 else k[1], k[2], k[3])):
    p, s, q, z = key
    o, m = side(runs[key + ("ours",)]), side(runs[key + ("mosquitto",)])
    ms = lambda r: f'{int(r["p50_us"]) / 1000:.1f} / {int(r["p99_us"]) / 1000:.1f}'
    ratio = o[0] / m[0] if m[0] else float("inf")
    size = "32 B" if z == 32 else f"{z // 1024} KiB" if z % 1024 == 0 else f"{z} B"
    lines.append(f"| {p}→{s} | {q} | {size} | {o[0]:,.0f} | {m[0]:,.0f} | {'**' if ratio < 1 else ''}{ratio:.2f}{'**' if ratio < 1 else ''} | {ms(o[1])} | {ms(m[1])} | {o[2]:,} / {m[2]:,} of {o[3] * s:,} |")
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
EOF
