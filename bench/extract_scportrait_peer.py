"""scPortrait's own extraction pipeline, for bench/extract.mjs (SCPORTRAIT=1).

run '{"image": ..., "nucleus": ..., "cytosol": ..., "work": DIR, "size": S,
      "threads": T, "compression": "lzf" | "gzip" | "none"}'
    The slide's channels and both masks go into a SpatialData store (the input
    scPortrait's Project reads), then a Project with HDF5CellExtraction loads
    it (load_input_from_sdata: scPortrait computes the cell centres itself)
    and extracts every cell: scPortrait 1.7's pipeline from its input format
    on, without its segmentation step. Timed: the extraction alone
    (Project.extract), and the input import beside it. Prints one JSON line
    with the output .h5sc path, cells, seconds and the peak RSS of the process
    and of its worker processes.

Runs in the on-demand venv "scportrait-full" (bash .ci/setup-peers.sh
scportrait-full): scPortrait with all its dependencies, as users install it.
"""

import glob
import json
import os
import resource
import sys
import time
import warnings

warnings.filterwarnings("ignore")


def run(cfg):
    import numpy as np
    import tifffile
    from spatialdata import SpatialData
    from spatialdata.models import Image2DModel, Labels2DModel

    from scportrait.pipeline.extraction import HDF5CellExtraction
    from scportrait.pipeline.project import Project

    work = cfg["work"]
    os.makedirs(work, exist_ok=True)
    image = tifffile.imread(cfg["image"])
    channels = [f"ch{i}" for i in range(image.shape[0])]
    sdata = SpatialData(
        # multiscale, as scPortrait writes its own input images (it reads "scale0")
        images={"slide": Image2DModel.parse(image, dims=("c", "y", "x"), c_coords=channels, scale_factors=[2, 4, 8])},
        labels={
            "nucleus": Labels2DModel.parse(tifffile.imread(cfg["nucleus"]).astype(np.uint32), dims=("y", "x")),
            "cytosol": Labels2DModel.parse(tifffile.imread(cfg["cytosol"]).astype(np.uint32), dims=("y", "x")),
        },
    )
    del image
    sdata_path = os.path.join(work, "input.sdata.zarr")
    sdata.write(sdata_path, overwrite=True)
    del sdata

    project_dir = os.path.join(work, "project")
    os.makedirs(project_dir, exist_ok=True)
    compression = {"lzf": "lzf", "gzip": "gzip", "none": False}[cfg["compression"]]
    config = {
        "name": "cellfolio bench",
        "HDF5CellExtraction": {
            "threads": cfg["threads"],
            "image_size": cfg["size"],
            "normalize_output": True,
            "normalization_range": [0.001, 0.999],
            "cache": os.path.join(work, "cache"),
            "compression": compression,
        },
    }
    t0 = time.perf_counter()
    project = Project(project_dir, config_path=config, extraction_f=HDF5CellExtraction, overwrite=True)
    project.load_input_from_sdata(sdata_path, input_image_name="slide", nucleus_segmentation_name="nucleus", cytosol_segmentation_name="cytosol")
    t1 = time.perf_counter()
    project.extract()
    t2 = time.perf_counter()
    out = project.extraction_f.output_path or ""
    if not out or not os.path.exists(out):
        found = glob.glob(os.path.join(project_dir, "**", "*.h5sc"), recursive=True)
        out = found[0] if found else ""
    import h5py

    with h5py.File(out, "r") as f:
        n = int(f["obsm/single_cell_images"].shape[0])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"out": out, "cells": n, "seconds": t2 - t1, "import_seconds": t1 - t0, "peak_rss_mb": peak, "peak_rss_children_mb": children}))


if __name__ == "__main__":
    if sys.argv[1] == "run":
        run(json.loads(sys.argv[2]))
    else:
        raise SystemExit(f"usage: {sys.argv[0]} run JSON")
