#!/usr/bin/env bash
# test_files_fuzz_h5.sh SNFORGE SOURCE_DIR SHARED_DIR: a short HDF5 mutation fuzzing run (tests/fuzz_h5.py)
# over every HDF5 reader of snforge, each target for SNF_FUZZ_SECONDS (default 15) s:
#   dataset     a campaign file written by this build, read by `snforge evaluate` (dataset layer + trainer)
#   model       a model written by this build, read by `snforge predict`
#   model-old   a model written before fixed-length strings (variable-length string attributes, superblock 0:
#               tests/data/cases/dataset-nan-time/model.h5), read by `snforge predict`
#   resume      an interrupted campaign's FILE.h5.tmp, resumed by `snforge grid`: the run must fail cleanly or
#               produce exactly the data of an uninterrupted run (h5diff of every row dataset), never a
#               "complete" file that is wrong or unreadable
# A crash (signal or sanitizer exit) or hang (60 s; snforge itself gives up on a file after 20 s) of any run fails
# the test. Exit 77 (ctest: Skipped) without
# /usr/bin/python3.
set -u
SNF=$1
SRC=$2
snforge=$SNF src=$SRC
. "${BASH_SOURCE%/*}/lib.sh" # snf_fixture
PY=/usr/bin/python3
SECS=${SNF_FUZZ_SECONDS:-15}
[ -x "$PY" ] || { echo "SKIP: no $PY to drive the mutations"; exit 77; }
command -v h5diff >/dev/null || { echo "SKIP: no h5diff (Debian: hdf5-tools) to check resumed files"; exit 77; }
W=$(mktemp -d "${TMPDIR:-/tmp}/snf_fuzzh5.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive
fail() { echo "FAIL: $*"; exit 1; }

# ---- seeds written by this build: the shared campaign (in blocks of 64 rows) and model (tests/fixtures.sh) ----
snf_fixture campaign.ini camp.ini
snf_fixture campaign.h5 camp.h5
cp camp.ini camp2.ini
"$SNF" grid camp2.ini -o part.h5 -q --threads 1 --stop-after-blocks 2 >/dev/null 2>&1
[ -f part.h5.tmp ] || fail "seed .tmp (interrupted campaign)"
snf_fixture model.h5 tiny.h5
obs="$SRC/validation/data/sn1987a/sn1987a_obs.csv"
[ -f "$obs" ] || fail "no $obs"
"$SNF" predict tiny.h5 "$obs" >/dev/null 2>&1 || fail "the seed model does not predict"
old="$SRC/tests/data/cases/dataset-nan-time/model.h5"

# The resume target: FILE.tmp mutated, resumed; accepted only if it fails cleanly or equals camp.h5.
cat > resume.sh <<EOF
#!/usr/bin/env bash
d=\$(mktemp -d "$W/r.XXXXXX"); trap 'rm -rf "\$d"' EXIT
cp "\$1" "\$d/c.h5.tmp"; cp "$W/camp.ini" "\$d/camp.ini"
( cd "\$d" && "$SNF" grid camp.ini -o c.h5 -q --threads 1 ) >/dev/null 2>"\$d/err"; rc=\$?
[ \$rc -ne 0 ] && exit \$rc
for ds in params log_lbol vph status; do
  h5diff -q "$W/camp.h5" "\$d/c.h5" /\$ds /\$ds >/dev/null 2>&1 || { echo "resumed file differs in /\$ds" >&2; exit 3; }
done
exit 0
EOF
chmod +x resume.sh

status=0
run() { "$PY" "$SRC/tests/fuzz_h5.py" --keep "$W/kept" "$@" || status=1; }
run --target dataset --seed-file camp.h5 --seconds "$SECS" -- "$SNF" evaluate "$W/tiny.h5" {} --no-plot -o ev
run --target model --seed-file tiny.h5 --seconds "$SECS" -- "$SNF" predict {} "$obs"
run --target model-old --seed-file "$old" --seconds "$SECS" -- "$SNF" predict {} "$obs"
run --target resume --seed-file part.h5.tmp --seconds "$SECS" --timeout 120 -- "$W/resume.sh" {}
if [ $status -ne 0 ]; then
  echo "FAIL: a mutated file crashed or hung snforge (kept inputs: $(ls "$W/kept" 2>/dev/null | head -5))"
  exit 1
fi
echo "PASS: no crash or hang"
