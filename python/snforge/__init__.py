"""snforge: read snforge dataset and model files, predict with trained models, run the semi-analytic model.

Pure Python on numpy + h5py; PyTorch (Debian's python3-torch) only for the network itself.

    import snforge
    data = snforge.read_dataset("87a_small.h5")           # numpy arrays with names and units
    model = snforge.load_model("snforge-run/model.h5")    # named tensors; .torch_module() needs PyTorch
    print(model.predict_observation("sn1987a_obs.csv"))   # {"energy": foe, "mass": Msun, "radius": cm, "nickel": Msun}
    print(model.predict_observation_uq("sn1987a_obs.csv"))  # + std, 68%/95% intervals, OOD (snforge predict --json)
    L, vph = snforge.simulate(energy=1.7, mass=15, radius=3e12, nickel=0.075, t=range(301), kappa=0.2)

simulate() calls the shared library libsnforge.so through ctypes (set SNFORGE_LIBRARY to choose the file).
"""
from .dataset import Dataset, read_dataset
from .model import Model, load_model
from .observation import read_observation, read_observation_full, resample_observation, t0_nodes
from .native import simulate
from . import uq

__all__ = ["Dataset", "read_dataset", "Model", "load_model", "read_observation", "read_observation_full",
           "resample_observation", "t0_nodes",
           "simulate", "uq"]
__version__ = "0.1.0"
