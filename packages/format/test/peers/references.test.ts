// hdf5References on the HDF5 layouts a reference set must express, made by
// h5py (the "latest" peer): chunked with gzip + shuffle + fletcher32, lzf with
// an incompressible chunk (stored without the filter: its filter-mask bit is
// set), big-endian, contiguous, compact, scalars, strings, bools, a fill value
// and a never-written dataset. Every array read through the reference set, by
// our openStore and by zarr-python (fsspec's reference file system), equals
// h5py's read of the file; and the bytes read to write the set are metadata
// only, not the chunks.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type ByteSource, openSource } from "@cellfolio/hdf5";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PEER_UTILS, pyPeer, skipPeer } from "../../../../test-utils/oracle.js";
import { hdf5References, stringifyReferences } from "../../src/references/kerchunk.js";
import { openStore } from "../../src/store.js";

const dir = mkdtempSync(path.join(tmpdir(), "cellfolio-refs-format-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, "layouts.h5");
const refs = path.join(dir, "layouts.json");

const MAKE = `
import json, sys, numpy as np, h5py
p = json.loads(sys.stdin.read())
rng = np.random.default_rng(3)
with h5py.File(p, "w") as f:
    f.attrs["encoding-type"] = "anndata"; f.attrs["n"] = np.int64(7); f.attrs["xs"] = np.array([1.5, 2.5]); f.attrs["flag"] = True
    img = np.zeros((400, 2, 32, 32), np.float16); img[:, :, 8:24, 8:24] = rng.random((400, 2, 16, 16))
    f.create_dataset("g/gzip_shuffle_fletcher", data=img, chunks=(1, 1, 32, 32), compression="gzip", compression_opts=4, shuffle=True, fletcher32=True)
    lz = np.zeros((4, 64, 64), np.float32); lz[1] = rng.random((64, 64))  # chunk 1 is noise: lzf cannot shrink it
    f.create_dataset("g/lzf", data=lz, chunks=(1, 64, 64), compression="lzf")
    f.create_dataset("big_endian", data=np.arange(1000, dtype=">i4").reshape(10, 100), chunks=(3, 40))
    f.create_dataset("contiguous", data=rng.random(5000))
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE); dcpl.set_layout(h5py.h5d.COMPACT)
    h5py.h5d.create(f.id, b"compact", h5py.h5t.STD_I16LE, h5py.h5s.create_simple((6,)), dcpl).write(h5py.h5s.ALL, h5py.h5s.ALL, np.arange(6, dtype="<i2"))
    f.create_dataset("scalar", data=np.float64(2.75))
    f.create_dataset("strings", data=np.array(["a", "bé", ""], dtype=object), dtype=h5py.string_dtype())
    f.create_dataset("bools", data=np.array([True, False, True]))
    f.create_dataset("filled", shape=(10, 10), dtype="f4", chunks=(5, 5), fillvalue=np.nan)[0:5, 0:5] = 1
    f.create_dataset("unwritten", shape=(4,), dtype="i8", fillvalue=-3)
    print(json.dumps({"masked": [c.filter_mask for c in map(f["g/lzf"].id.get_chunk_info, range(f["g/lzf"].id.get_num_chunks()))]}))
`;

/** Every dataset, by h5py from the file and by zarr-python through the references. */
const READ = `
import json, sys, os, numpy as np, h5py, zarr
sys.path.insert(0, ${JSON.stringify(PEER_UTILS)})
import hdf5_lzf; hdf5_lzf.register()
p = json.loads(sys.stdin.read())
os.chdir(os.path.dirname(p["refs"]))
g = zarr.open_group("reference://", mode="r", zarr_format=2, storage_options={"fo": p["refs"], "remote_protocol": "file", "remote_options": {"asynchronous": True}})
out = {}
def norm(v):
    v = np.asarray(v)
    if v.dtype.kind in "OSUT": return [x.decode() if isinstance(x, bytes) else str(x) for x in v.ravel()]
    return [None if isinstance(x, float) and np.isnan(x) else x for x in v.astype(float if v.dtype.kind == "f" else np.int64 if v.dtype.kind in "iu" else bool).ravel().tolist()]
with h5py.File(p["h5"], "r") as h:
    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            out[name] = {"h5py": norm(obj[()]), "zarr": norm(g[name][()]), "dtype": str(g[name].dtype)}
    h.visititems(visit)
    out["_attrs"] = {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in g.attrs.items()}
print(json.dumps(out))
`;

describe.skipIf(skipPeer("latest"))("hdf5References on h5py's layouts", () => {
  let made: any;
  let read: any;
  let counted = { bytes: 0, size: 0 };
  beforeAll(async () => {
    made = pyPeer("latest", MAKE, file);
    const inner = await openSource(file);
    const size = await inner.size();
    let bytes = 0;
    const src: ByteSource = {
      name: file,
      size: () => inner.size(),
      read: (o, n) => {
        bytes += n;
        return inner.read(o, n);
      },
      close: () => inner.close?.() ?? Promise.resolve(),
    };
    const { references } = await hdf5References(src, { target: "layouts.h5" });
    counted = { bytes, size };
    writeFileSync(refs, stringifyReferences(references));
    read = pyPeer("latest", READ, { refs, h5: file });
  });

  it("h5py stored one lzf chunk without the filter (the case that is re-encoded inline)", () => {
    expect(made.masked).toEqual([0, 1, 0, 0]);
  });

  it("zarr-python reads every dataset through the references as h5py reads the file", () => {
    const names = Object.keys(read).filter((k) => k !== "_attrs");
    expect(names.sort()).toEqual(
      ["big_endian", "bools", "compact", "contiguous", "filled", "g/gzip_shuffle_fletcher", "g/lzf", "scalar", "strings", "unwritten"].sort(),
    );
    for (const n of names) expect(read[n].zarr, n).toEqual(read[n].h5py);
    expect(read.bools.dtype).toBe("bool");
    expect(read._attrs).toEqual({ "encoding-type": "anndata", n: 7, xs: [1.5, 2.5], flag: true });
  });

  it("openStore reads every dataset through the references as h5py reads the file", async () => {
    const s = await openStore(refs);
    for (const n of Object.keys(read).filter((k) => k !== "_attrs")) {
      const a = await s.readArray(n);
      const info = await s.get(n);
      let v: unknown[] = Array.from(a.data as ArrayLike<unknown>, (x) => (typeof x === "bigint" ? Number(x) : x));
      if (info?.kind === "array" && info.dtype === "float16") {
        const { float16BitsToNumber } = await import("../../src/float16.js");
        v = v.map((x) => float16BitsToNumber(x as number));
      }
      if (info?.kind === "array" && info.dtype === "bool") v = v.map((x) => !!x);
      v = v.map((x) => (typeof x === "number" && Number.isNaN(x) ? null : x));
      expect(v, n).toEqual(read[n].h5py);
    }
    await s.close();
  });

  it("reads metadata only: a fraction of the file, not its chunks", () => {
    // metadata comes in 64 KiB blocks; the only chunk data read is the masked lzf chunk (16 KiB) and arrays under 500 bytes
    expect(counted.bytes).toBeLessThan(counted.size / 3);
    console.log(`hdf5References read ${counted.bytes} of ${counted.size} bytes`);
  });
});
