#!/usr/bin/env bash
# validation/sn1987a.sh: SN 1987A three ways, each with its wall time, beside the literature (issue 11):
#   1. `snforge keypoints`: what the light curve says by itself (peak, end of the dome, 56Co tail; M_Ni from
#      the tail with gamma-ray leakage, Arnett's rule, Popov 1993 inverted);
#   2. `snforge fit`: ensemble MCMC of the semi-analytic model (default physics and prior: the 87A-like
#      campaign grids/87a_default.ini, flux closure) -> posterior medians and 68%/95% intervals;
#   3. `snforge predict` with the network that `snforge run` trains (or MODEL=...): point estimates; its
#      forward pass alone is timed (predict prints it) and compared with the fit's wall time.
# Writes $OUT/sn1987a.md (table and notes), $OUT/sn1987a.csv, $OUT/sn1987a_corner.png, $OUT/sn1987a_bestfit.png.
#
# Settings (environment; defaults in brackets):
#   OBS [../shared/data/sn1987a_obs.csv, else validation/data/sn1987a/sn1987a_obs.csv]
#   MODEL []             a network file (snforge train); empty: `snforge run -o $WORK/run` trains one (minutes)
#   WALKERS [32] STEPS [8400] BURN [4000] SEED [1987] THREADS [2]   the fit (8400 steps: >= 50 tau after burn-in)
#   WORK [/tmp/snforge_sn1987a]   work folder (the fit's chain is resumable there)
#   OUT [validation/results]      where the table and figures go
#   SNFORGE [build/snforge]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
snf=${SNFORGE:-$here/build/snforge}
obs=${OBS:-$here/../shared/data/sn1987a_obs.csv}
[ -f "$obs" ] || obs=$here/validation/data/sn1987a/sn1987a_obs.csv
work=${WORK:-/tmp/snforge_sn1987a}
out=${OUT:-$here/validation/results}
W=${WALKERS:-32}; S=${STEPS:-8400}; B=${BURN:-4000}; SEED=${SEED:-1987}; TH=${THREADS:-2}
PY=/usr/bin/python3
mkdir -p "$work" "$out"
now() { date +%s.%N; }

echo "== keypoints"
t0=$(now); "$snf" keypoints "$obs" --json > "$work/keypoints.json"; t1=$(now)
kp_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')

echo "== fit ($W walkers x $S steps, $TH threads; resumable in $work/fit)"
"$snf" fit "$obs" -o "$work/fit" -w "$W" -s "$S" --burn "$B" --seed "$SEED" -t "$TH" | tee "$work/fit.txt"

model=${MODEL:-}
if [ -z "$model" ]; then
  echo "== snforge run (trains the network)"
  "$snf" run -o "$work/run" --threads "$TH" > "$work/run.log" 2>&1
  model=$work/run/model.h5
fi
echo "== predict with $model"
# One object: one thread (OpenMP team start-up and active waiting on a busy machine cost more than the pass).
t0=$(now); OMP_WAIT_POLICY=passive "$snf" predict "$model" "$obs" --threads 1 > "$work/predict.txt" 2> "$work/predict.err"; t1=$(now)
pr_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
cat "$work/predict.txt" "$work/predict.err"

cp "$work/fit/corner.png" "$out/sn1987a_corner.png" 2> /dev/null || echo "note: no corner.png (python/matplotlib)"
cp "$work/fit/bestfit.png" "$out/sn1987a_bestfit.png" 2> /dev/null || true
$PY - "$work" "$out" "$obs" "$model" "$kp_s" "$pr_s" "$W" "$S" "$B" "$SEED" "$TH" <<'PY'
import csv, json, re, sys
work, out, obs, model, kp_s, pr_s, W, S, B, seed, th = sys.argv[1:12]
kp = json.load(open(f"{work}/keypoints.json"))
fit = {r["parameter"]: r for r in csv.DictReader(open(f"{work}/fit/posterior.csv"))}
summ = json.load(open(f"{work}/fit/summary.json"))
pred = dict((l.split()[0], float(l.split()[1])) for l in open(f"{work}/predict.txt") if l.strip())
fwd = float(re.search(r"forward pass ([0-9.eE+-]+) ms", open(f"{work}/predict.err").read()).group(1)) / 1e3
fit_s = summ["wall_s"]
ratio = fit_s / fwd
RSUN = 6.957e10
# Literature (../shared/data/sn1987a_params.md): status as given there.
lit = [
    ("Arnett 1996 Table 13.2 (semi-analytic, AF89)", 1.7, 15, 3e12, 0.075, "physics notes [V-code: snlc defaults]"),
    ("Woosley 1988 (hydro)", None, "5-10 (envelope)", None, 0.07, "verified"),
    ("Menon, Utrobin & Heger 2019 (merger BSG + CRAB)", 1.7, 20.6, 37 * RSUN, 0.073, "verified"),
    ("Utrobin 2005 (optimal hydro model)", 1.5, 18, 35 * RSUN, 0.0765, "recalled, not verified"),
    ("Blinnikov et al. 2000 (STELLA)", "1.0-1.1", 14.7, "33-48 Rsun", "0.07-0.078", "recalled, not verified"),
]
def f(v, fmt="{:.3g}"):
    return "-" if v is None else (v if isinstance(v, str) else fmt.format(v))
def iv(p):
    r = fit[p]
    return f"{float(r['median']):.3g} [{float(r['lo68']):.3g}, {float(r['hi68']):.3g}] (95%: {float(r['lo95']):.3g}-{float(r['hi95']):.3g})"
rows = []
rows.append(("keypoints (classical)", f(kp["energy_popov_foe"]) + " (Popov)", f(kp["mass_popov_msun"]) + " (Popov)",
             f(kp["radius_popov_cm"]) + " (Popov)",
             f"{kp['nickel_from_tail']:.4f} +- {kp['nickel_from_tail_err']:.4f} (tail); {f(kp['nickel_from_peak'], '{:.3f}')} (Arnett's rule)",
             f"{float(kp_s):.3f} s (process)"))
rows.append((f"fit (MCMC, {summ['closure']} closure)", iv("energy"), iv("mass"), iv("radius"), iv("nickel"),
             f"{fit_s:.0f} s ({summ['model_calls']} model calls, {th} threads)"))
rows.append(("predict (network)", f(pred.get("energy")), f(pred.get("mass")), f(pred.get("radius")), f(pred.get("nickel")),
             f"{fwd * 1e3:.3g} ms forward pass ({float(pr_s):.2f} s process)"))
with open(f"{out}/sn1987a.csv", "w") as fh:
    w = csv.writer(fh)
    w.writerow(["method", "energy_foe", "mass_msun", "radius_cm", "nickel_msun", "wall_time"])
    for r in rows: w.writerow(r)
    for r in lit: w.writerow([r[0] + " [" + r[5] + "]", f(r[1]), f(r[2]), f(r[3]), f(r[4]), "-"])
md = [f"# SN 1987A: key points, Bayesian fit and network beside the literature",
      "",
      f"Made by `validation/sn1987a.sh` (observation `{obs.split('/')[-1]}`: L_bol digitized without errors, Fe II 5169 "
      f"velocities with fit errors; network `{model}`). Fit: {W} walkers x {S} steps, burn {B}, seed {seed}; "
      f"acceptance {summ['acceptance']:.2f}; autocorrelation {'reliable' if summ['autocorrelation_reliable'] else 'NOT reliable (steps < 50 tau)'}.",
      "",
      "| method | E (foe) | M (Msun) | R0 (cm) | M_Ni (Msun) | time |",
      "| --- | --- | --- | --- | --- | --- |"]
for r in rows: md.append("| " + " | ".join(r) + " |")
for r in lit: md.append(f"| {r[0]} ({r[5]}) | {f(r[1])} | {f(r[2])} | {f(r[3])} | {f(r[4])} | - |")
md += ["", "Fit: median [68%] (95% interval). Error floors (fractional model error): "
       + ", ".join(f"{k} {float(fit[k]['median']):.3f}" for k in fit if k.startswith("floor")) + ".",
       "", "| fit parameter | tau (steps) | ESS |", "| --- | --- | --- |"]
for p in summ["parameters"]:
    md.append(f"| {p['name']} | {p['tau_steps']:.1f} | {p['ess']:.0f} |")
md += ["", f"Speed: the fit took {fit_s:.0f} s; the network's forward pass {fwd * 1e3:.3g} ms: ratio {ratio:.3g} "
       f"({'>=' if ratio >= 1e4 else '<'} 1e4).", "",
       f"Key points: peak day {kp['t_peak_d']:.1f} +- {kp['t_peak_err']:.1f}, L_peak {kp['L_peak']:.3g} erg/s, end of the dome "
       f"day {kp['t_dome_end_d']:.1f}, tail days {kp['t_tail_from_d']:.0f}-{kp['t_tail_to_d']:.0f} declining "
       f"{kp['decline_mag_100d']:.2f} +- {kp['decline_err']:.2f} mag/100 d, v_ph(30 d) {kp['vph_30d']:.0f} km/s.", ""]
# Which method recovers which parameter: inside the span of the literature rows above (E 1.0-1.7 foe,
# M 14.7-20.6 Msun, R0 2.3e12-3.4e12 cm = 33-48 Rsun, M_Ni 0.069-0.078 Msun), the fit by its 95% interval.
span = {"energy": (1.0, 1.7), "mass": (14.7, 20.6), "radius": (2.3e12, 3.4e12), "nickel": (0.069, 0.078)}
def hit(lo, hi, p):
    a, b = span[p]
    return hi >= a and lo <= b
nan = lambda v: float("nan") if v is None else v  # Popov's estimates are null outside his domain (plateaus)
got = {"keypoints": {"energy": nan(kp["energy_popov_foe"]), "mass": nan(kp["mass_popov_msun"]),
                     "radius": nan(kp["radius_popov_cm"]), "nickel": nan(kp["nickel_from_tail"])},
       "predict": {p: pred.get(p, float("nan")) for p in span}}
rec = {m: [p for p in span if hit(v[p], v[p], p)] for m, v in got.items()}
rec["fit"] = [p for p in span if hit(float(fit[p]["lo95"]), float(fit[p]["hi95"]), p)]
md += ["## Which method recovers what, and why the others miss", "",
       f"Recovered (inside the literature's span; the fit by its 95% interval): keypoints {', '.join(rec['keypoints']) or 'none'}; "
       f"fit {', '.join(rec['fit']) or 'none'}; network {', '.join(rec['predict']) or 'none'}.", "",
       "- The nickel mass is what every method that reads the 56Co tail gets: it rests on decay energetics alone "
       "(key points: the tail with gamma-ray leakage; the fit: the model's tail is the same deposited decay power). "
       "Arnett's rule at the peak overestimates it (87A's dome holds shock and recombination energy besides nickel).",
       "- The fit's E, M and R0 carry the semi-analytic model's known gaps against hydrodynamics "
       "(validation/results/choice.md and README 'Hydro outputs and model-vs-hydro': on 13 SNEC 87A-like models the "
       "flux closure's best-fit parameters are biased by -50% in E, -54% in M and +85% in R0, -1% in M_Ni). The "
       "literature's rows are hydro models, so the fit lands low in E and M and high in R0 by about those factors; "
       "the mass presses against the prior's lower edge (10 Msun, grids/87a_default.ini), so its interval is cut "
       "by the prior. The fitted error floors (about 12% on L and 33% on v_ph) say the model cannot follow the "
       "data within their errors: the model's v_ph = x_i v_sc stays at v_sc (about 3000 km/s) while the front sits "
       "at the surface of its uniform-density ejecta (the first ~50 days), whereas the observed Fe II 5169 velocities "
       "fall from 6500 to 2000 km/s in the first 40 days (steep outer layers the model does not have), and its "
       "dome rises later and peaks higher than SN 1987A's (sn1987a_bestfit.png).",
       "- Popov's (1993) relations are for red-supergiant plateaus (t_p, L_p of a plateau, v_ph): a blue-supergiant "
       "dome powered by nickel is outside their domain, hence the order-of-magnitude misses.",
       "- The network is the one `snforge run` trains in minutes (4,096 models, 30 epochs; its own held-out MAPE "
       "5-9%), on the same semi-analytic model, so it inherits the fit's model gap; in addition SN 1987A is outside "
       "its training distribution (its answers can leave the prior: M below 10 Msun), and its interpolated input "
       "covers the observation's days 4-188 only. Its value is speed, not accuracy, until trained on hydro data.", ""]
open(f"{out}/sn1987a.md", "w").write("\n".join(md) + "\n")
print("\n".join(md))
PY
