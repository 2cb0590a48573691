# h5py's side of bench/hdf5-write.mjs: writes the same float16 cells with the
# same chunks and filters, in the same batches; prints one JSON line.
import json, resource, sys, time
import h5py, numpy as np

args = json.loads(sys.argv[1])
cells = np.fromfile(args["cells"], dtype="<f2").reshape(-1, 5, 128, 128)
n, batch = args["n"], args["batch"]
codec = args["codec"]
kw = {}
if codec == "gzip":
    kw = dict(compression="gzip", compression_opts=1)
elif codec == "shuffle+gzip":
    kw = dict(compression="gzip", compression_opts=1, shuffle=True)
elif codec == "lzf":
    kw = dict(compression="lzf")
t0 = time.perf_counter()
with h5py.File(args["out"], "w") as f:
    d = f.create_dataset("images", shape=(n, 5, 128, 128), dtype="<f2", chunks=(1, 1, 128, 128), **kw)
    k = len(cells)
    for start in range(0, n, batch):
        m = min(batch, n - start)
        idx = [(start + i) % k for i in range(m)]
        d[start:start + m] = cells[idx]
elapsed = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": elapsed, "cpu_seconds": ru.ru_utime + ru.ru_stime, "max_rss_mb": ru.ru_maxrss / 1024}))
