#!/usr/bin/python3
"""plot_campaign.py: draw a random sample of light curves and velocity curves of a campaign to PNG.

    /usr/bin/python3 grids/examples/plot_campaign.py 87a_small.h5 -o sample.png [-n 40] [--seed 1]

Uses Debian's python3-h5py and python3-matplotlib (Agg backend: no display needed). Curves are coloured
by explosion energy; failed rows (status < 0) are skipped.
"""
import argparse
import os
import sys

import h5py
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description="plot a sample of an snforge campaign")
    ap.add_argument("file")
    ap.add_argument("-o", "--output", default="campaign_sample.png")
    ap.add_argument("-n", type=int, default=40, help="number of models to draw")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    with h5py.File(args.file, "r") as f:
        status = f["status"][:]
        ok = np.flatnonzero(status >= 0)
        if ok.size == 0:
            print("no computed models to plot", file=sys.stderr)
            return 1
        rng = np.random.default_rng(args.seed)
        rows = np.sort(rng.choice(ok, size=min(args.n, ok.size), replace=False))
        t = f["time"][:]
        names = [s.decode() if isinstance(s, bytes) else str(s) for s in f["params"].attrs["names"]]
        params = f["params"][rows]            # h5py needs increasing indices: sorted above
        logl = f["log_lbol"][rows]
        vph = f["vph"][rows]
        source = f.attrs["source"]
        source = source.decode() if isinstance(source, bytes) else source  # fixed-length strings: bytes

    e = params[:, names.index("energy")]
    norm = matplotlib.colors.LogNorm(vmin=e.min(), vmax=e.max() if e.max() > e.min() else e.min() * 1.01)
    cmap = plt.get_cmap("viridis")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    for k in range(len(rows)):
        c = cmap(norm(e[k]))
        ax1.plot(t, logl[k], color=c, lw=0.8, alpha=0.8)
        ax2.plot(t, vph[k] / 1e3, color=c, lw=0.8, alpha=0.8)
    name = os.path.basename(args.file)
    ax1.set_xlabel("time since explosion (days)")
    ax1.set_ylabel("log10 of the bolometric luminosity L (erg/s)")
    ax1.set_title(f"{name}: {len(rows)} light curves drawn at random ({source})", fontsize=9)
    ax2.set_xlabel("time since explosion (days)")
    ax2.set_ylabel("photospheric velocity (1000 km/s)")
    ax2.set_title(f"{name}: photospheric velocity (none once the front is gone)", fontsize=9)
    fig.colorbar(matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax2, label="explosion energy E (foe)", format="%g")
    fig.savefig(args.output, dpi=110)
    print(f"wrote {args.output} ({len(rows)} models)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
