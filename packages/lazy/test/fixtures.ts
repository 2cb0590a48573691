// Test datasets in the single-cell layout (docs/format.md), written by the Python tools themselves:
// scPortrait-style .h5sc with h5py (lzf, gzip), Zarr v2 with anndata 0.8 +
// zarr-python 2, Zarr v3 (sharded, consolidated) with zarr-python 3.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { hasZarr3, py, pyZarr3 } from "../../../test-utils/oracle.js";

export const N_CELLS = 40;
export const SIZE = 32;
export const CHANNELS = ["nucleus_mask", "cytosol_mask", "DNA", "PH3", "CellBody"];

/** Values shared by every fixture: ids, labels, images (float16, seeded). */
const COMMON = `
import json, sys, numpy as np
inp = json.loads(sys.stdin.read())
N, S, CH = inp["n"], inp["size"], inp["channels"]
C = len(CH)
rng = np.random.default_rng(7)
ids = np.sort(rng.choice(np.arange(1, 5000), N, replace=False)).astype(np.uint64)
images = rng.random((N, C, S, S), dtype=np.float32).astype(np.float16)
images[:, :2] = (images[:, :2] > 0.5)
classes = np.array(["interphase", "mitotic", "unknown"])[rng.integers(0, 3, N)]
score = rng.normal(size=N)
`;

/** scPortrait's .h5sc: anndata writes obs/var, h5py adds the images and the untagged uns group. */
const H5SC = `${COMMON}
import anndata as ad, pandas as pd, h5py
out, comp = inp["out"], inp["compression"]
obs = pd.DataFrame({"scportrait_cell_id": ids, "label": pd.Categorical(classes), "score": score},
                   index=[str(i) for i in range(N)])
var = pd.DataFrame({"channels": CH, "channel_mapping": pd.Categorical(["mask", "mask"] + ["image_channel"] * (C - 2))},
                   index=[str(i) for i in range(C)])
ad.AnnData(obs=obs, var=var).write_h5ad(out)
with h5py.File(out, "a") as f:
    kw = {"compression": "lzf"} if comp == "lzf" else {"compression": "gzip", "compression_opts": 4} if comp == "gzip" else {}
    d = f["obsm"].create_dataset("single_cell_images", data=images, chunks=(1, 1, S, S), **kw)
    d.attrs["encoding-type"] = "array"; d.attrs["encoding-version"] = "0.2.0"
    d.attrs["n_cells"] = N; d.attrs["n_channels"] = C; d.attrs["n_masks"] = 2
    d.attrs["n_image_channels"] = C - 2; d.attrs["image_size"] = S
    d.attrs["normalization"] = True; d.attrs["normalization_range"] = [0.001, 0.999]
    d.attrs["channel_names"] = np.array([c.encode() for c in CH])
    d.attrs["channel_mapping"] = np.array([b"mask", b"mask"] + [b"image_channel"] * (C - 2))
    d.attrs["compression"] = comp
    if "X" in f: del f["X"]
    for k, v in {"n_cells": N, "n_channels": C, "n_masks": 2, "n_image_channels": C - 2, "image_size": S,
                 "normalization": True, "normalization_range_lower": 0.001, "normalization_range_upper": 0.999,
                 "compression": comp}.items():
        f["uns"].create_dataset("single_cell_images/" + k, data=v)
print(json.dumps({"ok": True}))
`;

/** Zarr v2, consolidated, chunks (1, C, S, S): anndata 0.8 + zarr-python 2. */
const ZARR2 = `${COMMON}
import anndata as ad, pandas as pd, zarr
out = inp["out"]
obs = pd.DataFrame({"scportrait_cell_id": ids, "label": pd.Categorical(classes), "score": score},
                   index=[str(i) for i in range(N)])
var = pd.DataFrame({"channels": CH}, index=[str(i) for i in range(C)])
a = ad.AnnData(obs=obs, var=var)
a.uns["single_cell_images"] = {"n_cells": N, "n_channels": C, "n_masks": 2, "n_image_channels": C - 2,
    "image_size": S, "channel_names": np.array(CH, dtype=object), "compression": "zstd"}
a.write_zarr(out)
g = zarr.open_group(out, mode="a")
d = g["obsm"].create_dataset("single_cell_images", data=images, chunks=(1, C, S, S))
d.attrs["encoding-type"] = "array"; d.attrs["encoding-version"] = "0.2.0"
zarr.consolidate_metadata(out)
print(json.dumps({"ok": True}))
`;

/** Zarr v3, sharded (8 cells a shard, chunks (1, 1, S, S)), consolidated: zarr-python 3 alone. */
const ZARR3 = `${COMMON}
import zarr
out = inp["out"]
def enc(node, t, v): node.attrs.update({"encoding-type": t, "encoding-version": v})
root = zarr.open_group(out, mode="w", zarr_format=3)
enc(root, "anndata", "0.1.0")
def strings(g, name, values):
    a = g.create_array(name, shape=(len(values),), dtype=str)
    a[:] = np.array(values, dtype=object)
    enc(a, "string-array", "0.2.0")
obs = root.create_group("obs"); enc(obs, "dataframe", "0.2.0")
obs.attrs.update({"_index": "_index", "column-order": ["scportrait_cell_id", "label", "score"]})
strings(obs, "_index", [str(i) for i in range(N)])
a = obs.create_array("scportrait_cell_id", shape=(N,), dtype="uint64"); a[:] = ids; enc(a, "array", "0.2.0")
a = obs.create_array("score", shape=(N,), dtype="float64"); a[:] = score; enc(a, "array", "0.2.0")
cats = sorted(set(classes.tolist()))
lab = obs.create_group("label"); enc(lab, "categorical", "0.2.0"); lab.attrs["ordered"] = False
strings(lab, "categories", cats)
a = lab.create_array("codes", shape=(N,), dtype="int8"); a[:] = np.array([cats.index(c) for c in classes], dtype=np.int8)
var = root.create_group("var"); enc(var, "dataframe", "0.2.0")
var.attrs.update({"_index": "_index", "column-order": ["channels"]})
strings(var, "_index", [str(i) for i in range(C)])
strings(var, "channels", CH)
uns = root.create_group("uns"); enc(uns, "dict", "0.1.0")
sci = uns.create_group("single_cell_images"); enc(sci, "dict", "0.1.0")
for k, v in {"n_cells": N, "n_channels": C, "n_masks": 2, "n_image_channels": C - 2, "image_size": S}.items():
    a = sci.create_array(k, shape=(), dtype="int64"); a[()] = v; enc(a, "numeric-scalar", "0.2.0")
strings(sci, "channel_names", CH)
obsm = root.create_group("obsm"); enc(obsm, "dict", "0.1.0")
d = obsm.create_array("single_cell_images", shape=images.shape, dtype="float16", chunks=(1, 1, S, S), shards=(8, C, S, S))
d[:] = images
enc(d, "array", "0.2.0")
zarr.consolidate_metadata(out)
print(json.dumps({"ok": True}))
`;

export interface Fixtures {
  dir: string;
  h5lzf: string;
  h5gzip: string;
  zarr2: string;
  zarr3: string | null;
}

export function makeFixtures(dir: string): Fixtures {
  mkdirSync(dir, { recursive: true });
  const base = { n: N_CELLS, size: SIZE, channels: CHANNELS };
  const f: Fixtures = {
    dir,
    h5lzf: path.join(dir, "cells-lzf.h5sc"),
    h5gzip: path.join(dir, "cells-gzip.h5sc"),
    zarr2: path.join(dir, "cells-v2.zarr"),
    zarr3: hasZarr3() ? path.join(dir, "cells-v3.zarr") : null,
  };
  py(H5SC, { ...base, out: f.h5lzf, compression: "lzf" });
  py(H5SC, { ...base, out: f.h5gzip, compression: "gzip" });
  py(ZARR2, { ...base, out: f.zarr2 });
  if (f.zarr3) pyZarr3(ZARR3, { ...base, out: f.zarr3 });
  return f;
}

/** What the Python side reads: obs ids and the images of `rows` (float32 lists), by h5py or zarr-python. */
export function pythonRead(file: string, rows: number[]): { ids: number[]; images: number[]; shape: number[] } {
  const code = `
import json, sys, numpy as np
inp = json.loads(sys.stdin.read())
p, rows = inp["path"], inp["rows"]
if p.endswith(".zarr"):
    import zarr
    g = zarr.open_group(p, mode="r")
    ids = g["obs/scportrait_cell_id"][:]
    imgs = np.stack([g["obsm/single_cell_images"][r] for r in rows]) if rows else np.zeros((0,))
else:
    import h5py
    with h5py.File(p, "r") as f:
        ids = f["obs/scportrait_cell_id"][:]
        imgs = np.stack([f["obsm/single_cell_images"][r] for r in rows]) if rows else np.zeros((0,))
print(json.dumps({"ids": [int(i) for i in ids], "images": imgs.astype(np.float32).ravel().tolist(), "shape": list(imgs.shape)}))
`;
  if (file.endsWith("-v3.zarr")) return pyZarr3(code, { path: file, rows });
  return py(code, { path: file, rows });
}
