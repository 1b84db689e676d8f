#!/usr/bin/python3
"""hydro_vs_snec.py SNEC_DIR OUT_DIR REPORT.md ZONES LOAD: compares `snforge hydro` runs (OUT_DIR/mNNN.csv,
OUT_DIR/mNNN.log) with SNEC's outputs (SNEC_DIR/mNNN/Data/*.dat) model for model and writes the table.

Per model: RMS of delta log10 L over days 10-250 (SNEC interpolated to our daily times; both are times from
the start of the run); the main peak (maximum over days >= 10: day and L, both codes); L at day 200 (both); the
RMS of the relative v_ph difference over days 10 to the day SNEC's photosphere reaches its deepest cell (first
minimum of index_photo.dat, after which SNEC's v_ph is no photospheric velocity: see SNEC_DIR/README.md); the
wall time of the run. Then the medians. A PNG per model (L and v_ph, both codes) when matplotlib exists."""
import os
import re
import sys

import numpy as np

snec, out, report, zones, load = sys.argv[1:6]
opts = sys.argv[6] if len(sys.argv) > 6 else ""
models = sorted(m for m in os.listdir(snec) if re.fullmatch(r"m\d+", m))


def dat(m, name):
    a = np.loadtxt(os.path.join(snec, m, "Data", name))
    return a[:, 0] / 86400.0, a[:, 1]


rows = []
for m in models:
    csv = os.path.join(out, m + ".csv")
    log = open(os.path.join(out, m + ".log")).read() if os.path.exists(os.path.join(out, m + ".log")) else ""
    if not os.path.exists(csv):
        rows.append((m, None, log.strip().splitlines()[-1] if log.strip() else "no output"))
        continue
    o = np.genfromtxt(csv, delimiter=",", names=True)
    t, L, v = o["t_d"], o["L_erg_s"], o["vph_km_s"]
    vfe = o["vfe_km_s"] if "vfe_km_s" in o.dtype.names else np.full_like(t, np.nan)
    tL, Ls = dat(m, "lum_observed.dat")
    tv, vs = dat(m, "vel_photo.dat")
    ti, ip = dat(m, "index_photo.dat")
    late = ti > 10.0
    d_deep = ti[late][np.argmin(ip[late])]
    Ls_t = np.interp(t, tL, Ls)
    vs_t = np.interp(t, tv, vs) / 1e5
    sel = (t >= 10) & (t <= 250)
    rmsL = float(np.sqrt(np.mean(np.log10(L[sel] / Ls_t[sel]) ** 2)))
    selv = (t >= 10) & (t < d_deep)
    rmsv = float(np.sqrt(np.mean((v[selv] / vs_t[selv] - 1) ** 2)))
    fe_ok = selv & np.isfinite(vfe)
    fe_ratio = float(np.median(vfe[fe_ok] / v[fe_ok])) if fe_ok.any() else float("nan")
    k = np.argmax(np.where(t >= 10, L, 0))
    ks = np.argmax(np.where(tL >= 10, Ls, 0))
    L200 = float(np.interp(200, t, L))
    L200s = float(np.interp(200 * 1.0, tL, Ls))
    w = re.search(r"([\d.]+) s wall, (\d+) steps", log)
    e = re.search(r"error ([\d.e+-]+)", log)
    rows.append((m, dict(rmsL=rmsL, rmsv=rmsv, pk=(t[k], L[k]), pks=(tL[ks], Ls[ks]), L200=L200, L200s=L200s,
                         deep=d_deep, fe=fe_ratio, wall=float(w.group(1)) if w else float("nan"),
                         steps=int(w.group(2)) if w else 0, eerr=float(e.group(1)) if e else float("nan")), ""))
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(1, 2, figsize=(10, 4))
        ax[0].semilogy(tL, Ls, "k-", lw=1, label="SNEC 1.01 (1000 cells)")
        ax[0].semilogy(t, L, "r--", lw=1, label="snforge hydro (%s cells)" % zones)
        ax[0].set_xlabel("days since the bomb")
        ax[0].set_ylabel("L_bol (lum_observed) [erg/s]")
        ax[0].set_xlim(0, 250)
        ax[0].set_ylim(max(1e40, 0.3 * min(Ls[tL > 5].min(), L[t > 5].min())), None)
        ax[0].legend(fontsize=8)
        ax[0].set_title("%s: RMS dlog L (10-250 d) = %.3f dex" % (m, rmsL))
        ax[1].plot(tv, vs / 1e5, "k-", lw=1, label="SNEC")
        ax[1].plot(t, v, "r--", lw=1, label="snforge")
        ax[1].axvline(d_deep, color="grey", ls=":", lw=1, label="SNEC photosphere at its deepest cell")
        ax[1].set_xlabel("days since the bomb")
        ax[1].set_ylabel("v_ph [km/s]")
        ax[1].set_xlim(0, 250)
        ax[1].set_ylim(0, 12000)
        ax[1].legend(fontsize=8)
        ax[1].set_title("v_ph RMS before day %.0f: %.1f%%" % (d_deep, 100 * rmsv))
        fig.tight_layout()
        fig.savefig(os.path.join(out, m + ".png"), dpi=80)
        plt.close(fig)
    except ImportError:
        pass

ok = [r[1] for r in rows if r[1]]
med = lambda key: float(np.median([r[key] for r in ok])) if ok else float("nan")
with open(report + ".tmp", "w") as f:
    f.write("# snforge hydro against SNEC 1.01, model for model\n\n")
    f.write("Made by `validation/hydro_vs_snec.sh` (%s zones; SNEC ran 1000; `snforge hydro` options: %s). Each model's "
            "own SNEC parameter file and progenitor (../shared/hydro/snec/mNNN); times from the start of the run; one "
            "core (taskset -c 0).\nLoad average after the runs: `%s`.\n\n"
            % (zones, "`%s`" % opts if opts else "none (the file's dtmax, Crank-Nicolson)", load.strip()))
    f.write("| model | RMS dlog10 L, d 10-250 | peak day (SNEC) | peak L (SNEC) [erg/s] | L(200 d) (SNEC) | "
            "v_ph RMS, d 10 to SNEC's deepest cell (day) | median v(Fe II 5169) / v_ph, same days | wall s | steps | "
            "energy error / E_bomb |\n")
    f.write("|---|---|---|---|---|---|---|---|---|---|\n")
    for m, r, msg in rows:
        if not r:
            f.write("| %s | failed: %s ||||||||\n" % (m, msg))
            continue
        f.write("| %s | %.4f | %.0f (%.1f) | %.3e (%.3e) | %.3e (%.3e) | %.1f%% (%.0f) | %.2f | %.2f | %d | %.1e |\n" % (
            m, r["rmsL"], r["pk"][0], r["pks"][0], r["pk"][1], r["pks"][1], r["L200"], r["L200s"], 100 * r["rmsv"],
            r["deep"], r["fe"], r["wall"], r["steps"], r["eerr"]))
    f.write("\n**Medians over %d of %d models:** RMS dlog10 L = %.4f dex; v_ph RMS = %.1f%%; wall time %.2f s per model; "
            "|dlog10 L(200 d)| = %.4f dex; |peak day difference| = %.1f d; v(Fe II) / v_ph = %.2f.\n" % (
                len(ok), len(rows), med("rmsL"), 100 * med("rmsv"), med("wall"),
                float(np.median([abs(np.log10(r["L200"] / r["L200s"])) for r in ok])) if ok else float("nan"),
                float(np.median([abs(r["pk"][0] - r["pks"][0]) for r in ok])) if ok else float("nan"),
                med("fe")))
    f.write("\nGoals (issue 23): median <= 0.03 dex in L and <= 5% in v_ph (at least 0.05 dex, 10%); <= 1 s per "
            "model on one core (at least 10 s).\n")
os.replace(report + ".tmp", report)
print(open(report).read())
