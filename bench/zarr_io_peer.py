"""zarr-python's side of bench/zarr-io.mjs: the same float16 (N, 5, 128, 128)
array, the same chunks and codec (blosc lz4, byte shuffle, typesize 2), written
then read (WARM_ROUNDS + READ_ROUNDS times, the median of the last READ_ROUNDS reported). zarr-python 2 (Debian 12) writes Zarr v2 chunk by chunk; zarr-python 3
(the PyPI peer "latest") writes Zarr v3 sharded, one shard per assignment (writing a
single chunk into a shard rewrites the shard). Prints one JSON line."""
import json
import resource
import shutil
import sys
import time

import numpy as np
import zarr

inp = json.loads(sys.argv[1])
path, n, shard_rows, block_rows = inp["path"], inp["n"], inp["shard_rows"], inp["block_rows"]
pool = np.fromfile(inp["pool"], dtype="<f2").reshape(-1, 5, 128, 128)
shape = (n, 5, 128, 128)
shutil.rmtree(path, ignore_errors=True)
v3 = zarr.__version__.startswith("3")

t0 = time.perf_counter()
if v3:
    from zarr.codecs import BloscCodec

    a = zarr.create_array(
        path, shape=shape, chunks=(1, 5, 128, 128), shards=(shard_rows, 5, 128, 128), dtype="float16",
        compressors=[BloscCodec(cname="lz4", clevel=5, shuffle="shuffle", typesize=2)], zarr_format=3,
    )
    for s in range(0, n, shard_rows):
        k = min(shard_rows, n - s)
        a[s : s + k] = pool[np.arange(s, s + k) % len(pool)]
else:
    from numcodecs import Blosc

    a = zarr.open_array(path, mode="w", shape=shape, chunks=(1, 5, 128, 128), dtype="<f2",
                        compressor=Blosc(cname="lz4", clevel=5, shuffle=Blosc.SHUFFLE))
    for i in range(n):
        a[i] = pool[i % len(pool)]
t_write = time.perf_counter() - t0

warm = inp.get("warm_rounds", 0)
rounds = warm + inp.get("read_rounds", 1)
reads = []
for _ in range(rounds):
    a = zarr.open_array(path, mode="r")
    t0 = time.perf_counter()
    check = 0.0
    for s in range(0, n, block_rows):
        b = a[s : s + block_rows]
        check += float(b[0, 0, 64, 64])
    reads.append(time.perf_counter() - t0)
into_reads = []
if not v3:
    # the same reads into one reused array (get_basic_selection's out=)
    buf = np.empty((block_rows, 5, 128, 128), dtype="<f2")
    for _ in range(rounds):
        a = zarr.open_array(path, mode="r")
        t0 = time.perf_counter()
        for s in range(0, n, block_rows):
            k = min(block_rows, n - s)
            a.get_basic_selection(slice(s, s + k), out=buf[:k])
        into_reads.append(time.perf_counter() - t0)
med = lambda v: sorted(v)[len(v) // 2] if v else None
print(json.dumps({
    "zarr": zarr.__version__, "write_s": t_write, "read_s": med(reads[warm:]), "read_rounds_s": reads, "check": check,
    "read_into_s": med(into_reads[warm:]), "read_into_rounds_s": into_reads,
    "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
