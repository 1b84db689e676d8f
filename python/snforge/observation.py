"""Observation files (interfaces.md) and their resampling onto a model's time grid, as `snforge predict` does
(infer/observe.c): CSV with '#' comment lines and blank lines before the header t_d,L_erg_s,L_err,vph_km_s,vph_err,
then one row per epoch, empty fields for missing values. Each series is interpolated linearly (log10 L, and v_ph)
between its own first and last present points; grid times outside that span get NaN."""
import math

import numpy as np

COLUMNS = ["t_d", "L_erg_s", "L_err", "vph_km_s", "vph_err"]


def read_observation(path):
    """Returns (t_d, L_erg_s, vph_km_s) as float64 arrays (NaN where a field is empty). Raises ValueError naming
    path:line for a malformed file."""
    t, L, v = [], [], []
    header = False
    with open(path, "r", encoding="utf-8-sig", newline=None) as f:
        for line_no, raw in enumerate(f, 1):
            s = raw.strip()
            if not header:
                if not s or s.startswith("#"):
                    continue
                if [x.strip() for x in s.split(",")] != COLUMNS:
                    raise ValueError("%s:%d: bad header (expected '%s')" % (path, line_no, ",".join(COLUMNS)))
                header = True
                continue
            if not s:
                continue
            fields = [x.strip() for x in s.split(",")]
            if len(fields) != 5:
                raise ValueError("%s:%d: %d fields (expected 5: %s)" % (path, line_no, len(fields), ",".join(COLUMNS)))
            vals = []
            for name, x in zip(COLUMNS, fields):
                try:
                    y = float(x) if x else math.nan
                except ValueError:
                    raise ValueError("%s:%d: %s '%s' is not a number" % (path, line_no, name, x)) from None
                vals.append(y)
            if math.isnan(vals[0]):
                raise ValueError("%s:%d: t_d is empty (every row needs a time)" % (path, line_no))
            if t and not vals[0] > t[-1]:
                raise ValueError("%s:%d: times must increase" % (path, line_no))
            t.append(vals[0])
            L.append(vals[1])
            v.append(vals[3])
    if not header or not t:
        raise ValueError("%s: no header or no data rows" % path)
    return np.array(t), np.array(L), np.array(v)


def grid_times(t_start_d, t_end_d, length):
    """The model grid: length points from t_start_d to t_end_d (days), as snf_data_spec_time computes them."""
    if length <= 1:
        return np.array([t_start_d], dtype=np.float64)
    return np.array([t_start_d + (t_end_d - t_start_d) * j / (length - 1) for j in range(length)])


def _series(t, y, logy, grid):
    """One series on the grid (float32, NaN outside its coverage); the same arithmetic as observe.c."""
    out = np.full(len(grid), np.nan, dtype=np.float32)
    idx = [i for i in range(len(t)) if math.isfinite(y[i])]
    if not idx:
        return out
    ts = [float(t[i]) for i in idx]
    ys = [math.log10(y[i]) if logy else float(y[i]) for i in idx]
    k = 0
    for j, tj in enumerate(grid):
        if tj < ts[0] or tj > ts[-1]:
            continue
        while k + 1 < len(ts) and ts[k + 1] <= tj:
            k += 1
        a = ys[k]
        if ts[k] == tj or k + 1 >= len(ts):
            out[j] = a
            continue
        b = ys[k + 1]
        out[j] = a + (b - a) * (tj - ts[k]) / (ts[k + 1] - ts[k])
    return out


def resample_observation(t_d, L_erg_s, vph_km_s, t_start_d, t_end_d, length):
    """(log10 L, v_ph) float32 arrays [length] on the model grid, NaN outside each series' coverage."""
    grid = grid_times(t_start_d, t_end_d, length)
    return _series(t_d, L_erg_s, True, grid), _series(t_d, vph_km_s, False, grid)
