"""Observation files (interfaces.md) and their resampling onto a model's time grid, as `snforge predict` does
(train/observe_read.c): CSV with '#' comment lines and blank lines before the header t_d,L_erg_s,L_err,vph_km_s,vph_err,
then one row per epoch, empty fields for missing values. Each series is interpolated linearly (log10 L, and v_ph)
between its own first and last present points; grid times outside that span get NaN."""
import math

import numpy as np

COLUMNS = ["t_d", "L_erg_s", "L_err", "vph_km_s", "vph_err"]


def read_observation_full(path):
    """Everything observe_read.c takes from an observation file: {"t_d", "L_erg_s", "L_err", "vph_km_s", "vph_err"}
    (float64 arrays sorted by time, NaN where a field is empty), "n_combined" (a series measured twice on one day
    is folded into one value: the inverse-variance weighted mean with error 1/sqrt(sum 1/err^2) when every repeat
    has an error > 0, else the plain mean without an error) and "t0_err_d" (from a '# t0_err_d = X' comment line,
    NaN when absent). Times must not decrease within each series; an L-only and a v_ph-only row may share a day.
    Raises ValueError naming path:line for a malformed file."""
    rows = []          # [t, L, L_err, v, v_err]
    last = [-math.inf, -math.inf]
    group = [None, None]  # per series: [row, n, all_err, sw, swv, sv]
    header, t0, n_combined = False, math.nan, 0
    with open(path, "r", encoding="utf-8-sig", newline=None) as f:
        for line_no, raw in enumerate(f, 1):
            s = raw.strip()
            if s.startswith("#"):
                body = s[1:].strip()
                if body.startswith("t0_err_d"):
                    rest = body[len("t0_err_d"):].strip()
                    if rest[:1] in ("=", ":"):
                        try:
                            t0 = float(rest[1:].strip())
                        except ValueError:
                            t0 = -1.0
                        if not (0 <= t0 <= 100):
                            raise ValueError("%s:%d: t0_err_d '%s' is not an explosion-epoch uncertainty in days"
                                             % (path, line_no, rest[1:].strip()))
                continue
            if not s:
                continue
            if not header:
                if [x.strip() for x in s.split(",")] != COLUMNS:
                    raise ValueError("%s:%d: bad header (expected '%s')" % (path, line_no, ",".join(COLUMNS)))
                header = True
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
            for q, c in ((0, 1), (1, 3)):
                if math.isnan(vals[c]):
                    continue
                v, e = vals[c], vals[c + 1]
                if vals[0] == last[q]:
                    g = group[q]
                    g[1] += 1
                    g[2] = g[2] and math.isfinite(e) and e > 0
                    if g[2]:
                        g[3] += 1.0 / (e * e)
                        g[4] += v / (e * e)
                    g[5] += v
                    rows[g[0]][c] = g[4] / g[3] if g[2] else g[5] / g[1]
                    rows[g[0]][c + 1] = 1.0 / math.sqrt(g[3]) if g[2] else math.nan
                    n_combined += 1
                    vals[c] = vals[c + 1] = math.nan
                    continue
                if not vals[0] > last[q]:
                    raise ValueError("%s:%d: times must not decrease within each series" % (path, line_no))
                last[q] = vals[0]
                ok = math.isfinite(e) and e > 0
                group[q] = [len(rows), 1, ok, 1.0 / (e * e) if ok else 0.0, v / (e * e) if ok else 0.0, v]
            if math.isnan(vals[1]) and math.isnan(vals[3]):
                continue
            rows.append(vals)
    if not header or not rows:
        raise ValueError("%s: no header or no data rows" % path)
    rows.sort(key=lambda r: r[0])  # stable, as observe_read.c's merge sort
    a = np.array(rows, dtype=np.float64)
    return {"t_d": a[:, 0], "L_erg_s": a[:, 1], "L_err": a[:, 2], "vph_km_s": a[:, 3], "vph_err": a[:, 4],
            "n_combined": n_combined, "t0_err_d": t0}


def read_observation(path):
    """Returns (t_d, L_erg_s, vph_km_s) as float64 arrays (NaN where a field is empty), as read_observation_full.
    Raises ValueError naming path:line for a malformed file."""
    o = read_observation_full(path)
    return o["t_d"], o["L_erg_s"], o["vph_km_s"]


def t0_nodes(sigma, n=9):
    """The explosion-epoch shifts of infer.h's marginalisation: sigma Phi^-1((i + 1/2) / n), the middle one 0."""
    from statistics import NormalDist
    return [0.0 if 2 * i + 1 == n else sigma * NormalDist().inv_cdf((i + 0.5) / n) for i in range(n)]


def grid_times(t_start_d, t_end_d, length):
    """The model grid: length points from t_start_d to t_end_d (days), as snf_data_spec_time computes them."""
    if length <= 1:
        return np.array([t_start_d], dtype=np.float64)
    return np.array([t_start_d + (t_end_d - t_start_d) * j / (length - 1) for j in range(length)])


def _series(t, y, logy, grid):
    """One series on the grid (float32, NaN outside its coverage); the same arithmetic as observe_grid.c."""
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
