#!/usr/bin/env bash
# test_outputs_lock.sh SNFORGE SOURCE_DIR SHARED_DIR NOLOCK_SHIM: every command that writes, from the outside.
#  1. a held output (OUT.lock locked by another process, its pid inside): every writing command refuses at
#     once with exit 1 naming the pid, and leaves an earlier output byte for byte as it was;
#  2. a file system without locks (NOLOCK_SHIM preloaded: flock and fcntl locks fail with ENOLCK): every
#     writing command names it (never "open in another program") with exit 1, and SNF_FILE_LOCKING=FALSE
#     (or HDF5_USE_FILE_LOCKING=FALSE) lets every one of them write;
#  3. resumes: fit (also after kill -9), curriculum, search and finetune rerun with a changed setting are
#     refused with exit 2 naming what changed, their artefacts untouched; rerun unchanged they go on;
#  4. a killed search takes its trial children with it;
#  5. flipped bytes in fit's chain.h5, finetune's checkpoint and a curriculum's fold files: refused (exit 2) or harmless (the
#     resumed result equals the undamaged resume), never a crash;
#  6. two real concurrent runs (fit): the second refuses at once, the first finishes.
snforge=$1
src=$2
shared=$3
shim=$4
. "${BASH_SOURCE%/*}/lib.sh"
. "${BASH_SOURCE%/*}/outputs_lib.sh"
# Under AddressSanitizer the LD_PRELOAD shim comes before ASan's runtime in the library list, which ASan refuses
# unless told that the order is intended (the shim only wraps fcntl/flock; ASan intercepts neither).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
snf_scratch outlock
cd "$work" || exit 1
outputs_fixtures
tried=0
passed=0
ok() { tried=$((tried + 1)); passed=$((passed + 1)); echo "ok: $*"; }
tree_sum() { find "$@" -type f ! -name '*.lock' -exec md5sum {} + 2>/dev/null | sort; }
ext() { case $1 in grid|import|train|finetune) echo .h5;; keypoints|simulate|predict) echo .csv;; hydro) echo .h5;; *) echo "";; esac; }

# ---- 1. a held output ----
for w in $writers; do
  out=held_$w$(ext "$w")
  write_cmd "$w" "$out" > first.log 2>&1 || fail "$w: the first run failed: $(tail -3 first.log)"
  paths=$(out_paths "$w" "$out")
  lock=$(out_lock "$w" "$out")
  before=$(tree_sum $paths)
  flock "$lock" sleep 120 & # blocking: a probe below holding it for an instant only delays it
  holder=$!
  bgpid=$holder
  held=0
  for _ in $(seq 200); do flock -n "$lock" true 2>/dev/null || { held=1; break; }; sleep 0.05; done
  [ $held = 1 ] || fail "the test could not hold $lock"
  echo "$holder" > "$lock"
  t0=$(date +%s)
  write_cmd "$w" "$out" > second.log 2>&1
  rc=$?
  dt=$(( $(date +%s) - t0 ))
  kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null; bgpid=
  [ $rc -eq 1 ] || fail "$w on a held output exited $rc, expected 1: $(tail -2 second.log)"
  grep -q "being written by another snforge run (pid $holder)" second.log ||
    fail "$w: the refusal does not name the other run (pid $holder): $(tail -2 second.log)"
  [ "$dt" -le 3 ] || fail "$w took $dt s to refuse (it must refuse at once)"
  [ "$before" = "$(tree_sum $paths)" ] || fail "$w touched the held output $out"
  for p in $paths; do ls "$p".tmp "$p"/*.tmp > /dev/null 2>&1 && fail "$w left a .tmp beside the held output"; done
  ok "$w refuses a held output at once (exit 1, pid $holder named), the earlier output untouched"
done

# ---- 2. a file system without locks ----
[ -f "$shim" ] || fail "no lock shim at $shim"
for w in $writers; do
  out=nl_$w$(ext "$w")
  env -u HDF5_USE_FILE_LOCKING -u SNF_FILE_LOCKING LD_PRELOAD="$shim" bash -c "$(declare -f write_cmd); snforge='$snforge' src='$src' write_cmd $w $out" > nl.log 2>&1
  rc=$?
  [ $rc -eq 1 ] || fail "$w without locks exited $rc, expected 1: $(tail -2 nl.log)"
  grep -q "does not support file locks" nl.log || fail "$w without locks: not named as such: $(tail -2 nl.log)"
  grep -q "SNF_FILE_LOCKING=FALSE" nl.log || fail "$w without locks: no way around named: $(tail -2 nl.log)"
  grep -q "open in another program\|HDF5-DIAG" nl.log && fail "$w without locks: misreported: $(tail -2 nl.log)"
  ok "$w on a file system without locks: named, exit 1"
  SNF_FILE_LOCKING=FALSE LD_PRELOAD="$shim" bash -c "$(declare -f write_cmd); snforge='$snforge' src='$src' write_cmd $w $out" > nl.log 2>&1 ||
    fail "$w with SNF_FILE_LOCKING=FALSE still fails: $(tail -2 nl.log)"
  for p in $(out_paths "$w" "$out"); do [ -e "$p" ] || fail "$w with SNF_FILE_LOCKING=FALSE wrote no $p"; done
  ok "$w with SNF_FILE_LOCKING=FALSE writes on a file system without locks"
done
for w in grid fit keypoints; do
  out=nlh_$w$(ext "$w")
  HDF5_USE_FILE_LOCKING=FALSE LD_PRELOAD="$shim" bash -c "$(declare -f write_cmd); snforge='$snforge' src='$src' write_cmd $w $out" > nl.log 2>&1 ||
    fail "$w with HDF5_USE_FILE_LOCKING=FALSE still fails: $(tail -2 nl.log)"
  ok "$w with HDF5_USE_FILE_LOCKING=FALSE writes on a file system without locks"
done

# ---- 3. resumes with a changed setting ----
fitrun() { "$snforge" fit obs.csv -o "$@" --walkers 14 --no-plot -q; }
fitrun F --steps 16 --burn 4 > /dev/null 2>&1 || fail "fit F"
c0=$(md5sum < F/chain.h5)
expect 2 "closure 'flux' -> 'temperature'" -- fitrun F --steps 20 --burn 4 --closure temperature
[ "$c0" = "$(md5sum < F/chain.h5)" ] || fail "the refused fit changed chain.h5"
ok "fit: a resume with another --closure refused naming it, chain.h5 untouched"
expect 2 "seed '1987' -> '2'" -- fitrun F --steps 20 --burn 4 --seed 2
ok "fit: a resume with another --seed refused naming it"
expect 0 "16 resumed" -- fitrun F --steps 20 --burn 4
ok "fit: an unchanged resume goes on"
"$snforge" fit obs.csv -o K --walkers 14 --steps 100000 --no-plot -q > /dev/null 2>&1 &
bgpid=$!
for _ in $(seq 600); do [ -f K/chain.h5 ] && break; sleep 0.1; done
kill -9 "$bgpid"; wait "$bgpid" 2>/dev/null; bgpid=
[ -f K/chain.h5 ] || fail "fit wrote no chain.h5 before kill -9"
[ -f K.lock ] && ! flock -n K.lock true && fail "the killed fit's lock is still held"
expect 2 "closure 'flux' -> 'none'" -- "$snforge" fit obs.csv -o K --walkers 14 --steps 100000 --no-plot -q --closure none
ok "fit after kill -9: a changed --closure refused"
curr() { "$snforge" curriculum "$1" -o C --threads 1 --no-plot "${@:2}"; }
expect 0 "stopped after 1 folds" -- curr cur.ini --stop-after-folds 1
sed 's/^epochs = 2$/epochs = 3/' cur.ini > cur3.ini
s0=$(tree_sum C)
expect 2 "C was made with other settings (config" -- curr cur3.ini
[ "$s0" = "$(tree_sum C)" ] || fail "the refused curriculum changed its folder"
ok "curriculum: a rerun with a changed config refused naming it, the folder untouched"
if /usr/bin/python3 -c "import h5py" 2> /dev/null; then
  cp hydro.h5 hydro.bak
  /usr/bin/python3 -c "import h5py; f = h5py.File('hydro.h5', 'r+'); d = f['log_lbol']; d[0, 100] = d[0, 100] + 0.01"
  expect 2 "C was made with other settings (hydro '" -- curr cur.ini
  mv hydro.bak hydro.h5
  ok "curriculum: a rerun on changed hydro data refused naming it"
fi
expect 0 "results.csv" -- curr cur.ini
ok "curriculum: the unchanged rerun finishes"
expect 0 "1 trials" -- "$snforge" search search.ini -o S --threads 1
printf '[search]\nbase = cur.ini\nmode = grid\n[vary]\nstage2.lr = 1e-3\n' > search2.ini
expect 2 "another configuration" -- "$snforge" search search2.ini -o S --threads 1
ok "search: a rerun with other values refused, the old trial never relabelled"
t0=$(md5sum < S/trials.csv)
sed -i 's/^curriculum,mean,[0-9]/curriculum,mean,9/' S/trial001/results.csv # a changed byte in the unsealed table
expect 0 "1 trials" -- "$snforge" search search.ini -o S --threads 1
[ "$t0" = "$(md5sum < S/trials.csv)" ] || fail "a changed byte in a trial's results.csv reached trials.csv"
grep -q '^curriculum,mean,9' S/trial001/results.csv && fail "the trial's results.csv was not rewritten from its fold scores"
sc=$(ls S/trial001/*/fold1/scores.csv | head -1)
sed -i 's/^curriculum,\([0-9]*\),[0-9]/curriculum,\1,9/' "$sc"
expect 2 "damaged" -- "$snforge" search search.ini -o S --threads 1
ok "search: a trial's results.csv is rebuilt from its sealed fold scores on a rerun; a damaged fold score refused"
ft() { "$snforge" finetune model.h5 hydro.h5 -o R.h5 --epochs 3 --val 0.25 --batch 4 --threads 1 -q "$@"; }
expect 0 "" -- ft --stop-after-epochs 1
r0=$(md5sum < R.h5)
expect 2 "" -- ft --lr 1e-2
[ "$r0" = "$(md5sum < R.h5)" ] || fail "the refused finetune changed its model"
ok "finetune: a resume with another --lr refused, the checkpoint untouched"

# ---- 4. a killed search takes its trials with it ----
sed 's/^epochs = 2$/epochs = 100000\npatience = 100000/' cur.ini > curslow.ini # no early stop: trials run until killed
printf '[search]\nbase = curslow.ini\nmode = grid\n[vary]\nstage2.lr = 1e-4, 2e-4\n' > slow.ini
"$snforge" search slow.ini -o SK --threads 2 --jobs 2 > sk.log 2>&1 &
bgpid=$!
for _ in $(seq 300); do [ -f SK/trial002/search.log ] && break; sleep 0.1; done
sleep 0.5
kids=$(pgrep -P "$bgpid" | tr '\n' ' ')
[ -n "$kids" ] || fail "search started no trial children: $(cat sk.log SK/trial00*/search.log 2>/dev/null | tail -5)"
kill -9 "$bgpid"; wait "$bgpid" 2>/dev/null; bgpid=
sleep 1
for k in $kids; do # a zombie (state Z) is dead: only its exit status waits for a parent to read it
  st=$(ps -o stat= -p "$k" 2> /dev/null)
  [ -n "$st" ] && [ "${st#Z}" = "$st" ] && { kill -9 $kids 2>/dev/null; fail "trial child $k ($st) outlived its killed search"; }
done
ok "search killed with -9: its trial children ($kids) died with it"

# ---- 5. flipped bytes in resumable artefacts ----
flip() { /usr/bin/python3 -c "import sys; p, o = sys.argv[1], int(sys.argv[2]); f = open(p, 'r+b'); f.seek(o); b = f.read(1); f.seek(o); f.write(bytes([b[0] ^ 0x5a]))" "$1" "$2"; }
fitrun FB --steps 12 --burn 4 > /dev/null 2>&1 || fail "fit FB"
rm -rf FR; cp -r FB FR; fitrun FR --steps 16 --burn 4 > /dev/null 2>&1 || fail "fit FR"
ref=$(md5sum < FR/posterior.csv)
size=$(stat -c %s FB/chain.h5); n2=0; nsame=0
for off in $(seq 0 $((size / 40 + 1)) $((size - 1))); do
  rm -rf FX; cp -r FB FX; flip FX/chain.h5 "$off"
  fitrun FX --steps 16 --burn 4 > fx.log 2>&1; rc=$?
  if [ $rc -eq 2 ]; then n2=$((n2 + 1))
  elif [ $rc -eq 0 ] && [ "$ref" = "$(md5sum < FX/posterior.csv)" ]; then nsame=$((nsame + 1))
  else fail "chain.h5 with byte $off flipped: exit $rc and not the undamaged result: $(tail -1 fx.log)"; fi
done
ok "chain.h5: $n2 flipped bytes refused (exit 2), $nsame harmless (unused bytes: the same result), none continued into another"
ft2() { "$snforge" finetune model.h5 hydro.h5 -o "$1" --epochs 3 --val 0.25 --batch 4 --threads 1 -q "${@:2}"; }
ft2 FTB.h5 --stop-after-epochs 1 > /dev/null 2>&1 || fail "finetune FTB"
cp FTB.h5 FTR.h5; ft2 FTR.h5 > /dev/null 2>&1 || fail "finetune FTR"
size=$(stat -c %s FTB.h5); n2=0; nsame=0
for off in $(seq 0 $((size / 30 + 1)) $((size - 1))); do
  cp FTB.h5 FTX.h5; flip FTX.h5 "$off"
  ft2 FTX.h5 > ftx.log 2>&1; rc=$?
  if [ $rc -eq 2 ]; then n2=$((n2 + 1))
  elif [ $rc -eq 0 ] && same_dset FTR.h5 FTX.h5 /params && same_dset FTR.h5 FTX.h5 /best/params &&
       same_dset FTR.h5 FTX.h5 /optimizer/m; then nsame=$((nsame + 1))
  else fail "finetune checkpoint with byte $off flipped: exit $rc and not the undamaged result: $(tail -1 ftx.log)"; fi
  rm -f FTX.h5
done
ok "finetune checkpoint: $n2 flipped bytes refused (exit 2), $nsame harmless, none continued into another"
# train's own checkpoint (the model file of an unfinished run): the same reader, resumed by `train`
sed 's#^model = model.h5#model = TB.h5#' train.ini > tb.ini
"$snforge" train tb.ini -q --threads 1 --stop-after-epochs 1 > /dev/null 2>&1 || fail "train TB"
cp TB.h5 TB.keep; "$snforge" train tb.ini -q --threads 1 > /dev/null 2>&1 || fail "train TB resumed"
mv TB.h5 TR.h5; size=$(stat -c %s TB.keep); n2=0; nsame=0
for off in $(seq 0 $((size / 25 + 1)) $((size - 1))); do
  cp TB.keep TB.h5; flip TB.h5 "$off"
  "$snforge" train tb.ini -q --threads 1 > tbx.log 2>&1; rc=$?
  if [ $rc -eq 2 ]; then n2=$((n2 + 1))
  elif [ $rc -eq 0 ] && same_dset TR.h5 TB.h5 /params && same_dset TR.h5 TB.h5 /best/params; then nsame=$((nsame + 1))
  else fail "train checkpoint with byte $off flipped: exit $rc and not the undamaged result: $(tail -1 tbx.log)"; fi
  rm -f TB.h5
done
ok "train checkpoint: $n2 flipped bytes refused (exit 2), $nsame harmless, none continued into another"
# a finished curriculum's fold files are sealed (fileio.h): a flipped byte is refused, never reported
f=$(ls C/*/fold1/scores.csv | head -n 1); size=$(stat -c %s "$f"); n2=0
for off in $(seq 0 5 $((size - 1))) $((size - 2)); do
  rm -rf CX; cp -r C CX; flip "CX/${f#C/}" "$off"
  "$snforge" curriculum cur.ini -o CX --threads 1 --no-plot > cx.log 2>&1; rc=$?
  if [ $rc -eq 2 ] && grep -q "scores.csv is damaged" cx.log; then n2=$((n2 + 1))
  else fail "curriculum fold file with byte $off flipped: exit $rc: $(tail -1 cx.log)"; fi
done
rm -rf CX
ok "curriculum fold scores: $n2 flipped bytes refused (exit 2) as damaged, none reported"

# ---- 6. two real concurrent runs ----
"$snforge" fit obs.csv -o CC --walkers 14 --steps 400 --burn 10 --no-plot -q > cc1.log 2>&1 &
bgpid=$!
for _ in $(seq 100); do [ -f CC.lock ] && break; sleep 0.05; done
t0=$(date +%s)
"$snforge" fit obs.csv -o CC --walkers 14 --steps 300 --burn 10 --no-plot -q --closure temperature > cc2.log 2>&1; rc2=$?
dt=$(( $(date +%s) - t0 ))
wait "$bgpid"; rc1=$?; bgpid=
[ $rc2 -eq 1 ] && grep -q "another snforge run (pid $bgpid\|another snforge run (pid" cc2.log || fail "the second fit: exit $rc2: $(tail -1 cc2.log)"
[ $dt -le 3 ] || fail "the second fit took $dt s to refuse"
[ $rc1 -eq 0 ] || fail "the first fit failed: $(tail -2 cc1.log)"
grep -q '"closure": "flux"' CC/summary.json || fail "the first fit's summary is not its own"
ok "two concurrent fits: the second refused at once, the first finished with its own results"

# ---- 7. inputs of the wrong kind ----
printf '[data]\nfile = sa.h5\nchannels = both\nmask = yes\nlength = 32\nt_start = 1\nt_end = 300\n[train]\nseed = 1\nepochs = 1\nbatch = 32\n[model]\narch = lite\nfilters = 8\nkernel = 16\nhead = mse\n[output]\nmodel = point.h5\n' > point.ini
"$snforge" train point.ini -q --threads 1 > /dev/null 2>&1 || fail "train point.ini"
expect 2 "needs a model with an uncertainty" -- "$snforge" plan point.h5 --epochs 2
ok "plan refuses a model without uncertainty (exit 2)"
expect 2 "source is 'semi-analytic" -- "$snforge" finetune model.h5 sa.h5 -o ftsa.h5 --epochs 1 -q
ok "finetune refuses a semi-analytic campaign as its hydro data (source attribute)"
if /usr/bin/python3 -c "import h5py, numpy" 2> /dev/null; then
  cp sa.h5 fake_hydro.h5
  /usr/bin/python3 -c "import h5py, numpy as np; f = h5py.File('fake_hydro.h5', 'r+'); f.attrs['source'] = np.bytes_('hydro:snec')"
  sed 's/^hydro = hydro.h5/hydro = fake_hydro.h5/' cur.ini > curfake.ini
  expect 2 "identical to row" -- "$snforge" curriculum curfake.ini -o CF --threads 1 --no-plot
  ok "curriculum refuses a semi-analytic campaign relabelled as hydro (by content)"
  cp hydro.h5 empty_row.h5
  /usr/bin/python3 -c "import h5py, numpy as np; f = h5py.File('empty_row.h5', 'r+'); f['log_lbol'][1, :] = np.nan; f['vph'][1, :] = np.nan"
  expect 2 "row 1 holds no data" -- "$snforge" finetune model.h5 empty_row.h5 -o fte.h5 --epochs 1 --val 0.25 --batch 4 -q
  ok "finetune refuses a hydro row that holds no data"
  cp sa.h5 absurd.h5
  /usr/bin/python3 -c "import h5py; f = h5py.File('absurd.h5', 'r+'); d = f['log_lbol']; d[3, :] = d[3, :] * 100"
  expect 2 "not a supernova's log10 L" -- "$snforge" evaluate model.h5 absurd.h5 -o EVA --no-plot
  ok "evaluate refuses a dataset with absurd values (exit 2)"
  /usr/bin/python3 - <<'PY'
import h5py
src = h5py.File('sa.h5', 'r'); dst = h5py.File('lzf.h5', 'w')
for k, v in src.attrs.items(): dst.attrs[k] = v
for name, d in src.items():
    if isinstance(d, h5py.Dataset):
        o = dst.create_dataset(name, data=d[...], compression='lzf' if name == 'log_lbol' else None,
                               chunks=d.chunks if name == 'log_lbol' else None)
        for k, v in d.attrs.items(): o.attrs[k] = v
    else:
        src.copy(d, dst, name)
PY
  "$snforge" keypoints lzf.h5 > lzf.log 2>&1; rc=$?
  [ $rc -eq 2 ] && grep -q "32000 (lzf)" lzf.log || fail "an lzf-compressed dataset: exit $rc, filter not named: $(tail -1 lzf.log)"
  ok "a dataset compressed with a filter this HDF5 lacks: the filter named (lzf), exit 2"
  /usr/bin/python3 - <<'PY'
import h5py, numpy as np
f = h5py.File('hydro_fixed.h5', 'w'); g = h5py.File('hydro.h5', 'r')
for k, v in g.attrs.items():
    if isinstance(v, (bytes, str)):
        b = v.encode() if isinstance(v, str) else v
        f.attrs.create(k, np.bytes_(b), dtype=h5py.string_dtype('ascii', len(b) + 3))  # fixed length, NUL-padded
    elif isinstance(v, np.ndarray) and v.dtype.kind in 'OSU':
        items = [x.encode() if isinstance(x, str) else bytes(x) for x in v]
        f.attrs.create(k, np.array(items, dtype='S%d' % (max(len(x) for x in items) + 2)))
    else:
        f.attrs[k] = v
for name in g: g.copy(g[name], f, name)
PY
  expect 0 "" -- "$snforge" keypoints hydro_fixed.h5
  ok "a dataset from another writer with fixed-length (NUL-padded) string attributes is read"
fi
mkdir -p st && cp "$src/validation/data/stella/cat_R1000_M15_Ni007_E15.tt" st/
awk 'BEGIN { n = 0 } { print } /^ *time / { getline; print; print; print; n = 1 }' st/cat_R1000_M15_Ni007_E15.tt > st/rep.tt
printf 'path,energy,mass,radius,nickel\nrep,1.5,15,7e13,0.07\n' > st/index.csv
expect 0 "2 rows dropped" -- "$snforge" import --format stella --index st/index.csv -o st.h5
ok "a STELLA .tt whose first rows share one time is read, the repeats dropped with a note"

echo "test_outputs_lock: $passed of $tried scenario groups passed"
