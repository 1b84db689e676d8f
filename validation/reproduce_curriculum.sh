#!/usr/bin/env bash
# validation/reproduce_curriculum.sh: curriculum transfer from semi-analytic to SNEC light curves (issue 8;
# Grassia, Mangioni, Cosentino & Pumo 2024, iterations 2 and 3), k-fold cross-validated over the SNEC models,
# with the paper's ablations, as configured in validation/curriculum.ini.
#
# What it does (every file under $WORK except the results):
#   1. imports the SNEC models ($HYDRO/index.csv) with `snforge import --format snec` (days 0-300, daily);
#   2. generates the semi-analytic campaign (validation/curriculum_campaign.ini: the SNEC prior widened, the
#      model's default physics, N Sobol models) and its twin with the physics before the SNEC calibration
#      (kappa 0.2 cm2/g, T_ion 4500 K; validation/results/choice.md) for the physics ablation;
#   3. runs `snforge curriculum curriculum.ini -o $WORK/out [--test $TEST]`: per fold, stage 1 on the
#      semi-analytic campaign (epoch selected on the fold's SNEC validation models), stage 2 fine-tuning on
#      the fold's SNEC training models, stage 3 on its SNEC test models; every ablation likewise;
#   4. copies the table to $OUT/curriculum.csv, $OUT/curriculum.md (with the command and timings) and
#      $OUT/curriculum.png.
#
# Settings (environment variables; defaults in brackets):
#   SCALE [small]    small: validation/curriculum.ini as committed (2,048 semi-analytic models; 4 minutes on
#                    2 cores at load average 9); full: 30,000 models, sa_max_rows 30000, at most 12 stage-1
#                    epochs (about 40 minutes on 2 cores: see below)
#   OUT [validation/results]      folder of curriculum.csv / .md / .png
#   TEST []          an external hydro test set (a dataset file from snforge import) passed to --test
#   FINAL [0]        M > 0: also the deployable model (--final --final-members M, $WORK/out/final/model.h5) and its
#                    out-of-fold coverage (validation/final_coverage.sh) in $OUT/curriculum_final.csv
#   HYDRO [../shared/hydro/snec]  the SNEC models (index.csv + run folders)
#   THREADS [2]      OpenMP threads
#   WORK [/tmp/snforge_curriculum]  work folder (campaigns, models; re-running resumes)
#   SNFORGE [build-repro/snforge, else build/snforge]   the program
#   OMP_WAIT_POLICY [passive]     (a shared machine: see reproduce_iter1.sh)
# Sizing of SCALE=full: stage 1 dominates (one run per variant for every fold; stage 2 trains on ~10 hydro
# models a fold, seconds). A stage-1 step (batch 64, LITE) took 0.072 s on 2 threads at nice 0 with load
# average 9 (0.097 s at nice 15); 27,000 training rows are 422 steps, 30 s an epoch, so 6 variants x 12
# epochs are at most 36 minutes, plus 2 campaigns of 30,000 models (about 2 minutes) and stage 2 (about 2
# minutes). 30 epochs would be 90 minutes; the folds' early stopping (patience 5 on the hydro validation
# loss, which mostly bottoms out in the first epochs) usually ends stage 1 before the limit.
# Run:
#   nohup nice -n 10 bash validation/reproduce_curriculum.sh > /tmp/curriculum.log 2>&1 &
# Exit status: 0 done, 1 a step failed, 2 bad settings.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 0
fi

SCALE=${SCALE:-small}
OUT=${OUT:-$root/validation/results}
TEST=${TEST:-}
FINAL=${FINAL:-0}
HYDRO=${HYDRO:-$root/../shared/hydro/snec}
THREADS=${THREADS:-2}
WORK=${WORK:-/tmp/snforge_curriculum}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
if [ -z "${SNFORGE:-}" ]; then
    SNFORGE="$root/build-repro/snforge"
    [ -x "$SNFORGE" ] || SNFORGE="$root/build/snforge"
fi
die() { echo "reproduce_curriculum.sh: $*" >&2; exit "${2:-2}"; }
case "$SCALE" in
    small) N=2048 ;;
    full) N=30000 ;;
    *) die "SCALE must be small or full, got '$SCALE'" ;;
esac
[[ "$FINAL" =~ ^[0-9]+$ ]] || die "FINAL must be a member count (0: none), got '$FINAL'"
[[ "$THREADS" =~ ^[0-9]+$ ]] && [ "$THREADS" -gt 0 ] || die "THREADS must be a positive integer, got '$THREADS'"
[ -x "$SNFORGE" ] || die "no snforge program at $SNFORGE (build it, or set SNFORGE)"
[ -f "$HYDRO/index.csv" ] || die "no SNEC index at $HYDRO/index.csv (set HYDRO)"
if [ -n "$TEST" ]; then
    [ -r "$TEST" ] || die "TEST=$TEST is not readable"
    TEST=$(cd "$(dirname "$TEST")" && pwd)/$(basename "$TEST")
fi
mkdir -p "$WORK" "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$WORK"
log() { echo "[$(date -u +%H:%M:%S)] $*"; }
t0=$(date +%s)
load0=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')

# ---- 1. the SNEC models ----
log "snforge import --format snec --index $HYDRO/index.csv -o hydro.h5"
"$SNFORGE" import --format snec --index "$HYDRO/index.csv" -o hydro.h5.new > import.log 2>&1 ||
    { cat import.log >&2; die "snforge import failed" 1; }
if [ -f hydro.h5 ] && cmp -s hydro.h5 hydro.h5.new; then rm hydro.h5.new; else mv hydro.h5.new hydro.h5; fi
cat import.log

# ---- 2. the semi-analytic campaigns ----
sed -e "s/^n_models = 4096/n_models = $N/" "$root/validation/curriculum_campaign.ini" > sa.ini
sed -e 's/^closure = flux/closure = flux\nkappa = 0.2\nt_ion = 4500/' sa.ini > sa_before.ini
run_grid() { # INI H5
    if [ -f "$2.done" ] && cmp -s "$1" "$2.ini.used"; then
        log "$2 exists"
        return
    fi
    rm -f "$2" "$2.done"
    log "snforge grid $1 -o $2 --threads $THREADS"
    "$SNFORGE" grid "$1" -o "$2" --threads "$THREADS" > "$2.log" 2>&1 || { tail -5 "$2.log" >&2; die "grid $1 failed" 1; }
    tail -1 "$2.log"
    cp "$1" "$2.ini.used"
    touch "$2.done"
}
run_grid sa.ini sa.h5
run_grid sa_before.ini sa_before.h5
t1=$(date +%s)

# ---- 3. the experiment ----
cp "$root/validation/curriculum.ini" curriculum.ini
if [ "$SCALE" = full ]; then
    sed -i -e 's/^sa_max_rows = 2048/sa_max_rows = 30000/' -e '/^\[stage1\]/,/^\[/ s/^epochs = 10/epochs = 12/' \
        curriculum.ini
fi
test_opt=()
[ -n "$TEST" ] && test_opt=(--test "$TEST")
[ "$FINAL" -gt 0 ] && test_opt+=(--final --final-members "$FINAL")
cmd=("$SNFORGE" curriculum curriculum.ini -o out --threads "$THREADS" "${test_opt[@]}")
log "${cmd[*]}"
"${cmd[@]}" 2>&1 | tee curriculum.log
[ "${PIPESTATUS[0]}" -eq 0 ] || die "snforge curriculum failed" 1
t2=$(date +%s)

# ---- 4. the results ----
cp out/results.csv "$OUT/curriculum.csv"
[ "$FINAL" -gt 0 ] && bash "$root/validation/final_coverage.sh" out > "$OUT/curriculum_final.csv"
s1epochs=""
for d in out/*/stage1/losses.csv; do
    [ -f "$d" ] || continue
    v=$(basename "$(dirname "$(dirname "$d")")")
    s1epochs="$s1epochs${s1epochs:+, }$v $(grep -v '^#' "$d" | tail -n 1 | cut -d, -f1)"
done
[ -f out/results.png ] && cp out/results.png "$OUT/curriculum.png"
nh=$(grep -c . "$HYDRO/index.csv")
{
    cat out/results.md
    echo
    echo "## Run"
    echo
    echo "| item | value |"
    echo "| --- | --- |"
    echo "| command | \`SCALE=$SCALE THREADS=$THREADS${TEST:+ TEST=$TEST} OMP_WAIT_POLICY=$OMP_WAIT_POLICY bash validation/reproduce_curriculum.sh\` |"
    echo "| hydro set | \`$(basename "$(dirname "$HYDRO")")/$(basename "$HYDRO")\`: $((nh - 1)) SNEC models in the index (SNEC 1.01; see its README) |"
    echo "| semi-analytic campaign | $N Sobol models of validation/curriculum_campaign.ini (physics_before: kappa 0.2, T_ion 4500) |"
    echo "| config | validation/curriculum.ini$([ "$SCALE" = full ] && echo ' with sa_max_rows 30000, at most 12 stage-1 epochs') |"
    echo "| wall time | $((t1 - t0)) s import + campaigns, $((t2 - t1)) s curriculum, $THREADS threads, load average $load0 at the start, $(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?') at the end |"
    echo "| stage-1 epochs | $s1epochs (one run per variant for every fold) |"
    echo
    echo "Figure: \`curriculum.png\` (k-fold mean MAPE per row with the spread over folds; the paper's figures as marks)."
} > "$OUT/curriculum.md"
log "done: $OUT/curriculum.csv, curriculum.md ($((t2 - t0)) s)"
