#!/usr/bin/env bash
# bench_vs_torch.sh [BUILD_DIR] [THREADS] [LENGTHS...]: the trainer's speed against its PyTorch peer,
# measured side by side in one script on this machine (the machine is shared: only figures taken
# together compare). For each length it runs ../shared/bench/torch_inception_bench.py (Debian's
# /usr/bin/python3 with python3-torch) and build/bench_train with the same threads and batch 64, and
# prints samples/s for training and inference and the ratio C / PyTorch.
#   nn/bench_vs_torch.sh build 2 128 256 512
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
threads=${2:-2}
shift $(( $# >= 2 ? 2 : $# ))
lengths=("$@")
[ ${#lengths[@]} -gt 0 ] || lengths=(128 256 512)
peer=$here/../../shared/bench/torch_inception_bench.py
[ -f "$peer" ] || { echo "bench_vs_torch: no PyTorch peer at $peer" >&2; exit 1; }
/usr/bin/python3 -c 'import torch' 2>/dev/null || { echo "bench_vs_torch: apt-get install python3-torch" >&2; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); threads $threads; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
printf '%-6s %12s %12s %8s %12s %12s %8s\n' L train_C train_torch ratio infer_C infer_torch ratio
for L in "${lengths[@]}"; do
  /usr/bin/python3 -W ignore "$peer" --lengths "$L" --threads "$threads" --json "$work/t.json" --max-wait 30 > "$work/t.log" 2>&1 \
    || { cat "$work/t.log"; exit 1; }
  steps=$(( L <= 128 ? 10 : (L <= 256 ? 8 : 5) ))
  "$build/bench_train" --length "$L" --threads "$threads" --steps "$steps" --warmup 2 > "$work/c.log" 2>&1 \
    || { cat "$work/c.log"; exit 1; }
  read -r tt ti < <(/usr/bin/python3 - "$work/t.json" "$L" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = [x for x in d["results"] if int(x["L"]) == int(sys.argv[2])][0]
print(r["train_samples_per_s"]["median"], r["infer_samples_per_s"]["median"])
PY
)
  ct=$(awk '/^train_samples_per_s/ {print $2}' "$work/c.log")
  ci=$(awk '/^infer_samples_per_s/ {print $2}' "$work/c.log")
  printf '%-6s %12.1f %12.1f %8.2f %12.1f %12.1f %8.2f\n' "$L" "$ct" "$tt" "$(echo "$ct / $tt" | bc -l)" \
    "$ci" "$ti" "$(echo "$ci / $ti" | bc -l)"
done
