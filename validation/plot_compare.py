#!/usr/bin/python3
"""plot_compare.py DIR: the figures of `snforge compare` (called by it; runnable by hand).

Reads DIR/curves/<model>.csv and DIR/residuals.csv written by snforge compare and writes
DIR/<model>.png (log L and v_ph, hydro against each closure, fits dashed) and DIR/summary.png
(median residual per phase and closure, one dot per model). Exit 3 if matplotlib is missing.
"""
import csv
import glob
import math
import os
import re
import sys

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.stderr.write("plot_compare.py: matplotlib is not installed (Debian: apt-get install python3-matplotlib)\n")
    sys.exit(3)

COLORS = {"temperature": "tab:blue", "flux": "tab:red", "none": "tab:green"}
PHASES = ["early", "rise", "peak", "fall", "tail", "all"]


def num(s):
    try:
        return float(s) if s != "" else math.nan
    except ValueError:
        return math.nan


def read_csv(path):
    with open(path) as f:
        lines = [ln for ln in f if not ln.startswith("#")]
    return list(csv.DictReader(lines))


def header(path):
    """(model and its parameters, hydro file) from a curve file's comment line written by snforge compare:
    '# snforge compare: model m000 (E 1.5 foe, ...); hydro from snec.h5'."""
    with open(path) as f:
        first = f.readline()
    m = re.match(r"# snforge compare: model (.*); hydro from (.*)$", first.strip())
    if not m:
        return os.path.splitext(os.path.basename(path))[0], "?"
    # the file keeps 6 digits; a title shows 3 (the precision a reader compares at)
    model = re.sub(r"\d+\.\d+(?:e[+-]?\d+)?|\d+e[+-]?\d+", lambda g: "%.3g" % float(g.group(0)), m.group(1))
    return model, os.path.basename(m.group(2))


def plot_model(path, out):
    rows = read_csv(path)
    if not rows:
        return
    cols = rows[0].keys()
    t = [num(r["t_d"]) for r in rows]
    fig, ax = plt.subplots(2, 1, figsize=(7, 7), sharex=True)
    name = os.path.splitext(os.path.basename(path))[0]
    model, hydro = header(path)
    ax[0].plot(t, [num(r["logL_hydro"]) for r in rows], "k-", lw=2.2, label="hydrodynamical model")
    ax[1].plot(t, [num(r["vph_hydro"]) for r in rows], "k-", lw=2.2, label="hydrodynamical model")
    for c in COLORS:
        if "logL_" + c in cols:
            ax[0].plot(t, [num(r["logL_" + c]) for r in rows], color=COLORS[c], label="%s closure" % c)
            ax[1].plot(t, [num(r["vph_" + c]) for r in rows], color=COLORS[c], label="%s closure" % c)
        if "logL_%s_fit" % c in cols:
            ax[0].plot(t, [num(r["logL_%s_fit" % c]) for r in rows], "--", color=COLORS[c], lw=1,
                       label="%s closure, best fit" % c)
            ax[1].plot(t, [num(r["vph_%s_fit" % c]) for r in rows], "--", color=COLORS[c], lw=1)
    lo = [num(r["logL_hydro"]) for r in rows]
    lo = [x for x in lo if not math.isnan(x)]
    if lo:
        ax[0].set_ylim(min(lo) - 0.5, max(lo) + 0.4)
    ax[0].set_ylabel("log10 of the bolometric luminosity L (erg/s)")
    ax[1].set_ylabel("photospheric velocity (km/s)")
    ax[1].set_xlabel("time since explosion (days)")
    ax[0].set_title("Semi-analytic model against hydro model %s\n(%s)" % (model.split(" ")[0], model + ", " + hydro),
                    fontsize=9)
    ax[0].legend(fontsize=8, ncol=2)
    for a in ax:
        a.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)


def plot_summary(path, out, source):
    rows = read_csv(path)
    closures = [c for c in COLORS if any(r["closure"] == c for r in rows)]
    fig, ax = plt.subplots(2, 1, figsize=(8, 7), sharex=True)
    width = 0.8 / max(1, len(closures))
    for j, c in enumerate(closures):
        rc = [r for r in rows if r["closure"] == c]
        for q, (key, scale) in enumerate((("dlogL_%s_median", 1.0), ("dv_%s_median", 100.0))):
            for i, ph in enumerate(PHASES):
                vals = [num(r[key % ph]) * scale for r in rc]
                vals = [v for v in vals if not math.isnan(v)]
                x = i + (j - (len(closures) - 1) / 2) * width
                if vals:
                    vals.sort()
                    med = vals[len(vals) // 2] if len(vals) % 2 else 0.5 * (vals[len(vals) // 2 - 1] + vals[len(vals) // 2])
                    ax[q].bar(x, med, width, color=COLORS[c], alpha=0.5, label="%s closure" % c if i == 0 else None)
                    ax[q].plot([x] * len(vals), vals, ".", color=COLORS[c], ms=4)
    ax[0].axhline(0, color="k", lw=0.8)
    ax[1].axhline(0, color="k", lw=0.8)
    ax[0].set_ylabel("model - hydro: log10 L (dex)")
    ax[1].set_ylabel("model - hydro: v_ph (%)")
    ax[1].set_xticks(range(len(PHASES)))
    ax[1].set_xticklabels(["first 30 days", "rise", "peak", "fall", "tail", "whole curve"])
    ax[1].set_xlabel("phase of the light curve")
    ax[0].set_title("Semi-analytic model against %s: median residual per phase\n(bars: median over models; dots: "
                    "one per model)" % source, fontsize=9)
    ax[0].legend(fontsize=8)
    for a in ax:
        a.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: plot_compare.py DIR (the output folder of snforge compare)\n")
        return 2
    d = sys.argv[1]
    curves = sorted(glob.glob(os.path.join(d, "curves", "*.csv")))
    for p in curves:
        plot_model(p, os.path.join(d, os.path.splitext(os.path.basename(p))[0] + ".png"))
    res = os.path.join(d, "residuals.csv")
    if os.path.exists(res):
        models = len(curves)
        source = "%d hydro models of %s" % (models, header(curves[0])[1]) if curves else "the hydro models"
        plot_summary(res, os.path.join(d, "summary.png"), source)
    return 0


if __name__ == "__main__":
    sys.exit(main())
