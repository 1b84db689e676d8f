#!/usr/bin/env bash
# fixtures.sh SNFORGE SOURCE_DIR DIR campaign|model: the set-up the shell tests share, built once per ctest run into
# BUILD/fixtures by the ctest fixtures snf_campaign (test fixture_campaign) and snf_model (test fixture_model) of
# tests/CMakeLists.txt, or into a test's scratch folder by lib.sh's snf_fixture when a test is run by hand.
#   campaign  DIR/campaign.ini, DIR/campaign.h5: 256 Sobol models of validation/curriculum_campaign.ini (the prior of
#             the bundled SNEC models widened by a third; flux closure; daily, days 0-300), written in blocks of 64 rows
#             (so an interrupted run leaves a resumable FILE.h5.tmp); DIR/hydro.h5: the 4 bundled SNEC runs
#             (validation/data/snec) on their own grid
#   model     DIR/model.ini, DIR/model.h5: a tiny InceptionTime (4 filters, depth 3, kernel 8, bottleneck 4, input
#             length 32, days 1-298, mask channels) with a Gaussian head, 2 epochs on campaign.h5 (the campaign is
#             built first when DIR lacks it)
# Each file appears complete or not at all (built in DIR/.KIND.PID, then moved); tests copy them, never write them.
# Exit 1 when a command fails (its output shown), 2 on bad arguments.
set -u
snforge=$1 src=$2 dir=$3 kind=${4:-}
case $kind in campaign|model) ;; *) echo "usage: fixtures.sh SNFORGE SOURCE_DIR DIR campaign|model"; exit 2 ;; esac
[ -x "$snforge" ] || { echo "fixtures.sh: no program at $snforge"; exit 2; }
mkdir -p "$dir" || exit 1
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
tmp="$dir/.$kind.$$"
rm -rf "$tmp" && mkdir "$tmp" || exit 1
trap 'rm -rf "$tmp"' EXIT
run() { # run WHAT COMMAND...: in $tmp, output shown only on failure
  local what=$1; shift
  (cd "$tmp" && "$@") > "$tmp/log" 2>&1 || { cat "$tmp/log"; echo "FAIL: fixture $kind: $what"; exit 1; }
}

if [ "$kind" = model ] && [ ! -s "$dir/campaign.h5" ]; then
  bash "$0" "$snforge" "$src" "$dir" campaign || exit 1
fi

if [ "$kind" = campaign ]; then
  sed -e 's/^n_models = 4096/n_models = 256/' -e 's/^chunk_rows = .*/chunk_rows = 64/' -e 's/^block_rows = .*/block_rows = 64/' \
      "$src/validation/curriculum_campaign.ini" > "$tmp/campaign.ini"
  grep -q '^n_models = 256$' "$tmp/campaign.ini" && grep -q '^block_rows = 64$' "$tmp/campaign.ini" ||
    { echo "FAIL: fixture campaign: validation/curriculum_campaign.ini no longer has n_models / block_rows lines"; exit 1; }
  run "snforge grid" "$snforge" grid campaign.ini -o campaign.h5 -q --threads 1
  run "snforge import" "$snforge" import --format snec --index "$src/validation/data/snec/index.csv" -o hydro.h5
  files="campaign.ini campaign.h5 hydro.h5"
else
  cp "$dir/campaign.h5" "$tmp/campaign.h5" || exit 1
  cat > "$tmp/model.ini" <<'INI'
; the shared test model (tests/fixtures.sh): seconds on one core
[data]
file = campaign.h5
length = 32
t_start = 1
t_end = 298
mask = yes
[train]
seed = 5
epochs = 2
batch = 32
[model]
filters = 4
depth = 3
kernel = 8
bottleneck = 4
head = gaussian
[output]
model = model.h5
INI
  run "snforge train" "$snforge" train model.ini -q --threads 1
  files="model.ini model.h5"
fi
for f in $files; do
  [ -s "$tmp/$f" ] || { echo "FAIL: fixture $kind: $f was not written"; exit 1; }
done
for f in $files; do
  mv -f "$tmp/$f" "$dir/$f" || exit 1
done
echo "fixture $kind: $(cd "$dir" && ls -l $files | awk '{ printf "%s%s (%s bytes)", s, $NF, $5; s = ", " }') in $dir"
