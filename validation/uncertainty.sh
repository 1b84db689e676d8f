#!/usr/bin/env bash
# uncertainty.sh BUILD_DIR OUT_DIR [SHARED_DIR]: the measurements of validation/results/uncertainty.md.
# A 3-member Gaussian-head ensemble of the `snforge run` network (train/train_run.ini, 25 epochs,
# calibrated on its validation rows) on the 4,096-model campaign grids/87a_small.ini; an independent
# 2,000-model uniform campaign (another sampler and seed: no model in common); the SNEC hydro models;
# SN 1987A; and explain on 4 test rows and on SN 1987A. About 10-20 minutes on 2 quiet cores.
set -eu
build=$(cd "$1" && pwd)
out=$2
src=$(cd "$(dirname "$0")/.." && pwd)
shared=${3:-$src/../shared}
snf="$build/snforge"
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
mkdir -p "$out"
cd "$out"
[ -f train.h5 ] || "$snf" grid "$src/grids/87a_small.ini" -o train.h5 -q
sed -e 's/^n_models = 4096/n_models = 2000/' -e 's/^sampler = .*/sampler = uniform/' -e 's/^seed = .*/seed = 20261129/' \
    "$src/grids/87a_small.ini" > test_camp.ini
[ -f test.h5 ] || "$snf" grid test_camp.ini -o test.h5 -q
sed -e 's/file = 87a_small.h5/file = train.h5/' -e 's/epochs = 30/epochs = 25/' -e 's/model = model.h5/model = ens3.h5/' \
    -e 's/^calibrate = yes/calibrate = yes\nensemble = 3\njobs = 1/' "$src/train/train_run.ini" > ens3.ini
"$snf" train ens3.ini --threads 2
"$snf" evaluate ens3.h5 test.h5 -o ev_test
"$snf" evaluate ens3.h5 test.h5 -o ev_test_raw --uncalibrated --no-plot
snec="$shared/hydro/snec"
[ -d "$snec" ] || snec="$src/validation/data/snec"
(cd "$snec" && "$snf" import --format snec --index index.csv --like "$out/train.h5" -o "$out/snec.h5")
"$snf" evaluate ens3.h5 snec.h5 -o ev_snec
"$snf" evaluate ens3.h5 snec.h5 -o ev_snec_raw --uncalibrated --no-plot
obs="$shared/data/sn1987a_obs.csv"
[ -f "$obs" ] || obs="$src/validation/data/sn1987a/sn1987a_obs.csv"
"$snf" predict ens3.h5 "$obs"
"$snf" predict ens3.h5 "$obs" --json > sn1987a.json
"$snf" explain ens3.h5 test.h5 -o xp_test --rows 4 --steps 16
"$snf" explain ens3.h5 "$obs" -o xp_87a --steps 16
"$snf" plan ens3.h5 --epochs 20 > plan.csv
