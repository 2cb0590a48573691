#!/usr/bin/python3
"""NumPy / SciPy / scikit-image implementation of cellfolio's extraction presets.

This is the oracle of the kernel tests and the Python side of
bench/extract-kernels.mjs. It follows docs/algorithm.md (at the repository root)
literally, in float64, on the whole crop, the way scPortrait's stack does it;
it is meant to be obviously right, not fast.

Usage (raw little-endian planes described by a JSON manifest):
    extract_reference.py run manifest.json
manifest = {"image": path, "dtype": "uint16", "channels": C, "height": H, "width": W,
            "nucleus": path, "nucleus_dtype": "int32", "cytosol": path | null,
            "cytosol_dtype": "int32", "params": {...}, "ids": [..] | null,
            "out": path | null}
Writes the stacks of the kept cells (sorted by id) as raw float16 (N, n_masks + C, S, S)
to `out` and prints one JSON line: ids, centroids, cytosol_missing, dropped,
compute_seconds / compute_cpu_seconds (extraction only, without reading inputs
or finding cells; wall and CPU time).
"""

import json
import sys
import time

import numpy as np
from scipy import ndimage
from skimage.morphology import disk

DEFAULTS = {
    "classic": {"size": 128, "sigma": 5.0, "dilation": 6, "quantiles": [0.001, 0.999],
                "nuclearChannel": 0, "border": "drop"},
    "scportrait": {"size": 128, "sigma": 1.0, "dilation": 0, "quantiles": [0.001, 0.999],
                   "nuclearChannel": 0, "border": "drop"},
}


def resolve_params(p):
    preset = p.get("preset", "classic")
    out = dict(DEFAULTS[preset])
    out.update({k: v for k, v in p.items() if v is not None})
    out["preset"] = preset
    return out


def gaussian(img, sigma):
    """skimage.filters.gaussian / ndimage.gaussian_filter with mode "nearest", truncate 4 (docs/algorithm.md)."""
    return ndimage.gaussian_filter(img.astype(np.float64), sigma, mode="nearest", truncate=4.0)


def find_cells(nucleus):
    """id -> (mean row, mean col, rounded row, rounded col), rounded half to even."""
    cells = {}
    ids = None
    labels = nucleus
    if nucleus.size and int(nucleus.max()) > 1 << 24:
        # sparse huge ids: find_objects would allocate one slot per id value
        ids, inverse = np.unique(nucleus, return_inverse=True)
        labels = inverse.reshape(nucleus.shape)
        if ids[0] != 0:  # keep 0 as background
            ids = np.concatenate([[0], ids])
            labels = labels + 1
    slices = ndimage.find_objects(labels)
    for i, sl in enumerate(slices):
        if sl is None:
            continue
        cid = i + 1 if ids is None else int(ids[i + 1])
        ys, xs = np.nonzero(labels[sl] == i + 1)
        my = float((ys + sl[0].start).mean())
        mx = float((xs + sl[1].start).mean())
        cells[cid] = (my, mx, int(np.round(my)), int(np.round(mx)))
    return cells


def crop(plane, cy, cx, w):
    """plane[cy-w:cy+w, cx-w:cx+w] with zeros outside the image."""
    h, wd = plane.shape[-2:]
    y0, x0 = cy - w, cx - w
    out = np.zeros(plane.shape[:-2] + (2 * w, 2 * w), dtype=plane.dtype)
    sy0, sx0 = max(y0, 0), max(x0, 0)
    sy1, sx1 = min(y0 + 2 * w, h), min(x0 + 2 * w, wd)
    if sy1 > sy0 and sx1 > sx0:
        out[..., sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = plane[..., sy0:sy1, sx0:sx1]
    return out


def percentile_normalize(x, q0, q1, clip=True):
    lo, hi = np.quantile(x, [q0, q1])
    if hi == lo:  # left unscaled
        return x
    x = (x - lo) / (hi - lo)
    return np.clip(x, 0, 1) if clip else x


def min_max(x):
    mn, mx = x.min(), x.max()
    if mx == mn:
        return x
    return (x - mn) / (mx - mn)


def extract_cell(image, nucleus, cytosol, cid, cy, cx, p):
    """The stack [masks..., channels...] of one cell as float16, and whether the
    cell's id is missing from the cytosol crop."""
    w = p["size"] // 2
    q0, q1 = p["quantiles"]
    chans = crop(image, cy, cx, w).astype(np.float64)
    n = crop(nucleus, cy, cx, w) == cid
    c = crop(cytosol, cy, cx, w) == cid if cytosol is not None else None
    missing = c is not None and not c.any()
    if p["preset"] == "classic":
        if c is not None:
            c = ndimage.binary_fill_holes(c)
        wn = gaussian(n, p["sigma"])
        if c is not None:
            dil = ndimage.binary_dilation(c, structure=disk(p["dilation"])) if p["dilation"] > 0 else c
            wc = gaussian(dil, p["sigma"])
        else:
            wc = wn
        out = []
        for k in range(chans.shape[0]):
            x = percentile_normalize(chans[k], q0, q1)
            x = x * (wn if k == p["nuclearChannel"] else wc)
            out.append(min_max(x))
        masks = [n.astype(np.float64)] + ([c.astype(np.float64)] if c is not None else [])
    else:  # scportrait >= 1.4
        masks = [gaussian(ndimage.binary_fill_holes(n), p["sigma"])]
        if c is not None:
            masks.append(gaussian(ndimage.binary_fill_holes(c), p["sigma"]))
        last = masks[-1]
        out = [percentile_normalize(chans[k] * last, q0, q1) for k in range(chans.shape[0])]
    return np.stack(masks + out).astype(np.float16), bool(missing)


def is_inside(cy, cx, h, wd, w):
    return w < cy < h - w and w < cx < wd - w


def run(manifest):
    m = manifest
    C, H, W = m["channels"], m["height"], m["width"]
    image = np.fromfile(m["image"], dtype=np.dtype(m["dtype"]).newbyteorder("<")).reshape(C, H, W)
    nucleus = np.fromfile(m["nucleus"], dtype=np.dtype(m["nucleus_dtype"]).newbyteorder("<")).reshape(H, W)
    cytosol = None
    if m.get("cytosol"):
        cytosol = np.fromfile(m["cytosol"], dtype=np.dtype(m["cytosol_dtype"]).newbyteorder("<")).reshape(H, W)
    p = resolve_params(m.get("params", {}))
    w = p["size"] // 2
    cells = find_cells(nucleus)
    ids = sorted(cells) if m.get("ids") is None else sorted(m["ids"])
    kept, dropped, missing, centroids = [], [], [], []
    todo = []
    for cid in ids:
        my, mx, cy, cx = cells[cid]
        if p["border"] == "drop" and not is_inside(cy, cx, H, W, w):
            dropped.append(cid)
            continue
        todo.append((cid, cy, cx))
        kept.append(cid)
        centroids.append([my, mx])
    out = None
    if m.get("out"):
        out = open(m["out"], "wb")
    t0 = time.perf_counter()
    c0 = time.process_time()
    for cid, cy, cx in todo:
        stack, miss = extract_cell(image, nucleus, cytosol, cid, cy, cx, p)
        if miss:
            missing.append(cid)
        if out is not None:
            out.write(stack.astype("<f2").tobytes())
    seconds = time.perf_counter() - t0
    cpu_seconds = time.process_time() - c0
    if out is not None:
        out.close()
    return {"ids": kept, "centroids": centroids, "cytosol_missing": missing,
            "dropped": dropped, "compute_seconds": seconds,
            "compute_cpu_seconds": cpu_seconds}


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "run":
        sys.exit(__doc__)
    with open(sys.argv[2]) as f:
        print(json.dumps(run(json.load(f))))
