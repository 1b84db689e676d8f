#!/usr/bin/env python3
"""plot_explain.py EXPLAIN.csv OUT.png [TITLE]: per-day importance from `snforge explain`, one panel per
parameter: integrated-gradient |attribution| (solid) and occlusion (dashed) of each series, each curve
scaled to its maximum. Needs matplotlib (Debian python3-matplotlib)."""
import csv
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.stderr.write("plot_explain.py: matplotlib is not installed for %s\n" % sys.executable)
    sys.exit(3)

NAMES = ["energy", "mass", "radius", "nickel"]


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: plot_explain.py EXPLAIN.csv OUT.png [TITLE]")
    with open(sys.argv[1], newline="") as f:
        rows = list(csv.DictReader(f))
    t = [float(r["t_d"]) for r in rows]
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.8), sharex=True)
    for ax, name in zip(axes, NAMES):
        for key in rows[0]:
            if key.startswith(("ig_" + name + "_", "occ_" + name + "_")):
                v = [float(r[key]) for r in rows]
                top = max(v) or 1.0
                ax.plot(t, [x / top for x in v], ls="-" if key.startswith("ig_") else "--", label=key.split("_", 1)[0] + " " + key.rsplit("_", 1)[1])
        ax.set_title(name)
        ax.set_xlabel("day")
        ax.set_ylabel("importance (scaled)")
        ax.legend(fontsize=7)
    if len(sys.argv) > 3:
        fig.suptitle(sys.argv[3], fontsize=9)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)


if __name__ == "__main__":
    main()
