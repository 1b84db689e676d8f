#!/usr/bin/env bash
# validation/augmentation.sh: training on observations as they come (issue 22 item 2, the [observe] section of
# the training config) against training on complete curves, measured on curves observed as real objects are.
#
# What it does (every file under $WORK; re-running resumes: finished steps are skipped, a killed training
# resumes from its checkpoint):
#   1. the semi-analytic campaign grids/87a_small.ini (4,096 models) to train on, a held-out twin (seed 7,
#      $NTEST models) to score on, and the SNEC models of $HYDRO imported onto the campaign's grid;
#   2. LITE networks with a Gaussian head and calibrated intervals, $EPOCHS epochs each: two series and
#      luminosity only, each trained on complete curves ("plain") and with [observe] at the levels of the
#      bundled real files ("observe"; "observe_wide" with the files' stated L errors as per-epoch noise);
#   3. each model scored by augmentation_eval.py on the held-out campaign and on the SNEC models, complete
#      and with each bundled real object's own days (validation/data/real/catalogue.csv; velocities only for
#      objects that have them), through `snforge predict --catalogue`: MAPE and 68/95% coverage;
#   4. `snforge plan --epochs 20` on every model (precision kept at K = 5, 10, 20).
# Settings (environment; defaults in brackets): WORK [/tmp/snforge_augmentation], OUT [$WORK] (eval.csv,
# plan.txt), KINDS [plain observe observe_wide; also observe_sparse], EPOCHS [40], NTEST [300], THREADS [2], HYDRO [../shared/hydro/snec], SNFORGE [build/snforge].
# Run: nohup flock /tmp/snforge-heavy.lock bash validation/augmentation.sh > /tmp/augmentation.log 2>&1 &
# Exit status: 0 done, 1 a step failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
WORK=${WORK:-/tmp/snforge_augmentation}
OUT=${OUT:-$WORK}
EPOCHS=${EPOCHS:-40}
NTEST=${NTEST:-300}
THREADS=${THREADS:-2}
HYDRO=${HYDRO:-$root/../shared/hydro/snec}
SNFORGE=${SNFORGE:-$root/build/snforge}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
mkdir -p "$WORK" "$OUT"
cd "$WORK"
uptime

if [ ! -f sa.h5 ]; then
    "$SNFORGE" grid "$root/grids/87a_small.ini" -o sa.tmp.h5 && mv sa.tmp.h5 sa.h5
fi
if [ ! -f sa_test.h5 ]; then
    sed -e "s/^n_models = .*/n_models = $NTEST/" -e 's/^seed = .*/seed = 7/' "$root/grids/87a_small.ini" > sa_test.ini
    "$SNFORGE" grid sa_test.ini -o sa_test.tmp.h5 && mv sa_test.tmp.h5 sa_test.h5
fi
if [ ! -f hydro.h5 ]; then
    "$SNFORGE" import --format snec --index "$HYDRO/index.csv" --like sa.h5 -o hydro.tmp.h5 && mv hydro.tmp.h5 hydro.h5
fi

# The [observe] levels: epoch counts, windows and gaps of the bundled files (21-119 L epochs, first day 1.8-23,
# longest gaps 16-89 d; 5-17 velocities); "observe": their point-to-point L scatter (3.5-8%, 15% for SN 2012aw's
# two merged series) and v_ph errors (1-3%); "observe_wide": the L errors the files state (medians 3-44%, mostly
# a part common to all epochs: distance, extinction) taken as independent per epoch.
cadence='[observe]
epochs_L = 15-120
epochs_v = 4-20
first_d = 1-25
last_d = 100-300
gaps = 0-2
gap_d = 10-80
t0_err_d = 2'
observe="$cadence
L_err = 0.02-0.08
vph_err = 0.01-0.03"
observe_wide="$cadence
L_err = 0.03-0.3
vph_err = 0.01-0.05"
# "observe_sparse": as "observe" but from 3 L and 2 v_ph epochs up (plan's few-epoch inputs inside training)
observe_sparse="${observe/epochs_L = 15-120/epochs_L = 3-120}"
observe_sparse="${observe_sparse/epochs_v = 4-20/epochs_v = 2-20}"
KINDS=${KINDS:-plain observe observe_wide}

for channels in both luminosity; do
    for kind in $KINDS; do
        name=${channels}_$kind
        {
            printf '[data]\nfile = %s/sa.h5\nchannels = %s\nlength = 128\n' "$WORK" "$channels"
            printf '[train]\nseed = 1\nepochs = %s\nbatch = 64\nlr = 2e-3\n[early_stop]\npatience = 0\n' "$EPOCHS"
            printf '[model]\narch = lite\nfilters = 32\nkernel = 40\nhead = gaussian\n'
            printf '[uncertainty]\ncalibrate = yes\n'
            [ "$kind" = observe ] && printf '%s\n' "$observe"
            [ "$kind" = observe_wide ] && printf '%s\n' "$observe_wide"
            [ "$kind" = observe_sparse ] && printf '%s\n' "$observe_sparse"
            printf '[output]\nmodel = %s/%s.h5\n' "$WORK" "$name"
        } > "$name.ini"
        "$SNFORGE" train "$name.ini" --threads "$THREADS" --quiet 2>&1 | tail -4
    done
done

rm -f "$OUT/eval.csv"
: > "$OUT/plan.txt"
for channels in both luminosity; do
    for kind in $KINDS; do
        name=${channels}_$kind
        /usr/bin/python3 "$here/augmentation_eval.py" "$SNFORGE" "$name.h5" "$name" sa_test.h5 sa \
            "$root/validation/data/real/catalogue.csv" "eval_$name/sa" "$OUT/eval.csv"
        /usr/bin/python3 "$here/augmentation_eval.py" "$SNFORGE" "$name.h5" "$name" hydro.h5 snec \
            "$root/validation/data/real/catalogue.csv" "eval_$name/snec" "$OUT/eval.csv"
        echo "== $name" >> "$OUT/plan.txt"
        "$SNFORGE" plan "$name.h5" --epochs 20 --data sa_test.h5 > "plan_$name.csv" 2>> "$OUT/plan.txt" || true
    done
done
uptime
