#!/usr/bin/env bash
# test_grids_resume.sh SNFORGE SOURCE_DIR SHARED_DIR: kill -9 `snforge grid` at random moments on the small
# campaign, rerun until it finishes, and require datasets byte-equal to an uninterrupted run; then a rerun
# must say the file is complete, exit 0 and leave it untouched. Set SNF_TEST_SEED to replay a sequence.
set -u
snforge=$1
src=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/snf_resume.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
seed=${SNF_TEST_SEED:-$$}
RANDOM=$seed
echo "kill schedule seed: $seed (SNF_TEST_SEED=$seed replays it)"

# The small campaign with smaller blocks, so kills land between, inside and across many block writes.
sed -e 's/^block_rows = .*/block_rows = 256/' -e 's/^chunk_rows = .*/chunk_rows = 128/' \
    "$src/grids/87a_small.ini" > "$work/small.ini"

"$snforge" grid "$work/small.ini" -o "$work/ref.h5" --threads 2 -q 2> "$work/ref.log" || { cat "$work/ref.log"; fail "reference run"; }

kills=0
for round in $(seq 1 12); do
  [ -f "$work/out.h5" ] && break
  "$snforge" grid "$work/small.ini" -o "$work/out.h5" --threads 2 -q 2>> "$work/runs.log" &
  pid=$!
  # 10 .. 700 ms: before the file exists, during creation, inside block writes, near the end.
  ms=$(( 10 + RANDOM % 690 ))
  sleep "$(printf '0.%03d' "$ms")"
  if kill -9 "$pid" 2>/dev/null; then
    kills=$((kills + 1))
    echo "round $round: killed after ${ms} ms"
  else
    echo "round $round: finished before ${ms} ms"
  fi
  wait "$pid" 2>/dev/null
done
if [ ! -f "$work/out.h5" ]; then
  "$snforge" grid "$work/small.ini" -o "$work/out.h5" --threads 1 -q 2>> "$work/runs.log" || { cat "$work/runs.log"; fail "final run"; }
fi
echo "$kills kills"
cat "$work/runs.log"
[ "$kills" -ge 1 ] || fail "no run was killed: the schedule did not test anything"
[ ! -e "$work/out.h5.tmp" ] || fail ".tmp left beside the complete file"
grep -q "resumed past [1-9]" "$work/runs.log" || echo "note: no run resumed past written blocks (kills all came early)"

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
