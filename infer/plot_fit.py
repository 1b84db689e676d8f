#!/usr/bin/env python3
"""plot_fit.py DIR OBS.csv: the figures of `snforge fit` -- DIR/corner.png (posterior of every fitted
parameter after burn-in: histograms and pairwise 2-D histograms, 68%/95% intervals from posterior.csv) and
DIR/bestfit.png (the highest-posterior model over the data: L_bol and v_ph). Needs matplotlib, h5py, numpy."""
import csv
import json
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def main(d, obs):
    post = list(csv.DictReader(open(f"{d}/posterior.csv")))
    summ = json.load(open(f"{d}/summary.json"))
    with h5py.File(f"{d}/chain.h5", "r") as f:
        chain = f["chain"][:]
        logs = f.attrs["log_scale"][:]
    burn = summ["burn"]
    x = chain[burn:].reshape(-1, chain.shape[2])
    x = np.where(logs[None, :] > 0, np.exp(x), x)  # physical units
    names = [r["parameter"] for r in post]
    D = len(names)
    fig, ax = plt.subplots(D, D, figsize=(2.0 * D, 2.0 * D))
    for i in range(D):
        for j in range(D):
            a = ax[i, j]
            if j > i:
                a.axis("off")
                continue
            xi = np.log10(x[:, i]) if logs[i] else x[:, i]
            xj = np.log10(x[:, j]) if logs[j] else x[:, j]
            if i == j:
                a.hist(xi, bins=40, color="0.3", histtype="step")
                r = post[i]
                for k, ls in (("median", "-"), ("lo68", "--"), ("hi68", "--"), ("lo95", ":"), ("hi95", ":")):
                    v = float(r[k])
                    a.axvline(np.log10(v) if logs[i] else v, color="C0", ls=ls, lw=0.8)
                a.set_yticks([])
            else:
                a.hist2d(xj, xi, bins=40, cmap="Greys")
            if i == D - 1:
                a.set_xlabel(("log10 " if logs[j] else "") + names[j], fontsize=8)
            else:
                a.set_xticklabels([])
            if j == 0 and i > 0:
                a.set_ylabel(("log10 " if logs[i] else "") + names[i], fontsize=8)
            elif j > 0:
                a.set_yticklabels([])
            a.tick_params(labelsize=6)
    fig.suptitle(f"snforge fit: {summ['walkers']} walkers x {summ['steps']} steps (burn {burn}), "
                 f"acceptance {summ['acceptance']:.2f}", fontsize=9)
    fig.savefig(f"{d}/corner.png", dpi=110)
    plt.close(fig)

    b = np.genfromtxt(f"{d}/bestfit.csv", delimiter=",", names=True, skip_header=1)
    with open(obs) as fh:
        skip = sum(1 for _ in iter(lambda: fh.readline().startswith("#"), False))
    o = np.genfromtxt(obs, delimiter=",", names=True, skip_header=skip)
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(6.5, 7), sharex=True)
    m = np.isfinite(o["L_erg_s"])
    a1.errorbar(o["t_d"][m], o["L_erg_s"][m], yerr=np.nan_to_num(o["L_err"][m]), fmt="o", ms=3, color="k",
                label="observed")
    a1.plot(b["t_d"], b["L_erg_s"], color="C3", label="best fit")
    a1.set_yscale("log")
    a1.set_ylabel("L_bol (erg/s)")
    a1.legend()
    m = np.isfinite(o["vph_km_s"])
    if m.any():
        a2.errorbar(o["t_d"][m], o["vph_km_s"][m], yerr=np.nan_to_num(o["vph_err"][m]), fmt="o", ms=3, color="k")
    a2.plot(b["t_d"], b["vph_km_s"], color="C3")
    a2.set_ylabel("v_ph (km/s)")
    a2.set_xlabel("days since explosion")
    with open(f"{d}/bestfit.csv") as fh:
        a1.set_title(fh.readline().lstrip("# ").strip().replace(", radius", ",\nradius"), fontsize=8)
    fig.tight_layout()
    fig.savefig(f"{d}/bestfit.png", dpi=110)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
