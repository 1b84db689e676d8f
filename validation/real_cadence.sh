#!/usr/bin/env bash
# validation/real_cadence.sh: the deployable models of validation/real_objects.sh on hydro models observed with
# each bundled real object's own days, against complete curves (issue 22 item 2's measure), and `snforge plan`'s
# precision kept at K = 5, 10, 20. Reads the finished WORK folder of real_objects.sh (out_both/final/model.h5,
# out_luminosity/final/model.h5, sa.h5 and the SNEC set hydro.h5); light (about a minute on 2 cores).
#   1. validation/augmentation_eval.py on TEST_HYDRO for both models: every usable model of the set as an
#      observation file, complete (every day with a value) or on the L days (and v_ph days, for the two-series
#      model) of every object of CATALOGUE, answered by `snforge predict --catalogue`: MAPE and 68%/95% coverage;
#   1b. the k-fold figures on the SNEC models of the experiment (WORK/out_M/base): every hydro model predicted by
#      the stage-2 model of the fold that tested it (tested.csv: never trained or selected on it), observed
#      complete or on each object's days as in 1; MAPE, and the coverage of log10 prediction +- z sigma with the
#      deployable model's calibrated sigma^2 (/uq/var_add of out_M/final/model.h5, fitted on the out-of-fold
#      residuals of the inputs the experiment scored: complete curves, or draws under [observe]);
#   2. `snforge plan MODEL --epochs 20 --data D` with the stand-in object (the one nearest the mean parameters) of
#      D = sa.h5 (the semi-analytic training set), hydro.h5 (the SNEC models) and TEST_HYDRO.
# Writes OUT/real_cadence.csv (augmentation_eval.py's rows: model,set,cadence,n_L,n_v,parameter,n,mape_pct,
# cov68_pct,cov95_pct), OUT/real_cadence_kfold.csv (the same columns, set = kfold), OUT/real_cadence_plan.csv (model,data,K,energy,mass,radius,nickel: percent of the full
# curve's precision kept) and OUT/real_cadence.md.
#
# Settings (environment variables; defaults in brackets):
#   WORK [/tmp/snforge_real_full]   a finished real_objects.sh work folder
#   TEST_HYDRO [validation/data/hydro_campaign/hydro500.h5]   the hydro set the cadences are scored on: one neither
#                    model trained or selected on (the SNEC models of WORK/hydro.h5 are the models' training set)
#   CATALOGUE [validation/data/real/catalogue.csv]   the objects whose days are taken
#   OUT [validation/results]   SNFORGE [build/snforge]   THREADS [2]
# Exit status: 0 done, 1 a step failed, 2 bad settings.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 0
fi
WORK=${WORK:-/tmp/snforge_real_full}
TEST_HYDRO=${TEST_HYDRO:-$root/validation/data/hydro_campaign/hydro500.h5}
CATALOGUE=${CATALOGUE:-$root/validation/data/real/catalogue.csv}
OUT=${OUT:-$root/validation/results}
SNFORGE=${SNFORGE:-$root/build/snforge}
THREADS=${THREADS:-2}
PY=${SNFORGE_PYTHON:-/usr/bin/python3}
die() { echo "real_cadence.sh: $*" >&2; exit "${2:-2}"; }
[ -x "$SNFORGE" ] || die "no snforge program at $SNFORGE (build it, or set SNFORGE)"
[ -r "$TEST_HYDRO" ] || die "TEST_HYDRO=$TEST_HYDRO is not readable"
[ -r "$CATALOGUE" ] || die "CATALOGUE=$CATALOGUE is not readable"
for m in both luminosity; do
    [ -f "$WORK/out_$m/final/model.h5" ] || die "no $WORK/out_$m/final/model.h5 (run validation/real_objects.sh first)"
done
[ -f "$WORK/sa.h5" ] && [ -f "$WORK/hydro.h5" ] || die "no $WORK/sa.h5 or $WORK/hydro.h5"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
scratch=$(mktemp -d /tmp/snf_real_cadence.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
load0=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(date +%s)

# ---- 1. cadences ----
: > "$scratch/eval.txt"
for m in both luminosity; do
    "$PY" "$here/augmentation_eval.py" "$SNFORGE" "$WORK/out_$m/final/model.h5" "$m" "$TEST_HYDRO" \
        "$(basename "$TEST_HYDRO" .h5)" "$CATALOGUE" "$scratch/w_$m" "$scratch/eval_$m.csv" >> "$scratch/eval.txt" ||
        die "augmentation_eval.py failed for the $m model" 1
done
{ head -1 "$scratch/eval_both.csv"; tail -n +2 "$scratch/eval_both.csv"; tail -n +2 "$scratch/eval_luminosity.csv"; } \
    > "$OUT/real_cadence.csv"

# ---- 1b. k-fold: each SNEC model by the fold model that tested it, on each cadence ----
"$PY" - "$here" "$SNFORGE" "$WORK" "$CATALOGUE" "$scratch/kfold" "$OUT/real_cadence_kfold.csv" <<'PY' ||
import csv, glob, math, os, subprocess, sys
import h5py
import numpy as np
here, snforge, work, catalogue, scratch, out = sys.argv[1:7]
sys.path.insert(0, here)
from augmentation_eval import PARAMS, model_channels, read_obs, write_obs
with h5py.File(os.path.join(work, "hydro.h5"), "r") as f:
    t, logl, vph, par = f["time"][:], f["log_lbol"][:], f["vph"][:], f["params"][:, :4]
rows_out = []
for m in ("both", "luminosity"):
    final = os.path.join(work, "out_%s" % m, "final", "model.h5")
    with h5py.File(final, "r") as f:
        sig = np.sqrt(f["uq/var_add"][:])
    uses_v = model_channels(final) != "luminosity"
    folds = sorted(glob.glob(os.path.join(work, "out_%s" % m, "base", "fold*", "tested.csv")))
    tested = []
    for tf in folds:
        ids = [int(l.split(",")[1]) for l in open(tf) if l[0].isdigit()]
        tested.append((os.path.join(os.path.dirname(tf), "stage2.h5"), ids))
    base = os.path.dirname(os.path.abspath(catalogue))
    cad = [("complete", None, None)]
    for r in csv.DictReader(open(catalogue, encoding="utf-8-sig")):
        dl, dv = read_obs(os.path.join(base, r["path"]))
        if uses_v and not dv:
            continue
        cad.append((r["name"].replace(" ", ""), dl, dv if uses_v else []))
    for name, dl, dv in cad:
        d = os.path.join(scratch, m, name)
        os.makedirs(d, exist_ok=True)
        pred, nLs, nvs = {}, [], []
        for k, (model, ids) in enumerate(tested):
            lst = os.path.join(d, "fold%d.csv" % (k + 1))
            with open(lst, "w") as f:
                f.write("name,path\n")
                for i in ids:
                    nL, nv = write_obs(os.path.join(d, "r%d.csv" % i), t, logl[i], vph[i], dl, dv)
                    nLs.append(nL)
                    nvs.append(nv)
                    f.write("r%d,r%d.csv\n" % (i, i))
            po = os.path.join(d, "pred%d.csv" % (k + 1))
            subprocess.run([snforge, "predict", model, "--catalogue", lst, "-o", po], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for r in csv.DictReader(open(po)):
                if r["status"] == "ok":
                    pred[(int(r["name"][1:]), r["parameter"])] = float(r["mean"])
        for q, p in enumerate(PARAMS):
            ape, c68, c95 = [], 0, 0
            for (i, pp), v in pred.items():
                if pp != p:
                    continue
                e = abs(math.log10(v / par[i, q]))
                ape.append(abs(v - par[i, q]) / par[i, q] * 100.0)
                c68 += e <= sig[q]
                c95 += e <= 1.959964 * sig[q]
            n = len(ape)
            rows_out.append([m, "kfold", name, int(np.median(nLs)), int(np.median(nvs)), p, n,
                             float(np.mean(ape)) if n else math.nan, 100.0 * c68 / n if n else math.nan,
                             100.0 * c95 / n if n else math.nan])
with open(out, "w") as f:
    f.write("model,set,cadence,n_L,n_v,parameter,n,mape_pct,cov68_pct,cov95_pct\n")
    for r in rows_out:
        f.write("%s,%s,%s,%d,%d,%s,%d,%.2f,%.1f,%.1f\n" % tuple(r))
PY
    die "the k-fold cadence figures failed" 1

# ---- 2. plan ----
echo "model,data,K,energy,mass,radius,nickel" > "$OUT/real_cadence_plan.csv"
for m in both luminosity; do
    for d in "$WORK/sa.h5" "$WORK/hydro.h5" "$TEST_HYDRO"; do
        "$SNFORGE" plan "$WORK/out_$m/final/model.h5" --epochs 20 --data "$d" --threads "$THREADS" \
            > /dev/null 2> "$scratch/plan.txt" || { cat "$scratch/plan.txt" >&2; die "plan failed ($m, $d)" 1; }
        sed -n 's/^snforge plan: \([0-9]*\) observations keep \([0-9.]*\)% \([0-9.]*\)% \([0-9.]*\)% \([0-9.]*\)% .*/\1,\2,\3,\4,\5/p' \
            "$scratch/plan.txt" | awk -F, -v m="$m" -v d="$(basename "$d")" '{ print m "," d "," $0 }' \
            >> "$OUT/real_cadence_plan.csv"
    done
done
[ "$(grep -c . "$OUT/real_cadence_plan.csv")" -eq 19 ] || die "plan did not print K = 5, 10, 20 for every run" 1

# ---- 3. the table ----
"$PY" - "$OUT/real_cadence.csv" "$OUT/real_cadence_plan.csv" "$OUT/real_cadence.md" "$WORK" "$TEST_HYDRO" \
    "$load0" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(($(date +%s) - t0))" "$OUT/real_cadence_kfold.csv" <<'PY'
import csv, sys
ev, plan, md, work, test, la, lb, secs, kf = sys.argv[1:10]
rows = list(csv.DictReader(open(ev)))
pooled = {}
def pool(rows, pooled):
    for r in rows:
        k = (r["model"], r["cadence"])
        p = pooled.setdefault(k, {"n": 0, "ape": 0.0, "c68": 0.0, "c95": 0.0, "nL": r["n_L"], "nv": r["n_v"]})
        n = int(r["n"])
        p["n"] += n
        p["ape"] += n * float(r["mape_pct"])
        p["c68"] += n * float(r["cov68_pct"])
        p["c95"] += n * float(r["cov95_pct"])
pool(rows, pooled)
kpooled = {}
pool(list(csv.DictReader(open(kf))), kpooled)
out = ["# The deployable models on real cadences, and `plan`'s kept precision",
       "",
       "Made by `validation/real_cadence.sh` (WORK=%s, TEST_HYDRO=%s) in %s s, load average %s at the start, %s at"
       " the end." % (work, test, secs, la, lb),
       "",
       "## Hydro models observed with each real object's days",
       "",
       "The models of TEST_HYDRO (never trained or selected on) as observation files: complete curves, or each"
       " bundled object's own L days (and v_ph days for the two-series model; objects without velocities are not"
       " scored by it), values from the model's curve, no noise; `snforge predict --catalogue`"
       " (validation/augmentation_eval.py). MAPE and coverage pooled over E, M, R0, M_Ni; per parameter in"
       " real_cadence.csv.",
       "",
       "| model | cadence | median L / v epochs | n | MAPE | 68% coverage | 95% coverage |",
       "| --- | --- | --- | --- | --- | --- | --- |"]
for (m, c), p in pooled.items():
    n = p["n"]
    out.append("| %s | %s | %s / %s | %d | %.1f%% | %.1f%% | %.1f%% |" %
               (m, c, p["nL"], p["nv"], n, p["ape"] / n, p["c68"] / n, p["c95"] / n))
out += ["", "## k-fold: the SNEC models by the fold model that tested them, on each object's days", "",
        "Every hydro model of the experiment (WORK/hydro.h5) predicted by the stage-2 model of the fold that tested"
        " it (never trained or selected on it), observed complete or on each object's days as above (no noise);"
        " intervals: log10 prediction +- z sigma with the deployable model's calibrated sigma (/uq/var_add). MAPE"
        " and coverage pooled over the four parameters; per parameter in real_cadence_kfold.csv.", "",
        "| model | cadence | median L / v epochs | n | MAPE | 68% coverage | 95% coverage |",
        "| --- | --- | --- | --- | --- | --- | --- |"]
for (m, c), p in kpooled.items():
    n = p["n"]
    out.append("| %s | %s | %s / %s | %d | %.1f%% | %.1f%% | %.1f%% |" %
               (m, c, p["nL"], p["nv"], n, p["ape"] / n, p["c68"] / n, p["c95"] / n))
out += ["", "## `snforge plan --epochs 20`: precision kept with K chosen epochs",
        "",
        "Percent of the whole curve's precision (the predicted log10 std with the whole curve over the one with K"
        " epochs) for the stand-in object of each data set (the one nearest the mean parameters). Over 100%: the"
        " network claims to be surer with K epochs than with the whole curve (its uncertainty for sparse curves"
        " is not calibrated).", "",
        "| model | stand-in from | K | energy | mass | radius | nickel |", "| --- | --- | --- | --- | --- | --- | --- |"]
for r in csv.DictReader(open(plan)):
    out.append("| %s | %s | %s | %s%% | %s%% | %s%% | %s%% |" %
               (r["model"], r["data"], r["K"], r["energy"], r["mass"], r["radius"], r["nickel"]))
open(md, "w").write("\n".join(out) + "\n")
PY
cat "$scratch/eval.txt"
echo "real_cadence.sh: $OUT/real_cadence.md, real_cadence.csv, real_cadence_kfold.csv, real_cadence_plan.csv ($(($(date +%s) - t0)) s)"
