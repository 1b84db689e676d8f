#!/bin/bash
# test_hydro_fuzz.sh SNFORGE SOURCE_DIR SHARED_DIR: builds tests/fuzz_columns.c with clang -fsanitize=fuzzer,address
# against the column parser's sources and runs it for SNF_FUZZ_SECONDS (default 20) on a seed corpus of real files.
# Exits 77 (ctest: Skipped) with a message when clang or its libFuzzer runtime is not installed.
set -u
SRC=$2; SHARED=$3
SECS=${SNF_FUZZ_SECONDS:-20}
CLANG=$(command -v clang || command -v clang-14 || true)
if [ -z "$CLANG" ]; then echo "SKIP: clang not installed (Debian: apt-get install clang libclang-rt-14-dev)"; exit 77; fi
W=$(mktemp -d "${TMPDIR:-/tmp}/snf_fuzz.XXXXXX")
trap 'rm -rf "$W"' EXIT
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n); int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' > "$W/probe.c"
if ! "$CLANG" -fsanitize=fuzzer "$W/probe.c" -o "$W/probe" 2>/dev/null; then
  echo "SKIP: $CLANG has no libFuzzer runtime (Debian: apt-get install libclang-rt-14-dev)"; exit 77
fi
GSL_FLAGS=$(pkg-config --cflags --libs gsl 2>/dev/null || echo "-lgsl -lgslcblas -lm")
INIH_FLAGS=$(pkg-config --cflags --libs inih 2>/dev/null || echo "-linih")
# the door core.h declares the HDF5 helpers too (core/h5io.h): its include path, nothing linked
HDF5_CFLAGS=$(pkg-config --cflags hdf5-serial 2>/dev/null || echo "-I/usr/include/hdf5/serial")
"$CLANG" -std=c11 -D_DEFAULT_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$SRC/include" $HDF5_CFLAGS "$SRC/tests/fuzz_columns.c" "$SRC/grids/hydro/hydro_table.c" "$SRC/core/fileio.c" "$SRC/grids/hydro/import_columns.c" \
  "$SRC/core/ini.c" "$SRC/grids/hydro/hydro_resample.c" -o "$W/fuzz_columns" $GSL_FLAGS $INIH_FLAGS 2>"$W/build.err"
if [ ! -x "$W/fuzz_columns" ]; then echo "FAIL: building the fuzzer:"; cat "$W/build.err"; exit 1; fi
mkdir -p "$W/corpus"
i=0
for f in "$SRC"/validation/data/stella/* "$SRC"/validation/data/snec/index.csv; do
  head -c 4000 "$f" > "$W/corpus/seed$i"; i=$((i + 1))
done
head -c 3000 "$SRC/validation/data/snec/m000/Data/lum_observed.dat" > "$W/corpus/snec"
printf '[columns]\ntime = 1\nlum = 3\nvph = 2\nskip = 1\n[units]\ntime = s\nlum_scale = log10\nvph = cm/s\n[time]\norigin = lmax\noffset = 1\n\n---\nt,v,l\n0,1e9,41\n86400,9e8,42\n172800,8e8,41.5\n' > "$W/corpus/cfg"
echo "fuzzing the column parser for $SECS s ..."
if "$W/fuzz_columns" -max_total_time="$SECS" -max_len=8192 -rss_limit_mb=1024 -print_final_stats=1 "$W/corpus" \
     >"$W/fuzz.log" 2>&1; then
  grep -E "stat::number_of_executed_units|Done" "$W/fuzz.log" | head -3
  echo "PASS: no crash"
  exit 0
fi
echo "FAIL: the fuzzer found a crash:"; tail -60 "$W/fuzz.log"
exit 1
