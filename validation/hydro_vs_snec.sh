#!/bin/bash
# hydro_vs_snec.sh [SNFORGE] [ZONES] [HYDRO OPTIONS...]: `snforge hydro` on the 17 SNEC 1.01 models of ../shared/hydro/snec (each
# model's own parameter file and progenitor), compared model for model with SNEC's outputs by
# validation/hydro_vs_snec.py: validation/results/hydro_vs_snec.md (per model and medians) and a PNG per model
# in validation/results/hydro_vs_snec/. Heavy: runs under flock /tmp/snforge-heavy.lock, one model at a time
# on one core. The load average is printed beside the timings.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(dirname "$HERE")
SNF=${1:-$SRC/build/snforge}
ZONES=${2:-300}
shift $(( $# < 2 ? $# : 2 ))
OPTS=("$@") # e.g. --dtmax 50000 --theta 0.7
SNEC=${SNEC_DIR:-$SRC/../shared/hydro/snec}
OUT=$HERE/results/hydro_vs_snec
mkdir -p "$OUT"
[ -x "$SNF" ] || { echo "no snforge program at $SNF" >&2; exit 2; }
[ -d "$SNEC" ] || { echo "no SNEC models at $SNEC" >&2; exit 2; }
exec 9> /tmp/snforge-heavy.lock
flock 9
echo "load average before: $(uptime)"
: > "$OUT/timings.txt"
for d in "$SNEC"/m[0-9]*; do
  m=$(basename "$d")
  if taskset -c 0 "$SNF" hydro "$d/parameters" --zones "$ZONES" ${OPTS[@]+"${OPTS[@]}"} -o "$OUT/$m.csv" 2> "$OUT/$m.log"; then
    echo "$m $(tail -1 "$OUT/$m.log")" | tee -a "$OUT/timings.txt"
  else
    echo "$m FAILED: $(tail -1 "$OUT/$m.log")" | tee -a "$OUT/timings.txt"
  fi
done
echo "load average after: $(uptime)"
/usr/bin/python3 "$HERE/hydro_vs_snec.py" "$SNEC" "$OUT" "$HERE/results/hydro_vs_snec.md" "$ZONES" "$(uptime)" "${OPTS[*]:-}"
