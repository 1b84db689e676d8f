#!/usr/bin/env bash
# validation/hydro_campaign_curriculum.sh: issue 24 item 4 at small scale. The curriculum experiment
# (validation/curriculum.ini without its ablations: 2,048 semi-analytic models, 5 folds) with snforge's own
# hydro campaign as the hydro set (validation/data/hydro_campaign/hydro500.h5, 512 models) and the 17 SNEC models
# of ../shared/hydro/snec as the external test (--test, read only after every fold), then the deployable model
# (--final) and SN 1987A through it. Resumable: rerun. Settings: SNFORGE [build/snforge], WORK
# [/tmp/snforge_hcamp_curriculum], SHARED [../shared], THREADS [2], HYDRO [validation/data/hydro_campaign/hydro500.h5].
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
SNF=$(readlink -f "${SNFORGE:-$root/build/snforge}")
SHARED=$(readlink -f "${SHARED:-$root/../shared}")
HYDRO=$(readlink -f "${HYDRO:-$root/validation/data/hydro_campaign/hydro500.h5}")
THREADS=${THREADS:-2}
WORK=${WORK:-/tmp/snforge_hcamp_curriculum}
mkdir -p "$WORK" && cd "$WORK"
echo "start: $(uptime)"
[ -f sa.h5 ] || { sed 's/^n_models = .*/n_models = 2048/' "$root/validation/curriculum_campaign.ini" > sa.ini
  "$SNF" grid sa.ini -o sa.h5 --threads "$THREADS" > sa.log 2>&1; }
[ -f snec.h5 ] || "$SNF" import --format snec --index "$SHARED/hydro/snec/index.csv" -o snec.h5 > snec.log 2>&1
sed -e '/^\[ablation/,$d' -e "s|^hydro = hydro.h5 |hydro = $HYDRO |" "$root/validation/curriculum.ini" > cur.ini
"$SNF" curriculum cur.ini -o out --test snec.h5 --threads "$THREADS" --no-plot --final --final-members 3
"$SNF" predict out/final/model.h5 "$root/validation/data/sn1987a/sn1987a_obs.csv"
echo "end: $(uptime)"
echo "results: $WORK/out/results.md, $WORK/out/results.csv, $WORK/out/final/model.h5"
