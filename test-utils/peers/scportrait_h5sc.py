"""scPortrait 1.7's own h5sc functions, imported without its full dependency tree.

`import scportrait` runs scportrait/__init__.py, which imports the whole
pipeline (cellpose, torch models, spatialdata, napari-spatialdata, numba...).
The peer venv (.ci/peers/scportrait.txt) holds scportrait==1.7.0 installed
--no-deps plus what these modules import themselves:

    scportrait/io/h5sc.py            read_h5sc, numpy_to_h5sc, write_h5sc
    scportrait/tools/ml/datasets.py  H5ScSingleCellDataset
    scportrait/pipeline/_utils/constants.py
    scportrait/tools/sdata/write/_helper.py  (_normalize_anndata_strings, for write_h5sc)

So that only those run, and unmodified:
- the packages `scportrait`, `scportrait.tools`, `scportrait.tools.sdata` are
  registered as plain packages (their real directories as __path__) without
  running their __init__.py; `scportrait.io`, `.pipeline`, `.pipeline._utils`,
  `.tools.ml`, `.tools.sdata.write` run their own (light) __init__.py;
- `_helper.py` imports `spatialdata` (SpatialData, read_zarr, models.get_model)
  and `xarray` (DataArray, DataTree) at module level for functions these four
  never call. When those packages are absent they are given as stand-in
  modules whose names raise if used, so a call into them fails loudly.

Usage: `sys.path.insert(0, <this dir>); from scportrait_h5sc import read_h5sc, ...`
"""
import importlib.util
import sys
import types
import warnings

warnings.filterwarnings("ignore")


def _package(name, directory):
    mod = types.ModuleType(name)
    mod.__path__ = [directory]
    mod.__package__ = name
    sys.modules[name] = mod
    return mod


def _stand_in(name, names):
    mod = types.ModuleType(name)

    def unavailable(*_args, **_kwargs):
        raise RuntimeError(f"{name} is not installed in the scportrait peer venv (see test-utils/peers/scportrait_h5sc.py)")

    for n in names:
        setattr(mod, n, type(n, (), {"__init__": unavailable}) if n[0].isupper() else unavailable)
    sys.modules[name] = mod
    return mod


_spec = importlib.util.find_spec("scportrait")
if _spec is None or not _spec.submodule_search_locations:
    raise ImportError("scportrait is not installed: run .ci/setup-system.sh")
_root = list(_spec.submodule_search_locations)[0]
if "scportrait" not in sys.modules:
    _package("scportrait", _root)
    _package("scportrait.tools", f"{_root}/tools")
    _package("scportrait.tools.sdata", f"{_root}/tools/sdata")
    if importlib.util.find_spec("spatialdata") is None:
        sd = _stand_in("spatialdata", ["SpatialData", "read_zarr"])
        sd.models = _stand_in("spatialdata.models", ["get_model"])
    if importlib.util.find_spec("xarray") is None:
        _stand_in("xarray", ["DataArray", "DataTree"])

from scportrait.io.h5sc import numpy_to_h5sc, read_h5sc, write_h5sc  # noqa: E402
from scportrait.tools.ml.datasets import H5ScSingleCellDataset  # noqa: E402

import scportrait  # noqa: E402

scportrait.__version__ = __import__("importlib.metadata").metadata.version("scportrait")

__all__ = ["read_h5sc", "numpy_to_h5sc", "write_h5sc", "H5ScSingleCellDataset"]
