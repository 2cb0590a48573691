"""Writes the AnnData fixtures of cellfolio's format tests with Debian 12's
anndata 0.8 (run with /usr/bin/python3 from this directory's parent or
anywhere): every element type anndata 0.8 writes, as .h5ad and Zarr v2, and
what anndata reads back from each as JSON (dump.py), so the tests compare our
reading with Python's.

  all-types.h5ad / all-types.zarr (+ .json): unicode strings, NaN, categoricals
    ordered and not and with missing values, nullable integer and boolean,
    bool / uint8 / int64 / float32 / string columns, dense X, csr and csc
    layers, dense obsm / varm / obsp / varp, a dataframe in obsm, nested uns
    dicts with scalars, strings and arrays, an empty dataframe, raw.
  empty.h5ad / empty.zarr (+ .json): obs and var without columns, no X.
  newer.h5ad / newer.zarr (+ newer.json): encodings anndata 0.8 neither
    writes nor reads, added with h5py / zarr-python as anndata 0.10-0.13
    lays them out (null, nullable-string-array with na-value, awkward-array)
    plus a rec-array; newer.json holds the values as h5py / zarr read them.
"""
import os
import shutil
import sys

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from dump import dump, to_json  # noqa: E402


def all_types():
    rng = np.random.default_rng(8)
    n_obs, n_var = 7, 5
    obs_names = ["cell_0", "zellé_1", "細胞_2", "célula 3", "cell-4", "😀_5", "c6"]
    var_names = ["GAPDH", "ACTB", "Gène_ß", "MT-CO1", "x"]
    obs = pd.DataFrame(
        {
            "cluster": pd.Categorical(["a", "b", None, "a", "c", "b", None], categories=["a", "b", "c"]),
            "stage": pd.Categorical(["low", "high", "mid", "low", "mid", "high", "low"], categories=["low", "mid", "high"], ordered=True),
            "n_genes": np.array([10, 20, 30, 40, 50, 60, 70], dtype=np.int64),
            "score": np.array([0.5, np.nan, -1.25, np.inf, 3.0, 1e-30, -0.0], dtype=np.float64),
            "qc_pass": np.array([True, False, True, True, False, True, False]),
            "well": np.array([1, 2, 3, 250, 0, 7, 9], dtype=np.uint8),
            "count_na": pd.array([1, None, 3, 4, None, 6, 7], dtype="Int64"),
            "flag_na": pd.array([True, None, False, True, None, False, True], dtype="boolean"),
            "label": np.array(["α", "β", "γ", "δ", "ε", "ζ", "η"], dtype=object),
        },
        index=obs_names,
    )
    var = pd.DataFrame(
        {
            "mean": np.array([1.5, 2.25, np.nan, 0.0, 4.0], dtype=np.float32),
            "kind": pd.Categorical(["gene", "gene", "mito", "mito", "gene"]),
        },
        index=var_names,
    )
    X = rng.random((n_obs, n_var), dtype=np.float32)
    X[1, 2] = np.nan
    a = ad.AnnData(X=X, obs=obs, var=var)
    a.layers["counts_csr"] = sp.random(n_obs, n_var, density=0.4, format="csr", random_state=1, dtype=np.float64)
    a.layers["counts_csc"] = sp.random(n_obs, n_var, density=0.4, format="csc", random_state=2, dtype=np.float32)
    a.layers["int16"] = rng.integers(-300, 300, size=(n_obs, n_var)).astype(np.int16)
    a.obsm["X_pca"] = rng.standard_normal((n_obs, 3))
    a.obsm["meta"] = pd.DataFrame({"x": np.arange(n_obs, dtype=np.int32), "g": pd.Categorical(list("xyxyxyx"))}, index=obs_names)
    a.varm["loadings"] = rng.standard_normal((n_var, 2)).astype(np.float32)
    a.obsp["distances"] = sp.random(n_obs, n_obs, density=0.3, format="csr", random_state=3)
    a.obsp["dense_conn"] = rng.random((n_obs, n_obs))
    a.varp["corr"] = rng.random((n_var, n_var)).astype(np.float16)
    a.uns["title"] = "Tëst — データ"
    a.uns["n_int"] = np.int64(42)
    a.uns["n_float"] = 2.5
    a.uns["n_nan"] = float("nan")
    a.uns["is_ok"] = True
    a.uns["colors"] = np.array(["#ff0000", "#00ff00", "grün"], dtype=object)
    a.uns["empty_df"] = pd.DataFrame(index=pd.Index([], dtype=object))
    a.uns["params"] = {
        "alpha": 0.05,
        "method": "wilcoxon",
        "nested": {"ints": np.array([1, 2, 3], dtype=np.int32), "deeper": {"u8": np.array([[1, 2], [3, 4]], dtype=np.uint8)}},
        "flags": np.array([True, False, True]),
    }
    a.raw = a
    a.raw.varm["raw_load"] = a.varm["loadings"]
    return a


def empty():
    return ad.AnnData(obs=pd.DataFrame(index=["a", "b", "c"]), var=pd.DataFrame(index=["g1", "g2"]))


def add_newer(path, is_zarr):
    import h5py
    import zarr

    f = zarr.open_group(path, mode="a") if is_zarr else h5py.File(path, "a")
    uns = f["uns"]
    enc = lambda t, v: {"encoding-type": t, "encoding-version": v}  # noqa: E731
    if is_zarr:
        d = uns.create_dataset("none", data=zarr.empty(()))
    else:
        d = uns.create_dataset("none", data=h5py.Empty("f"))
    d.attrs.update(enc("null", "0.1.0"))
    g = uns.create_group("nstr")
    g.attrs.update(enc("nullable-string-array", "0.1.0"))
    g.attrs["na-value"] = "NA"
    strs = np.array(["a", "", "ç"], dtype=object)
    if is_zarr:
        import numcodecs

        v = g.create_dataset("values", data=strs, dtype=object, object_codec=numcodecs.VLenUTF8())
    else:
        v = g.create_dataset("values", data=strs, dtype=h5py.string_dtype())
    v.attrs.update(enc("string-array", "0.2.0"))
    m = g.create_dataset("mask", data=np.array([False, True, False]))
    m.attrs.update(enc("array", "0.2.0"))
    g = uns.create_group("awk")
    g.attrs.update(enc("awkward-array", "0.1.0"))
    g.attrs["form"] = '{"class": "ListOffsetArray", "offsets": "i64", "content": {"class": "NumpyArray", "primitive": "float64", "form_key": "node1"}, "form_key": "node0"}'
    g.attrs["length"] = 3
    g.create_dataset("node0-offsets", data=np.array([0, 2, 2, 5], dtype=np.int64))
    g.create_dataset("node1-data", data=np.array([1.5, 2.5, -1.0, 0.0, 9.0]))
    rec = np.array([(1, 2.5, b"ab"), (2, -1.0, b"cd")], dtype=[("id", "<i4"), ("w", "<f8"), ("s", "S2")])
    d = uns.create_dataset("rec", data=rec)
    d.attrs.update(enc("rec-array", "0.2.0"))
    if not is_zarr:
        f.close()


NEWER_EXPECTED = {
    "none": {"t": "null"},
    "nstr": {"t": "nullable-string-array", "v": ["a", None, "ç"], "na": "NA"},
    "awk": {"t": "awkward", "length": 3, "buffers": {"node0-offsets": [0, 2, 2, 5], "node1-data": [1.5, 2.5, -1.0, 0.0, 9.0]}},
    "rec": {"t": "rec", "v": {"id": [1, 2], "w": [2.5, -1.0], "s": ["ab", "cd"]}},
}


def main():
    import json

    base = ad.AnnData(obs=pd.DataFrame(index=["a", "b"]), var=pd.DataFrame(index=["g"]))
    h5 = os.path.join(HERE, "newer.h5ad")
    zr = os.path.join(HERE, "newer.zarr")
    if os.path.exists(zr):
        shutil.rmtree(zr)
    base.write_h5ad(h5)
    base.write_zarr(zr)
    add_newer(h5, False)
    add_newer(zr, True)
    with open(os.path.join(HERE, "newer.json"), "w") as f:
        f.write(json.dumps(NEWER_EXPECTED, sort_keys=True, ensure_ascii=False) + "\n")

    for name, make in (("all-types", all_types), ("empty", empty)):
        adata = make()
        h5 = os.path.join(HERE, f"{name}.h5ad")
        zr = os.path.join(HERE, f"{name}.zarr")
        if os.path.exists(zr):
            shutil.rmtree(zr)
        adata.write_h5ad(h5)
        adata.write_zarr(zr)
        back_h5 = dump(ad.read_h5ad(h5))
        back_zr = dump(ad.read_zarr(zr))
        if to_json(back_h5) != to_json(back_zr):
            raise SystemExit(f"{name}: anndata reads the h5ad and the zarr differently")
        with open(os.path.join(HERE, f"{name}.json"), "w") as f:
            f.write(to_json(back_h5) + "\n")
    print("ok")


if __name__ == "__main__":
    main()
