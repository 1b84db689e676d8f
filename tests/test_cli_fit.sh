#!/usr/bin/env bash
# test_cli_fit.sh SNFORGE SOURCE_DIR SHARED_DIR: `snforge fit` (issue 11). The MCMC recovers the parameters of
# noisy synthetic semi-analytic light curves inside its 95% intervals (three parameter sets, one near the prior's
# edges, three seeds); a rerun continues an interrupted chain exactly; bad inputs exit 2 naming the option or
# file:line. Short chains (16 walkers x 240 steps) keep it to a few tens of seconds.
set -u
snf=$1
pass=0; fail=0
ok()  { pass=$((pass+1)); echo "PASS $*"; }
bad() { fail=$((fail+1)); echo "FAIL $*"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
PY=/usr/bin/python3

# synth E M R NI SEED OUT: the default model, L every 10 days to 300 with 5% noise, v_ph to day 150 with 3%.
synth() {
  "$snf" simulate --energy "$1" --mass "$2" --radius "$3" --nickel "$4" > "$tmp/truth.csv" 2> /dev/null || return 1
  $PY - "$tmp/truth.csv" "$5" "$6" <<'PY'
import sys, numpy as np
d = np.genfromtxt(sys.argv[1], delimiter=",", names=True); rng = np.random.default_rng(int(sys.argv[2]))
with open(sys.argv[3], "w") as f:
    f.write("# synthetic: default physics, 5% errors on L, 3% on v_ph\nt_d,L_erg_s,L_err,vph_km_s,vph_err\n")
    for t in range(5, 301, 10):
        L = d["L_erg_s"][t]; v = d["vph_km_s"][t]
        row = f"{t},{L * (1 + 0.05 * rng.normal()):.6e},{0.05 * L:.6e},"
        row += f"{v * (1 + 0.03 * rng.normal()):.2f},{0.03 * v:.2f}" if t <= 150 and np.isfinite(v) else ","
        f.write(row + "\n")
PY
}

# inside DIR E M R NI: every true value inside the posterior's 95% interval.
inside() {
  $PY - "$1/posterior.csv" "$2" "$3" "$4" "$5" <<'PY'
import sys, csv
truth = dict(zip(["energy", "mass", "radius", "nickel"], map(float, sys.argv[2:6])))
rows = {r["parameter"]: r for r in csv.DictReader(open(sys.argv[1]))}
bad = 0
for k, v in truth.items():
    r = rows[k]; lo, hi = float(r["lo95"]), float(r["hi95"])
    print(f"  {k}: true {v:.4g}, median {float(r['median']):.4g}, 95% [{lo:.4g}, {hi:.4g}]")
    bad += not (lo <= v <= hi)
assert "floor_L" in rows and "floor_vph" in rows
sys.exit(bad)
PY
}

n=0
while read -r E M R NI SEED; do
  n=$((n+1)); d="$tmp/fit$n"
  synth "$E" "$M" "$R" "$NI" "$SEED" "$tmp/obs$n.csv" || { bad "synth $E $M $R $NI"; continue; }
  if "$snf" fit "$tmp/obs$n.csv" -o "$d" -w 16 -s 240 --seed "$SEED" -t 2 --init-draws 128 --no-plot \
       > "$tmp/out" 2> "$tmp/err"; then
    inside "$d" "$E" "$M" "$R" "$NI" && ok "fit recovers E $E M $M R $R Ni $NI (seed $SEED) inside its 95% intervals" \
      || bad "fit E $E M $M R $R Ni $NI (seed $SEED): a true value outside its 95% interval"
  else bad "fit $n exit: $(tail -c 300 "$tmp/err")"; fi
done <<'LIST'
1.2 18 3e12 0.08 11
0.6 50 3e11 0.02 12
5 30 2e13 0.2 13
LIST

d="$tmp/fit1"
[ "$(head -1 "$d/posterior.csv")" = "parameter,median,lo68,hi68,lo95,hi95,unit,prior_edge,edge_share_lo_pct,edge_share_hi_pct" ] \
  && [ "$(wc -l < "$d/posterior.csv")" -eq 7 ] \
  && ok "posterior.csv header and 6 rows (4 parameters, 2 error floors)" || bad "posterior.csv: $(head -2 "$d/posterior.csv")"
# Prior edges: the interior object (fit1) has no physical parameter piled up at an edge; an object of 7 Msun, below
# the prior's 10 Msun edge, has its mass marginal piled up at the lower edge, in posterior.csv and on stdout.
$PY - "$d/posterior.csv" <<'PY' && ok "an interior posterior: prior_edge none for E, M, R0, M_Ni" || bad "interior prior_edge"
import sys, csv
rows = {r["parameter"]: r for r in csv.DictReader(open(sys.argv[1]))}
for k in ("energy", "mass", "radius", "nickel"):
    print(" ", k, rows[k]["prior_edge"], rows[k]["edge_share_lo_pct"], rows[k]["edge_share_hi_pct"])
    assert rows[k]["prior_edge"] == "none", rows[k]
PY
if synth 1.0 7 3e12 0.07 21 "$tmp/light.csv" && "$snf" fit "$tmp/light.csv" -o "$tmp/light" -w 16 -s 240 --seed 21 -t 2 \
     --init-draws 128 --no-plot > "$tmp/out" 2> "$tmp/err"; then
  grep "PRIOR EDGE" "$tmp/out"
  grep -q "^PRIOR EDGE: mass piles up at the prior's lower edge 10 Msun" "$tmp/out" \
    && grep -q "^mass,.*,Msun,low," "$tmp/light/posterior.csv" \
    && ok "a 7-Msun object: the mass marginal piles up at the prior's 10 Msun edge (stdout and posterior.csv)" \
    || bad "7-Msun object not flagged: $(cat "$tmp/out") $(cat "$tmp/light/posterior.csv")"
else bad "fit of a 7-Msun object: $(tail -c 300 "$tmp/err")"; fi
$PY - "$d/summary.json" <<'PY' && ok "summary.json: acceptance, tau, ess, wall time, model calls" || bad "summary.json"
import json, sys
s = json.load(open(sys.argv[1]))
assert 0.1 < s["acceptance"] < 0.9 and s["model_calls"] > 16 * 240 and s["wall_s"] > 0
assert len(s["parameters"]) == 6 and all(p["tau_steps"] > 0 and p["ess"] > 0 for p in s["parameters"])
PY
[ -s "$d/bestfit.csv" ] && [ -s "$d/chain.h5" ] && ok "bestfit.csv and chain.h5 written" || bad "bestfit.csv / chain.h5"

# Resume: 60 steps, then the same command with --steps 90 continues; the chain equals one run straight to 90.
o="$tmp/obs1.csv"; a=(-w 16 --seed 5 -t 2 --init-draws 32 --no-plot)
"$snf" fit "$o" -o "$tmp/r1" "${a[@]}" -s 60 > /dev/null 2>&1 && "$snf" fit "$o" -o "$tmp/r1" "${a[@]}" -s 90 > /dev/null 2> "$tmp/err" \
  && "$snf" fit "$o" -o "$tmp/r2" "${a[@]}" -s 90 > /dev/null 2>&1
if $PY - "$tmp/r1" "$tmp/r2" <<'PY'
import sys, h5py, json, numpy as np
a, b = (h5py.File(d + "/chain.h5", "r") for d in sys.argv[1:3])
s = json.load(open(sys.argv[1] + "/summary.json"))
assert a["chain"].shape == (90, 16, 6) and s["steps_resumed"] == 60
assert np.array_equal(a["chain"][:], b["chain"][:]) and np.array_equal(a["lnprob"][:], b["lnprob"][:])
PY
then ok "a rerun continues the stored chain (60 + 30 steps equal 90 straight)"; else bad "resume: $(tail -c 300 "$tmp/err")"; fi
"$snf" fit "$o" -o "$tmp/r1" -w 16 --seed 6 -s 90 --no-plot > /dev/null 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] && grep -q "other settings (seed '5' -> '6')" "$tmp/err" && ok "a chain made with another seed is refused (exit 2)" \
  || bad "other seed: exit $rc $(cat "$tmp/err")"

# --start: the polish starts from the given parameters (a network's answer) instead of the best prior draw: from
# obs1's truth the walkers start near it; from another point the chain differs (an ignored --start would give the
# same chain from the same seed and draws)
b=(-w 16 --seed 5 -s 12 --burn 2 --init-draws 1 --no-plot -q)
if "$snf" fit "$o" -o "$tmp/st1" "${b[@]}" --start 1.2,18,3e12,0.08 > /dev/null 2> "$tmp/err" &&
   "$snf" fit "$o" -o "$tmp/st2" "${b[@]}" --start 3,30,8e12,0.15 > /dev/null 2>> "$tmp/err" &&
   $PY - "$tmp/st1" "$tmp/st2" <<'PY'
import sys, h5py, numpy as np
a, b = (h5py.File(d + "/chain.h5", "r")["chain"][0] for d in sys.argv[1:3])  # first step [walkers][dims]
assert not np.allclose(a, b), "the two starts gave the same chain"
m = np.median(a, axis=0)  # sampled coordinates: ln E, M, ln R, Ni (the default prior's scales)
# the polish then moves it to the noisy data's optimum (E 1.08, M 16.0, Ni 0.080 here)
assert abs(np.exp(m[0]) / 1.2 - 1) < 0.2 and abs(m[1] / 18 - 1) < 0.2 and abs(m[3] / 0.08 - 1) < 0.2, m
PY
then ok "--start: the walkers start at the given parameters"; else bad "--start: $(tail -c 300 "$tmp/err")"; fi

# expect CODE PATTERN ARGS...
expect() {
  local code=$1 pat=$2; shift 2
  "$snf" "$@" > /dev/null 2> "$tmp/err"; local rc=$?
  if [ "$rc" -eq "$code" ] && grep -qE -- "$pat" "$tmp/err"; then ok "$* -> exit $rc"
  else bad "$* -> exit $rc (want $code '$pat'): $(head -c 300 "$tmp/err")"; fi
}
printf 't_d,L_erg_s,L_err,vph_km_s,vph_err\n10,1e41,,,\n20,abc,,,\n' > "$tmp/bad.csv"
expect 2 "snforge fit: .*bad.csv:3" fit "$tmp/bad.csv" -o "$tmp/x"
expect 2 "-o DIR is required" fit "$o"
expect 2 "--walkers expects an integer" fit "$o" -o "$tmp/x" --walkers many
expect 2 "--walkers 6: expected an even number >= 2 D \+ 2 = 14" fit "$o" -o "$tmp/x" --walkers 6 --no-plot
expect 2 "model 'warm' is unknown" fit "$o" -o "$tmp/x" --closure warm
expect 2 "nope.ini" fit "$o" -o "$tmp/x" --prior "$tmp/nope.ini"
expect 2 "--burn 50 must be below --steps 40" fit "$o" -o "$tmp/x" --steps 40 --burn 50
expect 2 "unknown option|unrecognized" fit "$o" -o "$tmp/x" --bogus
expect 2 "--start '1,2': expected 4 positive numbers" fit "$o" -o "$tmp/x" --start 1,2
expect 2 "--start '1,2,-3,4': expected 4 positive numbers" fit "$o" -o "$tmp/x" --start 1,2,-3,4
"$snf" fit --help | grep -q "posterior.csv" && ok "fit --help" || bad "fit --help"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
