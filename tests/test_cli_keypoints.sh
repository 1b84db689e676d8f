#!/usr/bin/env bash
# test_cli_keypoints.sh SNFORGE SOURCE_DIR SHARED_DIR: `snforge keypoints` on an observation file (SN 1987A), a
# dataset file, CSV and JSON output, bad inputs (issue 11).
set -u
snf=$1; src=$2; shared=$3
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
expect() {
  local code=$1 pat=$2; shift 2
  "$snf" "$@" > /dev/null 2> "$tmp/err"; local rc=$?
  if [ "$rc" -eq "$code" ] && grep -qE -- "$pat" "$tmp/err"; then ok "$* -> exit $rc"
  else bad "$* -> exit $rc (want $code '$pat'): $(head -c 300 "$tmp/err")"; fi
}
printf 't_d,L_erg_s,L_err,vph_km_s,vph_err\n10,1e41,,,\n20,-3,,,\n' > "$tmp/bad.csv"
expect 2 "bad.csv:3" keypoints "$tmp/bad.csv"
printf 't_d,L_erg_s,L_err,vph_km_s,vph_err\n10,1e41,,,\n20,2e41,,,\n' > "$tmp/two.csv"
expect 2 "fewer than 3 luminosities" keypoints "$tmp/two.csv"
expect 2 "cannot read observation file" keypoints "$tmp/missing.csv"
expect 2 "--kappa 'x' is invalid" keypoints "$obs" --kappa x
expect 2 "expected one light curve" keypoints
"$snf" keypoints --help | grep -q "nickel_from_tail" && ok "keypoints --help" || bad "keypoints --help"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
