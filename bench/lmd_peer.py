#!/usr/bin/env python3
"""Python peer of bench/lmd.mjs.

    lmd_peer.py make DIR SIDE SPACING   (/usr/bin/python3: numpy + tifffile)
        a SIDE x SIDE uint16 label mask, discs of radius 6..14 on a jittered grid
        SPACING apart, ids shuffled; written as DIR/mask.tif (uncompressed) and
        DIR/mask.u16 (raw, for py-lmd); prints the number of cells.
    lmd_peer.py run DIR IDS.json THREADS   (the "latest" peer venv: py-lmd)
        py-lmd's SegmentationLoader (default config, threads THREADS) on the mask
        for the cellIDs in IDS.json, one well; prints seconds, shapes, peak RSS.

Prints one JSON line.
"""
import json
import resource
import sys
import time

import numpy as np


def make(d, side, spacing):
    import tifffile

    rng = np.random.default_rng(7)
    mask = np.zeros((side, side), np.uint16)
    per = side // spacing
    n = per * per
    ids = rng.permutation(n) + 1
    yy, xx = np.mgrid[-15:16, -15:16]
    k = 0
    for gy in range(per):
        for gx in range(per):
            r = rng.uniform(6, 14)
            cy = gy * spacing + spacing // 2 + int(rng.integers(-5, 6))
            cx = gx * spacing + spacing // 2 + int(rng.integers(-5, 6))
            disc = (yy**2 + xx**2) <= r * r
            y0, x0 = cy - 15, cx - 15
            sub = mask[max(0, y0) : y0 + 31, max(0, x0) : x0 + 31]
            dsk = disc[max(0, -y0) : max(0, -y0) + sub.shape[0], max(0, -x0) : max(0, -x0) + sub.shape[1]]
            sub[dsk] = ids[k]
            k += 1
    # uncompressed strips, as tifffile writes by default (read row by row by
    # extract's TIFF reader; a deflate-tiled mask goes through geotiff, ~3x slower)
    tifffile.imwrite(f"{d}/mask.tif", mask)
    mask.tofile(f"{d}/mask.u16")
    print(json.dumps({"cells": n}))


def run(d, ids_path, threads):
    import contextlib
    import io
    import warnings

    warnings.filterwarnings("ignore")
    from lmd.lib import SegmentationLoader

    ids = json.load(open(ids_path))
    raw = np.fromfile(f"{d}/mask.u16", dtype="<u2")
    side = int(round(raw.size**0.5))
    t0 = time.perf_counter()
    # py-lmd takes the whole mask as one array (its coordinate index needs it)
    mask = raw.reshape(side, side).astype(np.uint32)
    cal = np.array([[0, 0], [0, side], [side, side // 2]])
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        sl = SegmentationLoader(config={"threads": threads}, processes=1)
        c = sl(mask, [{"classes": ids, "well": "A1"}], cal)
        c.save(f"{d}/pylmd.xml")
    seconds = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "shapes": len(c.shapes), "peak_rss": rss}))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        run(sys.argv[2], sys.argv[3], int(sys.argv[4]))
