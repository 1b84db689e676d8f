/* nn/layers.h: the layer kernels of the nn/ room, as forward/backward pairs on flat float tensors.
 * Layout is (B, C, T) row-major. Each _forward writes its outputs (and whatever its _backward needs,
 * e.g. BatchNorm mean/rstd or max-pool argmax) into caller-owned buffers; each _backward ACCUMULATES
 * (+=) into dinp, dw, db, so shared inputs and residual shortcuts need no special code.
 * Kernels never allocate, never print and never call exit; shape errors are programmer errors (assert).
 * It does not know the network (net.h), data files or checkpoints.
 * Threading: the kernels parallelise their outermost batch/channel loop with OpenMP when built with
 * it; BLAS runs single-threaded inside (snf_threads_setup). Results are deterministic for a given
 * thread count and even across thread counts (batch reductions sum fixed chunks in a fixed order). */
#ifndef SNFORGE_NN_LAYERS_H
#define SNFORGE_NN_LAYERS_H

#include "snforge/export.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- threads ---- */

/* Sets the number of OpenMP threads used by the kernels (nthreads <= 0 keeps the OpenMP default) and
 * pins OpenBLAS to one thread when OpenMP is on (OpenMP over the batch, serial sgemm inside). In a
 * serial build, OpenBLAS gets nthreads instead. Returns the thread count the kernels will use. */
SNF_API int snf_threads_setup(int nthreads);

/* The number of threads a kernel called now would use (omp_get_max_threads(), 1 if serial). */
SNF_API int snf_threads_max(void);

/* On a busy machine (issue 21). OpenMP threads that spin while they wait, and more threads than idle cores,
 * made multi-threaded work 6-40x slower under competing load. The snforge program does both of the
 * following first thing in main(); a program that uses the library does the same, or sets
 * OMP_WAIT_POLICY=passive in its environment before it starts (libgomp reads it when it loads, before
 * main(): setenv() inside the program is too late) and passes a thread count to snf_threads_setup.
 *
 *   int main(int argc, char **argv) {
 *       snf_omp_passive_reexec(argv);   // returns only when no re-execution was needed or possible
 *       snf_threads_auto();
 *       ...
 *
 * snf_omp_passive_reexec: when neither OMP_WAIT_POLICY nor GOMP_SPINCOUNT is set, sets OMP_WAIT_POLICY=passive
 * and re-executes the program (/proc/self/exe, same argv, same descriptors) so that libgomp starts with it;
 * the new image sees the variable and goes on. Returns 0 when nothing was needed (a user's setting is kept,
 * or a serial build), -1 when the re-execution failed (the program runs on, slower under load). */
SNF_API int snf_omp_passive_reexec(char **argv);

/* The waiting policy in effect, in words: "passive (chosen by snforge)", the user's OMP_WAIT_POLICY, ... */
SNF_API const char *snf_omp_wait_policy(void);

/* snf_threads_auto: unless OMP_NUM_THREADS is set, sets the default OpenMP thread count to the idle cores now
 * (snf_threads_idle, rounded: snf_threads_pick), at least 1. Returns the default thread count. An explicit count
 * (--threads, snf_threads_setup(n)) still overrides it. Results do not depend on the count. Takes 100 ms. */
SNF_API int snf_threads_auto(void);

/* The idle cores now, a fraction: the machine's CPU share not used by other processes over 100 ms (/proc/stat less
 * /proc/self/stat) times its cores, at most the cores this process may use (*cores, may be NULL). All of them if
 * /proc/stat cannot be read. */
SNF_API double snf_threads_idle(int *cores);

/* idle_cores rounded to the nearest whole number, at least 1 and at most ncpu: with one busy loop on 2 cores, 1
 * thread; with half a core used by others, 2 (passive waiting makes a shared core cheap, an unused one costly). */
SNF_API int snf_threads_pick(int ncpu, double idle_cores);

/* ---- deterministic random numbers (splitmix64; the state is the caller's) ---- */

typedef struct snf_rng {
    uint64_t s; /* splitmix64 counter state */
} snf_rng;

SNF_API snf_rng snf_rng_seed(uint64_t seed);
SNF_API uint64_t snf_rng_u64(snf_rng *r);
/* v[0..n) shuffled in place (Fisher-Yates from the last element down, j = u64 mod (i + 1)): the one shuffle of
 * the training rows, the mixed-in rows, the splits and the curriculum's deal. */
SNF_API void snf_rng_shuffle(snf_rng *r, long *v, long n);
/* Uniform in [0, 1) with 24 random bits (exactly representable in float). */
SNF_API float snf_rng_uniform(snf_rng *r);
/* A stateless hash of (seed, step, index) to a uniform in [0, 1): dropout masks per element. */
SNF_API float snf_rng_hash_uniform(uint64_t seed, uint64_t step, uint64_t index);
/* Glorot-uniform fill: w[i] ~ U(-a, a), a = sqrt(6 / (fan_in + fan_out)). */
SNF_API void snf_glorot_uniform(float *w, size_t n, int fan_in, int fan_out, snf_rng *r);

/* ---- conv1d: stride 1, 'same' padding with the TensorFlow split for even K ---- */
/* Padding: left = (K-1)/2, right = K-1-left (K=40: 19/20). inp (B,C,T), w (OC,C,K), b (OC) or NULL.
 * The _cs variants read/write a channel slice: out/dout point at channel c_off of a tensor with OCS
 * channels (batch stride OCS*T), which is how Inception branches write their part of a concat.
 * ws is a workspace of snf_conv1d_ws_size(C, OC, T, K, snf_threads_max()) floats (per-thread im2col
 * or padding buffers, weight-gradient partials, packed kernels); it is scratch, nothing survives
 * between calls, and one ws serves one call at a time. */
SNF_API size_t snf_conv1d_ws_size(int C, int OC, int T, int K, int nthreads);

SNF_API void snf_conv1d_forward(float *out, float *ws, const float *inp, const float *w, const float *b,
                        int B, int C, int OC, int T, int K);
SNF_API void snf_conv1d_backward(float *dinp, float *dw, float *db, float *ws, const float *dout,
                         const float *inp, const float *w, int B, int C, int OC, int T, int K);
SNF_API void snf_conv1d_forward_cs(float *out, float *ws, const float *inp, const float *w, const float *b,
                           int B, int C, int OC, int OCS, int T, int K);
/* dinp may be NULL (input of the network: no gradient needed); db may be NULL (no bias). */
SNF_API void snf_conv1d_backward_cs(float *dinp, float *dw, float *db, float *ws, const float *dout,
                            const float *inp, const float *w, int B, int C, int OC, int OCS, int T,
                            int K);
/* The above choose, at run time: with AVX-512F, direct kernels (nn/conv1d_direct.c) for the forward
 * pass, the input gradient and the weight gradient; with AVX2 + FMA, direct kernels for the forward
 * pass and the input gradient (nn/conv1d_direct_avx2.c) and im2col + OpenBLAS sgemm for the weight
 * gradient (faster there); otherwise im2col + sgemm (per sample, cache-resident) throughout. The
 * environment variable SNF_CONV_PORTABLE forces im2col + sgemm, SNF_CONV_AVX2 the AVX2 kernels on an
 * AVX-512 CPU (set to anything but "" or "0"; read at each call, so set them before any thread
 * starts). The _im2col variants force im2col + sgemm everywhere (same workspace), so every path can be
 * tested on one machine. */
/* "direct-avx512", "direct-avx2" or "im2col-sgemm": the path the default conv kernels take here. */
SNF_API const char *snf_conv1d_path_name(void);
SNF_API void snf_conv1d_forward_im2col(float *out, float *ws, const float *inp, const float *w,
                               const float *b, int B, int C, int OC, int T, int K);
SNF_API void snf_conv1d_backward_im2col(float *dinp, float *dw, float *db, float *ws, const float *dout,
                                const float *inp, const float *w, int B, int C, int OC, int T, int K);
/* Plain loops, same contract (no workspace); the reference the tests compare the BLAS path with. */
SNF_API void snf_conv1d_forward_naive(float *out, const float *inp, const float *w, const float *b, int B,
                              int C, int OC, int T, int K);
SNF_API void snf_conv1d_backward_naive(float *dinp, float *dw, float *db, const float *dout,
                               const float *inp, const float *w, int B, int C, int OC, int T, int K);

/* ---- Inception branches: n convolutions of one input into consecutive channel slices ---- */
/* Branch i (kernel w[i], shape (OC, C, K[i]), no bias) writes channels [i OC, (i+1) OC) of out, a
 * tensor with OCS >= n OC channels; the result equals n snf_conv1d_forward_cs calls, in one parallel
 * region sharing one padded copy of each sample. Backward accumulates dinp (may be NULL) and dw[i].
 * ws: snf_conv1d_multi_ws_size(C, OC, T, K, n, snf_threads_max()) floats of scratch. */
#define SNF_MULTI_MAX 4
SNF_API size_t snf_conv1d_multi_ws_size(int C, int OC, int T, const int *K, int n, int nthreads);
SNF_API void snf_conv1d_multi_forward(float *out, float *ws, const float *inp, const float *const *w,
                              const int *K, int n, int B, int C, int OC, int OCS, int T);
SNF_API void snf_conv1d_multi_backward(float *dinp, float *const *dw, float *ws, const float *dout,
                               const float *inp, const float *const *w, const int *K, int n, int B,
                               int C, int OC, int OCS, int T);

/* ---- depthwise convolution with dilation (LITE's separable convolutions) ---- */
/* out[b,c,t] = sum_k w[c,k] inp[b,c,t + d k - left], 'same' padding of the dilated kernel as in
 * TensorFlow: span d (K-1) + 1, left = (d (K-1)) / 2, zeros outside. inp/out (B,C,T), w (C,K), d >= 1.
 * Plain C loops (no CPU-specific path), parallel over rows (forward, input gradient) and channels
 * (weight gradient), so results do not depend on the thread count. Backward accumulates dinp (may
 * be NULL) and dw. Chollet 2017 (Xception); dilation as in Yu & Koltun 2016. */
SNF_API void snf_dwconv1d_forward(float *out, const float *inp, const float *w, int B, int C, int T, int K, int d);
SNF_API void snf_dwconv1d_backward(float *dinp, float *dw, const float *dout, const float *inp, const float *w, int B,
                           int C, int T, int K, int d);

/* ---- hand-crafted filters (Ismail-Fawaz et al. 2022, "Deep learning for time series classification
 * using new hand-crafted convolution filters", IEEE BigData; the LITE/H-InceptionTime hybrid layer) ---- */
/* Per input channel, SNF_HYBRID_PER_CHANNEL fixed (non-trainable) filters applied depthwise with 'same'
 * padding (left (L-1)/2), then ReLU: 6 increasing-trend filters of lengths 2, 4, ..., 64 with
 * w[k] = -1 (k even), +1 (k odd); 6 decreasing-trend filters, the negatives; 5 peak filters for
 * K = 4, 8, ..., 64 of length 3K/2 built from q = K/4 parabola samples l_i = ((i+1)/q)^2, i < q, and
 * their reversal r: [-l, -r, 2l, 2r, -l, -r]. Output channel c SNF_HYBRID_PER_CHANNEL + j of the slice
 * is filter j on input channel c. out points at channel c_off of a tensor with OCS channels. Forward
 * only: the filters are fixed and, in LITE and H-InceptionTime, read the network input. */
#define SNF_HYBRID_PER_CHANNEL 17
/* The weights of filter j (< SNF_HYBRID_PER_CHANNEL) into w (room for 96); returns its length. */
SNF_API int snf_hybrid_filter(int j, float *w);
SNF_API void snf_hybrid_forward(float *out, const float *inp, int B, int C, int OCS, int T);

/* ---- batch normalisation over (batch x time), per channel ---- */
/* Train mode normalises with the batch mean and the biased batch variance over B*T values and writes
 * mean (C) and rstd = 1/sqrt(var + eps) (C) for the backward pass. If run_mean/run_var are not NULL it
 * updates them Keras-style: run = momentum*run + (1-momentum)*batch, with the BIASED batch variance
 * (the Keras non-fused path; PyTorch would use the Bessel-corrected one; this only affects inference).
 * Eval mode uses run_mean/run_var and writes nothing else. The _relu variants apply max(0, .) after
 * the affine map (fused BN+ReLU); their backward takes the output to rebuild the ReLU mask. */
/* Synchronised BatchNorm for data-parallel training (nn/dist.c): once a reducer is set, train-mode
 * BN (and its backward) sums each channel's statistics over all ranks before using them: fn must replace
 * v[0..n) by the sum over the ranks of every rank's v, identically on all ranks. The forward sums
 * (sum x, count) then (sum (x - m)^2); the backward (sum g, sum g (x - m), count) for the input gradient,
 * while dgamma and dbeta keep the local sums (the trainer sums parameter gradients over ranks). NULL
 * restores the local statistics. Channels per BN layer <= SNF_BN_SYNC_MAX. Not thread-safe (one
 * network per process). */
#define SNF_BN_SYNC_MAX 8192
typedef void (*snf_bn_reduce_fn)(double *v, int n, void *ctx);
SNF_API void snf_bn_set_reduce(snf_bn_reduce_fn fn, void *ctx);

SNF_API void snf_bn_forward_train(float *out, float *mean, float *rstd, float *run_mean, float *run_var,
                          const float *inp, const float *gamma, const float *beta, int B, int C,
                          int T, float eps, float momentum);
SNF_API void snf_bn_forward_eval(float *out, const float *inp, const float *gamma, const float *beta,
                         const float *run_mean, const float *run_var, int B, int C, int T, float eps);
SNF_API void snf_bn_backward(float *dinp, float *dgamma, float *dbeta, const float *dout, const float *inp,
                     const float *mean, const float *rstd, const float *gamma, int B, int C, int T);
SNF_API void snf_bnrelu_forward_train(float *out, float *mean, float *rstd, float *run_mean, float *run_var,
                              const float *inp, const float *gamma, const float *beta, int B, int C,
                              int T, float eps, float momentum);
SNF_API void snf_bnrelu_forward_eval(float *out, const float *inp, const float *gamma, const float *beta,
                             const float *run_mean, const float *run_var, int B, int C, int T,
                             float eps);
SNF_API void snf_bnrelu_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                         const float *out, const float *inp, const float *mean, const float *rstd,
                         const float *gamma, int B, int C, int T);

/* ---- max-pool: window K, stride 1, 'same' (left (K-1)/2), padding never wins ---- */
/* argmax (B,C,T) receives the time index (within the row) of each window's maximum; ties go to the
 * earliest index. The backward routes dout to that index. */
SNF_API void snf_maxpool_forward(float *out, int *argmax, const float *inp, int B, int C, int T, int K);
SNF_API void snf_maxpool_backward(float *dinp, const float *dout, const int *argmax, int B, int C, int T);

/* ---- global average pooling over time: (B,C,T) -> (B,C) ---- */
SNF_API void snf_gap_forward(float *out, const float *inp, int B, int C, int T);
SNF_API void snf_gap_backward(float *dinp, const float *dout, int B, int C, int T);

/* ---- linear (dense) layer: inp (B,C), w (OC,C), b (OC) or NULL -> out (B,OC) ---- */
SNF_API void snf_linear_forward(float *out, const float *inp, const float *w, const float *b, int B, int C,
                        int OC);
SNF_API void snf_linear_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                         const float *w, int B, int C, int OC);
SNF_API void snf_linear_forward_naive(float *out, const float *inp, const float *w, const float *b, int B,
                              int C, int OC);
SNF_API void snf_linear_backward_naive(float *dinp, float *dw, float *db, const float *dout,
                               const float *inp, const float *w, int B, int C, int OC);

/* ---- element-wise: ReLU, residual add, fused add + ReLU (N = number of elements) ---- */
/* The ReLU backward reads the output: the gradient passes where out > 0 (0 at the kink). */
SNF_API void snf_relu_forward(float *out, const float *inp, size_t N);
SNF_API void snf_relu_backward(float *dinp, const float *dout, const float *out, size_t N);
SNF_API void snf_add_forward(float *out, const float *a, const float *b, size_t N);
SNF_API void snf_add_backward(float *da, float *db, const float *dout, size_t N);
SNF_API void snf_addrelu_forward(float *out, const float *a, const float *b, size_t N);
SNF_API void snf_addrelu_backward(float *da, float *db, const float *dout, const float *out, size_t N);

/* ---- inverted dropout with a deterministic mask ---- */
/* mask[i] = 1/(1-p) if hash(seed, step, i) >= p else 0; out = inp * mask. p = 0 copies (mask 1). */
SNF_API void snf_dropout_forward(float *out, float *mask, const float *inp, float p, uint64_t seed,
                         uint64_t step, size_t N);
SNF_API void snf_dropout_backward(float *dinp, const float *dout, const float *mask, size_t N);

/* ---- mean squared error over B x NO (standardised targets) ---- */
/* Returns mean((pred - target)^2) over all B*NO values (accumulated in double). */
SNF_API float snf_mse_forward(const float *pred, const float *target, int B, int NO);
/* dpred += 2 (pred - target) / (B*NO). */
SNF_API void snf_mse_backward(float *dpred, const float *pred, const float *target, int B, int NO);

/* ---- the Gaussian head (gnll.c) ---- */

/* Variance floor added to the softplus, in standardised units squared (a 0.1% sigma). */
#define SNF_GNLL_VAR_MIN 1e-6

/* Parameterisation: for a head with n_out = 2 NP outputs per row, row b holds the means mu[0..NP) then
 * raw values s[0..NP); the variance is var = softplus(s) + SNF_GNLL_VAR_MIN with softplus(s) =
 * log(1 + e^s) (Lakshminarayanan et al. 2017, "Simple and scalable predictive uncertainty estimation
 * using deep ensembles", NeurIPS, sec. 2.2.1, who use softplus + 1e-6). */
SNF_API double snf_gnll_var(float s);

/* Gaussian negative log-likelihood (Nix & Weigend 1994, "Estimating the mean and variance of the target
 * probability distribution", ICNN; Lakshminarayanan et al. 2017 eq. 1), mean over the B x NP targets:
 * loss = 1/(B NP) sum_{b,k} [ 0.5 ln(2 pi var) + 0.5 (y - mu)^2 / var ], in nats per target.
 * pred (B, 2 NP), target (B, NP). */
SNF_API float snf_gnll_forward(const float *pred, const float *target, int B, int NP);
/* Accumulates d loss / d pred into dpred (B, 2 NP): d/dmu = (mu - y) / (var B NP);
 * d/ds = 0.5 (1/var - (y - mu)^2 / var^2) sigmoid(s) / (B NP). */
SNF_API void snf_gnll_backward(float *dpred, const float *pred, const float *target, int B, int NP);

/* The head's loss for n_out outputs (head SNF_HEAD_MSE: MSE of nn.h over n_out; SNF_HEAD_GAUSSIAN:
 * the NLL above with NP = n_out / 2) and its gradient (accumulated). */
SNF_API float snf_head_loss(int head, const float *pred, const float *target, int B, int n_out);
SNF_API void snf_head_loss_backward(int head, float *dpred, const float *pred, const float *target, int B, int n_out);

#ifdef __cplusplus
}
#endif

#endif
