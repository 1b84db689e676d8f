#!/usr/bin/env python3
"""plot_curriculum.py DIR: bar chart of DIR/results.csv (snforge curriculum) into DIR/results.png:
k-fold mean MAPE per parameter with the standard deviation over folds as error bars (the lower one cut at 10% of the mean on the log axis), one bar group per
row, and the paper's figures (Grassia et al. 2024) as markers. Exit 3 without matplotlib."""
import csv
import os
import sys

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.exit(3)

d = sys.argv[1]
names = ["energy", "mass", "radius", "nickel"]
mean, std, order = {}, {}, []
with open(os.path.join(d, "results.csv")) as f:
    for r in csv.DictReader(f):
        if r["row"] not in order:
            order.append(r["row"])
        if r["split"] == "mean":
            mean[r["row"]] = [float(r[p]) for p in names]
        elif r["split"] == "std":
            std[r["row"]] = [float(r[p]) for p in names]
paper = {"sa_hydro": [193, 48, 98, 186], "curriculum": [41, 20, 61, 39]}
fig, ax = plt.subplots(figsize=(max(7, 1.3 * len(order) + 2), 4.2))
w = 0.8 / len(names)
for i, p in enumerate(names):
    xs = [k + (i - 1.5) * w for k in range(len(order))]
    m = [mean[r][i] for r in order]
    lo = [min(std[r][i], 0.9 * mean[r][i]) for r in order]  # a log axis: the lower bar stops above 0
    ax.bar(xs, m, w, yerr=[lo, [std[r][i] for r in order]], capsize=2, label=p)
    for k, r in enumerate(order):
        if r in paper:
            ax.plot(xs[k], paper[r][i], "k_", ms=12, mew=2)
ax.plot([], [], "k_", ms=12, mew=2, label="paper (Grassia+2024)")
# the rows in words (ablations keep their config names: what each changes is in results.md)
WORDS = {"sa_sa": "trained and tested\non semi-analytic", "sa_hydro": "trained on semi-analytic,\ntested on hydro",
         "curriculum": "curriculum:\nfine-tuned on hydro"}
ax.set_xticks(range(len(order)))
ax.set_xticklabels([WORDS.get(r, "ablation:\n" + r.replace("_", " ")) for r in order], fontsize=8)
ax.set_ylabel("mean absolute percentage error (%),\nk-fold mean ± std over folds")
ax.set_yscale("log")
ax.legend(fontsize=8)
ax.set_title("Curriculum transfer to hydro models (%s): test error on hydro models per parameter"
             % os.path.basename(os.path.abspath(d)), fontsize=9)
fig.tight_layout()
fig.savefig(os.path.join(d, "results.png"), dpi=90)
