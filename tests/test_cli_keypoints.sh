#!/usr/bin/env bash
# test_cli_keypoints.sh SNFORGE SOURCE_DIR SHARED_DIR: `snforge keypoints` on an observation file (SN 1987A), a
# dataset file, CSV and JSON output, bad inputs (issue 11); the key-point baseline beside the network in
# `evaluate` (metrics.csv's keypoints_mape_pct,keypoints_n).
set -u
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
snf=$1; src=$2; shared=$3
snforge=$snf
. "${BASH_SOURCE%/*}/lib.sh" # snf_fixture
pass=0; fail=0
ok()  { pass=$((pass+1)); echo "PASS $*"; }
bad() { fail=$((fail+1)); echo "FAIL $*"; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
obs="$shared/data/sn1987a_obs.csv"; [ -f "$obs" ] || obs="$src/validation/data/sn1987a/sn1987a_obs.csv"

if "$snf" keypoints "$obs" --json > "$tmp/k.json" 2> "$tmp/err"; then
  /usr/bin/python3 - "$tmp/k.json" <<'PY' && ok "SN 1987A key points as JSON (peak ~85 d, M_Ni from the tail 0.07-0.08)" || bad "SN 1987A JSON: $(cat "$tmp/k.json")"
import json, sys
k = json.load(open(sys.argv[1]))
assert 80 < k["t_peak_d"] < 90 and 7e41 < k["L_peak"] < 1.1e42, k
assert 0.07 <= k["nickel_from_tail"] <= 0.08 and 0 < k["nickel_from_tail_err"] < 0.01, k
assert 100 < k["t_dome_end_d"] < 130 and k["vph_30d"] > 0
PY
else bad "keypoints SN 1987A: $(cat "$tmp/err")"; fi
"$snf" keypoints "$obs" -o "$tmp/k.csv" 2> "$tmp/err" && grep -q "^curve,t_peak_d,t_peak_err,L_peak" "$tmp/k.csv" \
  && [ "$(grep -vc '^#' "$tmp/k.csv")" -eq 2 ] && grep -q "Popov 1993" "$tmp/k.csv" \
  && ok "CSV: sources in the header, one row" || bad "CSV: $(head -5 "$tmp/k.csv") $(cat "$tmp/err")"
"$snf" simulate --t-max 400 -o "$tmp/one.h5" 2> /dev/null
if "$snf" keypoints "$tmp/one.h5" --json > "$tmp/h.json" 2> "$tmp/err"; then
  /usr/bin/python3 -c "
import json, sys
rows = [json.loads(l) for l in open('$tmp/h.json')]
assert len(rows) == 1 and rows[0]['curve'] == 'row0' and abs(rows[0]['nickel_from_tail'] / 0.075 - 1) < 0.05, rows
" && ok "dataset file: one JSON object per row, M_Ni from the tail within 5%" || bad "h5 JSON: $(cat "$tmp/h.json")"
else bad "keypoints one.h5: $(cat "$tmp/err")"; fi
# Issue 21 item 3: the hydro model m052 (a day-1 shock-cooling spike on an 87A-like dome) has its peak on the dome,
# not on day 1 (which gave Popov E 1e-7 foe, M 2e-6 Msun, R0 5e16 cm); the dome is outside Popov's domain (NaN and
# the reason, in JSON and CSV), Arnett's rule is in (a nickel-powered dome).
snec=$(cd "$src/validation/data/snec" && pwd)
{ grep -v '^#' "$snec/index.csv" | head -n 1; grep '^m052,' "$snec/index.csv" | sed "s|^m052|$snec/m052|"; } > "$tmp/m052.csv"
if "$snf" import --format snec --index "$tmp/m052.csv" -o "$tmp/m052.h5" > /dev/null 2> "$tmp/err" \
   && "$snf" keypoints "$tmp/m052.h5" --json > "$tmp/m052.json" 2> "$tmp/err"; then
  /usr/bin/python3 - "$tmp/m052.json" <<'PY' && ok "m052: peak on the dome, Popov NaN with its reason, Arnett in domain" || bad "m052: $(cat "$tmp/m052.json")"
import json, sys
k = json.loads(open(sys.argv[1]).readline())
print("  m052: cooling ends day %s, peak day %.1f, L %.3g; Popov: %s" % (k["t_cool_end_d"], k["t_peak_d"], k["L_peak"], k["popov_outside"]))
assert 60 < k["t_peak_d"] < 80 and 4e41 < k["L_peak"] < 6e41 and 20 < k["t_cool_end_d"] < 50, k
assert k["energy_popov_foe"] is None and k["mass_popov_msun"] is None and k["radius_popov_cm"] is None, k
assert "dome" in k["popov_outside"] and k["arnett_outside"] is None and 0.03 < k["nickel_from_peak"] < 0.1, k
PY
  "$snf" keypoints "$tmp/m052.h5" -o "$tmp/m052k.csv" 2> "$tmp/err"
  /usr/bin/python3 - "$tmp/m052k.csv" <<'PY' && ok "m052 CSV: empty Popov columns, popov_outside says why" || bad "m052 CSV: $(cat "$tmp/m052k.csv")"
import csv, sys
r = list(csv.DictReader(l for l in open(sys.argv[1]) if not l.startswith("#")))[0]
assert r["energy_popov_foe"] == "" and "dome" in r["popov_outside"] and r["arnett_outside"] == "", r
PY
else bad "import/keypoints m052: $(cat "$tmp/err")"; fi
# evaluate: the key-point baseline beside a tiny network (the shared model, tests/fixtures.sh: the baseline's columns
# do not depend on the network), on 128 semi-analytic models of grids/87a_small.ini with M <= 25 Msun and E >= 1 foe,
# so every dome ends before day 250 (measured: by day 217) and the tail is seen.
sed -e 's/^n_models = 4096/n_models = 128/' -e 's/^step = 1$/step = 2/' -e 's/^chunk_rows = 256/chunk_rows = 64/' \
    -e 's/^block_rows = 512/block_rows = 64/' "$src/grids/87a_small.ini" | awk '/^\[param\.mass\]/ { s = "m" }
  /^\[param\.energy\]/ { s = "e" } /^\[param\.radius\]/ { s = "r" }
  s == "m" && /^max = / { $0 = "max = 25" } s == "e" && /^min = / { $0 = "min = 1" } { print }' > "$tmp/camp.ini"
snf_fixture model.h5 "$tmp/tiny.h5"
if "$snf" grid "$tmp/camp.ini" -o "$tmp/camp.h5" --threads 2 -q 2> "$tmp/err" && "$snf" evaluate "$tmp/tiny.h5" "$tmp/camp.h5" -o "$tmp/ev" --no-plot > "$tmp/ev.txt" 2> "$tmp/err"; then
  head -n 1 "$tmp/ev/metrics.csv" | grep -q "^parameter,unit,n,mape_pct,.*,coverage95_pct,nll,keypoints_mape_pct,keypoints_n$" \
    && grep -q "keypoints MAPE" "$tmp/ev.txt" && ok "evaluate: keypoints_mape_pct,keypoints_n appended, key points in the table" \
    || bad "evaluate columns: $(head -n 1 "$tmp/ev/metrics.csv") $(head -n 1 "$tmp/ev.txt")"
  # M_Ni from the 56Co tail against the truth: measured 2026-11-29 3.95% MAPE on all 128 rows (the tail estimate
  # is within 5% on semi-analytic models whose dome ends before day 250); bound about 2x that.
  awk -F, '$1 == "nickel" { print "nickel key-point MAPE " $12 "% on " $13 " of " $3 " rows"
    exit !($12 + 0 == $12 && $12 >= 0 && $12 < 8 && $13 == $3) }' "$tmp/ev/metrics.csv" > "$tmp/ni" \
    && ok "$(cat "$tmp/ni") (bound 8%)" || bad "nickel key-point baseline: $(cat "$tmp/ni") $(grep nickel "$tmp/ev/metrics.csv")"
  # Popov's columns count only the rows in his domain (plateaus; issue 21: evaluate once reported a key-point
  # radius error of 281,720% from a dome): the rows `keypoints` gives a Popov estimate, not all 128.
  inpop=$("$snf" keypoints "$tmp/camp.h5" --json | grep -c '"popov_outside": null')
  awk -F, -v k="$inpop" '$1 == "energy" || $1 == "mass" || $1 == "radius" { n++; if ($13 != k || k >= $3) exit 1 }
    END { exit n != 3 }' "$tmp/ev/metrics.csv" && grep -q "only on rows in its domain" "$tmp/ev.txt" \
    && ok "evaluate: Popov's columns on the $inpop of 128 rows in his domain" || bad "Popov rows ($inpop): $(cat "$tmp/ev/metrics.csv")"
  awk -F, 'NR > 1 && !($13 ~ /^[0-9]+$/ && ($13 == 0 || $12 + 0 == $12)) { exit 1 }' "$tmp/ev/metrics.csv" \
    && ok "every parameter: a key-point MAPE where rows have an estimate, a count" || bad "key-point columns: $(cat "$tmp/ev/metrics.csv")"
else bad "grid/evaluate for the key-point baseline: $(cat "$tmp/err")"; fi
expect() {
  local code=$1 pat=$2; shift 2
  "$snf" "$@" > /dev/null 2> "$tmp/err"; local rc=$?
  if [ "$rc" -eq "$code" ] && grep -qE -- "$pat" "$tmp/err"; then ok "$* -> exit $rc"
  else bad "$* -> exit $rc (want $code '$pat'): $(head -c 300 "$tmp/err")"; fi
}
printf 't_d,L_erg_s,L_err,vph_km_s,vph_err\n10,1e41,,,\n20,-3,,,\n' > "$tmp/bad.csv"
expect 2 "snforge keypoints: .*bad.csv:3" keypoints "$tmp/bad.csv"
printf 't_d,L_erg_s,L_err,vph_km_s,vph_err\n10,1e41,,,\n20,2e41,,,\n' > "$tmp/two.csv"
expect 2 "fewer than 3 luminosities" keypoints "$tmp/two.csv"
expect 2 "cannot read observation file" keypoints "$tmp/missing.csv"
expect 2 "--kappa 'x' is not a finite number" keypoints "$obs" --kappa x
expect 2 "--kappa '-1' is invalid: expected a finite number > 0" keypoints "$obs" --kappa -1
expect 2 "expected one light curve" keypoints
# real curves of another shape than SN 1987A's dome are refused (exit 1, the reason), not given key points and nickel
# masses 2-4x off with confident errors: two SNe II-P (a plateau after an early decline; an outlier on day 4 taken
# for a peak) and SN 2018hna (an 87A-like dome whose late scatter was taken for the dome's end, giving a 3-point tail)
real="$shared/data/real"; [ -d "$real/SN2017eaw" ] || real="$src/validation/data/real"
expect 1 "SN2017eaw.csv: not a dome: L rises 1.1x to its maximum \(day 4.9" keypoints "$real/SN2017eaw/SN2017eaw.csv"
expect 1 "SN2012aw.csv: not a dome: L stays above half its maximum \(day 4.1\)" keypoints "$real/SN2012aw/SN2012aw.csv"
expect 1 "SN2018hna.csv: no identifiable end of the dome: the steepest fall after the peak is at day 503.1" \
  keypoints "$real/SN2018hna/SN2018hna.csv"
"$snf" keypoints "$real/SN2018hna/SN2018hna.csv" -o "$tmp/hna.csv" 2> /dev/null
[ ! -e "$tmp/hna.csv" ] && ok "a refused curve writes no -o file" || bad "a refused curve wrote $tmp/hna.csv"
# too few tail points: SN 1987A cut after day 160 (4 tail points over 17 days)
awk -F, '/^#/ || NR == 1 || $1 + 0 < 160' "$obs" > "$tmp/short.csv"
expect 1 "short.csv: too few tail points: 4 over days 144.1-158.1" keypoints "$tmp/short.csv"
# one rule: a tail of 1-4 points is refused however short (cut below day 150: 2 points), no tail at all answers
# with nickel empty and a note saying so (SN 2000cb)
awk -F, '/^#/ || NR == 1 || $1 + 0 < 150' "$obs" > "$tmp/short2.csv"
expect 1 "short2.csv: too few tail points: 2 at 25 d or more after the dome's end" keypoints "$tmp/short2.csv"
expect 0 "SN2000cb.csv: no 56Co tail \(no luminosity 25 d or more after the dome's end, day [0-9.]+\): nickel_from_tail" \
  keypoints "$real/SN2000cb/SN2000cb.csv"
expect 2 "keypoints: -o $tmp/nodir/x.csv: its folder $tmp/nodir does not exist" keypoints "$obs" -o "$tmp/nodir/x.csv"
"$snf" keypoints --help | grep -q "nickel_from_tail" && ok "keypoints --help" || bad "keypoints --help"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
