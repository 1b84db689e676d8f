#!/usr/bin/env bash
# test_python.sh MODE SNFORGE SOURCE_DIR LIBSNFORGE: the Python package against the program (tests/test_python.py).
# Takes the shared 256-model campaign, makes a 3-epoch InceptionTime (depth 6: two shortcuts; masks on), 2-epoch LITE
# (luminosity only), H-InceptionTime and Gaussian-head (calibrated) models, two deep ensembles (2 members x 3 Monte
# Carlo dropout passes, Gaussian heads: H-InceptionTime calibrated, LITE) and observation files (SN 1987A's, and
# three simulated objects sampled irregularly with gaps), then runs the MODE's checks.
# Exit 77 = skipped (a Python module is missing).
mode=$1 snforge=$2 src=$3 lib=$4
py=${SNFORGE_PYTHON:-/usr/bin/python3}
[ -x "$py" ] || { echo "SKIPPED: no $py (set SNFORGE_PYTHON)"; exit 77; }
. "${BASH_SOURCE%/*}/lib.sh"
snf_scratch python
cd "$work" || exit 1
snf_fixture campaign.h5 camp.h5 # the shared 256-model campaign (tests/fixtures.sh)
cat > tiny.ini <<'INI'
[data]
file = camp.h5
channels = both
length = 48
t_start = 1
t_end = 299
validation = 0.2
test = 0.1
[train]
seed = 3
epochs = 3
batch = 32
lr = 3e-3
[model]
filters = 4
depth = 6
kernel = 16
bottleneck = 4
bn_momentum = 0.9
[output]
model = tiny.h5
INI
"$snforge" train tiny.ini -q --threads 1 > train.log 2>&1 || { cat train.log; echo "FAIL: snforge train"; exit 1; }
# one tiny model per architecture and head (2 epochs, depth 3): NAME, [model] lines, [uncertainty] lines, channels
variant() {
  sed -e "s/^model = tiny.h5/model = $1.h5/" -e 's/^epochs = 3/epochs = 2/' -e 's/^depth = 6/depth = 3/' \
      -e "s/^channels = both/channels = ${4:-both}/" -e "s/^\[model\]/[model]\n$2/" \
      -e "s/^\[output\]/[uncertainty]\n$3\n[output]/" tiny.ini > "$1.ini"
  "$snforge" train "$1.ini" -q --threads 1 > "$1.log" 2>&1 || { cat "$1.log"; echo "FAIL: snforge train $1"; exit 1; }
}
variant lite 'arch = lite' '' luminosity
variant hinc 'arch = hinception' ''
variant gauss 'head = gaussian' 'calibrate = yes'
variant ens_hinc 'arch = hinception\nhead = gaussian\ndropout = 0.2' 'ensemble = 2\nmc_samples = 3\ncalibrate = yes'
variant ens_lite 'arch = lite\nhead = gaussian\ndropout = 0.2' 'ensemble = 2\nmc_samples = 3'
cp "$src/validation/data/sn1987a/sn1987a_obs.csv" obs_0_sn1987a.csv
# repeated epochs (combined by their errors) and a stated explosion-epoch uncertainty (marginalised over)
cp "$src/validation/data/real/SN2012aw/SN2012aw.csv" obs_4_repeats.csv
{ echo "# t0_err_d = 2"; cat "$src/validation/data/sn1987a/sn1987a_obs.csv"; } > obs_5_t0.csv
i=1
for p in "1.2 12 4e12 0.05" "4 30 2e13 0.2" "0.7 20 8e11 0.02"; do
  set -- $p
  "$snforge" simulate --energy "$1" --mass "$2" --radius "$3" --nickel "$4" 2>/dev/null |
    awk -F, -v k=$i 'NR == 1 { print "# simulated, irregular, gaps"; print "t_d,L_erg_s,L_err,vph_km_s,vph_err"; next }
      { t = $1 + 0; L = (t >= 2 + k && (t % (3 + k)) == 0) ? $2 : ""; v = (t <= 90 + 20 * k && (t % 5) == 1) ? $3 : "";
        if (L != "" || v != "") print $1 "," L ",," v "," }' > obs_${i}.csv
  i=$((i + 1))
done
SNFORGE_LIBRARY=$lib PYTHONPATH="$src/python" "$py" -B "$src/tests/test_python.py" "$mode" "$work" "$snforge"
