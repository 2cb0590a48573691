#!/usr/bin/python3
"""A large slide as people have them, to time `cellfolio extract`'s start.

4000 x 4000 pixels, about 7,000 cells: image.tif, an OME-TIFF of 3 uint16
channels (DNA, Marker, CellBody), and nucleus.tif / cytosol.tif (uint32 labels,
same id = same cell), all tiled 512 x 512 and zlib-compressed, as a slide
scanner's export or a Cellpose / scPortrait segmentation writes them.
Deterministic (seed 17). Run with Debian's /usr/bin/python3 (numpy,
scikit-image, tifffile; zlib through the standard library):

    /usr/bin/python3 bench/make-tiled-slide.py [OUT_DIR] [--raster-ids]   # default out/tiled-slide

The cells' ids are in random order over the slide (as StarDist numbers its
objects: by detection score): nearly every cell waits for the last band
before its turn to be written comes, the worst case of the extraction's row
order. --raster-ids numbers them in raster order of their first pixel, as
Cellpose (fastremap.renumber) and skimage.measure.label do; the image and
the cells are the same.

then time the first progress line and the first cell:

    node packages/cli/dist/bin.js extract --image OUT_DIR/image.tif \\
      --nucleus OUT_DIR/nucleus.tif --cytosol OUT_DIR/cytosol.tif --size 64 \\
      --out out/tiled.h5sc --overwrite
"""
import os
import sys
import time

import numpy as np
import tifffile
from skimage import segmentation

SEED = 17
H = W = 4000
TILE = 512
N_CELLS = 7000
NUCLEUS_RADIUS = (4.0, 7.5)  # pixels: nuclei of 8-15 px across
CELL_GROW = 9  # the cytosol: nuclei grown by up to 9 px (touching cells split evenly)


def raster_ids(nuclei, cells):
    """Both masks relabelled 1, 2, ... in raster order of each nucleus's first pixel."""
    flat = nuclei.ravel()
    ids, first = np.unique(flat, return_index=True)
    order = ids[1:][np.argsort(first[1:])]  # without the background
    new = np.zeros(int(ids.max()) + 1, np.uint32)
    new[order] = np.arange(1, len(order) + 1, dtype=np.uint32)
    return new[nuclei], new[cells]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    out = args[0] if args else os.path.join("out", "tiled-slide")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(SEED)
    t0 = time.perf_counter()

    # Nuclei: discs (ellipses) at jittered grid points, so they barely touch.
    side = int(np.ceil(np.sqrt(N_CELLS)))
    step = H / side
    gy, gx = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    cy = (gy.ravel() + 0.5) * step + rng.uniform(-0.25, 0.25, side * side) * step
    cx = (gx.ravel() + 0.5) * step + rng.uniform(-0.25, 0.25, side * side) * step
    keep = rng.permutation(side * side)[:N_CELLS]
    cy, cx = cy[keep], cx[keep]
    ry = rng.uniform(*NUCLEUS_RADIUS, N_CELLS)
    rx = ry * rng.uniform(0.7, 1.3, N_CELLS)
    nuclei = np.zeros((H, W), np.uint32)
    for i in range(N_CELLS):
        y0, y1 = int(max(0, cy[i] - ry[i] - 1)), int(min(H, cy[i] + ry[i] + 2))
        x0, x1 = int(max(0, cx[i] - rx[i] - 1)), int(min(W, cx[i] + rx[i] + 2))
        yy, xx = np.ogrid[y0:y1, x0:x1]
        disc = ((yy - cy[i]) / ry[i]) ** 2 + ((xx - cx[i]) / rx[i]) ** 2 <= 1
        nuclei[y0:y1, x0:x1][disc & (nuclei[y0:y1, x0:x1] == 0)] = i + 1
    cells = segmentation.expand_labels(nuclei, distance=CELL_GROW).astype(np.uint32)

    # Channels: DNA bright in the nuclei, a marker in a third of the cells,
    # the cell body over the cytosol; camera-like noise over a background.
    background = rng.normal(400, 40, (3, H, W)).clip(0, None)
    bright = rng.uniform(0.5, 1.5, N_CELLS + 1)
    bright[0] = 0
    marked = (rng.uniform(size=N_CELLS + 1) < 0.33) * rng.uniform(1, 3, N_CELLS + 1)
    marked[0] = 0
    image = np.empty((3, H, W), np.uint16)
    image[0] = (background[0] + 6000 * bright[nuclei]).clip(0, 65535)
    image[1] = (background[1] + 3000 * marked[nuclei]).clip(0, 65535)
    image[2] = (background[2] + 2000 * bright[cells] * (cells > 0)).clip(0, 65535)

    if "--raster-ids" in sys.argv:
        nuclei, cells = raster_ids(nuclei, cells)

    tiled = dict(tile=(TILE, TILE), compression="zlib")
    tifffile.imwrite(os.path.join(out, "image.tif"), image, photometric="minisblack", ome=True,
                     metadata={"axes": "CYX", "Channel": {"Name": ["DNA", "Marker", "CellBody"]}}, **tiled)
    tifffile.imwrite(os.path.join(out, "nucleus.tif"), nuclei, photometric="minisblack", **tiled)
    tifffile.imwrite(os.path.join(out, "cytosol.tif"), cells, photometric="minisblack", **tiled)
    print(f"{out}: {H} x {W}, {N_CELLS} cells, 3 channels uint16, tiles {TILE}, zlib, "
          f"ids in {'raster' if '--raster-ids' in sys.argv else 'random'} order "
          f"in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
