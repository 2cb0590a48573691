"""Writes the small hostile inputs of the hostile-input tests beside itself, each
damaged in one way, and checks that h5py / zarr-python refuse or read it as
the tests expect. Run with the `latest` peers venv from the repository root:

    /opt/cellfolio-peers/latest/bin/python test-data/hostile/make_hostile.py

- bad-gzip.h5ad: X (2048 x 256 float32, gzip, 256 chunks of 8 rows); the
  deflate stream of chunk 1 is damaged (h5py: "filter returned failure").
- cycle.h5ad: uns/loop is a hard link to the root group (a cycle).
- selflink.h5ad: uns/self is a soft link to itself (h5py: "too many links").
- dim-2e32.h5ad: X's first dimension (and maximum) patched to 2^32 + 1
  (contiguous data of 40 x 8 float32 in a file of 22 KB; h5py: "invalid
  dataset size").
- shape-2e64.zarr: Zarr v2, X's shape[0] in .zarray is 2^64.
- bad-crc.zarr.zip: a zipped Zarr v2 store, one byte of X's chunk flipped
  (Python's zipfile: "Bad CRC-32").
- bad-blosc.zarr: Zarr v2, X in blosc lz4; the block size in chunk 0.0's
  header made larger than the chunk (numcodecs: "error during blosc
  decompression").
"""

import json
import os
import shutil
import struct
import zipfile

import anndata as ad
import h5py
import numpy as np
import pandas as pd
import zarr

HERE = os.path.dirname(os.path.abspath(__file__))
ad.settings.zarr_write_format = 2


def out(name):
    p = os.path.join(HERE, name)
    if os.path.isdir(p):
        shutil.rmtree(p)
    elif os.path.exists(p):
        os.remove(p)
    return p


def small(n_obs=40, n_vars=8):
    x = (np.arange(n_obs * n_vars, dtype=np.float32) % 7).reshape(n_obs, n_vars)
    return ad.AnnData(X=x)


def refuses(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - any refusal
        return f"{type(e).__name__}: {e}"
    raise SystemExit("expected the peer to refuse this input")


# bad-gzip.h5ad
p = out("bad-gzip.h5ad")
x = np.tile((np.arange(256, dtype=np.float32) % 13), (2048, 1))
ad.AnnData(obs=pd.DataFrame(index=[str(i) for i in range(2048)]), var=pd.DataFrame(index=[str(i) for i in range(256)])).write_h5ad(p)
with h5py.File(p, "r+") as f:
    f.create_dataset("X", data=x, chunks=(8, 256), compression="gzip")
    f["X"].attrs["encoding-type"] = "array"
    f["X"].attrs["encoding-version"] = "0.2.0"
with h5py.File(p) as f:
    info = f["X"].id.get_chunk_info(1)
b = bytearray(open(p, "rb").read())
for k in range(16):
    b[info.byte_offset + 4 + k] ^= 0x5A
open(p, "wb").write(b)
print("bad-gzip.h5ad:", refuses(lambda: h5py.File(p)["X"][:]))

# cycle.h5ad, selflink.h5ad
p = out("cycle.h5ad")
small().write_h5ad(p)
with h5py.File(p, "r+") as f:
    f["uns"]["loop"] = f["/"]
p = out("selflink.h5ad")
small().write_h5ad(p)
with h5py.File(p, "r+") as f:
    f["uns"]["self"] = h5py.SoftLink("/uns/self")
print("selflink.h5ad:", refuses(lambda: h5py.File(p)["uns/self"]))

# dim-2e32.h5ad
p = out("dim-2e32.h5ad")
small().write_h5ad(p)
b = bytearray(open(p, "rb").read())
# the dataspace message: dimension sizes, then maximum sizes
pattern = struct.pack("<QQQQ", 40, 8, 40, 8)
at = b.index(pattern)
b[at : at + 32] = struct.pack("<QQQQ", 2**32 + 1, 8, 2**32 + 1, 8)
open(p, "wb").write(b)
print("dim-2e32.h5ad:", refuses(lambda: h5py.File(p)["X"]))

# shape-2e64.zarr
p = out("shape-2e64.zarr")
small().write_zarr(p)
for meta in ["X/.zarray"]:
    m = os.path.join(p, meta)
    text = open(m).read()
    doc = json.loads(text)
    doc["shape"][0] = 2**64
    open(m, "w").write(json.dumps(doc, indent=4))
if os.path.exists(os.path.join(p, ".zmetadata")):
    os.remove(os.path.join(p, ".zmetadata"))
print("shape-2e64.zarr:", refuses(lambda: zarr.open_group(p, mode="r")["X"][:]))

# bad-crc.zarr.zip
src = out("bad-crc-src.zarr")
small().write_zarr(src)
p = out("bad-crc.zarr.zip")
with zipfile.ZipFile(p, "w", zipfile.ZIP_STORED) as z:
    for root, _dirs, files in sorted(os.walk(src)):
        for name in sorted(files):
            full = os.path.join(root, name)
            z.write(full, os.path.relpath(full, src))
with zipfile.ZipFile(p) as z:
    entry = z.getinfo("X/0.0")
b = bytearray(open(p, "rb").read())
data_at = entry.header_offset + 30 + len(entry.filename.encode()) + len(entry.extra)
b[data_at + entry.file_size // 2] ^= 0xFF
open(p, "wb").write(b)
shutil.rmtree(src)
print("bad-crc.zarr.zip:", refuses(lambda: zarr.open_group(zarr.storage.ZipStore(p, mode="r"), mode="r")["X"][:]))

# bad-blosc.zarr
p = out("bad-blosc.zarr")
small(64, 64).write_zarr(p)
g = zarr.open_group(p, mode="r+")
x = g["X"][:]
del g["X"]
from numcodecs import Blosc  # noqa: E402

zarr.create_array(store=p, name="X", data=x, chunks=(32, 64), compressors=Blosc(cname="lz4", clevel=5, shuffle=Blosc.SHUFFLE), zarr_format=2, overwrite=True, attributes={"encoding-type": "array", "encoding-version": "0.2.0"})
c = os.path.join(p, "X", "0.0")
b = bytearray(open(c, "rb").read())
nbytes = struct.unpack_from("<I", b, 4)[0]
struct.pack_into("<I", b, 8, nbytes * 2)
open(c, "wb").write(b)
if os.path.exists(os.path.join(p, ".zmetadata")):
    os.remove(os.path.join(p, ".zmetadata"))
print("bad-blosc.zarr:", refuses(lambda: zarr.open_group(p, mode="r")["X"][:]))
