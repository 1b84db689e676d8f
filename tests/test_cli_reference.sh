#!/usr/bin/env bash
# test_cli_reference.sh SNFORGE SOURCE_DIR SHARED_DIR: LC2's and snlc's published tables reproduced from the
# command line alone (`snforge simulate` options for every physics setting), with the tolerances test_model
# holds through the library: L within 2% (LC2 outside its floor jump; snlc slow to day 190 but 182), peak day
# within 2 d, peak L within 2%, v_ph within 1% (LC2 before the floor) / 3% (snlc slow). Issue 11.
set -u
snf=$1; src=$2; shared=$3
pass=0; fail=0
ok()  { pass=$((pass+1)); echo "PASS $*"; }
bad() { fail=$((fail+1)); echo "FAIL $*"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ref() { if [ -f "$shared/physics/reference/$1" ]; then echo "$shared/physics/reference/$1";
        else echo "$src/validation/data/reference/$1"; fi; }

# compare NAME SIM.csv REF.txt RANGES VPH_RANGES VTOL: max |L/L_ref - 1| over the days in RANGES (a,b;c,d)
# must be <= 0.02 and max |v/v_ref - 1| over VPH_RANGES <= VTOL.
compare() {
  /usr/bin/python3 - "$@" <<'PY'
import sys, numpy as np
name, sim, ref, lr, vr, vtol = sys.argv[1:7]
s = np.genfromtxt(sim, delimiter=",", names=True)
r = np.loadtxt(ref, comments="#")
def days(spec):
    out = []
    for part in spec.split(";"):
        a, b = part.split(",")
        out += list(range(int(a), int(b) + 1))
    return np.array(out)
d = days(lr)
assert np.allclose(s["t_d"][d], r[d, 0]) and np.allclose(r[d, 0], d)
eL = np.max(np.abs(s["L_erg_s"][d] / r[d, 1] - 1))
dv = days(vr)
eV = np.max(np.abs(s["vph_km_s"][dv] / r[dv, 2] - 1))
print(f"{name}: max |L/L_ref - 1| = {eL:.4f} over {lr}; max |v/v_ref - 1| = {eV:.4f} over {vr}")
sys.exit(0 if eL <= 0.02 and eV <= float(vtol) else 1)
PY
}

# peak NAME ERR.txt DAY L: the summary line's peak day within 2 d and peak L within 2%.
peak() {
  local line; line=$(grep "peak day" "$2")
  local d lg; d=$(sed -E 's/.*peak day ([0-9.]+).*/\1/' <<< "$line"); lg=$(sed -E 's/.*log L_peak ([0-9.]+).*/\1/' <<< "$line")
  if awk -v d="$d" -v lg="$lg" -v D="$3" -v L="$4" 'BEGIN { l = 10^lg; exit !((d-D)^2 <= 4 && (l/L-1)^2 <= 0.0004) }'; then
    ok "$1 peak day $d (ref $3), L $(awk -v lg="$lg" 'BEGIN{printf "%.4g", 10^lg}') (ref $4)"
  else bad "$1 peak day $d (ref $3), log L $lg (ref $4)"; fi
}

# LC2 v1 (Nagy et al. 2014) as run for the tables: temperature closure, Q 1.6e13, Bateman heating with LC2's
# eps_Ni 3.89e10 / eps_Co 6.8e9, leakage on L with A_g = 1e6 d^2, hard front floor 0.4.
lc2="--model temperature --q-rec 1.6e13 --heating bateman --eps-ni 3.89e10 --eps-co 6.8e9 --gamma luminosity --a-gamma 1e6 --x-floor 0.4"
# name kappa t_ion floor0 floor1 peak_day peak_L (test_model.c's values)
while read -r f k T f0 f1 pd pl; do
  if "$snf" simulate $lc2 --kappa "$k" --t-ion "$T" -o "$tmp/lc2.csv" 2> "$tmp/err"; then
    compare "$f" "$tmp/lc2.csv" "$(ref "$f")" "1,$((f0-1));$((f1+1)),300" "1,$((f0-1))" 0.01 \
      && ok "LC2 $f from the CLI" || bad "LC2 $f from the CLI"
    peak "LC2 $f" "$tmp/err" "$pd" "$pl"
  else bad "simulate for $f: $(cat "$tmp/err")"; fi
done <<'LIST'
ref_lc2_87A_kappa0.20_T4500.txt 0.20 4500 196 232 118 4.70e41
ref_lc2_87A_kappa0.34_T5000.txt 0.34 5000 201 255 153 4.03e41
LIST

# LC2 without nickel (issue 21 item 7): the same settings, M_Ni = 0. LC2 and snforge differ by up to 3.2% (day 125, the
# end of the dome) and 2.5% at the dome's maximum (snforge's day 104 against LC2's day 108 in its flat, noisy dome). The cause is LC2's step of the front: it takes the
# difference of its Taylor series of psi between the old and the new front, times x_i, instead of the change of x_i
# (physics notes 2.4: "an implementation quirk, not a paper equation"). Its recombination luminosity and the
# compression term then carry the factor x_i |psi'(x_i)|: 1.01 at x_i = 0.99, 1.06 at 0.87 (day 100), 1.0 at 0.75,
# 0.90 at 0.66 (day 125): LC2's dome is brighter, then its end is fainter. LC2 rebuilt with
# the change of x_i as its step (ref_lc2dx_..., made only for this diagnosis) agrees with snforge within 0.9% on days
# 60-125 and 1.6% on days 1-125 (day 36: its front's first stair step). Exact psi instead of the series, keeping the
# quirk, changes nothing (3.1%), so the series' truncation is not the cause. Measured 2026-12-07. From day 126 on,
# LC2's front recedes in one-second jumps that fall between its daily samples (L drops 3x from day 129 to 130 with
# x_i still 0.60): not compared. snforge's front reaches the floor on day 139.8.
# nonickel REF.txt DAYS TOL [PEAK_TOL]: max |L/L_ref - 1| over days a-b <= TOL; with PEAK_TOL, the dome's maximum
# (days 60-125, daily) within PEAK_TOL in L and 5 days.
nonickel() {
  /usr/bin/python3 - "$tmp/lc2n.csv" "$(ref "$1")" "$2" "$3" "${4:-}" "${5:-}" <<'PY'
import sys, numpy as np
s = np.genfromtxt(sys.argv[1], delimiter=",", names=True); r = np.loadtxt(sys.argv[2], comments="#")
a, b = map(int, sys.argv[3].split(",")); tol = float(sys.argv[4])
d = np.arange(a, b + 1)
assert np.allclose(s["t_d"][d], d) and np.allclose(r[d, 0], d)
e = np.abs(s["L_erg_s"][d] / r[d, 1] - 1); k = np.argmax(e)
dome = np.arange(60, 126); i = dome[np.argmax(s["L_erg_s"][dome])]; j = dome[np.argmax(r[dome, 1])]
ok = e[k] <= tol
msg = f"max |L/L_ref - 1| = {e[k]:.4f} on day {d[k]} (days {a}-{b}, bound {tol}); dome maximum day {i} vs {j}"
if sys.argv[5]:  # PEAK_TOL: the dome's maximum L and day
    dl = s["L_erg_s"][i] / r[j, 1] - 1; ok = ok and abs(dl) <= float(sys.argv[5]) and abs(i - j) <= 5
    msg += f", L {dl:+.4f} (bound {sys.argv[5]}, days within 5)"
print(msg); sys.exit(0 if ok else 1)
PY
}
if "$snf" simulate $lc2 --kappa 0.2 --t-ion 4500 --nickel 0 -o "$tmp/lc2n.csv" 2> "$tmp/err"; then
  out=$(nonickel ref_lc2_87A_nonickel_kappa0.20_T4500.txt 1,125 0.033 0.027) \
    && ok "LC2 no nickel (measured 3.17% on day 125, 2.53% at the dome's maximum): $out" || bad "LC2 no nickel: $out"
  out=$(nonickel ref_lc2_87A_nonickel_kappa0.20_T4500.txt 90,125 0.015) \
    && bad "LC2 no nickel within 1.5% on days 90-125: the front-step quirk no longer shows ($out)" \
    || ok "LC2 as published differs by more than 1.5% on days 90-125 (its front step): $out"
  out=$(nonickel ref_lc2dx_87A_nonickel_kappa0.20_T4500.txt 60,125 0.010) \
    && ok "LC2 with the change of x_i as its front step, days 60-125 (measured 0.90%): $out" || bad "LC2-dx 60-125: $out"
  out=$(nonickel ref_lc2dx_87A_nonickel_kappa0.20_T4500.txt 1,125 0.016 0.005) \
    && ok "LC2 with the change of x_i as its front step, days 1-125 (measured 1.58% on day 36): $out" || bad "LC2-dx: $out"
else bad "simulate LC2 no nickel: $(cat "$tmp/err")"; fi

# snlc (mhvk/snlc, Arnett 1996 Table 13.2): beta 13.8, Q = 0.7 x 13.6 eV / m_p, A96 nuclear data (half-lives
# 6.10 d and 77.12 d; 1.72 MeV per 56Ni decay; 56Co gammas and positrons from Arnett 1996's line list),
# Bateman heating, Colgate et al. (1980) deposition with kappa_gamma = 1/35.5 cm^2/g. Numbers computed here.
snlc=$(/usr/bin/python3 - <<'PY'
import math
MeV, amu, mp, DAY = 1.602176634e-6, 1.66053907e-24, 1.67262192e-24, 86400.0
tni, tco = 6.10 / math.log(2), 77.12 / math.log(2)
gco = 0.279 * 4.10 + 0.167 * 3.856 + 0.219 * 3.445 + 0.087 * 3.123 + 0.205 * 2.085
pco = 0.5 * (0.009 * (4.556 - 3.123) + 0.181 * (4.556 - 2.085)) + 0.190 * 0.512 * 2
print(f"--beta 13.8 --kappa 0.2 --t-ion 4500 --q-rec {0.7 * 13.6 * 1.602176634e-12 / mp:.10g} --heating bateman"
      f" --tau-ni {tni:.10g} --tau-co {tco:.10g}"
      f" --eps-ni {1.72 * MeV / (55.942132 * amu * tni * DAY):.10g}"
      f" --eps-co {gco * MeV / (55.9398393 * amu * tco * DAY):.10g}"
      f" --eps-pos {pco * MeV / (56 * mp * tco * DAY):.10g} --gamma colgate --kappa-gamma {1 / 35.5:.10g}")
PY
)
if "$snf" simulate $snlc --model none -o "$tmp/norec.csv" 2> "$tmp/err"; then
  compare norec "$tmp/norec.csv" "$(ref ref_snlc_arnett96_87A_norec.txt)" "0,300" "0,300" 0.001 \
    && ok "snlc norec from the CLI" || bad "snlc norec from the CLI"
else bad "simulate norec: $(cat "$tmp/err")"; fi
if "$snf" simulate $snlc --model flux -o "$tmp/slow.csv" 2> "$tmp/err"; then
  compare slow "$tmp/slow.csv" "$(ref ref_snlc_arnett96_87A_slow.txt)" "0,181;183,190" "0,190" 0.03 \
    && ok "snlc slow from the CLI" || bad "snlc slow from the CLI"
  peak "snlc slow" "$tmp/err" 69 1.243e42
else bad "simulate slow: $(cat "$tmp/err")"; fi
# With the defaults' nuclear data and beta instead, snlc slow is missed by more than the tolerance
# (the issue measured 4-4.5%): the options above are what brings it in.
"$snf" simulate --model flux --kappa 0.2 --t-ion 4500 -o "$tmp/def.csv" 2> /dev/null
compare default "$tmp/def.csv" "$(ref ref_snlc_arnett96_87A_slow.txt)" "0,181;183,190" "0,190" 0.03 \
  && bad "defaults already match snlc slow: the test cannot tell the options apart" \
  || ok "defaults miss snlc slow by more than 2% (the nuclear data and beta matter)"

# The same snlc settings through a campaign's [physics] section (grids/config.c keys), on a one-point prior.
/usr/bin/python3 - "$tmp/snlc.ini" $snlc <<'PY'
import sys
a = sys.argv[2:]
opts = {a[i][2:].replace("-", "_"): a[i + 1] for i in range(0, len(a), 2)}
opts["closure"] = "flux"
with open(sys.argv[1], "w") as f:
    f.write("[campaign]\nmodel = semi-analytic\nsampler = sobol\nn_models = 2\nseed = 1\n[physics]\n")
    for k, v in opts.items():
        f.write(f"{k} = {v}\n")
    for name, v in (("energy", 1.7), ("mass", 15), ("radius", 3e12), ("nickel", 0.075)):
        f.write(f"[param.{name}]\nmin = {v}\nmax = {v * (1 + 1e-9)}\nscale = linear\n")
    f.write("[time]\nstart = 0\nend = 190\nstep = 1\n")
PY
if "$snf" grid "$tmp/snlc.ini" -o "$tmp/snlc.h5" -q > "$tmp/out" 2> "$tmp/err"; then
  /usr/bin/python3 - "$tmp/snlc.h5" "$(ref ref_snlc_arnett96_87A_slow.txt)" <<'PY' && ok "snlc slow through a campaign's [physics]" || bad "snlc slow through [physics]"
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r"); r = np.loadtxt(sys.argv[2], comments="#")
L = 10 ** f["log_lbol"][0].astype(float); d = np.r_[0:182, 183:191]
e = np.max(np.abs(L[d] / r[d, 1] - 1)); print(f"campaign snlc slow: max |L/L_ref - 1| = {e:.4f} (float32 log L)")
sys.exit(0 if e <= 0.02 else 1)
PY
else bad "grid with snlc [physics]: $(cat "$tmp/err")"; fi
sed -i 's/^gamma = colgate/gamma = colgat/' "$tmp/snlc.ini"
"$snf" grid "$tmp/snlc.ini" -o "$tmp/bad.h5" -q > /dev/null 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "snlc.ini:[0-9]*.*colgate" "$tmp/err" && ok "bad [physics] gamma: exit 2 naming file:line" \
  || bad "bad gamma: exit $rc, $(cat "$tmp/err")"

# Derived values from the solver's dense output: the same peak, end of the dome and front end for every
# output step (issue 11: --dt 50 reported a peak on day 85.0, --dt 100 on 107.2, --dt 1 on 79.6), and the peak
# agrees with the maximum of a 0.01-day CSV grid (an estimate that does not use the dense-output search).
derived() { sed -E 's/front not gone by day [0-9.]+ \(v_ph defined to the end\)/front end day nan/; s/.*peak day ([0-9.na]+), log L_peak ([0-9.na]+), plateau end day ([0-9.na]+), front end day ([0-9.na]+).*/\1 \2 \3 \4/' "$1"; }
for args in "--model flux" "--model temperature" "--model none" "--model temperature --kappa 0.2 --t-ion 4500 --x-floor 0.4" \
            "--model flux --kappa 0.2 --t-ion 4500 --t-max 400"; do
  "$snf" simulate $args --dt 1 > /dev/null 2> "$tmp/e1"; ref1=$(derived "$tmp/e1")
  for dt in 0.1 10 50; do
    "$snf" simulate $args --dt $dt > /dev/null 2> "$tmp/e2"; got=$(derived "$tmp/e2")
    if awk -v a="$ref1" -v b="$got" 'BEGIN { n = split(a, x, " "); split(b, y, " ");
         for (i = 1; i <= n; i++) { if (x[i] == "nan" || y[i] == "nan") { if (x[i] != y[i]) exit 1; continue }
           tol = (i == 2) ? 1e-4 : 0.05; if ((x[i] - y[i])^2 > tol^2) exit 1 } }'; then
      ok "simulate $args: derived values at --dt $dt equal those at --dt 1 ($got)"
    else bad "simulate $args: --dt $dt gives '$got', --dt 1 gives '$ref1'"; fi
  done
  "$snf" simulate $args --dt 0.01 > "$tmp/fine.csv" 2> /dev/null
  pd=${ref1%% *}
  if /usr/bin/python3 - "$tmp/fine.csv" "$pd" <<'PY'
import sys, numpy as np
d = np.genfromtxt(sys.argv[1], delimiter=",", names=True); k = np.nanargmax(d["L_erg_s"])
sys.exit(0 if abs(d["t_d"][k] - float(sys.argv[2])) <= 0.02 else 1)
PY
  then ok "simulate $args: peak day $pd within 0.02 d of the 0.01-day grid's maximum"
  else bad "simulate $args: peak day $pd vs the 0.01-day grid"; fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
