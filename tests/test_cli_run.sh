#!/usr/bin/env bash
# test_cli_run.sh SNFORGE SOURCE_DIR SHARED_DIR: the README's main job, `snforge run`, end to end:
# the closure table, the embedded campaign, training with test metrics, a prediction for SN 1987A; a
# second run reuses the finished campaign and model; bad options exit 2.
set -u
# ctest runs other tests beside this one: passive OpenMP waiting keeps 2-thread training from stalling.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
snf=$1
pass=0; fail=0
ok()  { pass=$((pass+1)); echo "PASS $*"; }
bad() { fail=$((fail+1)); echo "FAIL $*"; }
work=$(mktemp -d "${TMPDIR:-/tmp}/snf_run.XXXXXX"); trap 'rm -rf "$work"' EXIT

"$snf" run -o "$work/r" > "$work/out" 2>&1; rc=$?
[ $rc -eq 0 ] && ok "snforge run exits 0" || bad "snforge run exit $rc: $(tail -5 "$work/out")"
grep -qE "^flux +[0-9.]+ +[0-9.e+]+" "$work/out" && grep -q "^temperature" "$work/out" \
  && ok "closure table" || bad "closure table missing"
[ -f "$work/r/87a_small.h5" ] && [ -f "$work/r/model.h5" ] && ok "campaign and model written" || bad "files: $(ls "$work/r")"
test_line=$(grep -E "^  test \([0-9]+ rows\): MAPE" "$work/out")
[ -n "$test_line" ] && ok "held-out test metrics: $test_line" || bad "no test metrics"
# The small network must beat predict-the-mean by a wide margin on every parameter: a quarter of its
# MAPE, a third for the mass, whose prior (10-55 Msun) is 6x narrower than the energy's or nickel's and
# 90x narrower than the radius's, so its baseline is the smallest. Measured 2026-11-29 (E / M / R / Ni):
# 11.4 / 11.7 / 7.0 / 6.1% with the AVX2 direct kernels, 13.5 / 10.7 / 9.0 / 6.4% with an AVX2 direct
# weight gradient too, against baselines 105 / 43 / 322 / 102%: the mass sits at a quarter (10.8%).
echo "$test_line" | awk '{ n = split($0, w, /[ %(:;)]+/); k = 0
  for (i = 1; i <= n; i++) if (w[i] ~ /^[0-9.]+$/) v[k++] = w[i]
  bad = k < 9; for (p = 1; p <= 4; p++) if (v[p] > (p == 2 ? 1 / 3 : 0.25) * v[p+4]) bad = 1; exit bad }' \
  && ok "test MAPE under a quarter of the baseline for each parameter (a third for the mass)" || bad "test MAPE: $test_line"
for p in energy mass radius nickel; do
  grep -qE "^$p [0-9.e+-]+ " "$work/out" && ok "SN 1987A $p predicted: $(grep -E "^$p " "$work/out" | head -1)" || bad "no $p prediction"
done
# The run's network on a synthetic object of known parameters (the SN 1987A-like default, inside the prior),
# observed every 3 days by `snforge simulate`: E, M and M_Ni within 4 x their held-out test MAPE, R0 (the
# least constrained: only the first days carry it) within a factor 2. Measured 2026-11-29: E 1.284 (-24%,
# MAPE 9.0%), M 11.96 (-20%, 6.1%), R0 5.06e12 (x1.69), M_Ni 0.0796 (+6%, 5.2%).
# SN 1987A itself is printed, not checked: on the real observations this network is far off (measured
# E 0.28 foe, M 3.6 Msun, M_Ni 0.27 Msun against the published 1.7 / 15-21 / 0.07), while the
# unmasked network of test_train_cli.sh lands near the published E and M_Ni: see the issue 14 report.
"$snf" simulate --t-max 299 --dt 3 2>/dev/null | awk -F, 'NR == 1 { print "t_d,L_erg_s,L_err,vph_km_s,vph_err"; next }
  $1 > 0 { print $1 "," $2 ",," $3 "," }' > "$work/syn.csv"
syn=$("$snf" predict "$work/r/model.h5" "$work/syn.csv" 2>/dev/null)
echo "$syn"
for pw in "energy 1.7 E" "mass 15 M" "radius 3e12 R" "nickel 0.075 Ni"; do
  set -- $pw
  got=$(echo "$syn" | awk -v p="$1" '$1 == p { print $2 }')
  mape=$(echo "$test_line" | awk -v k="$3" '{ for (i = 1; i < NF; i++) if ($i == k) { sub(/%/, "", $(i+1)); print $(i+1); exit } }')
  if awk -v g="$got" -v w="$2" -v m="$mape" -v p="$1" 'BEGIN { e = (g - w) / w; if (e < 0) e = -e
       if (p == "radius") exit !(g != "" && g > w / 2 && g < 2 * w); exit !(g != "" && m != "" && 100 * e <= 4 * m) }'; then
    ok "synthetic $1: predicted $got, true $2 (test MAPE ${mape:-?}%)"
  else
    bad "synthetic $1: predicted $got, true $2: beyond 4 x the test MAPE ${mape:-?}% (radius: a factor 2)"
  fi
done
# stage 5: the short curriculum on the bundled SNEC models prints its table (rows with k-fold mean +- std)
for row in sa_sa sa_hydro curriculum; do
  grep -qE "^\| $row \| [0-9.]+ ± [0-9.]+ \|" "$work/out" && ok "curriculum table row $row" || bad "no curriculum row $row"
done
[ -f "$work/r/curriculum/results.csv" ] && ok "curriculum results.csv" || bad "no curriculum/results.csv"
"$snf" run -o "$work/r" > "$work/out2" 2>&1; rc=$?
[ $rc -eq 0 ] && grep -q "is complete" "$work/out2" && grep -qi "nothing to do" "$work/out2" \
  && ok "second run reuses campaign and model" || bad "rerun: $(grep -iE 'complete|nothing|error' "$work/out2" | head -3)"
"$snf" run --threads 0 > /dev/null 2> "$work/err"; rc=$?
[ $rc -eq 2 ] && grep -q -- "--threads '0' is invalid" "$work/err" && ok "--threads 0 exits 2" || bad "--threads 0: $rc"
"$snf" run --bogus > /dev/null 2> "$work/err"; rc=$?
[ $rc -eq 2 ] && ok "unknown option exits 2" || bad "unknown option: $rc"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
