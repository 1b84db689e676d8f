#!/usr/bin/python3
"""run_snec_comparison.py: the comparison that chose the model's defaults (validation/results/README.md).

1. imports the SNEC models (../shared/hydro/snec, else the bundled validation/data/snec) with snforge import;
2. scans closure x kappa x T_ion x eth_fraction with snforge compare --no-plots and scores each setting by the
   residuals after the first 30 days (rise, peak, fall, tail; each phase weighted equally):
       score = mean over models of rms(dlog L) [dex] + 0.4343 * mean over models of rms(dv/v)
   (0.4343 = log10(e): a relative velocity error in the same dex units as L);
3. runs the full comparison (all closures, fits, plots) at the best setting and at the old defaults.
Writes validation/results/scan.csv, validation/results/choice.md and validation/results/{best,old}/.

usage: run_snec_comparison.py SNFORGE [INDEX.csv] [OUT_DIR]
"""
import csv
import itertools
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PHASES = ["rise", "peak", "fall", "tail"]
KAPPA = [0.1, 0.15, 0.2, 0.25, 0.34]
T_ION = [4000, 4500, 5000, 5500, 6000]
ETH = [0.3, 0.5, 0.7]
CLOSURES = ["temperature", "flux", "none"]
OLD = {"closure": "flux", "kappa": 0.2, "t_ion": 4500, "eth": 0.5}


def num(s):
    try:
        return float(s)
    except ValueError:
        return math.nan


def score(residuals_csv, closure):
    with open(residuals_csv) as f:
        rows = [r for r in csv.DictReader(f) if r["closure"] == closure]
    sl, sv = [], []
    for r in rows:
        for key, acc in (("dlogL_%s_rms", sl), ("dv_%s_rms", sv)):
            vals = [num(r[key % p]) for p in PHASES]
            vals = [v for v in vals if not math.isnan(v)]
            if vals:
                acc.append(math.sqrt(sum(v * v for v in vals) / len(vals)))
    mean_l = sum(sl) / len(sl)
    mean_v = sum(sv) / len(sv) if sv else 0.0
    return mean_l + 0.4343 * mean_v, mean_l, mean_v


def compare(snforge, h5, out, closures, kappa, t_ion, eth, extra=()):
    cmd = [snforge, "compare", h5, "-o", out, "--closures", ",".join(closures), "--kappa", str(kappa),
           "--t-ion", str(t_ion), "--eth-fraction", str(eth)] + list(extra)
    subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL if "--no-plots" in extra else None)


def main():
    snforge = sys.argv[1]
    index = sys.argv[2] if len(sys.argv) > 2 else None
    if index is None:
        shared = os.path.join(HERE, "..", "..", "shared", "hydro", "snec", "index.csv")
        index = shared if os.path.exists(shared) else os.path.join(HERE, "data", "snec", "index.csv")
    out = sys.argv[3] if len(sys.argv) > 3 else os.path.join(HERE, "results")
    os.makedirs(out, exist_ok=True)
    h5 = os.path.join(out, "snec.h5")
    if os.path.exists(h5):
        os.remove(h5)
    subprocess.run([snforge, "import", "--format", "snec", "--index", index, "-o", h5], check=True)
    scan_dir = os.path.join(out, "scan_tmp")
    results = []
    for kappa, t_ion, eth in itertools.product(KAPPA, T_ION, ETH):
        compare(snforge, h5, scan_dir, CLOSURES, kappa, t_ion, eth, ["--no-plots"])
        for c in CLOSURES:
            s, sl, sv = score(os.path.join(scan_dir, "residuals.csv"), c)
            results.append({"closure": c, "kappa": kappa, "t_ion": t_ion, "eth": eth, "score": s,
                            "rms_dlogL": sl, "rms_dv": sv})
    with open(os.path.join(out, "scan.csv"), "w") as f:
        w = csv.DictWriter(f, fieldnames=list(results[0].keys()))
        w.writeheader()
        for r in results:
            w.writerow({k: ("%.5g" % v if isinstance(v, float) else v) for k, v in r.items()})
    best_score = min(r["score"] for r in results)
    # Tie rule: the data must earn every change. Among settings within 2% of the best score, take the one that
    # changes the fewest of the old defaults (then the lowest score).
    def changes(r):
        return sum(r[k] != OLD[k] for k in OLD)
    near = [r for r in results if r["score"] <= 1.02 * best_score]
    best = min(near, key=lambda r: (changes(r), r["score"]))
    best_per = {c: min((r for r in results if r["closure"] == c), key=lambda r: r["score"]) for c in CLOSURES}
    old = next(r for r in results if r["closure"] == OLD["closure"] and r["kappa"] == OLD["kappa"]
               and r["t_ion"] == OLD["t_ion"] and r["eth"] == OLD["eth"])
    for tag, r in (("best", best), ("old", old)):
        compare(snforge, h5, os.path.join(out, tag), CLOSURES, r["kappa"], r["t_ion"], r["eth"], ["--fit"])
    with open(os.path.join(out, "choice.md"), "w") as f:
        f.write("# Choice of the model's defaults from %d SNEC models\n\n" % 13)
        f.write("Made by `validation/run_snec_comparison.py` (index: `%s`; %d settings scanned: closure %s x kappa %s x T_ion %s x eth_fraction %s). Score = mean over models of the rms of "
                "log L residuals (dex) + 0.4343 x the rms of relative v_ph residuals, over rise, peak, fall and tail "
                "(days >= 30), each phase weighted equally. Lower is better.\n\n" % (os.path.basename(os.path.dirname(os.path.dirname(index))) + "/" + os.path.basename(os.path.dirname(index)) + "/index.csv", len(results), CLOSURES, KAPPA, T_ION, ETH))
        f.write("| setting | closure | kappa | T_ion | eth_fraction | score | rms dlog L | rms dv/v |\n")
        f.write("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
        best_any = min(results, key=lambda r: r["score"])
        rows = ([("old default", old)] + [("best " + c, best_per[c]) for c in CLOSURES] + [("lowest score", best_any)]
                + [("chosen (fewest changes within 2%)", best)])
        for tag, r in rows:
            f.write("| %s | %s | %g | %g | %g | %.4f | %.4f | %.3f |\n" % (tag, r["closure"], r["kappa"], r["t_ion"],
                                                                        r["eth"], r["score"], r["rms_dlogL"], r["rms_dv"]))
    if os.path.isdir(scan_dir):
        for root, dirs, files in os.walk(scan_dir, topdown=False):
            for n in files:
                os.remove(os.path.join(root, n))
            for n in dirs:
                os.rmdir(os.path.join(root, n))
        os.rmdir(scan_dir)
    # Keep the tables and figures; the HDF5 file and the old setting's per-model curves are reproducible.
    os.remove(h5)
    old_dir = os.path.join(out, "old")
    for n in os.listdir(old_dir):
        if n.endswith(".png") and n != "summary.png":
            os.remove(os.path.join(old_dir, n))
    for n in os.listdir(os.path.join(old_dir, "curves")):
        os.remove(os.path.join(old_dir, "curves", n))
    os.rmdir(os.path.join(old_dir, "curves"))
    print("chosen: %s" % best)
    return 0


if __name__ == "__main__":
    sys.exit(main())
