#!/usr/bin/env bash
# test_curriculum_final_cli.sh SNFORGE SOURCE_DIR SHARED_DIR: `snforge curriculum --final` and the /uq group of
# `snforge finetune`, on a 256-model campaign and the 4 bundled SNEC models, in seconds. The deployable model
# answers predict with calibrated intervals and an OOD result, and works with evaluate, plan and explain; its
# residual variances are the mean squared log10 residuals of the fold models' out-of-fold predictions
# (recomputed here from tested.csv); changing one out-of-fold prediction changes them as recomputed, changing
# the semi-analytic columns does not; a prediction by a fold that selected on the model is refused; a rerun
# is a no-op, another member count is refused, a killed final resumes to the same model. finetune keeps a
# /uq group refit on its data.
snforge=$1
src=$2
. "${BASH_SOURCE%/*}/lib.sh"
snf_scratch currfinal
cd "$work" || exit 1
command -v h5dump > /dev/null || fail "h5dump is missing (hdf5-tools)"

snf_fixture campaign.h5 sa.h5 # the shared campaign: 256 models of validation/curriculum_campaign.ini (tests/fixtures.sh)
snf_fixture hydro.h5 hydro.h5 # and the 4 bundled SNEC runs
sed -e '/^\[ablation/,$d' "$src/validation/curriculum_tiny.ini" > tiny.ini
obs="$src/validation/data/sn1987a/sn1987a_obs.csv"
run() { "$snforge" curriculum tiny.ini --threads 1 --no-plot "$@"; }
var_add() { h5dump -m %.17g -y -d /uq/var_add "$1" | sed -n '/DATA {/,/}/p' | tr -d ' {}DATA\n'; }
# mean squared log10 residual per parameter of the curriculum columns of DIR's tested.csv files
oof_var() {
  tail -q -n +2 "$1"/base/fold*/tested.csv | grep -v '^#' |
    awk -F, '{ n++; for (k = 0; k < 4; k++) { r = log($(3 + k) / $(11 + k)) / log(10); s[k] += r * r } }
             END { printf "%.9g,%.9g,%.9g,%.9g", s[0] / n, s[1] / n, s[2] / n, s[3] / n }'
}
close_to() { # A B: comma lists equal to 1e-6 relative
  awk -v a="$1" -v b="$2" 'BEGIN { n = split(a, x, ","); m = split(b, y, ","); if (n != 4 || m != 4) exit 1;
    for (i = 1; i <= 4; i++) { d = x[i] - y[i]; if (d < 0) d = -d; if (d > 1e-6 * (y[i] > 0 ? y[i] : -y[i]) + 1e-12) exit 1 } }'
}

# ---- the experiment, then the deployable model ----
expect 0 "results.csv" -- run -o exp
[ -d exp/final ] && fail "final/ made without --final"
expect 2 "needs --final" -- run -o exp --final-members 2
cp -r exp tamper
cp -r exp spoil
cp -r exp killed
expect 0 "deployable model exp/final/model.h5 (2 members" -- run -o exp --final --final-members 2
[ "$(tail -n +2 exp/final/oof.csv | cut -d, -f1 | sort -n | tr '\n' ' ')" = "0 1 2 3 " ] ||
  fail "oof.csv rows: $(cut -d, -f1 exp/final/oof.csv | tr '\n' ' ')"
v=$(var_add exp/final/model.h5)
w=$(oof_var exp)
close_to "$v" "$w" || fail "var_add $v is not the mean squared out-of-fold log10 residual $w"
echo "ok: residual variances = mean squared out-of-fold log10 residuals ($v)"

# ---- the model is a model: predict (calibrated, with OOD), evaluate, plan, explain ----
expect 0 "calibrated: curriculum out-of-fold, 4 hydro models, 3 folds" -- "$snforge" predict exp/final/model.h5 "$obs"
out=$("$snforge" predict exp/final/model.h5 "$obs" 2>&1)
echo "$out" | grep -q "^ood: Mahalanobis d2 [0-9.e+-]*, p-value" || fail "no OOD result: $out"
echo "$out" | grep -qi "not available" && fail "predict says not available: $out"
echo "$out" | grep -q "^training ranges: E " || fail "no training ranges: $out"
expect 0 "calibrated (curriculum out-of-fold" -- "$snforge" evaluate exp/final/model.h5 hydro.h5 --no-plot
expect 0 "" -- "$snforge" plan exp/final/model.h5 --epochs 3 "$obs" --threads 1
expect 0 "" -- "$snforge" explain exp/final/model.h5 "$obs" -o expl --no-plot --threads 1
[ -s expl/explain.csv ] || fail "explain wrote no explain.csv"
echo "ok: predict, evaluate, plan and explain on the deployable model"

# ---- rerun: nothing recomputed; another member count refused ----
s1=$(sha1sum < exp/final/model.h5)
expect 0 "deployable model" -- run -o exp --final --final-members 2
[ "$s1" = "$(sha1sum < exp/final/model.h5)" ] || fail "a finished final model was rewritten"
expect 2 "members" -- run -o exp --final --final-members 3
echo "ok: rerun leaves the model; another member count refused"

# ---- the calibration reads the out-of-fold predictions and only them ----
f1=tamper/base/fold1/tested.csv
awk -F, -v OFS=, 'NR == 2 { $11 = $11 * 3; $7 = $7 * 5; $8 = $8 / 4 } { print }' "$f1" > t.csv && mv t.csv "$f1"
expect 2 "tested.csv is damaged" -- run -o tamper --final --final-members 2
echo "ok: a fold file changed by hand without its digest is refused as damaged"
reseal "$f1" # the change made as if by the program: the calibration must follow it
expect 0 "deployable model" -- run -o tamper --final --final-members 2
vt=$(var_add tamper/final/model.h5)
close_to "$vt" "$(oof_var tamper)" || fail "tampered: var_add $vt, recomputed $(oof_var tamper)"
close_to "$vt" "$v" && fail "an out-of-fold prediction changed and the calibration did not"
[ "$(echo "$vt" | cut -d, -f2-)" = "$(echo "$v" | cut -d, -f2-)" ] ||
  fail "only energy's prediction changed, yet other variances moved: $v -> $vt"
echo "ok: one out-of-fold prediction tripled moves energy's variance as recomputed, the semi-analytic columns do not"
# fold 2's test models are fold 1's validation models: a fold-1 prediction of one is not out of fold
{ grep -v '^#' spoil/base/fold1/tested.csv; grep -v '^#' spoil/base/fold2/tested.csv | tail -n 1; } > t.csv
mv t.csv spoil/base/fold1/tested.csv && reseal spoil/base/fold1/tested.csv
expect 2 "not a test model of fold 1" -- run -o spoil --final --final-members 2
[ -f spoil/final/model.h5 ] && fail "a model was written from spoiled predictions"
echo "ok: a prediction by a fold that selected on the model is refused"

# ---- killed during the final and resumed: the same model ----
k=0
for delay in 0.3 0.8; do
  rm -rf killed/final
  "$snforge" curriculum tiny.ini --threads 1 --no-plot -o killed --final --final-members 2 > kill.log 2>&1 &
  bgpid=$!
  sleep "$delay"
  kill -9 "$bgpid" 2>/dev/null && k=$((k + 1))
  wait "$bgpid" 2>/dev/null
  bgpid=
  expect 0 "deployable model" -- run -o killed --final --final-members 2
  for d in /uq/member_params /uq/var_add /uq/ood_mean /uq/range_lo /uq/range_hi; do
    same_dset exp/final/model.h5 killed/final/model.h5 "$d"
  done
done
echo "ok: killed with -9 ($k of 2 still running) and resumed: the same members, calibration, OOD fit and ranges"

# ---- finetune keeps a /uq group, refit on its data ----
# 2 validation rows: calibrated on them, but no OOD test (it needs 10 reference rows: with n an in-distribution curve
# is flagged 1 time in n + 1; 1 row flagged every curve at p 0.5)
expect 0 "no OOD test (2 validation rows for its reference: at least 10 are needed" -- "$snforge" finetune \
  exp/base/fold1/stage1.h5 hydro.h5 -o ft.h5 --epochs 2 --val 0.5 --threads 1 -q
out=$("$snforge" predict ft.h5 "$obs" 2>&1)
echo "$out" | grep -q "^ood: NOT AVAILABLE" || fail "ft.h5: an OOD test referred to 2 validation rows: $out"
echo "$out" | grep -q "calibrated: finetune validation rows, 2 rows of hydro.h5" || fail "fine-tuned: $out"
expect 0 "not calibrated (fewer than 2 validation rows" -- "$snforge" finetune exp/final/model.h5 hydro.h5 -o ft2.h5 \
  --epochs 2 --val 0.25 --threads 1 -q
"$snforge" predict ft2.h5 "$obs" 2>&1 | grep -q "^ood: NOT AVAILABLE" || fail "ft2.h5: an OOD test on 1 validation row"
expect 0 "no OOD test (0 validation rows" -- "$snforge" finetune exp/base/fold1/stage1.h5 hydro.h5 -o ft0.h5 \
  --epochs 2 --val 0 --threads 1 -q
"$snforge" predict ft0.h5 "$obs" 2>&1 | grep -q "^ood: NOT AVAILABLE" || fail "ft0.h5: an OOD test without a reference"
# enough validation rows (the 17 SNEC runs of the shared folder, 14 of them validating): an OOD fit and result
snec=${3:-$src/../shared}/hydro/snec
if [ -f "$snec/index.csv" ]; then
  expect 0 "snec runs" -- "$snforge" import --format snec --index "$snec/index.csv" -o h17.h5
  expect 0 "OOD fit on 3 rows (reference: 14 validation rows)" -- "$snforge" finetune exp/base/fold1/stage1.h5 h17.h5 \
    -o ft17.h5 --epochs 2 --val 0.8 --threads 1 -q
  "$snforge" predict ft17.h5 "$obs" 2>&1 | grep -q "^ood: Mahalanobis d2" || fail "ft17.h5: no OOD result"
else
  echo "SKIP: no $snec/index.csv: the OOD fit with enough validation rows was not checked"
fi
echo "ok: finetune writes a refit /uq group (no OOD test below 10 validation rows)"
echo "PASS"
