#!/usr/bin/env bash
# bench_busy.sh [AFTER_SNFORGE] [BEFORE_SNFORGE]: multi-threaded commands on a busy machine (issue 21 item 1).
# Times `snforge train` (3 epochs of train/train_run.ini's network), `snforge explain` (SN 1987A, defaults) and,
# with BENCH_RUN=1, `snforge run` (the main job, about 1.5 min idle), with 0, 1 and 2 competing busy loops
# (sh -c 'while :; do :; done'), each binary started as a user would (default) and with OMP_WAIT_POLICY=passive set
# by hand, and prints the ratios: default / passive under the same load (goal <= 1.1) and loaded / idle (goal with
# one busy loop on 2 cores <= 1.6). BEFORE_SNFORGE is a build of the code before the change (main's HEAD in a second
# build folder); without it only AFTER is timed. No --threads is given: each binary chooses. The load average and
# the runnable count (/proc/stat procs_running) are printed beside every time. Run by hand, not in CI (minutes;
# wrap it in the heavy-job lock on a shared machine):
#   flock /tmp/snforge-heavy.lock validation/bench_busy.sh build/snforge /tmp/before/build/snforge
# Knobs: BENCH_LOADS (default "0 1 2"), BENCH_WORK (default "train explain", add "run" or set BENCH_RUN=1),
# BENCH_RUN_LOADS (loads at which `run` is timed, default BENCH_LOADS).
set -u
here=$(cd "$(dirname "$0")" && pwd)
after=$(readlink -f "${1:-$here/../build/snforge}")
before=${2:-}
[ -n "$before" ] && before=$(readlink -f "$before")
loads=${BENCH_LOADS:-"0 1 2"}
work_list=${BENCH_WORK:-"train explain"}
[ "${BENCH_RUN:-0}" = 1 ] && work_list="$work_list run"
run_loads=${BENCH_RUN_LOADS:-$loads}
work=$(mktemp -d "${TMPDIR:-/tmp}/snf_busy.XXXXXX")
loops=""
stop_loops() { for p in $loops; do kill "$p" 2> /dev/null; wait "$p" 2> /dev/null; done; loops=""; }
trap 'stop_loops; rm -rf "$work"' EXIT
clean="env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT -u OMP_NUM_THREADS -u SNF_OMP_PASSIVE"
obs=$here/data/sn1987a/sn1987a_obs.csv

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "after: $after"; echo "before: ${before:-none}"
cd "$work" || exit 1
# Inputs once, with the after binary: the run's campaign (4,096 models) and a 3-epoch network for explain.
sed -e 's/^epochs = 30/epochs = 3/' -e "s|^file = 87a_small.h5|file = $work/camp.h5|" \
    -e "s|^model = model.h5|model = $work/model.h5|" "$here/../train/train_run.ini" > train.ini
if ! $clean "$after" grid "$here/../grids/87a_small.ini" -o camp.h5 -q > setup.log 2>&1 \
   || ! $clean "$after" train train.ini > setup.log 2>&1; then
  echo "setup failed:"; cat setup.log; exit 1
fi
cp model.h5 model_explain.h5

# timed LABEL CMD...: wall seconds of CMD (its output to log files), printed with the load.
timed() {
  local t0 t1 rc
  t0=$(date +%s.%N)
  "$@" > "$work/cmd.out" 2> "$work/cmd.err"; rc=$?
  t1=$(date +%s.%N)
  [ $rc -eq 0 ] || { echo "FAILED ($rc): $*"; tail -n 5 "$work/cmd.err"; }
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}

declare -A T
printf '%-8s %-7s %-5s %-8s %9s  %s\n' work binary busy policy wall_s "load avg (1 5 15), runnable"
for w in $work_list; do
  for n in $loads; do
    if [ "$w" = run ] && ! grep -qw "$n" <<< "$run_loads"; then continue; fi
    for i in $(seq 1 "$n"); do sh -c 'while :; do :; done' & loops="$loops $!"; done
    sleep 1
    for b in after before; do
      bin=$after; [ $b = before ] && bin=$before
      [ -n "$bin" ] || continue
      for pol in default passive; do
        env_cmd=$clean; [ $pol = passive ] && env_cmd="$clean OMP_WAIT_POLICY=passive"
        case $w in
          train) rm -f m.h5 m.h5.tmp; sed "s|^model = .*|model = $work/m.h5|" train.ini > t.ini
                 s=$(timed $env_cmd "$bin" train t.ini) ;;
          explain) rm -rf xp; s=$(timed $env_cmd "$bin" explain model_explain.h5 "$obs" -o xp --no-plot) ;;
          run) rm -rf rundir; s=$(timed $env_cmd "$bin" run -o rundir) ;;
        esac
        T[$w,$b,$n,$pol]=$s
        th=$(grep -o '[0-9]* threads x' "$work/cmd.err" | head -n 1 | cut -d' ' -f1)
        printf '%-8s %-7s %-5s %-8s %9s  %s, %s%s\n' "$w" "$b" "$n" "$pol" "$s" "$(cut -d' ' -f1-3 /proc/loadavg)" \
          "$(awk '/^procs_running/ {print $2}' /proc/stat)" "${th:+; $th threads}"
      done
    done
    stop_loops
  done
done

echo
echo "ratios (goals: after default/passive <= 1.1 under load; after 1 busy / idle <= 1.6 on 2 cores)"
printf '%-8s %-7s %-5s %18s %16s\n' work binary busy default/passive "default/idle"
for w in $work_list; do
  for b in after before; do
    for n in $loads; do
      d=${T[$w,$b,$n,default]:-}; p=${T[$w,$b,$n,passive]:-}; i=${T[$w,$b,0,default]:-}
      [ -n "$d" ] && [ -n "$p" ] || continue
      printf '%-8s %-7s %-5s %18s %16s\n' "$w" "$b" "$n" "$(awk -v a="$d" -v b="$p" 'BEGIN {printf "%.2f", a / b}')" \
        "$( [ -n "$i" ] && awk -v a="$d" -v b="$i" 'BEGIN {printf "%.2f", a / b}')"
    done
  done
  for n in $loads; do
    a=${T[$w,after,$n,default]:-}; o=${T[$w,before,$n,default]:-}
    [ -n "$a" ] && [ -n "$o" ] && printf '%-8s after/before (default) with %s busy: %.2f\n' "$w" "$n" \
      "$(awk -v a="$a" -v b="$o" 'BEGIN {print a / b}')"
  done
done
uptime
