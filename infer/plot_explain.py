#!/usr/bin/env python3
"""plot_explain.py EXPLAIN.csv OUT.png [TITLE]: per-day importance from `snforge explain`, one panel per
parameter: integrated-gradient |attribution| (solid) and occlusion (dashed) of each series, each curve
scaled to its maximum. TITLE names the model and the object or dataset explained (snforge explain passes
it). Needs matplotlib (Debian python3-matplotlib)."""
import csv
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.stderr.write("plot_explain.py: matplotlib is not installed for %s\n" % sys.executable)
    sys.exit(3)

NAMES = [("energy", "foe"), ("mass", "Msun"), ("radius", "cm"), ("nickel", "Msun")]
METHODS = {"ig": "integrated gradients", "occ": "occlusion"}
SERIES = {"L": "luminosity", "vph": "photospheric velocity"}


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: plot_explain.py EXPLAIN.csv OUT.png [TITLE]")
    with open(sys.argv[1], newline="") as f:
        rows = list(csv.DictReader(f))
    t = [float(r["t_d"]) for r in rows]
    fig, axes = plt.subplots(1, 4, figsize=(16, 4.2), sharex=True)
    for ax, (name, unit) in zip(axes, NAMES):
        for key in rows[0]:
            if key.startswith(("ig_" + name + "_", "occ_" + name + "_")):
                v = [float(r[key]) for r in rows]
                top = max(v) or 1.0
                method, series = key.split("_", 1)[0], key.rsplit("_", 1)[1]
                ax.plot(t, [x / top for x in v], ls="-" if method == "ig" else "--",
                        label="%s, %s" % (METHODS.get(method, method), SERIES.get(series, series)))
        ax.set_title("%s (%s)" % (name, unit))
        ax.set_xlabel("time since explosion (days)")
        ax.set_ylabel("importance (each curve / its maximum)")
        ax.legend(fontsize=7)
    title = "Which days the network uses for each parameter"
    if len(sys.argv) > 3:
        title += ": " + sys.argv[3]
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)


if __name__ == "__main__":
    main()
