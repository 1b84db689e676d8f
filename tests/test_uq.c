/* test_uq.c: uncertainty (uq.h). The Gaussian NLL by hand and its gradient against central differences
 * (kernel and through a network); mixture moments, quantiles and CDF against GSL (quadrature of the
 * density written here); coverage and NLL arithmetic by hand; the variance scale against its closed form;
 * MC dropout with dropout off has exactly zero spread; the Mahalanobis score against a hand 2x2 inverse,
 * uniform p-values for held-out in-distribution rows and tiny ones for shifted rows; and a toy
 * heteroscedastic regression whose deep ensemble recovers the noise sigma within 10% and covers 68% /
 * 95% of fresh samples within 5 points; integrated-gradient completeness and occlusion; a greedy observing
 * plan picks the informative series of a toy. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_integration.h>

#include "check.h"
#include "snforge/infer.h"
#include "snforge/nn.h"
#include "snforge/core.h"

/* ---- helpers ---- */

static double gauss(snf_rng *r)
{
    double u1 = snf_rng_uniform(r) + 0x1p-25, u2 = snf_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* softplus^-1(v): the raw head output giving variance v + SNF_GNLL_VAR_MIN */
static float raw_for_var(double v)
{
    return (float)log(expm1(v));
}

/* ---- the NLL ---- */

static void test_gnll(void)
{
    /* one target, mu 0, var 1 (+ the floor), y 1: 0.5 ln(2 pi) + 0.5 (up to the 1e-6 floor) */
    float pred[2] = {0.0f, raw_for_var(1.0)}, y[1] = {1.0f};
    CHECK_REL(snf_gnll_forward(pred, y, 1, 1), 0.5 * log(2 * M_PI) + 0.5, 1e-5, "NLL of y = 1 under N(0, 1)");
    /* var 4, y - mu = 2: 0.5 ln(2 pi 4) + 0.5 */
    float p2[2] = {1.0f, raw_for_var(4.0)}, y2[1] = {3.0f};
    CHECK_REL(snf_gnll_forward(p2, y2, 1, 1), 0.5 * log(8 * M_PI) + 0.5, 1e-5, "NLL of y = 3 under N(1, 4)");

    /* gradient against central differences on a random batch (B 3, NP 4) */
    snf_rng r = snf_rng_seed(5);
    enum { B = 3, NP = 4 };
    float pr[B * 2 * NP], tg[B * NP], g[B * 2 * NP];
    for (int i = 0; i < B * 2 * NP; i++) {
        pr[i] = (float)(2.0 * snf_rng_uniform(&r) - 1.0);
    }
    for (int i = 0; i < B * NP; i++) {
        tg[i] = (float)(2.0 * snf_rng_uniform(&r) - 1.0);
    }
    memset(g, 0, sizeof g);
    snf_gnll_backward(g, pr, tg, B, NP);
    double worst = 0;
    for (int i = 0; i < B * 2 * NP; i++) {
        float keep = pr[i], h = 1e-2f;
        pr[i] = keep + h;
        double fp = snf_gnll_forward(pr, tg, B, NP);
        pr[i] = keep - h;
        double fm = snf_gnll_forward(pr, tg, B, NP);
        pr[i] = keep;
        double num = (fp - fm) / (2.0 * h);
        worst = fmax(worst, fabs(num - g[i]) / (1e-3 + fabs(g[i])));
    }
    CHECK_TRUE(worst < 2e-2, "NLL gradient vs central differences (worst rel %.2g)", worst);
}

typedef struct net_ctx {
    snf_net *net;
    const float *x, *y;
    int B;
} net_ctx;

static double net_loss(net_ctx *c)
{
    float loss = 0;
    snf_net_forward(c->net, c->x, c->y, c->B, 1, &loss);
    return loss;
}

/* The Gaussian head through a small InceptionTime and LITE: the head and last-BN gradients against
 * 4-point central differences (smooth there: no ReLU kink lies between the head and the loss). */
static void test_gnll_network(int arch)
{
    snf_net_config cfg = snf_net_config_default();
    cfg.arch = arch;
    cfg.C_in = 2, cfg.T = 16, cfg.max_B = 4, cfg.filters = 4, cfg.depth = 3, cfg.kernel = 8, cfg.bottleneck = 4;
    cfg.head = SNF_HEAD_GAUSSIAN;
    cfg.n_out = 2 * SNF_DATA_NP;
    snf_net *net = NULL;
    CHECK_INT(snf_net_alloc(&net, &cfg), SNF_OK, "alloc a Gaussian-head network (arch %d)", arch);
    if (!net) {
        return;
    }
    snf_net_init(net, 3);
    snf_rng r = snf_rng_seed(9);
    float x[4 * 2 * 16], y[4 * SNF_DATA_NP];
    for (size_t i = 0; i < sizeof x / sizeof *x; i++) {
        x[i] = (float)(2 * snf_rng_uniform(&r) - 1);
    }
    for (size_t i = 0; i < sizeof y / sizeof *y; i++) {
        y[i] = (float)(2 * snf_rng_uniform(&r) - 1);
    }
    net_ctx c = {net, x, y, 4};
    snf_net_zero_grad(net);
    net_loss(&c);
    snf_net_backward(net);
    /* the head's weight and bias are the last two tensors */
    size_t off = net->nparams - net->sizes[net->ntensors - 1] - net->sizes[net->ntensors - 2];
    int agree = 0, total = 0;
    for (size_t j = off; j < net->nparams; j += 3) {
        float keep = net->params[j];
        double h = 1e-2, f[4];
        const double s[4] = {-2, -1, 1, 2};
        for (int k = 0; k < 4; k++) {
            net->params[j] = keep + (float)(s[k] * h);
            f[k] = net_loss(&c);
        }
        net->params[j] = keep;
        double num = (8 * (f[2] - f[1]) - (f[3] - f[0])) / (12 * h), an = net->grads[j];
        agree += fabs(num - an) <= 1e-3 + 2e-2 * fabs(an);
        total++;
    }
    CHECK_TRUE(agree == total, "arch %d: Gaussian-head gradients vs central differences: %d of %d agree", arch, agree,
               total);
    snf_net_free(net);
}

/* ---- mixtures ---- */

typedef struct mixp {
    const double *mu, *var;
    int n;
} mixp;

static double mix_density(double x, void *v) /* written independently of mixture.c */
{
    const mixp *m = v;
    double s = 0;
    for (int i = 0; i < m->n; i++) {
        s += exp(-0.5 * (x - m->mu[i]) * (x - m->mu[i]) / m->var[i]) / sqrt(2 * M_PI * m->var[i]);
    }
    return s / m->n;
}

static void test_mixture(void)
{
    double mu1[1] = {2.0}, v1[1] = {0.25};
    snf_mix_summary s = snf_mix_summarise(mu1, v1, 1);
    CHECK_REL(s.lo68, 2.0 + 0.5 * gsl_cdf_ugaussian_Pinv(0.158655253931457), 1e-8, "one Gaussian: lo68");
    CHECK_REL(s.hi95, 2.0 + 0.5 * gsl_cdf_ugaussian_Pinv(0.975), 1e-8, "one Gaussian: hi95 = mu + 1.96 sigma");
    CHECK_REL(s.std, 0.5, 1e-12, "one Gaussian: std");

    double mu[3] = {-1.0, 0.5, 2.0}, var[3] = {0.3, 1.0, 0.1};
    s = snf_mix_summarise(mu, var, 3);
    double m = (mu[0] + mu[1] + mu[2]) / 3, m2 = 0;
    for (int i = 0; i < 3; i++) {
        m2 += (var[i] + mu[i] * mu[i]) / 3;
    }
    CHECK_REL(s.mean, m, 1e-12, "mixture mean by hand");
    CHECK_REL(s.std, sqrt(m2 - m * m), 1e-12, "mixture std by hand (law of total variance)");
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(200);
    mixp mp = {mu, var, 3};
    gsl_function F = {mix_density, &mp};
    const double qs[4] = {0.025, 0.158655253931457, 0.841344746068543, 0.975};
    const double got[4] = {s.lo95, s.lo68, s.hi68, s.hi95};
    for (int k = 0; k < 4; k++) {
        double cdf, err;
        gsl_integration_qagil(&F, got[k], 1e-12, 1e-10, 200, w, &cdf, &err);
        CHECK_ABS(cdf, qs[k], 1e-7, "mixture quantile %g: GSL quadrature of the density up to it", qs[k]);
    }
    double lp = snf_mix_logpdf(0.3, mu, var, 3);
    CHECK_REL(lp, log(mix_density(0.3, &mp)), 1e-12, "mixture log density");
    gsl_integration_workspace_free(w);
}

static void test_calib_by_hand(void)
{
    /* four rows, one N(0, 1) component each; truths 0.5, 1.5, -0.9, 2.5 */
    double t[4] = {0.5, 1.5, -0.9, 2.5}, mu[4] = {0, 0, 0, 0}, var[4] = {1, 1, 1, 1};
    snf_calib c;
    snf_calib_score(&c, t, mu, var, 1, 4);
    CHECK_ABS(c.cover68, 50.0, 1e-12, "68%% interval (+-0.994) covers 0.5 and -0.9: 2 of 4");
    CHECK_ABS(c.cover95, 75.0, 1e-12, "95%% interval (+-1.96) covers all but 2.5: 3 of 4");
    double nll = 0.5 * log(2 * M_PI) + 0.5 * (0.25 + 2.25 + 0.81 + 6.25) / 4;
    CHECK_REL(c.nll, nll, 1e-12, "mean NLL by hand");

    /* the variance scale: truths ~ N(0, 2^2) scored by N(0, 1): NLL(k) is minimal at k^2 = mean(t^2) */
    snf_rng r = snf_rng_seed(17);
    enum { N = 5000 };
    double *tt = malloc(N * sizeof *tt), *mm = calloc(N, sizeof *mm), *vv = malloc(N * sizeof *vv);
    double s2 = 0;
    for (int i = 0; i < N; i++) {
        tt[i] = 2.0 * gauss(&r);
        vv[i] = 1.0;
        s2 += tt[i] * tt[i] / N;
    }
    double k = snf_calib_fit_scale(tt, mm, vv, 1, N);
    CHECK_REL(k, sqrt(s2), 1e-5, "variance scale = sqrt(mean t^2) for zero-mean unit predictions");

    /* the streaming form (evaluate scores a dataset block by block): blocks of 64 and a last partial one give
     * snf_calib_score's figures bit for bit */
    for (int i = 0; i < N; i++) {
        mm[i] = 0.3 * gauss(&r);
        vv[i] = 0.5 + 2.0 * fabs(gauss(&r));
    }
    snf_calib whole, blocks;
    snf_calib_score(&whole, tt, mm, vv, 1, 1000);
    snf_calib_sum sum = {0, 0, 0, 0.0};
    for (long i0 = 0; i0 < 1000; i0 += 64) {
        snf_calib_add(&sum, tt + i0, mm + i0, vv + i0, 1, i0 + 64 <= 1000 ? 64 : 1000 - i0);
    }
    snf_calib_finish(&sum, &blocks);
    CHECK_TRUE(blocks.n == 1000 && memcmp(&blocks.cover68, &whole.cover68, sizeof(double)) == 0 &&
          memcmp(&blocks.cover95, &whole.cover95, sizeof(double)) == 0 &&
          memcmp(&blocks.nll, &whole.nll, sizeof(double)) == 0,
          "calibration in blocks of 64 = at once, bitwise (68%% %.17g vs %.17g, NLL %.17g vs %.17g)", blocks.cover68,
          whole.cover68, blocks.nll, whole.nll);
    free(tt), free(mm), free(vv);
}

/* ---- OOD ---- */

static void test_ood(void)
{
    /* hand check in D = 2: S' = 0.9 S + 0.1 (tr S / 2) I, d2 = v^T S'^-1 v */
    float f[8] = {1, 2, 2, 1, 3, 5, 0, 0};
    snf_ood o;
    CHECK_INT(snf_ood_fit(&o, f, 4, 2, 0.1), SNF_OK, "fit 4 rows of 2 features");
    double m0 = 1.5, m1 = 2.0, a = 0, b = 0, cc = 0;
    for (int i = 0; i < 4; i++) {
        double u = f[2 * i] - m0, v = f[2 * i + 1] - m1;
        a += u * u / 3, b += u * v / 3, cc += v * v / 3;
    }
    double tr = (a + cc) / 2;
    a = 0.9 * a + 0.1 * tr, cc = 0.9 * cc + 0.1 * tr, b *= 0.9;
    double det = a * cc - b * b;
    float q[2] = {4, -1};
    double u = q[0] - m0, v = q[1] - m1;
    double want = (cc * u * u - 2 * b * u * v + a * v * v) / det;
    CHECK_REL(snf_ood_d2(&o, q), want, 1e-9, "Mahalanobis d2 against the hand 2x2 inverse");
    snf_ood_free(&o);

    /* D = 8 correlated Gaussian features: fit on 4000, reference 2000, held-out 2000 in distribution
     * (p roughly uniform) and 200 shifted by 4 sigma along one feature (p tiny) */
    enum { D = 8, NF = 4000, NR = 2000, NH = 2000, NS = 200 };
    snf_rng r = snf_rng_seed(23);
    float *all = malloc((size_t)(NF + NR + NH + NS) * D * sizeof *all);
    for (int i = 0; i < NF + NR + NH + NS; i++) {
        double z[D], prev = 0;
        for (int k = 0; k < D; k++) {
            z[k] = gauss(&r);
            all[i * D + k] = (float)(z[k] + 0.6 * prev + 3.0); /* an AR(1)-like correlation */
            prev = z[k];
        }
        if (i >= NF + NR + NH) {
            all[i * D + 2] += 4.0f * 1.17f; /* 4 sigma of feature 2 (sd sqrt(1 + 0.36)) */
        }
    }
    CHECK_INT(snf_ood_fit(&o, all, NF, D, 0.1), SNF_OK, "fit %d rows of %d features", NF, D);
    CHECK_INT(snf_ood_set_reference(&o, all + (size_t)NF * D, NR), SNF_OK, "reference rows");
    int below10 = 0, below50 = 0, flagged = 0;
    for (int i = 0; i < NH; i++) {
        double p = snf_ood_pvalue(&o, snf_ood_d2(&o, all + (size_t)(NF + NR + i) * D));
        below10 += p <= 0.1;
        below50 += p <= 0.5;
    }
    for (int i = 0; i < NS; i++) {
        double p = snf_ood_pvalue(&o, snf_ood_d2(&o, all + (size_t)(NF + NR + NH + i) * D));
        flagged += p < 0.01;
    }
    CHECK_ABS(below10 / (double)NH, 0.1, 0.025, "held-out in-distribution rows: P(p <= 0.1)");
    CHECK_ABS(below50 / (double)NH, 0.5, 0.04, "held-out in-distribution rows: P(p <= 0.5)");
    CHECK_TRUE(flagged >= 0.9 * NS, "rows shifted by 4 sigma: %d of %d have p < 0.01", flagged, NS);
    snf_ood_free(&o);
    free(all);
}

/* ---- networks: MC dropout and the toy ensemble ---- */

/* An in-memory snf_uq_model over copies of nets' weights (identity normalisation). */
static void uq_from_nets(snf_uq_model *m, snf_net **nets, int M, int mc, int max_B)
{
    memset(m, 0, sizeof *m);
    for (int k = 0; k < SNF_DATA_NP; k++) {
        m->ck.norm.y_mean[k] = 0.0, m->ck.norm.y_std[k] = 1.0, m->var_scale[k] = 1.0;
    }
    m->members = M, m->mc_samples = mc, m->max_B = max_B;
    m->ck.nparams = nets[0]->nparams, m->ck.nstats = nets[0]->nstats;
    m->member_params = malloc((size_t)M * nets[0]->nparams * sizeof(float));
    m->member_stats = malloc((size_t)M * (nets[0]->nstats + 1) * sizeof(float));
    for (int k = 0; k < M; k++) {
        memcpy(m->member_params + (size_t)k * nets[0]->nparams, nets[k]->params, nets[0]->nparams * sizeof(float));
        memcpy(m->member_stats + (size_t)k * nets[0]->nstats, nets[k]->bn_stats, nets[0]->nstats * sizeof(float));
    }
    snf_net_alloc(&m->net, &nets[0]->cfg);
}

static void test_mc_dropout(void)
{
    for (int drop = 0; drop <= 1; drop++) {
        snf_net_config cfg = snf_net_config_default();
        cfg.C_in = 1, cfg.T = 8, cfg.max_B = 8, cfg.filters = 4, cfg.depth = 1, cfg.kernel = 4, cfg.bottleneck = 0;
        cfg.residual = 0, cfg.dropout = drop ? 0.3f : 0.0f;
        snf_net *net = NULL;
        snf_net_alloc(&net, &cfg);
        snf_net_init(net, 1);
        snf_uq_model m;
        uq_from_nets(&m, &net, 1, 8, 8);
        float x[8 * 8];
        for (int i = 0; i < 64; i++) {
            x[i] = (float)sin(0.3 * i);
        }
        double mu[8 * SNF_DATA_NP * 8], var[8 * SNF_DATA_NP * 8];
        CHECK_INT(snf_uq_model_components(&m, x, 8, 0, mu, var, NULL), SNF_OK, "components, dropout %.1f",
                  (double)cfg.dropout);
        double spread = 0;
        for (int i = 0; i < 8 * SNF_DATA_NP; i++) {
            snf_mix_summary s = snf_mix_summarise(mu + i * 8, var + i * 8, 8);
            spread = fmax(spread, s.std);
        }
        if (drop) {
            CHECK_TRUE(spread > 1e-3, "MC dropout 0.3: the 8 passes differ (largest std %.3g)", spread);
        } else {
            CHECK_TRUE(spread == 0.0, "MC dropout off: the 8 passes are identical (largest std %.3g, want exactly 0)",
                       spread);
        }
        snf_uq_model_free(&m);
        snf_net_free(net);
    }
}

/* y_k = a_k u + sigma(u) eps, sigma(u) = 0.05 + 0.125 (u + 1), u uniform in [-1, 1], input x(t) = u. */
static double toy_sigma(double u)
{
    return 0.05 + 0.125 * (u + 1.0);
}

static void toy_batch(float *x, float *y, int B, int T, snf_rng *r, double *us)
{
    static const double a[SNF_DATA_NP] = {1.0, -0.5, 0.3, 0.8};
    for (int b = 0; b < B; b++) {
        double u = 2.0 * snf_rng_uniform(r) - 1.0;
        if (us) {
            us[b] = u;
        }
        for (int t = 0; t < T; t++) {
            x[b * T + t] = (float)u;
        }
        for (int k = 0; k < SNF_DATA_NP; k++) {
            y[b * SNF_DATA_NP + k] = (float)(a[k] * u + toy_sigma(u) * gauss(r));
        }
    }
}

static void test_toy_ensemble(void)
{
    enum { M = 3, T = 8, B = 64, STEPS = 3000 };
    snf_net_config cfg = snf_net_config_default();
    cfg.C_in = 1, cfg.T = T, cfg.max_B = B, cfg.filters = 8, cfg.depth = 1, cfg.kernel = 4, cfg.bottleneck = 0;
    cfg.residual = 0, cfg.bn_momentum = 0.9f, cfg.head = SNF_HEAD_GAUSSIAN, cfg.n_out = 2 * SNF_DATA_NP;
    snf_net *nets[M];
    float x[B * T], y[B * SNF_DATA_NP];
    snf_adam_config ac = snf_adam_config_default();
    for (int k = 0; k < M; k++) {
        nets[k] = NULL;
        CHECK_INT(snf_net_alloc(&nets[k], &cfg), SNF_OK, "toy member %d", k);
        snf_net_init(nets[k], 100 + (uint64_t)k);
        snf_rng r = snf_rng_seed(1000 + (uint64_t)k);
        for (int s = 0; s < STEPS; s++) {
            toy_batch(x, y, B, T, &r, NULL);
            ac.lr = s < STEPS * 2 / 3 ? 3e-3f : 5e-4f;
            snf_net_zero_grad(nets[k]);
            snf_net_forward(nets[k], x, y, B, 1, NULL);
            snf_net_backward(nets[k]);
            snf_net_adam_step(nets[k], &ac);
        }
    }
    snf_uq_model m;
    uq_from_nets(&m, nets, M, 1, B);
    /* sigma on a grid of u against the truth */
    double rel = 0;
    int ng = 0;
    for (int g = 0; g < B; g++) {
        double u = -0.9 + 1.8 * g / (B - 1);
        for (int t = 0; t < T; t++) {
            x[g * T + t] = (float)u;
        }
    }
    double *mu = malloc((size_t)B * SNF_DATA_NP * M * sizeof *mu), *var = malloc((size_t)B * SNF_DATA_NP * M * sizeof *var);
    snf_uq_model_components(&m, x, B, 0, mu, var, NULL);
    for (int g = 0; g < B; g++) {
        double u = -0.9 + 1.8 * g / (B - 1);
        for (int k = 0; k < SNF_DATA_NP; k++) {
            snf_mix_summary s = snf_mix_summarise(mu + ((size_t)g * SNF_DATA_NP + k) * M,
                                                  var + ((size_t)g * SNF_DATA_NP + k) * M, M);
            rel += fabs(s.std - toy_sigma(u)) / toy_sigma(u);
            ng++;
        }
    }
    rel /= ng;
    CHECK_TRUE(rel < 0.10, "toy ensemble: predicted sigma vs the true noise, mean relative error %.3f (< 0.10)", rel);
    /* coverage on fresh samples */
    snf_rng r = snf_rng_seed(77);
    long in68 = 0, in95 = 0, n = 0;
    for (int rep = 0; rep < 40; rep++) {
        toy_batch(x, y, B, T, &r, NULL);
        snf_uq_model_components(&m, x, B, 0, mu, var, NULL);
        for (int b = 0; b < B; b++) {
            for (int k = 0; k < SNF_DATA_NP; k++) {
                snf_mix_summary s = snf_mix_summarise(mu + ((size_t)b * SNF_DATA_NP + k) * M,
                                                      var + ((size_t)b * SNF_DATA_NP + k) * M, M);
                double t = y[b * SNF_DATA_NP + k];
                in68 += t >= s.lo68 && t <= s.hi68;
                in95 += t >= s.lo95 && t <= s.hi95;
                n++;
            }
        }
    }
    CHECK_ABS(100.0 * in68 / n, 68.27, 5.0, "toy ensemble: 68%% interval coverage of %ld fresh samples", n);
    CHECK_ABS(100.0 * in95 / n, 95.0, 5.0, "toy ensemble: 95%% interval coverage of %ld fresh samples", n);
    free(mu), free(var);
    snf_uq_model_free(&m);
    for (int k = 0; k < M; k++) {
        snf_net_free(nets[k]);
    }
}

/* Integrated gradients: completeness (the attributions sum to F(x) - F(0)) within 1% on a small
 * InceptionTime; occlusion of a window that is already missing changes nothing (exactly). */
static void test_explain(void)
{
    snf_net_config cfg = snf_net_config_default();
    cfg.C_in = 4, cfg.T = 16, cfg.max_B = 64, cfg.filters = 4, cfg.depth = 3, cfg.kernel = 8, cfg.bottleneck = 4;
    cfg.bn_momentum = 0.5f;
    snf_net *net = NULL;
    snf_net_alloc(&net, &cfg);
    snf_net_init(net, 21);
    snf_rng r = snf_rng_seed(31);
    float x[4 * 16], y[64 * SNF_DATA_NP];
    float xb[64 * 4 * 16];
    for (int i = 0; i < 64 * 64; i++) {
        xb[i] = (float)(2 * snf_rng_uniform(&r) - 1);
    }
    for (int i = 0; i < 64 * SNF_DATA_NP; i++) {
        y[i] = 0;
    }
    for (int it = 0; it < 5; it++) { /* running BN statistics away from the initial 0 / 1 */
        snf_net_forward(net, xb, y, 64, 1, NULL);
    }
    snf_uq_model m;
    uq_from_nets(&m, &net, 1, 1, 64);
    m.ck.spec.channels = SNF_CH_BOTH, m.ck.spec.mask = 1, m.ck.spec.L = 16;
    m.ck.spec.t_start_d = 1, m.ck.spec.t_end_d = 300;
    for (int t = 0; t < 16; t++) {
        x[t] = (float)sin(0.4 * t), x[16 + t] = (float)cos(0.3 * t), x[32 + t] = 1, x[48 + t] = 1;
    }
    for (int t = 10; t < 16; t++) { /* velocity missing at the end */
        x[16 + t] = 0, x[48 + t] = 0;
    }
    double attr[SNF_DATA_NP * 64], delta[SNF_DATA_NP];
    CHECK_INT(snf_explain_ig(&m, x, 256, attr, delta), SNF_OK, "integrated gradients");
    for (int k = 0; k < SNF_DATA_NP; k++) {
        double s = 0;
        for (int i = 0; i < 64; i++) {
            s += attr[k * 64 + i];
        }
        CHECK_REL(s, delta[k], 0.01, "output %d: completeness, sum of attributions = F(x) - F(baseline)", k);
    }
    double imp[SNF_DATA_NP * 2 * 16];
    CHECK_INT(snf_explain_occlusion(&m, x, 4, 2, imp), SNF_OK, "occlusion");
    double seen = 0, unseen = 0;
    for (int k = 0; k < SNF_DATA_NP; k++) {
        for (int t = 12; t < 16; t++) { /* only windows [12, 16) cover these samples of v_ph */
            unseen = fmax(unseen, imp[(k * 2 + 1) * 16 + t]);
        }
        for (int t = 0; t < 16; t++) {
            seen = fmax(seen, imp[(k * 2 + 0) * 16 + t]);
        }
    }
    CHECK_TRUE(unseen == 0.0, "occluding v_ph days 12-15, already missing, changes nothing (got %.3g)", unseen);
    CHECK_TRUE(seen > 1e-4, "occluding observed luminosity changes the answer (largest %.3g dex)", seen);
    snf_uq_model_free(&m);
    snf_net_free(net);
}

/* plan: a toy where series 0 carries the answer (its every sample equals the target) and series 1 is
 * noise; samples are observed at random during training. From nothing observed, the greedy plan's first
 * choice is an observation of series 0, and it shrinks the predicted sigma. */
static void test_plan(void)
{
    enum { T = 8, C = 4, B = 64, STEPS = 2500 };
    snf_net_config cfg = snf_net_config_default();
    cfg.C_in = C, cfg.T = T, cfg.max_B = B, cfg.filters = 8, cfg.depth = 1, cfg.kernel = 4, cfg.bottleneck = 0;
    cfg.residual = 0, cfg.bn_momentum = 0.9f, cfg.head = SNF_HEAD_GAUSSIAN, cfg.n_out = 2 * SNF_DATA_NP;
    snf_net *net = NULL;
    CHECK_INT(snf_net_alloc(&net, &cfg), SNF_OK, "plan toy network");
    snf_net_init(net, 7);
    snf_rng r = snf_rng_seed(8);
    float x[B * C * T], y[B * SNF_DATA_NP];
    snf_adam_config ac = snf_adam_config_default();
    ac.lr = 3e-3f;
    for (int s = 0; s < STEPS; s++) {
        for (int b = 0; b < B; b++) {
            float c = (float)gauss(&r);
            for (int t = 0; t < T; t++) {
                float m0 = snf_rng_uniform(&r) < 0.3f, m1 = snf_rng_uniform(&r) < 0.3f;
                x[(b * C + 0) * T + t] = m0 * c;
                x[(b * C + 1) * T + t] = m1 * (float)gauss(&r);
                x[(b * C + 2) * T + t] = m0;
                x[(b * C + 3) * T + t] = m1;
            }
            for (int k = 0; k < SNF_DATA_NP; k++) {
                y[b * SNF_DATA_NP + k] = c + 0.05f * (float)gauss(&r);
            }
        }
        snf_net_zero_grad(net);
        snf_net_forward(net, x, y, B, 1, NULL);
        snf_net_backward(net);
        snf_net_adam_step(net, &ac);
    }
    snf_uq_model m;
    uq_from_nets(&m, &net, 1, 1, B);
    m.ck.spec.channels = SNF_CH_BOTH, m.ck.spec.mask = 1, m.ck.spec.L = T;
    m.ck.spec.t_start_d = 1, m.ck.spec.t_end_d = 8;
    m.ck.norm.x_mean[0] = m.ck.norm.x_mean[1] = 0; /* identity: the plan decodes and re-encodes its epochs */
    m.ck.norm.x_std[0] = m.ck.norm.x_std[1] = 1;
    float x0[C * T], full[C * T];
    for (int t = 0; t < T; t++) {
        x0[t] = x0[T + t] = x0[2 * T + t] = x0[3 * T + t] = 0;
        full[t] = 1.3f, full[T + t] = (float)gauss(&r), full[2 * T + t] = full[3 * T + t] = 1;
    }
    int sample[2], series[2];
    double stdk[2 * SNF_DATA_NP], std0[SNF_DATA_NP], stdf[SNF_DATA_NP];
    CHECK_INT(snf_plan_greedy(&m, x0, full, 2, sample, series, stdk, std0, stdf), SNF_OK, "greedy plan");
    CHECK_INT(series[0], 0, "the first observation chosen is of the informative series (day %d)", sample[0]);
    CHECK_TRUE(stdk[0] < 0.75 * std0[0], "it shrinks sigma by a quarter or more: %.3f -> %.3f (full curve %.3f)", std0[0], stdk[0], stdf[0]);
    snf_uq_model_free(&m);
    snf_net_free(net);
}

int main(void)
{
    snf_threads_setup(1);
    test_gnll();
    test_gnll_network(SNF_ARCH_INCEPTION);
    test_gnll_network(SNF_ARCH_LITE);
    test_mixture();
    test_calib_by_hand();
    test_ood();
    test_mc_dropout();
    test_explain();
    test_plan();
    test_toy_ensemble();
    return snf_check_failures();
}
