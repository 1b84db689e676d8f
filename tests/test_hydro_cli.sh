#!/bin/bash
# test_hydro_cli.sh SNFORGE SOURCE_DIR SHARED_DIR: `snforge import` and `snforge compare` end to end: every format on
# real sample files, the --like grid, exit 2 naming file:line for each class of malformed input, and the tables (and
# PNGs when matplotlib is installed) of compare on the bundled SNEC models.
set -u
SNF=$1; SRC=$2; SHARED=$3
W=$(mktemp -d "${TMPDIR:-/tmp}/snf_hydro_cli.XXXXXX")
trap 'rm -rf "$W"' EXIT
fails=0
skipped=
ok()   { echo "PASS $1"; }
bad()  { echo "FAIL $1"; fails=$((fails + 1)); }
PY=/usr/bin/python3

SNEC_INDEX=$SHARED/hydro/snec/index.csv
[ -r "$SNEC_INDEX" ] || SNEC_INDEX=$SRC/validation/data/snec/index.csv
BUNDLED=$SRC/validation/data/snec/index.csv

# ---- good imports ----
if "$SNF" import --format snec --index "$SNEC_INDEX" -o "$W/snec.h5" 2>"$W/err"; then ok "import snec ($SNEC_INDEX)"; else bad "import snec: $(cat "$W/err")"; fi
[ ! -e "$W/snec.h5.tmp" ] && ok "no .tmp left" || bad "a .tmp was left"
if "$SNF" import --format snec --index "$BUNDLED" -o "$W/b.h5" 2>/dev/null; then ok "import bundled snec"; else bad "import bundled snec"; fi
if "$SNF" import --format stella --index "$SRC/validation/data/stella/index.csv" -o "$W/st.h5" --t-max 200 2>/dev/null; then
  ok "import stella excerpts"; else bad "import stella excerpts"; fi
"$SNF" simulate --t-max 120 --dt 0.5 -o "$W/like.h5" 2>/dev/null
if "$SNF" import --format snec --index "$BUNDLED" --like "$W/like.h5" -o "$W/liked.h5" 2>/dev/null; then ok "import --like"; else bad "import --like"; fi

# columns: SNEC's own files through a config (seconds, cgs), must equal the snec reader on the same grid.
mkdir -p "$W/col"
cat > "$W/col/snec_as_columns.ini" <<'INI'
; SNEC's lum_observed.dat read as a generic table
[columns]
time = 1
lum = 2
vph = 0
[units]
time = s
lum = erg/s
[time]
origin = run
INI
M0=$SRC/validation/data/snec/m000/Data/lum_observed.dat
printf 'path,energy,mass,radius,nickel\n%s,1.5,15,3.1e12,0.075\n' "$M0" > "$W/col/index.csv"
if "$SNF" import --format columns --config "$W/col/snec_as_columns.ini" --index "$W/col/index.csv" -o "$W/col.h5" 2>"$W/err"; then
  ok "import columns"; else bad "import columns: $(cat "$W/err")"; fi

if [ -x "$PY" ] && "$PY" -c "import h5py, numpy" 2>/dev/null; then
  "$PY" - "$W" <<'PYEOF' && ok "dataset contents (h5py)" || bad "dataset contents (h5py)"
import sys, h5py, numpy as np
w = sys.argv[1]
with h5py.File(w + "/snec.h5") as f:
    assert f.attrs["source"] in ("hydro:snec", b"hydro:snec"), f.attrs["source"]
    assert f.attrs["complete"] == 1
    names = [s.decode() if isinstance(s, bytes) else s for s in f["params"].attrs["names"]]
    assert names[:4] == ["energy", "mass", "radius", "nickel"] and "m_total_msun" in names, names
    t = f["time"][:]; l = f["log_lbol"][:]; v = f["vph"][:]
    assert len(t) == 301 and t[0] == 0 and t[-1] == 300
    assert np.all(np.isnan(l[:, 0])) and np.all(np.isfinite(l[:, 1:251])) and np.all(np.isnan(l[:, 251:]))
    assert np.all(np.isnan(v[:, 200:])), "v_ph masked after the deepest photosphere"
    assert f["status_msg"][0].decode().startswith("m0")
with h5py.File(w + "/liked.h5") as f, h5py.File(w + "/like.h5") as g:
    assert np.array_equal(f["time"][:], g["time"][:])
with h5py.File(w + "/col.h5") as f, h5py.File(w + "/b.h5") as g:
    assert np.allclose(f["log_lbol"][0], g["log_lbol"][0], equal_nan=True, atol=1e-6)
    assert np.all(np.isnan(f["vph"][:]))
PYEOF
else
  skipped="$skipped h5py dataset contents (no /usr/bin/python3 with h5py and numpy)"
fi

# ---- malformed input: exit 2 and the message names file:line ----
expect2() { # name, expected "file:line" fragment, command...
  local name=$1 where=$2; shift 2
  "$@" >"$W/out" 2>"$W/err"; local rc=$?
  if [ $rc -eq 2 ] && grep -q -- "$where" "$W/err"; then ok "$name -> exit 2 naming $where"
  else bad "$name: exit $rc, stderr: $(cat "$W/err")"; fi
}
mkrun() { # dir, lum text, [vel text]
  mkdir -p "$W/bad/$1/Data"
  printf "$2" > "$W/bad/$1/Data/lum_observed.dat"
  printf "${3:-0 0\n86400 1e8\n172800 1e8\n}" > "$W/bad/$1/Data/vel_photo.dat"
  printf 'path,energy,mass,radius,nickel\n%s,1.5,15,3e12,0.07\n' "$1" > "$W/bad/$1.csv"
}
mkrun ok1 '0 0\n86400 1e42\n172800 1e42\n'
mkrun empty ''
mkrun text '0 0\n86400 abc\n172800 1e42\n'
mkrun nan '0 0\n86400 NaN\n172800 1e42\n'
mkrun neg '0 0\n86400 -1e42\n172800 1e42\n'
mkrun few '0 0\n'
mkrun nonmono '0 0\n86400 1e42\n43200 1e42\n'
mkrun dup '0 0\n86400 1e42\n86400 1e42\n'
mkrun cols '0 0\n86400 1e42 7\n172800 1e42\n'
mkrun vbad '0 0\n86400 1e42\n172800 1e42\n' '0 0\n86400 x\n'
printf 'path,energy,mass,radius,nickel\nmissing,1.5,15,3e12,0.07\n' > "$W/bad/missing.csv"
expect2 "missing run folder" "missing/lum_observed.dat: No such file" "$SNF" import --format snec --index "$W/bad/missing.csv" -o "$W/x.h5"
expect2 "missing index" "nothere.csv: No such file" "$SNF" import --format snec --index "$W/nothere.csv" -o "$W/x.h5"
expect2 "index given as a folder" "it is a folder, expected a file" "$SNF" import --format snec --index "$W/bad" -o "$W/x.h5"
expect2 "empty file" "empty/Data/lum_observed.dat:1" "$SNF" import --format snec --index "$W/bad/empty.csv" -o "$W/x.h5"
expect2 "text where a number belongs" "text/Data/lum_observed.dat:2" "$SNF" import --format snec --index "$W/bad/text.csv" -o "$W/x.h5"
expect2 "NaN" "nan/Data/lum_observed.dat:2" "$SNF" import --format snec --index "$W/bad/nan.csv" -o "$W/x.h5"
expect2 "negative luminosity" "neg/Data/lum_observed.dat:2" "$SNF" import --format snec --index "$W/bad/neg.csv" -o "$W/x.h5"
expect2 "too few rows" "few/Data/lum_observed.dat:1" "$SNF" import --format snec --index "$W/bad/few.csv" -o "$W/x.h5"
expect2 "non-monotonic times" "nonmono/Data/lum_observed.dat:3" "$SNF" import --format snec --index "$W/bad/nonmono.csv" -o "$W/x.h5"
expect2 "duplicate times" "dup/Data/lum_observed.dat:3" "$SNF" import --format snec --index "$W/bad/dup.csv" -o "$W/x.h5"
expect2 "wrong column count" "cols/Data/lum_observed.dat:2" "$SNF" import --format snec --index "$W/bad/cols.csv" -o "$W/x.h5"
expect2 "bad velocity file" "vbad/Data/vel_photo.dat:2" "$SNF" import --format snec --index "$W/bad/vbad.csv" -o "$W/x.h5"
printf 'path,energy,mass,nickel\nok1,1,10,0.1\n' > "$W/bad/noradius.csv"
expect2 "missing index column" "noradius.csv:1" "$SNF" import --format snec --index "$W/bad/noradius.csv" -o "$W/x.h5"
printf '[columns]\ntime = 1\nlum = two\n' > "$W/bad/c.ini"
expect2 "bad columns config" "c.ini:3" "$SNF" import --format columns --config "$W/bad/c.ini" --index "$W/bad/ok1.csv" -o "$W/x.h5"
expect2 "unknown format" "--format" "$SNF" import --format kepler --index "$W/bad/ok1.csv" -o "$W/x.h5"
[ ! -e "$W/x.h5" ] && [ ! -e "$W/x.h5.tmp" ] && ok "failed imports leave no file" || bad "a failed import left a file"
"$SNF" import --format snec --index "$W/bad/ok1.csv" -o "$W/ok1.h5" --t-max 3 2>/dev/null && ok "a 3-row run imports" || bad "a 3-row run"
expect2 "compare on a non-hydro file" "expected a hydro dataset" "$SNF" compare "$W/like.h5" -o "$W/cmpbad"
expect2 "compare on a missing file" "nofile.h5:0" "$SNF" compare "$W/nofile.h5" -o "$W/cmpbad"

# ---- compare on the bundled models ----
if "$SNF" compare "$W/b.h5" -o "$W/cmp" --fit 2>"$W/err"; then ok "compare --fit"; else bad "compare: $(cat "$W/err")"; fi
[ "$(grep -c '^m0' "$W/cmp/residuals.csv")" = 12 ] && ok "residuals.csv: 4 models x 3 closures" || bad "residuals.csv rows"
head -1 "$W/cmp/residuals.csv" | grep -q "dlogL_early_median.*dlogL_tail_median.*fit_energy" && ok "residuals.csv header" || bad "residuals.csv header"
grep -q "^flux,dlogL,peak," "$W/cmp/summary.csv" && grep -q "^temperature,fit_bias_energy,all," "$W/cmp/summary.csv" \
  && ok "summary.csv rows" || bad "summary.csv rows"
grep -q "| flux | dlog L (dex) |" "$W/cmp/report.md" && grep -q "fit MAPE" "$W/cmp/report.md" && ok "report.md tables" || bad "report.md"
[ -s "$W/cmp/curves/m000.csv" ] && ok "curve files" || bad "curve files"
if [ -x "$PY" ] && "$PY" -c "import matplotlib" 2>/dev/null; then
  [ -s "$W/cmp/m000.png" ] && [ -s "$W/cmp/summary.png" ] && ok "PNGs written" || bad "PNGs missing"
else
  skipped="$skipped PNGs (no /usr/bin/python3 with matplotlib)"
fi
# the curve files' days strictly increase (a repeated day 0 was reported once; not reproduced since)
awk -F, 'FNR == 1 { n = 0 } /^[0-9]/ { if (n++ && $1 + 0 <= p) bad = 1; p = $1 + 0 } END { exit bad }' "$W"/cmp/curves/*.csv \
  && ok "curve files: days strictly increasing" || bad "a curve file repeats a day"
# a second compare into the same folder replaces it whole: curves/ holds only the new run's models, no .tmp left
{ sed -n 2p "$BUNDLED"; sed -n 3p "$BUNDLED" | sed "s|^|${BUNDLED%/*}/|"; } > "$W/one.csv"
"$SNF" import --format snec --index "$W/one.csv" -o "$W/one.h5" 2>/dev/null || bad "import of one model"
"$SNF" compare "$W/one.h5" -o "$W/cmp" --no-plot 2>"$W/err" || bad "compare into a used folder: $(cat "$W/err")"
[ "$(ls "$W/cmp/curves" | wc -l)" = 1 ] && [ -z "$(ls -d "$W"/cmp/*.tmp "$W"/cmp/*.old 2>/dev/null)" ] \
  && ok "a rerun replaces the curves folder whole" || bad "curves after a rerun: $(ls "$W/cmp" "$W/cmp/curves" | tr '\n' ' ')"
"$SNF" compare "$W/b.h5" -o "$W/cmp" --fit --no-plot 2>"$W/err" || bad "compare again: $(cat "$W/err")"
"$SNF" compare "$W/b.h5" -o "$W/cmp2" --python /nonexistent/python 2>"$W/err"; rc=$?
[ $rc -eq 0 ] && grep -q "no plots" "$W/err" && [ -s "$W/cmp2/report.md" ] && ok "no python: tables, exit 0" || bad "no python: exit $rc"
echo "$fails failed"
[ $fails -eq 0 ] || exit 1
# A check that could not run makes the whole test Skipped in ctest (SKIP_RETURN_CODE 77), never Passed.
if [ -n "$skipped" ]; then echo "SKIPPED:$skipped"; exit 77; fi
