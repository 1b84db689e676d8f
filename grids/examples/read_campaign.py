#!/usr/bin/python3
"""read_campaign.py: read an snforge campaign file with plain h5py (Debian's python3-h5py).

    /usr/bin/python3 grids/examples/read_campaign.py 87a_small.h5 [--check]

Prints the shapes, the parameter names and units, the status counts, and one light curve. With --check
it asserts the layout of cli/interfaces.md and exits 1 on the first violation (the test suite uses it).
Rows are read in blocks, as a trainer would, so memory stays flat for any N.
"""
import sys

import h5py
import numpy as np


def text(v):
    """An attribute as str: snforge writes fixed-length UTF-8 strings, which h5py returns as bytes."""
    if isinstance(v, (bytes, np.bytes_)):
        return v.decode("utf-8")
    if isinstance(v, np.ndarray):
        return [text(x) for x in v]
    return v if isinstance(v, str) else str(v)


def check(cond, what):
    if not cond:
        print("layout check failed: " + what, file=sys.stderr)
        sys.exit(1)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    path, strict = argv[1], "--check" in argv[2:]
    with h5py.File(path, "r") as f:
        a = {k: (text(v) if isinstance(v, (bytes, np.bytes_, str)) else v) for k, v in f.attrs.items()}
        N, P = f["params"].shape
        T = f["time"].shape[0]
        names = text(f["params"].attrs["names"])
        units = text(f["params"].attrs["units"])
        print(f"{path}: format {a['format']} v{a['format_version']}, source {a['source']}, "
              f"sampler {a['sampler']}, seed {a['seed']}, complete {a.get('complete', 0)}")
        print(f"N = {N} models, P = {P} parameters, T = {T} times ({f['time'][0]:g}..{f['time'][-1]:g} "
              f"{text(f['time'].attrs['units'])})")
        print("parameters: " + ", ".join(f"{n} [{u}]" for n, u in zip(names, units)))
        pa = f["params"].attrs
        if "min" in pa and "max" in pa:  # campaigns record the sampled ranges: what a trainer normalises with
            scales = text(pa["scale"]) if "scale" in pa else ["?"] * P
            print("ranges: " + ", ".join(f"{n} {lo:g}..{hi:g} ({s})"
                                         for n, lo, hi, s in zip(names, pa["min"], pa["max"], scales)))

        status = f["status"][:]
        codes, counts = np.unique(status, return_counts=True)
        print("status: " + ", ".join(f"{c}: {n}" for c, n in zip(codes, counts)))
        failed = np.flatnonzero(status < 0)
        if failed.size:
            msg = f["status_msg"][failed[0]].decode()
            print(f"first failure: row {failed[0]}: {msg}")

        # Read in row blocks of one chunk, as the trainer does.
        block = f["log_lbol"].chunks[0] if f["log_lbol"].chunks else N
        finite = 0
        lpeak = []
        for r0 in range(0, N, block):
            L = f["log_lbol"][r0:r0 + block]
            finite += int(np.isfinite(L).sum())
            lpeak.append(np.nanmax(np.where(np.isfinite(L), L, -np.inf), axis=1))
        lpeak = np.concatenate(lpeak)
        print(f"finite log_lbol values: {finite} of {N * T}; peak log L from {lpeak.min():.2f} to {lpeak.max():.2f}")

        i = int(np.flatnonzero(status == 0)[0]) if np.any(status == 0) else 0
        p = f["params"][i]
        t = f["time"][:]
        print(f"row {i}: " + ", ".join(f"{n} = {v:.4g} {u}" for n, v, u in zip(names, p, units)))
        for k in range(0, T, max(1, T // 6)):
            print(f"  t = {t[k]:6.1f} d   log L = {f['log_lbol'][i, k]:7.3f}   v_ph = {f['vph'][i, k]:8.1f} km/s")

        if strict:
            check(a["format"] == "snforge-dataset", "format attribute")
            check(int(a.get("complete", 0)) == 1, "complete attribute")
            check(names[:4] == ["energy", "mass", "radius", "nickel"], f"param names {names}")
            check(units[:4] == ["foe", "Msun", "cm", "Msun"], f"param units {units}")
            check(f["params"].dtype == np.float64, "params dtype")
            check(f["log_lbol"].shape == (N, T) and f["log_lbol"].dtype == np.float32, "log_lbol shape/dtype")
            check(f["vph"].shape == (N, T) and f["vph"].dtype == np.float32, "vph shape/dtype")
            check(text(f["vph"].attrs["units"]) == "km/s", "vph units")
            check(text(f["time"].attrs["units"]) == "d", "time units")
            check(f["status"].shape == (N,) and f["status"].dtype == np.int32, "status shape/dtype")
            check(not np.any(status == -100), "no pending rows in a complete file")
            check(np.all(np.diff(t) > 0), "time strictly increasing")
            for name in ["t_peak_d", "log_lpeak", "t_plateau_end_d", "t_front_end_d", "e_rad_erg", "e_rec_erg"]:
                check(f["derived/" + name].shape == (N,), "derived/" + name)
            ok = status >= 0
            check(np.all(np.isfinite(f["log_lbol"][:min(N, 256)][ok[:min(N, 256)]][:, 0])), "finite first L")
            # A joined campaign's datasets are virtual: the filters live in the shard files.
            if not f["log_lbol"].is_virtual:
                check(f["log_lbol"].compression == "gzip" or N == 0, "deflate")
                check(f["log_lbol"].fletcher32 or N == 0, "fletcher32")
            print("layout check: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
