#!/usr/bin/env python3
"""plot_parity.py PARITY.csv OUT.png [TITLE]: true vs predicted parameters (log axes), one panel per
parameter, from the parity CSV written by `snforge evaluate`, with the 68% intervals as error bars when
the model gives them (lo68 < hi68). Needs matplotlib (Debian python3-matplotlib)."""
import csv
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker
except ImportError:
    sys.stderr.write("plot_parity.py: matplotlib is not installed for %s\n" % sys.executable)
    sys.exit(3)  # snforge evaluate then tries the next python

NAMES = [("energy", "foe"), ("mass", "Msun"), ("radius", "cm"), ("nickel", "Msun")]


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: plot_parity.py PARITY.csv OUT.png [TITLE]")
    with open(sys.argv[1], newline="") as f:
        rows = list(csv.DictReader(f))
    fig, axes = plt.subplots(1, 4, figsize=(16, 4.2))
    for ax, (name, unit) in zip(axes, NAMES):
        t = [float(r[name + "_true"]) for r in rows]
        p = [float(r[name + "_pred"]) for r in rows]
        lo, hi = min(t + p), max(t + p)
        ax.plot([lo, hi], [lo, hi], color="k", lw=0.8)
        lo68 = [float(r.get(name + "_lo68", "nan")) for r in rows]
        hi68 = [float(r.get(name + "_hi68", "nan")) for r in rows]
        if any(h > l for l, h in zip(lo68, hi68)):
            yerr = [[max(b - l, 0) for b, l in zip(p, lo68)], [max(h - b, 0) for b, h in zip(p, hi68)]]
            ax.errorbar(t, p, yerr=yerr, fmt="none", ecolor="tab:gray", elinewidth=0.5, alpha=0.3)
        ax.scatter(t, p, s=4, alpha=0.5)
        ax.set_xscale("log")
        ax.set_yscale("log")
        if hi < 100 * lo:  # under two decades: plain numbers at 1, 2, 5 x 10^k instead of crowded 2x10^1 labels
            for axis in (ax.xaxis, ax.yaxis):
                axis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
                axis.set_major_formatter(ticker.FormatStrFormatter("%g"))
                axis.set_minor_formatter(ticker.NullFormatter())
        ax.set_xlabel(f"true {name} ({unit})")
        ax.set_ylabel(f"predicted {name} ({unit})")
        mape = 100 * sum(abs(b - a) / a for a, b in zip(t, p)) / max(len(t), 1)
        ax.set_title(f"{name}: MAPE {mape:.1f}%")
    title = "Predicted against true parameters (bars: 68% intervals)"
    if len(sys.argv) > 3:
        title += ": " + sys.argv[3]
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)


if __name__ == "__main__":
    main()
