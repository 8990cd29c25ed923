#!/usr/bin/env bash
# Before/after benchmarks of two commits, side by side on this machine:
# the criterion benchmarks `wire`, `frames` and the derive's and the
# hand-written rows of `peers` of BASE (A) and of the work tree (B), run in
# turns (A B, then B A, ...) so that load from other processes falls on
# both; then round-robin timing of both (`peers-ops rr`: the derive and
# hand-written code timed in turns in one process, A B B A), and callgrind
# instruction counts of both (`peers-ops callgrind`), which load does not
# move at all. The hand-written rows are the same code in A and B: how much
# they move between A and B is the noise (load, code placement) to read
# the derive's rows against.
#
# Usage: scripts/bench-ab.sh BASE [ROUNDS]      (ROUNDS=2 by default)
#        OUT=/tmp/ab scripts/bench-ab.sh 7996b30 3
#
# Prints markdown tables: per criterion benchmark the median of A's and
# of B's per-round medians and B/A; per round-robin cell derive/hand in A
# and in B; per callgrind cell A's and B's instructions. Takes about 8
# minutes a round on 2 cores, plus the two builds.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE=${1:?usage: scripts/bench-ab.sh BASE [ROUNDS]}
ROUNDS=${2:-2}
OUT=${OUT:-target/bench-ab}
CRIT=(--bench --warm-up-time 1 --measurement-time 3)
BENCHES=(wire frames peers)
PEERS_FILTER='^peers/.*/(derive|hand)$'

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -rf "$OUT"/crit-* "$OUT"/rr-*.csv
base_tree="$OUT/base-tree"
if [ ! -d "$base_tree" ]; then
    git worktree add --detach "$base_tree" "$BASE" >/dev/null
else
    git -C "$base_tree" checkout --detach -q "$BASE"
fi

# build DIR TARGET: the bench executables of the tree in DIR, one per
# line as `name path`, and the peers-ops binary.
build() {
    (cd "$1" && CARGO_TARGET_DIR="$2" cargo build -q --profile bench -p codec-benches --bins)
    (cd "$1" && CARGO_TARGET_DIR="$2" cargo bench -q -p codec-benches --no-run \
        --message-format=json 2>/dev/null) |
        python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") \
            and "bench" in m["target"]["kind"]:
        print(m["target"]["name"], m["executable"])
'
}

echo "== building A ($BASE) and B (work tree at $(git rev-parse --short HEAD))" >&2
build "$base_tree" "$OUT/target-a" >"$OUT/a.exes"
build "$PWD" "${CARGO_TARGET_DIR:-$PWD/target}" >"$OUT/b.exes"
ops_a="$OUT/target-a/release/peers-ops"
ops_b="${CARGO_TARGET_DIR:-$PWD/target}/release/peers-ops"

exe() { awk -v n="$2" '$1 == n { print $2 }' "$OUT/$1.exes"; }

run() { # run SIDE ROUND
    for b in "${BENCHES[@]}"; do
        local filter=()
        [ "$b" = peers ] && filter=("$PEERS_FILTER")
        echo "== $1 round $2: $b (load $(cut -d' ' -f1 /proc/loadavg))" >&2
        CRITERION_HOME="$OUT/crit-$1-$2" "$(exe "$1" "$b")" "${CRIT[@]}" "${filter[@]}" \
            >"$OUT/log-$1-$2-$b.txt" 2>&1
    done
}

for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then run a "$r"; run b "$r"; else run b "$r"; run a "$r"; fi
done

for r in $(seq 1 "$ROUNDS"); do
    echo "== round-robin, round $r" >&2
    for side in a b b a; do
        ops=$ops_a
        [ "$side" = b ] && ops=$ops_b
        "$ops" rr 301 "$r" >>"$OUT/rr-$side.csv" 2>/dev/null
    done
done

echo "== callgrind A and B" >&2
"$ops_a" callgrind 1000 >"$OUT/callgrind-a.csv"
"$ops_b" callgrind 1000 >"$OUT/callgrind-b.csv"

python3 - "$OUT" "$ROUNDS" <<'EOF'
import csv, json, pathlib, statistics, sys
out, rounds = pathlib.Path(sys.argv[1]), int(sys.argv[2])

def medians(side):
    """benchmark id -> its median per round (ns)"""
    found = {}
    for r in range(1, rounds + 1):
        root = out / f"crit-{side}-{r}"
        for est in root.glob("**/new/estimates.json"):
            bench = est.parent.parent.relative_to(root).as_posix()
            found.setdefault(bench, []).append(json.loads(est.read_text())["median"]["point_estimate"])
    return found

a, b = medians("a"), medians("b")
print(f"criterion: median of {rounds} per-round medians, A = base, B = work tree\n")
print("| benchmark | A | B | B/A |\n| --- | ---: | ---: | ---: |")
for k in sorted(set(a) & set(b)):
    ma, mb = statistics.median(a[k]), statistics.median(b[k])
    print(f"| {k} | {ma:,.1f} ns | {mb:,.1f} ns | {mb / ma:.3f} |")

def instr(path):
    rows = {}
    for row in csv.reader(open(path)):
        if len(row) == 6 and row[0] == "callgrind":
            rows["/".join(row[2:5])] = float(row[5])
    return rows

def rr(path):
    rows = {}
    for row in csv.reader(open(path)):
        if len(row) == 6 and row[0] == "rr":
            rows.setdefault("/".join(row[2:5]), []).append(float(row[5]))
    return {k: statistics.median(v) for k, v in rows.items()}

ra, rb = rr(out / "rr-a.csv"), rr(out / "rr-b.csv")
print("\nround-robin (`peers-ops rr`): median ns per call, derive/hand within each side\n")
print("| routine/message | A derive | A hand | A d/h | B derive | B hand | B d/h |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for k in sorted({k.rsplit("/", 1)[0] for k in ra} & {k.rsplit("/", 1)[0] for k in rb}):
    ad, ah, bd, bh = ra[k + "/derive"], ra[k + "/hand"], rb[k + "/derive"], rb[k + "/hand"]
    print(f"| {k} | {ad:.1f} | {ah:.1f} | {ad / ah:.2f} | {bd:.1f} | {bh:.1f} | {bd / bh:.2f} |")

ca, cb = instr(out / "callgrind-a.csv"), instr(out / "callgrind-b.csv")
print("\ncallgrind: instructions per call\n")
print("| routine/message/crate | A | B | B/A |\n| --- | ---: | ---: | ---: |")
for k in sorted(set(ca) & set(cb)):
    if k.endswith("/derive") or k.endswith("/hand"):
        print(f"| {k} | {ca[k]:.0f} | {cb[k]:.0f} | {cb[k] / ca[k]:.3f} |")
EOF
