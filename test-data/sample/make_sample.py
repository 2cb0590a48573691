#!/usr/bin/python3
"""Make cellfolio's bundled sample dataset from real HT29 cells.

Source: CellProfiler ExampleHuman (Moffat et al., Cell 2006; CC-0), three
512 x 512 uint8 channels: d0 DNA (DAPI), d1 PH3 (phospho-histone H3), d2 cell
body. Run with Debian's /usr/bin/python3 (numpy, scipy, scikit-image, tifffile):

    /usr/bin/python3 test-data/sample/make_sample.py [SOURCE_DIR]

Writes beside this script: image.tif (C, H, W) uint8, nucleus.tif and
cytosol.tif (uint16 labels, same id = same cell), labels.csv.
"""
import csv
import glob
import os
import sys

import numpy as np
import tifffile
from scipy import ndimage as ndi
from skimage import filters, measure, morphology, segmentation

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    HERE, "..", "real-images", "cellprofiler-examplehuman")

# Parameters of the segmentation (pixels at the source's resolution).
DNA_SIGMA = 1.5  # smoothing before the nuclear threshold
MIN_NUCLEUS_AREA = 30  # smaller objects are debris
PEAK_MIN_DISTANCE = 5  # min distance between two nuclei's seeds
PEAK_FOOTPRINT = 9
BODY_SIGMA = 2.0
# PH3 is bright only in mitotic nuclei; the background sits near 10-11.
# A nucleus is mitotic where its mean PH3 is above this value: the means are
# bimodal (about 10-11.5 for interphase, 20 and up for mitotic cells).
MITOTIC_PH3_MEAN = 15.0


def channel(suffix):
    (path,) = glob.glob(os.path.join(SRC, f"*{suffix}.tif"))
    return tifffile.imread(path)


def segment_nuclei(dna):
    smooth = filters.gaussian(dna.astype(np.float64), sigma=DNA_SIGMA, preserve_range=True)
    fg = smooth > filters.threshold_otsu(smooth)
    fg = ndi.binary_fill_holes(fg)
    fg = morphology.remove_small_objects(fg, MIN_NUCLEUS_AREA)
    # Split touching nuclei: watershed on the distance transform, seeded by
    # its local maxima (one per blob at least).
    dist = ndi.distance_transform_edt(fg)
    dist = filters.gaussian(dist, sigma=1.0, preserve_range=True)
    blobs = measure.label(fg)
    peaks = morphology.h_maxima(dist, 1.0) & fg
    seeds = measure.label(peaks)
    # a blob without a peak keeps one seed at its distance maximum
    for region in measure.regionprops(blobs):
        rr, cc = region.coords.T
        if seeds[rr, cc].max() == 0:
            k = np.argmax(dist[rr, cc])
            seeds[rr[k], cc[k]] = seeds.max() + 1
    nuclei = segmentation.watershed(-dist, seeds, mask=fg)
    nuclei = morphology.remove_small_objects(nuclei, MIN_NUCLEUS_AREA)
    nuclei, _, _ = segmentation.relabel_sequential(nuclei)
    return nuclei


def segment_cells(body, dna, nuclei):
    smooth = filters.gaussian(body.astype(np.float64), sigma=BODY_SIGMA, preserve_range=True)
    fg = smooth > filters.threshold_otsu(smooth) * 0.5
    fg |= nuclei > 0
    # Grow each nucleus over the cell-body signal (bright = inside a cell).
    cells = segmentation.watershed(-smooth, nuclei, mask=fg)
    return cells


def main():
    dna, ph3, body = channel("d0"), channel("d1"), channel("d2")
    nuclei = segment_nuclei(dna)
    cells = segment_cells(body, dna, nuclei)
    ids = np.arange(1, nuclei.max() + 1)
    ph3_mean = ndi.mean(ph3.astype(np.float64), labels=nuclei, index=ids)

    image = np.stack([dna, ph3, body]).astype(np.uint8)
    tifffile.imwrite(os.path.join(HERE, "image.tif"), image, photometric="minisblack",
                     metadata={"axes": "CYX", "Channel": {"Name": ["DNA", "PH3", "CellBody"]}},
                     ome=True)
    tifffile.imwrite(os.path.join(HERE, "nucleus.tif"), nuclei.astype(np.uint16))
    tifffile.imwrite(os.path.join(HERE, "cytosol.tif"), cells.astype(np.uint16))
    with open(os.path.join(HERE, "labels.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["cellID", "mitotic", "ph3_mean"])
        for i, m in zip(ids, ph3_mean):
            w.writerow([int(i), int(m > MITOTIC_PH3_MEAN), f"{m:.2f}"])
    print(f"cells: {len(ids)}, mitotic: {int((ph3_mean > MITOTIC_PH3_MEAN).sum())}")
    areas = np.bincount(nuclei.ravel())[1:]
    print(f"nucleus area px: median {np.median(areas):.0f}, min {areas.min()}, max {areas.max()}")
    print("ph3_mean sorted top 40:", np.round(np.sort(ph3_mean)[::-1][:40], 1).tolist())


if __name__ == "__main__":
    main()
