#!/usr/bin/env python3
"""real_objects.py: the bookkeeping and the report of validation/real_objects.sh (run from its work folder).

  lists CATALOGUE BOTH.csv LUM.csv   one catalogue list per model: every object for the luminosity model, the
                                     objects whose file has velocities for the two-series model (absolute paths)
  paths CATALOGUE                    KEY<TAB>PATH per object (KEY: the name as a file name)
  starts BOTH.csv LUM.csv            KEY<TAB>PATH<TAB>E,M,R,Ni: the network's answer each fit starts from (the
                                     two-series model's where it answered, else the luminosity model's)
  report --snforge ... --out DIR     OUT/objects.csv, objects.md and figures/KEY.png
"""
import argparse
import csv
import io
import json
import math
import os
import re
import subprocess
import sys

PARAMS = ["energy", "mass", "radius", "nickel"]
UNITS = {"energy": "foe", "mass": "Msun", "radius": "cm", "nickel": "Msun"}
MODELS = ["both", "luminosity"]
LABEL = {"both": "two-series (L, v_ph)", "luminosity": "luminosity-only"}


def key_of(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "object"


def read_catalogue(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    head = [h.strip() for h in rows[0]]
    if head[:2] != ["name", "path"]:
        sys.exit(f"real_objects.py: {path}:1: bad header (expected name,path[,t0_err_d])")
    base = os.path.dirname(os.path.abspath(path))
    out = []
    for r in rows[1:]:
        if not r or not "".join(r).strip():
            continue
        p = r[1].strip()
        out.append({"name": r[0].strip(), "path": os.path.normpath(os.path.join(base, p)),
                    "t0": r[2].strip() if len(r) > 2 and len(head) > 2 else ""})
    return out


def read_obs(path):
    """The observation's rows as dicts of floats (None where empty); [] if unreadable."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            lines = [ln for ln in f if not ln.lstrip().startswith("#") and ln.strip()]
    except OSError:
        return []
    rows = []
    for r in csv.DictReader(io.StringIO("".join(lines))):
        d = {}
        for k in ("t_d", "L_erg_s", "L_err", "vph_km_s", "vph_err"):
            try:
                v = float(r.get(k) or "nan")
            except ValueError:
                v = float("nan")
            d[k] = v if math.isfinite(v) else None
        rows.append(d)
    return rows


def has_velocities(path):
    return any(r["vph_km_s"] is not None for r in read_obs(path))


def write_list(path, objs):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["name", "path", "t0_err_d"])
        for o in objs:
            w.writerow([o["name"], o["path"], o["t0"]])


def read_answers(path, model):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r["model"] = model
    return rows


def answers_by_object(files):
    """{name: {model: {parameter: row}}}"""
    out = {}
    for model, path in files:
        for r in read_answers(path, model):
            out.setdefault(r["name"], {}).setdefault(model, {})[r["parameter"]] = r
    return out


def cmd_lists(a):
    objs = read_catalogue(a[0])
    write_list(a[1], [o for o in objs if has_velocities(o["path"])])
    write_list(a[2], objs)


def cmd_paths(a):
    for o in read_catalogue(a[0]):
        print(f"{key_of(o['name'])}\t{o['path']}")


def cmd_starts(a):
    ans = answers_by_object([("both", a[0]), ("luminosity", a[1])])
    paths = {}
    for model, p in (("both", "list_both.csv"), ("luminosity", "list_luminosity.csv")):
        for o in read_catalogue(p):
            paths[o["name"]] = o["path"]
    for name, by in ans.items():
        for model in MODELS:
            rows = by.get(model)
            if rows and all(rows[p]["status"] == "ok" for p in PARAMS):
                print(f"{key_of(name)}\t{paths[name]}\t" + ",".join(rows[p]["mean"] for p in PARAMS))
                break


def literature(path):
    lit = {}
    with open(path) as f:
        for r in csv.DictReader(ln for ln in f if not ln.startswith("#")):
            lo = float(r["lo"]) if r["lo"] else None
            hi = float(r["hi"]) if r["hi"] else None
            lit.setdefault(r["name"], {})[r["parameter"]] = (lo, hi, r["source"])
    return lit


def where(lo, hi, a, b):
    """Where the published range [a, b] falls against the interval [lo, hi]."""
    if a is None:
        return "not published"
    if a >= lo and b <= hi:
        return "inside"
    if a <= lo and b >= hi:
        return "interval within range"
    if b < lo:
        return "below"
    if a > hi:
        return "above"
    return "overlaps"


def rhat(chain_path, burn):
    """Split R-hat over walkers (each walker's post burn-in half split in two), per dimension; None if absent."""
    try:
        import h5py
        import numpy as np
    except ImportError:
        return None
    if not os.path.exists(chain_path):
        return None
    with h5py.File(chain_path, "r") as f:
        c = np.asarray(f["chain"])  # [steps, walkers, D]
    c = c[burn:]
    n = c.shape[0] // 2
    if n < 4:
        return None
    s = np.concatenate([c[:n], c[n:2 * n]], axis=1)  # [n, 2W, D]
    m = s.mean(axis=0)
    w = s.var(axis=0, ddof=1).mean(axis=0)
    b = n * m.var(axis=0, ddof=1)
    return list(np.sqrt(((n - 1) / n * w + b / n) / w))


def fit_summary(key):
    p = os.path.join("fits", key, "summary.json")
    if not os.path.exists(p):
        return None
    s = json.load(open(p))
    r = rhat(os.path.join("fits", key, "chain.h5"), int(s["burn"]))
    s["rhat"] = r
    ess = [q["ess"] for q in s["parameters"]]
    s["converged"] = bool(s["autocorrelation_reliable"]) and r is not None and max(r) < 1.05
    s["min_ess"] = min(ess)
    return s


def simulate(snforge, row):
    out = subprocess.run([snforge, "simulate", "--energy", row["energy"]["mean"], "--mass", row["mass"]["mean"],
                          "--radius", row["radius"]["mean"], "--nickel", row["nickel"]["mean"], "--t-max", "300"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        return None
    t, L, v = [], [], []
    for r in csv.DictReader(io.StringIO(out.stdout)):
        t.append(float(r["t_d"]))
        L.append(float(r["L_erg_s"]))
        v.append(float(r["vph_km_s"]) if r["vph_km_s"] else float("nan"))
    return t, L, v


def figure(path, name, obs, curves):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    has_v = any(r["vph_km_s"] is not None for r in obs)
    fig, axes = plt.subplots(2 if has_v else 1, 1, figsize=(6.4, 6.4 if has_v else 3.8), sharex=True, squeeze=False)
    ax = axes[0][0]
    rl = [r for r in obs if r["L_erg_s"] is not None and r["t_d"] is not None]
    ax.errorbar([r["t_d"] for r in rl], [r["L_erg_s"] for r in rl], yerr=[r["L_err"] or 0 for r in rl], fmt="o",
                ms=3, color="k", label=f"{name} (data)")
    styles = {"both": ("C0", "-"), "luminosity": ("C3", "--")}
    for model, (t, L, v) in curves.items():
        c, ls = styles[model]
        ax.plot(t, L, color=c, ls=ls, label=f"semi-analytic model at the {LABEL[model]} network's answer")
    ax.set_yscale("log")
    ax.set_ylabel("L_bol (erg/s)")
    ax.set_title(name)
    ax.legend(fontsize=7)
    if has_v:
        ax = axes[1][0]
        rv = [r for r in obs if r["vph_km_s"] is not None and r["t_d"] is not None]
        ax.errorbar([r["t_d"] for r in rv], [r["vph_km_s"] for r in rv], yerr=[r["vph_err"] or 0 for r in rv],
                    fmt="o", ms=3, color="k", label="Fe II 5169 velocity (data)")
        for model, (t, L, v) in curves.items():
            c, ls = styles[model]
            ax.plot(t, v, color=c, ls=ls, label=f"v_ph at the {LABEL[model]} network's answer")
        ax.set_ylabel("v_ph (km/s)")
        ax.legend(fontsize=7)
    axes[-1][0].set_xlabel("time since explosion (days)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def fmt(x):
    return f"{float(x):.3g}" if x not in (None, "") else ""


def cmd_report(argv):
    ap = argparse.ArgumentParser(prog="real_objects.py report")
    for k in ("snforge", "fit", "catalogue", "literature", "scale", "members", "n-sa", "out", "timing", "test-hydro"):
        ap.add_argument("--" + k, default="")
    a = ap.parse_args(argv)
    objs = read_catalogue(a.catalogue)
    lit = literature(a.literature)
    files = [("both", "objects_both.csv"), ("luminosity", "objects_luminosity.csv")]
    ans = answers_by_object(files)
    # OUT/objects.csv: the catalogue's columns plus the model
    cols = None
    with open(os.path.join(a.out, "objects.csv"), "w", newline="") as f:
        w = None
        for model, p in files:
            for r in read_answers(p, model):
                if w is None:
                    cols = [c for c in r if c != "model"] + ["model"]
                    w = csv.DictWriter(f, fieldnames=cols)
                    w.writeheader()
                w.writerow(r)
    cov = list(csv.DictReader(open("hydro_coverage.csv")))
    md = [f"# Real supernovae answered by the deployable networks (SCALE={a.scale})", ""]
    if a.scale != "full":
        md += ["**Small scale**: a %s-model semi-analytic campaign, %s final members, short stage 1; the figures "
               "show the pipeline, not the models' best accuracy (SCALE=full: 30,000 models, 5 members, MCMC "
               "fits)." % (a.n_sa, a.members), ""]
    md += ["Made by `validation/real_objects.sh` (its header says every step). Two deployable models, "
           "`snforge curriculum validation/curriculum.ini (no ablations) --final`: **both** (L_bol and v_ph) and "
           "**luminosity** (L_bol only), trained on the semi-analytic campaign and every SNEC model of "
           "`shared/hydro/snec`, their intervals calibrated on the out-of-fold hydro predictions. Each object is "
           "answered by every model its series allow (`objects.csv`, column `model`). A flagged answer "
           "(`ood_flag` true or `outside_range` true) is an extrapolation: its numbers are not measurements.", ""]
    md += ["## The intervals on hydro models", "",
           "| model | set | parameter | 68% coverage | 95% coverage | n |", "| --- | --- | --- | --- | --- | --- |"]
    for r in cov:
        md.append(f"| {r['model']} | {r['set']} | {r['parameter']} | {r['coverage68_pct']} % | "
                  f"{r['coverage95_pct']} % | {r['n']} |")
    md += ["", "out_of_fold: each SNEC model predicted by the fold model that never trained or selected on it, the "
           "interval that prediction +- z sigma with sigma^2 the calibration's residual variance fitted without that "
           "model (leave-one-out; validation/final_coverage.sh). "
           + ("external: `snforge evaluate` of the final model on " + os.path.basename(a.test_hydro) + "."
              if a.test_hydro else "external: no TEST_HYDRO was given, so no external set is scored."), ""]
    # the summary table: literature against the 95% intervals
    md += ["## Literature against the 95% intervals", "",
           "| object | model | OOD flag (p) | energy | mass | radius | nickel |",
           "| --- | --- | --- | --- | --- | --- | --- |"]
    for o in objs:
        by = ans.get(o["name"], {})
        for model in MODELS:
            rows = by.get(model)
            if not rows:
                continue
            r0 = rows[PARAMS[0]]
            if r0["status"] != "ok":
                md.append(f"| {o['name']} | {model} | error | {r0['message']} | | | |")
                continue
            cells = []
            for p in PARAMS:
                lo, hi, _ = lit.get(o["name"], {}).get(p, (None, None, ""))
                pos = where(float(rows[p]["lo95"]), float(rows[p]["hi95"]), lo, hi)
                out = " (outside training range)" if rows[p]["outside_range"] == "true" else ""
                cells.append(pos + out)
            md.append(f"| {o['name']} | {model} | {r0['ood_flag']} ({fmt(r0['ood_p_value'])}) | " + " | ".join(cells)
                      + " |")
    md += ["", "inside: the published range lies inside the network's 95% interval; interval within range: the interval "
           "lies inside the published range; overlaps: in part; below / above: the published range lies wholly "
           "below / above the interval.", ""]
    # per object
    for o in objs:
        key = key_of(o["name"])
        by = ans.get(o["name"], {})
        obs = read_obs(o["path"])
        nL = sum(r["L_erg_s"] is not None for r in obs)
        nv = sum(r["vph_km_s"] is not None for r in obs)
        md += [f"## {o['name']}", "", f"Data: `{os.path.relpath(o['path'], os.path.dirname(a.catalogue))}` "
               f"({nL} L_bol points, {nv} v_ph points" + (f"; t0_err_d {o['t0']}" if o["t0"] else "") + ").", ""]
        md += ["| model | parameter | mean | 68% | 95% | literature | where | outside training range |",
               "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        curves = {}
        for model in MODELS:
            rows = by.get(model)
            if not rows:
                continue
            if rows[PARAMS[0]]["status"] != "ok":
                md.append(f"| {model} | error: {rows[PARAMS[0]]['message']} | | | | | | |")
                continue
            for p in PARAMS:
                r = rows[p]
                lo, hi, src = lit.get(o["name"], {}).get(p, (None, None, ""))
                ls = "" if lo is None else (fmt(lo) if lo == hi else f"{fmt(lo)}-{fmt(hi)}") + f" ({src})"
                md.append(f"| {model} | {p} | {fmt(r['mean'])} {r['unit']} | [{fmt(r['lo68'])}, {fmt(r['hi68'])}] | "
                          f"[{fmt(r['lo95'])}, {fmt(r['hi95'])}] | {ls} | "
                          f"{where(float(r['lo95']), float(r['hi95']), lo, hi)} | {r['outside_range']} |")
            r0 = rows[PARAMS[0]]
            md.append(f"| {model} | flags | OOD {r0['ood_flag']}: score {fmt(r0['ood_score'])}, p {fmt(r0['ood_p_value'])}"
                      f" | | | | | {r0['message']} |")
            c = simulate(a.snforge, rows)
            if c:
                curves[model] = c
        md.append("")
        kp = os.path.join("keypoints", key + ".json")
        if os.path.exists(kp) and os.path.getsize(kp) > 0:
            k = json.loads(open(kp).read().splitlines()[0])
            items = []
            for n in ("nickel_from_tail", "nickel_from_peak", "energy_popov_foe", "mass_popov_msun", "radius_popov_cm",
                      "t_peak_d", "L_peak"):
                v = k.get(n)
                if v is not None and not (isinstance(v, float) and math.isnan(v)):
                    e = k.get(n + "_err")
                    items.append(f"{n} {fmt(v)}" + (f" +- {fmt(e)}" if e not in (None, "") else ""))
            why = [f"{n}: {k[n]}" for n in ("popov_outside", "arnett_outside") if k.get(n)]
            md += ["Key points (`snforge keypoints`): " + ("; ".join(items) if items else "no classical estimate")
                   + (" (" + "; ".join(why) + ")" if why else "") + ".", ""]
        else:
            md += ["Key points: none (`snforge keypoints` failed on this file; see keypoints/%s.log)." % key, ""]
        s = fit_summary(key)
        if s is None:
            md += ["MCMC fit: not run (FIT=no; SCALE=full runs `snforge fit --start` from the network's answer)."
                   if a.fit != "yes" else "MCMC fit: none (no network answer to start from, or the fit failed).", ""]
        elif not s["converged"]:
            rh = "n/a" if s["rhat"] is None else f"{max(s['rhat']):.3f}"
            md += [f"MCMC fit: **not converged** (max R-hat {rh}, min ESS {s['min_ess']:.0f}, steps >= 50 tau: "
                   f"{s['autocorrelation_reliable']}): no result is quoted.", ""]
        else:
            parts = [f"{q['name']} {fmt(q['median'])} [{fmt(q['lo95'])}, {fmt(q['hi95'])}] {q['unit']}"
                     + (f" (PRIOR EDGE {q['prior_edge']})" if q["prior_edge"] != "none" else "")
                     for q in s["parameters"]]
            md += [f"MCMC fit (converged: max R-hat {max(s['rhat']):.3f}, min ESS {s['min_ess']:.0f}; median and "
                   f"95%): " + "; ".join(parts) + ".", ""]
        if obs:
            figure(os.path.join(a.out, "figures", key + ".png"), o["name"], obs, curves)
            md += [f"![{o['name']}](figures/{key}.png)", ""]
    md += ["## Run", "", f"- {a.timing}", ""]
    open(os.path.join(a.out, "objects.md"), "w").write("\n".join(md))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, rest = sys.argv[1], sys.argv[2:]
    {"lists": cmd_lists, "paths": cmd_paths, "starts": cmd_starts, "report": cmd_report}[cmd](rest)


if __name__ == "__main__":
    main()
