"""The semi-analytic model (models/, `snforge simulate`) through the shared library libsnforge.so (ctypes).

The library is looked up as: $SNFORGE_LIBRARY (a path), then the installed one (lib*/ beside this package's
share/snforge/python folder), then a build tree's (build/ in the source tree), then the system's (ld.so)."""
import ctypes
import glob
import math
import os

import numpy as np

_lib = None


def _candidates():
    env = os.environ.get("SNFORGE_LIBRARY")
    if env:
        return [env]
    here = os.path.dirname(os.path.abspath(__file__))
    out = []
    # installed: PREFIX/share/snforge/python/snforge -> PREFIX/lib*/libsnforge.so.*
    prefix = os.path.normpath(os.path.join(here, "..", "..", "..", ".."))
    out += sorted(glob.glob(os.path.join(prefix, "lib*", "libsnforge.so.*")))
    out += sorted(glob.glob(os.path.join(prefix, "lib", "*-linux-gnu", "libsnforge.so.*")))
    # source tree: python/snforge -> build*/libsnforge.so
    src = os.path.normpath(os.path.join(here, "..", ".."))
    out += sorted(glob.glob(os.path.join(src, "build*", "libsnforge.so")))
    out.append("libsnforge.so.0")
    return out


def library():
    """The loaded libsnforge (ctypes.CDLL); raises OSError naming the places tried.

    OpenMP threads wait passively (issue 21, nn.h): unless OMP_WAIT_POLICY or GOMP_SPINCOUNT is set, it is set to
    passive before the library (and libgomp) loads. libgomp reads it once, when it loads: if another module loaded
    it earlier in this process (torch, an OpenMP numpy), set OMP_WAIT_POLICY=passive before starting Python."""
    global _lib
    if _lib is None:
        if not os.environ.get("OMP_WAIT_POLICY") and not os.environ.get("GOMP_SPINCOUNT"):
            os.environ["OMP_WAIT_POLICY"] = "passive"
        tried = []
        for path in _candidates():
            try:
                lib = ctypes.CDLL(path)
            except OSError as e:
                tried.append("%s (%s)" % (path, e))
                continue
            d = ctypes.POINTER(ctypes.c_double)
            lib.snf_api_simulate.argtypes = [ctypes.c_char_p, ctypes.c_double, ctypes.c_double, ctypes.c_double,
                                             ctypes.c_double, d, ctypes.c_int, d, d]
            lib.snf_api_simulate.restype = ctypes.c_int
            lib.snf_error_last_message.restype = ctypes.c_char_p
            lib.snf_status_name.restype = ctypes.c_char_p
            _lib = lib
            break
        else:
            raise OSError("libsnforge.so not found (set SNFORGE_LIBRARY); tried: " + "; ".join(tried))
    return _lib


def _physics_text(physics):
    lines = []
    for k, v in physics.items():
        if isinstance(v, bool) or v is None:
            raise TypeError("physics setting %s=%r: expected a number or a name" % (k, v))
        if isinstance(v, float):
            v = repr(v)  # the shortest text that reads back as the same double
        lines.append("%s = %s" % (k, v))
    return "\n".join(lines)


def simulate(energy, mass, radius, nickel, t, **physics):
    """L (erg/s) and v_ph (km/s; NaN once the recombination front is gone) of the semi-analytic model at
    energy (foe), mass (Msun), radius (cm), nickel (Msun) on the times t (days since explosion, strictly
    increasing, >= 0), as two float64 arrays. physics: any [physics] setting of a campaign file by its key
    (closure="temperature", kappa=0.2, t_ion=4500, q_rec, eth_fraction, heating="bateman", gamma="off", ...).

    Raises ValueError for bad input (the library's message) and RuntimeError if the integration fails.
    A positive status (a warning: the curves are usable) is returned silently; see simulate_status."""
    L, v, _ = simulate_status(energy, mass, radius, nickel, t, **physics)
    return L, v


def simulate_status(energy, mass, radius, nickel, t, **physics):
    """As simulate, plus the model's status (0, or a positive warning code of status.h)."""
    lib = library()
    tt = np.ascontiguousarray(np.asarray(t, dtype=np.float64).ravel())
    n = len(tt)
    L = np.full(n, math.nan)
    v = np.full(n, math.nan)
    d = ctypes.POINTER(ctypes.c_double)
    rc = lib.snf_api_simulate(_physics_text(physics).encode("utf-8"), float(energy), float(mass), float(radius),
                              float(nickel), tt.ctypes.data_as(d), n, L.ctypes.data_as(d), v.ctypes.data_as(d))
    if rc < 0:
        msg = lib.snf_error_last_message().decode("utf-8", "replace")
        name = lib.snf_status_name(rc).decode()
        if name in ("SNF_EINVAL", "SNF_EFORMAT"):
            raise ValueError(msg)
        raise RuntimeError("%s (%s)" % (msg, name))
    return L, v, rc
