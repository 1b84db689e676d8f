#!/usr/bin/env bash
# recipe_ablation.sh DATA.h5 OUTDIR ARCH EPOCHS [NAME='KEYS' ...]: short training runs that differ in one
# recipe element each, on the same data, split, seed and number of steps (not wall time, so a busy
# machine does not bias them), printing the validation MAPE of each run's saved model (best epoch; the
# EMA when on). KEYS are [train] lines separated by ';', e.g. 'schedule = cosine; ema = 0.99'.
#   train/recipe_ablation.sh small.h5 /tmp/abl lite 12 base='' cosine='schedule = cosine'
# Environment: SNFORGE (default build/snforge), THREADS (2), LR (1e-3), VAL (0.1), TEST (0.05), LENGTH (128).
set -eu
if [ $# -lt 4 ] || [ "$1" = -h ] || [ "$1" = --help ]; then sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
here=$(cd "$(dirname "$0")" && pwd)
data=$(cd "$(dirname "$1")" && pwd)/$(basename "$1"); out=$2; arch=$3; epochs=$4; shift 4
snforge=${SNFORGE:-$here/../build/snforge}
mkdir -p "$out"
printf '%-14s %6s %7s %9s %7s %7s %7s %7s\n' variant epochs wall_s val_loss E% M% R% Ni%
for spec in "$@"; do
  name=${spec%%=*}; keys=${spec#*=}
  ini=$out/$name.ini; rm -f "$out/$name.h5"
  { printf '[data]\nfile = %s\nlength = %s\nvalidation = %s\ntest = %s\n' "$data" "${LENGTH:-128}" "${VAL:-0.1}" "${TEST:-0.05}"
    printf '[train]\nseed = 1\nepochs = %s\nbatch = 64\n' "$epochs"
    echo "$keys" | grep -q '^ *lr *=\|; *lr *=' || printf 'lr = %s\n' "${LR:-1e-3}"
    [ -n "$keys" ] && echo "$keys" | tr ';' '\n' | sed 's/^ *//'
    printf '[plateau]\npatience = 2\n[early_stop]\npatience = 0\n[model]\narch = %s\nbn_momentum = 0.9\n' "$arch"
  } > "$ini"
  t0=$(date +%s.%N)
  "$snforge" train "$ini" -o "$out/$name.h5" --threads "${THREADS:-2}" > "$out/$name.log" 2>&1 || { tail -3 "$out/$name.log"; exit 1; }
  t1=$(date +%s.%N)
  line=$(grep -m1 "validation (" "$out/$name.log")
  loss=$(grep -o 'val loss [0-9.]*' "$out/$name.log" | tail -1 | awk '{print $3}')
  read -r e m r n < <(echo "$line" | sed -E 's/.*MAPE E ([0-9.]+)% M ([0-9.]+)% R ([0-9.]+)% Ni ([0-9.]+)%.*/\1 \2 \3 \4/')
  printf '%-14s %6s %7.0f %9s %7s %7s %7s %7s\n' "$name" "$epochs" "$(echo "$t1 - $t0" | bc)" "$loss" "$e" "$m" "$r" "$n"
done
