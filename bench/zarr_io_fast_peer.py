"""The fast Zarr peers' side of bench/zarr-io.mjs, from the on-demand venv
"zarr-fast" (bash .ci/setup-peers.sh zarr-fast): zarr-python 3 with the Rust
codec pipeline of zarrs-python, and tensorstore. The same float16
(N, 5, 128, 128) array, chunks (1, 5, 128, 128), blosc lz4 + byte shuffle, as
Zarr v3 sharded or Zarr v2. Both are given their best case: writes of whole
shards (v3) or of SHARD_ROWS rows at once (v2), reads of BLOCK_ROWS rows, all
their threads. Prints one JSON line.

  python zarr_io_fast_peer.py '{"backend": "zarrs"|"tensorstore", "v3": true, ...}'
"""
import json
import os
from concurrent.futures import ThreadPoolExecutor
import resource
import shutil
import sys
import time

import numpy as np

inp = json.loads(sys.argv[1])
path, n, shard_rows, block_rows = inp["path"], inp["n"], inp["shard_rows"], inp["block_rows"]
backend, v3 = inp["backend"], inp["v3"]
pool = np.fromfile(inp["pool"], dtype="<f2").reshape(-1, 5, 128, 128)
shape = (n, 5, 128, 128)
shutil.rmtree(path, ignore_errors=True)


def rows(s, k):
    return pool[np.arange(s, s + k) % len(pool)]


if backend == "zarrs":
    import zarr
    import zarrs  # noqa: F401  (registers the pipeline)

    zarr.config.set({"codec_pipeline.path": "zarrs.ZarrsCodecPipeline"})
    version = f"zarr-python {zarr.__version__} + zarrs {zarrs.__version__}"

    def create():
        if v3:
            from zarr.codecs import BloscCodec

            return zarr.create_array(
                path, shape=shape, chunks=(1, 5, 128, 128), shards=(shard_rows, 5, 128, 128), dtype="float16",
                compressors=[BloscCodec(cname="lz4", clevel=5, shuffle="shuffle", typesize=2)], zarr_format=3,
            )
        from numcodecs import Blosc

        return zarr.create_array(
            path, shape=shape, chunks=(1, 5, 128, 128), dtype="<f2", zarr_format=2,
            compressors=Blosc(cname="lz4", clevel=5, shuffle=Blosc.SHUFFLE),
        )

    def reopen():
        return zarr.open_array(path, mode="r")

    def write(a, s, block):
        a[s : s + len(block)] = block

    def read(a, s, k):
        return a[s : s + k]
else:
    import tensorstore as ts

    from importlib.metadata import version as package_version

    version = f"tensorstore {package_version('tensorstore')}"
    kvstore = {"driver": "file", "path": path}
    if v3:
        spec = {
            "driver": "zarr3", "kvstore": kvstore,
            "metadata": {
                "shape": list(shape), "data_type": "float16",
                "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [shard_rows, 5, 128, 128]}},
                "codecs": [{"name": "sharding_indexed", "configuration": {
                    "chunk_shape": [1, 5, 128, 128],
                    "codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                               {"name": "blosc", "configuration": {"cname": "lz4", "clevel": 5, "shuffle": "shuffle", "typesize": 2}}],
                    "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}],
                }}],
            },
        }
    else:
        spec = {
            "driver": "zarr", "kvstore": kvstore,
            "metadata": {"shape": list(shape), "chunks": [1, 5, 128, 128], "dtype": "<f2",
                         "compressor": {"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1, "blocksize": 0}},
        }

    def create():
        return ts.open(spec, create=True, delete_existing=True).result()

    def reopen():
        return ts.open({"driver": spec["driver"], "kvstore": kvstore}, open=True, read=True).result()

    def write(a, s, block):
        a[s : s + len(block)].write(block).result()

    def read(a, s, k):
        return a[s : min(n, s + k)].read().result()


t0 = time.perf_counter()
a = create()
for s in range(0, n, shard_rows):
    write(a, s, rows(s, min(shard_rows, n - s)))
t_write = time.perf_counter() - t0

# What our writer counts in its write and these peers do not (tensorstore may
# sync as it writes): every file of the store on disk. Timed apart, after the
# write, an fsync a file on 8 threads, so the comparison with our durable
# write is fair.
def fsync_file(file):
    fd = os.open(file, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


t0 = time.perf_counter()
with ThreadPoolExecutor(8) as ex:
    list(ex.map(fsync_file, [os.path.join(root, f) for root, _, files in os.walk(path) for f in files]))
t_sync = time.perf_counter() - t0

warm = inp.get("warm_rounds", 0)
reads = []
check = 0.0
for _ in range(warm + inp.get("read_rounds", 1)):
    a = reopen()
    t0 = time.perf_counter()
    check = 0.0
    for s in range(0, n, block_rows):
        b = read(a, s, block_rows)
        check += float(b[0, 0, 64, 64])
    reads.append(time.perf_counter() - t0)
med = lambda v: sorted(v)[len(v) // 2]
print(json.dumps({
    "zarr": version, "write_s": t_write, "sync_s": t_sync, "read_s": med(reads[warm:]), "read_rounds_s": reads, "check": check,
    "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
