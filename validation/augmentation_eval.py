#!/usr/bin/python3
"""augmentation_eval.py: a model's errors and interval coverage on a dataset's curves observed as real objects
are: complete (every day of the file with a value), or on the days of each bundled real object (its own L days
and, for a model that reads velocities, its own v_ph days), values taken from the dataset's curve (linear in
log L and v between the file's days; no noise). The observation files go through `snforge predict --catalogue`,
the one inference path. Writes one CSV row per (cadence, parameter):
  model,set,cadence,n_L,n_v,parameter,n,mape_pct,cov68_pct,cov95_pct
and prints the pooled rows (the four parameters together).

usage: augmentation_eval.py SNFORGE MODEL.h5 LABEL DATA.h5 SETNAME CATALOGUE.csv WORKDIR OUT.csv [MAX_ROWS]
  CATALOGUE.csv: name,path of the real objects whose days are taken (paths relative to the list's folder).
The model's series (both or luminosity) are read from the model file's spec; an object without velocities is
skipped for a two-series model (it could not be answered)."""
import csv
import math
import os
import subprocess
import sys

import h5py
import numpy as np

PARAMS = ["energy", "mass", "radius", "nickel"]


def read_obs(path):
    tL, tv = [], []
    with open(path, encoding="utf-8-sig") as f:
        rows = [l for l in f if l.strip() and not l.startswith("#")]
    for r in csv.DictReader(rows):
        t = float(r["t_d"])
        if r["L_erg_s"].strip():
            tL.append(t)
        if r["vph_km_s"].strip():
            tv.append(t)
    return sorted(set(tL)), sorted(set(tv))


def model_channels(path):
    """The model's series: /norm attribute channels (luminosity, velocity or both)."""
    with h5py.File(path, "r") as f:
        c = f["norm"].attrs["channels"]
    return c.decode() if isinstance(c, bytes) else str(c)


def write_obs(path, t, logl, vph, days_L, days_v):
    """An observation file of one curve on the given days (None: every day of the file with a value)."""
    ok_l = np.isfinite(logl)
    ok_v = np.isfinite(vph)
    rows = []
    if days_L is None:
        rows += [(t[i], 10.0 ** logl[i], None) for i in range(len(t)) if ok_l[i] and t[i] > 0]
    else:
        for d in days_L:
            j = np.searchsorted(t, d)
            if 0 < j < len(t) and ok_l[j - 1] and ok_l[j]:
                w = (d - t[j - 1]) / (t[j] - t[j - 1])
                rows.append((d, 10.0 ** (logl[j - 1] + w * (logl[j] - logl[j - 1])), None))
    if days_v is not None:
        for d in days_v:
            j = np.searchsorted(t, d)
            if 0 < j < len(t) and ok_v[j - 1] and ok_v[j]:
                w = (d - t[j - 1]) / (t[j] - t[j - 1])
                rows.append((d, None, vph[j - 1] + w * (vph[j] - vph[j - 1])))
    elif days_L is None:
        rows += [(t[i], None, vph[i]) for i in range(len(t)) if ok_v[i] and t[i] > 0]
    rows.sort(key=lambda r: (r[0], r[1] is None))
    nL = sum(r[1] is not None for r in rows)
    nv = sum(r[2] is not None for r in rows)
    with open(path, "w") as f:
        f.write("t_d,L_erg_s,L_err,vph_km_s,vph_err\n")
        for d, L, v in rows:
            f.write("%.4f,%s,,%s,\n" % (d, "" if L is None else "%.6e" % L, "" if v is None else "%.2f" % v))
    return nL, nv


def main():
    if len(sys.argv) < 9:
        sys.stderr.write(__doc__)
        sys.exit(2)
    snforge, model, label, data, setname, catalogue, work, out = sys.argv[1:9]
    max_rows = int(sys.argv[9]) if len(sys.argv) > 9 else 0
    chans = model_channels(model)
    uses_v = chans != "luminosity"
    with h5py.File(data, "r") as f:
        t = f["time"][:]
        logl = f["log_lbol"][:]
        vph = f["vph"][:]
        par = f["params"][:, :4]
        st = f["status"][:]
    rows = [i for i in range(len(st)) if st[i] >= 0]
    if max_rows:
        rows = rows[:max_rows]
    base = os.path.dirname(os.path.abspath(catalogue))
    cadences = [("complete", None, None)]
    with open(catalogue, encoding="utf-8-sig") as f:
        for r in csv.DictReader(f):
            dl, dv = read_obs(os.path.join(base, r["path"]))
            if uses_v and not dv:
                continue
            cadences.append((r["name"].replace(" ", ""), dl, dv if uses_v else []))
    os.makedirs(work, exist_ok=True)
    results = []
    for name, dl, dv in cadences:
        d = os.path.join(work, name)
        os.makedirs(d, exist_ok=True)
        lst = os.path.join(d, "list.csv")
        nLs, nvs = [], []
        with open(lst, "w") as f:
            f.write("name,path\n")
            for i in rows:
                nL, nv = write_obs(os.path.join(d, "r%d.csv" % i), t, logl[i], vph[i], dl, dv)
                nLs.append(nL)
                nvs.append(nv)
                f.write("r%d,r%d.csv\n" % (i, i))
        pred = os.path.join(d, "pred.csv")
        subprocess.run([snforge, "predict", model, "--catalogue", lst, "-o", pred], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        got = {}
        with open(pred) as f:
            for r in csv.DictReader(f):
                if r["status"] == "ok":
                    got[(int(r["name"][1:]), r["parameter"])] = r
        pooled = [0, 0.0, 0, 0]
        for k, p in enumerate(PARAMS):
            ape, c68, c95, n = [], 0, 0, 0
            for i in rows:
                r = got.get((i, p))
                if r is None:
                    continue
                truth = par[i, k]
                ape.append(abs(float(r["mean"]) - truth) / truth * 100.0)
                c68 += float(r["lo68"]) <= truth <= float(r["hi68"])
                c95 += float(r["lo95"]) <= truth <= float(r["hi95"])
                n += 1
            mape = float(np.mean(ape)) if ape else math.nan
            results.append([label, setname, name, int(np.median(nLs)), int(np.median(nvs)), p, n, mape,
                            100.0 * c68 / n if n else math.nan, 100.0 * c95 / n if n else math.nan])
            pooled[0] += n
            pooled[1] += sum(ape)
            pooled[2] += c68
            pooled[3] += c95
        n = pooled[0]
        results.append([label, setname, name, int(np.median(nLs)), int(np.median(nvs)), "pooled", n,
                        pooled[1] / n if n else math.nan, 100.0 * pooled[2] / n if n else math.nan,
                        100.0 * pooled[3] / n if n else math.nan])
        r = results[-1]
        print("%-10s %-6s %-10s L %3d v %3d  n %4d  MAPE %6.1f%%  cov68 %5.1f%%  cov95 %5.1f%%" %
              (label, setname, name, r[3], r[4], n, r[7], r[8], r[9]), flush=True)
    new = not os.path.exists(out)
    with open(out, "a") as f:
        w = csv.writer(f)
        if new:
            w.writerow(["model", "set", "cadence", "n_L", "n_v", "parameter", "n", "mape_pct", "cov68_pct",
                        "cov95_pct"])
        for r in results:
            w.writerow(r[:7] + ["%.2f" % r[7], "%.1f" % r[8], "%.1f" % r[9]])


if __name__ == "__main__":
    main()
