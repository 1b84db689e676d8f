#!/usr/bin/env bash
# test_grids_cli.sh SNFORGE SOURCE_DIR SHARED_DIR: `snforge grid` from the outside: exit codes and messages
# for bad input (2, naming file:line and the key), the summary line, --shard I/N + --join N byte-equal to
# an unsharded run, a complete file left alone, and the h5py example (/usr/bin/python3) reading both the
# plain and the joined (virtual-dataset) file, plus the plot script writing a PNG.
snforge=$1
src=$2
. "${BASH_SOURCE%/*}/lib.sh"
snf_scratch gridcli
expect_line=head expect_width=150
small="$src/grids/87a_small.ini"

expect 0 "usage: snforge grid" -- "$snforge" grid --help
expect 2 "expected one CAMPAIGN" -- "$snforge" grid
expect 2 "-o FILE.h5 is required" -- "$snforge" grid "$small"
expect 2 "--shard expects I/N" -- "$snforge" grid "$small" -o "$work/x.h5" --shard 3/2
expect 2 "--threads expects" -- "$snforge" grid "$small" -o "$work/x.h5" --threads zero
expect 2 "cannot read campaign file" -- "$snforge" grid "$work/none.ini" -o "$work/x.h5"
sed 's/^sampler = sobol/sampler = halton/' "$small" > "$work/bad1.ini"
expect 2 "bad1.ini:7: \[campaign\] sampler: unknown sampler 'halton'" -- "$snforge" grid "$work/bad1.ini" -o "$work/x.h5"
grep -v '^n_models' "$small" > "$work/bad2.ini"
expect 2 "bad2.ini:4: \[campaign\]: missing key 'n_models'" -- "$snforge" grid "$work/bad2.ini" -o "$work/x.h5"
sed 's/^max = 15$/max = 0.2/' "$small" > "$work/bad3.ini"
expect 2 "bad3.ini:[0-9]*: \[param.energy\] max: bad range" -- "$snforge" grid "$work/bad3.ini" -o "$work/x.h5"
sed 's/^model = semi-analytic/model = snec/' "$small" > "$work/bad4.ini"
expect 2 "bad4.ini:6: \[campaign\] model: unknown model 'snec'" -- "$snforge" grid "$work/bad4.ini" -o "$work/x.h5"
sed 's/^closure = .*/&\ncolour = blue/' "$small" > "$work/bad5.ini"
expect 2 "bad5.ini:15: \[physics\] colour: unknown physics key" -- "$snforge" grid "$work/bad5.ini" -o "$work/x.h5"
[ ! -e "$work/x.h5" ] && [ ! -e "$work/x.h5.tmp" ] || fail "bad input left a file behind"

# The whole small campaign, then the same as two shards joined.
expect 0 "4096 models: .* ok, .*models/s on 2 threads, file" -- "$snforge" grid "$small" -o "$work/all.h5" --threads 2
# By default every core, even beside a busy loop: the loop has no barrier (issue 21; commands with barriers
# take the idle cores only, test_cli_omp). The rows are the same whatever the thread count.
sh -c 'while :; do :; done' & busy=$!
cores=$(/usr/bin/python3 -c 'import os; print(len(os.sched_getaffinity(0)))')
want="on $cores thread"
expect 0 "$want" -- env -u OMP_NUM_THREADS "$snforge" grid "$small" -o "$work/default.h5"
kill "$busy"; wait "$busy" 2> /dev/null
same_datasets "$work/all.h5" "$work/default.h5" "default threads vs --threads 2" || fail "thread count changed the rows"
expect 0 "joined.shard0-of-2.h5: 2048 models" -- "$snforge" grid "$small" -o "$work/joined.h5" --shard 0/2 --threads 1
expect 1 "shard .*joined.shard1-of-2.h5 is missing" -- "$snforge" grid "$small" -o "$work/joined.h5" --join 2
expect 0 "joined.shard1-of-2.h5: 2048 models" -- "$snforge" grid "$small" -o "$work/joined.h5" --shard 1/2 --threads 2
expect 0 "joined 2 shards" -- "$snforge" grid "$small" -o "$work/joined.h5" --join 2
same_datasets "$work/all.h5" "$work/joined.h5" "sharded + joined vs one run" ||
  fail "joined shards differ from the unsharded run"
/usr/bin/python3 -c 'import sys, h5py; assert h5py.File(sys.argv[1], "r")["log_lbol"].is_virtual' "$work/joined.h5" ||
  fail "joined datasets should be virtual"

# A complete file is never rewritten; another campaign may not reuse its name.
before=$(stat -c '%Y %s %i' "$work/all.h5")
expect 0 "is complete" -- "$snforge" grid "$small" -o "$work/all.h5"
[ "$before" = "$(stat -c '%Y %s %i' "$work/all.h5")" ] || fail "complete file was rewritten"
sed 's/^seed = 1987/seed = 1988/' "$small" > "$work/other.ini"
expect 2 "holds another campaign" -- "$snforge" grid "$work/other.ini" -o "$work/all.h5"
expect 0 "joined.h5 is complete (a join of 2 shards)" -- "$snforge" grid "$small" -o "$work/joined.h5" --join 2
expect 2 "joined.h5 exists and is not a complete file of this campaign" -- "$snforge" grid "$work/other.ini" -o "$work/joined.h5" --join 2

# The h5py example reads both files and checks the layout; the plot script writes a PNG.
ex="$src/grids/examples"
for f in all.h5 joined.h5; do
  out=$(/usr/bin/python3 "$ex/read_campaign.py" "$work/$f" --check 2>&1) || fail "read_campaign.py $f: $out"
  echo "$out" | grep -q "N = 4096 models, P = 4 parameters, T = 300 times" || fail "read_campaign.py $f shapes: $out"
  echo "$out" | grep -q "energy \[foe\], mass \[Msun\], radius \[cm\], nickel \[Msun\]" || fail "units: $out"
  echo "$out" | grep -q "ranges: energy 0.5..15 (log), mass 10..55 (linear), radius 2e+11..1e+14 (log)" || fail "ranges: $out"
  echo "$out" | grep -q "layout check: OK" || fail "layout check: $out"
done
echo "$out"
out=$(/usr/bin/python3 "$ex/plot_campaign.py" "$work/all.h5" -o "$work/sample.png" -n 25 2>&1) || fail "plot_campaign.py: $out"
[ "$(head -c 4 "$work/sample.png" | tail -c 3)" = "PNG" ] || fail "sample.png is not a PNG"
[ "$(stat -c %s "$work/sample.png")" -gt 20000 ] || fail "sample.png is suspiciously small"
echo "$out"
echo "PASS: snforge grid CLI"
