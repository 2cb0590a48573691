"""Writes v3.expected.json: what zarr-python 3 reads from v3.zarr, for every
array (shape, dtype, all values as nested lists), so the Zarr v3 reader's
tests compare against zarr-python without running it. Made with zarr-python
3.0.6 (numcodecs 0.16); zarr-python 3.4 (the "latest" PyPI peer) writes the same
values. From the repository root:

    /opt/cellfolio-peers/latest/bin/python test-data/zarr-python/make_expected.py
"""
import json
import warnings
import os

import numpy as np
import zarr

warnings.simplefilter("ignore", UserWarning)  # zarr-python 3 warns that vlen-utf8 and numcodecs codecs are not in the v3 spec
HERE = os.path.dirname(os.path.abspath(__file__))


def arrays(group, prefix=""):
    for name, member in group.members():
        path = prefix + name
        if isinstance(member, zarr.Array):
            yield path, member
        else:
            yield from arrays(member, path + "/")


def plain(values):
    # Strings flat (the tests compare them in C order), numbers nested by shape.
    if values.dtype.kind in "OTU":
        return values.ravel().tolist()
    if values.dtype.kind == "f":
        return values.astype(np.float64).tolist()
    return values.tolist()


out = {}
for path, a in arrays(zarr.open_group(os.path.join(HERE, "v3.zarr"), mode="r")):
    out[path] = {"shape": list(a.shape), "dtype": str(a.dtype), "values": plain(a[...])}
with open(os.path.join(HERE, "v3.expected.json"), "w") as f:
    json.dump(out, f)
