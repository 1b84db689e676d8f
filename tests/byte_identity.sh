#!/usr/bin/env bash
# byte_identity.sh OLD_SNFORGE OLD_SRC NEW_SNFORGE NEW_SRC [WORK]: the restructuring check (by hand, not in
# CI). Runs one deterministic pass through every output a move must keep byte-identical with both programs
# (each with its own source tree's configs and data) and compares: a 1,024-model campaign, 3 epochs of the
# `run` network, predict --json (base and fine-tuned model), keypoints --json, evaluate's CSVs, plan,
# explain's CSVs (observation and dataset modes), a tiny curriculum's tables, fit's tables (a short chain), one
# SNEC model through `hydro` (60 zones, 2 days; CSV and dataset file), a rerun of `run` in a copy of the old
# program's finished run folder (set BYTE_RUN=DIR to a finished `snforge run -o DIR`, else skipped), the
# messages and exit codes of bad invocations of every command above (errors.txt), and every HDF5 file under
# h5diff -d 0 (creation-time attributes, the code revision and library versions, and the wall-clock /history column are expected to differ and are listed, not failed).
# Prints "same"/"DIFF" per file; exits 1 if any output differs. NEW_SNFORGE "-" makes only the reference pass.
# Logs are compared with times masked (a number before " s", "ms" or "models/s", and "wall" figures).
set -u
work=${5:-$(mktemp -d /tmp/snf_identity.XXXXXX)}
pass() { # pass SNFORGE SRC OUT
  local B=$1 S=$2 O=$3
  rm -rf "$O"; mkdir -p "$O"; cd "$O" || exit 1
  export OMP_WAIT_POLICY=passive SNFORGE_DATA_DIR=$S
  local obs=$S/validation/data/sn1987a/sn1987a_obs.csv tr
  cp "$obs" obs.csv
  sed -e 's/^n_models *=.*/n_models = 1024/' "$S/grids/87a_small.ini" > c.ini
  "$B" grid c.ini -o camp.h5 --threads 2 > grid.log 2>&1 || echo "grid exit $?"
  tr=$(ls "$S"/learn/train_run.ini "$S"/train/train_run.ini 2>/dev/null | head -1)
  sed -e 's/^epochs *=.*/epochs = 3/' -e "s#^file *=.*#file = camp.h5#" "$tr" > t.ini
  "$B" train t.ini -o model.h5 --threads 2 > train.log 2>&1 || echo "train exit $?"
  "$B" predict model.h5 obs.csv --json --digits 10 > predict.json 2> /dev/null || echo "predict exit $?"
  "$B" evaluate model.h5 camp.h5 -o ev --no-plot > ev.log 2>&1 || echo "evaluate exit $?"
  "$B" keypoints obs.csv --json > kp.json 2>&1 || echo "keypoints exit $?"
  "$B" plan model.h5 --epochs 3 obs.csv > plan.txt 2> plan.err || echo "plan exit $?"
  "$B" explain model.h5 obs.csv -o xp --steps 4 --no-plot > xp.log 2>&1 || echo "explain exit $?"
  cp "$S/validation/curriculum_tiny.ini" tiny.ini
  sed -e "s/^n_models = 4096/n_models = 256/" "$S/validation/curriculum_campaign.ini" > sa.ini
  "$B" grid sa.ini -o sa.h5 --threads 1 > /dev/null 2>&1
  cp -r "$S/validation/data/snec" snec
  "$B" import --format snec --index snec/index.csv -o hydro.h5 > /dev/null 2>&1
  "$B" curriculum tiny.ini --threads 1 --no-plot -o cur > cur.log 2>&1 || echo "curriculum exit $?"
  "$B" finetune model.h5 hydro.h5 -o ft.h5 --epochs 2 --val 0.25 --batch 4 --threads 1 > ft.log 2>&1 \
    || echo "finetune exit $?"
  "$B" predict ft.h5 obs.csv --json --digits 10 > predict_ft.json 2> /dev/null || echo "predict (fine-tuned) exit $?"
  "$B" explain model.h5 camp.h5 -o xd --rows 2 --steps 4 --no-plot > xd.log 2>&1 || echo "explain (dataset) exit $?"
  "$B" plan model.h5 --epochs 3 > plan_d.txt 2> plan_d.err || echo "plan (dataset) exit $?"
  "$B" fit obs.csv -o fit -w 16 -s 40 --seed 3 -t 1 --init-draws 64 --no-plot > fit.log 2>&1 || echo "fit exit $?"
  local M=${SNF_SHARED:-$S/../shared}/hydro/snec/m000
  sed -e "s|\"bsg.short\"|\"$M/bsg.short\"|" -e "s|\"bsg.iso.dat\"|\"$M/bsg.iso.dat\"|" \
      -e 's/^tend .*/tend = 172800.0/' "$M/parameters" > hp
  "$B" hydro hp --zones 60 -o hydro.csv > hydro_csv.log 2>&1 || echo "hydro exit $?"
  "$B" hydro hp --zones 60 -o hydro1.h5 > hydro_h5.log 2>&1 || echo "hydro (h5) exit $?"
  if [ -n "${BYTE_RUN:-}" ] && [ -d "$BYTE_RUN" ]; then
    cp -r "$BYTE_RUN" run; "$B" run -o run --threads 1 > run.txt 2>&1 || echo "run exit $?"
  fi
  printf 'bad\n' > bad.ini; printf 't_d,L_erg_s\n1,x\n' > bad.csv
  local e
  while IFS= read -r e; do
    eval "set -- $e"; echo "== $e"; "$B" "$@" 2>&1 > /dev/null; echo "exit $?"
  done > errors.txt <<'CASES'
evaluate
evaluate model.h5
evaluate model.h5 camp.h5
evaluate model.h5 camp.h5 -o e1 --bogus
evaluate nomodel.h5 camp.h5 -o e1 --no-plot
evaluate model.h5 nocamp.h5 -o e1 --no-plot
evaluate model.h5 bad.csv -o e1 --no-plot
explain
explain model.h5
explain model.h5 obs.csv
explain model.h5 obs.csv -o e2 --steps 0 --no-plot
explain model.h5 obs.csv -o e2 --window 100 --no-plot
explain model.h5 bad.csv -o e2 --no-plot
explain model.h5 camp.h5 -o e2 --rows 0 --no-plot
explain model.h5 obs.csv -o e2 --bogus
plan
plan model.h5
plan model.h5 --epochs 0
plan model.h5 --epochs 3 bad.csv
plan model.h5 --epochs 3 --data nocamp.h5
plan model.h5 --epochs 3 --bogus
plan model.h5 --epochs 3 obs.csv extra.csv
fit
fit obs.csv
fit bad.csv -o e3
fit obs.csv -o e3 --walkers many
fit obs.csv -o e3 --steps 0
fit obs.csv -o e3 --prior bogus
fit obs.csv -o e3 --bogus
grid
grid bad.ini -o e4.h5
grid c.ini
grid c.ini -o e4.h5 --threads 0
grid c.ini -o e4.h5 --bogus
grid nofile.ini -o e4.h5
train
train bad.ini
train t.ini --threads 0
train t.ini --bogus
train noini.ini
run --threads 0
run --bogus
run extra
hydro
hydro nofile
hydro bad.ini
hydro hp -o x.txt
hydro hp --theta 0.3
hydro hp --dtmax -5
hydro hp --zones 1
hydro hp --bogus
finetune
finetune model.h5
finetune model.h5 hydro.h5
finetune model.h5 hydro.h5 -o e5.h5 --epochs 0
finetune model.h5 hydro.h5 -o e5.h5 --bogus
finetune nomodel.h5 hydro.h5 -o e5.h5
finetune model.h5 camp.h5 -o e5.h5 --epochs 1
predict model.h5 bad.csv
keypoints bad.csv
CASES
}
# WORK/old/.done (left by an earlier call with the same OLD) skips the old pass: the reference is made once.
[ -f "$work/old/.done" ] || { (pass "$1" "$2" "$work/old") && touch "$work/old/.done"; }
[ "$3" = "-" ] && { echo "reference outputs in $work/old"; exit 0; }
(pass "$3" "$4" "$work/new")
cd "$work" || exit 1
bad=0
for f in predict.json predict_ft.json kp.json plan.txt plan.err ev/metrics.csv ev/parity.csv ev/reliability.csv \
         xp/explain.csv xp/phases.csv xp/summary.md cur/results.csv cur/results.md \
         xd/explain.csv xd/phases.csv xd/summary.md plan_d.txt plan_d.err fit/posterior.csv fit/bestfit.csv \
         hydro.csv; do
  if cmp -s "old/$f" "new/$f"; then echo "same $f"; else echo "DIFF $f"; bad=1; fi
done
# errors.txt: the two passes' folders named in messages are the one expected difference
if cmp -s <(sed "s#$work/old/#W/#g" old/errors.txt) <(sed "s#$work/new/#W/#g" new/errors.txt); then
  echo "same errors.txt (folder names masked)"; else echo "DIFF errors.txt"; bad=1; fi
for f in grid.log train.log ev.log xp.log xd.log fit.log ft.log hydro_csv.log cur.log; do
  m() { sed -E 's/[0-9][0-9.e+-]* ?(s|ms|min|models\/s|steps\/s|rows\/s)\b/T/g; s/(wall|took|time)[^,;)]*/\1 T/g' "$1"; }
  if cmp -s <(m "old/$f") <(m "new/$f"); then echo "same $f (times masked)"; else echo "DIFF $f"; bad=1; fi
done
for h in camp.h5 model.h5 ft.h5 hydro.h5 sa.h5 hydro1.h5; do
  d=$(h5diff -v -d 0 "old/$h" "new/$h" 2>&1 | grep -E '^(dataset|attribute)|[1-9][0-9]* differences found' \
      | grep -B1 -E '[1-9][0-9]* differences found' | grep -E '^(dataset|attribute)' | sed -E 's/ and .*//' | tr '\n' ' ')
  case "$d" in
    "") echo "same $h" ;;
    *) other=$(echo "$d" | sed -E 's/attribute: <(created|data_created|code_revision|library_versions) of <\/>>//g; s/dataset: <\/history>//g' | tr -d ' ')
       # ft.h5's config_text holds the digest of its starting model.h5, whose wall-clock /history differs
       if [ "$h" = ft.h5 ] && [ "$(echo "$other" | sed -E 's/attribute:<config_textof<\/>>//')" = "" ] &&
          cmp -s <(h5dump -a config_text old/ft.h5 | grep -v -e model_digest -e '^HDF5') \
                 <(h5dump -a config_text new/ft.h5 | grep -v -e model_digest -e '^HDF5'); then
         other=""; d="$d(config_text: model_digest of model.h5 alone)"
       fi
       if [ -z "$other" ]; then echo "same $h (differs only in: $d)"; else echo "DIFF $h: $d"; bad=1; fi ;;
  esac
done
if [ -f old/run.txt ]; then
  if cmp -s <(m old/run.txt) <(m new/run.txt); then echo "same run.txt (times masked)"; else echo "DIFF run.txt"; bad=1; fi
fi
if [ -f old/fit/summary.json ]; then # wall time excluded
  if cmp -s <(grep -v -e wall -e seconds_per old/fit/summary.json) <(grep -v -e wall -e seconds_per new/fit/summary.json)
  then echo "same fit/summary.json (but wall time)"
  else echo "DIFF fit/summary.json"; bad=1; fi
fi
echo "outputs in $work"
exit $bad
