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
# The small network must beat predict-the-mean by a wide margin on every parameter (a quarter).
echo "$test_line" | awk '{ n = split($0, w, /[ %(:;)]+/); k = 0
  for (i = 1; i <= n; i++) if (w[i] ~ /^[0-9.]+$/) v[k++] = w[i]
  bad = k < 9; for (p = 1; p <= 4; p++) if (v[p] > 0.25 * v[p+4]) bad = 1; exit bad }' \
  && ok "test MAPE under a quarter of the baseline for each parameter" || bad "test MAPE: $test_line"
for p in energy mass radius nickel; do
  grep -qE "^$p [0-9.e+-]+ " "$work/out" && ok "SN 1987A $p predicted" || bad "no $p prediction"
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
