#!/bin/bash
# progenitor_sweep.sh [SNFORGE] [ZONES]: how the progenitor's structure shapes a hydro light curve. SNEC model
# m000's explosion (E = 1.5 foe, M_Ni = 0.075 Msun mixed to the He-core edge, M = 16.5 Msun, R0 = 3.1e12 cm)
# on progenitors built by `snforge progenitor` with one structure knob moved at a time across its range, each
# run by `snforge hydro` for 250 days. Per run: the early minimum (lowest L over days 15-70, its day), the
# plateau / second peak (highest L after the minimum up to day 200, its day), the depth log10(L_peak/L_min),
# L at day 50. Table on stdout and in validation/results/progenitor_sweep.md. Heavy: under flock
# /tmp/snforge-heavy.lock, one model at a time; the load average is printed beside it.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(dirname "$HERE")
SNF=${1:-$SRC/build/snforge}
ZONES=${2:-200}
M000=${SNEC_DIR:-$SRC/../shared/hydro/snec}/m000
OUT=$(mktemp -d "${TMPDIR:-/tmp}/progenitor_sweep.XXXXXX") # profiles, parameters, CSVs: not kept
trap 'rm -rf "$OUT"' EXIT
[ -x "$SNF" ] || { echo "no snforge program at $SNF" >&2; exit 2; }
[ -r "$M000/parameters" ] || { echo "no SNEC model m000 at $M000" >&2; exit 2; }
exec 9> /tmp/snforge-heavy.lock
flock 9
LOAD0=$(uptime)
rows=()
for knobs in "" "--n-env 1.5" "--n-env 2" "--n-env 4" "--he-fraction 0.2" "--he-fraction 0.45" \
             "--hhe-width 1" "--hhe-width 2" "--x-env 0.5" "--x-env 0.8" "--z-env 0.001" "--z-env 0.03"; do
  name=$(echo "default $knobs" | sed 's/^default --//; s/ --/_/g; s/ /=/g'); [ -n "$knobs" ] || name=default
  # shellcheck disable=SC2086
  summary=$("$SNF" progenitor --mass 16.5 --radius 3.1e12 $knobs -o "$OUT/$name" 2>&1) || { echo "$name: $summary"; continue; }
  mhe=$(echo "$summary" | sed -n 's/.*M_He \([0-9.]*\),.*/\1/p')
  sed -e "s|\"bsg.short\"|\"$OUT/$name.short\"|" -e "s|\"bsg.iso.dat\"|\"$OUT/$name.iso.dat\"|" \
      -e "s/^Ni_boundary_mass .*/Ni_boundary_mass    = $mhe/" "$M000/parameters" > "$OUT/$name.parameters"
  t0=$(date +%s.%N)
  if ! taskset -c 0 "$SNF" hydro "$OUT/$name.parameters" --zones "$ZONES" -o "$OUT/$name.csv" 2> "$OUT/$name.log"; then
    echo "$name: hydro failed: $(tail -1 "$OUT/$name.log")"; continue
  fi
  wall=$(echo "$(date +%s.%N) - $t0" | bc)
  row=$(awk -F, -v name="$name" -v knobs="${knobs:-(defaults)}" -v mhe="$mhe" -v wall="$wall" '
    NR > 1 { t[NR] = $1; L[NR] = $2; n = NR }
    END {
      imin = 0; for (i = 2; i <= n; i++) if (t[i] >= 15 && t[i] <= 70 && (imin == 0 || L[i] < L[imin])) imin = i
      ipk = 0; for (i = imin; i <= n; i++) if (t[i] <= 200 && (ipk == 0 || L[i] > L[ipk])) ipk = i
      i50 = 0; for (i = 2; i <= n; i++) if (t[i] == 50) i50 = i
      printf "| %s | %s | %d | %.3e | %d | %.3e | %.3f | %.3e | %.1f |", knobs, mhe, t[imin], L[imin], t[ipk], L[ipk],
             log(L[ipk] / L[imin]) / log(10), L[i50], wall
    }' "$OUT/$name.csv")
  echo "$row"
  rows+=("$row")
done
{
  echo "# Progenitor structure against the light curve (validation/progenitor_sweep.sh)"
  echo
  echo "m000's explosion (E 1.5 foe, M_Ni 0.075 Msun mixed to the He-core edge, 16.5 Msun, R0 3.1e12 cm), one structure"
  echo "knob moved at a time; \`snforge hydro\` at $ZONES zones, 250 days. Minimum: lowest L over days 15-70; peak: highest"
  echo "L after it up to day 200; depth: log10(L_peak / L_min). Load average: before \`$LOAD0\`, after \`$(uptime)\`."
  echo
  echo "| knobs | M_He [Msun] | day of min | L_min [erg/s] | day of peak | L_peak [erg/s] | depth [dex] | L(day 50) | wall [s] |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
} > "$HERE/results/progenitor_sweep.md"
echo "written $HERE/results/progenitor_sweep.md"
