#!/usr/bin/env bash
# test_files_cli.sh SNFORGE SOURCE_DIR SHARED_DIR: files and inputs from the outside (issue 12).
#  - every case of tests/data/cases (copies of ../shared/cases) behaves as its README expects;
#  - two concurrent `grid` runs on one output: the second refuses at once (exit 1), the first finishes a
#    readable file; a reader (h5py) holding an interrupted FILE.h5.tmp open: a rerun refuses (exit 1) and leaves
#    the .tmp byte for byte as it was, then resumes it once the reader is gone;
#  - stdout write failures exit 1; a byte-order mark in every CSV/INI snforge reads;
#  - a hydro run with no usable coverage is stored as failed and `compare` leaves it out, saying so.
set -u
SNF=$1
SRC=$2
CASES=$SRC/tests/data/cases
PY=/usr/bin/python3
W=$(mktemp -d "${TMPDIR:-/tmp}/snf_files_cli.XXXXXX")
holder=
trap '[ -n "$holder" ] && kill "$holder" 2>/dev/null; rm -rf "$W"' EXIT
cd "$W" || exit 1
export OMP_WAIT_POLICY=passive
nfail=0
ok() { echo "PASS $*"; }
bad() { echo "FAIL $*"; nfail=$((nfail + 1)); }
# expect CODE PATTERN -- command...: exit code and a pattern in stderr+stdout
expect() {
  local want=$1 pat=$2; shift 3
  local out; out=$(timeout 120 "$@" 2>&1); local rc=$?
  if [ $rc -eq "$want" ] && echo "$out" | grep -q -- "$pat"; then ok "exit $rc '$pat': $(echo "$out" | tail -1 | cut -c1-150)"
  else bad "'$*' exited $rc (want $want) without '$pat': $(echo "$out" | tail -2)"; fi
}
have_h5py=0
[ -x "$PY" ] && "$PY" -c "import h5py" 2>/dev/null && have_h5py=1
rows() { "$PY" -c "import h5py,sys; f=h5py.File(sys.argv[1],'r'); print(f['status'].shape[0], int(f.attrs['complete']))" "$1" 2>/dev/null; }

# ---- the cases ----
MODEL=$CASES/dataset-nan-time/model.h5
OBS=$SRC/validation/data/sn1987a/sn1987a_obs.csv
expect 0 "energy" -- "$SNF" predict "$MODEL" "$OBS"
expect 2 "logL.csv:2: L_erg_s 41.35 is not a supernova's luminosity in erg/s.*log10" -- "$SNF" predict "$MODEL" "$CASES/obs-log10-luminosity/logL.csv"
expect 0 "energy" -- "$SNF" predict "$MODEL" "$CASES/obs-same-day-rows/sameday.csv"
expect 0 "energy" -- "$SNF" predict "$MODEL" "$CASES/csv-bom/bom.csv"
expect 2 "model.h5: the model file is damaged\|model.h5.*damaged" -- "$SNF" predict "$CASES/hdf5-one-flipped-byte/model.h5" "$CASES/hdf5-one-flipped-byte/obs.csv"
expect 2 "/norm/x_std\[.\] = 0: expected a finite positive value" -- "$SNF" predict "$CASES/checkpoint-zero-std/model.h5" "$CASES/checkpoint-zero-std/obs.csv"
expect 2 "data.h5: /time\[.*\] is nan" -- "$SNF" evaluate "$MODEL" "$CASES/dataset-nan-time/data.h5" --no-plot -o ev

# ---- no usable coverage: failed status, left out of compare ----
mkdir -p hyd && cp -r "$CASES/snec-run-without-coverage/runA" hyd/ && cp -r "$SRC/validation/data/snec/m000" hyd/ && chmod -R u+w hyd
printf '\xEF\xBB\xBFpath,energy,mass,radius,nickel\r\nrunA,1.0,15,4.2e13,0.02\r\nm000,1.0,15,4.2e13,0.05\r\n' > hyd/index.csv
expect 0 "1 run with no usable coverage stored as failed" -- "$SNF" import --format snec --index hyd/index.csv -o hyd.h5
if [ $have_h5py = 1 ]; then
  st=$("$PY" -c "import h5py; f=h5py.File('hyd.h5','r'); print(list(f['status'][:]), f['status_msg'][0].decode())")
  case $st in "[-7, 0] runA: no usable coverage"*) ok "status of the uncovered run: $st";; *) bad "status: $st";; esac
fi
expect 0 "left out 1 run marked failed" -- "$SNF" compare hyd.h5 -o cmp --no-plots
grep -q "runA: no usable coverage" cmp/report.md && ok "report.md lists the run left out" || bad "report.md: $(grep -i left cmp/report.md)"
[ ! -f cmp/curves/runA.csv ] && ok "no curve for the run left out" || bad "curve written for runA"

# ---- a byte-order mark in the campaign INI and the columns config/table ----
printf '\xEF\xBB\xBF' > bom.ini; cat "$SRC/grids/87a_small.ini" | sed -e 's/^n_models = .*/n_models = 64/' -e 's/^step = 1$/step = 10/' >> bom.ini
expect 0 "64 models" -- "$SNF" grid bom.ini -o bom.h5 --threads 1
printf '\xEF\xBB\xBFt_d,L\r\n0,1e42\r\n10,2e42\r\n20,1e42\r\n' > col.csv
printf '\xEF\xBB\xBF[columns]\r\ntime = 1\r\nlum = 2\r\nvph = 0\r\nskip = 1\r\n' > col.ini
printf 'path,energy,mass,radius,nickel\ncol.csv,1,15,3e13,0.05\n' > colidx.csv
expect 0 "1 columns runs" -- "$SNF" import --format columns --config col.ini --index colidx.csv -o col.h5 --t-max 20

# ---- stdout write failures ----
out=$("$SNF" predict "$MODEL" "$OBS" 2>&1 >/dev/full); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "cannot write the standard output: No space left on device" && ok "predict > /dev/full: exit 1" || bad "predict > /dev/full: exit $rc: $out"
out=$("$SNF" --help 2>&1 >/dev/full); rc=$?
[ $rc = 1 ] && ok "--help > /dev/full: exit 1" || bad "--help > /dev/full: exit $rc"

# ---- two concurrent grid runs on one output ----
sed -e 's/^n_models = .*/n_models = 20000/' "$SRC/grids/87a_small.ini" > c.ini
( "$SNF" grid c.ini -o c.h5 --threads 1 -q >first.out 2>&1; echo $? > first.rc ) &
for _ in $(seq 100); do [ -f c.h5.lock ] && [ -f c.h5.tmp ] && break; sleep 0.1; done
expect 1 "c.h5 is being written by another snforge run (pid [0-9]*)" -- "$SNF" grid c.ini -o c.h5 --threads 1 -q
wait
[ "$(cat first.rc)" = 0 ] && ok "the first run finished (exit 0)" || bad "first run: $(cat first.rc) $(cat first.out)"
if [ $have_h5py = 1 ]; then
  [ "$(rows c.h5)" = "20000 1" ] && ok "the first run's file is complete and readable" || bad "c.h5: $(rows c.h5)"
fi
[ ! -f c.h5.lock ] && ok "no lock file left" || bad "c.h5.lock left behind"

# ---- a reader holding an interrupted FILE.h5.tmp open ----
if [ $have_h5py = 1 ]; then
  sed -e 's/^n_models = .*/n_models = 2048/' "$SRC/grids/87a_small.ini" > h.ini
  "$SNF" grid h.ini -o h.h5 --threads 1 -q --stop-after-blocks 1 >/dev/null 2>&1
  sum0=$(md5sum h.h5.tmp | cut -d' ' -f1)
  "$PY" -c "import h5py,time; f=h5py.File('h.h5.tmp','r'); open('held','w').close(); time.sleep(120)" &
  holder=$!
  for _ in $(seq 100); do [ -f held ] && break; sleep 0.1; done
  expect 1 "h.h5.tmp is open in another program (HDF5 file lock" -- "$SNF" grid h.ini -o h.h5 --threads 1 -q
  [ "$(md5sum h.h5.tmp | cut -d' ' -f1)" = "$sum0" ] && ok "the held .tmp is untouched" || bad "the held .tmp changed"
  [ ! -f h.h5 ] && ok "no finished-looking h.h5" || bad "h.h5 exists"
  kill "$holder"; wait "$holder" 2>/dev/null; holder=
  expect 0 "resumed past 512" -- "$SNF" grid h.ini -o h.h5 --threads 1
  [ "$(rows h.h5)" = "2048 1" ] && ok "resumed to a complete readable file" || bad "h.h5: $(rows h.h5)"
else
  echo "SKIP held .tmp: no python3-h5py to hold a file open"
fi

# ---- a flipped byte in a .tmp's attributes: recomputed, never a wrong "complete" file ----
if [ $have_h5py = 1 ]; then
  sed -e "s/^n_models = .*/n_models = 512/" -e "s/^block_rows = .*/block_rows = 128/" -e "s/^chunk_rows = .*/chunk_rows = 64/" "$SRC/grids/87a_small.ini" > f.ini
  "$SNF" grid f.ini -o ref.h5 --threads 1 -q >/dev/null 2>&1
  "$SNF" grid f.ini -o f.h5 --threads 1 -q --stop-after-blocks 1 >/dev/null 2>&1
  "$PY" -c "
import h5py, numpy as np
with h5py.File('f.h5.tmp', 'r+') as f:
    f.attrs['seed'] = np.int64(f.attrs['seed']) + 1          # an attribute changed
    f['time'][5] = f['time'][5] + 0.25                       # a time changed
"
  expect 0 "damaged (f.h5.tmp: .*); the campaign was started over" -- "$SNF" grid f.ini -o f.h5 --threads 1
  if command -v h5diff >/dev/null; then
    for ds in params log_lbol vph status time; do
      h5diff -q ref.h5 f.h5 /$ds /$ds >/dev/null 2>&1 && ok "/$ds as an uninterrupted run" || bad "/$ds differs after resume"
    done
  fi
fi

echo "$nfail failed"
[ $nfail = 0 ]
