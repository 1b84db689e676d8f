#!/usr/bin/env bash
# test_train_cli.sh SNFORGE SOURCE_DIR SHARED_DIR: `snforge train / evaluate / predict` from the outside.
# A tiny campaign (1,024 Sobol models, 2-day grid) is generated with `snforge grid`; a small network must
# bring the mean validation MAPE to at most a quarter of the predict-the-mean baseline's (each parameter to
# at most three quarters of its own: mass is the hardest); a run killed with
# -9 and restarted ends with the same weights as an uninterrupted one (h5diff); evaluate writes its CSVs;
# predict runs on SN 1987A; every bad input exits 2 naming file:line / option.
snforge=$1
src=$2
shared=$3
. "${BASH_SOURCE%/*}/lib.sh"
snf_scratch traincli
cd "$work" || exit 1

# ---- the tiny campaign ----
sed -e 's/^n_models = 4096/n_models = 1024/' -e 's/^step = 1$/step = 2/' -e 's/^chunk_rows = 256/chunk_rows = 128/' \
    -e 's/^block_rows = 512/block_rows = 256/' "$src/grids/87a_small.ini" > camp.ini
expect 0 "1024 models" -- "$snforge" grid camp.ini -o camp.h5 --threads 2

cat > tiny.ini <<'EOF'
; a small network on the tiny campaign (seconds on 2 cores)
[data]
file = camp.h5
channels = both
length = 64
t_start = 1
t_end = 299
validation = 0.15
test = 0.15
[train]
seed = 3
epochs = 25
batch = 32
lr = 3e-3
[plateau]
patience = 4
[early_stop]
patience = 15
[model]
filters = 8
depth = 3
kernel = 16
bottleneck = 8
bn_momentum = 0.9
[output]
model = tiny.h5
EOF

# ---- usage and input errors ----
expect 0 "usage: snforge train" -- "$snforge" train --help
expect 0 "usage: snforge evaluate" -- "$snforge" evaluate --help
expect 0 "usage: snforge predict" -- "$snforge" predict --help
expect 2 "expected one CONFIG" -- "$snforge" train
expect 2 "--threads expects" -- "$snforge" train tiny.ini --threads none
expect 2 "--threads expects" -- "$snforge" train tiny.ini --threads 2x
expect 2 "--time-budget expects seconds > 0" -- "$snforge" train tiny.ini --time-budget 0
# a model grid mostly outside the dataset's days (camp.h5: days 1-299): refused naming file:line, key and range
sed 's/^t_end = 299/t_end = 900/' tiny.ini > far.ini
expect 2 "far.ini:7: \[data\] t_end = 900: .* outside camp.h5's /time (days 1 to 299)" -- "$snforge" train far.ini -o far.h5
sed 's/^t_start = 1/t_start = -700/' tiny.ini > early.ini
expect 2 "early.ini:6: \[data\] t_start = -700: .* outside camp.h5's /time (days 1 to 299)" -- "$snforge" train early.ini \
  -o early.h5
[ ! -e far.h5 ] && [ ! -e early.h5 ] || fail "a refused grid left a model file"
expect 2 "--time-budget expects seconds > 0" -- "$snforge" train tiny.ini --time-budget soon
expect 2 "unknown option" -- "$snforge" train tiny.ini --colour
expect 2 "--budget-clock expects wall or cpu, got 'sundial'" -- "$snforge" train tiny.ini --time-budget 5 \
    --budget-clock sundial

# ---- a cosine schedule sized from a CPU-clock budget (seconds on 2 dedicated cores) ----
sed -e 's/^lr = 3e-3/lr = 3e-3\nschedule = cosine/' -e 's/^model = tiny.h5/model = budget.h5/' tiny.ini > budget.ini
expect 0 "fit in the 4 s budget" -- "$snforge" train budget.ini --threads 2 --time-budget 4 --budget-clock cpu
grep -q '^schedule = cosine' budget.ini || fail "budget.ini lacks the cosine schedule"
"$snforge" train budget.ini --threads 2 --time-budget 4 --budget-clock cpu > budget.again 2>&1 ||
    fail "a finished budget run must exit 0 when run again: $(cat budget.again)"
expect 2 "cannot read training config none.ini" -- "$snforge" train none.ini
sed 's/^epochs = 25/epocs = 25/' tiny.ini > bad1.ini
expect 2 "bad1.ini:12: \[train\] epocs: unknown key" -- "$snforge" train bad1.ini
sed 's/^batch = 32/batch = many/' tiny.ini > bad2.ini
expect 2 "bad2.ini:13: \[train\] batch: 'many' is not an integer" -- "$snforge" train bad2.ini
grep -v '^file' tiny.ini > bad3.ini
expect 2 "bad3.ini:2: \[data\]: missing key 'file'" -- "$snforge" train bad3.ini
sed 's/^channels = both/channels = colour/' tiny.ini > bad4.ini
expect 2 "bad4.ini:4: \[data\] channels: unknown channels 'colour'" -- "$snforge" train bad4.ini
sed 's/^\[model\]/[modle]/' tiny.ini > bad5.ini
expect 2 "bad5.ini:19: \[modle\]: unknown section" -- "$snforge" train bad5.ini
sed 's/^file = camp.h5/file = none.h5/' tiny.ini > bad6.ini
expect 2 "cannot read data file .*none.h5" -- "$snforge" train bad6.ini
[ ! -e tiny.h5 ] || fail "bad input left a model behind"

# ---- end to end: train, then the quarter-of-baseline criterion on the validation rows ----
start=$(date +%s.%N)
out=$("$snforge" train tiny.ini --threads 2 2>&1) || fail "training failed: $out"
end=$(date +%s.%N)
echo "$out" | tail -n 3
echo "$out" | grep -q "snforge train: tiny.h5: .*at epoch" || fail "no summary line: $out"
val=$(echo "$out" | grep "^  validation")
awk -v line="$val" -v wall="$start $end" 'BEGIN {
  n = split(line, w, /[ %(:;)]+/); k = 0
  for (i = 1; i <= n; i++) if (w[i] ~ /^[0-9.]+$/) v[k++] = w[i]
  # v[0] = rows, v[1..4] = MAPE, v[5..8] = baseline MAPE
  split(wall, t, " "); m = 0; b = 0; bad = 0
  for (p = 1; p <= 4; p++) { m += v[p]; b += v[p+4]; if (v[p] > 0.75 * v[p+4]) bad = 1 }
  printf "validation MAPE mean %.2f%% vs baseline %.2f%% (ratio %.3f), wall %.1f s\n", m/4, b/4, m/b, t[2]-t[1]
  if (k < 9 || m > 0.25 * b || bad) exit 1
}' || fail "validation MAPE not within a quarter of the baseline: $val"
expect 0 "is finished .*nothing to do" -- "$snforge" train tiny.ini
sed 's/^seed = 3/seed = 4/' tiny.ini > other.ini
expect 2 "different config" -- "$snforge" train other.ini -o tiny.h5

# ---- evaluate ----
expect 0 "mean MAPE .*wrote eval/metrics.csv, eval/parity.csv, eval/reliability.csv" -- "$snforge" evaluate tiny.h5 camp.h5 \
  -o eval --threads 2
# tiny.h5 was trained on camp.h5 (its stored data fingerprint): the scores include training rows, said on stderr
echo "$expect_out" | grep -q "note: camp.h5 is the dataset tiny.h5 was trained on" ||
  fail "evaluate on the training campaign gave no note: $expect_out"
[ "$(head -n 1 eval/metrics.csv)" = "parameter,unit,n,mape_pct,mdape_pct,r2_log10,baseline_mape_pct,baseline_mdape_pct,coverage68_pct,coverage95_pct,nll,keypoints_mape_pct,keypoints_n" ] \
  || fail "metrics.csv header"
[ "$(wc -l < eval/parity.csv)" -eq 1025 ] || fail "parity.csv should hold 1024 rows"
# parity.png needs Debian's python3 with matplotlib: required where it is installed, a visible skip where not.
skipped=
if /usr/bin/python3 -c "import matplotlib" 2>/dev/null; then
  [ -s eval/parity.png ] || fail "parity.png not written although /usr/bin/python3 has matplotlib"
  head -c 8 eval/parity.png | od -An -c | grep -q "P   N   G" || fail "parity.png is not a PNG"
  echo "ok: parity.png written"
else
  skipped="$skipped parity.png (no /usr/bin/python3 with matplotlib)"
fi
# swapped arguments: the dataset given as the model is named as such, not "magic ''"
expect 2 "camp.h5 is an snforge dataset file, not a model file.*swapped" -- "$snforge" evaluate camp.h5 tiny.h5 --no-plot
expect 2 "cannot read model file" -- "$snforge" evaluate none.h5 camp.h5
expect 2 "expected MODEL.h5 DATA.h5" -- "$snforge" evaluate tiny.h5

# ---- kill -9 during training, rerun: same weights as an uninterrupted run ----
sed -e 's/^epochs = 25/epochs = 6/' -e 's/^model = tiny.h5/model = k.h5/' tiny.ini > k.ini
"$snforge" train k.ini -o full.h5 --threads 2 -q 2>/dev/null || fail "uninterrupted 6-epoch run"
"$snforge" train k.ini --threads 2 -q 2>/dev/null &
bgpid=$!
for _ in $(seq 1 600); do [ -e k.h5 ] && break; sleep 0.05; done
kill -9 "$bgpid" 2>/dev/null
wait "$bgpid" 2>/dev/null
bgpid=
[ -e k.h5 ] || fail "no checkpoint appeared"
epochs_done=$(h5dump -a /epoch k.h5 2>/dev/null | grep -A1 DATA | tail -n 1 | tr -dc '0-9')
echo "killed after ${epochs_done:-?} checkpointed epochs"
expect 0 "at epoch 6 (.*resumed" -- "$snforge" train k.ini --threads 2 -q
for d in /params /best/params /bn_stats /optimizer/m /optimizer/v; do
  h5diff k.h5 full.h5 "$d" "$d" > /dev/null || fail "after kill -9 and resume, $d differs from the uninterrupted run"
done
echo "ok: kill -9 + resume gives bitwise the uninterrupted weights"

# ---- a resume on other data is refused, naming what changed (the fingerprint: data digest, version) ----
# Same config text, same row counts, other content: another seed's campaign put where camp.h5 was.
sed -e 's/^seed = 1987/seed = 1988/' camp.ini > campb.ini
"$snforge" grid campb.ini -o campb.h5 --threads 2 > /dev/null 2>&1 || fail "second campaign"
sed -e 's/^model = k.h5/model = k2.h5/' k.ini > k2.ini
expect 0 "" -- "$snforge" train k2.ini --threads 2 -q --stop-after-epochs 2
h5dump -a /fingerprint k2.h5 | grep -q "data=[0-9a-f]\{16\}; version=" || fail "k2.h5 has no fingerprint attribute"
mv camp.h5 camp.keep && cp campb.h5 camp.h5
expect 2 "k2.h5 was made with other settings.*data '[0-9a-f]*' -> '[0-9a-f]*'" -- "$snforge" train k2.ini --threads 2 -q
expect 2 "tiny.h5 was made with other settings.*data" -- "$snforge" train tiny.ini
mv camp.keep camp.h5
expect 0 "at epoch 6 (.*resumed" -- "$snforge" train k2.ini --threads 2 -q
echo "ok: a resume or rerun on other data is refused naming the data digest; on the same data it continues"

# ---- predict ----
# A synthetic object of known parameters (SN 1987A-like, inside the prior), observed every 3 days from
# day 1 (the model grid's first day: the early cooling samples carry R0, and a series starting at day 3
# left the network's first inputs empty; radius was then 62-95% off depending on the kernels' rounding)
# by `snforge simulate`: each prediction must fall within 4 times that parameter's validation MAPE (a
# single object, so a few times the mean error). Measured 2026-11-29 (AVX2 direct kernels / im2col):
# energy 23% / 46%, mass 42% / 49%, radius 37% / 16%, nickel 3.7% / 1.3% off, against bounds near 56%,
# 65%, 66%, 29% (MAPEs 14.0%, 16.3%, 16.4%, 7.2%).
"$snforge" simulate --t-max 299 --dt 1 -o syn_lc.csv 2>/dev/null || fail "simulate for the synthetic object"
awk -F, 'NR == 1 { print "t_d,L_erg_s,L_err,vph_km_s,vph_err"; next } $1 > 0 && ($1 - 1) % 3 == 0 { print $1 "," $2 ",," $3 "," }' \
  syn_lc.csv > syn_obs.csv
out=$("$snforge" predict tiny.h5 syn_obs.csv 2>&1) || fail "predict on the synthetic object: $out"
echo "$out"
for pw in "energy 1.7" "mass 15" "radius 3e12" "nickel 0.075"; do
  set -- $pw
  got=$(echo "$out" | awk -v p="$1" '$1 == p { print $2 }')
  mape=$(awk -F, -v p="$1" '$1 == p { print $4 }' eval/metrics.csv)
  awk -v g="$got" -v w="$2" -v m="$mape" -v p="$1" 'BEGIN {
    e = (g - w) / w; if (e < 0) e = -e
    printf "synthetic %s: predicted %s, true %s, error %.1f%% (bound 4 x MAPE %.1f%%)\n", p, g, w, 100 * e, 4 * m
    exit !(g != "" && m != "" && 100 * e <= 4 * m) }' || fail "predict: $1 of the synthetic object off by more than 4 x its MAPE"
done
# SN 1987A itself: the bundled observations. The tiny network on 1,024 models only pins down what the tail
# and the peak set: M_Ni against the verified 0.07 (Woosley 1988) / 0.073 (Menon et al. 2019) and E against
# Menon's 1.7 foe (validation/data/sn1987a/sn1987a_params.md), each within a factor 2. SN 1987A lies outside
# this network's training inputs (OOD p = 0.006), where a 25-epoch network's answer moves with the
# kernels' rounding: measured 2026-11-29 0.0854 Msun (+17% vs 0.073) and 1.41 foe with the im2col + sgemm
# convolutions, 0.1157 Msun (+58%) and 1.14 foe with the AVX2 direct kernels (a 30% bound on nickel held
# for the first only). Mass and radius are printed only: the semi-analytic model's own
# bias against hydro models (README: -54% M, +85% R0) and this network's size leave them unconstrained.
obs="$shared/data/sn1987a_obs.csv"
[ -f "$obs" ] || obs="$src/validation/data/sn1987a/sn1987a_obs.csv"
[ -f "$obs" ] || fail "no sn1987a_obs.csv in $shared/data or validation/data/sn1987a"
out=$("$snforge" predict tiny.h5 "$obs" 2>&1) || fail "predict on $obs: $out"
echo "$out"
ni=$(echo "$out" | awk '$1 == "nickel" { print $2 }')
en=$(echo "$out" | awk '$1 == "energy" { print $2 }')
awk -v v="$ni" 'BEGIN { exit !(v != "" && v > 0.073 / 2 && v < 0.073 * 2) }' || fail "SN 1987A nickel $ni Msun not within a factor 2 of 0.073"
awk -v v="$en" 'BEGIN { exit !(v != "" && v > 1.7 / 2 && v < 1.7 * 2) }' || fail "SN 1987A energy $en foe not within a factor 2 of 1.7"
echo "ok: SN 1987A nickel $ni Msun, energy $en foe"
cat > obs.csv <<'EOF'
# a synthetic observation: luminosity only
t_d,L_erg_s,L_err,vph_km_s,vph_err
5,1.5e41,,,
30,3e41,1e40,,
60,6e41,,,
100,8e41,,,
150,2e41,,,
250,6e40,,,
EOF
expect 2 "obs.csv has no vph_km_s values, but tiny.h5 was trained on both series" -- "$snforge" predict tiny.h5 obs.csv
sed -e 's/^channels = both/channels = luminosity/' -e 's/^epochs = 25/epochs = 3/' tiny.ini > lum.ini
"$snforge" train lum.ini -o lum.h5 --threads 2 -q 2>/dev/null || fail "luminosity-only training"
expect 0 "velocities not used" -- "$snforge" predict lum.h5 obs.csv
printf '# bad header\nt,L,L_err,vph_km_s,vph_err\n1,1e41,,,\n' > bad_obs1.csv
expect 2 "bad_obs1.csv:2: bad header" -- "$snforge" predict tiny.h5 bad_obs1.csv
printf 't_d,L_erg_s,L_err,vph_km_s,vph_err\n1,1e41,,,\n2,bright,,,\n' > bad_obs2.csv
expect 2 "bad_obs2.csv:3: L_erg_s 'bright' is not a number" -- "$snforge" predict tiny.h5 bad_obs2.csv
printf 't_d,L_erg_s,L_err,vph_km_s,vph_err\n1,1e41,,4000,\n5,1e41,,,\n3,1e41,,,\n' > bad_obs3.csv
expect 2 "bad_obs3.csv:4: t_d 3 is before 5 (line 3)" -- "$snforge" predict tiny.h5 bad_obs3.csv
expect 2 "cannot read observation file" -- "$snforge" predict tiny.h5 none.csv
# one row (day 10): too few points, and how many are needed (not "does not overlap the grid"); a negative
# uncertainty names its column and value
printf 't_d,L_erg_s,L_err,vph_km_s,vph_err\n10,1e42,,4000,\n' > one_obs.csv
expect 2 "one_obs.csv has 1 L_erg_s point: too few, at least 2 are needed" -- "$snforge" predict lum.h5 one_obs.csv
printf 't_d,L_erg_s,L_err,vph_km_s,vph_err\n1,1e42,,4000,\n2,1e42,,4000,-50\n' > neg_obs.csv
expect 2 "neg_obs.csv:3: vph_err -50: uncertainties must be >= 0" -- "$snforge" predict tiny.h5 neg_obs.csv
expect 2 "expected MODEL.h5 OBS.csv" -- "$snforge" predict tiny.h5
if [ -n "$skipped" ]; then
  echo "SKIPPED:$skipped (every other check passed)"
  exit 77
fi
echo "all train CLI checks passed"
