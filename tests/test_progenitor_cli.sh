#!/bin/bash
# test_progenitor_cli.sh SNFORGE SOURCE_DIR SHARED_DIR: `snforge progenitor`: the m000 progenitor built and
# written as SNEC's pair (same zone count and first line as the shared file), knob values out of range and
# missing options refused (exit 2 naming the option and its range), --from-profile on a hand-made MESA-like
# table and on one without a density column (exit 2, file:line), no .tmp or .lock left; then builder ->
# `snforge hydro` for 3 days at 60 zones: the built default gives exactly the light curve of the shared
# profile, a softer envelope (n = 2) with a 1 Msun H/He transition a different one.
. "${BASH_SOURCE%/*}/lib.sh"
SNF=$1; SRC=$2; SHARED=$3
snf_scratch progenitor_cli
M=$SHARED/hydro/snec/m000
if [ ! -r "$M/parameters" ]; then echo "no $M: skipped"; exit 77; fi

expect 0 "2382 zones, M = 16.5 Msun" -- "$SNF" progenitor --mass 16.5 --radius 3.1e12 -o "$work/def"
[ "$(head -1 "$work/def.short")" = "$(head -1 "$M/bsg.short")" ] || fail "zone count differs from the shared file"
[ "$(sed -n 2,3p "$work/def.iso.dat")" = "$(sed -n 2,3p "$M/bsg.iso.dat")" ] || fail "A / Z rows differ"
awk 'NR == FNR { if (FNR > 1) for (k = 2; k <= 5; k++) ref[FNR, k] = $k; next }
     FNR > 1 { for (k = 2; k <= 5; k++) { d = $k / ref[FNR, k] - 1; if (d > 1e-6 || d < -1e-6) bad = 1 } }
     END { exit bad }' "$M/bsg.short" "$work/def.short" || fail "def.short differs from m000/bsg.short beyond 1e-6"
ls "$work" | grep -q -e '\.tmp$' -e '\.lock$' && fail "a .tmp or .lock was left: $(ls "$work")"
# the pair is written both or neither: with the second file's lock held by another run, the first is refused too
s0=$(md5sum "$work/def.short" "$work/def.iso.dat")
flock "$work/def.iso.dat.lock" sleep 30 &
holder=$!
for _ in $(seq 100); do flock -n "$work/def.iso.dat.lock" true 2>/dev/null || break; sleep 0.05; done
expect 1 "def.iso.dat is being written by another snforge run" -- "$SNF" progenitor --mass 17 --radius 3.1e12 -o "$work/def"
kill "$holder"; wait "$holder" 2>/dev/null
[ "$s0" = "$(md5sum "$work/def.short" "$work/def.iso.dat")" ] || fail "a refused run changed the pair"
rm -f "$work/def.iso.dat.lock"

expect 2 "\-\-n-env = 5: outside \[1.5, 4\]" -- "$SNF" progenitor --mass 16.5 --radius 3.1e12 --n-env 5 -o "$work/x"
expect 2 "\-\-hhe-width = -1: outside \[0, 2\]" -- "$SNF" progenitor --mass 16.5 --radius 3.1e12 --hhe-width -1 -o "$work/x"
expect 2 "\-\-x-env '0.7q' is not a finite number" -- "$SNF" progenitor --mass 16.5 --radius 3.1e12 --x-env 0.7q -o "$work/x"
expect 2 "\-\-mass is required" -- "$SNF" progenitor --radius 3.1e12 -o "$work/x"
expect 2 "\-o PREFIX is required" -- "$SNF" progenitor --mass 16.5 --radius 3.1e12
expect 2 "unknown option" -- "$SNF" progenitor --mass 16.5 --radius 3.1e12 --bogus 1 -o "$work/x"
[ ! -e "$work/x.short" ] || fail "a refused run wrote a file"

printf '# MESA-like, surface first\nzone mass logR logRho logT velocity h1 he4 o16\n1 10 1.5 -9 4.2 0 0.7 0.28 0.02\n2 5 0 -3 6 0 0 0.98 0.02\n3 2 -1 1 8 0 0 0 1\n' > "$work/mesa.data"
expect 0 "3 zones" -- "$SNF" progenitor --from-profile "$work/mesa.data" -o "$work/conv"
[ "$(head -1 "$work/conv.short")" = "3" ] || fail "converted zone count"
printf 'mass radius temperature h1\n1 1 1e4 0.7\n2 2 1e4 0.7\n' > "$work/bad.data"
expect 2 "bad.data:1: no column for density" -- "$SNF" progenitor --from-profile "$work/bad.data" -o "$work/bad"
expect 2 "do not apply" -- "$SNF" progenitor --from-profile "$work/mesa.data" --mass 12 -o "$work/conv2"

# builder -> hydro
expect 0 "M_He 5.775" -- "$SNF" progenitor --mass 16.5 --radius 3.1e12 --n-env 2 --hhe-width 1 -o "$work/soft"
for w in shared def soft; do
  if [ $w = shared ]; then pr=$M/bsg; else pr=$work/$w; fi
  sed -e "s|\"bsg.short\"|\"$pr.short\"|" -e "s|\"bsg.iso.dat\"|\"$pr.iso.dat\"|" -e 's/^tend .*/tend = 259200.0/' \
      "$M/parameters" > "$work/p_$w"
  expect 0 "60 zones" -- "$SNF" hydro "$work/p_$w" --zones 60 -o "$work/$w.csv"
  [ "$(wc -l < "$work/$w.csv")" -eq 4 ] || fail "$w: expected 3 days: $(cat "$work/$w.csv")"
done
cmp -s "$work/shared.csv" "$work/def.csv" || fail "built default and shared profile differ: $(paste -d'|' "$work/shared.csv" "$work/def.csv")"
cmp -s "$work/def.csv" "$work/soft.csv" && fail "n = 2 envelope gives the same light curve"
echo "ok: $(tail -1 "$work/soft.csv")"
echo "PASS"
