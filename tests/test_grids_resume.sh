#!/usr/bin/env bash
# test_grids_resume.sh SNFORGE SOURCE_DIR SHARED_DIR: kill -9 `snforge grid` at random moments on the small
# campaign (at least 6 kills, at least one after written blocks), rerun until it finishes, and require datasets byte-equal to an uninterrupted run; then a rerun
# must say the file is complete, exit 0 and leave it untouched. Set SNF_TEST_SEED to replay a sequence.
snforge=$1
src=$2
. "${BASH_SOURCE%/*}/lib.sh"
snf_scratch resume
seed=${SNF_TEST_SEED:-$$}
RANDOM=$seed
echo "kill schedule seed: $seed (SNF_TEST_SEED=$seed replays it)"

# The small campaign with smaller blocks, so kills land between, inside and across many block writes.
sed -e 's/^block_rows = .*/block_rows = 256/' -e 's/^chunk_rows = .*/chunk_rows = 128/' \
    "$src/grids/87a_small.ini" > "$work/small.ini"

t0=$(date +%s%N)
"$snforge" grid "$work/small.ini" -o "$work/ref.h5" --threads 2 -q 2> "$work/ref.log" || { cat "$work/ref.log"; fail "reference run"; }
wall_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$wall_ms" -ge 20 ] || wall_ms=20
echo "uninterrupted run: $wall_ms ms"

# Kill moments scale with the uninterrupted run's wall time (the machine may be loaded or quiet): each run
# is killed 2-20% of that time after its start, so the campaign needs about ten killed runs to finish and
# kills land before the file exists, inside block writes and between them. Up to 60 rounds, then one run
# without a kill. At least 6 kills and at least one resume past written blocks are required.
kills=0
for round in $(seq 1 60); do
  [ -f "$work/out.h5" ] && break
  "$snforge" grid "$work/small.ini" -o "$work/out.h5" --threads 2 -q 2>> "$work/runs.log" &
  pid=$!
  ms=$(( wall_ms * (2 + RANDOM % 19) / 100 ))
  sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
  if kill -9 "$pid" 2>/dev/null; then
    kills=$((kills + 1))
    echo "round $round: killed after ${ms} ms"
  else
    echo "round $round: finished before ${ms} ms"
  fi
  wait "$pid" 2>/dev/null
done
if [ ! -f "$work/out.h5" ]; then
  "$snforge" grid "$work/small.ini" -o "$work/out.h5" --threads 1 2>> "$work/runs.log" || { cat "$work/runs.log"; fail "final run"; }
fi
echo "$kills kills"
cat "$work/runs.log"
[ "$kills" -ge 6 ] || fail "only $kills runs were killed (at least 6 required): the schedule did not test enough"
[ ! -e "$work/out.h5.tmp" ] || fail ".tmp left beside the complete file"
/usr/bin/python3 - "$work/ref.h5" "$work/out.h5" <<'PY' || fail "datasets differ"
import sys, h5py
def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, o[...]) if isinstance(o, h5py.Dataset) else None)
        assert int(f.attrs["complete"]) == 1, path + " not complete"
    return out
a, b = datasets(sys.argv[1]), datasets(sys.argv[2])
assert sorted(a) == sorted(b), (sorted(a), sorted(b))
for k in a:
    assert a[k].dtype == b[k].dtype and a[k].shape == b[k].shape, k
    assert a[k].tobytes() == b[k].tobytes(), k + " differs"
print(f"{len(a)} datasets byte-equal to the uninterrupted run")
PY

before=$(stat -c '%Y %s %i' "$work/out.h5")
msg=$("$snforge" grid "$work/small.ini" -o "$work/out.h5" 2>&1); rc=$?
[ $rc -eq 0 ] || fail "rerun on a complete file exited $rc: $msg"
echo "$msg" | grep -q "is complete" || fail "rerun did not say complete: $msg"
[ "$before" = "$(stat -c '%Y %s %i' "$work/out.h5")" ] || fail "complete file was rewritten"
echo "PASS: resume after kill -9"
