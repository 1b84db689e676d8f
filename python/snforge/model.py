"""Model files written by `snforge train` (layout: the field table of train/checkpoint_fields.c): architecture, named tensors (/tensors, written by
train/model_tensors.c), input/target normalisation, training history, and the uncertainty group /uq (infer/uq_model.c:
ensemble members' weights, Monte Carlo dropout passes, variance scale, OOD fit, training ranges). load_model needs
only h5py; the network (Model.torch_module, Model.predict*) needs PyTorch."""
import numpy as np

from .observation import read_observation_full, resample_observation, t0_nodes
from . import uq

# /net's arch code -> name (torch_net.py imports it: repr needs no PyTorch)
ARCH_NAMES = {0: "InceptionTime", 1: "LITE", 2: "H-InceptionTime"}

TARGETS = ["energy", "mass", "radius", "nickel"]
UQ_DEFAULTS = {"members": 1, "mc_samples": 1, "calibrated": 0, "has_ranges": 0, "has_ood": 0, "ood_alpha": 0.01}


def _text(v):
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, np.ndarray):
        return [_text(x) for x in v.tolist()]
    return v


def _index(f, path):
    """name -> (slab, offset, shape) of the /tensors index, checked to tile each slab exactly."""
    t = f["tensors"]
    names, slab = _text(t["name"][()]), _text(t["slab"][()])
    off, rank, shape = t["offset"][()], t["rank"][()], t["shape"][()]
    out, used = {}, {"params": 0, "bn_stats": 0}
    for i, n in enumerate(names):
        dims = tuple(int(x) for x in shape[i][: int(rank[i])])
        out[n] = (slab[i], int(off[i]), dims)
        used[slab[i]] += int(np.prod(dims))
    for s in used:
        if used[s] != f[s].shape[0]:
            raise ValueError("%s: the /tensors index covers %d of the %d floats of /%s (written by an snforge whose "
                             "index was wrong for LITE and H-InceptionTime: train it again, or resume it for one "
                             "epoch)" % (path, used[s], f[s].shape[0], s))
    return out


def _unpack(index, params, stats):
    slabs = {"params": params, "bn_stats": stats}
    return {n: slabs[s][o: o + int(np.prod(d))].reshape(d) for n, (s, o, d) in index.items()}


class Model:
    """A trained regressor read from an snforge model file: InceptionTime, H-InceptionTime or LITE, with a point
    head (4 means) or a Gaussian head (4 means, then 4 raw variances: uq.gnll_var), possibly a deep ensemble.

    config       the /net attributes (C_in, n_out, T, filters, depth, kernel, bottleneck, residual, bn_eps,
                 dropout, arch 0 InceptionTime / 1 LITE / 2 H-InceptionTime, head 0 point / 1 Gaussian, ...)
    tensors      name -> numpy float32 array in the PyTorch layout ("mod0.conv0_w" (C_out, C_in, K),
                 "mod0.bn_mean", "sep0.dw_w" (C, 1, K), "head_w" (n_out, features), ...): the weights that
                 `snforge predict` uses (member 0 of an ensemble; weights="current": the last epoch's)
    members      the tensors of every ensemble member (members[0] is tensors)
    uq           the /uq attributes (members, mc_samples, calibrated, has_ranges, has_ood, ood_alpha) and arrays
                 (var_scale, range_lo, range_hi [4], ood_mean [D], ood_chol [D, D], ood_ref_d2 [n]); defaults
                 (one member, one pass, uncalibrated, no OOD) for a file without the group
    input_channels  the network's input rows in order: values ("log_lbol", "vph"), then masks
    norm         channels, mask, length, t_start_d, t_end_d, x_mean/x_std [log10 L, v_ph], y_mean/y_std [4]
    target_names, target_units, history (epochs x columns), attrs (root attributes)"""

    def __init__(self, path, weights="best"):
        import h5py
        if weights not in ("best", "current"):
            raise ValueError("weights=%r: expected 'best' or 'current'" % (weights,))
        self.path = str(path)
        with h5py.File(path, "r") as f:
            self.attrs = {k: _text(v) for k, v in f.attrs.items()}
            if self.attrs.get("magic") != "snforge-model":
                raise ValueError("%s: not an snforge model file (magic %r)" % (path, self.attrs.get("magic")))
            if "tensors" not in f:
                raise ValueError("%s: no /tensors index (written by an snforge older than the named tensors: "
                                 "train it again, or resume it for one epoch)" % path)
            self.config = {k: v.item() if hasattr(v, "item") else v for k, v in f["net"].attrs.items()}
            g = f["norm"]
            self.norm = {k: _text(v) for k, v in g.attrs.items() if k != "input_channels"}
            for k in ("x_mean", "x_std", "y_mean", "y_std"):
                self.norm[k] = g[k][()].astype(np.float64)
            self.input_channels = _text(g.attrs["input_channels"])
            self.target_names = _text(f.attrs["target_names"])
            self.target_units = _text(f.attrs["target_units"])
            self.history = f["history"][()] if "history" in f else None
            index = _index(f, path)
            self.uq = dict(UQ_DEFAULTS)
            self.uq.update(var_scale=np.ones(4), range_lo=None, range_hi=None)
            if weights == "best" and "uq" in f:
                u = f["uq"]
                if u.attrs.get("complete", 0) != 1:
                    raise ValueError("%s: /uq is incomplete (the ensemble did not finish)" % path)
                for k in UQ_DEFAULTS:
                    if k not in u.attrs:
                        raise ValueError("%s: /uq lacks the attribute %s" % (path, k))
                    self.uq[k] = float(u.attrs[k])
                for k in ("members", "mc_samples", "calibrated", "has_ranges", "has_ood"):
                    self.uq[k] = int(self.uq[k])
                for k in ("var_scale", "range_lo", "range_hi", "ood_mean", "ood_chol", "ood_ref_d2"):
                    if k in u:
                        self.uq[k] = u[k][()].astype(np.float64)
                if self.uq["has_ood"] and "near_lbol" in u:  # the nearest-curve rows (infer/uq_nearest.c)
                    self.uq["near_lbol"] = u["near_lbol"][()].astype(np.float32)
                mp, ms = u["member_params"][()], u["member_stats"][()] if "member_stats" in u else None
                if mp.shape != (self.uq["members"], f["params"].shape[0]):
                    raise ValueError("%s: /uq/member_params is %s, expected (%d, %d)" % (
                        path, mp.shape, self.uq["members"], f["params"].shape[0]))
                self.members = [_unpack(index, mp[i], ms[i] if ms is not None else np.zeros(0, np.float32))
                                for i in range(self.uq["members"])]
            else:
                base = "best/" if weights == "best" else ""
                self.members = [_unpack(index, f[base + "params"][()], f[base + "bn_stats"][()])]
            self.tensors = self.members[0]
        self.arch = int(self.config.get("arch", 0))
        self.gaussian = int(self.config.get("head", 0)) == 1
        self._modules = {}

    # ---- encoding, as train/normalize.c ----

    def encode(self, log_lbol, vph):
        """The network input (C_in, T) float32 from log10 L and v_ph on the model grid (NaN = missing):
        standardised values, NaN -> 0, then the masks (1 observed, 0 missing)."""
        series = {"log_lbol": (log_lbol, 0), "vph": (vph, 1)}
        L = int(self.norm["length"])
        rows = []
        for name in self.input_channels:
            masked = name.startswith("mask_")
            src, k = series[name[5:] if masked else name]
            v = np.asarray(src, dtype=np.float32) if src is not None else np.full(L, np.nan, np.float32)
            ok = np.isfinite(v)
            if masked:
                rows.append(ok.astype(np.float32))
            else:
                mu, inv = self.norm["x_mean"][k], 1.0 / self.norm["x_std"][k]
                val = ((v.astype(np.float64) - mu) * inv).astype(np.float32)
                rows.append(np.where(ok, val, np.float32(0)))
        return np.stack(rows)

    def decode(self, y):
        """Physical parameters [.., 4] (foe, Msun, cm, Msun) from standardised outputs y [.., 4]."""
        y = np.asarray(y, dtype=np.float32).astype(np.float64)
        return 10.0 ** (y * self.norm["y_std"] + self.norm["y_mean"])

    def grid(self):
        """(t_start_d, t_end_d, length) of the model's time grid."""
        return float(self.norm["t_start_d"]), float(self.norm["t_end_d"]), int(self.norm["length"])

    # ---- the network (PyTorch) ----

    def torch_module(self, member=0):
        """The network of ensemble member `member` as a torch.nn.Module (eval mode) holding its trained weights:
        forward(x (B, C_in, T)) gives the head's raw outputs (B, n_out) (standardised log10 means; a Gaussian
        head then its raw variances), .features(x) the pooled features (B, D) that feed the head."""
        if member not in self._modules:
            from .torch_net import build
            self._modules[member] = build(self.config, self.members[member])
        return self._modules[member]

    def components(self, x, calibrated=True, batch=1):
        """The mixture of every member x Monte Carlo dropout pass, as snf_uq_model_components: mu, var [B, 4, K]
        in log10 units (var 0 for a point head), rescaled by the calibrated variance scale when the model is
        and calibrated is true; feat [B, D] (member 0, dropout off). batch: the rows a pass's dropout masks are
        laid out for (the mask of row b depends on b mod batch: 1 as snforge predict, 64 as evaluate)."""
        import torch
        x = np.ascontiguousarray(x, dtype=np.float32)
        B, NP = x.shape[0], len(TARGETS)
        mc, M = self.uq["mc_samples"], len(self.members)
        p = np.float32(self.config.get("dropout", 0.0))
        if mc > 1 and not p > 0:
            raise ValueError("%s: %d Monte Carlo passes but dropout %g" % (self.path, mc, p))
        seed = (int(self.attrs.get("seed", 0)) ^ 0xd1b54a32d192ed03) & 0xFFFFFFFFFFFFFFFF
        mu, var = np.zeros((B, NP, M * mc)), np.zeros((B, NP, M * mc))
        ys, ym = self.norm["y_std"], self.norm["y_mean"]
        feat = None
        with torch.no_grad():
            xt = torch.from_numpy(x)
            for m in range(M):
                net = self.torch_module(m)
                f = net.features(xt)
                if m == 0:
                    feat = f.numpy().copy()
                for t in range(mc):
                    h = f
                    if mc > 1:
                        mask = uq.dropout_mask(seed, t, p, np.arange(B) % batch, f.shape[1])
                        h = f * torch.from_numpy(mask)
                    out = net.head(h).numpy()
                    k = m * mc + t
                    mu[:, :, k] = out[:, :NP].astype(np.float64) * ys + ym
                    if self.gaussian:
                        var[:, :, k] = uq.gnll_var(out[:, NP:2 * NP]) * ys * ys
        if calibrated and self.uq["calibrated"]:
            for i in range(B):
                for k in range(NP):
                    mu[i, k], var[i, k] = uq.mix_rescale(mu[i, k], var[i, k], self.uq["var_scale"][k])
        return mu, var, feat

    def predict_uncertainty(self, x, batch=1):
        """Per row of encoded inputs x [B, C_in, T], what `snforge predict --json` prints: {"parameters":
        {name: {"mean", "std", "lo68", "hi68", "lo95", "hi95", "unit", "log10": the log10 mixture's summary}},
        "ood": {"score", "p_value", "flag", "available"} (score, p_value and flag None without an OOD fit: unknown,
        not "in distribution"), "outside_training_ranges": [names], "interval_excludes_training": [names whose whole
        95% interval lies outside the training range], "extrapolation": bool, "do_not_use": [names], "caveat": the
        caveat in words}."""
        mu, var, feat = self.components(x, True, batch)
        return self._answers(mu, var, feat, x)

    def nearest_dex(self, x):
        """The RMS distance in log10 L_bol from the encoded row x [C_in, T] to the nearest stored training curve,
        over its observed samples (at least uq.NEAR_MIN_SAMPLES shared); None without stored rows or an L series
        (infer/uq_nearest.c)."""
        rows = self.uq.get("near_lbol")
        if rows is None or "log_lbol" not in self.input_channels:
            return None
        x = np.asarray(x)
        val = x[self.input_channels.index("log_lbol")].astype(np.float64)
        val = val * self.norm["x_std"][0] + self.norm["x_mean"][0]
        obs = (x[self.input_channels.index("mask_log_lbol")] > 0.5 if "mask_log_lbol" in self.input_channels
               else np.ones(val.shape, bool))
        best = np.inf
        for r in rows:
            sel = obs & np.isfinite(r)
            if sel.sum() >= uq.NEAR_MIN_SAMPLES:
                best = min(best, float(np.mean((val[sel] - r[sel].astype(np.float64)) ** 2)))
        return float(np.sqrt(best)) if np.isfinite(best) else None

    def _answers(self, mu, var, feat, x):
        """Per row of components mu, var [B, 4, K], features feat [B, D] and encoded rows x [B, C_in, T]: the
        answer (snf_uq_model_summarise, then snf_uq_pred_nearest)."""
        rows = []
        for i in range(mu.shape[0]):
            pars, outside, excludes = {}, [], []
            for k, n in enumerate(TARGETS):
                q = uq.param_summary(mu[i, k], var[i, k])
                q["unit"] = self.target_units[k] if k < len(self.target_units) else ""
                pars[n] = q
                lo, hi = self.uq["range_lo"], self.uq["range_hi"]
                has = bool(self.uq["has_ranges"])
                outside.append(has and (q["mean"] < lo[k] or q["mean"] > hi[k] or q["lo95"] < lo[k] or q["hi95"] > hi[k]))
                excludes.append(has and (q["lo95"] > hi[k] or q["hi95"] < lo[k]))
            ood = {"score": None, "p_value": None, "flag": None, "available": False}
            p_value, flag = 1.0, False
            if self.uq["has_ood"]:
                ref = self.uq["ood_ref_d2"]
                d2 = uq.ood_d2(self.uq["ood_mean"], self.uq["ood_chol"], feat[i])
                p_value = uq.ood_pvalue(ref, d2)
                flag = bool(p_value < np.float32(self.uq["ood_alpha"]) or (len(ref) > 0 and d2 > ref[-1]))
            near = self.nearest_dex(x[i]) if self.uq["has_ood"] else None
            near_flag = near is not None and near > uq.NEAR_TOL_DEX
            if self.uq["has_ood"]:
                flag = flag or near_flag
                ood = {"score": d2, "p_value": p_value, "flag": flag, "available": True}
            n_ref = len(self.uq["ood_ref_d2"]) if self.uq["has_ood"] else 0
            extrapolation, dnu, text = uq.caveat(self.uq["has_ood"], self.uq["has_ranges"], flag, p_value,
                                                 float(np.float32(self.uq["ood_alpha"])), n_ref, outside, excludes,
                                                 TARGETS, near if near_flag else None)
            rows.append({"parameters": pars, "ood": ood,
                         "outside_training_ranges": [n for n, o in zip(TARGETS, outside) if o],
                         "interval_excludes_training": [n for n, e in zip(TARGETS, excludes) if e],
                         "extrapolation": extrapolation, "do_not_use": [n for n, d in zip(TARGETS, dnu) if d],
                         "caveat": text})
        return rows

    def predict(self, x, batch=1):
        """Physical parameters [B, 4] (foe, Msun, cm, Msun) from encoded inputs x [B, C_in, T] (float32): the
        means `snforge predict` prints (10^(log10 mean) for one point-head network; for a Gaussian head or an
        ensemble, the mean of 10^Y over the mixture)."""
        rows = self.predict_uncertainty(x, batch)
        return np.array([[r["parameters"][n]["mean"] for n in TARGETS] for r in rows])

    def encode_observation(self, csv_path, shift=0.0):
        """The network input (C_in, T) of one observation file, as `snforge predict` builds it (every time shifted
        by shift days, rows at or before the explosion dropped: the explosion-epoch marginalisation's nodes)."""
        o = read_observation_full(csv_path)
        t, L, v = o["t_d"], o["L_erg_s"], o["vph_km_s"]
        if shift != 0.0:
            keep = t + shift > 0
            t, L, v = t[keep] + shift, L[keep], v[keep]
        lg, vg = resample_observation(t, L, v, *self.grid())
        need = set(n for n in self.input_channels if not n.startswith("mask_"))
        for name, arr in (("log_lbol", lg), ("vph", vg)):
            if name in need and not np.isfinite(arr).any():
                raise ValueError("%s: no %s inside the model's time grid" % (csv_path, name))
        return self.encode(lg, vg)

    def predict_observation(self, csv_path, t0_err_d=None):
        """{"energy": foe, "mass": Msun, "radius": cm, "nickel": Msun, "ood_flag", "extrapolation", "do_not_use",
        "caveat"} for one observation file: the means of `snforge predict MODEL OBS.csv` with their caveats (ood_flag
        None when the model has no OOD fit: unknown; do_not_use: the names not to use, every one when flagged OOD;
        t0_err_d as for predict_observation_uq)."""
        r = self.predict_observation_uq(csv_path, t0_err_d)
        out = {n: float(r["parameters"][n]["mean"]) for n in TARGETS}
        out.update(ood_flag=r["ood"]["flag"], extrapolation=r["extrapolation"], do_not_use=r["do_not_use"],
                   caveat=r["caveat"])
        return out

    def predict_observation_uq(self, csv_path, t0_err_d=None):
        """The whole answer of `snforge predict MODEL OBS.csv --json` for one observation file (see
        predict_uncertainty): means, standard deviations, 68% and 95% intervals, OOD score and flag, range flags.
        t0_err_d (days; None: the file's '# t0_err_d' line, else exact) marginalises over the explosion epoch as
        infer.h does: the equal mixture of the answers at 9 shifted epochs, the OOD test at the stated one."""
        sigma = t0_err_d if t0_err_d is not None and t0_err_d >= 0 else read_observation_full(csv_path)["t0_err_d"]
        if not (sigma > 0):
            return self.predict_uncertainty(self.encode_observation(csv_path)[None])[0]
        shifts = t0_nodes(sigma)
        x = np.stack([self.encode_observation(csv_path, d) for d in shifts])
        mu, var, feat = self.components(x, True, 1)
        mid = len(shifts) // 2
        pooled_mu = np.concatenate([mu[i] for i in range(len(shifts))], axis=1)[None]
        pooled_var = np.concatenate([var[i] for i in range(len(shifts))], axis=1)[None]
        return self._answers(pooled_mu, pooled_var, feat[mid:mid + 1], x[mid:mid + 1])[0]

    def __repr__(self):
        depth = "" if self.arch == 1 else " depth %s" % self.config.get("depth")  # LITE has no depth
        return "<snforge.Model %s: %s%s, %s head, %d member(s) x %d pass(es), %d tensors, inputs %s>" % (
            self.path, ARCH_NAMES.get(self.arch, "?"), depth,
            "Gaussian" if self.gaussian else "point", len(self.members), self.uq["mc_samples"], len(self.tensors),
            ",".join(self.input_channels))


def load_model(path, weights="best"):
    """Reads a model file (h5py only). weights: "best" (the best validation loss, or the ensemble members of
    /uq: what snforge predict and evaluate use) or "current" (the last epoch's weights of the one network)."""
    return Model(path, weights)
