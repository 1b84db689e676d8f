"""Uncertainty as `snforge predict` computes it (infer/uq_model.c, mixture.c, gnll.c, ood.c, dropout.c): the
Gaussian head's variance, equal-weight mixtures of the components (ensemble members x Monte Carlo dropout passes),
their summaries and quantile intervals, the dropout masks, and the out-of-distribution score. numpy only."""
import math

import numpy as np

GNLL_VAR_MIN = 1e-6          # uq.h SNF_GNLL_VAR_MIN
Q68 = (0.158655253931457, 0.841344746068543)
Q95 = (0.025, 0.975)
LN10 = 2.302585092994045684


def gnll_var(s):
    """Variance of the Gaussian head from its raw outputs s (float32): softplus(s) + 1e-6 in float64
    (Lakshminarayanan et al. 2017, sec. 2.2.1)."""
    s = np.asarray(s, dtype=np.float32).astype(np.float64)
    sp = np.where(s > 30.0, s, np.where(s < -30.0, np.exp(np.minimum(s, 30.0)), np.log1p(np.exp(np.minimum(s, 30.0)))))
    return sp + GNLL_VAR_MIN


# ---- dropout masks (nn/rng.c snf_rng_hash_uniform, nn/dropout.c) ----

_M = np.uint64(0xFFFFFFFFFFFFFFFF)


def _mix64(z):
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xbf58476d1ce4e5b9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94d049bb133111eb)
    return z ^ (z >> np.uint64(31))


def hash_uniform(seed, step, index):
    """float32 uniforms in [0, 1) of (seed, step, index [n]): splitmix64 finalisers, top 24 bits."""
    idx = np.asarray(index, dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = _mix64(np.full(idx.shape, np.uint64(seed) ^ np.uint64(0x243f6a8885a308d3), dtype=np.uint64))
        h = _mix64(h ^ (np.uint64(step) + np.uint64(0x9e3779b97f4a7c15)))
        h = _mix64(h ^ (idx + np.uint64(0x6a09e667f3bcc909)))
    return (h >> np.uint64(40)).astype(np.float32) * np.float32(1.0 / 16777216.0)


def dropout_mask(seed, step, p, rows, D):
    """The inverted-dropout mask (rows, D) float32 of pass `step` for batch positions rows (the index of
    feature f of batch row b is b D + f): 0 where dropped, 1 / (1 - p) where kept."""
    p = np.float32(p)
    keep = np.float32(1.0) / (np.float32(1.0) - p)
    idx = (np.asarray(rows, dtype=np.uint64)[:, None] * np.uint64(D) + np.arange(D, dtype=np.uint64)[None, :])
    u = hash_uniform(seed, step, idx.ravel()).reshape(idx.shape)
    return np.where(u < p, np.float32(0.0), keep).astype(np.float32)


# ---- mixtures (infer/mixture.c) ----

def _floor(mu):
    return 1e-12 * max(1.0, max(abs(m) for m in mu)) ** 2


def mix_cdf(x, mu, var):
    fl = _floor(mu)
    return sum(0.5 * math.erfc(-(x - m) / math.sqrt(2.0 * max(v, fl))) for m, v in zip(mu, var)) / len(mu)


def mix_quantile(q, mu, var):
    """The x with mixture CDF q: bisection to 1e-10 of the +-12 sigma bracket, as snf_mix_quantile."""
    fl = _floor(mu)
    lo, hi = math.inf, -math.inf
    for m, v in zip(mu, var):
        sd = math.sqrt(max(v, fl))
        lo, hi = min(lo, m - 12.0 * sd), max(hi, m + 12.0 * sd)
    tol = 1e-10 * (hi - lo)
    it = 0
    while it < 200 and hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if mix_cdf(mid, mu, var) < q:
            lo = mid
        else:
            hi = mid
        it += 1
    return 0.5 * (lo + hi)


def mix_summary(mu, var):
    """{"mean", "std", "lo68", "hi68", "lo95", "hi95"} of the equal-weight mixture of N(mu_i, var_i)."""
    mu, var = [float(m) for m in mu], [float(v) for v in var]
    n = len(mu)
    m = sum(mu) / n
    m2 = sum(v + x * x for x, v in zip(mu, var)) / n
    return {"mean": m, "std": math.sqrt(max(m2 - m * m, 0.0)),
            "lo68": mix_quantile(Q68[0], mu, var), "hi68": mix_quantile(Q68[1], mu, var),
            "lo95": mix_quantile(Q95[0], mu, var), "hi95": mix_quantile(Q95[1], mu, var)}


def mix_rescale(mu, var, k):
    """The variance scale k of a calibrated model about the mixture mean: mu' = m + k (mu - m), var' = k^2 var."""
    m = float(np.mean(mu))
    return m + k * (np.asarray(mu) - m), np.asarray(var) * k * k


def param_summary(mu, var):
    """A physical parameter from its log10 mixture (snf_uq_param_from_mixture): mean and std of 10^Y (log-normal
    moments of each component), the intervals as 10^(log10 quantiles), and "log10": the mixture's own summary."""
    s = mix_summary(mu, var)
    e1 = e2 = 0.0
    for m, v in zip(mu, var):
        a, w = float(m) * LN10, float(v) * LN10 * LN10
        e1 += math.exp(a + 0.5 * w)
        e2 += math.exp(2.0 * a + 2.0 * w)
    e1 /= len(mu)
    e2 /= len(mu)
    out = {"mean": e1, "std": math.sqrt(max(e2 - e1 * e1, 0.0))}
    for k in ("lo68", "hi68", "lo95", "hi95"):
        out[k] = 10.0 ** s[k]
    out["log10"] = s
    return out


# ---- out-of-distribution score (infer/ood.c) ----

def ood_d2(mean, chol, f):
    """Squared Mahalanobis distance of the feature vector f: |L^-1 (f - mean)|^2 by forward substitution."""
    D = len(mean)
    z = np.zeros(D)
    d2 = 0.0
    for a in range(D):
        s = float(f[a]) - mean[a] - float(np.dot(chol[a, :a], z[:a]))
        z[a] = s / chol[a, a]
        d2 += z[a] * z[a]
    return d2


def ood_pvalue(ref_d2, d2):
    """(1 + #reference distances >= d2) / (n_ref + 1); 1 without reference rows."""
    n = len(ref_d2)
    if n < 1:
        return 1.0
    lo = int(np.searchsorted(ref_d2, d2, side="left"))
    return (1.0 + (n - lo)) / (n + 1.0)


# ---- the caveat in words (infer/uq_caveat.c) ----

def _names(flags, names):
    """"mass and radius" from the flagged names."""
    chosen = [n for n, f in zip(names, flags) if f]
    return chosen[0] if len(chosen) == 1 else ", ".join(chosen[:-1]) + " and " + chosen[-1]


# the nearest-curve part of the OOD test (include/snforge/infer/uq.h SNF_UQ_NEAR_*)
NEAR_TOL_DEX = 0.15
NEAR_MIN_SAMPLES = 3


def caveat(has_ood, has_ranges, ood_flag, ood_p, ood_alpha, n_ref, outside, excludes, names, near_dex=None):
    """(extrapolation, do_not_use flags, text) as snf_uq_pred_caveat: whether the answer is an extrapolation (OOD
    flag, a parameter outside the training ranges) and which numbers not to use; an unavailable OOD test is said to
    be unavailable, never "in distribution". outside/excludes: per-parameter flags in the order of names; n_ref:
    the validation rows of the OOD fit; near_dex: the nearest-curve distance when it flagged the curve (else None)."""
    ood = bool(has_ood and ood_flag)
    dnu = [ood or bool(has_ranges and (o or e)) for o, e in zip(outside, excludes)]
    parts = []
    if ood:
        why = ("its luminosity lies %.2f dex (RMS) from the nearest training curve, beyond %.2g dex; OOD p-value %.2g"
               % (near_dex, NEAR_TOL_DEX, ood_p) if near_dex is not None else
               "OOD p-value %.2g, below %.2g" % (ood_p, ood_alpha) if ood_p < ood_alpha else
               "farther from them than every validation curve: OOD p-value %.2g, the smallest %d validation curves "
               "can give" % (ood_p, n_ref))
        parts.append("EXTRAPOLATION: this light curve is unlike every curve the model was trained on (%s), so none "
                     "of the four numbers is a measurement: do not use energy, mass, radius or nickel from this "
                     "model." % why)
    elif any(dnu):
        parts.append("EXTRAPOLATION for %s: the mean or the 95%% interval leaves the range the model was trained on; "
                     "do not use these numbers." % _names(dnu, names))
    if has_ranges and any(excludes):
        parts.append("The whole 95%% interval of %s lies outside the training range: the model never saw such a "
                     "value, the number only says 'beyond the range'." % _names(excludes, names))
    if not has_ood:
        parts.append("The OOD test is not available (the model file has no OOD fit): whether this light curve is "
                     "like the training curves is unknown, not 'in distribution'.")
    if not has_ranges:
        parts.append("The model file has no training ranges: whether a value is an extrapolation cannot be told.")
    if not parts:
        parts.append("No extrapolation: the curve is like the training curves (OOD p-value %.2g) and every "
                     "parameter's 95%% interval lies inside the training ranges." % ood_p)
    return ood or any(dnu), dnu, " ".join(parts)
