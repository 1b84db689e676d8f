#!/usr/bin/env bash
# test_real_honesty.sh SNFORGE SOURCE_DIR: the honesty rules of real objects (issue 22, item 6) on a tiny
# luminosity-only deployable model (snforge curriculum --final on a 256-model campaign and the 4 bundled SNEC
# models; a luminosity-only curriculum is `[data] channels = luminosity`): an object unlike the training set
# gets the OOD flag (SN 2012aw and SN 2017eaw, red-supergiant plateaus; SN 1987A with its luminosity x30, a
# distance error), named in the caveat by the nearest-curve distance, which SN 1987A and SN 2000cb pass; an
# object with no usable series is an error with a message (in a catalogue, and exit 2 alone); every answered
# row of the catalogue carries its flags (ood_flag and outside_range never empty).
snforge=$1
src=$2
. "${BASH_SOURCE%/*}/lib.sh"
snf_scratch realhonesty
cd "$work" || exit 1
py=/usr/bin/python3
[ -x "$py" ] || py=python3
real="$src/validation/data/real"
obs="$src/validation/data/sn1987a/sn1987a_obs.csv"

snf_fixture campaign.h5 sa.h5 # the shared campaign: 256 models of validation/curriculum_campaign.ini (tests/fixtures.sh)
snf_fixture hydro.h5 hydro.h5 # and the 4 bundled SNEC runs
sed -e '/^\[ablation/,$d' -e 's/^\[data\]$/[data]\nchannels = luminosity/' "$src/validation/curriculum_tiny.ini" > lum.ini
grep -q "^channels = luminosity" lum.ini || fail "lum.ini: $(cat lum.ini)"
expect 0 "deployable model" -- "$snforge" curriculum lum.ini -o lum --final --final-members 2 --threads 2 --no-plot
model=lum/final/model.h5

# ---- the objects: two RSG plateaus, a distance error, no usable series, the 87A-like controls ----
mkdir -p cat
awk -F, 'BEGIN { OFS = "," } /^#/ || /^t_d/ { print; next } { if ($2 != "") $2 *= 30; if ($3 != "") $3 *= 30; print }' \
  "$obs" > cat/x30.csv
printf 't_d,L_erg_s,L_err,vph_km_s,vph_err\n10,,,5000,100\n20,,,4000,100\n' > cat/vonly.csv
printf '# nothing measured\nt_d,L_erg_s,L_err,vph_km_s,vph_err\n' > cat/empty.csv
cat > cat/list.csv <<EOL
name,path
SN 1987A,$obs
SN 2012aw,$real/SN2012aw/SN2012aw.csv
SN 2017eaw,$real/SN2017eaw/SN2017eaw.csv
SN 1987A x30,x30.csv
velocities only,vonly.csv
empty,empty.csv
SN 2000cb,$real/SN2000cb/SN2000cb.csv
EOL
expect 0 "7 objects, 5 answered" -- "$snforge" predict "$model" --catalogue cat/list.csv -o objects.csv --threads 2
$py - objects.csv <<'PY' || fail "the catalogue's flags"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
by = {}
for r in rows:
    by.setdefault(r["name"], []).append(r)
assert len(by) == 7 and all(len(v) == 4 for v in by.values()), {k: len(v) for k, v in by.items()}
for name in ("SN 2012aw", "SN 2017eaw", "SN 1987A x30"):
    for r in by[name]:
        assert r["status"] == "ok" and r["ood_flag"] == "true", (name, r)
        assert "dex (RMS) from the nearest training curve" in r["message"], (name, r)
for name, what in (("velocities only", "L_erg_s"), ("empty", "")):
    for r in by[name]:
        assert r["status"] == "error" and r["message"] and what in r["message"], (name, r)
        assert all(r[k] == "" for k in ("mean", "std", "lo95", "hi95", "ood_flag", "outside_range")), r
for r in rows:  # never an answer without its flags
    if r["status"] == "ok":
        assert r["ood_flag"] in ("true", "false") and r["outside_range"] in ("true", "false"), r
        assert r["mean"] and r["lo95"] and r["hi95"], r
print("ok: SN 2012aw, SN 2017eaw and SN 1987A x30 flagged OOD; no usable series = error with a message; "
      "every answer with its flags")
PY
# the reason: the nearest training curve too far, which SN 1987A and SN 2000cb are not
for f in "$real/SN2012aw/SN2012aw.csv" cat/x30.csv; do
  out=$("$snforge" predict "$model" "$f" 2>&1) || fail "predict $f: $out"
  echo "$out" | grep -q "dex (RMS) from the nearest training curve" || fail "$f: no nearest-curve reason: $out"
  echo "$out" | grep -q "FLAG: unlike the training inputs" || fail "$f: not flagged: $out"
done
for f in "$obs" "$real/SN2000cb/SN2000cb.csv"; do
  out=$("$snforge" predict "$model" "$f" 2>&1) || fail "predict $f: $out"
  echo "$out" | grep -q "from the nearest training curve" && fail "$f: an 87A-like curve flagged by the nearest-curve test: $out"
done
echo "ok: the caveat names the nearest-curve distance for SN 2012aw and x30, not for SN 1987A or SN 2000cb"
expect 2 "has no L_erg_s values" -- "$snforge" predict "$model" cat/vonly.csv
expect 2 "empty.csv" -- "$snforge" predict "$model" cat/empty.csv
echo "ok: honesty rules"
