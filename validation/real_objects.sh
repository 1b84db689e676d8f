#!/usr/bin/env bash
# validation/real_objects.sh: real supernovae answered by the deployable hydro-calibrated networks (issue 22,
# item 5). What it does (every file under $WORK except the results):
#   1. imports the SNEC models ($HYDRO/index.csv, snforge import --format snec) and generates the semi-analytic
#      campaign of validation/curriculum_campaign.ini (N Sobol models);
#   2. builds two deployable models with `snforge curriculum CONFIG -o DIR --final --final-members M`, CONFIG
#      being validation/curriculum.ini without its ablations: `both` (channels = both: L_bol and v_ph) and
#      `luminosity` (channels = luminosity); each model.h5 is calibrated on the out-of-fold hydro predictions;
#   3. only now reads TEST_HYDRO (if given): `snforge evaluate` of each final model on it;
#   4. answers every object of CATALOGUE with the models its series allow (catalogue mode, one list per model):
#      every object with the luminosity model, the objects whose file has velocities with the `both` model too;
#   5. `snforge keypoints` of every object; at SCALE=full also `snforge fit` started from the network's answer
#      (--start), with R-hat and ESS: a chain that has not converged is reported as such, never as a result;
#   6. writes OUT/objects.csv (the catalogue columns of `snforge predict --catalogue` plus `model`),
#      OUT/hydro_coverage.csv (model,set,parameter,coverage68_pct,coverage95_pct,n: set out_of_fold from
#      final/oof.csv with leave-one-out variances, validation/final_coverage.sh; set external from TEST_HYDRO),
#      OUT/objects.md (per object: answers, fit, key points, literature, flags) and OUT/figures/*.png (the data
#      with errors against `snforge simulate` at each answer; validation/real_objects.py).
#
# Settings (environment variables; defaults in brackets):
#   OUT [validation/results/real_objects]   the results folder
#   SCALE [small]    small: 2,048 semi-analytic models, 2 final members, stage 1 at most 6 epochs (within 15
#                    minutes on 2 cores); full: 30,000 models, sa_max_rows 30000, 12 stage-1 epochs, 5 members,
#                    and the MCMC fits
#   CATALOGUE [validation/data/real/catalogue.csv]  name,path[,t0_err_d] (snforge predict --catalogue)
#   TEST_HYDRO []    an external hydro set (snforge import), used only to score the final models' intervals
#   LITERATURE [validation/data/real/literature.csv]  published parameter ranges (name,parameter,lo,hi,unit,source)
#   HYDRO [../shared/hydro/snec]  the SNEC models (index.csv + run folders)
#   THREADS [2]      OpenMP threads
#   WORK [/tmp/snforge_real_$SCALE]  work folder (re-running resumes every finished step)
#   SNFORGE [build/snforge]   the program
#   FIT [yes at full, no at small]  run the MCMC fits
#   OBSERVE [yes at full, no at small]  yes: the curriculum configs carry an [observe] section matched to the
#                    bundled objects (below): both stages train on hydro and semi-analytic curves drawn as those
#                    objects are observed (cadence, first day, gaps, t0 offsets, noise, missing velocities), and the
#                    selection, the out-of-fold calibration and the external scores are made on one seeded draw per
#                    model (README, curriculum). The models then answer real cadences, not only complete curves.
#   FIT_STEPS [8000] MCMC iterations per object (32 walkers, half burned; 0.4 ms a model call, ~1.5 min an
#                    object; the autocorrelation time was ~70 steps, and steps >= 50 tau after burn-in is required)
# Run (full): nohup flock /tmp/snforge-heavy.lock env SCALE=full bash validation/real_objects.sh > real.log 2>&1 &
# Exit status: 0 done, 1 a step failed, 2 bad settings.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 0
fi

SCALE=${SCALE:-small}
OUT=${OUT:-$root/validation/results/real_objects}
CATALOGUE=${CATALOGUE:-$root/validation/data/real/catalogue.csv}
LITERATURE=${LITERATURE:-$root/validation/data/real/literature.csv}
TEST_HYDRO=${TEST_HYDRO:-}
HYDRO=${HYDRO:-$root/../shared/hydro/snec}
THREADS=${THREADS:-2}
WORK=${WORK:-/tmp/snforge_real_$SCALE}
SNFORGE=${SNFORGE:-$root/build/snforge}
FIT_STEPS=${FIT_STEPS:-8000}
PY=${SNFORGE_PYTHON:-/usr/bin/python3}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
die() { echo "real_objects.sh: $*" >&2; exit "${2:-2}"; }
case "$SCALE" in
    small) N=2048 MEMBERS=2 E1=6 FIT=${FIT:-no} OBSERVE=${OBSERVE:-no} ;;
    full) N=30000 MEMBERS=5 E1=12 FIT=${FIT:-yes} OBSERVE=${OBSERVE:-yes} ;;
    *) die "SCALE must be small or full, got '$SCALE'" ;;
esac
[ "$FIT" = yes ] || [ "$FIT" = no ] || die "FIT must be yes or no, got '$FIT'"
[ "$OBSERVE" = yes ] || [ "$OBSERVE" = no ] || die "OBSERVE must be yes or no, got '$OBSERVE'"
[[ "$THREADS" =~ ^[0-9]+$ ]] && [ "$THREADS" -gt 0 ] || die "THREADS must be a positive integer, got '$THREADS'"
[[ "$FIT_STEPS" =~ ^[0-9]+$ ]] && [ "$FIT_STEPS" -ge 100 ] || die "FIT_STEPS must be an integer >= 100"
[ -x "$SNFORGE" ] || die "no snforge program at $SNFORGE (build it, or set SNFORGE)"
[ -x "$PY" ] || die "no python at $PY (set SNFORGE_PYTHON)"
[ -f "$HYDRO/index.csv" ] || die "no SNEC index at $HYDRO/index.csv (set HYDRO)"
[ -r "$CATALOGUE" ] || die "CATALOGUE=$CATALOGUE is not readable"
[ -r "$LITERATURE" ] || die "LITERATURE=$LITERATURE is not readable"
abspath() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
CATALOGUE=$(abspath "$CATALOGUE")
LITERATURE=$(abspath "$LITERATURE")
if [ -n "$TEST_HYDRO" ]; then
    [ -r "$TEST_HYDRO" ] || die "TEST_HYDRO=$TEST_HYDRO is not readable"
    TEST_HYDRO=$(abspath "$TEST_HYDRO")
fi
mkdir -p "$WORK" "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$WORK"
log() { echo "[$(date -u +%H:%M:%S)] $*"; }
t0=$(date +%s)
load0=$(cut -d' ' -f1 /proc/loadavg)

# ---- 1. the hydro models and the semi-analytic campaign ----
log "snforge import --format snec --index $HYDRO/index.csv -o hydro.h5"
"$SNFORGE" import --format snec --index "$HYDRO/index.csv" -o hydro.h5.new > import.log 2>&1 ||
    { cat import.log >&2; die "snforge import failed" 1; }
if [ -f hydro.h5 ] && cmp -s hydro.h5 hydro.h5.new; then rm hydro.h5.new; else mv hydro.h5.new hydro.h5; fi
sed -e "s/^n_models = 4096/n_models = $N/" "$root/validation/curriculum_campaign.ini" > sa.ini
if [ -f sa.h5.done ] && cmp -s sa.ini sa.h5.ini.used; then
    log "sa.h5 exists"
else
    rm -f sa.h5 sa.h5.done
    log "snforge grid sa.ini -o sa.h5 ($N models)"
    "$SNFORGE" grid sa.ini -o sa.h5 --threads "$THREADS" > sa.h5.log 2>&1 || { tail -5 sa.h5.log >&2; die "grid failed" 1; }
    cp sa.ini sa.h5.ini.used
    touch sa.h5.done
fi
t1=$(date +%s)

# ---- 2. the deployable models ----
# validation/curriculum.ini up to its first ablation section, with this scale's sizes and the model's channels
for m in both luminosity; do
    awk '/^\[ablation\./ { exit } { print }' "$root/validation/curriculum.ini" |
        sed -e "s/^channels = both/channels = $m/" -e "s/^sa_max_rows = 2048/sa_max_rows = $N/" \
            -e "/^\[stage1\]/,/^\[/ s/^epochs = 10/epochs = $E1/" > "curr_$m.ini"
    grep -q "^channels = $m" "curr_$m.ini" || die "validation/curriculum.ini has no 'channels = both' line to set" 1
    if [ "$OBSERVE" = yes ]; then
        # The bundled objects (validation/data/real/*/, validation/data/sn1987a) inside the grid's 1-200 d: 21-109
        # L epochs (SN 2006V 21, SN 2000cb 24, SN 1987A 51, SN 2012aw 71, SN 2017eaw 76, SN 2018hna ~95, SN 2009E
        # 109), 5-46 v_ph epochs where there are any (SN 2018hna 5, SN 2017eaw 9, SN 2012aw 17, SN 1987A 46) and
        # none for 3 of the 7; the first L epoch 1.8-23 d after explosion, the last 119-200 d; gaps of 10-25 d
        # (SN 2006V, SN 2000cb, SN 2017eaw); L errors 2-45% (medians: SN 2006V 5%, SN 2018hna 10%, SN 2012aw 18%,
        # SN 2017eaw 19%, SN 2000cb 25%, SN 2009E 44%; SN 1987A none), v_ph errors ~2% (SN 1987A; the others give
        # none: 2-10% taken); explosion epochs known to a few days (SN 1987A exactly).
        cat >> "curr_$m.ini" <<'INI'

[observe]                   ; every curriculum row drawn as the bundled real objects are observed (README, curriculum)
epochs_L = 20-110
epochs_v = 5-46
first_d = 1.5-25
last_d = 110-200
gaps = 0-2
gap_d = 10-30
t0_err_d = 3
L_err = 0.02-0.45
vph_err = 0.02-0.10
vph_missing = 0.25
INI
    fi
    log "snforge curriculum curr_$m.ini -o out_$m --final --final-members $MEMBERS --threads $THREADS"
    "$SNFORGE" curriculum "curr_$m.ini" -o "out_$m" --final --final-members "$MEMBERS" --threads "$THREADS" \
        > "curriculum_$m.log" 2>&1 || { tail -20 "curriculum_$m.log" >&2; die "snforge curriculum ($m) failed" 1; }
    grep "calibrated on" "curriculum_$m.log" || true
    [ -f "out_$m/final/model.h5" ] || die "no out_$m/final/model.h5 after the curriculum" 1
done
t2=$(date +%s)

# ---- 3. the intervals on hydro models: out of fold, then (only now) the external set ----
{
    echo "model,set,parameter,coverage68_pct,coverage95_pct,n"
    for m in both luminosity; do
        bash "$root/validation/final_coverage.sh" "out_$m" |
            awk -F, -v m="$m" 'NR > 1 { printf "%s,out_of_fold,%s,%s,%s,%s\n", m, $1, $6, $7, $2 }'
        if [ -n "$TEST_HYDRO" ]; then
            "$SNFORGE" evaluate "out_$m/final/model.h5" "$TEST_HYDRO" -o "external_$m" --no-plot \
                --threads "$THREADS" > "external_$m.log" 2>&1 || { cat "external_$m.log" >&2; die "evaluate failed" 1; }
            awk -F, -v m="$m" 'NR > 1 { printf "%s,external,%s,%s,%s,%s\n", m, $1, $9, $10, $3
                                        n += $3; c68 += $3 * $9; c95 += $3 * $10 }
                END { if (n > 0) printf "%s,external,pooled,%.1f,%.1f,%d\n", m, c68 / n, c95 / n, n }' \
                "external_$m/metrics.csv"
        fi
    done
} > hydro_coverage.csv

# ---- 4. the objects: one list per model, each object with the models its series allow ----
"$PY" "$here/real_objects.py" lists "$CATALOGUE" list_both.csv list_luminosity.csv
for m in both luminosity; do
    rm -f "objects_$m.csv"
    [ "$(grep -c . "list_$m.csv")" -gt 1 ] || { log "no object for the $m model"; continue; }
    log "snforge predict out_$m/final/model.h5 --catalogue list_$m.csv -o objects_$m.csv"
    "$SNFORGE" predict "out_$m/final/model.h5" --catalogue "list_$m.csv" -o "objects_$m.csv" \
        --threads "$THREADS" 2>&1 | tail -1
done

# ---- 5. key points; at full scale the MCMC fit from the network's answer ----
mkdir -p keypoints fits
"$PY" "$here/real_objects.py" paths "$CATALOGUE" | while IFS=$'\t' read -r key path; do
    "$SNFORGE" keypoints "$path" --json -o "keypoints/$key.json" > /dev/null 2> "keypoints/$key.log" ||
        echo "keypoints $key failed: $(tail -1 "keypoints/$key.log")" >&2
done
if [ "$FIT" = yes ]; then
    "$PY" "$here/real_objects.py" starts objects_both.csv objects_luminosity.csv |
        while IFS=$'\t' read -r key path start; do
            log "snforge fit $path -o fits/$key --start $start --steps $FIT_STEPS"
            "$SNFORGE" fit "$path" -o "fits/$key" --start "$start" --steps "$FIT_STEPS" --threads "$THREADS" \
                --no-plot -q > "fits/$key.log" 2>&1 || echo "fit $key failed: $(tail -1 "fits/$key.log")" >&2
        done
fi
t3=$(date +%s)

# ---- 6. the results ----
mkdir -p "$OUT/figures"
cp hydro_coverage.csv "$OUT/hydro_coverage.csv"
load1=$(cut -d' ' -f1 /proc/loadavg)
"$PY" "$here/real_objects.py" report --snforge "$SNFORGE" --catalogue "$CATALOGUE" --literature "$LITERATURE" \
    --scale "$SCALE" --fit "$FIT" --members "$MEMBERS" --n-sa "$N" --out "$OUT" \
    --timing "OBSERVE=$OBSERVE; $((t1 - t0)) s import + campaign, $((t2 - t1)) s the two curricula, $((t3 - t2)) s answers, key points and fits (FIT=$FIT, $FIT_STEPS steps x 32 walkers); $THREADS threads; load average $load0 at the start, $load1 at the end" \
    --test-hydro "${TEST_HYDRO:-}"
log "done: $OUT/objects.csv, hydro_coverage.csv, objects.md ($(($(date +%s) - t0)) s)"
