#!/usr/bin/env bash
# test_files_fuzz.sh SNFORGE SOURCE_DIR SHARED_DIR: libFuzzer targets beside the column parser's
# (test_hydro_fuzz.sh), built with clang -fsanitize=fuzzer,address,undefined and run SNF_FUZZ_SECONDS (default 20)
# each from the corpus committed in tests/fuzz/corpus:
#   fuzz_observe  the observation reader (train/observe_read.c over the text-table reader core/fileio.c) and the
#                 resampling onto a grid (train/observe_grid.c)
#   fuzz_ini      the INI readers: campaign config (grids/config.c) and training config (train/train_config.c)
# Prints "TARGET: runs N, crashes C" per target. Exit 77 (ctest: Skipped, never Passed) without clang or its
# libFuzzer runtime; the rest of the library is linked from the build's libsnforge.a, uninstrumented.
set -u
SNF=$1
SRC=$2
BUILD=$(cd "$(dirname "$SNF")" && pwd)
SECS=${SNF_FUZZ_SECONDS:-20}
CLANG=$(command -v clang || command -v clang-14 || true)
if [ -z "$CLANG" ]; then echo "SKIP: clang not installed (Debian: apt-get install clang libclang-rt-14-dev)"; exit 77; fi
W=$(mktemp -d "${TMPDIR:-/tmp}/snf_fuzzf.XXXXXX")
trap 'rm -rf "$W"' EXIT
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n); int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' > "$W/probe.c"
if ! "$CLANG" -fsanitize=fuzzer "$W/probe.c" -o "$W/probe" 2>/dev/null; then
  echo "SKIP: $CLANG has no libFuzzer runtime (Debian: apt-get install libclang-rt-14-dev)"; exit 77
fi
LIB=$BUILD/libsnforge.a
[ -f "$LIB" ] || LIB=$(ls "$BUILD"/libsnforge.so 2>/dev/null)
GSL_FLAGS=$(pkg-config --cflags --libs gsl 2>/dev/null || echo "-lgsl -lgslcblas -lm")
INIH_FLAGS=$(pkg-config --cflags --libs inih 2>/dev/null || echo "-linih")
HDF5_FLAGS=$(pkg-config --cflags --libs hdf5-serial 2>/dev/null || echo "-I/usr/include/hdf5/serial -L/usr/lib/x86_64-linux-gnu/hdf5/serial -lhdf5")
SUNDIALS_FLAGS="-lsundials_cvode -lsundials_nvecserial -lsundials_sunlinsoldense -lsundials_sunmatrixdense"
CF="-std=c11 -D_DEFAULT_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
CF="$CF -I$SRC/include -I$SRC/tests/fuzz -I$BUILD/include -I$BUILD"
CF="$CF $(pkg-config --cflags hdf5-serial 2>/dev/null || echo -I/usr/include/hdf5/serial)"  # core.h declares the HDF5 helpers
"$CLANG" $CF "$SRC/tests/fuzz/fuzz_observe.c" "$SRC/train/observe_read.c" "$SRC/train/observe_grid.c" \
  "$SRC/train/normalize.c" "$SRC/nn/rng.c" "$SRC/core/fileio.c" -o "$W/fuzz_observe" -lm \
  2>"$W/build_observe.err" || { echo "FAIL: building fuzz_observe:"; cat "$W/build_observe.err"; exit 1; }
"$CLANG" $CF "$SRC/tests/fuzz/fuzz_ini.c" "$SRC/grids/config.c" "$SRC/core/ini.c" "$SRC/core/fileio.c" "$SRC/train/train_config.c" \
  "$SRC/grids/sampler.c" "$SRC/nn/adam.c" "$SRC/train/normalize.c" "$SRC/models/params.c" "$LIB" \
  -o "$W/fuzz_ini" $HDF5_FLAGS $SUNDIALS_FLAGS $GSL_FLAGS $INIH_FLAGS -lopenblas -fopenmp -lm 2>"$W/build_ini.err" \
  || { echo "FAIL: building fuzz_ini:"; cat "$W/build_ini.err"; exit 1; }
status=0
for t in observe ini; do
  mkdir -p "$W/corpus_$t"
  cp "$SRC/tests/fuzz/corpus/$t"/* "$W/corpus_$t/"
  "$W/fuzz_$t" -max_total_time="$SECS" -max_len=8192 -rss_limit_mb=1024 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$W/" "$W/corpus_$t" >"$W/$t.log" 2>&1
  rc=$?
  runs=$(grep -o "stat::number_of_executed_units: [0-9]*" "$W/$t.log" | grep -o "[0-9]*$")
  if [ $rc -eq 0 ]; then
    echo "fuzz_$t: runs ${runs:-?}, crashes 0, hangs 0 ($SECS s)"
  else
    echo "FAIL: fuzz_$t found a crash or hang (exit $rc):"; tail -40 "$W/$t.log"; status=1
  fi
done
exit $status
