#!/usr/bin/env bash
# test_curriculum_cli.sh SNFORGE SOURCE_DIR SHARED_DIR: `snforge finetune` and `snforge curriculum` from the
# outside, on a 256-model semi-analytic campaign and the 4 bundled SNEC models (validation/data/snec), in
# seconds. finetune: normalisation and input grid kept, frozen modules bitwise unchanged, resume after
# kill -9 bitwise like an uninterrupted run. curriculum (validation/curriculum_tiny.ini, 3 folds): the
# table's header and rows; every hydro model tested exactly once; an interrupted (--stop-after-folds and
# kill -9) run resumed gives the same table; stage models do not change when the test models' light
# curves change (selection reads validation rows only); --test with another file scores it on its own
# rows; --test with a hydro model of the experiment, bad configs and bad options exit 2 naming the place.
# search: trials.csv, resumed without recomputing, trials side by side (--jobs 2) give the same table as one
# after another, a trial failing in a child process exits 2 with its message.
snforge=$1
src=$2
. "${BASH_SOURCE%/*}/lib.sh"
snf_scratch currcli
cd "$work" || exit 1
command -v h5diff > /dev/null || fail "h5diff is missing (hdf5-tools)"

# ---- data: the tiny campaign, the bundled hydro models, an external set of other models ----
snf_fixture campaign.h5 sa.h5 # the shared campaign: 256 models of validation/curriculum_campaign.ini (tests/fixtures.sh)
snf_fixture hydro.h5 hydro.h5 # and the 4 bundled SNEC runs
sed -e 's/^n_models = 4096/n_models = 6/' -e 's/^seed = 1987/seed = 7/' -e 's/^sampler = sobol/sampler = uniform/' \
    "$src/validation/curriculum_campaign.ini" > ext.ini
expect 0 "6 models" -- "$snforge" grid ext.ini -o ext.h5 --threads 1
cp "$src/validation/curriculum_tiny.ini" tiny.ini
run() { "$snforge" curriculum tiny.ini --threads 1 --no-plot "$@"; }

# ---- curriculum end to end ----
expect 0 "results.csv" -- run -o ref --test ext.h5
head -1 ref/results.csv | grep -qx 'row,split,energy,mass,radius,nickel' || fail "results.csv header: $(head -1 ref/results.csv)"
for row in sa_sa sa_hydro curriculum no_velocity; do
  for split in 1 2 3 mean std; do
    grep -q "^$row,$split," ref/results.csv || fail "results.csv lacks $row,$split"
  done
done
grep -q '^curriculum,external,' ref/results.csv || fail "no external row"
grep -q '^sa_sa,external,' ref/results.csv && fail "sa_sa has no external row"
awk -F, 'NR > 1 && !($3 >= 0 && $4 >= 0 && $5 >= 0 && $6 >= 0) { bad = 1 } END { exit bad }' ref/results.csv ||
  fail "a MAPE is not a number >= 0"
# mean and std of the folds, recomputed here from the fold rows
awk -F, '$1 == "curriculum" && $2 ~ /^[0-9]+$/ { n++; s += $5; q += $5 * $5 }
         $1 == "curriculum" && $2 == "mean" { m = $5 } $1 == "curriculum" && $2 == "std" { sd = $5 }
         END { mu = s / n; v = (q - n * mu * mu) / (n - 1); if (v < 0) v = 0;
               if ((mu - m)^2 > 1e-6 || (sqrt(v) - sd)^2 > 1e-4) { print mu, m, sqrt(v), sd; exit 1 } }' \
  ref/results.csv || fail "curriculum radius mean/std do not follow from the folds"
grep -q "Grassia" ref/results.md && grep -q "| 193 / 48 / 98 / 186 |" ref/results.md || fail "results.md lacks the paper"
echo "ok: table rows, mean/std and the paper's figures"
# every hydro model tested exactly once per variant
for v in base no_velocity; do
  ids=$(tail -q -n +2 ref/$v/fold*/tested.csv | grep -v '^#' | cut -d, -f2 | sort -n | tr '\n' ' ')
  [ "$ids" = "0 1 2 3 " ] || fail "$v: tested rows '$ids', expected each of 0 1 2 3 once"
done
echo "ok: every hydro model tested exactly once"

# ---- interrupted and resumed: the same table ----
expect 0 "stopped after 1 folds" -- run -o stop --test ext.h5 --stop-after-folds 1
[ -f stop/results.csv ] && fail "an interrupted run wrote results.csv"
[ -f stop/base/fold1/scores.csv ] && [ ! -f stop/base/fold2/scores.csv ] || fail "fold 1 only should be done"
t1=$(stat -c %Y.%s stop/base/fold1/scores.csv; sha1sum < stop/base/fold1/stage1.h5)
expect 0 "results.csv" -- run -o stop --test ext.h5
t2=$(stat -c %Y.%s stop/base/fold1/scores.csv; sha1sum < stop/base/fold1/stage1.h5)
[ "$t1" = "$t2" ] || fail "a finished fold was recomputed"
cmp -s ref/results.csv stop/results.csv || fail "resumed table differs: $(diff ref/results.csv stop/results.csv)"
echo "ok: stopped after one fold and resumed: same table, finished fold untouched"
killed=0
for delay in 0.4 0.9 1.5; do
  rm -rf kill
  "$snforge" curriculum tiny.ini --threads 1 --no-plot -o kill > kill.log 2>&1 &
  bgpid=$!
  sleep "$delay"
  kill -9 "$bgpid" 2>/dev/null && killed=$((killed + 1))
  wait "$bgpid" 2>/dev/null
  bgpid=
  expect 0 "results.csv" -- run -o kill
  cmp -s <(grep -v external ref/results.csv) kill/results.csv || fail "killed at ${delay}s and resumed: table differs"
done
echo "ok: killed with -9 ($killed of 3 runs were still running) and resumed: same table"

# ---- selection reads only validation rows: change fold 1's test models, stage models stay the same ----
if /usr/bin/python3 -c 'import h5py' 2>/dev/null; then
  cp hydro.h5 hydro_orig.h5
  test_rows=$(tail -n +2 ref/base/fold1/tested.csv | grep -v '^#' | cut -d, -f2 | tr '\n' ' ')
  /usr/bin/python3 - $test_rows <<'PY' || fail "could not perturb hydro.h5"
import sys, h5py
with h5py.File("hydro.h5", "r+") as f:
    for r in map(int, sys.argv[1:]):
        f["log_lbol"][r, :] = f["log_lbol"][r, :] + 0.3
PY
  expect 0 "stopped after 1 folds" -- run -o pert --stop-after-folds 1
  for s in stage1 stage2; do
    same_dset ref/base/fold1/$s.h5 pert/base/fold1/$s.h5 /best/params ||
      fail "$s changed when only the test models' light curves changed"
  done
  cmp -s ref/base/fold1/scores.csv pert/base/fold1/scores.csv && fail "the perturbed test models scored the same"
  echo "ok: test models changed -> stage 1 and 2 weights bitwise the same, only the scores moved"
  cp hydro_orig.h5 hydro.h5
else
  echo "SKIP: /usr/bin/python3 lacks h5py: the selection-only-validation check did not run"
fi

# ---- external test set: overlap refused ----
expect 2 "external test set must hold other models" -- run -o ref --test hydro.h5
expect 2 "cannot read" -- run -o ref --test missing.h5

# ---- finetune ----
m=ref/base/fold1/stage1.h5
expect 0 "frozen tensors" -- "$snforge" finetune "$m" hydro.h5 -o ft.h5 --epochs 4 --val 0.25 --batch 4 --threads 1 \
  --mix-sa sa.h5 --mix-share 0.5 --mix-max-rows 64
for d in /norm/x_mean /norm/x_std /norm/y_mean /norm/y_std; do
  same_dset "$m" ft.h5 "$d" || fail "finetune changed $d"
done
echo "ok: finetune keeps the normalisation"
# frozen modules: a reference InceptionTime (LITE has no Inception modules to freeze)
cat > inc.ini <<'EOF'
[data]
sa = sa.h5
hydro = hydro.h5
length = 32
sa_max_rows = 128
[split]
folds = 3
[model]
arch = inception
filters = 4
depth = 3
kernel = 8
bottleneck = 4
[stage1]
epochs = 2
batch = 32
[stage2]
epochs = 1
EOF
expect 0 "stopped after 1 folds" -- "$snforge" curriculum inc.ini -o inc --threads 1 --no-plot --stop-after-folds 1
mi=inc/base/fold1/stage1.h5
expect 0 "24 frozen tensors" -- "$snforge" finetune "$mi" hydro.h5 -o fz.h5 --freeze 3 --epochs 3 --val 0.25 \
  --batch 4 --lr 1e-2 --threads 1
/usr/bin/python3 - "$mi" fz.h5 <<'PY' || fail "frozen check"
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
pa, pb = a["best/params"][()], b["best/params"][()]
sizes = a["sizes"][()]
nfro = 3 * 7 + 3  # modules 0-2 and the first shortcut come first in the slab
cut = int(sizes[:nfro].sum())
assert np.array_equal(pa[:cut], pb[:cut]), "frozen weights moved"
assert not np.array_equal(pa[cut:], pb[cut:]), "nothing else moved"
assert np.array_equal(a["best/bn_stats"][()], b["best/bn_stats"][()]), "frozen BN statistics moved (all frozen here)"
print("ok: --freeze 3 on a 3-module network: the first %d floats bitwise the same, the head changed" % cut)
PY
expect 0 "interrupted at epoch 2.*validation MAPE of the best weights: when the run finishes" -- "$snforge" finetune \
  "$mi" hydro.h5 -o fzk.h5 --freeze 1 --epochs 5 --val 0.25 --batch 4 --threads 1 --stop-after-epochs 2
"$snforge" finetune "$mi" hydro.h5 -o fzk.h5 --freeze 1 --epochs 5 --val 0.25 --batch 4 --threads 1 > /dev/null 2>&1 &
bgpid=$!
sleep 0.3
kill -9 "$bgpid" 2>/dev/null
wait "$bgpid" 2>/dev/null
bgpid=
expect 0 "fzk.h5" -- "$snforge" finetune "$mi" hydro.h5 -o fzk.h5 --freeze 1 --epochs 5 --val 0.25 --batch 4 --threads 1
expect 0 "fzf.h5" -- "$snforge" finetune "$mi" hydro.h5 -o fzf.h5 --freeze 1 --epochs 5 --val 0.25 --batch 4 --threads 1
for d in /params /best/params /optimizer/m /optimizer/v /bn_stats /history; do
  same_dset fzk.h5 fzf.h5 "$d" || fail "finetune stopped, killed and resumed differs in $d"
done
echo "ok: finetune stopped, killed -9 and resumed: bitwise the uninterrupted run"
expect 2 "another run" -- "$snforge" finetune "$mi" hydro.h5 -o fzf.h5 --freeze 2 --epochs 5 --val 0.25 --threads 1
expect 2 "LITE has no Inception modules" -- "$snforge" finetune "$m" hydro.h5 -o x.h5 --freeze 1 --threads 1
expect 2 "mix-share needs" -- "$snforge" finetune "$m" hydro.h5 --mix-share 0.3
expect 2 "--lr expects" -- "$snforge" finetune "$m" hydro.h5 --lr -1
expect 2 "lr_end 0.01 is above the peak learning rate lr 0.0001" -- "$snforge" finetune "$m" hydro.h5 -o lre.h5 \
  --lr 1e-4 --schedule cosine --lr-end 1e-2 --epochs 2 --val 0.25 --batch 4 --threads 1
[ ! -e lre.h5 ] || fail "a refused finetune left lre.h5"
# recipe options that do nothing with the chosen schedule are refused, naming the option and the schedule it needs
expect 2 "\-\-warmup does nothing with --schedule constant: it needs --schedule cosine or onecycle" -- "$snforge" finetune \
  "$m" hydro.h5 -o rw.h5 --warmup 0.1 --epochs 1 --threads 1
expect 2 "\-\-lr-end does nothing with --schedule plateau" -- "$snforge" finetune "$m" hydro.h5 -o rw.h5 --schedule plateau \
  --lr-end 1e-7 --epochs 1 --threads 1
expect 2 "\-\-onecycle-div does nothing with --schedule cosine: it needs --schedule onecycle" -- "$snforge" finetune "$m" \
  hydro.h5 -o rw.h5 --schedule cosine --onecycle-div 10 --epochs 1 --threads 1
[ ! -e rw.h5 ] || fail "a refused finetune left rw.h5"
# 1 validation row (4 hydro models, --val 0.25): no OOD test rather than one that flags every curve (p 0.5)
ftr() { "$snforge" finetune "$m" hydro.h5 --epochs 3 --val 0.25 --batch 4 --threads 1 -q "$@"; }
expect 0 "no OOD test (1 validation row for its reference: at least 10 are needed" -- ftr -o ood.h5
h5ls ood.h5/uq 2>/dev/null | grep -q ood_mean && fail "ood.h5 holds an OOD fit referred to 1 validation row"
# a finished rerun with the same settings: nothing to do, the file left as it is
t1=$(stat -c %Y.%s ood.h5; sha1sum < ood.h5)
sleep 1.1 # a rewrite within the same second would keep the time
expect 0 "ood.h5 is finished (finished all epochs at epoch 3); nothing to do" -- ftr -o ood.h5
[ "$t1" = "$(stat -c %Y.%s ood.h5; sha1sum < ood.h5)" ] || fail "a finished rerun rewrote ood.h5"
# a single-member model with a /uq group (ood.h5): no talk of an ensemble; a bad setting is refused before any note
ftu() { "$snforge" finetune ood.h5 hydro.h5 --epochs 1 --val 0.25 --batch 4 --threads 1 -q "$@"; }
expect 0 "note: ood.h5's /uq group is refit for n8.h5" -- ftu -o n8.h5
echo "$expect_out" | grep -q "ensemble" && fail "a single-member model called an ensemble: $expect_out"
echo "$expect_out" | grep -q "n8.h5: finished all epochs at epoch 1 (1 this run)" || fail "finetune's outcome: $expect_out"
expect 2 "freeze 7: expected 0\.\." -- ftu -o n8f.h5 --freeze 7
echo "$expect_out" | grep -q "note:" && fail "a note came before the refusal of --freeze 7: $expect_out"
# no validation rows: said, never validation figures of 0.0%
expect 0 "no validation rows: no validation figures" -- ftr -o v0.h5 --val 0
echo "$expect_out" | grep -q "0\.0%\|val loss" && fail "--val 0 printed validation figures: $expect_out"
# options refused alike with train and with --mix-share; DATA.h5 given again as --mix-sa (by name or another path)
expect 2 "\-\-time-budget expects seconds > 0, got '0'" -- ftr -o tb0.h5 --time-budget 0
expect 2 "\-\-mix-max-rows needs --mix-sa" -- ftr -o mx.h5 --mix-max-rows 8
expect 2 "\-\-mix-sa hydro.h5 is DATA.h5 (hydro.h5) itself" -- ftr -o same.h5 --mix-sa hydro.h5
ln -sf hydro.h5 hydro_link.h5
expect 2 "\-\-mix-sa ./hydro_link.h5 is DATA.h5 (hydro.h5) itself" -- ftr -o same.h5 --mix-sa ./hydro_link.h5
[ ! -e tb0.h5 ] && [ ! -e mx.h5 ] && [ ! -e same.h5 ] || fail "a refused finetune left its output"
# changed settings on resume: the key, its stored value and the new one (the recipe's long line is not cut short)
expect 0 "interrupted" -- ftr -o chg.h5 --schedule cosine --lr 1e-3 --stop-after-epochs 1
expect 2 "'... ema = 0' -> '... ema = 0.5'" -- ftr -o chg.h5 --schedule cosine --lr 1e-3 --ema 0.5
# a number stored with every digit (val = 0.25000000000000000) is named in its shortest form
expect 2 "line 8 of its settings: 'val = 0.25' -> 'val = 0.2')" -- ftr -o chg.h5 --schedule cosine --lr 1e-3 --val 0.2
expect 2 "'... lr_end = 9.99999997e-07' -> '... lr_end = 1.00000001e-07'" -- ftr -o chg.h5 --schedule cosine --lr 1e-3 \
  --lr-end 1e-7
echo "ok: finetune: schedule-bound options, 1 validation row, finished rerun, changed settings named"
# a time budget counts the whole epoch (its checkpoint write too): the probe finds all 2000 epochs fit, writes make
# an epoch many times longer; a cosine schedule must still end near lr_end, not be cut off near its peak
"$snforge" finetune "$m" hydro.h5 -o tb.h5 --epochs 2000 --val 0.25 --batch 4 --threads 1 --schedule cosine --lr 1e-3 \
  --patience 0 --time-budget 2 > tb.log 2>&1 || fail "finetune --time-budget: $(tail -3 tb.log)"
grep -q "time budget\|schedule at epoch" tb.log || fail "the budget run did not end by the budget or schedule: $(tail -2 tb.log)"
lr_last=$(grep '^epoch' tb.log | tail -1 | sed 's/.*, lr \([^ ]*\).*/\1/')
awk -v l="$lr_last" 'BEGIN { exit !(l < 1e-4) }' || fail "--time-budget: the cosine schedule ended at lr $lr_last (peak 1e-3)"
echo "ok: finetune --time-budget: the cosine schedule decayed to lr $lr_last within the budget"
expect 2 "expected MODEL.h5 and DATA.h5" -- "$snforge" finetune "$m"
expect 2 "snforge finetune" -- "$snforge" finetune nothere.h5 hydro.h5
expect 0 "usage: snforge finetune" -- "$snforge" finetune --help

# ---- search: grid of 2 trials, resumed without recomputing ----
# a stage with recipe keys names them in results.md (the defaults' table says nothing of a recipe)
! grep -q "recipe:" ref/results.md || fail "the default table names a recipe"
sed '/^\[stage2\]/a ema = 0.9' tiny.ini > rcp.ini
expect 0 "rcp/results.csv" -- "$snforge" curriculum rcp.ini -o rcp --threads 1 --no-plot
grep -q "^Stage 2 recipe: schedule constant, .*ema 0.9\.$" rcp/results.md || fail "results.md lacks stage 2's recipe"
printf '[search]\nbase = tiny.ini\nmode = grid\n[vary]\nstage2.lr = 1e-4, 1e-3\n' > search.ini
expect 0 "best by the hydro validation loss" -- "$snforge" search search.ini -o srch --threads 1
[ "$(wc -l < srch/trials.csv)" -eq 3 ] || fail "trials.csv: $(cat srch/trials.csv)"
head -1 srch/trials.csv | grep -q '^trial,stage2.lr,val_loss,' || fail "trials.csv header: $(head -1 srch/trials.csv)"
grep -q '^lr = 1e-3$' srch/trial002/curriculum.ini || fail "trial 2 config lacks lr = 1e-3"
# trial 1 = the base (lr 1e-4): its table equals the curriculum's own base rows
cmp -s <(grep -v '^no_velocity' ref/results.csv | grep -v external) srch/trial001/results.csv ||
  fail "trial 1 (the base's settings) differs from the curriculum run"
m1=$(stat -c %Y srch/trial001/results.csv srch/trial002/base/fold3/scores.csv)
cp srch/trials.csv trials1.csv
sleep 1.1 # a rewrite within the same second would keep the time and hide a recomputation
expect 0 "2 trials" -- "$snforge" search search.ini -o srch --threads 1
[ "$m1" = "$(stat -c %Y srch/trial001/results.csv srch/trial002/base/fold3/scores.csv)" ] || fail "search recomputed a trial"
cmp -s trials1.csv srch/trials.csv || fail "trials.csv changed on resume"
# two trials side by side (one thread each) give the table of one after another (results do not depend on threads)
expect 0 "log srch2/trial002/search.log" -- "$snforge" search search.ini -o srch2 --threads 2 --jobs 2
cmp -s srch/trials.csv srch2/trials.csv || fail "trials side by side differ: $(diff srch/trials.csv srch2/trials.csv)"
grep -q "stage 2" srch2/trial001/search.log || fail "trial 1's search.log lacks its progress"
printf '[data]\nsa = nothere.h5\nhydro = hydro.h5\n' > sbadbase.ini
printf '[search]\nbase = sbadbase.ini\n[vary]\nstage2.lr = 1e-4, 1e-3\n' > sbad3.ini
expect 2 "trial 2: .*nothere.h5" -- "$snforge" search sbad3.ini -o s4 --threads 2 --jobs 2
printf '[search]\nbase = tiny.ini\n[vary]\nlr = 1\n' > sbad.ini
expect 2 "sbad.ini:4: \[vary\] lr" -- "$snforge" search sbad.ini -o s2
printf '[search]\nbase = tiny.ini\n[vary]\nstage2.lr = fast\n' > sbad2.ini
expect 2 "trial 1" -- "$snforge" search sbad2.ini -o s3
echo "ok: search: trials.csv, trial 1 = the base, resumed without recomputing, side by side = one after another, bad configs"

# ---- bad configs and options ----
printf '[data]\nsa = sa.h5\nhydro = hydro.h5\n[split]\nfolds = 1\n' > bad1.ini
expect 2 "bad1.ini:5: \[split\] folds" -- "$snforge" curriculum bad1.ini -o b
printf '[data]\nsa = sa.h5\nhydro = hydro.h5\n[stage2]\nmix = 0.2\n' > bad2.ini
expect 2 "bad2.ini:5: \[stage2\] mix" -- "$snforge" curriculum bad2.ini -o b
printf '[data]\nsa = sa.h5\nhydro = hydro.h5\n[split]\nfolds = 5\n' > bad3.ini
expect 2 "cannot be dealt to 5 folds" -- "$snforge" curriculum bad3.ini -o b --threads 1
printf '[data]\nsa = nothere.h5\nhydro = hydro.h5\n' > bad4.ini
expect 2 "nothere.h5" -- "$snforge" curriculum bad4.ini -o b --threads 1
expect 2 "expected one EXPERIMENT.ini and -o DIR" -- "$snforge" curriculum tiny.ini
expect 2 "unknown option" -- "$snforge" curriculum tiny.ini -o x --bogus
expect 0 "usage: snforge curriculum" -- "$snforge" curriculum --help
echo "all curriculum CLI checks passed"
