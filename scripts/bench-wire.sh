#!/usr/bin/env bash
# Runs the codec benchmarks and writes their results under docs/bench-data/:
#
#   wire     the derive against hand-written byteorder (criterion), per run
#   peers    the derive against speedy, binrw, deku, bin-proto, scroll,
#            bincode 2 and postcard (criterion, per run; then round-robin
#            timing and callgrind instruction counts, which hold up under
#            load from other processes)
#   frames   frame decoding against tokio-util's LengthDelimitedCodec
#   rpc      codec::rpc round trips against hand-written tokio code
#
# Usage: scripts/bench-wire.sh            (RUNS=2 criterion runs by default)
#        RUNS=3 OUT=/tmp/bench scripts/bench-wire.sh
#        SKIP_CALLGRIND=1 scripts/bench-wire.sh
#
# Then `python3 scripts/plots.py` redraws docs/*.svg from docs/bench-data/.
# Takes about 25 minutes on 2 cores (callgrind alone about 5).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-2}
OUT=${OUT:-docs/bench-data}
TARGET=${CARGO_TARGET_DIR:-target}
CRIT=(--warm-up-time 1 --measurement-time 3)
LOGS="$TARGET/bench-logs"
mkdir -p "$OUT" "$LOGS"

# bench NAME LOG: one criterion benchmark, its output kept in LOG; prints
# its placement notes and warnings, and stops the script if it fails.
bench() {
    if ! cargo bench -p codec-benches --bench "$1" -- "${CRIT[@]}" >"$2" 2>&1; then
        tail -40 "$2" >&2
        echo "bench $1 failed: see $2" >&2
        exit 1
    fi
    grep -E '^(placement|warning|peers/.*not run)' "$2" >&2 || true
}

log() { printf '== %s (load: %s)\n' "$*" "$(cut -d' ' -f1-3 /proc/loadavg)" >&2; }

{
    echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "nproc: $(nproc)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "rustc: $(rustc --version)"
    echo "commit: $(git rev-parse --short HEAD) ($(git status --porcelain codec codec-derive benches | wc -l) changed files in codec, codec-derive, benches)"
    echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT/machine.txt"

cargo build --profile bench -p codec-benches --bins
OPS="$TARGET/release/peers-ops"

csv="$OUT/peers.csv"
echo "method,run,routine,message,name,value" >"$csv"
for run in $(seq 1 "$RUNS"); do
    log "wire, run $run"
    bench wire "$LOGS/wire-run$run.log"
    "$TARGET/release/bench-table" "$TARGET/criterion" | grep -v '^| peers/' >"$OUT/wire-run$run.md"
    log "peers, run $run"
    bench peers "$LOGS/peers-run$run.log"
    "$OPS" criterion "$TARGET/criterion" "$run" >>"$csv"
    echo "load after run $run: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"
done

for run in 1 2 3; do
    log "peers, round-robin, run $run"
    "$OPS" rr 301 "$run" >>"$csv"
done
if [ -z "${SKIP_CALLGRIND:-}" ]; then
    log "peers, callgrind"
    "$OPS" callgrind 1000 >>"$csv"
fi
"$OPS" report "$csv" >"$OUT/peers.md"

log "frames"
cargo bench -p codec-benches --bench frames -- "${CRIT[@]}" >/dev/null 2>&1
python3 - "$TARGET/criterion" >"$OUT/frames.csv" <<'EOF'
import json, sys, pathlib
root = pathlib.Path(sys.argv[1]) / "frames"
print("name,median_ns,elements")
for d in sorted(root.iterdir()):
    est = d / "new" / "estimates.json"
    if est.exists():
        median = json.loads(est.read_text())["median"]["point_estimate"]
        print(f"{d.name},{median:.0f},10000")
EOF

log "rpc"
cargo bench -p codec-benches --bench rpc 2>/dev/null | tee "$OUT/rpc.txt"

echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"
log "done: $OUT"
