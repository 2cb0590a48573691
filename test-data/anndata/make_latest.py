"""One AnnData with every element type anndata 0.13 writes, written by it as
h5ad, Zarr v3 (sharded, consolidated metadata: anndata's defaults with
auto_shard_zarr_v3) and Zarr v2. Run by packages/format/test/peers with the
"latest" peer (.ci/peers/latest.txt): `python make_latest.py OUT_DIR` writes
OUT_DIR/latest.h5ad, latest.v3.zarr, latest.v2.zarr and prints, as one JSON
line, dump.py's view of the object as anndata reads each file back.

Also: `python make_latest.py --compare A B` prints whether anndata reads A and
B equal ({"equal": bool, "a": dump, "b": dump} with dumps only when unequal).
"""
import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import anndata as ad  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import zarr  # noqa: E402
from dump import dump, to_json  # noqa: E402


def make():
    rng = np.random.default_rng(18)
    n_obs, n_vars = 12, 5
    obs = pd.DataFrame(
        {
            "int64": np.arange(n_obs, dtype=np.int64) * 7,
            "uint8": np.arange(n_obs, dtype=np.uint8),
            "float32": rng.random(n_obs).astype(np.float32),
            "float64": np.where(np.arange(n_obs) == 3, np.nan, rng.random(n_obs)),
            "bool": np.arange(n_obs) % 3 == 0,
            "nullable_int": pd.array([None if i % 4 == 0 else i for i in range(n_obs)], dtype="Int32"),
            "nullable_uint": pd.array([None if i == 5 else i * 100 for i in range(n_obs)], dtype="UInt16"),
            "nullable_bool": pd.array([None if i % 5 == 0 else i % 2 == 0 for i in range(n_obs)], dtype="boolean"),
            "nullable_str": pd.array([None if i % 6 == 1 else f"s{i}/ü" for i in range(n_obs)], dtype="string"),
            "str": [f"cell {i}" for i in range(n_obs)],
            "cat": pd.Categorical(["a", "b", "c", "a"] * 3),
            "cat_ordered": pd.Categorical(["lo", "hi", None, "mid"] * 3, categories=["lo", "mid", "hi"], ordered=True),
            "cat_int": pd.Categorical([1, 2, 3] * 4),
        },
        index=[f"c{i}" for i in range(n_obs)],
    )
    var = pd.DataFrame(
        {"gene": [f"G{i}" for i in range(n_vars)], "mean": rng.random(n_vars)},
        index=[f"g{i}" for i in range(n_vars)],
    )
    X = sp.random(n_obs, n_vars, density=0.4, format="csr", random_state=18, dtype=np.float32)
    a = ad.AnnData(X=X, obs=obs, var=var)
    a.layers["dense_int"] = rng.integers(-5, 5, size=(n_obs, n_vars)).astype(np.int32)
    a.layers["csc"] = sp.csc_matrix(X.toarray() * 2)
    a.obsm["pca"] = rng.random((n_obs, 3))
    a.obsm["frame"] = pd.DataFrame({"x": rng.random(n_obs), "label": pd.Categorical(["u", "v"] * 6)}, index=obs.index)
    a.varm["loadings"] = rng.random((n_vars, 2)).astype(np.float32)
    a.obsp["distances"] = sp.random(n_obs, n_obs, density=0.2, format="csr", random_state=1)
    a.uns["nested"] = {
        "int": 3,
        "float": 2.5,
        "str": "hello",
        "bool": True,
        "deeper": {"array": np.arange(6, dtype=np.int16).reshape(2, 3), "strings": np.array(["x", "yy", "zzz"], dtype=object)},
        "frame": pd.DataFrame({"k": [1, 2], "v": ["p", "q"]}, index=["r0", "r1"]),
    }
    a.uns["float16"] = np.array([0.5, 1.5, -2.0], dtype=np.float16)
    a.uns["empty_dict"] = {}
    a.raw = a.copy()
    return a


def read(p):
    return ad.read_zarr(p) if p.rstrip("/").endswith(".zarr") else ad.read_h5ad(p)


def main():
    if sys.argv[1] == "--compare":
        a, b = (to_json(dump(read(p))) for p in sys.argv[2:4])
        print(json.dumps({"equal": a == b, "a": a if a != b else "", "b": b if a != b else ""}))
        return
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    a = make()
    a.write_h5ad(os.path.join(out, "latest.h5ad"))
    ad.settings.zarr_write_format = 3
    ad.settings.auto_shard_zarr_v3 = True
    a.write_zarr(os.path.join(out, "latest.v3.zarr"))
    ad.settings.zarr_write_format = 2
    a.write_zarr(os.path.join(out, "latest.v2.zarr"))
    dumps = {f: to_json(dump(read(os.path.join(out, f)))) for f in ("latest.h5ad", "latest.v3.zarr", "latest.v2.zarr")}
    v3 = zarr.open_group(os.path.join(out, "latest.v3.zarr"), mode="r")
    print(json.dumps({
        "same": len(set(dumps.values())) == 1,
        "dump": json.loads(dumps["latest.h5ad"]),
        "v3_format": v3.metadata.zarr_format,
        "v3_consolidated": v3.metadata.consolidated_metadata is not None,
        "v3_X_data_shards": v3["X/data"].shards,
        "versions": {"anndata": ad.__version__, "zarr": zarr.__version__, "pandas": pd.__version__},
    }))


main()
