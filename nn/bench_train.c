/* bench_train.c: training and inference throughput of a network of net.h (default the reference
 * InceptionTime: 32 filters, depth 6, kernels 40/20/10, 2 input channels, 4 outputs; --arch lite or
 * hinception for the lighter ones) on random data, to compare with the PyTorch peer in
 * ../shared/bench/results.md. Precision: float32 (the only one the kernels have). In an MPI build,
 * `mpirun -np K bench_train` times data-parallel steps as the trainer takes them (each rank its share of
 * the batch, synchronised BN, gradients all-gathered and added in rank order) and prints the global
 * samples/s and the bytes each rank sends and receives per step; rank 0 prints.
 * Usage: bench_train [--arch A] [--length L] [--threads T] [--batch B] [--steps N] [--warmup W]
 * The last two lines are exactly "train_samples_per_s <x>" and "infer_samples_per_s <x>" (means over
 * the timed steps; the line before gives the fastest single step, the machine being shared). */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snforge/nn.h"
#include "snforge/core.h"
#ifdef SNF_HAVE_MPI
#include <mpi.h>
#endif

/* ---- static helpers ---- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int arg_int(int argc, char **argv, int *i, const char *name, int *out)
{
    if (strcmp(argv[*i], name) != 0) {
        return 0;
    }
    if (*i + 1 >= argc) {
        fprintf(stderr, "bench_train: %s needs a value\n", name);
        exit(2);
    }
    *out = atoi(argv[++*i]);
    return 1;
}

#define BENCH_CHECK(call)                                                                 \
    do {                                                                                  \
        int rc_ = (call);                                                                 \
        if (rc_ < 0) {                                                                    \
            fprintf(stderr, "bench_train: %s: %s\n", #call, snf_error_last());            \
            exit(1);                                                                      \
        }                                                                                 \
    } while (0)

/* ---- main ---- */

int main(int argc, char **argv)
{
    int L = 128, threads = 0, batch = 64, steps = 10, warmup = 2, arch = SNF_ARCH_INCEPTION;
    static const char *const arch_names[] = {"inception", "lite", "hinception"};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--arch") == 0 && i + 1 < argc) {
            arch = -1;
            for (int a = 0; a < 3; a++) {
                arch = strcmp(argv[i + 1], arch_names[a]) == 0 ? a : arch;
            }
            if (arch < 0) {
                fprintf(stderr, "bench_train: --arch expects inception, lite or hinception, got '%s'\n", argv[i + 1]);
                return 2;
            }
            i++;
            continue;
        }
        if (arg_int(argc, argv, &i, "--length", &L) || arg_int(argc, argv, &i, "--threads", &threads) ||
            arg_int(argc, argv, &i, "--batch", &batch) || arg_int(argc, argv, &i, "--steps", &steps) ||
            arg_int(argc, argv, &i, "--warmup", &warmup)) {
            continue;
        }
        fprintf(stderr,
                "usage: bench_train [--arch inception|lite|hinception] [--length L] [--threads T] [--batch B]\n"
                "                   [--steps N] [--warmup W]\n");
        return 2;
    }
    if (L < 1 || batch < 1 || steps < 1 || warmup < 0) {
        fprintf(stderr, "bench_train: length, batch and steps must be >= 1\n");
        return 2;
    }
#ifdef SNF_HAVE_MPI
    MPI_Init(&argc, &argv);
#endif
    int rank = 0, nranks = 1;
    snf_dist_info(&rank, &nranks);
    if (rank != 0 && !freopen("/dev/null", "w", stdout)) {
        return 1;
    }
    int nt = snf_threads_setup(threads);
    printf("openblas_config %s\n", openblas_get_config());
    printf("openblas_corename %s\n", openblas_get_corename());
    printf("openblas_threads %d omp_threads %d\n", openblas_get_num_threads(), nt);
    printf("conv_path %s (OpenBLAS serves the dense head%s)\n", snf_conv1d_path_name(),
           strcmp(snf_conv1d_path_name(), "im2col-sgemm") == 0 ? " and the convolutions" : "");

    snf_net_config cfg = snf_net_config_default();
    cfg.T = L;
    cfg.max_B = batch;
    cfg.arch = arch;
    snf_net *net = NULL;
    BENCH_CHECK(snf_net_alloc(&net, &cfg));
    snf_net_init(net, 1);
    printf("arch %s precision float32\n", arch_names[arch]);
    printf("params %zu bn_stats %zu activations %.1f MB (x2 with gradients)\n", net->nparams,
           net->nstats, (double)net->nacts * 4e-6);

    size_t nx = (size_t)batch * cfg.C_in * L, ny = (size_t)batch * cfg.n_out;
    float *x = malloc(nx * sizeof(float)), *y = malloc(ny * sizeof(float));
    if (!x || !y) {
        fprintf(stderr, "bench_train: out of memory\n");
        return 1;
    }
    snf_rng rng = snf_rng_seed(99);
    for (size_t i = 0; i < nx; i++) x[i] = 2.0f * snf_rng_uniform(&rng) - 1.0f;
    for (size_t i = 0; i < ny; i++) y[i] = 2.0f * snf_rng_uniform(&rng) - 1.0f;
    snf_adam_config adam = snf_adam_config_default();

    float loss = 0.0f;
    double t_fwd = 0, t_bwd = 0, t_adam = 0, t_best = 1e30;
    int shard = nranks > 1 && batch >= nranks;
    int lo = shard ? (int)((long)batch * rank / nranks) : 0;
    int hi = shard ? (int)((long)batch * (rank + 1) / nranks) : batch;
    float *gather = shard ? malloc(net->nparams * (size_t)nranks * sizeof(float)) : NULL;
    if (shard) {
        net->grad_scale = (float)(hi - lo) / (float)batch;
        /* per step: the gradients, and per BN layer of C channels (C + 1) + C doubles forward and 2 C + 1
         * backward, about 4 C doubles = 2 x its 2 C running statistics */
        double sent = 4.0 * (double)net->nparams + 8.0 * 2.0 * (double)net->nstats;
        printf("data-parallel: %d ranks, rows [%d, %d) of %d on rank 0; per step each rank sends %.3f MB and "
               "receives %.3f MB (all-gathers)\n", nranks, lo, hi, batch, sent * 1e-6, sent * (nranks - 1) * 1e-6);
    }
    for (int s = 0; s < warmup + steps; s++) {
        double t0 = now_s();
        snf_net_zero_grad(net);
        snf_bn_set_reduce(shard ? snf_dist_bn_reduce : NULL, NULL);
        BENCH_CHECK(snf_net_forward(net, x + (size_t)lo * cfg.C_in * L, y + (size_t)lo * cfg.n_out, hi - lo, 1, &loss));
        double t1 = now_s();
        BENCH_CHECK(snf_net_backward(net));
        snf_bn_set_reduce(NULL, NULL);
        if (shard) {
            snf_dist_sum_floats(net->grads, net->nparams, gather);
        }
        double t2 = now_s();
        snf_net_adam_step(net, &adam);
        double t3 = now_s();
        if (s >= warmup) {
            t_fwd += t1 - t0, t_bwd += t2 - t1, t_adam += t3 - t2;
            t_best = t3 - t0 < t_best ? t3 - t0 : t_best;
        }
    }
    double t_train = t_fwd + t_bwd + t_adam;
    double train_sps = (double)steps * batch / t_train;

    for (int s = 0; s < warmup; s++) {
        BENCH_CHECK(snf_net_forward(net, x, NULL, batch, 0, NULL));
    }
    double t_inf = 0, t_inf_best = 1e30;
    for (int s = 0; s < steps; s++) {
        double t0 = now_s();
        BENCH_CHECK(snf_net_forward(net, x, NULL, batch, 0, NULL));
        double dt = now_s() - t0;
        t_inf += dt;
        t_inf_best = dt < t_inf_best ? dt : t_inf_best;
    }
    double infer_sps = (double)steps * batch / t_inf;

    double fwd_flop = snf_net_flops(&cfg); /* per sample (0.9756 MFLOP x L for the reference) */
    printf("L %d batch %d steps %d warmup %d threads %d loss %.5f\n", L, batch, steps, warmup, nt,
           loss);
    printf("train step %.1f ms (forward %.1f, backward %.1f, adam %.2f) %.1f GFLOP/s\n",
           1e3 * t_train / steps, 1e3 * t_fwd / steps, 1e3 * t_bwd / steps, 1e3 * t_adam / steps,
           3.0 * fwd_flop * train_sps * 1e-9);
    printf("infer batch %.1f ms %.1f GFLOP/s\n", 1e3 * t_inf / steps, fwd_flop * infer_sps * 1e-9);
    /* The machine is shared: the fastest step shows what a quiet moment gives. The last two lines
     * (the contract) are means over all timed steps. */
    printf("best step: train %.1f samples/s, infer %.1f samples/s\n", batch / t_best,
           batch / t_inf_best);
    printf("train_samples_per_s %.1f\n", train_sps);
    printf("infer_samples_per_s %.1f\n", infer_sps);
    snf_net_free(net);
    free(x);
    free(y);
    free(gather);
#ifdef SNF_HAVE_MPI
    MPI_Finalize();
#endif
    return 0;
}
