#!/usr/bin/env python3
"""plot_fit.py DIR OBS.csv: the figures of `snforge fit` -- DIR/corner.png (posterior of every fitted
parameter after burn-in: histograms and pairwise 2-D histograms, 68%/95% intervals from posterior.csv) and
DIR/bestfit.png (the highest-posterior model over the data: L_bol and v_ph). Needs matplotlib, h5py, numpy."""
import csv
import json
import os
import re
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
import numpy as np  # noqa: E402


# axis labels in words; the error floors are fractions of the model (dimensionless)
WORDS = {"energy": "explosion energy", "mass": "ejected mass", "radius": "progenitor radius", "nickel": "nickel mass",
         "floor_L": "error floor on L", "floor_vph": "error floor on v_ph"}


def label(name, unit, log):
    unit = "fraction" if unit in ("", "1", "-") else unit
    return ("log10 " if log else "") + WORDS.get(name, name) + " (%s)" % unit


def fmt(v):
    """A best-fit value to 3 significant digits (the figure's precision, not the file's)."""
    return "%.3g" % float(v)


def main(d, obs):
    post = list(csv.DictReader(open(f"{d}/posterior.csv")))
    what = os.path.basename(obs)
    summ = json.load(open(f"{d}/summary.json"))
    with h5py.File(f"{d}/chain.h5", "r") as f:
        chain = f["chain"][:]
        logs = f.attrs["log_scale"][:]
    burn = summ["burn"]
    x = chain[burn:].reshape(-1, chain.shape[2])
    x = np.where(logs[None, :] > 0, np.exp(x), x)  # physical units
    names = [r["parameter"] for r in post]
    D = len(names)
    fig, ax = plt.subplots(D, D, figsize=(2.2 * D, 2.2 * D))
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
                edge = r.get("prior_edge", "none")  # piled up at a prior edge (posterior.csv)
                if edge != "none":
                    p = summ["parameters"][i]["prior"]
                    at = {"low": "lower edge %.3g" % p[0], "high": "upper edge %.3g" % p[1]}.get(edge, "both edges")
                    a.set_title("piled up at the prior's\n%s %s: not a measurement" % (at, r["unit"]), fontsize=7,
                                color="C3")
                for k, ls in (("median", "-"), ("lo68", "--"), ("hi68", "--"), ("lo95", ":"), ("hi95", ":")):
                    v = float(r[k])
                    a.axvline(np.log10(v) if logs[i] else v, color="C0", ls=ls, lw=0.8)
                a.set_yticks([])
                if i == 0:
                    a.set_ylabel("samples (count)", fontsize=7)
            else:
                a.hist2d(xj, xi, bins=40, cmap="Greys")
            if i == D - 1:
                a.set_xlabel(label(names[j], post[j]["unit"], logs[j]), fontsize=7)
            else:
                a.set_xticklabels([])
            if j == 0 and i > 0:
                a.set_ylabel(label(names[i], post[i]["unit"], logs[i]), fontsize=7)
            elif j > 0:
                a.set_yticklabels([])
            a.tick_params(labelsize=6)
            a.xaxis.set_major_locator(MaxNLocator(3))
            if i != j:
                a.yaxis.set_major_locator(MaxNLocator(3))
    fig.suptitle(f"Posterior of the semi-analytic model for {what} ({summ['closure']} closure)\n"
                 f"{summ['walkers']} walkers x {summ['steps']} steps (first {burn} dropped), "
                 f"acceptance {summ['acceptance']:.2f}; lines: median, 68% (dashed) and 95% (dotted) intervals",
                 fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.96))
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
    a1.set_ylabel("bolometric luminosity L (erg/s)")
    a1.legend()
    m = np.isfinite(o["vph_km_s"])
    if m.any():
        a2.errorbar(o["t_d"][m], o["vph_km_s"][m], yerr=np.nan_to_num(o["vph_err"][m]), fmt="o", ms=3, color="k")
    a2.plot(b["t_d"], b["vph_km_s"], color="C3")
    a2.set_ylabel("photospheric velocity (km/s)")
    a2.set_xlabel("time since explosion (days)")
    with open(f"{d}/bestfit.csv") as fh:
        head = fh.readline()
    m = re.search(r"energy (\S+) foe, mass (\S+) Msun, radius (\S+) cm, nickel (\S+) Msun, closure (\w+)", head)
    if m:
        sub = "E %s foe, M %s Msun, R0 %s cm, M_Ni %s Msun (%s closure)" % (
            fmt(m.group(1)), fmt(m.group(2)), fmt(m.group(3)), fmt(m.group(4)), m.group(5))
    else:
        sub = head.lstrip("# ").strip()
    a1.set_title("%s: the highest-posterior model\n%s" % (what, sub), fontsize=9)
    fig.tight_layout()
    fig.savefig(f"{d}/bestfit.png", dpi=110)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
