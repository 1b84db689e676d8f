#!/usr/bin/env bash
# test_cli_run.sh SNFORGE SOURCE_DIR SHARED_DIR: the README's main job, `snforge run`, end to end:
# the closure table, the embedded campaign, training with test metrics, a prediction for SN 1987A; a
# second run reuses the finished campaign and model; bad options exit 2.
set -u
# ctest runs other tests beside this one: passive OpenMP waiting keeps 2-thread training from stalling.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
snf=$1 src=$2
pass=0; fail=0
ok()  { pass=$((pass+1)); echo "PASS $*"; }
bad() { fail=$((fail+1)); echo "FAIL $*"; }
work=$(mktemp -d "${TMPDIR:-/tmp}/snf_run.XXXXXX"); trap 'rm -rf "$work"' EXIT

"$snf" run -o "$work/r" > "$work/out" 2>&1; rc=$?
[ $rc -eq 0 ] && ok "snforge run exits 0" || bad "snforge run exit $rc: $(tail -5 "$work/out")"
grep -qE "^flux +[0-9.]+ +[0-9.e+]+" "$work/out" && grep -q "^temperature" "$work/out" \
  && ok "closure table" || bad "closure table missing"
# front_end nan is explained where it is printed (not an error: the front outlasts the 300-day run)
grep -q "front_end: the day the" "$work/out" && grep -q "nan = not gone by day 300" "$work/out" \
  && ok "the closure table says what front_end nan means" || bad "front_end nan unexplained"
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
# SN 1987A's numbers are printed, not checked (they depend on the CPU's convolution kernels: README, "an example of
# one run"); what is checked is that they come with their caveat: SN 1987A is unlike this network's training curves
# (flagged OOD in every run measured: p 0.0024 = 1/411, beyond every validation curve, with the AVX2 and the portable
# kernels), so every parameter is marked DO NOT USE, the caveat says EXTRAPOLATION in words, and each 95% interval
# is set against the published values.
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
[ "$(grep -cE '^(energy|mass|radius|nickel) .*DO NOT USE$' "$work/out")" -eq 4 ] \
  && grep -q "^ood: .*FLAG: unlike the training inputs" "$work/out" \
  && grep -q "^caveat: EXTRAPOLATION: this light curve is unlike every curve the model was trained on" "$work/out" \
  && ok "SN 1987A: flagged OOD, all four marked DO NOT USE, the caveat in words" \
  || bad "SN 1987A's caveat: $(grep -E '^(energy|mass|radius|nickel|ood|caveat)' "$work/out")"
[ "$(grep -cE '^  (energy|mass|radius|nickel) +95% \[.*published .*: the interval (MISSES|overlaps) the published values' "$work/out")" -eq 4 ] \
  && ok "SN 1987A: each 95% interval set against the published values" \
  || bad "published comparison: $(grep -A4 'against the published' "$work/out")"
# the README's network row is this run's kind of answer: marked as an example and as flagged OOD
grep -qE '^\| network of `snforge run` \(an example of one run; flagged OOD: do not use\)' "$src/README.md" \
  && ok "README's SN 1987A network row: an example of one run, flagged OOD like this run" || bad "README network row"
# stage 5: the short curriculum on the bundled SNEC models prints its table (rows with k-fold mean +- std)
for row in sa_sa sa_hydro curriculum; do
  grep -qE "^\| $row \| [0-9.]+ ± [0-9.]+ \|" "$work/out" && ok "curriculum table row $row" || bad "no curriculum row $row"
done
[ -f "$work/r/curriculum/results.csv" ] && ok "curriculum results.csv" || bad "no curriculum/results.csv"
# a stage file edited in the folder: replaced by the bundled one on the rerun, with a note naming it; the edit kept
cp "$work/r/train.ini" "$work/train_bundled.ini"
printf '; my edit\n' >> "$work/r/train.ini"
"$snf" run -o "$work/r" > "$work/out2" 2>&1; rc=$?
grep -q "note: $work/r/train.ini differed from the bundled stage file: replaced by it .*kept as $work/r/train.ini.edited" \
    "$work/out2" && cmp -s "$work/r/train.ini" "$work/train_bundled.ini" && tail -1 "$work/r/train.ini.edited" | grep -q '; my edit' \
  && ok "an edited stage file is replaced with a note naming it, the edit kept" || bad "edited stage file: $(grep -i 'train.ini' "$work/out2" | head -3)"
[ ! -e "$work/r/87a_small.ini.edited" ] && ok "an unedited stage file is left alone" || bad "87a_small.ini.edited made"
[ $rc -eq 0 ] && grep -q "is complete" "$work/out2" && grep -qi "nothing to do" "$work/out2" \
  && ok "second run reuses campaign and model" || bad "rerun: $(grep -iE 'complete|nothing|error' "$work/out2" | head -3)"
grep -qE "model.h5 is finished \(finished all epochs at epoch 30\); nothing to do" "$work/out2" && ! grep -q "epochs, epochs" "$work/out2" \
  && ok "the rerun says how training finished" || bad "rerun message: $(grep 'is finished' "$work/out2")"
# The README's Python block runs verbatim with Debian's /usr/bin/python3 from a folder laid out like the repository's
# root after `snforge run` (python/, validation/, snforge-run/); predict_observation keeps the OOD flag and caveat.
py=/usr/bin/python3
if [ -x "$py" ] && "$py" -c "import numpy, h5py, torch" 2> /dev/null; then
  mkdir -p "$work/root" && ln -s "$src/python" "$work/root/python" && ln -s "$src/validation" "$work/root/validation" \
    && ln -s "$work/r" "$work/root/snforge-run"
  "$py" - "$src/README.md" > "$work/snippet.py" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
block = re.search(r"### Python .*?\n\n(?:[^\n]+\n)*?\n((?:    [^\n]*\n)+)", text).group(1)
print("\n".join(l[4:] for l in block.splitlines()))
print("r = model.predict_observation('validation/data/sn1987a/sn1987a_obs.csv')")
print("assert r['ood_flag'] is True and r['do_not_use'] == ['energy', 'mass', 'radius', 'nickel'] and 'EXTRAPOLATION' in r['caveat'], r")
print("assert len(L) == 301 and L[100] > 0, L[:3]")
print("print('README block ran:', r['ood_flag'], r['do_not_use'])")
PY
  (cd "$work/root" && SNFORGE_LIBRARY="$(dirname "$snf")/libsnforge.so" "$py" "$work/snippet.py") > "$work/py.out" 2>&1
  grep -q "^README block ran: True" "$work/py.out" \
    && ok "the README's Python block runs verbatim ($(head -c 160 "$work/py.out"))" || bad "README Python block: $(tail -5 "$work/py.out")"
else
  echo "SKIP the README's Python block: no $py with numpy, h5py and torch"
fi
"$snf" run --threads 0 > /dev/null 2> "$work/err"; rc=$?
[ $rc -eq 2 ] && grep -q -- "--threads expects an integer in \[1, 4096\], got '0'" "$work/err" && ok "--threads 0 exits 2" || bad "--threads 0: $rc $(cat "$work/err")"
"$snf" predict --threads 0 > /dev/null 2> "$work/err2"; rc=$?
[ $rc -eq 2 ] && [ "$(sed 's/predict/run/' "$work/err2")" = "$(cat "$work/err")" ] && ok "run and predict take one --threads range" \
  || bad "--threads: run and predict differ: $(cat "$work/err" "$work/err2")"
# the output folder: a regular file, a missing parent, a folder another run holds (DIR.lock): refused at once
touch "$work/afile"
"$snf" run -o "$work/afile" > "$work/o1" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "run: -o $work/afile: .*is not a folder" "$work/o1" && ! grep -q "^==" "$work/o1" \
  && ok "-o a regular file: exit 2 before any stage" || bad "-o a regular file: $rc $(head -3 "$work/o1")"
"$snf" run -o "$work/no/r" > "$work/o2" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "run: -o $work/no/r: its folder $work/no does not exist" "$work/o2" \
  && ok "-o in a missing folder: exit 2" || bad "-o in a missing folder: $rc $(head -3 "$work/o2")"
flock "$work/busy.lock" sleep 5 & holder=$!
sleep 0.5
"$snf" run -o "$work/busy" > "$work/o3" 2>&1; rc=$?
kill "$holder" 2> /dev/null; wait "$holder" 2> /dev/null
[ $rc -ne 0 ] && grep -q "being written by another snforge run" "$work/o3" && ! grep -q "^==" "$work/o3" \
  && ok "a second run into a busy folder is refused before any stage" || bad "busy folder: $rc $(head -3 "$work/o3")"
"$snf" run --bogus > /dev/null 2> "$work/err"; rc=$?
[ $rc -eq 2 ] && ok "unknown option exits 2" || bad "unknown option: $rc"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
