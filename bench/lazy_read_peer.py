#!/usr/bin/python3
"""Python peer of bench/lazy-read.mjs: makes the benchmark datasets (h5py
.h5sc as scPortrait writes it, zarr-python 2 .zarr) and times h5py /
zarr-python doing the same reads as @cellfolio/lazy.

    lazy_read_peer.py make DIR N C S
    lazy_read_peer.py read PATH MODE K SEED [WARM]   (MODE: random | batches | batches-fancy | annbatch | annbatch-chunks; WARM untimed reads first)

Prints one JSON line.
"""
import json
import resource
import sys
import time

import numpy as np


def cells(rng, n, c, s):
    """float16 (n, c, s, s): binary masks + blurred blobs, zero outside the cell (compresses like real crops)."""
    yy, xx = np.mgrid[0:s, 0:s].astype(np.float32)
    cy = rng.uniform(0.4, 0.6, (n, 1, 1)) * s
    cx = rng.uniform(0.4, 0.6, (n, 1, 1)) * s
    r = rng.uniform(0.15, 0.3, (n, 1, 1)) * s
    d2 = ((yy - cy) ** 2 + (xx - cx) ** 2) / r**2
    out = np.empty((n, c, s, s), np.float16)
    out[:, 0] = d2 < 0.5
    out[:, 1] = d2 < 1.0
    w = np.exp(-d2)
    for k in range(2, c):
        out[:, k] = np.clip(w * rng.uniform(0.5, 1.0, (n, s, s)), 0, 1) * (d2 < 2.0)
    return out


def make(d, n, c, s):
    import h5py
    import zarr

    rng = np.random.default_rng(0)
    ids = rng.choice(np.arange(1, n * 4), n, replace=False).astype(np.uint64)
    ids.sort()
    h5, zp = f"{d}/bench.h5sc", f"{d}/bench.zarr"
    block = 1000
    with h5py.File(h5, "w") as f:
        f.attrs["encoding-type"] = "anndata"
        f.attrs["encoding-version"] = "0.1.0"
        obs = f.create_group("obs")
        obs.attrs.update({"encoding-type": "dataframe", "encoding-version": "0.2.0", "_index": "_index"})
        obs.attrs["column-order"] = np.array(["scportrait_cell_id", "label"], dtype=h5py.string_dtype())
        obs.create_dataset("_index", data=np.array([str(i) for i in range(n)], dtype=h5py.string_dtype()))
        obs["_index"].attrs.update({"encoding-type": "string-array", "encoding-version": "0.2.0"})
        obs.create_dataset("scportrait_cell_id", data=ids)
        obs.create_dataset("label", data=rng.integers(0, 2, n).astype(np.int64))
        for k in ("scportrait_cell_id", "label"):
            obs[k].attrs.update({"encoding-type": "array", "encoding-version": "0.2.0"})
        var = f.create_group("var")
        var.attrs.update({"encoding-type": "dataframe", "encoding-version": "0.2.0", "_index": "_index"})
        var.attrs["column-order"] = np.array([], dtype=h5py.string_dtype())
        var.create_dataset("_index", data=np.array([str(i) for i in range(c)], dtype=h5py.string_dtype()))
        f.create_group("obsm")
        img = f["obsm"].create_dataset("single_cell_images", (n, c, s, s), np.float16, chunks=(1, 1, s, s), compression="lzf")
        img.attrs.update({"encoding-type": "array", "encoding-version": "0.2.0"})
        z = zarr.open_group(zp, mode="w")
        z.attrs.update({"encoding-type": "anndata", "encoding-version": "0.1.0"})
        zo = z.create_group("obs")
        zo.attrs.update({"encoding-type": "dataframe", "encoding-version": "0.2.0", "_index": "_index", "column-order": ["scportrait_cell_id", "label"]})
        zo.array("_index", np.array([str(i) for i in range(n)], dtype=object), object_codec=__import__("numcodecs").VLenUTF8())
        zo["_index"].attrs.update({"encoding-type": "string-array", "encoding-version": "0.2.0"})
        zo.array("scportrait_cell_id", ids)
        zo.array("label", f["obs/label"][:])
        for k in ("scportrait_cell_id", "label"):
            zo[k].attrs.update({"encoding-type": "array", "encoding-version": "0.2.0"})
        zv = z.create_group("var")
        zv.attrs.update({"encoding-type": "dataframe", "encoding-version": "0.2.0", "_index": "_index", "column-order": []})
        zv.array("_index", np.array([str(i) for i in range(c)], dtype=object), object_codec=__import__("numcodecs").VLenUTF8())
        zi = z.create_group("obsm").zeros("single_cell_images", shape=(n, c, s, s), chunks=(1, c, s, s), dtype=np.float16)
        zi.attrs.update({"encoding-type": "array", "encoding-version": "0.2.0"})
        for a in range(0, n, block):
            b = cells(rng, min(block, n - a), c, s)
            img[a : a + len(b)] = b
            zi[a : a + len(b)] = b
    zarr.consolidate_metadata(zp)
    print(json.dumps({"h5": h5, "zarr": zp}))


def read(path, mode, k, seed, warm=0):
    rng = np.random.default_rng(seed)
    if path.endswith(".zarr"):
        import zarr

        g = zarr.open_consolidated(path, mode="r") if zarr.__version__.startswith("2") else zarr.open_group(path, mode="r")
        ids, img = g["obs/scportrait_cell_id"][:], g["obsm/single_cell_images"]
    else:
        import h5py

        g = h5py.File(path, "r")
        ids, img = g["obs/scportrait_cell_id"][:], g["obsm/single_cell_images"]
    row_of = {int(i): r for r, i in enumerate(ids)}
    n = len(ids)
    # untimed reads of other cells first, as the JS side does
    for r in np.random.default_rng(seed + 1000).integers(0, n, warm):
        img[int(r)].astype(np.float32)
    extra = {}
    t0 = time.perf_counter()
    total = 0.0
    if mode.startswith("annbatch"):
        # scverse's annbatch Loader on the image array, shuffled batches of 256
        # as float32: rows drawn one by one (chunk_size 1, the same sampling as
        # ours), or as annbatch recommends for a pre-shuffled collection (runs
        # of 32 contiguous rows, 64 runs preloaded, shuffled together).
        import annbatch

        chunk, preload = (1, 256) if mode == "annbatch" else (32, 64)
        loader = annbatch.Loader(batch_size=256, chunk_size=chunk, preload_nchunks=preload, shuffle=True,
                                 preload_to_gpu=False, rng=np.random.default_rng(seed)).add_dataset(img)
        cells_read = 0
        for b, out in enumerate(loader):
            x = out["X"].astype(np.float32)
            cells_read += len(x)
            if b + 1 >= k:
                break
        extra["annbatch"] = annbatch.__version__
    elif mode == "random":
        want = rng.choice(ids, k)
        for cid in want:
            x = img[row_of[int(cid)]].astype(np.float32)
            total += float(x[0, 0, 0])
        cells_read = k
    else:
        # "batches": row by row as a PyTorch DataLoader asks a map-style
        # Dataset (scPortrait's H5ScSingleCellDataset); "batches-fancy": one
        # fancy-indexed read per batch (rows sorted, as h5py requires).
        order = rng.permutation(n)
        cells_read = 0
        for b in range(k):
            rows = order[b * 256 : (b + 1) * 256]
            if len(rows) == 0:
                break
            if mode == "batches":
                x = np.stack([img[int(r)] for r in rows])
            else:
                rows = np.sort(rows)
                x = img.oindex[rows] if path.endswith(".zarr") else img[rows]
            x = x.astype(np.float32)
            cells_read += len(rows)
    dt = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"cells": cells_read, "seconds": dt, "cellsPerSecond": cells_read / dt, "peakRssMB": rss, **extra}))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        read(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]) if len(sys.argv) > 6 else 0)
