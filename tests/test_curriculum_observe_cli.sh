#!/usr/bin/env bash
# test_curriculum_observe_cli.sh SNFORGE SOURCE_DIR SHARED_DIR: the curriculum's [observe] section (train's keys,
# train's parser) on the tiny experiment (validation/curriculum_tiny.ini without its ablation, 3 folds): the stage
# models say it in their identity texts, the out-of-fold predictions are made on drawn rows (tested.csv differs
# from the complete-curve run's), stage 2 with observe = no keeps stage 1 bitwise and trains another stage 2 (the
# draws change stage 2's training inputs and nothing else), a run stopped after one fold or killed with -9 and
# resumed ends bitwise like the uninterrupted one (tables, out-of-fold predictions, stage weights), --final trains
# its members on drawn rows, an experiment folder is not continued with another [observe], and bad [observe]
# values exit 2 naming file:line and key.
snforge=$1
src=$2
. "${BASH_SOURCE%/*}/lib.sh"
snf_scratch currobs
cd "$work" || exit 1
command -v h5diff > /dev/null || fail "h5diff is missing (hdf5-tools)"

snf_fixture campaign.h5 sa.h5 # the shared campaign: 256 models of validation/curriculum_campaign.ini (tests/fixtures.sh)
snf_fixture hydro.h5 hydro.h5 # and the 4 bundled SNEC runs
sed -e '/^\[ablation/,$d' "$src/validation/curriculum_tiny.ini" > plain.ini
obs_section='[observe]
epochs_L = 6-12
epochs_v = 3-6
first_d = 2-10
last_d = 80-150
gaps = 0-1
gap_d = 5-20
t0_err_d = 2
L_err = 0.05-0.2
vph_err = 0.05
vph_missing = 0.3'
{ cat plain.ini; echo; echo "$obs_section"; } > obs.ini
sed -e 's/^\[stage2\]/[stage2]\nobserve = no/' obs.ini > s2no.ini
grep -q '^observe = no' s2no.ini || fail "could not write s2no.ini"
run() { local ini=$1; shift; "$snforge" curriculum "$ini" --threads 1 --no-plot "$@"; }

# ---- the experiment with and without [observe] ----
expect 0 "results.csv" -- run plain.ini -o plain
expect 0 "results.csv" -- run obs.ini -o obs
for f in 1 2 3; do
  grep -aq "observe: " plain/base/fold$f/stage2.h5 && fail "plain fold $f: an observe line without [observe]"
  grep -aq "training rows drawn every epoch" obs/base/fold$f/stage1.h5 || fail "obs fold $f: stage 1 text lacks [observe]"
  grep -aq "training rows drawn every epoch" obs/base/fold$f/stage2.h5 || fail "obs fold $f: stage 2 text lacks [observe]"
done
cmp -s plain/base/fold1/tested.csv obs/base/fold1/tested.csv && fail "the out-of-fold predictions ignore [observe]"
ids=$(tail -q -n +2 obs/base/fold*/tested.csv | grep -v '^#' | cut -d, -f2 | sort -n | tr '\n' ' ')
[ "$ids" = "0 1 2 3 " ] || fail "obs: tested rows '$ids', expected each of 0 1 2 3 once"
# the truth columns are the file's, whatever the inputs were drawn as
cmp -s <(grep -v '^#' plain/base/fold1/tested.csv | cut -d, -f1-6) <(grep -v '^#' obs/base/fold1/tested.csv | cut -d, -f1-6) ||
  fail "the tested rows' parameters changed with [observe]"
echo "ok: [observe] enters the stage texts and the out-of-fold predictions; none without it"

# ---- stage 2 without draws: stage 1 the same, stage 2 another (its training inputs were the draws) ----
expect 0 "results.csv" -- run s2no.ini -o s2no
grep -aq "training rows complete" s2no/base/fold1/stage2.h5 || fail "s2no: stage 2 text does not say complete"
for f in 1 2 3; do
  same_dset obs/base/fold$f/stage1.h5 s2no/base/fold$f/stage1.h5 /best/params ||
    fail "fold $f: stage 1 changed with stage 2's observe switch"
  same_dset obs/base/fold$f/stage2.h5 s2no/base/fold$f/stage2.h5 /best/params &&
    fail "fold $f: stage 2 trained the same with and without drawn training rows"
done
echo "ok: observe = no on stage 2: stage 1 bitwise the same, stage 2 trained on other inputs"

# ---- resumes: stopped after one fold, killed with -9: bitwise the uninterrupted run ----
same_run() { # DIR: the same table, out-of-fold predictions and stage weights as obs/
  cmp -s obs/results.csv "$1/results.csv" || fail "$1: table differs: $(diff obs/results.csv "$1/results.csv")"
  for f in 1 2 3; do
    cmp -s obs/base/fold$f/tested.csv "$1/base/fold$f/tested.csv" || fail "$1: fold $f tested.csv differs"
    for s in stage1 stage2; do
      same_dset obs/base/fold$f/$s.h5 "$1/base/fold$f/$s.h5" /best/params || fail "$1: fold $f $s weights differ"
    done
  done
}
expect 0 "stopped after 1 folds" -- run obs.ini -o stop --stop-after-folds 1
[ -f stop/base/fold1/scores.csv ] && [ ! -f stop/base/fold2/scores.csv ] || fail "fold 1 only should be done"
expect 0 "results.csv" -- run obs.ini -o stop
same_run stop
killed=0
for delay in 0.5 1.2; do
  rm -rf kill
  "$snforge" curriculum obs.ini --threads 1 --no-plot -o kill > kill.log 2>&1 &
  bgpid=$!
  sleep "$delay"
  kill -9 "$bgpid" 2>/dev/null && killed=$((killed + 1))
  wait "$bgpid" 2>/dev/null
  bgpid=
  expect 0 "results.csv" -- run obs.ini -o kill
  same_run kill
done
echo "ok: stopped after one fold and killed with -9 ($killed of 2 still running), resumed: bitwise the uninterrupted run"

# ---- the experiment's fingerprint holds [observe] ----
expect 2 "" -- run obs.ini -o plain
expect 2 "" -- run plain.ini -o obs
echo "ok: a folder is not continued with [observe] added or removed"

# ---- --final: the members train on drawn rows ----
expect 0 "deployable model obs/final/model.h5 (1 members" -- run obs.ini -o obs --final --final-members 1
# its OOD test is fitted on what the members trained on: the rows drawn as observations (the log says so)
grep -q "OOD test fitted on [0-9]* rows drawn as observations" <<< "$expect_out" ||
  fail "the deployable model's OOD test is not fitted on drawn rows: $(tail -3 <<< "$expect_out")"
# member k's stage-1 text: its own [observe] line, then stage 2's identity (one more); stage 2's: that one
[ "$(grep -ao 'observe: epochs_L' obs/final/member1_stage1.h5 | wc -l)" -ge 2 ] ||
  fail "final member 1's stage-1 text lacks its [observe] line"
grep -aq "training rows drawn every epoch" obs/final/member1.h5 || fail "final member 1's text lacks [observe]"
expect 0 "" -- "$snforge" predict obs/final/model.h5 "$src/validation/data/sn1987a/sn1987a_obs.csv"
echo "ok: --final on drawn rows, and the model answers"

# ---- bad [observe] values: exit 2 naming file:line and key ----
bad() { # NAME LINES... -> NAME.ini = plain.ini + the lines
  local name=$1; shift
  { cat plain.ini; printf '%s\n' "$@"; } > "$name.ini"
}
n=$(($(grep -c '' plain.ini) + 2)) # the line of the first key after the section header
bad b1 '[observe]' 'epochs_L = 1'
expect 2 "b1.ini:$n: \[observe\] epochs_L" -- run b1.ini -o b
bad b2 '[observe]' 'L_err = 3'
expect 2 "b2.ini:$n: \[observe\] L_err" -- run b2.ini -o b
bad b3 '[observe]' 'bogus = 1'
expect 2 "b3.ini:$n: \[observe\] bogus: unknown key" -- run b3.ini -o b
bad b4 '[observe]' 'epochs_L = 5-10' 'gaps = 2'
expect 2 "b4.ini:$((n - 1)): \[observe\] gap_d" -- run b4.ini -o b
bad b5 '[observe]' 'epochs_L = 5-10' 'first_d = 40' 'last_d = 20-30'
expect 2 "b5.ini:$((n - 1)): \[observe\] last_d" -- run b5.ini -o b
sed -e 's/^\[stage2\]/[stage2]\nobserve = maybe/' obs.ini > b6.ini
l6=$(grep -n '^observe = maybe' b6.ini | cut -d: -f1)
expect 2 "b6.ini:$l6: \[stage2\] observe" -- run b6.ini -o b
sed -e 's/^\[stage1\]/[stage1]\nobserve = yes/' plain.ini > b7.ini
l7=$(grep -n '^observe = yes' b7.ini | cut -d: -f1)
expect 2 "b7.ini:$l7: \[stage1\] observe: yes needs an \[observe\] section" -- run b7.ini -o b
[ -d b ] && fail "a bad config made an experiment folder"
echo "all curriculum [observe] checks passed"
