#!/usr/bin/env bash
# final_coverage.sh DIR: the out-of-fold coverage of the deployable model's calibration (snforge curriculum
# --final, DIR/final/oof.csv): each hydro model's interval is its fold model's log10 prediction +- z sigma
# (z = 1 for 68%, 1.95996 for 95%), sigma^2 the residual variance of the calibration. Two figures per
# parameter and pooled: "fitted" with sigma^2 fitted on all N out-of-fold residuals (what model.h5 stores:
# in-sample for the variance), and "leave-one-out" with sigma^2 fitted on the other N-1 (each model's
# interval from a variance that never saw it: the honest figure). Prints a CSV.
set -euo pipefail
f=${1:?usage: final_coverage.sh DIR}/final/oof.csv
[ -r "$f" ] || { echo "final_coverage.sh: no $f (run snforge curriculum ... --final first)" >&2; exit 2; }
awk -F, 'NR > 1 { n++; for (k = 0; k < 4; k++) { r[n, k] = log($(3 + k) / $(7 + k)) / log(10); s[k] += r[n, k]^2 } }
END {
  split("energy,mass,radius,nickel", nm, ",");
  print "parameter,n,sigma_dex,fitted_cover68_pct,fitted_cover95_pct,loo_cover68_pct,loo_cover95_pct";
  for (k = 0; k < 4; k++) {
    a68 = a95 = b68 = b95 = 0; sd = sqrt(s[k] / n);
    for (i = 1; i <= n; i++) {
      e = r[i, k] < 0 ? -r[i, k] : r[i, k]; sl = sqrt((s[k] - r[i, k]^2) / (n - 1));
      a68 += e <= sd; a95 += e <= 1.95996 * sd; b68 += e <= sl; b95 += e <= 1.95996 * sl
    }
    P68 += a68; P95 += a95; L68 += b68; L95 += b95;
    printf "%s,%d,%.4f,%.1f,%.1f,%.1f,%.1f\n", nm[k + 1], n, sd, 100 * a68 / n, 100 * a95 / n, 100 * b68 / n, 100 * b95 / n
  }
  printf "pooled,%d,,%.1f,%.1f,%.1f,%.1f\n", 4 * n, 100 * P68 / (4 * n), 100 * P95 / (4 * n), 100 * L68 / (4 * n), 100 * L95 / (4 * n)
}' "$f"
