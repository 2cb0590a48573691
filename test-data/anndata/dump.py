"""AnnData as plain JSON, as Python's anndata sees it: the judge for cellfolio's
reading (compare with what we read) and writing (read our output with anndata,
compare with the original). Used by make_fixtures.py and by the tests.

Values: floats NaN/inf as the strings "NaN"/"Inf"/"-Inf"; strings and bytes as
str; dtype names as numpy's (object/str/bytes/StringDType -> "string").
"""
import json
import math

import numpy as np
import pandas as pd
import scipy.sparse as sp


def dtype_name(dt):
    dt = np.dtype(dt)
    return "string" if dt.kind in "OSUT" else dt.name


def value(v):
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer, int)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        f = float(v)
        if math.isnan(f):
            return "NaN"
        if math.isinf(f):
            return "Inf" if f > 0 else "-Inf"
        return f
    if v is None or v is pd.NA:
        return None
    return str(v)


def dense(a):
    a = np.asarray(a)
    return {"t": "dense", "dtype": dtype_name(a.dtype), "shape": list(a.shape), "v": [value(x) for x in a.ravel(order="C")]}


def column(s):
    dt = s.dtype
    if isinstance(dt, pd.CategoricalDtype):
        return {
            "t": "cat",
            "codes": [int(c) for c in s.cat.codes],
            "categories": [value(c) for c in s.cat.categories],
            "ordered": bool(dt.ordered),
        }
    if isinstance(dt, pd.BooleanDtype):
        return {"t": "nullable-boolean", "v": [None if x is pd.NA else bool(x) for x in s]}
    if isinstance(dt, pd.api.extensions.ExtensionDtype) and pd.api.types.is_integer_dtype(dt):
        return {"t": "nullable-integer", "v": [None if x is pd.NA else int(x) for x in s]}
    if isinstance(dt, pd.StringDtype):
        return {"t": "nullable-string-array", "v": [None if x is pd.NA else str(x) for x in s]}
    return dense(s.to_numpy())


def frame(df):
    return {
        "t": "df",
        "index": [value(x) for x in df.index],
        "columns": [str(c) for c in df.columns],
        "c": {str(c): column(df[c]) for c in df.columns},
    }


def elem(v, rec_as_dict=False):
    if isinstance(v, pd.DataFrame):
        return frame(v)
    if sp.issparse(v):
        fmt = v.getformat()
        return {
            "t": fmt,
            "shape": list(v.shape),
            "dtype": dtype_name(v.dtype),
            "data": [value(x) for x in v.data],
            "indices": [int(x) for x in v.indices],
            "indptr": [int(x) for x in v.indptr],
        }
    if isinstance(v, dict) or hasattr(v, "keys") and not isinstance(v, np.ndarray):
        return {"t": "dict", "v": {str(k): elem(v[k], rec_as_dict) for k in v.keys()}}
    if isinstance(v, np.ndarray) and v.dtype.names is not None:
        fields = {name.replace("/", "_") if rec_as_dict else name: dense(v[name]) for name in v.dtype.names}
        return {"t": "dict", "v": fields} if rec_as_dict else {"t": "rec", "v": fields}
    if isinstance(v, np.ndarray) and v.ndim > 0:
        return dense(v)
    if v is None:
        return {"t": "null"}
    if isinstance(v, np.ndarray):
        v = v[()]
    return {"t": "scalar", "v": value(v)}


def dump(adata, rec_as_dict=False):
    X = adata.X
    out = {
        "shape": list(adata.shape),
        "X": None if X is None else elem(X, rec_as_dict),
        "obs": frame(adata.obs),
        "var": frame(adata.var),
    }
    for m in ("obsm", "varm", "obsp", "varp", "layers", "uns"):
        mapping = getattr(adata, m)
        # anndata >= 0.13 lists X among the layers under the key None
        out[m] = {str(k): elem(mapping[k], rec_as_dict) for k in mapping.keys() if k is not None}
    raw = adata.raw
    out["raw"] = None if raw is None else {
        "X": elem(raw.X, rec_as_dict),
        "var": frame(raw.var),
        "varm": {str(k): elem(raw.varm[k], rec_as_dict) for k in raw.varm.keys()},
    }
    return out


def to_json(obj):
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, allow_nan=False)
