#!/usr/bin/env bash
# mutants.sh [-k] [-l] [ID...]: the mutation smoke test, run by hand or before a release (not in CI).
# Each mutant is one small source change of the kind a real mistake makes (a sign flip, swapped columns,
# a wrong constant, a removed filter, an off-by-one window). The script copies the tree once into WORK,
# builds it once (Release, warnings not fatal, so a mutant is never "killed" by the compiler), then for
# each mutant: applies it to the copy, rebuilds (only the mutated file recompiles), runs the tests of its
# module with ctest (per-mutant timeout), restores the file. A mutant is killed when a test fails.
# To save time each mutant runs only the tests that cover its module (the TESTS column: a ctest -R regex);
# the whole suite would kill at least as many.
#   -l      list the mutants and exit
#   -n      check that every mutant's text is in the source tree (no build) and exit
#   -k      keep WORK (default: kept anyway for reuse; -k only skips the final summary of paths)
#   ID...   run only these mutants
# Environment: SNF_MUTANT_WORK (default /tmp/snf_mutants.$USER), SNF_MUTANT_TIMEOUT (per ctest run, default 300 s),
# SNF_MUTANT_NICE (default 10). Output: one line per mutant, the table in WORK/mutants.md, and a summary line;
# exit 0 when at least 90% of the mutants are killed, 1 otherwise.
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
work=${SNF_MUTANT_WORK:-/tmp/snf_mutants.${USER:-me}}
timeout=${SNF_MUTANT_TIMEOUT:-300}
nicelevel=${SNF_MUTANT_NICE:-10}
list_only=0
want=()
for a in "$@"; do
  case $a in
    -l) list_only=1 ;;
    -n) list_only=2 ;;
    -k) ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) want+=("$a") ;;
  esac
done

# ---- the mutants: ID | module | file | tests (ctest -R) | old text | new text | occurrence (1 = first) ----
# The old text must occur in the file at least `occurrence` times; that occurrence is replaced.
MODEL_T='^(test_model|test_cli_simulate)$'
MODEL_TR='^(test_model|test_cli_simulate|test_readme)$'
GRID_T='^(test_grids|test_grids_run|test_hydro)$'
LEARN_T='^(test_learn|test_train)$'
VALID_T='^(test_hydro|test_hydro_cli)$'
M=()
m() { M+=("$1"$'\x1f'"$2"$'\x1f'"$3"$'\x1f'"$4"$'\x1f'"$5"$'\x1f'"$6"$'\x1f'"${7:-1}"); }

# The seven of issue 14.
m N1-temp-drive-sign models models/closures.c "$MODEL_T" \
  'return 4.0 * phi / (c->t_h + t) - H;' 'return 4.0 * phi / (c->t_h + t) + H;'
m N2-same-padding-split learn nn/conv1d.c "$LEARN_T" \
  'int left = (K - 1) / 2;' 'int left = K / 2;'
m N3-no-resume-readback grids grids/grid.c "$GRID_T" \
  'if (done && snf_dataset_read_rows(d, lb0, nb, &rows) < 0) {' 'if (0 && done && snf_dataset_read_rows(d, lb0, nb, &rows) < 0) {'
m N4-no-fletcher32 grids core/h5.c "$GRID_T" \
  'if (H5Pset_fletcher32(dcpl) < 0) {' 'if (0 && H5Pset_fletcher32(dcpl) < 0) {'
m N5-index-energy-mass-swap grids grids/hydro/hydro.c "$GRID_T" \
  '{"energy", "mass", "radius", "nickel"}' '{"mass", "energy", "radius", "nickel"}'
m N6-bn-eps-1e-5 learn nn/inception.c "$LEARN_T" \
  '1, 1e-3f, 0.99f, 0.0f};' '1, 1e-5f, 0.99f, 0.0f};'
m N7-gamma-trapping-x10 models models/params.c "$MODEL_T" \
  ': 3.0 * ph->kappa_gamma_cm2_g * M' ': 30.0 * ph->kappa_gamma_cm2_g * M'

# solvers/
m S1-eformat-exit-1 solvers core/status.c '^(test_model|test_hydro_cli)$' \
  '(status == SNF_EINVAL || status == SNF_EFORMAT) ? 2 : 1' '(status == SNF_EINVAL) ? 2 : 1'
# S2 is expected to survive: every root function is > 0 while its mode holds (inactive ones are 1.0), so
# the first crossing is always downward and the direction flag only restates that (an equivalent mutant).
m S2-no-root-direction solvers solvers/ode.c "$MODEL_T" \
  'SNF_CHECK_CV(CVodeSetRootDirection(o->cvode, o->dir));' ';'
m S3-rtol-x1000 solvers solvers/ode.c "$MODEL_T" \
  'CVodeSVtolerances(o->cvode, rtol, o->atol)' 'CVodeSVtolerances(o->cvode, rtol * 1e3, o->atol)'

# models/
m M1-nadyozhin-ni-sign models models/heating.c "$MODEL_T" \
  '*ni = (1.0 - c->eps_ratio) * eni;' '*ni = (1.0 + c->eps_ratio) * eni;'
m M2-tau-co-113 models models/params.c "$MODEL_T" \
  '.tau_co_d = 111.3,' '.tau_co_d = 113.3,'
m M3-q-rec-div10 models models/params.c "$MODEL_T" \
  '.q_rec_erg_g = 9.12e12,' '.q_rec_erg_g = 9.12e11,'
m M4-vsc-10-over-5 models models/params.c "$MODEL_T" \
  'sqrt(10.0 * s->e_kin_erg / (3.0 * M))' 'sqrt(10.0 * s->e_kin_erg / (5.0 * M))'
m M5-af89-renorm-1 models models/closures.c "$MODEL_T" \
  'H : H - 2.0 * phi * xdot / x;' 'H : H - 1.0 * phi * xdot / x;'
m M6-plateau-end-left models models/derived.c "$MODEL_TR" \
  'd->t_plateau_end_d = 0.5 * (t[k] + t[k + 1]);' 'd->t_plateau_end_d = t[k];'
m M7-peak-vertex-4a models models/derived.c "$MODEL_T" \
  '*tv = -b / (2.0 * a);' '*tv = -b / (4.0 * a);'
m M8-vph-no-front models models/model.c "$MODEL_T" \
  'v = x * sc->v_sc_km_s;' 'v = sc->v_sc_km_s;'
m M9-x-end-1e-3 models models/params.c "$MODEL_T" \
  '.x_end = 1e-2,' '.x_end = 1e-3,'
m M10-fdep-over-t models models/heating.c "$MODEL_T" \
  'return -expm1(-a_gamma_d2 / (t_d * t_d));' 'return -expm1(-a_gamma_d2 / t_d);'
m M11-flux-lmin-x1 models models/closures.c "$MODEL_T" \
  'return x * x * s * s / c->t_i0 - phi * x / c->t_d0;' 'return x * s * s / c->t_i0 - phi * x / c->t_d0;'

# grids/
m G1-log-axis-linear grids grids/config.c "$GRID_T" \
  'x[k] = exp(log(a->lo) + u[k] * (log(a->hi) - log(a->lo)));' 'x[k] = a->lo + u[k] * (a->hi - a->lo);'
m G2-lhs-strata-n-plus-1 grids grids/sampler.c "$GRID_T" \
  'u[r * D + d] = ((double)stratum + jitter) / (double)s->N;' 'u[r * D + d] = ((double)stratum + jitter) / (double)(s->N + 1);'
m G3-write-vph-as-lbol grids grids/dataset.c "$GRID_T" \
  'rows->log_lbol, d->path, "log_lbol"));' 'rows->vph, d->path, "log_lbol"));'
m G4-resample-linear grids grids/hydro/hydro_resample.c "$GRID_T" \
  'gsl_interp_steffen : gsl_interp_linear' 'gsl_interp_linear : gsl_interp_linear'
m G5-breakout-shift-sign grids grids/hydro/import_snec.c "$GRID_T" \
  'r->L.t_d[k] -= r->t_breakout_d;' 'r->L.t_d[k] += r->t_breakout_d;'
m G6-columns-seconds-as-hours grids grids/hydro/import_columns.c "$GRID_T" \
  's->t_to_d = 1.0 / 86400.0;' 's->t_to_d = 1.0 / 3600.0;'
m G7-hydro-slope-window grids grids/hydro/hydro_resample.c "$GRID_T" \
  'double slope = (lg[k + 2] - lg[k - 2]) / (t[k + 2] - t[k - 2]);' 'double slope = (lg[k + 1] - lg[k - 2]) / (t[k + 2] - t[k - 2]);'

# learn/
m L1-relu-grad-at-zero learn nn/relu.c "$LEARN_T" \
  'dinp[i] += out[i] > 0.0f ? dout[i] : 0.0f;' 'dinp[i] += out[i] >= 0.0f ? dout[i] : 0.0f;'
m L2-gap-divides-t-minus-1 learn nn/pool_gap.c "$LEARN_T" \
  'float inv = 1.0f / (float)T;' 'float inv = 1.0f / (float)(T - 1);'
m L3-mse-grad-half learn nn/loss.c "$LEARN_T" \
  'float k = n ? 2.0f / (float)n : 0.0f;' 'float k = n ? 1.0f / (float)n : 0.0f;'
m L4-adam-no-sqrt-bc2 learn nn/adam.c "$LEARN_T" \
  'float lr_t0 = (float)((double)cfg->lr * sqrt(bc2) / bc1);' 'float lr_t0 = (float)((double)cfg->lr * bc2 / bc1);'
m L5-plateau-patience-off-by-one learn nn/adam.c "$LEARN_T" \
  'if (s->wait >= s->patience && lr > s->min_lr) {' 'if (s->wait > s->patience && lr > s->min_lr) {'
m L6-mape-over-prediction learn train/metrics.c "$LEARN_T" \
  'ape[i] = 100.0 * fabs(y - t) / fabs(t);' 'ape[i] = 100.0 * fabs(y - t) / fabs(y);'
m L7-decode-mean-sign learn train/normalize.c "$LEARN_T" \
  'p[k] = pow(10.0, (double)y[k] * norm->y_std[k] + norm->y_mean[k]);' 'p[k] = pow(10.0, (double)y[k] * norm->y_std[k] - norm->y_mean[k]);'
m L8-target-std-is-var learn train/data.c "$LEARN_T" \
  'norm->y_std[p] = var > 1e-24 ? sqrt(var) : 1.0;' 'norm->y_std[p] = var > 1e-24 ? var : 1.0;'
m L9-interp-weight-flipped learn train/data.c "$LEARN_T" \
  'd->w[j] = (tj - t[lo]) / (t[hi] - t[lo]);' 'd->w[j] = (t[hi] - tj) / (t[hi] - t[lo]);'
m L10-maxpool-last-edge learn nn/maxpool.c "$LEARN_T" \
  'y[T - 1] = x[T - 1] > x[T - 2] ? x[T - 1] : x[T - 2];' 'y[T - 1] = x[T - 1];'
m L11-obs-linear-L learn train/observe_grid.c "$LEARN_T" \
  'double a = logy ? log10(y[i]) : y[i];' 'double a = y[i];'

# validation/
m V1-peak-window-off-by-one validation validation/compare.c "$VALID_T" \
  'r->bound_d[1] = tp - o->peak_half_d;' 'r->bound_d[1] = tp - o->peak_half_d - 1;'
m V2-residual-sign validation validation/compare.c "$VALID_T" \
  '(double)lg_m[k] - log_l_h[k]' '(double)log_l_h[k] - lg_m[k]'
m V3-tail-bound-strict validation validation/compare.c "$VALID_T" \
  'case SNF_PHASE_TAIL: in = tk >= t_tail' 'case SNF_PHASE_TAIL: in = tk > t_tail'
m V4-fit-v-bias validation validation/fit.c "$VALID_T" \
  'log10(c->v[k] / c->v_h[k])' 'log10(1.1 * c->v[k] / c->v_h[k])'

# cli/
m C1-csv-4-digits cli cli/cmd_simulate.c '^test_cli_simulate$' \
  'fprintf(f, "%.10g,%.8e,", s->t[k], s->L[k]);' 'fprintf(f, "%.10g,%.4e,", s->t[k], s->L[k]);'
m C2-predict-energy-mass-swap cli cli/cmd_predict.c '^test_train_cli$' \
  'Msun\n", p[0], p[1], p[2], p[3]);' 'Msun\n", p[1], p[0], p[2], p[3]);'
m C3-integer-trailing-garbage cli cli/cli_util.c '^test_train_cli$' \
  'if (end == text || *end != '"'"'\0'"'"' || v < lo || v > hi) {' 'if (end == text || v < lo || v > hi) {'

apply() { # file old new occ -> 0 applied, 1 text not found
  /usr/bin/python3 - "$@" <<'PY'
import sys
path, old, new, occ = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
s = open(path, encoding="utf-8").read()
pos = -1
for _ in range(occ):
    pos = s.find(old, pos + 1)
    if pos < 0:
        sys.exit(1)
if len(sys.argv) > 5:  # dry run
    sys.exit(0)
open(path, "w", encoding="utf-8").write(s[:pos] + new + s[pos + len(old):])
PY
}

if [ "$list_only" -eq 2 ]; then
  bad=0
  for e in "${M[@]}"; do IFS=$'\x1f' read -r id mod file tests old new occ <<< "$e"
    apply "$src/$file" "$old" "$new" "$occ" dry || { echo "not applicable: $id ($file)"; bad=1; }
  done
  [ "$bad" -eq 0 ] && echo "all ${#M[@]} mutants apply"
  exit "$bad"
fi
if [ "$list_only" -eq 1 ]; then
  for e in "${M[@]}"; do IFS=$'\x1f' read -r id mod file tests old new occ <<< "$e"; printf '%-32s %-10s %-26s %s\n' "$id" "$mod" "$file" "$tests"; done
  echo "${#M[@]} mutants"
  exit 0
fi

# ---- the copy and its build (reused across runs: only changed files recompile) ----
mkdir -p "$work"
echo "mutants: copying $src into $work/src"
mkdir -p "$work/src"
# tar keeps the files' times, so a rerun recompiles only what changed since the copy's last build
tar -C "$src" --exclude='./build*' --exclude='./.git' -cf - . | tar -C "$work/src" -xf - || exit 1
ln -sfn "$(cd "$src/.." && pwd)/shared" "$work/shared" 2>/dev/null
cmake -S "$work/src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DSNF_WERROR=OFF \
      -DSNF_SHARED_DIR="$work/shared" > "$work/configure.log" 2>&1 || { cat "$work/configure.log"; exit 1; }
echo "mutants: building the unmutated copy (log: $work/build.log)"
nice -n "$nicelevel" cmake --build "$work/build" -j2 > "$work/build.log" 2>&1 || { tail -30 "$work/build.log"; exit 1; }


table="$work/mutants.md"
printf '| mutant | module | file | result | killed by |\n| --- | --- | --- | --- | --- |\n' > "$table"
killed=0; survived=0; broken=0; total=0; survivors=()
t_all=$(date +%s)
for e in "${M[@]}"; do
  IFS=$'\x1f' read -r id mod file tests old new occ <<< "$e"
  if [ "${#want[@]}" -gt 0 ] && ! printf '%s\n' "${want[@]}" | grep -qx "$id"; then continue; fi
  total=$((total + 1))
  t0=$(date +%s)
  cp "$work/src/$file" "$work/orig.tmp"
  if ! apply "$work/src/$file" "$old" "$new" "$occ"; then
    echo "BROKEN  $id: the text to mutate is not in $file (update the mutant)"
    printf '| %s | %s | %s | not applicable | - |\n' "$id" "$mod" "$file" >> "$table"
    broken=$((broken + 1)); continue
  fi
  if ! nice -n "$nicelevel" cmake --build "$work/build" -j2 > "$work/mutant.build.log" 2>&1; then
    result="killed"; by="(does not compile)"
  else
    (cd "$work/build" && nice -n "$nicelevel" ctest -R "$tests" --timeout "$timeout" > "$work/mutant.ctest.log" 2>&1)
    rc=$?
    by=$(grep -E '\*\*\*(Failed|Timeout|Exception)|Failed  ' "$work/mutant.ctest.log" | sed -E 's/.*Test +#[0-9]+: ([A-Za-z0-9_]+).*/\1/' | sort -u | tr '\n' ' ')
    if [ "$rc" -ne 0 ]; then result="killed"; else result="SURVIVED"; fi
    grep -q "No tests were found" "$work/mutant.ctest.log" && { result="SURVIVED"; by="(no test matched $tests)"; }
  fi
  cp "$work/orig.tmp" "$work/src/$file"
  dt=$(( $(date +%s) - t0 ))
  if [ "$result" = "killed" ]; then killed=$((killed + 1)); else survived=$((survived + 1)); survivors+=("$id"); fi
  printf '%-8s %-32s %-10s %4ds  %s\n' "$result" "$id" "$mod" "$dt" "${by:-}"
  printf '| %s | %s | %s | %s | %s |\n' "$id" "$mod" "$file" "$result" "${by:--}" >> "$table"
done
# leave the copy's build matching the unmutated tree
nice -n "$nicelevel" cmake --build "$work/build" -j2 > /dev/null 2>&1
applied=$((killed + survived))
pct=0; [ "$applied" -gt 0 ] && pct=$(( 100 * killed / applied ))
echo "mutants: $killed of $applied killed ($pct%), $survived survived${survivors:+: ${survivors[*]}}, $broken not applicable; $(( $(date +%s) - t_all )) s; table in $table"
[ "$broken" -eq 0 ] && [ "$applied" -gt 0 ] && [ $(( 100 * killed )) -ge $(( 90 * applied )) ]
