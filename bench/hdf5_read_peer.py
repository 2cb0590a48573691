# h5py's side of bench/hdf5-read.mjs. "write": makes the h5py-written input
# (float16 (N, 5, 128, 128), chunks (1, 1, 128, 128), one codec). "read":
# reads it in the same blocks and the same random cells as the JS readers,
# `rounds` times (medians); prints one JSON line.
import json, os, resource, sys, time
import h5py, numpy as np

args = json.loads(sys.argv[1])
if args["mode"] == "write":
    n, codec = args["n"], args["codec"]
    kw = {"gzip": dict(compression="gzip", compression_opts=1), "lzf": dict(compression="lzf")}.get(codec, {})
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[:128, :128]
    cells = []
    for k in range(64):
        blob = np.exp(-((yy - 64 - k % 7) ** 2 + (xx - 64 + k % 5) ** 2) / (2 * (18 + k % 9) ** 2))
        st = np.stack([blob * (0.5 + 0.1 * c) + rng.normal(0, 0.02, blob.shape) for c in range(5)])
        st[:, blob < 0.05] = 0
        cells.append(np.clip(st, 0, 1).astype(np.float16))
    cells = np.stack(cells)
    with h5py.File(args["file"], "w") as f:
        d = f.create_dataset("images", shape=(n, 5, 128, 128), dtype="<f2", chunks=(1, 1, 128, 128), **kw)
        for s in range(0, n, 64):
            m = min(64, n - s)
            d[s:s + m] = cells[[(s + i) % 64 for i in range(m)]]
    # Flush to disk so that the first reader does not race the writeback of dirty pages.
    fd = os.open(args["file"], os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    print(json.dumps({"ok": True}))
else:
    block = args["block"]
    cells = json.load(open(args["cells"]))
    with h5py.File(args["file"], "r") as f:
        d = f["images"]
        n = d.shape[0]
        buf = np.empty((block, 5, 128, 128), dtype="<f2")
        rounds = args.get("rounds", 1)
        for b in range(args.get("warm_blocks", 0)):
            s = (b * block) % n
            m = min(block, n - s)
            d.read_direct(buf, np.s_[s:s + m], np.s_[0:m])
        seq = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            for s in range(0, n, block):
                m = min(block, n - s)
                d.read_direct(buf, np.s_[s:s + m], np.s_[0:m])
            seq.append(time.perf_counter() - t0)
        for c in json.load(open(args["warm"])) if "warm" in args else []:
            d[c]
        rnd = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            total = 0
            for c in cells:
                # every 61st value: the checksum shows the same cells were read
                # without timing a pass over each cell (the JS readers do the same)
                total += int(d[c].view(np.uint16).ravel()[::61].astype(np.uint64).sum())
            rnd.append(time.perf_counter() - t0)
    med = lambda v: sorted(v)[len(v) // 2]
    print(json.dumps({"seq_seconds": med(seq), "seq_rounds": seq, "random_seconds": med(rnd), "checksum": total % 2**32,
                      "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
