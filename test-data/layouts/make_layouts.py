"""Small single-cell files in every layout scPortrait and SPARCSpy wrote.

Run from the repository root with the `scportrait` peer (anndata 0.11.4,
h5py 3.14; scPortrait itself pins anndata < 0.12):

    /opt/cellfolio-peers/scportrait/bin/python test-data/layouts/make_layouts.py

Each writer follows what that version's source does (read at its git tag),
with 3 cells, 1 mask + 2 image channels of 8 x 8 and known cellIDs:

- scportrait-1.3.0.h5adsc: `pipeline/extraction.py` of v1.3.0 (file name
  single_cells.h5adsc): obs `cell_id` uint32; var of zero rows whose
  *columns* are the channel names; uns `single_cell_images/image_size` and
  the normalisation keys; images float16 chunked (1, 1, S, S), lzf.
- scportrait-1.3.1.h5sc: v1.3.1 (single_cells.h5sc): obs `cell_id` uint64;
  var one row a channel with columns `channels`, `channel_mapping`.
- scportrait-1.3.3.h5sc: v1.3.3 to 1.7.0: as 1.3.1 with the column renamed
  `scportrait_cell_id`.
- numpy_to_h5sc.h5sc: `io/h5sc.py` `numpy_to_h5sc` of v1.7.0: gzip,
  uns / attribute keys `image_size_x`, `image_size_y`, no normalisation keys,
  string indexes for obs and var.
- sparcspy.h5: SPARCSpy's `HDF5CellExtraction` (file single_cells.h5):
  `single_cell_index` int64 (N, 2) of [row, cellID] and `single_cell_data`
  float32 (N, C, S, S) chunked (1, 1, S, S), lzf; no channel names.

`expected.json` lists, for each file, the cellIDs and channel names meant.
The image values are read back by the tests with h5py (the oracle).
"""

import json
import os
import warnings

import anndata
import h5py
import numpy as np
import pandas as pd

OUT = os.path.dirname(os.path.abspath(__file__))
N, S = 3, 8
MASKS = ["seg_all_nucleus"]
CHANNELS = ["ch0", "ch1"]
NAMES = MASKS + CHANNELS
MAPPING = ["mask"] * len(MASKS) + ["image_channel"] * len(CHANNELS)
IDS = [7, 42, 4_000_000_000]  # the last needs more than int32
rng = np.random.default_rng(18)
IMAGES = rng.random((N, len(NAMES), S, S)).astype(np.float16)
IMAGES[:, 0] = (IMAGES[:, 0] > 0.5).astype(np.float16)  # a binary mask

warnings.simplefilter("ignore")  # anndata 0.11 warns about '/' in uns keys, as scPortrait's own writes did


def uns_pipeline(adata, key_cells=N):
    u = "single_cell_images"
    adata.uns[f"{u}/n_cells"] = key_cells
    adata.uns[f"{u}/n_channels"] = len(NAMES)
    adata.uns[f"{u}/n_masks"] = len(MASKS)
    adata.uns[f"{u}/n_image_channels"] = len(CHANNELS)
    adata.uns[f"{u}/image_size"] = S
    adata.uns[f"{u}/normalization"] = True
    adata.uns[f"{u}/normalization_range_lower"] = 0.01
    adata.uns[f"{u}/normalization_range_upper"] = 0.99
    adata.uns[f"{u}/channel_names"] = np.array(NAMES, dtype="<U15")
    adata.uns[f"{u}/channel_mapping"] = np.array(MAPPING, dtype="<U15")
    adata.uns[f"{u}/compression"] = "lzf"


def pipeline_images(path, id_column, id_dtype):
    """The pipeline's container: created empty, attributes set, cells written one by one."""
    with h5py.File(path, "a") as hf:
        ds = hf.create_dataset("obsm/single_cell_images", shape=IMAGES.shape, chunks=(1, 1, S, S), compression="lzf", dtype=np.float16)
        ds.attrs["encoding-type"] = "array"
        ds.attrs["encoding-version"] = "0.2.0"
        ds.attrs["n_cells"] = N
        ds.attrs["n_channels"] = len(NAMES)
        ds.attrs["n_masks"] = len(MASKS)
        ds.attrs["n_image_channels"] = len(CHANNELS)
        ds.attrs["image_size"] = S
        ds.attrs["normalization"] = True
        ds.attrs["normalization_range"] = (0.01, 0.99)
        ds.attrs["channel_names"] = np.array([x.encode() for x in NAMES])
        ds.attrs["channel_mapping"] = np.array([x.encode() for x in MAPPING])
        ds.attrs["compression"] = "lzf"
        for i in range(N):
            ds[i] = IMAGES[i]
            hf[f"obs/{id_column}"][i] = IDS[i]
        assert hf[f"obs/{id_column}"].dtype == id_dtype


def scportrait_130(path):
    var = pd.DataFrame(columns=NAMES)  # zero rows, the names as columns
    obs = pd.DataFrame({"cell_id": np.zeros(N, dtype=np.uint32)})
    adata = anndata.AnnData(obs=obs, var=var)
    uns_pipeline(adata)
    adata.write(path)
    pipeline_images(path, "cell_id", np.uint32)


def scportrait_131(path, id_column):
    var = pd.DataFrame(index=np.arange(len(NAMES)))
    var["channels"] = np.array(NAMES, dtype="<U15")
    var["channel_mapping"] = MAPPING
    obs = pd.DataFrame({id_column: np.zeros(N, dtype=np.uint64)})
    adata = anndata.AnnData(obs=obs, var=var)
    uns_pipeline(adata)
    adata.write(path)
    pipeline_images(path, id_column, np.uint64)


def numpy_to_h5sc(path):
    var = pd.DataFrame(index=np.arange(len(NAMES)).astype("str"))
    var["channels"] = np.array(NAMES)
    var["channel_mapping"] = MAPPING
    obs = pd.DataFrame({"scportrait_cell_id": np.array(IDS, dtype=np.uint64)})
    obs.index = obs.index.values.astype("str")
    adata = anndata.AnnData(obs=obs, var=var)
    u = "single_cell_images"
    adata.uns[f"{u}/n_cells"] = N
    adata.uns[f"{u}/n_channels"] = len(NAMES)
    adata.uns[f"{u}/n_masks"] = len(MASKS)
    adata.uns[f"{u}/n_image_channels"] = len(CHANNELS)
    adata.uns[f"{u}/image_size_x"] = S
    adata.uns[f"{u}/image_size_y"] = S
    adata.uns[f"{u}/channel_names"] = np.array(NAMES)
    adata.uns[f"{u}/channel_mapping"] = np.array(MAPPING, dtype="<U15")
    adata.uns[f"{u}/compression"] = "gzip"
    adata.write(path)
    with h5py.File(path, "a") as hf:
        ds = hf.create_dataset("obsm/single_cell_images", shape=IMAGES.shape, chunks=(1, 1, S, S), compression="gzip", dtype=np.float16)
        ds.attrs["encoding-type"] = "array"
        ds.attrs["encoding-version"] = "0.2.0"
        ds.attrs["n_cells"] = N
        ds.attrs["n_channels"] = len(NAMES)
        ds.attrs["n_masks"] = len(MASKS)
        ds.attrs["n_image_channels"] = len(CHANNELS)
        ds.attrs["image_size_x"] = S
        ds.attrs["image_size_y"] = S
        ds.attrs["channel_names"] = np.array([x.encode() for x in NAMES])
        ds.attrs["channel_mapping"] = np.array([x.encode() for x in MAPPING])
        ds.attrs["compression"] = "gzip"
        for i in range(N):
            ds[i] = IMAGES[i]


def sparcspy(path):
    index = np.array([[i, IDS[i]] for i in range(N)], dtype=np.int64)
    with h5py.File(path, "w") as hf:
        hf.create_dataset("single_cell_index", data=index, dtype=np.int64)
        hf.create_dataset("single_cell_data", data=IMAGES, chunks=(1, 1, S, S), compression="lzf", dtype=np.float32)


def main():
    files = {
        "scportrait-1.3.0.h5adsc": (scportrait_130, NAMES),
        "scportrait-1.3.1.h5sc": (lambda p: scportrait_131(p, "cell_id"), NAMES),
        "scportrait-1.3.3.h5sc": (lambda p: scportrait_131(p, "scportrait_cell_id"), NAMES),
        "numpy_to_h5sc.h5sc": (numpy_to_h5sc, NAMES),
        "sparcspy.h5": (sparcspy, [str(i) for i in range(len(NAMES))]),
    }
    expected = {}
    for name, (write, names) in files.items():
        path = os.path.join(OUT, name)
        if os.path.exists(path):
            os.remove(path)
        write(path)
        expected[name] = {"cellIds": IDS, "channelNames": names}
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
