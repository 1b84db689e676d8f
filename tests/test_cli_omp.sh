#!/usr/bin/env bash
# test_cli_omp.sh SNFORGE SOURCE_DIR SHARED_DIR: no OpenMP spinning on a busy machine (issue 21 item 1; nn.h).
# libgomp reads OMP_WAIT_POLICY before main(), so snforge re-executes itself once with OMP_WAIT_POLICY=passive when
# the user set neither it nor GOMP_SPINCOUNT. OMP_DISPLAY_ENV=verbose makes libgomp print the environment it started
# with: two blocks (the first image, then the re-executed one, spinning 0 times) prove the re-execution and that
# libgomp itself runs passive; a user's setting gives one block and is kept. The default thread count is the idle
# cores, rounded (/proc/stat over 100 ms): with two competing busy loops, at most the cores minus two (at least 1).
set -u
snf=$1
pass=0; fail=0
ok()  { pass=$((pass+1)); echo "PASS $*"; }
bad() { fail=$((fail+1)); echo "FAIL $*"; }
tmp=$(mktemp -d)
loops=""
cleanup() { for p in $loops; do kill "$p" 2> /dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
clean_env="env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT -u OMP_NUM_THREADS -u SNF_OMP_PASSIVE"

# start VARS...: snforge --version in a clean environment plus VARS, with libgomp's display on.
start() { $clean_env OMP_DISPLAY_ENV=verbose "$@" "$snf" --version > "$tmp/out" 2> "$tmp/err"; }
blocks() { grep -c "OPENMP DISPLAY ENVIRONMENT BEGIN" "$tmp/err"; }
spin() { grep "GOMP_SPINCOUNT" "$tmp/err" | tail -n 1 | sed -E "s/.*'([0-9]+)'.*/\1/"; }

start
[ "$(blocks)" = 2 ] && [ "$(spin)" = 0 ] && grep -q "waiting passive (chosen by snforge)" "$tmp/out" \
  && ok "no policy set: re-executed once, libgomp starts with GOMP_SPINCOUNT 0 ($(grep OpenMP "$tmp/out"))" \
  || bad "no policy set: $(blocks) blocks, spin count $(spin): $(cat "$tmp/out")"
start OMP_WAIT_POLICY=
[ "$(blocks)" = 2 ] && [ "$(spin)" = 0 ] && ok "an empty OMP_WAIT_POLICY counts as unset" || bad "empty policy: $(blocks) blocks"
start OMP_WAIT_POLICY=active
[ "$(blocks)" = 1 ] && [ "$(spin)" != 0 ] && grep -q "waiting active" "$tmp/out" \
  && ok "the user's OMP_WAIT_POLICY=active is kept (one start, spin count $(spin))" || bad "active: $(blocks) blocks, $(spin)"
start OMP_WAIT_POLICY=passive
[ "$(blocks)" = 1 ] && [ "$(spin)" = 0 ] && ok "the user's OMP_WAIT_POLICY=passive: no re-execution" || bad "passive: $(blocks)"
start GOMP_SPINCOUNT=1000
[ "$(blocks)" = 1 ] && [ "$(spin)" = 1000 ] && ok "the user's GOMP_SPINCOUNT=1000 is kept" || bad "spincount: $(blocks), $(spin)"

# The re-executed program gets the same arguments, output and exit status.
$clean_env "$snf" simulate --t-max 20 --energy 2 > "$tmp/a.csv" 2> /dev/null; a=$?
OMP_WAIT_POLICY=passive "$snf" simulate --t-max 20 --energy 2 > "$tmp/b.csv" 2> /dev/null; b=$?
[ $a -eq 0 ] && [ $b -eq 0 ] && cmp -s "$tmp/a.csv" "$tmp/b.csv" && ok "re-executed: same arguments and output" \
  || bad "re-executed output differs (exit $a / $b)"
$clean_env "$snf" simulate --mass 0 > /dev/null 2> "$tmp/err"; a=$?
[ $a -eq 2 ] && grep -q "mass = 0 Msun is invalid" "$tmp/err" && ok "re-executed: exit status 2 and message kept" \
  || bad "re-executed exit $a: $(cat "$tmp/err")"

# Thread count: OMP_NUM_THREADS wins; otherwise the idle cores now.
$clean_env OMP_NUM_THREADS=3 "$snf" --version | grep -q "3 threads by default (OMP_NUM_THREADS" \
  && ok "OMP_NUM_THREADS=3 is kept" || bad "OMP_NUM_THREADS: $($clean_env OMP_NUM_THREADS=3 "$snf" --version | tail -n 1)"
for i in 1 2; do sh -c 'while :; do :; done' & loops="$loops $!"; done
sleep 0.3
line=$($clean_env "$snf" --version | tail -n 1)
for p in $loops; do kill "$p" 2> /dev/null; done; loops=""
read -r th idle cores <<< "$(sed -E 's/.*; ([0-9]+) threads? by default .*; ([0-9.]+) idle of ([0-9]+) cores now.*/\1 \2 \3/' <<< "$line")"
want=$((cores - 2)); [ $want -lt 1 ] && want=1
if [ "${th:-99}" -le $want ] && [ "${th:-0}" -ge 1 ] && awk -v i="$idle" -v c="$cores" 'BEGIN { exit !(i <= c - 1) }'; then
  ok "two busy loops: $th thread(s) by default, $idle idle of $cores cores"
else bad "two busy loops: '$line' (want at most $want threads)"; fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
