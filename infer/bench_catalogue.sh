#!/usr/bin/env bash
# bench_catalogue.sh SNFORGE MODEL.h5 [N] [OBS.csv]: catalogue mode's speed (by hand, not in CI). Answers a list
# of N (10,000) copies of one observation file (SN 1987A's by default) with 1 and with 2 threads, three
# times each, and prints objects per second (median), their ratio, and the load average beside them.
# The figure includes reading and encoding every file, the network on batches of 64 objects, the OOD
# test and writing the table; with a Monte Carlo dropout model each object runs alone (see infer.h).
# Objects are dealt to the threads in chunks of 64, each thread with a network of its own (catalogue.c). On a
# shared machine the wall-clock rate follows the load: the CPU time per object (user + system, 1 thread) is
# printed beside it, and the tables of 1 and 2 threads must be byte-identical (the script fails otherwise).
set -eu
snforge=$1 model=$2 n=${3:-10000}
obs=${4:-$(cd "$(dirname "$0")/.." && pwd)/validation/data/sn1987a/sn1987a_obs.csv}
work=$(mktemp -d /tmp/snf_benchcat.XXXXXX)
trap 'rm -rf "$work"' EXIT
{ echo "name,path"; for i in $(seq 1 "$n"); do echo "o$i,$obs"; done; } > "$work/list.csv"
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
rate() { # rate THREADS: median objects/s of three runs (the table kept as out_THREADS.csv)
  for r in 1 2 3; do
    "$snforge" predict "$model" --catalogue "$work/list.csv" -o "$work/out_$1.csv" --threads "$1" 2>&1 \
      | sed -n 's/.* \([0-9.e+]*\) objects\/s .*/\1/p'
  done | sort -g | sed -n 2p
}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
r1=$(rate 1)
r2=$(rate 2)
cmp -s "$work/out_1.csv" "$work/out_2.csv" || { echo "bench_catalogue.sh: the tables of 1 and 2 threads differ" >&2; exit 1; }
cpu=$( { /usr/bin/time -f "%U %S" "$snforge" predict "$model" --catalogue "$work/list.csv" -o "$work/out_t.csv" \
         --threads 1 > /dev/null 2> "$work/err"; } 2>&1; tail -1 "$work/err")
echo "CPU time, 1 thread (whole command: list, answers, table): $(echo "$cpu" | awk -v n="$n" '{ printf "%.1f us/object (user %s s, system %s s)", ($1 + $2) / n * 1e6, $1, $2 }')"
echo "catalogue of $n objects ($(basename "$model")): 1 thread $r1 objects/s, 2 threads $r2 objects/s (ratio $(awk -v a="$r2" -v b="$r1" 'BEGIN{printf "%.2f", a/b}'))"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
