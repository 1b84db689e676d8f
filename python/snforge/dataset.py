"""Dataset files (../shared/design/interfaces.md): one HDF5 layout for semi-analytic, hydro and observed data."""
import numpy as np

# Units of the per-row series and the time axis, as interfaces.md gives them.
SERIES_UNITS = {"time": "d", "log_lbol": "log10(L / erg s^-1)", "vph": "km/s"}


def _text(v):
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, np.ndarray):
        return [_text(x) for x in v.tolist()]
    if isinstance(v, (list, tuple)):
        return [_text(x) for x in v]
    return v


class Dataset(dict):
    """The arrays of a dataset file, by name: "time" [T] (days), "log_lbol" [N, T] (log10 L in erg/s, NaN where
    undefined), "vph" [N, T] (km/s, NaN where undefined), "status" [N], "params" [N, P], one [N] array per
    parameter column ("energy" foe, "mass" Msun, "radius" cm, "nickel" Msun, then nuisance columns) and
    "derived/<name>" [N] for each per-model summary.

    Attributes: names (the parameter column names, in /params order), units (name -> unit for every array),
    attrs (the file's root attributes: source, format_version, created, ...), path."""

    def __init__(self, path):
        super().__init__()
        self.path = str(path)
        self.names = []
        self.units = dict(SERIES_UNITS)
        self.attrs = {}

    def usable(self):
        """Boolean [N]: rows with status >= 0 (computed; a positive status is a warning)."""
        return self["status"] >= 0

    def __repr__(self):
        n = self["params"].shape[0] if "params" in self else 0
        return "<snforge.Dataset %s: %d rows, params %s, source %s>" % (
            self.path, n, ", ".join(self.names), self.attrs.get("source", "?"))


def read_dataset(path):
    """Reads the dataset file at path into a Dataset (everything in memory). Raises OSError if the file cannot
    be opened and ValueError if it is not an snforge dataset."""
    import h5py
    d = Dataset(path)
    with h5py.File(path, "r") as f:
        d.attrs = {k: _text(v) for k, v in f.attrs.items()}
        if d.attrs.get("format") != "snforge-dataset":
            raise ValueError("%s: not an snforge dataset (root attribute format is %r, expected "
                             "'snforge-dataset')" % (path, d.attrs.get("format")))
        for name in ("time", "log_lbol", "vph", "status", "params"):
            if name not in f:
                raise ValueError("%s: dataset /%s is missing" % (path, name))
            d[name] = f[name][()]
        p = f["params"]
        d.names = _text(p.attrs["names"]) if "names" in p.attrs else ["p%d" % i for i in range(p.shape[1])]
        units = _text(p.attrs["units"]) if "units" in p.attrs else [""] * len(d.names)
        for i, (n, u) in enumerate(zip(d.names, units)):
            d[n] = d["params"][:, i]
            d.units[n] = u
        if "derived" in f:
            for n, ds in f["derived"].items():
                d["derived/" + n] = ds[()]
                if "units" in ds.attrs:
                    d.units["derived/" + n] = _text(ds.attrs["units"])
    return d
