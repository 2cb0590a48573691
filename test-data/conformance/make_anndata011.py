"""Writes anndata-0.11-string-index.zarr beside itself: a Zarr v2 store as
anndata 0.11 writes it when the obs / var indexes hold pandas' nullable
"string" dtype (as Vitessce's fixtures do): `obs/_index` and `var/_index`
are `nullable-string-array` groups (0.11 writes them with
`anndata.settings.allow_write_nullable_strings`) (values + mask), not string arrays.

Run with anndata 0.11.4 and zarr-python 2: the `scportrait` peer has them
(zarr 2.13 from Debian), from the repository root:

    /opt/cellfolio-peers/scportrait/bin/python test-data/conformance/make_anndata011.py
"""

import os
import shutil

import anndata as ad
import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(HERE, "anndata-0.11-string-index.zarr")
shutil.rmtree(out, ignore_errors=True)
obs = pd.DataFrame(
    {"cluster": pd.Categorical(["a", "b", "a", "c", "b"]), "area": np.array([10.5, 3.25, 7.0, 1.0, 2.5])},
    index=pd.Index([f"cell-{i}" for i in range(5)], dtype="string"),
)
var = pd.DataFrame(index=pd.Index(["CD3", "CD19", "GAPDH"], dtype="string"))
ad.settings.allow_write_nullable_strings = True  # 0.11's opt-in for StringArray
adata = ad.AnnData(X=np.arange(15, dtype=np.float32).reshape(5, 3), obs=obs, var=var)
adata.write_zarr(out)
print(ad.__version__, open(os.path.join(out, "obs", "_index", ".zattrs")).read())
