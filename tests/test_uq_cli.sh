#!/usr/bin/env bash
# test_uq_cli.sh SNFORGE SOURCE_DIR SHARED_DIR: uncertainty from the outside. The shared 256-model campaign; a
# 2-member Gaussian-head ensemble (trained two at a time) with calibration and MC dropout; predict's
# table and --json (one JSON object with the documented keys, intervals ordered lo95 <= lo68 <= mean-ish
# <= hi68 <= hi95); a shifted observation (light curve x 100) is flagged OOD and still answered (exit 0);
# evaluate's calibration columns; bad [uncertainty] keys exit 2 naming file:line.
snforge=$1
src=$2
shared=$3
. "${BASH_SOURCE%/*}/lib.sh"
snf_scratch uqcli
cd "$work" || exit 1
py=/usr/bin/python3
[ -x "$py" ] || py=python3

snf_fixture campaign.h5 camp.h5 # the shared 256-model campaign (tests/fixtures.sh)

cat > uq.ini <<'EOF'
[data]
file = camp.h5
length = 32
t_start = 1
t_end = 298
[train]
seed = 5
epochs = 3
batch = 32
[model]
filters = 4
depth = 3
kernel = 8
bottleneck = 4
dropout = 0.2
head = gaussian
[uncertainty]
ensemble = 2
jobs = 2
mc_samples = 4
calibrate = yes
[output]
model = uq.h5
EOF
out=$("$snforge" train uq.ini --threads 2 2>&1) || fail "train: $out"
echo "$out" | grep -q "calibration on" || fail "no calibration line: $out"
[ -f uq.h5 ] && [ ! -f uq.h5.member0.h5 ] && [ ! -f uq.h5.member1.h5 ] || fail "member files left or model missing"
echo "ok: 2-member ensemble trained"
out=$("$snforge" train uq.ini --threads 2 2>&1) || fail "rerun: $out"
echo "$out" | grep -q "nothing to do" || fail "a finished ensemble reruns: $out"

obs="$shared/data/sn1987a_obs.csv"
[ -f "$obs" ] || obs="$src/validation/data/sn1987a/sn1987a_obs.csv"
out=$("$snforge" predict uq.h5 "$obs" 2>/dev/null) || fail "predict: $out"
echo "$out"
echo "$out" | grep -q "^energy .* foe" && echo "$out" | grep -q "^ood: Mahalanobis" || fail "predict table"
"$snforge" predict uq.h5 "$obs" --json 2>/dev/null > p.json || fail "predict --json"
$py - p.json <<'EOF' || fail "predict --json content"
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) == {"parameters", "ood", "outside_training_ranges", "interval_excludes_training", "extrapolation",
                  "do_not_use", "caveat"}, d.keys()
for n, u in [("energy", "foe"), ("mass", "Msun"), ("radius", "cm"), ("nickel", "Msun")]:
    p = d["parameters"][n]
    assert set(p) == {"mean", "std", "lo68", "hi68", "lo95", "hi95", "unit"}, p
    assert p["unit"] == u and p["std"] > 0, p
    assert 0 < p["lo95"] <= p["lo68"] < p["hi68"] <= p["hi95"], p
assert set(d["ood"]) == {"score", "p_value", "flag", "available"} and 0 < d["ood"]["p_value"] <= 1, d["ood"]
assert d["ood"]["available"] is True and d["ood"]["flag"] in (True, False), d["ood"]
# the caveat travels with the answer: an extrapolation when flagged OOD or outside the ranges, and then which numbers
# not to use (all four when OOD); an interval that excludes the training range is outside it too
out, exc, dnu = set(d["outside_training_ranges"]), set(d["interval_excludes_training"]), set(d["do_not_use"])
assert exc <= out, (exc, out)
assert d["extrapolation"] == (d["ood"]["flag"] or bool(out)), d
assert dnu == ({"energy", "mass", "radius", "nickel"} if d["ood"]["flag"] else out), (dnu, d["ood"], out)
assert ("EXTRAPOLATION" in d["caveat"]) == d["extrapolation"] and ("do not use" in d["caveat"]) == bool(dnu), d["caveat"]
if d["ood"]["flag"] and "from the nearest training curve" not in d["caveat"]:  # the reason given is the true one
    assert ("below" in d["caveat"]) == (d["ood"]["p_value"] < 0.01) and \
        ("farther from them than every validation curve" in d["caveat"]) == (d["ood"]["p_value"] >= 0.01), d
for n in exc:  # the whole 95% interval beyond what was trained on: named in the caveat
    assert n in d["caveat"], (n, d["caveat"])
print("ok: predict --json", d["ood"], d["outside_training_ranges"], d["do_not_use"], d["caveat"])
EOF
echo "$out" | grep -q "^caveat: " || fail "predict table: no caveat line"
# an object unlike the training set: the luminosity times 100
awk -F, 'BEGIN{OFS=","} /^#/ || /^t_d/ {print; next} { if ($2 != "") $2 = $2 * 100; print }' "$obs" > bright.csv
"$snforge" predict uq.h5 bright.csv --json 2>/dev/null > b.json || fail "predict on a shifted object must still answer"
$py -c "
import json,sys; d=json.load(open('b.json')); assert d['ood']['flag'] is True, d['ood']
assert d['extrapolation'] is True and d['do_not_use'] == ['energy', 'mass', 'radius', 'nickel'], d
assert 'EXTRAPOLATION' in d['caveat'] and 'do not use energy, mass, radius or nickel' in d['caveat'], d['caveat']
print('ok: shifted object flagged, all four numbers not to use:', d['ood'], d['caveat'])" \
  || fail "the shifted object is not flagged, or its caveat does not say which numbers not to use"
out=$("$snforge" predict uq.h5 bright.csv 2>/dev/null)
[ "$(echo "$out" | grep -cE '^(energy|mass|radius|nickel) .*DO NOT USE$')" -eq 4 ] && echo "$out" | grep -q "^caveat: EXTRAPOLATION" \
  || fail "the table of a flagged object: DO NOT USE on every parameter and the caveat line: $out"
# A model file without an OOD fit (the /uq OOD datasets removed, as in files written before them): the OOD test is
# reported as not available, never as "not OOD" (flag null in JSON, said in words in the table and the caveat).
cp uq.h5 noood.h5
$py - noood.h5 <<'EOF' || fail "could not strip the OOD fit"
import h5py, sys
with h5py.File(sys.argv[1], "r+") as f:
    g = f["uq"]
    names = [k for k in g.keys() if k.startswith("ood")]
    assert names and g.attrs["has_ood"] == 1, (list(g.keys()), dict(g.attrs))
    for k in names:
        del g[k]
    g.attrs["has_ood"] = g.attrs["has_ood"] * 0
EOF
"$snforge" predict noood.h5 "$obs" --json 2>/dev/null > n.json || fail "predict without an OOD fit: $(cat n.json)"
$py -c "
import json; d=json.load(open('n.json'))
assert d['ood'] == {'score': None, 'p_value': None, 'flag': None, 'available': False}, d['ood']
assert 'OOD test is not available' in d['caveat'], d['caveat']
print('ok: no OOD fit: flag null, available false;', d['caveat'])" || fail "an unavailable OOD test printed as a verdict: $(cat n.json)"
out=$("$snforge" predict noood.h5 "$obs" 2>/dev/null)
echo "$out" | grep -q "^ood: NOT AVAILABLE" && ! echo "$out" | grep -q "^ood: .*in distribution" \
  || fail "table without an OOD fit: $out"

"$snforge" evaluate uq.h5 camp.h5 -o ev --no-plot > ev.txt 2>&1 || fail "evaluate: $(cat ev.txt)"
head -n 1 ev/metrics.csv | grep -q ",coverage68_pct,coverage95_pct,nll,keypoints_mape_pct,keypoints_n$" || fail "metrics.csv header"
head -n 1 ev/parity.csv | grep -q "energy_true,energy_pred,energy_std" || fail "parity.csv header"
[ "$(wc -l < ev/reliability.csv)" -eq 21 ] || fail "reliability.csv rows"
echo "ok: evaluate writes coverage, NLL, std and the reliability curve"

out=$("$snforge" explain uq.h5 camp.h5 -o xp --rows 2 --steps 4 --no-plot 2>&1) || fail "explain: $out"
[ -s xp/explain.csv ] && [ "$(wc -l < xp/phases.csv)" -eq 9 ] && [ -s xp/summary.md ] && echo "$out" | grep -q "^energy *IG" \
  || fail "explain outputs: $out"
head -n 1 xp/explain.csv | grep -q "^t_d,ig_energy_L,occ_energy_L,ig_energy_vph" || fail "explain.csv header"
out=$("$snforge" explain uq.h5 "$obs" -o xp87 --steps 4 --window 100 --no-plot 2>&1); [ $? -eq 2 ] \
  && echo "$out" | grep -q -- "--window 100 is longer" || fail "explain --window 100: $out"
echo "ok: explain"
out=$("$snforge" plan uq.h5 --epochs 3 2>&1) || fail "plan: $out"
[ "$(echo "$out" | grep -cE '^[0-9]+,[0-9.]+,(L|vph),')" -eq 3 ] && echo "$out" | grep -q "3 observations keep" \
  || fail "plan output: $out"
out=$("$snforge" plan uq.h5 --epochs 2 "$obs" 2>&1) || fail "plan around SN 1987A: $out"
# v_ph is never proposed after the stand-in's photosphere is gone (after the end of its dome, derived/t_plateau_end_d,
# or where its v_ph is NaN); the precision figure is explained in words
"$snforge" plan uq.h5 --epochs 40 > plan.csv 2> plan.err || fail "plan --epochs 40: $(cat plan.err)"
$py - plan.csv camp.h5 <<'EOF' || fail "plan proposes v_ph where the stand-in has no photosphere: $(cat plan.csv)"
import csv, re, sys, h5py, numpy as np
text = open(sys.argv[1]).read()
row = int(re.search(r"stand-in curve: row (\d+)", text).group(1))
with h5py.File(sys.argv[2], "r") as f:
    end = float(f["derived/t_plateau_end_d"][row])
    t, v = f["time"][:], f["vph"][row]
last_v = t[np.isfinite(v)].max()
assert re.search(r"v_ph proposed only to day %.0f" % end, text), text[:400]
days = [float(r["day"]) for r in csv.DictReader(l for l in text.splitlines() if not l.startswith("#")) if r["series"] == "vph"]
assert days and max(days) <= min(end, last_v) + 1e-9, (days, end, last_v)
print("ok: plan's v_ph days end by day %.1f (dome end %.1f, v_ph defined to %.1f): %s" % (max(days), end, last_v, days))
EOF
grep -q "precision kept = the predicted standard deviation" plan.err && grep -q "100% means" plan.err \
  || fail "plan does not say what its precision figure means: $(cat plan.err)"
out=$("$snforge" plan uq.h5 2>&1); [ $? -eq 2 ] && echo "$out" | grep -q "epochs K" || fail "plan without --epochs: $out"
echo "ok: plan"
# One inference path (infer.h): predict, plan and explain check an observation the same way. A file without
# velocities for a model trained on both series, and one outside the model's grid, are refused by all three.
awk -F, 'BEGIN{OFS=","} /^#/ {print; next} !hdr {print; hdr=1; next} $2 != "" {$4=""; $5=""; print}' "$obs" > lonly.csv
awk -F, 'BEGIN{OFS=","} /^#/ {print; next} !hdr {print; hdr=1; next} {$1=$1+2000; print}' "$obs" > late.csv
for cmd in "predict uq.h5 lonly.csv" "plan uq.h5 --epochs 2 lonly.csv" "explain uq.h5 lonly.csv -o xl --steps 2 --no-plot"; do
  out=$("$snforge" $cmd 2>&1); rc=$?
  [ $rc -eq 2 ] && echo "$out" | grep -q "lonly.csv has no vph_km_s values" || fail "$cmd: exit $rc: $out"
done
for cmd in "predict uq.h5 late.csv" "plan uq.h5 --epochs 2 late.csv" "explain uq.h5 late.csv -o xd --steps 2 --no-plot"; do
  out=$("$snforge" $cmd 2>&1); rc=$?
  [ $rc -eq 2 ] && echo "$out" | grep -q "late.csv does not overlap the model's grid" || fail "$cmd: exit $rc: $out"
done
echo "ok: predict, plan and explain refuse the same observations with the same messages"

printf '[data]\nfile = camp.h5\n[uncertainty]\nensemble = 0\n' > bad1.ini
out=$("$snforge" train bad1.ini 2>&1); [ $? -eq 2 ] && echo "$out" | grep -q "bad1.ini:4" || fail "ensemble = 0: $out"
printf '[data]\nfile = camp.h5\n[uncertainty]\nmc_samples = 5\n' > bad2.ini
out=$("$snforge" train bad2.ini 2>&1); [ $? -eq 2 ] && echo "$out" | grep -q "dropout > 0" || fail "mc without dropout: $out"
printf '[data]\nfile = camp.h5\n[model]\nhead = laplace\n' > bad3.ini
out=$("$snforge" train bad3.ini 2>&1); [ $? -eq 2 ] && echo "$out" | grep -q "bad3.ini:4.*expected mse or gaussian" || fail "head: $out"
echo "ok: bad [uncertainty] / head keys exit 2"
echo "all uq cli checks passed"

# ---- the explosion epoch's uncertainty: the answer is the equal mixture of the answers at 9 shifted epochs ----
# Brute force: the 9 shifted files answered one by one; the mixture's mean is the mean of their means and its
# second moment the mean of theirs (std^2 + mean^2), to the printed digits.
"$snforge" predict uq.h5 "$obs" --t0-err 3 --json --digits 12 > t0.json 2> t0.err || fail "predict --t0-err: $(cat t0.err)"
grep -q "marginalised over the explosion epoch's uncertainty +- 3 d (9 epochs)" t0.err || fail "no t0 note: $(cat t0.err)"
$py - "$obs" <<'EOF2' > nodes.txt || fail "nodes"
import sys
from statistics import NormalDist
n = 9
for i in range(n):
    print(0.0 if 2 * i + 1 == n else 3.0 * NormalDist().inv_cdf((i + 0.5) / n))
EOF2
i=0
while read -r d; do
  awk -F, -v d="$d" 'BEGIN{OFS=","} /^#/ {next} !hdr {print; hdr=1; next} {t=$1+d; if (t > 0) {$1=sprintf("%.17g", t); print}}' "$obs" > "s$i.csv"
  "$snforge" predict uq.h5 "s$i.csv" --json --digits 12 > "s$i.json" 2> /dev/null || fail "predict on shifted file $i"
  i=$((i + 1))
done < nodes.txt
$py - t0.json s?.json <<'EOF2' || fail "t0 marginalisation against the brute-force mixture"
import json, sys, math
m = json.load(open(sys.argv[1]))["parameters"]
runs = [json.load(open(f))["parameters"] for f in sys.argv[2:]]
for k in ("energy", "mass", "radius", "nickel"):
    mean = sum(r[k]["mean"] for r in runs) / len(runs)
    e2 = sum(r[k]["std"] ** 2 + r[k]["mean"] ** 2 for r in runs) / len(runs)
    std = math.sqrt(max(e2 - mean * mean, 0))
    assert abs(m[k]["mean"] - mean) <= 1e-6 * mean, (k, m[k]["mean"], mean)
    assert abs(m[k]["std"] - std) <= 1e-5 * std, (k, m[k]["std"], std)
print("ok: t0 marginalisation = the brute-force mixture of 9 shifted answers (mean, std)")
EOF2
{ echo "# t0_err_d = 3"; cat "$obs"; } > t0line.csv
"$snforge" predict uq.h5 t0line.csv --json --digits 12 > t0l.json 2> /dev/null || fail "predict t0 line"
cmp -s <(sed 's/.*"parameters"//' t0.json) <(sed 's/.*"parameters"//' t0l.json) \
  || fail "the file's '# t0_err_d = 3' line gives another answer than --t0-err 3"
echo "ok: '# t0_err_d = 3' in the file = --t0-err 3"

# ---- catalogue mode: relative paths, a BOM, a bad row among good ones, quoted names, 10,000 rows ----
mkdir -p cat/objs
cp "$obs" cat/objs/a.csv
printf '\xEF\xBB\xBFt_d,L_erg_s,L_err,vph_km_s,vph_err\r\n' > cat/objs/bom.csv
grep -v '^#' "$obs" | tail -n +2 | sed 's/$/\r/' >> cat/objs/bom.csv
printf 'name,path,t0_err_d\n"SN 1987A, again","objs/a.csv",\nbom "q",objs/bom.csv,\nmissing,objs/none.csv,\nlonly,../lonly.csv,\nshifted,objs/a.csv,3\n' \
  | sed 's/"q"/""q""/; s/bom ""q""/"bom ""q"""/' > cat/list.csv
"$snforge" predict uq.h5 "$obs" --json --digits 12 > single.json 2> /dev/null || fail "predict"
out=$("$snforge" predict uq.h5 --catalogue cat/list.csv -o objects.csv 2>&1) || fail "catalogue: $out"
echo "$out" | grep -q "5 objects, 3 answered" || fail "catalogue summary: $out"
$py - objects.csv single.json t0.json <<'EOF2' || fail "catalogue table"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert list(rows[0].keys()) == "name,parameter,mean,std,lo68,hi68,lo95,hi95,unit,ood_score,ood_p_value,ood_flag,outside_range,status,message".split(","), rows[0].keys()
assert len(rows) == 20, len(rows)
by = {}
for r in rows:
    by.setdefault(r["name"], {})[r["parameter"]] = r
assert set(by) == {"SN 1987A, again", 'bom "q"', "missing", "lonly", "shifted"}, set(by)
one = json.load(open(sys.argv[2]))["parameters"]
t0 = json.load(open(sys.argv[3]))["parameters"]
for k in ("energy", "mass", "radius", "nickel"):
    for name, ref in (("SN 1987A, again", one), ('bom "q"', one), ("shifted", t0)):
        r = by[name][k]
        assert r["status"] == "ok", r
        for f in ("mean", "std", "lo95", "hi95"):
            assert abs(float(r[f]) - ref[k][f]) <= 1e-5 * abs(ref[k][f]), (name, k, f, r[f], ref[k][f])
    assert by["missing"][k]["status"] == "error" and "none.csv" in by["missing"][k]["message"], by["missing"][k]
    assert by["lonly"][k]["status"] == "error" and "has no vph_km_s values" in by["lonly"][k]["message"], by["lonly"][k]
    assert by["missing"][k]["mean"] == "" and by["missing"][k]["ood_flag"] == ""
print("ok: catalogue = predict object by object (relative paths, BOM + CRLF, quoted names, t0 column); bad rows "
      "get status error with their reason")
EOF2
{ echo "name,path"; for i in $(seq 1 9996); do echo "gone$i,objs/none$i.csv"; done; for i in 1 2 3 4; do echo "good$i,objs/a.csv"; done; } > cat/big.csv
out=$("$snforge" predict uq.h5 --catalogue cat/big.csv -o big.csv 2>&1) || fail "catalogue of 10,000: $out"
echo "$out" | grep -q "10000 objects, 4 answered" || fail "10,000-row summary: $out"
[ "$(wc -l < big.csv)" -eq 40001 ] && [ "$(grep -c ',ok,' big.csv)" -eq 16 ] || fail "10,000-row table"
printf 'name,path\nx,\n' > cat/bad.csv
expect 2 "cat/bad.csv:2: an empty name or path" -- "$snforge" predict uq.h5 --catalogue cat/bad.csv -o x.csv
printf 'name;path\n' > cat/bad2.csv
expect 2 "bad header" -- "$snforge" predict uq.h5 --catalogue cat/bad2.csv -o x.csv
expect 2 "catalogue mode is" -- "$snforge" predict uq.h5 --catalogue cat/list.csv
printf 'name,path\nalpha,objs/a.csv\nbeta,objs/a.csv\n# a comment\nalpha,objs/bom.csv\n' > cat/dup.csv
expect 2 "cat/dup.csv:5: the name 'alpha' is already used on line 2" -- "$snforge" predict uq.h5 --catalogue cat/dup.csv \
  -o x.csv
# a write that fails (here the file-size limit, as a full disk would): errno's reason and the file, not "write error"
out=$( (trap '' XFSZ; ulimit -f 4; "$snforge" predict uq.h5 --catalogue cat/big.csv -o x.csv) 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "x.csv.tmp.*File too large" || fail "a failed write (exit $rc): $out"
[ ! -e x.csv ] || fail "a refused catalogue wrote its output"
echo "ok: catalogue of 10,000 rows; bad lists refused with file:line"
