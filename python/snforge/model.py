"""Model files written by `snforge train` (learn/checkpoint.c): architecture, named tensors (/tensors, written by
learn/model_tensors.c), input/target normalisation, training history. load_model needs only h5py; the network
(Model.torch_module, Model.predict*) needs PyTorch."""
import math

import numpy as np

from .observation import read_observation, resample_observation

TARGETS = ["energy", "mass", "radius", "nickel"]


def _text(v):
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, np.ndarray):
        return [_text(x) for x in v.tolist()]
    return v


class Model:
    """A trained InceptionTime regressor read from an snforge model file.

    config       the /net attributes (C_in, n_out, T, filters, depth, kernel, bottleneck, residual, bn_eps, ...)
    tensors      name -> numpy float32 array in the PyTorch layout ("mod0.conv0_w" (C_out, C_in, K),
                 "mod0.bn_mean", "head_w" (n_out, 4 filters), ...): the best-validation weights that
                 `snforge predict` uses (weights="current": the last epoch's)
    input_channels  the network's input rows in order: values ("log_lbol", "vph"), then masks
    norm         channels, mask, length, t_start_d, t_end_d, x_mean/x_std [log10 L, v_ph], y_mean/y_std [4]
    target_names, target_units, history (epochs x columns), attrs (root attributes)"""

    def __init__(self, path, weights="best"):
        import h5py
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
            base = "best/" if weights == "best" else ""
            slabs = {"params": f[base + "params"][()], "bn_stats": f[base + "bn_stats"][()]}
            t = f["tensors"]
            names, slab = _text(t["name"][()]), _text(t["slab"][()])
            off, rank, shape = t["offset"][()], t["rank"][()], t["shape"][()]
            self.tensors = {}
            for i, n in enumerate(names):
                dims = tuple(int(x) for x in shape[i][: int(rank[i])])
                size = int(np.prod(dims))
                self.tensors[n] = slabs[slab[i]][int(off[i]): int(off[i]) + size].reshape(dims)
        self._module = None

    # ---- encoding, as learn/normalize.c ----

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

    def torch_module(self):
        """The network as a torch.nn.Module (eval mode) holding the trained weights."""
        if self._module is None:
            from .torch_net import build
            self._module = build(self.config, self.tensors)
        return self._module

    def predict(self, x):
        """Physical parameters [B, 4] from encoded inputs x [B, C_in, T] (float32)."""
        import torch
        net = self.torch_module()
        with torch.no_grad():
            y = net(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))).numpy()
        return self.decode(y)

    def predict_observation(self, csv_path):
        """{"energy": foe, "mass": Msun, "radius": cm, "nickel": Msun} for one observation file, as
        `snforge predict MODEL OBS.csv` computes it."""
        t, L, v = read_observation(csv_path)
        lg, vg = resample_observation(t, L, v, *self.grid())
        need = set(n for n in self.input_channels if not n.startswith("mask_"))
        for name, arr in (("log_lbol", lg), ("vph", vg)):
            if name in need and not np.isfinite(arr).any():
                raise ValueError("%s: no %s inside the model's time grid" % (csv_path, name))
        p = self.predict(self.encode(lg, vg)[None])[0]
        return {n: float(p[i]) for i, n in enumerate(TARGETS)}

    def __repr__(self):
        return "<snforge.Model %s: InceptionTime depth %s, %d tensors, inputs %s>" % (
            self.path, self.config.get("depth"), len(self.tensors), ",".join(self.input_channels))


def load_model(path, weights="best"):
    """Reads a model file (h5py only). weights: "best" (the best validation loss: what snforge predict and
    evaluate use) or "current" (the last epoch's)."""
    return Model(path, weights)
