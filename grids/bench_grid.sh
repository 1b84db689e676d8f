#!/usr/bin/env bash
# bench_grid.sh [SNFORGE] [CAMPAIGN] [THREADS...]: times a campaign (default: the 205,000-model
# grids/87a_default.ini) once per thread count under /usr/bin/time -v, and prints wall time, models/s,
# peak RSS, file size and the speedup over the first thread count given. cpu_s (user + system) shows
# whether a poor speedup is the program's (cpu_s grows with threads) or a busy machine's (it does not).
# Output files go to ${TMPDIR:-/tmp}/snf_bench and are removed afterwards.
#   grids/bench_grid.sh build/snforge grids/87a_default.ini 1 2
set -eu
here=$(cd "$(dirname "$0")" && pwd)
snforge=${1:-$here/../build/snforge}
campaign=${2:-$here/87a_default.ini}
shift $(( $# >= 2 ? 2 : $# ))
threads=("$@")
[ ${#threads[@]} -gt 0 ] || threads=(1 2)
work=${TMPDIR:-/tmp}/snf_bench
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
echo "campaign: $campaign"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %10s %10s %12s %14s %12s %9s\n' threads wall_s cpu_s models/s peak_RSS_MB file_MB speedup
base=""
for t in "${threads[@]}"; do
  rm -f "$work/bench.h5" "$work/bench.h5.tmp"
  /usr/bin/time -v "$snforge" grid "$campaign" -o "$work/bench.h5" --threads "$t" -q 2> "$work/log" || { cat "$work/log"; exit 1; }
  wall=$(grep -o 'wall [0-9.]* s' "$work/log" | awk '{print $2}')
  rate=$(grep -o '[0-9]* models/s' "$work/log" | awk '{print $1}')
  cpu=$(awk -F: '/User time|System time/ {s += $2} END {printf "%.1f", s}' "$work/log")
  rss=$(awk -F: '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$work/log")
  size=$(stat -c %s "$work/bench.h5" | awk '{printf "%.1f", $1 / 1e6}')
  [ -n "$base" ] || base=$wall
  printf '%-8s %10s %10s %12s %14s %12s %9s\n' "$t" "$wall" "$cpu" "$rate" "$rss" "$size" "$(awk -v a="$base" -v b="$wall" 'BEGIN {printf "%.2f", a / b}')"
  grep '^snforge grid:' "$work/log" | sed 's/^/    /'
done
