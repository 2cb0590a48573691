#!/usr/bin/python3
"""A small synthetic slide for the pipeline tests: an image (C, H, W), a nucleus
and a cytosol label mask, written as TIFFs (tifffile) and as raw planes with the
manifest extract_reference.py reads.

Usage: make_slide.py OUTDIR '{"height":..., "width":..., "channels":..., "seed":...,
                              "dtype": "uint16", "shuffle_ids": true}'
Cells sit on a jittered grid, some close to the edges (dropped at the border for
large crops); ids are shuffled so they are not in raster order; the cytosol has
holes in some cells, and one id is missing from the cytosol mask.
Prints one JSON line: the ids, the id missing from the cytosol mask, the files.
"""

import json
import os
import sys

import numpy as np
import tifffile
from skimage.draw import disk, ellipse

out = sys.argv[1]
cfg = json.loads(sys.argv[2])
H, W, C = cfg["height"], cfg["width"], cfg["channels"]
dtype = np.dtype(cfg.get("dtype", "uint16"))
rng = np.random.default_rng(cfg.get("seed", 1))
os.makedirs(out, exist_ok=True)

nucleus = np.zeros((H, W), np.int32)
cytosol = np.zeros((H, W), np.uint16)
spacing = cfg.get("spacing", 26)
centres = []
for y in range(spacing // 2, H, spacing):
    for x in range(spacing // 2, W, spacing):
        centres.append((y + rng.integers(-3, 4), x + rng.integers(-3, 4)))
ids = np.arange(1, len(centres) + 1)
if cfg.get("shuffle_ids", True):
    rng.shuffle(ids)
# The cell nearest the centre (kept for any crop size) is missing from the cytosol mask.
missing = int(ids[int(np.argmin([(cy - H / 2) ** 2 + (cx - W / 2) ** 2 for cy, cx in centres]))])
for (cy, cx), cid in zip(centres, ids):
    rn = rng.uniform(3, 6)
    rr, cc = ellipse(cy, cx, rn + rng.uniform(3, 6), rn + rng.uniform(3, 6), shape=(H, W), rotation=rng.uniform(0, np.pi))
    if cid != missing:
        cytosol[rr, cc] = cid
        if rng.random() < 0.3:  # a hole for fill_holes to close
            cytosol[int(np.clip(cy + 2, 0, H - 1)), int(np.clip(cx + 2, 0, W - 1))] = 0
    rr, cc = disk((cy, cx), rn, shape=(H, W))
    nucleus[rr, cc] = cid
    if cid != missing:
        cytosol[rr, cc] = cid

image = np.zeros((C, H, W), np.float64)
yy, xx = np.mgrid[0:H, 0:W]
image[0] = 400 * (nucleus > 0) + rng.normal(100, 20, (H, W))
for k in range(1, C):
    image[k] = 300 * (cytosol > 0) * rng.uniform(0.5, 1.5) + 50 * np.sin(xx / (7 + k)) + rng.normal(100, 30, (H, W))
if dtype.kind == "f":
    image = (image / 1000).astype(dtype)
else:
    image = np.clip(image, 0, np.iinfo(dtype).max).astype(dtype)

tifffile.imwrite(f"{out}/image.tif", image, photometric="minisblack")
tifffile.imwrite(f"{out}/nucleus.tif", nucleus)
tifffile.imwrite(f"{out}/cytosol.tif", cytosol)
image.astype(image.dtype.newbyteorder("<")).tofile(f"{out}/image.raw")
nucleus.astype("<i4").tofile(f"{out}/nucleus.raw")
cytosol.astype("<u2").tofile(f"{out}/cytosol.raw")
print(json.dumps({"ids": sorted(int(i) for i in np.unique(nucleus) if i), "missing": missing,
                  "image": f"{out}/image.tif", "nucleus": f"{out}/nucleus.tif", "cytosol": f"{out}/cytosol.tif"}))
