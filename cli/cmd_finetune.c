/* cmd_finetune.c: `snforge finetune MODEL.h5 DATA.h5 [-o OUT.h5] ...`: continues training a model file on
 * another dataset file (transfer.h), keeping the starting model's input grid and normalisation, with a
 * lower learning rate, frozen early Inception modules and a share of semi-analytic rows in each batch.
 * Resumable like train: the same command after an interruption continues bitwise. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_mpi.h"
#include "cli_util.h"
#include "commands.h"
#include "snforge/train.h"
#include "snforge/nn.h"
#include "snforge/core.h"
#include "snforge/grids.h"
#include "snforge/infer.h"
#include "snforge/version.h"

/* ---- static helpers ---- */

static void snf_finetune_usage(FILE *f)
{
    fprintf(f,
            "usage: snforge finetune MODEL.h5 DATA.h5 [-o OUT.h5] [--lr X] [--freeze K] [--epochs N] [--batch B]\n"
            "                        [--val F] [--patience P] [--seed S] [--mix-sa SA.h5 --mix-share F]\n"
            "                        [--schedule S] [--warmup F] [--lr-end X] [--onecycle-div D] [--ema D]\n"
            "                        [--clip-norm C] [--weight-decay W] [--time-budget S]\n"
            "                        [--mix-max-rows N] [--threads N] [--quiet]\n\n"
            "Continues training MODEL.h5 (its best weights) on the usable rows of DATA.h5 (e.g. hydro models from\n"
            "snforge import). The model's input grid (channels, masks, length, days) and normalisation are kept,\n"
            "so OUT.h5 works with evaluate and predict like any model file. A random share --val of DATA.h5's\n"
            "rows selects the epoch (best validation loss, early stopping); the rest train. OUT.h5 is rewritten\n"
            "atomically after every epoch; the same command after an interruption resumes bitwise.\n\n"
            "options:\n"
            "  -o, --output OUT.h5   the fine-tuned model file                      [finetuned.h5]\n"
            "      --lr X            Adam learning rate (the schedule's peak)          [1e-4]\n"
            "      --freeze K        freeze Inception modules 0..K-1 (and the shortcut of modules 0-2 when\n"
            "                        K >= 3): learning-rate multiplier 0, so their weights, Adam moments and\n"
            "                        BatchNorm running statistics stay bitwise unchanged, and no weight decay [0]\n"
            "      --epochs N        most epochs                                    [50]\n"
            "      --batch B         rows per batch (mixed rows included)           [16]\n"
            "      --val F           validation share of DATA.h5's rows (0: select on the training loss) [0.2]\n"
            "      --patience P      early-stopping patience on the validation loss (0: off)          [15]\n"
            "      --weight-decay W  AdamW decoupled weight decay on unfrozen kernels [0]\n"
            "      --schedule S      constant (--lr throughout) | plateau | cosine | onecycle: [train]'s\n"
            "                        recipe keys, as in train_small.ini, also --warmup, --lr-end (cosine,\n"
            "                        onecycle), --onecycle-div (onecycle), --clip-norm and --ema [constant, off]\n"
            "      --time-budget S   end after the epoch at which one more (steps, validation, checkpoint\n"
            "                        write) would pass S seconds; a step schedule is sized to fit\n"
            "      --seed S          split, shuffling and mixing seed               [1]\n"
            "      --mix-sa SA.h5    semi-analytic rows mixed into each batch against forgetting\n"
            "      --mix-share F     their share of each batch, 0..0.9              [0.25 with --mix-sa]\n"
            "      --mix-max-rows N  at most N rows of SA.h5 (the first usable ones) [4096]\n"
            "  -t, --threads N       OpenMP threads\n"
            "  -q, --quiet           no per-epoch lines\n"
            "      --stop-after-epochs K  stop after K epochs of this run, as if interrupted (for tests)\n"
            "  -h, --help            this text\n\n"
            "With an MPI build (-DSNF_ENABLE_MPI=ON), `mpirun -np K snforge finetune ...` trains data-parallel as\n"
            "train does: every rank reads the same files and computes its share of every batch; rank 0 logs and\n"
            "writes OUT.h5 (see README.md).\n\n"
            "Exit status: 0 done (or already finished), 1 the work failed, 2 bad input (option, file, OUT.h5\n"
            "holding another run).\n");
}

static int snf_ft_double(const char *opt, const char *text, double lo, double hi, double *out)
{
    char *end;
    double x = strtod(text, &end);
    if (end == text || *end != '\0' || !isfinite(x) || x < lo || x > hi) {
        fprintf(stderr, "snforge finetune: %s expects a number in [%g, %g], got '%s'\n", opt, lo, hi, text);
        return 2;
    }
    *out = x;
    return 0;
}

/* --time-budget TEXT: seconds > 0, as train takes them (0, or 2 said on stderr). */
static int snf_ft_budget(const char *text, double *out)
{
    char *end;
    double x = strtod(text, &end);
    if (end == text || *end != '\0' || !(x > 0) || !isfinite(x)) {
        fprintf(stderr, "snforge finetune: --time-budget expects seconds > 0, got '%s'\n", text);
        return 2;
    }
    *out = x;
    return 0;
}

/* 1 when paths a and b name one file: the same text, or the same device and inode. */
static int snf_ft_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (strcmp(a, b) == 0) {
        return 1;
    }
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The fewest validation rows an OOD test is referred to: p = (1 + #{validation d2 >= d2}) / (n + 1) and a curve
 * beyond every validation row is flagged, so an in-distribution curve is flagged 1 time in n + 1; with 10 rows
 * that is below 1 in 10 (with 1 row every curve past it was flagged, p 0.5). Fewer: no OOD test, said so. */
#define SNF_FT_OOD_MIN_REF 10

/* The fine-tuned file's /uq group, refit on the fine-tuning data (uq.h snf_uq_refit): the starting model's
 * training ranges joined with those of the rows trained on here, the OOD fit on the features of those rows
 * (the fine-tuning rows and the mixed-in rows), its reference the validation rows, and an additive residual
 * variance fitted on the validation rows' predictions (an MSE head; they also chose the epoch, as the
 * validation rows of `snforge train --calibrate` do). Carrying the old group over would be wrong: the OOD
 * statistics and the calibration belong to weights the file no longer holds. */
static int snf_ft_refit_uq(const char *model_path, const char *out, const char *data_path, const snf_ckpt *init,
                           const snf_rows *tr, const snf_rows *va, const snf_rows *mix)
{
    const int NP = SNF_DATA_NP;
    snf_rows fit; /* the OOD fit's rows: the fine-tuning rows, then the mixed-in rows */
    int rc = snf_rows_join(&fit, tr, tr->n, mix);
    double *lt = malloc(((size_t)va->n + 1) * NP * sizeof *lt), *lp = malloc(((size_t)va->n + 1) * NP * sizeof *lp);
    snf_uq_model old;
    int has_old = snf_uq_model_open(&old, model_path, 1) >= 0;
    snf_ckpt ck;
    memset(&ck, 0, sizeof ck);
    if (rc < 0) {
        goto cleanup;
    }
    if (!lt || !lp) {
        SNF_FAIL(SNF_ENOMEM, "out of memory");
    }
    const long nf = fit.n;
    int calibrate = va->n >= 2 && init->net.head != SNF_HEAD_GAUSSIAN;
    if (calibrate) {
        snf_metrics m;
        if ((rc = snf_ckpt_read(&ck, out)) < 0 || (rc = snf_transfer_score(&ck, va, &m, lp)) < 0) {
            goto cleanup;
        }
        for (long i = 0; i < va->n * NP; i++) {
            lt[i] = log10(va->params[i]);
            lp[i] = log10(lp[i]);
        }
    }
    char source[1400];
    snprintf(source, sizeof source, "finetune validation rows, %ld rows of %s (they also selected the epoch)", va->n,
             data_path);
    const char *member[1] = {out};
    snf_uq_refit_input in;
    memset(&in, 0, sizeof in);
    in.members = member;
    in.nmembers = 1;
    in.fit_x = fit.x;
    in.n_fit = nf;
    in.fit_params = fit.params;
    in.keep_ranges = has_old ? &old : NULL;
    in.ref_x = va->x;
    in.n_ref = va->n >= SNF_FT_OOD_MIN_REF ? va->n : 0; /* 0: no OOD test (snf_uq_refit) */
    in.cal_truth = lt;
    in.cal_pred = lp;
    in.n_cal = calibrate ? va->n : 0;
    in.calib_source = source;
    in.ood_shrinkage = 0.1;
    in.ood_alpha = has_old ? old.ood_alpha : 0.01f;
    rc = snf_uq_refit(&in, out);
    if (rc >= 0) {
        char ood[160];
        if (in.n_ref > 0 && nf >= 2) {
            snprintf(ood, sizeof ood, "OOD fit on %ld rows (reference: %ld validation rows)", nf, va->n);
        } else if (in.n_ref > 0) {
            snprintf(ood, sizeof ood, "no OOD test (%ld row to fit it on: at least 2 are needed)", nf);
        } else {
            snprintf(ood, sizeof ood, "no OOD test (%ld validation row%s for its reference: at least %d are needed, "
                     "--val)", va->n, va->n == 1 ? "" : "s", SNF_FT_OOD_MIN_REF);
        }
        fprintf(stderr, "snforge finetune: %s: /uq refit on the fine-tuning data: training ranges, %s, %s\n", out, ood,
                calibrate ? "calibrated on the validation rows"
                          : (va->n < 2 ? "not calibrated (fewer than 2 validation rows: --val)"
                                       : "not calibrated (a Gaussian head: its variances are not rescaled here)"));
    }
cleanup:
    if (has_old) {
        snf_uq_model_free(&old);
    }
    snf_ckpt_free(&ck);
    snf_rows_free(&fit);
    free(lt);
    free(lp);
    return rc;
}

/* ---- the subcommand ---- */

/* The starting model into init, DATA.h5's usable rows
 * into all, split by the seed into the validation share val (va) and training (tr), and the first maxr rows of
 * the semi-analytic file mix_path (NULL: none) into mix. A failure's message is printed here; messages only when
 * say (rank 0 under MPI: every rank loads the same rows). */
static int snf_ft_load(const char *model_path, const char *data_path, const char *mix_path,
                       long maxr, double val, long seed, snf_ckpt *init, snf_rows *all, snf_rows *tr,
                       snf_rows *va, snf_rows *mix, int say)
{
    long *ids = NULL;
    int rc;
    rc = snf_ckpt_read(init, model_path);
    if (rc < 0) {
        if (rc != SNF_EIO && rc != SNF_ENOLOCK && rc != SNF_ENOMEM) {
            rc = SNF_EINVAL; /* the starting model is the user's input; a lock or read failure is not */
        }
        goto fail_ids;
    }
    if ((rc = snf_rows_load(all, data_path, &init->spec, &init->norm, NULL, 0)) < 0 ||
        (rc = snf_curr_hydro_check(data_path, all, NULL, NULL)) < 0) {
        goto fail_ids;
    }
    if (all->n < 2) {
        if (say) {
            fprintf(stderr, "snforge finetune: %s has %ld usable rows: too few\n", data_path, all->n);
        }
        return SNF_EINVAL;
    }
    /* seeded split of DATA.h5's rows into validation (first nv of a shuffle) and training */
    ids = malloc((size_t)all->n * sizeof *ids);
    if (!ids) {
        rc = SNF_ENOMEM;
        goto fail_ids;
    }
    memcpy(ids, all->ids, (size_t)all->n * sizeof *ids);
    snf_rng r = snf_rng_seed((uint64_t)seed * 0xD1B54A32D192ED03ULL + 7);
    snf_rng_shuffle(&r, ids, all->n);
    long nv = (long)floor(val * (double)all->n + 0.5);
    if (nv >= all->n) {
        nv = all->n - 1;
    }
    if ((rc = snf_rows_subset(va, all, ids, nv)) < 0 || (rc = snf_rows_subset(tr, all, ids + nv, all->n - nv)) < 0) {
        goto fail_ids;
    }
    free(ids);
    if (mix_path) {
        if ((rc = snf_rows_load(mix, mix_path, &init->spec, &init->norm, NULL, 0)) < 0 ||
            (rc = snf_curr_hydro_check(data_path, all, mix, mix_path)) < 0) { /* against every row of the file */
            goto fail;
        }
        if (mix->n > maxr) {
            mix->n = maxr; /* the first maxr usable rows */
        }
    }
    return SNF_OK;
fail_ids:
    free(ids);
fail:
    if (say) {
        fprintf(stderr, "snforge finetune: %s\n", snf_error_last_message());
    }
    return rc;
}

/* The command's options. */
typedef struct snf_ft_cli {
    const char *out, *mix_path;
    double lr, val, share, wd;
    long freeze, epochs, batch, patience, seed, maxr, stop, threads;
    int quiet;
    snf_recipe recipe; /* [train]'s recipe keys (transfer.h) */
    double budget;     /* --time-budget seconds (0: none) */
} snf_ft_cli;

/* The recipe options that act only with some schedules: --warmup and --lr-end shape the step schedules (cosine,
 * onecycle), --onecycle-div only onecycle's warm-up; one given with another schedule would be accepted and do
 * nothing. */
static const struct {
    const char *name, *needs;
    int cosine, onecycle;
} snf_ft_sched_opts[] = {{"warmup", "cosine or onecycle", 1, 1}, {"lr-end", "cosine or onecycle", 1, 1},
                         {"onecycle-div", "onecycle", 0, 1}};

/* 0, or 2 (said on stderr) when an option of the bit set given (bit k: snf_ft_sched_opts[k]) has no effect with
 * the recipe's schedule. */
static int snf_ft_recipe_check(unsigned given, const snf_recipe *r)
{
    static const char *const names[] = {"constant", "plateau", "cosine", "onecycle"};
    for (int k = 0; k < 3; k++) {
        const int acts = r->schedule == SNF_RECIPE_COSINE     ? snf_ft_sched_opts[k].cosine
                         : r->schedule == SNF_RECIPE_ONECYCLE ? snf_ft_sched_opts[k].onecycle
                                                              : 0;
        if ((given >> k & 1u) && !acts) {
            fprintf(stderr, "snforge finetune: --%s does nothing with --schedule %s: it needs --schedule %s\n",
                    snf_ft_sched_opts[k].name, names[r->schedule], snf_ft_sched_opts[k].needs);
            return 2;
        }
    }
    return 0;
}

/* --NAME VALUE of a recipe option into r: [train]'s key of the same name with dashes for underscores; *given
 * gains the option's bit when it is one of snf_ft_sched_opts. 0, or 2 (bad value, said on stderr). */
static int snf_ft_recipe_opt(const char *name, const char *value, snf_recipe *r, unsigned *given)
{
    for (int k = 0; k < 3; k++) {
        if (!strcmp(name, snf_ft_sched_opts[k].name)) {
            *given |= 1u << k;
        }
    }
    char key[32], why[160];
    snprintf(key, sizeof key, "%s", name);
    for (char *c = key; *c; c++) {
        *c = *c == '-' ? '_' : *c;
    }
    if (snf_recipe_set(r, key, value, why, sizeof why) < 0) {
        fprintf(stderr, "snforge finetune: --%s: %s\n", name, why);
        return 2;
    }
    return 0;
}

/* Parses the options and operands into c: -1 to go on, else the exit code (0 after --help, 2 for bad input). */
static int snf_ft_parse(int argc, char **argv, snf_ft_cli *c)
{
    enum { O_LR = 1000, O_FREEZE, O_EPOCHS, O_BATCH, O_VAL, O_PAT, O_SEED, O_MIX, O_SHARE, O_MAXR, O_STOP, O_WD,
           O_RECIPE, O_BUDGET };
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},   {"threads", required_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},          {"help", no_argument, NULL, 'h'},
        {"lr", required_argument, NULL, O_LR},      {"freeze", required_argument, NULL, O_FREEZE},
        {"epochs", required_argument, NULL, O_EPOCHS}, {"batch", required_argument, NULL, O_BATCH},
        {"val", required_argument, NULL, O_VAL},    {"patience", required_argument, NULL, O_PAT},
        {"seed", required_argument, NULL, O_SEED},  {"mix-sa", required_argument, NULL, O_MIX},
        {"mix-share", required_argument, NULL, O_SHARE}, {"mix-max-rows", required_argument, NULL, O_MAXR},
        {"stop-after-epochs", required_argument, NULL, O_STOP}, {"weight-decay", required_argument, NULL, O_WD},
        {"schedule", required_argument, NULL, O_RECIPE}, {"warmup", required_argument, NULL, O_RECIPE},
        {"lr-end", required_argument, NULL, O_RECIPE}, {"onecycle-div", required_argument, NULL, O_RECIPE},
        {"clip-norm", required_argument, NULL, O_RECIPE}, {"ema", required_argument, NULL, O_RECIPE},
        {"time-budget", required_argument, NULL, O_BUDGET}, {NULL, 0, NULL, 0},
    };
    const char *out = "finetuned.h5", *mix_path = NULL;
    double lr = 1e-4, val = 0.2, share = -1, wd = 0, budget = 0;
    snf_recipe recipe = snf_recipe_default();
    long freeze = 0, epochs = 50, batch = 16, patience = 15, seed = 1, maxr = 4096, stop = 0, threads = 0;
    int quiet = 0, e = 0, maxr_given = 0;
    unsigned given = 0; /* the schedule-bound recipe options given (snf_ft_sched_opts) */
    snf_cli_getopt_start();
    for (int ch, li = 0; (ch = getopt_long(argc, argv, "o:t:qh", opts, &li)) != -1;) {
        switch (ch) {
        case 'o': out = optarg; break;
        case 't': e = snf_cli_parse_threads("finetune", optarg, &threads); break;
        case 'q': quiet = 1; break;
        case 'h': snf_finetune_usage(stdout); return 0;
        case O_LR: e = snf_ft_double("--lr", optarg, 1e-9, 1, &lr); break;
        case O_WD: e = snf_ft_double("--weight-decay", optarg, 0, 1, &wd); break;
        case O_VAL: e = snf_ft_double("--val", optarg, 0, 0.9, &val); break;
        case O_SHARE: e = snf_ft_double("--mix-share", optarg, 0, 0.9, &share); break;
        case O_FREEZE: e = snf_cli_parse_long("finetune", "--freeze", optarg, 0, SNF_NET_MAX_DEPTH, &freeze); break;
        case O_EPOCHS: e = snf_cli_parse_long("finetune", "--epochs", optarg, 1, 1000000, &epochs); break;
        case O_BATCH: e = snf_cli_parse_long("finetune", "--batch", optarg, 1, 4096, &batch); break;
        case O_PAT: e = snf_cli_parse_long("finetune", "--patience", optarg, 0, 1000000, &patience); break;
        case O_SEED: e = snf_cli_parse_long("finetune", "--seed", optarg, 0, 1L << 40, &seed); break;
        case O_MAXR:
            e = snf_cli_parse_long("finetune", "--mix-max-rows", optarg, 1, 1L << 30, &maxr);
            maxr_given = 1;
            break;
        case O_STOP: e = snf_cli_parse_long("finetune", "--stop-after-epochs", optarg, 1, 1L << 30, &stop); break;
        case O_MIX: mix_path = optarg; break;
        case O_BUDGET: e = snf_ft_budget(optarg, &budget); break;
        case O_RECIPE: e = snf_ft_recipe_opt(opts[li].name, optarg, &recipe, &given); break;
        default: return snf_cli_unknown_option(argv, "finetune");
        }
        if (e) {
            return 2;
        }
    }
    if (snf_cli_expect_operands("finetune", argc, 2, "MODEL.h5 and DATA.h5") || snf_ft_recipe_check(given, &recipe)) {
        return 2;
    }
    if ((share >= 0 || maxr_given) && !mix_path) {
        fprintf(stderr, "snforge finetune: %s needs --mix-sa SA.h5\n", share >= 0 ? "--mix-share" : "--mix-max-rows");
        return 2;
    }
    if (mix_path && snf_ft_same_file(mix_path, argv[optind + 1])) {
        fprintf(stderr, "snforge finetune: --mix-sa %s is DATA.h5 (%s) itself: the rows mixed in against forgetting "
                        "must come from another file (a semi-analytic campaign)\n", mix_path, argv[optind + 1]);
        return 2;
    }
    if (mix_path && share < 0) {
        share = 0.25;
    }
    if (share < 0) {
        share = 0;
    }
    *c = (snf_ft_cli){out, mix_path, lr, val, share, wd, freeze, epochs, batch, patience, seed, maxr, stop, threads,
                      quiet, recipe, budget};
    return -1;
}

/* 1 if the model file path has a /uq group (a finished fine-tuning run's refit is done), else 0. */
static int snf_ft_has_uq(const char *path)
{
    hid_t f = -1;
    int has = 0;
    if (snf_h5_open(&f, path, 0, "model file") == SNF_OK) {
        has = H5Lexists(f, "uq", H5P_DEFAULT) > 0;
        H5Fclose(f);
    }
    return has;
}

/* After every setting was checked (snf_ft_settings_check): notes on stderr for a starting model with a /uq group
 * (an ensemble of several members: OUT starts from the first alone) and for an unfinished one. */
static void snf_ft_notes(const char *model_path, const char *out, const snf_ckpt *init)
{
    snf_uq_model m;
    if (snf_ft_has_uq(model_path) && snf_uq_model_open(&m, model_path, 1) >= 0) {
        if (m.members > 1) {
            fprintf(stderr, "snforge finetune: note: %s is an ensemble of %d members: %s starts from its first member "
                            "alone; its /uq group is refit on the fine-tuning rows (the weights changed, so the old "
                            "OOD statistics and calibration no longer apply)\n", model_path, m.members, out);
        } else {
            fprintf(stderr, "snforge finetune: note: %s's /uq group is refit for %s on the fine-tuning rows (the "
                            "weights changed, so the old OOD statistics and calibration no longer apply)\n",
                    model_path, out);
        }
        snf_uq_model_free(&m);
    }
    if (!init->finished) {
        fprintf(stderr, "snforge finetune: note: %s is not finished; its best weights so far are the start\n",
                model_path);
    }
}

/* The run's closing line on stderr, then, once it is finished, the /uq group refit (snf_ft_refit_uq). */
static int snf_ft_finish(const snf_transfer_summary *s, const char *model_path, const char *out, const char *data_path,
                         const snf_ckpt *init, const snf_rows *tr, const snf_rows *va, const snf_rows *mix,
                         double share)
{
    const long ntr = tr->n, nva = va->n, nmix = mix ? mix->n : 0;
    if (s->already_finished) {
        fprintf(stderr, "snforge finetune: %s is finished (%s at epoch %ld); nothing to do\n", out,
                snf_cli_outcome(s->stop_reason), s->epoch);
    } else {
        char mape[160] = "validation MAPE of the best weights: when the run finishes", best[96];
        if (nva == 0) { /* selected on the training loss: there are no validation figures to give */
            snprintf(mape, sizeof mape, "no validation rows: no validation figures");
            snprintf(best, sizeof best, "training loss %.5f, no validation rows", s->best_val_loss);
        } else {
            snprintf(best, sizeof best, "val loss %.5f", s->best_val_loss);
        }
        if (s->finished && nva > 0) { /* an interrupted run scores nothing: its figures would read as zero errors */
            snprintf(mape, sizeof mape, "validation MAPE E %.1f%% M %.1f%% R %.1f%% Ni %.1f%%", s->val.mape[0],
                     s->val.mape[1], s->val.mape[2], s->val.mape[3]);
        }
        fprintf(stderr, "snforge finetune: %s: %s at epoch %ld (%ld this run%s), best epoch %ld (%s); "
                        "%ld training / %ld validation rows of %s, %ld mixed-in rows (share %.2f), %d frozen tensors; "
                        "%s\n", out, s->finished ? snf_cli_outcome(s->stop_reason) : "interrupted", s->epoch,
                s->epochs_run, s->resumed ? ", resumed" : "", s->best_epoch + 1, best, ntr, nva, data_path, nmix, share,
                s->frozen_tensors, mape);
    }
    if (s->already_finished && snf_ft_has_uq(out)) {
        return SNF_OK; /* refit when it finished: the file is left as it is (bytes and time) */
    }
    if (s->already_finished) {
        fprintf(stderr, "snforge finetune: %s lacks its /uq group (the run was stopped after its last epoch): "
                        "refitting it\n", out);
    }
    if (s->finished || s->already_finished) {
        return snf_ft_refit_uq(model_path, out, data_path, init, tr, va, mix);
    }
    return SNF_OK;
}

/* The run's transfer config: the starting model's network, grid and normalisation, the options' settings. */
static snf_transfer_config snf_ft_transfer_config(const snf_ft_cli *c, const snf_ckpt *init, const char *text,
                                                  const char *data_path)
{
    snf_transfer_config tc;
    memset(&tc, 0, sizeof tc);
    tc.net = init->net;
    tc.spec = init->spec;
    tc.norm = init->norm;
    tc.init = init;
    tc.freeze = (int)c->freeze;
    tc.seed = (uint64_t)c->seed;
    tc.epochs = (int)c->epochs;
    tc.batch = (int)c->batch;
    tc.adam = snf_adam_config_default();
    tc.adam.lr = (float)c->lr;
    tc.adam.weight_decay = (float)c->wd;
    tc.recipe = c->recipe;
    tc.es_patience = (int)c->patience;
    tc.mix_share = c->share;
    tc.text = text;
    tc.data_file = data_path;
    tc.out_path = c->out;
    return tc;
}

int snf_cmd_finetune(int argc, char **argv)
{
    snf_ft_cli c;
    memset(&c, 0, sizeof c);
    int code = snf_ft_parse(argc, argv, &c);
    if (code >= 0) {
        return code;
    }
    const char *out = c.out, *mix_path = c.mix_path;
    const double lr = c.lr, val = c.val, share = c.share, wd = c.wd;
    const long freeze = c.freeze, epochs = c.epochs, batch = c.batch, patience = c.patience, seed = c.seed,
               maxr = c.maxr, stop = c.stop;
    int quiet = c.quiet;
    const char *model_path = argv[optind], *data_path = argv[optind + 1];
    int nt = snf_threads_setup((int)c.threads);
    snf_ckpt init;
    memset(&init, 0, sizeof init);
    snf_rows all = {0}, tr = {0}, va = {0}, mix = {0};
    char *text = NULL;
    snf_cli_mpi mpi; /* under mpirun: data-parallel, rank 0 locks, writes and reports (cli_mpi.h) */
    snf_cli_mpi_begin(&mpi, "finetune", &argc, &argv);
    const int say = snf_cli_mpi_says(&mpi);
    quiet |= !say;
    /* OUT.lock for the whole run: a second finetune into OUT refuses at once */
    int rc = snf_cli_mpi_lock(&mpi, out, 0);
    if (rc < 0) {
        if (say) {
            fprintf(stderr, "snforge finetune: %s\n", snf_error_last_message());
        }
        return snf_cli_mpi_end(&mpi, snf_status_exit_code(rc));
    }
    if (!quiet) {
        snf_cli_mpi_note(&mpi, out);
    }
    if ((rc = snf_ft_load(model_path, data_path, mix_path, maxr, val, seed, &init, &all, &tr, &va, &mix, say)) <
        0) {
        goto done; /* its message is out */
    }
    char rtext[256]; /* the recipe, when not the default (today's texts, and so their files, stay as they were) */
    snf_recipe_text(&c.recipe, rtext, sizeof rtext);
    size_t tl = 4096 + strlen(model_path) + strlen(data_path) + (mix_path ? strlen(mix_path) : 0);
    text = malloc(tl);
    if (!text) {
        rc = SNF_ENOMEM;
        goto fail;
    }
    /* the fingerprint of the run: every setting, the bytes of its inputs and the program's version */
    char dg_model[17] = "", dg_data[17] = "", dg_mix[17] = "";
    if ((rc = snf_digest_file(model_path, dg_model)) < 0 || (rc = snf_dataset_digest(data_path, dg_data)) < 0 ||
        (mix_path && (rc = snf_dataset_digest(mix_path, dg_mix)) < 0)) {
        goto fail;
    }
    snprintf(text, tl, "snforge finetune\nmodel = %s\ndata = %s\nlr = %.17g\nfreeze = %ld\nepochs = %ld\nbatch = %ld\n"
             "val = %.17g\npatience = %ld\nseed = %ld\nweight_decay = %.17g\nmix_sa = %s\nmix_share = %.17g\n"
             "mix_max_rows = %ld\nmodel_digest = %s\ndata_digest = %s\nmix_sa_digest = %s\nversion = %s\n%s", model_path,
             data_path, lr, freeze, epochs, batch, val, patience, seed, wd, mix_path ? mix_path : "", share, maxr,
             dg_model, dg_data, dg_mix, SNF_VERSION_STRING, rtext);
    snf_transfer_config tc = snf_ft_transfer_config(&c, &init, text, data_path);
    snf_train_options o = snf_train_options_default();
    o.threads = nt;
    o.stop_after = stop;
    o.max_wall_s = c.budget;
    o.quiet = quiet;
    o.log = stderr;
    snf_transfer_summary s;
    if ((rc = snf_transfer_check(&tc, &tr, mix_path ? &mix : NULL, &va)) < 0) {
        goto fail; /* a setting refused before any note or work */
    }
    if (say) {
        snf_ft_notes(model_path, out, &init);
    }
    rc = snf_transfer_run(&tc, &tr, mix_path ? &mix : NULL, &va, &o, &s);
    if (rc >= 0 && say) { /* the closing line and the /uq group: rank 0's (the others hold the same weights) */
        rc = snf_ft_finish(&s, model_path, out, data_path, &init, &tr, &va, mix_path ? &mix : NULL, share);
    }
    if (rc < 0) {
        goto fail;
    }
    goto done;
fail:
    if (say) {
        fprintf(stderr, "snforge finetune: %s\n", snf_error_last_message());
    }
done:
    snf_ckpt_free(&init);
    snf_rows_free(&all);
    snf_rows_free(&tr);
    snf_rows_free(&va);
    snf_rows_free(&mix);
    free(text);
    return snf_cli_mpi_end(&mpi, snf_status_exit_code(rc));
}
