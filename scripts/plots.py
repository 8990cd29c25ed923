#!/usr/bin/env python3
"""Draws the benchmark plots in docs/ from the figures in docs/bench-data/.

    pip install matplotlib        # once
    python3 scripts/plots.py      # after scripts/bench-wire.sh / bench-redis.sh

Writes:
  docs/peers-time.svg          each crate's time as a ratio to hand-written
                               code (round-robin medians, same-run ratios:
                               `peers-ops rr`, which holds up under load)
  docs/peers-instructions.svg  the same with callgrind instruction counts
  docs/storage-vs-redis.svg    storage service against Redis, ops/s

A missing input skips its plot. Options: --data DIR (default
docs/bench-data), --out DIR (default docs), --format png (to preview).
"""

import argparse
import csv
import statistics
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROUTINES = ["encode", "decode_owned", "decode_borrowed"]
MESSAGES = ["store_small", "store_large", "mixed"]
CRATES = ["derive", "hand", "speedy", "binrw", "deku", "bin-proto", "scroll", "bincode", "postcard"]
COLORS = {
    "derive": "#d62728",
    "hand": "#7f7f7f",
    "speedy": "#1f77b4",
    "binrw": "#2ca02c",
    "deku": "#9467bd",
    "bin-proto": "#8c564b",
    "scroll": "#e377c2",
    "bincode": "#bcbd22",
    "postcard": "#17becf",
}
NOT_WIRE = {"bincode", "postcard"}
# Ratios above this are drawn clipped, with their value written in the bar.
CLIP = 3.0


def peer_ratios(path, method):
    """(routine, message) -> crate -> median over runs of value / hand."""
    values = defaultdict(lambda: defaultdict(dict))
    with open(path) as f:
        for row in csv.DictReader(f):
            if row["method"] == method:
                values[(row["routine"], row["message"])][row["name"]][row["run"]] = float(row["value"])
    ratios = {}
    for cell, by_crate in values.items():
        hand = by_crate.get("hand", {})
        ratios[cell] = {
            crate: statistics.median(v / hand[run] for run, v in runs.items() if run in hand)
            for crate, runs in by_crate.items()
            if any(run in hand for run in runs)
        }
    return ratios


def plot_peers(ratios, title, ylabel, out):
    fig, axes = plt.subplots(1, 3, figsize=(15, 5.2), sharey=True)
    width = 0.09
    for ax, routine in zip(axes, ROUTINES):
        for i, crate in enumerate(CRATES):
            xs, ys = [], []
            for m, message in enumerate(MESSAGES):
                r = ratios.get((routine, message), {}).get(crate)
                if r is not None:
                    xs.append(m + (i - (len(CRATES) - 1) / 2) * width)
                    ys.append(r)
            label = crate + (" (own format)" if crate in NOT_WIRE else "")
            ax.bar(xs, [min(y, CLIP) for y in ys], width, color=COLORS[crate], label=label,
                   edgecolor="black" if crate == "derive" else "none", linewidth=0.8)
            for x, y in zip(xs, ys):
                if y > CLIP:  # off the scale: say how far
                    ax.text(x, CLIP * 0.99, f"{y:.0f}x", rotation=90, ha="center", va="top",
                            fontsize=7, color="white")
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.axhline(1.05, color="black", linewidth=0.6, linestyle="--")
        ax.set_ylim(0, CLIP)
        ax.set_xticks(range(len(MESSAGES)))
        ax.set_xticklabels(["store small\n(8 B + 32 B)", "store large\n(32 B + 4 KiB)", "mixed\n(12 fields + 2 strings)"])
        ax.set_title(routine.replace("_", " "))
        ax.grid(axis="y", alpha=0.25)
        if routine == "decode_borrowed":
            ax.text(0.5, 0.97, "binrw, deku, bin-proto: cannot borrow",
                    transform=ax.transAxes, ha="center", va="top", fontsize=8)
    axes[0].set_ylabel(ylabel)
    axes[0].yaxis.set_major_locator(matplotlib.ticker.MultipleLocator(0.5))
    axes[0].yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda y, _: f"{y:g}x"))
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=9, fontsize=9, frameon=False)
    fig.suptitle(title + "  (lower is better; line: hand-written = 1x, dashed: 1.05x; clipped at 3x)")
    fig.tight_layout(rect=(0, 0.06, 1, 0.95))
    fig.savefig(out)
    plt.close(fig)
    print(f"wrote {out}")


def plot_redis(path, out):
    rate = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            key = (row["server"], int(row["size"]), int(row["conns"]), int(row["depth"]), row["op"])
            rate[key] = float(row["ops_per_s"] or 0)
    cells = sorted({k[1:] for k in rate}, key=lambda c: (c[0], c[1], c[2], c[3] == "get"))
    labels = [f"{op.upper()}\n{'32 B' if size == 32 else '4 KiB'}\nc{conns} d{depth}" for size, conns, depth, op in cells]
    fig, axes = plt.subplots(2, 1, figsize=(15, 8.5), sharex=True)
    pairs = [
        (axes[0], "in memory: Redis (default config) vs storage --memory", "redis", "storage-memory"),
        (axes[1], "durable: Redis (appendonly yes, appendfsync always) vs storage --db (ack after commit)",
         "redis-aof", "storage-durable"),
    ]
    width = 0.38
    for ax, title, redis, storage in pairs:
        xs = range(len(cells))
        r = [rate.get((redis, *c), 0) for c in cells]
        s = [rate.get((storage, *c), 0) for c in cells]
        ax.bar([x - width / 2 for x in xs], r, width, color="#7f7f7f", label="Redis")
        ax.bar([x + width / 2 for x in xs], s, width, color="#d62728", label="storage")
        for x, a, b in zip(xs, r, s):
            if a:
                ax.text(x + width / 2, b * 1.05, f"{b / a:.2f}x", ha="center", va="bottom", fontsize=7)
        ax.set_yscale("log")
        ax.set_ylabel("ops/s")
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", which="both", alpha=0.25)
        ax.legend(loc="upper left", fontsize=9)
    axes[1].set_xticks(range(len(cells)))
    axes[1].set_xticklabels(labels, fontsize=8)
    fig.suptitle("storage service vs Redis on loopback (higher is better; label: storage / Redis)")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    print(f"wrote {out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="docs/bench-data")
    ap.add_argument("--out", default="docs")
    ap.add_argument("--format", default="svg", help="svg (committed) or png (to preview)")
    args = ap.parse_args()
    data, out = Path(args.data), Path(args.out)
    matplotlib.rcParams["svg.hashsalt"] = "codec"  # stable ids: small diffs
    matplotlib.rcParams["svg.fonttype"] = "none"  # text as text: smaller files
    peers = data / "peers.csv"
    if peers.exists():
        for method, name, title, ylabel in [
            ("rr", "peers-time.svg",
             "Wire codecs: time per call relative to hand-written byteorder (round-robin medians)",
             "time / hand-written"),
            ("callgrind", "peers-instructions.svg",
             "Wire codecs: instructions per call relative to hand-written byteorder",
             "instructions / hand-written"),
        ]:
            ratios = peer_ratios(peers, method)
            if ratios:
                plot_peers(ratios, title, ylabel, out / name.replace(".svg", "." + args.format))
    redis = data / "redis-raw.csv"
    if redis.exists():
        plot_redis(redis, out / f"storage-vs-redis.{args.format}")


if __name__ == "__main__":
    main()
