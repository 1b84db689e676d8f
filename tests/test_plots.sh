#!/usr/bin/env bash
# test_plots.sh SNFORGE SOURCE_DIR SHARED_DIR: every figure the program draws, drawn by the program itself (its
# Python is a wrapper that runs each plot script under tests/plot_check.py), must be readable by a scientist: axes
# with quantity and unit, legends in words, the object or dataset named in a title, title numbers rounded
# (plot_check.py says exactly what it checks). Figures: evaluate (parity, reliability), explain, fit (corner,
# best fit), compare (one per model, summary), curriculum (results, from a results.csv written here) and the
# campaign example grids/examples/plot_campaign.py. Skipped (77) without /usr/bin/python3 + matplotlib + h5py.
snforge=$1
src=$2
. "${BASH_SOURCE%/*}/lib.sh"
py=/usr/bin/python3
"$py" -c "import matplotlib, h5py, numpy" 2> /dev/null || { echo "SKIP: no $py with matplotlib, h5py, numpy"; exit 77; }
check=$(cd "${BASH_SOURCE%/*}" && pwd)/plot_check.py
snf_scratch plots
cd "$work" || exit 1

# The program's Python: runs SCRIPT ARGS... under the checker, with the name the figure must carry in $PLOT_NAME.
cat > plotpy <<EOF
#!/usr/bin/env bash
exec $py "$check" "\$PLOT_NAME" "\$@" >> "$work/plots.log" 2>&1
EOF
chmod +x plotpy
export SNFORGE_PYTHON=$work/plotpy
: > plots.log

# the shared campaign and model (tests/fixtures.sh: 256 models; a tiny Gaussian-head network with masks, 2 epochs)
snf_fixture campaign.h5 camp.h5
snf_fixture model.h5 tiny.h5
obs=$src/validation/data/sn1987a/sn1987a_obs.csv

PLOT_NAME=camp.h5 "$snforge" evaluate tiny.h5 camp.h5 -o ev > /dev/null 2> ev.log || fail "evaluate"
PLOT_NAME=sn1987a_obs.csv "$snforge" explain tiny.h5 "$obs" -o xp --steps 4 > /dev/null 2> xp.log || fail "explain"
# the closing lines list every file written, the figures too
grep -q "wrote ev/metrics.csv, ev/parity.csv, ev/reliability.csv, ev/parity.png, ev/reliability.png$" ev.log ||
  fail "evaluate's wrote line: $(grep wrote ev.log)"
grep -q "wrote xp/explain.csv, xp/phases.csv, xp/summary.md, xp/explain.png$" xp.log || fail "explain's wrote line: $(grep wrote xp.log)"
PLOT_NAME=sn1987a_obs.csv "$snforge" fit "$obs" -o fit -w 16 -s 40 -t 2 --init-draws 32 -q > /dev/null 2>&1 || fail "fit"
"$snforge" import --format snec --index "$src/validation/data/snec/index.csv" -o snec.h5 > /dev/null 2>&1 || fail "import"
PLOT_NAME=snec.h5 "$snforge" compare snec.h5 -o cmp > /dev/null 2>&1 || fail "compare"
mkdir -p cur
{ echo "row,split,energy,mass,radius,nickel"
  for r in sa_sa sa_hydro curriculum noise_mask; do
    echo "$r,fold1,20.5,15.2,30.1,8.4"; echo "$r,mean,21.3,16.8,28.7,9.9"; echo "$r,std,3.2,2.1,5.5,1.4"; done; } > cur/results.csv
PLOT_NAME=cur "$py" "$check" cur "$src/validation/plot_curriculum.py" cur >> plots.log 2>&1
PLOT_NAME=camp.h5 "$py" "$check" camp.h5 "$src/grids/examples/plot_campaign.py" camp.h5 -o camp.png >> plots.log 2>&1

cat plots.log
for png in ev/parity.png ev/reliability.png xp/explain.png fit/corner.png fit/bestfit.png cmp/summary.png cmp/m000.png \
           cur/results.png camp.png; do
  [ -s "$png" ] || fail "$png was not drawn (plots.log above)"
done
n=$(grep -c "figure(s) checked" plots.log)
[ "$n" -eq 7 ] || fail "expected 7 scripts checked (parity, reliability, explain, fit, compare, curriculum, campaign), got $n"
! grep -q "^FAIL" plots.log && ! grep -qE "[1-9][0-9]* problem\(s\)" plots.log || fail "figures a scientist cannot read (above)"
echo "ok: 7 plot scripts, every figure with units, legends in words, the object named and rounded numbers"
