#!/usr/bin/python3
"""The Python side of bench/extract.mjs.

make OUTDIR '{"cells": N, "channels": C, "spacing": px, "seed": s, "cols": n | null}'
    A synthetic slide (cells on a jittered grid, nuclei and cytosols of up to
    ~spacing px across, uint16 channels) as image.tif (C, H, W), nucleus.tif and
    cytosol.tif (int32), written by tifffile with its defaults.

run '{"image": ..., "nucleus": ..., "cytosol": ..., "out": ..., "params": {...},
      "compression": "gzip" | "gzip-shuffle" | "lzf" | "none", "cells": N | null}'
    scPortrait's stack end to end on one core: tifffile reads the whole slide,
    the NumPy/SciPy/skimage reference (packages/extract/reference) extracts
    every cell, h5py writes obsm/single_cell_images (N, C', S, S) float16 with
    chunks (1, 1, S, S) and the same codec as ours, and obs. Prints one JSON line.
"""

import json
import os
import resource
import sys
import time

import numpy as np
import tifffile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "packages", "extract", "reference"))
import extract_reference as ref  # noqa: E402


def make(out, cfg):
    from skimage.draw import ellipse

    n, C, sp = cfg["cells"], cfg.get("channels", 3), cfg.get("spacing", 44)
    rng = np.random.default_rng(cfg.get("seed", 7))
    cols = cfg.get("cols") or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    H, W = rows * sp, cols * sp
    nucleus = np.zeros((H, W), np.int32)
    cytosol = np.zeros((H, W), np.int32)
    k = 0
    for r in range(rows):
        for c in range(cols):
            if k == n:
                break
            k += 1
            # Sizes as bench/extract-kernels.mjs's slides: nucleus radius 1.5 .. spacing/4,
            # cytosol 1.3-2x the nucleus, within the spacing (cells under ~spacing px across).
            cy = r * sp + sp / 2 + (rng.random() - 0.5) * sp * 0.3
            cx = c * sp + sp / 2 + (rng.random() - 0.5) * sp * 0.3
            rn = 1.5 + rng.random() * (sp / 4 - 1.5)
            ry, rx = rn * (0.7 + 0.6 * rng.random()), rn * (0.7 + 0.6 * rng.random())
            grow = 1.3 + 0.7 * rng.random()
            rot = rng.uniform(0, np.pi)
            rr, cc = ellipse(cy, cx, min(ry * grow, sp / 2 - 1), min(rx * grow, sp / 2 - 1), shape=(H, W), rotation=rot)
            cytosol[rr, cc] = k
            rr, cc = ellipse(cy, cx, ry, rx, shape=(H, W), rotation=rot)
            nucleus[rr, cc] = k
            cytosol[rr, cc] = k
    image = np.empty((C, H, W), np.uint16)
    image[0] = np.clip(rng.normal(200, 30, (H, W)) + 1500 * (nucleus > 0), 0, 65535)
    for ch in range(1, C):
        image[ch] = np.clip(rng.normal(300, 60, (H, W)) + rng.uniform(300, 1200) * (cytosol > 0), 0, 65535)
    os.makedirs(out, exist_ok=True)
    tifffile.imwrite(f"{out}/image.tif", image, photometric="minisblack")
    tifffile.imwrite(f"{out}/nucleus.tif", nucleus)
    tifffile.imwrite(f"{out}/cytosol.tif", cytosol)
    return {"height": H, "width": W, "cells": n}


def run(m):
    import h5py

    t0 = time.perf_counter()
    c0 = time.process_time()
    image = tifffile.imread(m["image"])
    if image.ndim == 2:
        image = image[None]
    nucleus = tifffile.imread(m["nucleus"])
    cytosol = tifffile.imread(m["cytosol"]) if m.get("cytosol") else None
    read_seconds = time.perf_counter() - t0
    p = ref.resolve_params(m.get("params", {}))
    C, H, W = image.shape
    w = p["size"] // 2
    cells = ref.find_cells(nucleus)
    ids = sorted(cells)
    todo = [(cid,) + cells[cid] for cid in ids if p["border"] == "pad" or ref.is_inside(cells[cid][2], cells[cid][3], H, W, w)]
    if m.get("cells"):
        todo = todo[: m["cells"]]
    n_masks = 2 if cytosol is not None else 1
    S = p["size"]
    comp = m.get("compression", "gzip")
    kw = {"gzip": {"compression": "gzip", "compression_opts": 1},
          "gzip-shuffle": {"compression": "gzip", "compression_opts": 1, "shuffle": True},
          "lzf": {"compression": "lzf"}, "none": {}}[comp]
    with h5py.File(m["out"], "w") as f:
        f.attrs["encoding-type"] = "anndata"
        f.attrs["encoding-version"] = "0.1.0"
        d = f.create_dataset("obsm/single_cell_images", shape=(len(todo), n_masks + C, S, S), dtype="float16", chunks=(1, 1, S, S), **kw)
        d.attrs["encoding-type"] = "array"
        d.attrs["encoding-version"] = "0.2.0"
        for row, (cid, my, mx, cy, cx) in enumerate(todo):
            stack, _ = ref.extract_cell(image, nucleus, cytosol, cid, cy, cx, p)
            d[row] = stack
        obs = f.create_group("obs")
        obs.create_dataset("scportrait_cell_id", data=np.array([t[0] for t in todo], np.uint64))
        obs.create_dataset("centroid_y", data=np.array([t[1] for t in todo], np.float64))
        obs.create_dataset("centroid_x", data=np.array([t[2] for t in todo], np.float64))
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    return {"cells": len(todo), "seconds": seconds, "cells_per_second": len(todo) / seconds, "cpu_seconds": cpu,
            "read_seconds": read_seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "make":
        print(json.dumps(make(sys.argv[2], json.loads(sys.argv[3]))))
    elif len(sys.argv) == 3 and sys.argv[1] == "run":
        print(json.dumps(run(json.loads(sys.argv[2]))))
    else:
        sys.exit(__doc__)
