#!/usr/bin/env python3
"""plot_reliability.py RELIABILITY.csv OUT.png [TITLE]: the reliability diagram of `snforge evaluate`:
observed against nominal coverage of the central intervals, one line per parameter, the diagonal is a
calibrated model. Needs matplotlib (Debian python3-matplotlib)."""
import csv
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.stderr.write("plot_reliability.py: matplotlib is not installed for %s\n" % sys.executable)
    sys.exit(3)  # snforge evaluate then tries the next python

NAMES = ["energy", "mass", "radius", "nickel"]


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: plot_reliability.py RELIABILITY.csv OUT.png [TITLE]")
    with open(sys.argv[1], newline="") as f:
        rows = list(csv.DictReader(f))
    nom = [float(r["nominal_pct"]) for r in rows]
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 100], [0, 100], color="k", lw=0.8, label="perfectly calibrated")
    for name in NAMES:
        ax.plot(nom, [float(r[name + "_pct"]) for r in rows], marker="o", ms=3, label=name)
    ax.set_xlabel("nominal coverage of the central interval (%)")
    ax.set_ylabel("observed coverage (%)")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.legend(loc="upper left")
    title = "Coverage of the predicted intervals"
    if len(sys.argv) > 3:
        title += "\n" + sys.argv[3]
    ax.set_title(title, fontsize=8)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)


if __name__ == "__main__":
    main()
