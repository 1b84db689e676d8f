#!/usr/bin/env bash
# test_grids_mpi.sh SNFORGE SOURCE_DIR SHARED_DIR (registered only with -DSNF_ENABLE_MPI=ON):
# `mpirun -np 2 snforge grid` splits the small campaign over two ranks into shard files joined by rank 0;
# the joined datasets must be byte-equal to a one-process run, and a rerun must say it is complete.
set -u
snforge=$1
src=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/snf_gridmpi.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
mpirun=(mpirun -np 2 --oversubscribe)
[ "$(id -u)" = 0 ] && mpirun+=(--allow-run-as-root)
small="$src/grids/87a_small.ini"

"$snforge" grid "$small" -o "$work/one.h5" --threads 2 -q || fail "one-process run"
out=$("${mpirun[@]}" "$snforge" grid "$small" -o "$work/mpi.h5" --threads 1 -q 2>&1) || fail "mpirun: $out"
echo "$out"
echo "$out" | grep -q "(2 ranks): 4096 models" || fail "summary: $out"
[ -f "$work/mpi.shard0-of-2.h5" ] && [ -f "$work/mpi.shard1-of-2.h5" ] || fail "shard files missing"
/usr/bin/python3 - "$work/one.h5" "$work/mpi.h5" <<'PY' || fail "MPI datasets differ"
import sys, h5py
def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, o[...]) if isinstance(o, h5py.Dataset) else None)
    return out
a, b = datasets(sys.argv[1]), datasets(sys.argv[2])
assert sorted(a) == sorted(b)
for k in a:
    assert a[k].tobytes() == b[k].tobytes(), k
print(f"{len(a)} datasets byte-equal (mpirun -np 2 vs one process)")
PY
out=$("${mpirun[@]}" "$snforge" grid "$small" -o "$work/mpi.h5" -q 2>&1) || fail "rerun: $out"
echo "$out" | grep -q "is complete" || fail "rerun did not say complete: $out"
echo "PASS: MPI campaign"
