#!/usr/bin/env bash
# test_grids_mpi.sh SNFORGE SOURCE_DIR SHARED_DIR (registered only with -DSNF_ENABLE_MPI=ON):
# `mpirun -np 2 snforge grid` splits the small campaign over two ranks into shard files joined by rank 0;
# the joined datasets must be byte-equal to a one-process run, and a rerun must say it is complete.
snforge=$1
src=$2
. "${BASH_SOURCE%/*}/lib.sh"
snf_scratch gridmpi
small="$src/grids/87a_small.ini"

"$snforge" grid "$small" -o "$work/one.h5" --threads 2 -q || fail "one-process run"
out=$("${mpirun[@]}" "$snforge" grid "$small" -o "$work/mpi.h5" --threads 1 -q 2>&1) || fail "mpirun: $out"
echo "$out"
echo "$out" | grep -q "(2 ranks): 4096 models" || fail "summary: $out"
[ -f "$work/mpi.shard0-of-2.h5" ] && [ -f "$work/mpi.shard1-of-2.h5" ] || fail "shard files missing"
same_datasets "$work/one.h5" "$work/mpi.h5" "mpirun -np 2 vs one process" || fail "MPI datasets differ"
out=$("${mpirun[@]}" "$snforge" grid "$small" -o "$work/mpi.h5" -q 2>&1) || fail "rerun: $out"
echo "$out" | grep -q "is complete" || fail "rerun did not say complete: $out"
echo "PASS: MPI campaign"
