"""test_python.py MODE WORKDIR SNFORGE: the Python package (python/snforge) against the snforge program.
MODE h5: read_dataset, load_model and simulate, with PyTorch made unimportable (they must not need it).
MODE torch: for every architecture (InceptionTime, LITE, H-InceptionTime), head (point, Gaussian) and ensemble
(members x Monte Carlo dropout passes), Model.predict_observation equals `snforge predict --digits 10 --json`'s means
and predict_observation_uq its standard deviations and 68% / 95% intervals within 1e-5 relative (the standard
deviation relative to the mean: a point head's is 0 up to rounding), its OOD score within 1e-4 relative, its OOD
p-value, flag and training-range flags exactly, and the caveat (extrapolation, the numbers not to use, the words)
exactly, predict_observation keeping the OOD flag.
Exit 77 (ctest: Skipped) when a needed module is missing."""
import glob
import math
import json
import os
import subprocess
import sys

mode, work, program = sys.argv[1], sys.argv[2], sys.argv[3]
SKIP = 77
if mode == "h5":
    sys.modules["torch"] = None  # any `import torch` now raises ImportError
try:
    import numpy as np
    import h5py
except ImportError as e:
    print("SKIPPED: %s (Debian: python3-numpy python3-h5py)" % e)
    sys.exit(SKIP)
if mode == "torch":
    try:
        import torch  # noqa: F401
    except ImportError as e:
        print("SKIPPED: %s (Debian: python3-torch)" % e)
        sys.exit(SKIP)

import snforge  # noqa: E402

failures = []


def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


def cli(*args):
    return subprocess.run([program] + list(args), check=True, capture_output=True, text=True).stdout


def cli_curve(energy, mass, radius, nickel, opts):
    out = cli("simulate", "--energy", repr(energy), "--mass", repr(mass), "--radius", repr(radius),
              "--nickel", repr(nickel), *opts)
    rows = [r.split(",") for r in out.strip().splitlines()[1:]]
    t = np.array([float(r[0]) for r in rows])
    L = np.array([float(r[1]) for r in rows])
    v = np.array([float(r[2]) if r[2] else math.nan for r in rows])
    return t, L, v


if mode == "h5":
    # ---- simulate (ctypes into libsnforge.so) against `snforge simulate`'s CSV (9 significant digits) ----
    cases = [((1.7, 15.0, 3e12, 0.075), {}, []),
             ((1.1, 12.0, 5e12, 0.04), {"closure": "temperature", "kappa": 0.2, "t_ion": 4500.0},
              ["--model", "temperature", "--kappa", "0.2", "--t-ion", "4500"]),
             ((3.0, 25.0, 2e13, 0.15), {"closure": "none", "gamma": "off"}, ["--model", "none", "--gamma", "off"]),
             ((0.9, 18.0, 1e12, 0.1), {"heating": "bateman", "eth_fraction": 0.4},
              ["--heating", "bateman", "--eth-fraction", "0.4"])]
    for (E, M, R, N), phys, opts in cases:
        t, L, v = cli_curve(E, M, R, N, opts)
        Lp, vp = snforge.simulate(energy=E, mass=M, radius=R, nickel=N, t=t, **phys)
        rl = np.max(np.abs(Lp / L - 1))
        same_nan = np.array_equal(np.isnan(v), np.isnan(vp))
        rv = np.nanmax(np.abs(vp / v - 1))
        check(rl < 1e-8 and rv < 1e-7 and same_nan,
              "simulate(%g, %g, %g, %g, %s) = snforge simulate %s: max rel diff L %.2e, v_ph %.2e, NaN pattern %s"
              % (E, M, R, N, phys, " ".join(opts), rl, rv, "same" if same_nan else "DIFFERS"))
    try:
        snforge.simulate(energy=1, mass=10, radius=1e12, nickel=0.1, t=[1, 2], kappa=-1)
        check(False, "kappa = -1 raises ValueError")
    except ValueError as e:
        check("kappa" in str(e), "kappa = -1 raises ValueError naming kappa: %s" % e)
    for kw, hint in ((dict(energy=1.7e51), "energy 1.7e+51: in erg? energy takes foe"),
                     (dict(mass=3e34), "mass 3e+34: in grams? mass takes Msun"),
                     (dict(radius=40), "radius 40: in solar radii? radius takes cm"),
                     (dict(kappa=34), "kappa 34: kappa takes cm^2/g")):
        args = dict(energy=1, mass=10, radius=1e12, nickel=0.1, t=[1, 2])
        args.update(kw)
        try:
            snforge.simulate(**args)
            check(False, "%s raises ValueError with a unit hint" % kw)
        except ValueError as e:
            check(hint in str(e), "%s raises ValueError with the unit hint of the command line: %s" % (kw, e))
    try:
        snforge.simulate(energy=1, mass=10, radius=1e12, nickel=0.1, t=[2, 1])
        check(False, "decreasing t raises ValueError")
    except ValueError as e:
        check("increasing" in str(e), "decreasing t raises ValueError: %s" % e)

    # ---- read_dataset: the campaign's rows against the model run at their parameters ----
    d = snforge.read_dataset(os.path.join(work, "camp.h5"))
    N, T = d["log_lbol"].shape
    check(d.names[:4] == ["energy", "mass", "radius", "nickel"] and
          [d.units[n] for n in d.names[:4]] == ["foe", "Msun", "cm", "Msun"],
          "read_dataset names/units: %s %s" % (d.names, [d.units[n] for n in d.names]))
    check(N == 256 and T == len(d["time"]) and d["vph"].shape == (N, T) and d["energy"].shape == (N,),
          "read_dataset shapes: %d rows x %d times" % (N, T))
    worst = 0.0
    for i in (0, 17, 101, 255):
        if d["status"][i] < 0:
            continue
        Lp, vp = snforge.simulate(energy=d["energy"][i], mass=d["mass"][i], radius=d["radius"][i],
                                  nickel=d["nickel"][i], t=d["time"], closure="flux")
        worst = max(worst, float(np.nanmax(np.abs(np.log10(Lp) - d["log_lbol"][i]))))
    check(worst < 1e-5, "read_dataset rows equal simulate at their parameters (max |dlog L| %.1e)" % worst)

    # ---- load_model: named tensors against the file's own size table ----
    m = snforge.load_model(os.path.join(work, "tiny.h5"))
    with h5py.File(os.path.join(work, "tiny.h5"), "r") as f:
        sizes = f["sizes"][()]
        nparams, nstats = f["best/params"].shape[0], f["best/bn_stats"].shape[0]
    names = list(m.tensors)
    trainable = [n for n in names if not n.endswith(("bn_mean", "bn_var"))]
    check([int(np.prod(m.tensors[n].shape)) for n in trainable] == [int(s) for s in sizes],
          "tensor shapes match the size table (%d trainable tensors, %d floats)" % (len(trainable), nparams))
    check(sum(m.tensors[n].size for n in names) == nparams + nstats, "tensors cover params + bn_stats exactly")
    check(m.tensors["mod0.conv0_w"].shape == (4, 4, 16) and m.tensors["mod1.bott_w"].shape == (4, 16, 1) and
          m.tensors["res1.sc_w"].shape == (16, 16, 1) and m.tensors["head_w"].shape == (4, 16),
          "PyTorch layouts: conv (C_out, C_in, K), head (n_out, 4 filters)")
    check(m.input_channels == ["log_lbol", "vph", "mask_log_lbol", "mask_vph"],
          "input channel order: %s" % m.input_channels)
    try:
        m.torch_module()
        check(False, "torch_module without PyTorch raises ImportError")
    except ImportError:
        check(True, "torch_module without PyTorch raises ImportError (load_model itself did not need it)")
    r = repr(m)
    check(r.startswith("<snforge.Model ") and "InceptionTime" in r, "repr without PyTorch: %s" % r)

    # ---- the other architectures' indexes: every slab tiled (load_model checks), the layers' own shapes ----
    lite, hinc = snforge.load_model(os.path.join(work, "lite.h5")), snforge.load_model(os.path.join(work, "hinc.h5"))
    c0 = 3 * 4 + 17 * 2  # LITE module 0: 3 filters + 17 hand-crafted filters on each of 2 inputs (L and its mask)
    check(lite.input_channels == ["log_lbol", "mask_log_lbol"] and lite.tensors["m0.bn_mean"].shape == (c0,) and
          lite.tensors["sep0.dw_w"].shape == (c0, 1, 8) and lite.tensors["sep0.pw_w"].shape == (4, c0, 1) and
          lite.tensors["sep1.dw_w"].shape == (4, 1, 4) and lite.tensors["head_w"].shape == (4, 4),
          "LITE layouts: depthwise (C, 1, K), module 0 BN over %d channels" % c0)
    c0 = 16 + 17 * 4
    check(hinc.tensors["mod0.bn_var"].shape == (c0,) and hinc.tensors["mod1.bott_w"].shape == (4, c0, 1) and
          hinc.tensors["mod1.bn_mean"].shape == (16,) and hinc.tensors["res0.bn_mean"].shape == (16,),
          "H-InceptionTime layouts: module 0 BN over %d channels" % c0)
    # an index as the snforge before this fix wrote it (module 0's statistics sized 4 filters) is refused
    import shutil
    old = os.path.join(work, "old_index.h5")
    shutil.copy(os.path.join(work, "hinc.h5"), old)
    with h5py.File(old, "r+") as f:
        names = [n.decode() if isinstance(n, bytes) else n for n in f["tensors/name"][()]]
        shape = f["tensors/shape"][()]
        for n in ("mod0.bn_mean", "mod0.bn_var"):
            shape[names.index(n)][0] = 16
        f["tensors/shape"][...] = shape
    try:
        snforge.load_model(old)
        check(False, "a model file whose index does not tile its slabs is refused")
    except ValueError as err:
        check("index covers" in str(err) and "bn_stats" in str(err), "a wrong index is refused: %s" % err)
    e = snforge.load_model(os.path.join(work, "ens_hinc.h5"))
    check(len(e.members) == 2 and e.uq["mc_samples"] == 3 and e.uq["calibrated"] == 1 and e.gaussian and
          not np.array_equal(e.members[0]["head_w"], e.members[1]["head_w"]) and
          e.members[0]["head_w"].shape == (8, 16),
          "ensemble: 2 members (different weights) x 3 passes, calibrated, Gaussian head (8 outputs)")
    # ---- both string kinds: today's files (fixed-length) and the committed format-1 file (variable-length) ----
    v1 = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "model", "model_v1.h5")
    with h5py.File(os.path.join(work, "ens_hinc.h5"), "r") as f, h5py.File(v1, "r") as g:
        kinds = (f["tensors/name"].dtype.kind, h5py.check_string_dtype(g["tensors/name"].dtype).length)
        version = (int(f.attrs["format_version"]), int(g.attrs["format_version"]))
    check(kinds == ("S", None) and version == (2, 1),
          "today's /tensors/name is fixed-length (format 2), the format-1 file's variable-length: %s %s" % (kinds, version))
    m1 = snforge.load_model(v1)
    check(len(m1.members) == 2 and m1.uq["mc_samples"] == 2 and m1.uq["has_ood"] == 1 and "near_lbol" in m1.uq and
          m1.input_channels == ["log_lbol", "vph", "mask_log_lbol", "mask_vph"] and
          all(isinstance(n, str) for n in m1.tensors) and m1.target_units == ["foe", "Msun", "cm", "Msun"],
          "the format-1 model file loads: %d members x %d passes, %d tensors" % (
              len(m1.members), m1.uq["mc_samples"], len(m1.tensors)))
else:
    obs = sorted(glob.glob(os.path.join(work, "obs_*.csv")))
    check(len(obs) >= 4, "%d observation files" % len(obs))
    for name in ("tiny", "lite", "hinc", "gauss", "ens_hinc", "ens_lite"):
        mpath = os.path.join(work, name + ".h5")
        m = snforge.load_model(mpath)
        worst = worst_ood = 0.0
        same_flags, spread = True, True
        for path in obs:
            ref = json.loads(cli("predict", mpath, path, "--digits", "10", "--json"))
            got = m.predict_observation_uq(path)
            means = m.predict_observation(path)
            for k, r in ref["parameters"].items():
                g = got["parameters"][k]
                worst = max(worst, abs(means[k] / r["mean"] - 1))
                for f in ("mean", "std", "lo68", "hi68", "lo95", "hi95"):
                    scale = max(abs(r[f]), abs(r["mean"])) if f == "std" else abs(r[f])
                    worst = max(worst, abs(g[f] - r[f]) / scale)
                # a point head has no spread; its answer marginalised over the explosion epoch (obs_5_t0) may have
                spread = spread and ("_t0" in path or (g["std"] > 1e-3 * g["mean"]) == (m.gaussian or len(m.members) > 1))
            worst_ood = max(worst_ood, abs(got["ood"]["score"] / ref["ood"]["score"] - 1))
            same_flags = same_flags and float("%.6g" % got["ood"]["p_value"]) == ref["ood"]["p_value"] and \
                got["ood"]["flag"] == ref["ood"]["flag"] and got["ood"]["available"] == ref["ood"]["available"] and \
                all(got[k] == ref[k] for k in ("outside_training_ranges", "interval_excludes_training",
                                               "extrapolation", "do_not_use", "caveat")) and \
                means["ood_flag"] == ref["ood"]["flag"] and means["do_not_use"] == ref["do_not_use"] and \
                means["caveat"] == ref["caveat"]  # predict_observation keeps the OOD flag and the caveat
        check(worst < 1e-5 and worst_ood < 1e-4 and same_flags and spread,
              "%s: predict_observation(_uq) = snforge predict on %d files: max rel diff %.1e (means, std, intervals), "
              "OOD score %.1e, p-values/flags/ranges %s, spread %s" % (
                  repr(m), len(obs), worst, worst_ood, "same" if same_flags else "DIFFER",
                  "as the head" if spread else "WRONG"))
    net = snforge.load_model(os.path.join(work, "gauss.h5")).torch_module()
    x = torch.zeros(2, 4, 48)
    check(tuple(net(x).shape) == (2, 8) and tuple(net.features(x).shape) == (2, 16),
          "torch_module of a Gaussian head: (B, 8) raw outputs, (B, 16) features")

if failures:
    print("%d check(s) failed" % len(failures))
    sys.exit(1)
print("all checks passed")
