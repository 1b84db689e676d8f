#!/usr/bin/env bash
# validation/reproduce_iter1.sh: the paper's first iteration (issue 5, last benchmark): InceptionTime
# trained on a semi-analytic 87A-like campaign and tested on held-out semi-analytic models; MAPE, median
# APE and R^2(log10) per parameter beside Grassia, Mangioni, Cosentino & Pumo (2024), < 1% on all four
# (205,000 models).
#
# What it does (every file under $WORK except the results):
#   1. writes train_campaign.ini (N Sobol points, seed 1987, the 87A-like ranges of grids/87a_default.ini,
#      the default physics, a daily grid days 1-300) and test_campaign.ini (NTEST uniform random points,
#      seed 2024: another sampler and seed, so no test model is a training model), runs `snforge grid`;
#   2. writes train.ini: the network ARCH (lite by default: LITE, 32 filters, kernels 40/20/10, the
#      hand-crafted filters, two dilated separable blocks; `inception` is the reference of
#      shared/bench/inceptiontime.md: depth 6, bottleneck 32, residual) and the recipe (batch 64, Adam(W)
#      at the step schedule SCHEDULE peaking at LR, optional EMA / weight decay / clipping; SCHEDULE =
#      plateau gives the first iteration's Adam 1e-3 with reduce-on-plateau), both channels with their
#      masks, LENGTH samples over days 1-300, standardised log10 targets (the trainer's encoding), a random
#      split of the training campaign into train / validation (VAL, best weights) / test (TEST, held out,
#      scored by the trainer with the best weights);
#   3. runs `snforge train --time-budget BUDGET` under /usr/bin/time -v: a step schedule is sized to the
#      steps that fit in BUDGET (timed on the first batch) and ends training; plateau training stops after
#      EPOCHS or after the epoch at which one more would pass BUDGET seconds; the weights of the best
#      validation loss are kept;
#   4. runs `snforge evaluate` on the separate test campaign (metrics.csv, parity.csv, parity.png);
#   5. writes $OUT/iter1.md (the table), $OUT/iter1_metrics.csv, $OUT/iter1_history.csv (the loss curve),
#      $OUT/iter1_parity.png and $OUT/iter1_loss.png (the figures).
#
# Settings (environment variables; defaults in brackets):
#   N [60000]        models in the training campaign (split into train / validation / test)
#   NTEST [10000]    models in the separate test campaign
#   VAL [0.05]       validation fraction of the training campaign
#   TEST [0.1]       held-out test fraction of the training campaign
#   LENGTH [128]     samples per series fed to the network (days 1-300, linear interpolation)
#   EPOCHS [200]     most epochs
#   BUDGET [3000]    training time budget in seconds (0: none, EPOCHS or early stopping end the run)
#   CLOCK [wall]     the clock BUDGET is counted on (`snforge train --budget-clock`): wall, or cpu (the
#                    process's CPU seconds / THREADS: BUDGET seconds on THREADS dedicated cores, for a
#                    benchmark on a shared machine; the table gives both the wall and the CPU time)
#   THREADS [2]      threads for grid, train and evaluate
#   ARCH [lite]      network: lite | inception | hinception ([model] arch)
#   FILTERS [32]     filters per convolution ([model] filters; LITE's width, the reference's 32)
#   SCHEDULE [cosine]  learning-rate schedule by step: cosine | onecycle | constant | plateau
#   LR [3e-2]        peak learning rate (the first iteration: 1e-3 with SCHEDULE=plateau; chosen by
#                    train/recipe_ablation.sh, README.md)
#   WARMUP [0.05]    warm-up fraction of the schedule
#   EMA [0]          weight-EMA decay (0: off)
#   WD [0]           AdamW decoupled weight decay
#   CLIP [0]         gradient-norm clip (0: off)
#   PLATEAU [2]      reduce-LR-on-plateau patience in epochs (SCHEDULE=plateau only)
#   ES [0]           early-stopping patience on the validation loss (0: off; the schedule ends training)
#   SEED [1]         training seed (weights, shuffling)
#   WORK [/tmp/snforge_iter1]   work folder (campaigns, model, logs: large, not committed)
#   OUT [validation/results]    folder of the table, CSVs and figures
#   SNFORGE [build-repro/snforge, else build/snforge]   the program
#   OMP_WAIT_POLICY [passive]   on this shared 2-core machine active spinning collapses when another
#                               process runs (measured 74 vs 200 samples/s, bench_train, L 128, 2 threads)
# Re-running with the same WORK reuses finished campaigns and resumes (or keeps) the model.
#
# Run (the issue's figure):
#   cmake -S . -B build-repro -DCMAKE_BUILD_TYPE=Release && cmake --build build-repro -j2 --target snforge_cli
#   nohup bash validation/reproduce_iter1.sh > /tmp/iter1.log 2>&1 &
# Needs /usr/bin/time and a python3 with h5py + matplotlib (Debian's /usr/bin/python3, or $SNFORGE_PYTHON).
# Exit status: 0 done, 1 a step failed, 2 bad settings.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
    exit 0
fi

N=${N:-60000}
NTEST=${NTEST:-10000}
VAL=${VAL:-0.05}
TEST=${TEST:-0.1}
LENGTH=${LENGTH:-128}
EPOCHS=${EPOCHS:-200}
BUDGET=${BUDGET:-3000}
CLOCK=${CLOCK:-wall}
THREADS=${THREADS:-2}
PLATEAU=${PLATEAU:-2}
ES=${ES:-0}
ARCH=${ARCH:-lite}
FILTERS=${FILTERS:-32}
SCHEDULE=${SCHEDULE:-cosine}
LR=${LR:-3e-2}
WARMUP=${WARMUP:-0.05}
EMA=${EMA:-0}
WD=${WD:-0}
CLIP=${CLIP:-0}
SEED=${SEED:-1}
WORK=${WORK:-/tmp/snforge_iter1}
OUT=${OUT:-$root/validation/results}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
if [ -z "${SNFORGE:-}" ]; then
    SNFORGE="$root/build-repro/snforge"
    [ -x "$SNFORGE" ] || SNFORGE="$root/build/snforge"
fi
PY=${SNFORGE_PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=python3

die() { echo "reproduce_iter1.sh: $*" >&2; exit "${2:-2}"; }
isint() { [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -gt 0 ]; }
isint "$FILTERS" || die "FILTERS must be a positive integer, got '$FILTERS'"
isint "$N" || die "N must be a positive integer, got '$N'"
isint "$NTEST" || die "NTEST must be a positive integer, got '$NTEST'"
isint "$LENGTH" || die "LENGTH must be a positive integer, got '$LENGTH'"
isint "$EPOCHS" || die "EPOCHS must be a positive integer, got '$EPOCHS'"
isint "$THREADS" || die "THREADS must be a positive integer, got '$THREADS'"
[[ "$BUDGET" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "BUDGET must be seconds >= 0, got '$BUDGET'"
[ "$CLOCK" = wall ] || [ "$CLOCK" = cpu ] || die "CLOCK must be wall or cpu, got '$CLOCK'"
[ -x "$SNFORGE" ] || die "no snforge program at $SNFORGE (build it, or set SNFORGE)"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (apt-get install time)"
"$PY" -c 'import h5py, matplotlib' 2>/dev/null || die "$PY lacks h5py or matplotlib (set SNFORGE_PYTHON)"

mkdir -p "$WORK" "$OUT"
cd "$WORK"
log() { echo "[$(date -u +%H:%M:%S)] $*"; }

# ---- 1. campaigns ----
campaign() { # NAME DESCRIPTION SAMPLER N SEED (rewritten only when it changes, so finished grids are kept)
    cat > "$1.new" <<EOF
; written by validation/reproduce_iter1.sh: $2
[campaign]
description = $2
model = semi-analytic
sampler = $3
n_models = $4
seed = $5

[physics]
closure = flux

; the 87A-like ranges of grids/87a_default.ini
[param.energy]
min = 0.5
max = 15
scale = log

[param.mass]
min = 10
max = 55
scale = linear

[param.radius]
min = 2e11
max = 1e14
scale = log

[param.nickel]
min = 0.01
max = 0.3
scale = linear

[time]
start = 1
end = 300
step = 1

[output]
deflate = 4
chunk_rows = 256
block_rows = 2048
EOF
    if cmp -s "$1.new" "$1"; then rm "$1.new"; else mv "$1.new" "$1"; fi
}
campaign train_campaign.ini "87A-like training campaign for the paper's first iteration ($N models)" sobol "$N" 1987
campaign test_campaign.ini "87A-like held-out test campaign for the paper's first iteration ($NTEST models)" \
    uniform "$NTEST" 2024

run_grid() { # INI H5
    if [ -f "$2.done" ] && [ "$1" -ot "$2.done" ] && cmp -s "$1" "$2.ini.used"; then
        log "$2 exists (delete $2.done to remake it)"
        return
    fi
    rm -f "$2" "$2.done"
    log "snforge grid $1 -o $2 --threads $THREADS"
    /usr/bin/time -v -o "$2.time" "$SNFORGE" grid "$1" -o "$2" --threads "$THREADS" > "$2.log" 2>&1 ||
        { tail -20 "$2.log" >&2; die "snforge grid $1 failed" 1; }
    cp "$1" "$2.ini.used"
    touch "$2.done"
}
run_grid train_campaign.ini train.h5
run_grid test_campaign.ini test.h5

# ---- 2. training config ----
cat > train.ini <<EOF
; written by validation/reproduce_iter1.sh: the paper's first iteration
[data]
file = train.h5
channels = both
mask = yes
length = $LENGTH
t_start = 1
t_end = 300
split = random
validation = $VAL
test = $TEST
split_seed = 1
max_rows = 0
block_rows = 4096

[train]
seed = $SEED
epochs = $EPOCHS
batch = 64
lr = $LR
beta1 = 0.9
beta2 = 0.999
eps = 1e-7
schedule = $SCHEDULE
warmup = $WARMUP
lr_end = 1e-6
ema = $EMA
weight_decay = $WD
clip_norm = $CLIP

[plateau]
factor = 0.5
patience = $PLATEAU
min_lr = 1e-5
min_delta = 1e-4
cooldown = 0

[early_stop]
patience = $ES
min_delta = 0

[model]
arch = $ARCH
filters = $FILTERS
depth = 6
kernel = 40
bottleneck = 32
residual = yes
dropout = 0
bn_eps = 1e-3
bn_momentum = 0.9

[output]
model = model.h5
EOF

# ---- 3. training ----
budget_opt=()
awk -v b="$BUDGET" 'BEGIN { exit !(b > 0) }' && budget_opt=(--time-budget "$BUDGET" --budget-clock "$CLOCK")
train_cmd=("$SNFORGE" train train.ini -o model.h5 --threads "$THREADS" "${budget_opt[@]}")
log "${train_cmd[*]} (OMP_WAIT_POLICY=$OMP_WAIT_POLICY)"
/usr/bin/time -v -o train.time "${train_cmd[@]}" > train.log 2>&1 ||
    { tail -20 train.log >&2; die "snforge train failed (the model file is the last epoch's checkpoint)" 1; }
tail -4 train.log

# ---- 4. evaluation on the separate test campaign ----
log "snforge evaluate model.h5 test.h5 -o eval --threads $THREADS"
/usr/bin/time -v -o eval.time "$SNFORGE" evaluate model.h5 test.h5 -o eval --threads "$THREADS" > eval.log 2>&1 ||
    { tail -20 eval.log >&2; die "snforge evaluate failed" 1; }
cat eval.log

# ---- 5. the table and figures ----
cmdline="N=$N NTEST=$NTEST VAL=$VAL TEST=$TEST LENGTH=$LENGTH EPOCHS=$EPOCHS BUDGET=$BUDGET CLOCK=$CLOCK"
cmdline="$cmdline THREADS=$THREADS"
cmdline="$cmdline ARCH=$ARCH FILTERS=$FILTERS SCHEDULE=$SCHEDULE LR=$LR WARMUP=$WARMUP EMA=$EMA WD=$WD CLIP=$CLIP"
cmdline="$cmdline PLATEAU=$PLATEAU ES=$ES SEED=$SEED OMP_WAIT_POLICY=$OMP_WAIT_POLICY bash validation/reproduce_iter1.sh"
"$PY" - "$WORK" "$OUT" "$cmdline" "${train_cmd[*]/#$root\//}" <<'PYEOF'
import csv, os, re, shutil, sys
import h5py
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

work, out, cmdline, train_cmd = sys.argv[1:5]
names = ["energy", "mass", "radius", "nickel"]


cpu_s = {}


def timing(path):
    """wall seconds and peak RSS (MiB) from /usr/bin/time -v"""
    wall, rss = float("nan"), float("nan")
    for line in open(path):
        line = line.strip()
        if line.startswith("User time (seconds)") or line.startswith("System time (seconds)"):
            cpu_s[path] = cpu_s.get(path, 0.0) + float(line.rsplit(" ", 1)[1])
        if line.startswith("Elapsed (wall clock) time"):
            parts = [float(p) for p in line.rsplit(" ", 1)[1].split(":")]
            wall = 0.0
            for p in parts:
                wall = wall * 60 + p
        elif line.startswith("Maximum resident set size"):
            rss = float(line.rsplit(" ", 1)[1]) / 1024.0
    return wall, rss


def attr(obj, key):
    v = obj.attrs[key]
    if isinstance(v, bytes):
        return v.decode()
    if hasattr(v, "shape") and v.shape == ():
        v = v[()]
        return v.decode() if isinstance(v, bytes) else v
    return v


def models(path):
    with h5py.File(path, "r") as f:
        st = f["status"][()]
    return len(st), int((st >= 0).sum())


with h5py.File(os.path.join(work, "model.h5"), "r") as f:
    hist = f["history"][()]
    n_train, n_val, n_test = (int(attr(f, k)) for k in ("n_train", "n_val", "n_test"))
    epoch, stop = int(attr(f, "epoch")), attr(f, "stop_reason")
    finished = int(attr(f, "finished"))
    threads = int(attr(f, "threads"))
    m = f["metrics"]
    split = {k: list(m.attrs[k]) for k in ("test_mape", "test_mdape", "test_r2", "baseline_mape")}
best = int(hist[:, 2].argmin())

sep = {}
with open(os.path.join(work, "eval", "metrics.csv")) as f:
    for r in csv.DictReader(f):
        sep[r["parameter"]] = r
n_sep = int(sep["energy"]["n"])
n_train_camp, ok_train_camp = models(os.path.join(work, "train.h5"))
n_test_camp, ok_test_camp = models(os.path.join(work, "test.h5"))
g_wall, g_rss = timing(os.path.join(work, "train.h5.time"))
gt_wall, gt_rss = timing(os.path.join(work, "test.h5.time"))
t_wall, t_rss = timing(os.path.join(work, "train.time"))
e_wall, e_rss = timing(os.path.join(work, "eval.time"))
length = re.search(r"^length = (\d+)", open(os.path.join(work, "train.ini")).read(), re.M).group(1)
ini = open(os.path.join(work, "train.ini")).read()
key = lambda k: re.search(r"^%s = (\S+)" % k, ini, re.M).group(1)
sps = n_train * len(hist) / hist[-1, 8] if len(hist) else float("nan")

# metrics CSV: both test sets
with open(os.path.join(out, "iter1_metrics.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["test_set", "parameter", "n", "mape_pct", "mdape_pct", "r2_log10", "baseline_mape_pct",
                "paper_mape_pct_below"])
    for i, p in enumerate(names):
        w.writerow(["campaign_split", p, n_test, "%.4f" % split["test_mape"][i], "%.4f" % split["test_mdape"][i],
                    "%.6f" % split["test_r2"][i], "%.3f" % split["baseline_mape"][i], 1])
    for p in names:
        r = sep[p]
        w.writerow(["separate_uniform", p, r["n"], "%.4f" % float(r["mape_pct"]), "%.4f" % float(r["mdape_pct"]),
                    "%.6f" % float(r["r2_log10"]), "%.3f" % float(r["baseline_mape_pct"]), 1])
with open(os.path.join(out, "iter1_history.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["epoch", "train_loss", "val_loss", "lr", "val_mape_energy", "val_mape_mass", "val_mape_radius",
                "val_mape_nickel", "wall_s"])
    for h in hist:
        w.writerow([int(h[0]) + 1] + ["%.6g" % v for v in h[1:]])

# figures: the loss curve and the parity plot of the separate test campaign
fig, ax = plt.subplots(1, 2, figsize=(11, 4))
ep = hist[:, 0] + 1
ax[0].semilogy(ep, hist[:, 1], "o-", label="train")
ax[0].semilogy(ep, hist[:, 2], "s-", label="validation")
ax[0].set_xlabel("epoch"); ax[0].set_ylabel("MSE (standardised log10 targets)"); ax[0].legend()
for i, p in enumerate(names):
    ax[1].semilogy(ep, hist[:, 4 + i], "o-", label=p)
ax[1].axhline(1.0, color="k", lw=0.8, ls="--", label="paper: < 1%")
ax[1].set_xlabel("epoch"); ax[1].set_ylabel("validation MAPE (%)"); ax[1].legend()
fig.suptitle("%s on %d semi-analytic models, L = %s" % (key("arch"), n_train, length))
fig.tight_layout()
fig.savefig(os.path.join(out, "iter1_loss.png"), dpi=90)
if os.path.exists(os.path.join(work, "eval", "parity.png")):
    shutil.copy(os.path.join(work, "eval", "parity.png"), os.path.join(out, "iter1_parity.png"))

ok = lambda v: "yes" if v < 1.0 else "no"
L = []
L.append("# Paper's first iteration: %s trained and tested on semi-analytic models (issue 5)\n"
         % {"lite": "LITE", "inception": "InceptionTime", "hinception": "H-InceptionTime"}[key("arch")])
L.append("Made by `validation/reproduce_iter1.sh` (exact command below). Paper: Grassia, Mangioni, Cosentino & "
         "Pumo (2024), trained and tested on semi-analytic models (205,000), MAPE < 1% on all four parameters.\n")
L.append("## Held-out test: MAPE per parameter\n")
L.append("Separate test campaign: %d uniform random models (seed 2024; the training campaign is Sobol, seed 1987), "
         "%d usable. Campaign split: the %d held-out test rows of the training campaign (random split), scored "
         "by the trainer with the best weights. MAPE and median APE in percent of the linear parameter; R^2 of "
         "log10; baseline: predict the training mean.\n" % (n_test_camp, n_sep, n_test))
L.append("| parameter | MAPE (separate test) | median APE | R^2 (log10) | MAPE (campaign split) | median APE | "
         "R^2 (log10) | baseline MAPE | paper | < 1%? |")
L.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for i, p in enumerate(names):
    r = sep[p]
    L.append("| %s | **%.2f%%** | %.2f%% | %.4f | %.2f%% | %.2f%% | %.4f | %.1f%% | < 1%% | %s |" % (
        p, float(r["mape_pct"]), float(r["mdape_pct"]), float(r["r2_log10"]), split["test_mape"][i],
        split["test_mdape"][i], split["test_r2"][i], float(r["baseline_mape_pct"]), ok(float(r["mape_pct"]))))
L.append("")
L.append("## Run\n")
L.append("| item | value |")
L.append("| --- | --- |")
L.append("| training campaign | %d Sobol models (seed 1987), %d usable; 87A-like ranges of grids/87a_default.ini "
         "(E 0.5-15 foe log, M 10-55 Msun, R0 2e11-1e14 cm log, M_Ni 0.01-0.3 Msun), flux closure, defaults, "
         "daily days 1-300 |" % (n_train_camp, ok_train_camp))
L.append("| N train / validation / test | %d / %d / %d (+ %d in the separate test campaign) |"
         % (n_train, n_val, n_test, n_sep))
L.append("| input | both channels (log10 L, v_ph) with their masks, length %s over days 1-300; targets standardised "
         "log10 |" % length)
with h5py.File(os.path.join(work, "model.h5"), "r") as f:
    nparams = int(f["params"].shape[0])
nf = key("filters")
arch_text = {"lite": "LITE (3 x %s filters of widths 40/20/10 + 17 hand-crafted filters per input channel, "
                     "two depthwise-separable blocks dilated 2 and 4)" % nf,
             "inception": "reference InceptionTime (%s filters, depth 6, kernels 40/20/10, bottleneck 32, "
                          "residual)" % nf,
             "hinception": "H-InceptionTime (the reference + hand-crafted filters, %s filters)" % nf}[key("arch")]
L.append("| network | %s, %s parameters; batch 64, Adam(W) schedule %s peaking at lr %s (warm-up %s), EMA %s, "
         "weight decay %s, clip %s; best-validation weights kept |" % (arch_text, format(nparams, ","),
         key("schedule"), key("lr"), key("warmup"), key("ema"), key("weight_decay"), key("clip_norm")))
L.append("| epochs run | %d (stop: %s%s); best validation loss at epoch %d |"
         % (epoch, stop or "interrupted", "" if finished else ", not finished", best + 1))
L.append("| final learning rate | %.3g |" % hist[-1, 3])
L.append("| training throughput | %.0f samples/s (train rows x epochs / training wall time, incl. validation) |"
         % sps)
L.append("| wall time: grids | %.1f s training campaign, %.1f s test campaign |" % (g_wall, gt_wall))
L.append("| wall time: training | %.1f s (%.1f min); CPU time %.1f s (user + system) |"
         % (t_wall, t_wall / 60, cpu_s.get(os.path.join(work, "train.time"), float("nan"))))
L.append("| wall time: evaluate | %.1f s |" % e_wall)
L.append("| peak RSS | training %.0f MiB; grid %.0f MiB; evaluate %.0f MiB |" % (t_rss, g_rss, e_rss))
L.append("| threads | %d (OMP_WAIT_POLICY=%s) |" % (threads, os.environ.get("OMP_WAIT_POLICY", "")))
L.append("| command | `%s` |" % cmdline)
L.append("| training step | `%s` |" % train_cmd.replace(work + "/", "").replace(work, "$WORK"))
L.append("")
L.append("## Loss curve\n")
L.append("| epoch | train loss | val loss | lr | val MAPE E | M | R | Ni | wall (s) |")
L.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for h in hist:
    L.append("| %d | %.5f | %.5f | %.3g | %.2f%% | %.2f%% | %.2f%% | %.2f%% | %.0f |" % (
        int(h[0]) + 1, h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8]))
L.append("")
L.append("Figures: `iter1_loss.png` (loss and validation MAPE by epoch), `iter1_parity.png` (true vs predicted on "
         "the separate test campaign). Data: `iter1_metrics.csv`, `iter1_history.csv`.\n")
open(os.path.join(out, "iter1.md"), "w").write("\n".join(L))
print("wrote", os.path.join(out, "iter1.md"))
PYEOF
log "done: $OUT/iter1.md"
