#!/usr/bin/env bash
# byte_identity.sh OLD_SNFORGE OLD_SRC NEW_SNFORGE NEW_SRC [WORK]: the restructuring check (by hand, not in
# CI). Runs one deterministic pass through every output a move must keep byte-identical with both programs
# (each with its own source tree's configs and data) and compares: a 1,024-model campaign, 3 epochs of the
# `run` network, predict --json (base and fine-tuned model), keypoints --json, evaluate's CSVs, plan,
# explain's CSVs, a tiny curriculum's tables, and every HDF5 file under h5diff -d 0 (creation-time
# attributes, the code revision and library versions, and the wall-clock /history column are expected to differ and are listed, not failed).
# Prints "same"/"DIFF" per file; exits 1 if any output differs.
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
}
(pass "$1" "$2" "$work/old")
(pass "$3" "$4" "$work/new")
cd "$work" || exit 1
bad=0
for f in predict.json predict_ft.json kp.json plan.txt plan.err ev/metrics.csv ev/parity.csv ev/reliability.csv \
         xp/explain.csv xp/phases.csv xp/summary.md cur/results.csv cur/results.md; do
  if cmp -s "old/$f" "new/$f"; then echo "same $f"; else echo "DIFF $f"; bad=1; fi
done
for h in camp.h5 model.h5 ft.h5 hydro.h5 sa.h5; do
  d=$(h5diff -v -d 0 "old/$h" "new/$h" 2>&1 | grep -E '^(dataset|attribute)|[1-9][0-9]* differences found' \
      | grep -B1 -E '[1-9][0-9]* differences found' | grep -E '^(dataset|attribute)' | sed -E 's/ and .*//' | tr '\n' ' ')
  case "$d" in
    "") echo "same $h" ;;
    *) other=$(echo "$d" | sed -E 's/attribute: <(created|data_created|code_revision|library_versions) of <\/>>//g; s/dataset: <\/history>//g' | tr -d ' ')
       if [ -z "$other" ]; then echo "same $h (differs only in: $d)"; else echo "DIFF $h: $d"; bad=1; fi ;;
  esac
done
echo "outputs in $work"
exit $bad
