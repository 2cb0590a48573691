// What `cellfolio extract` writes (.h5sc) and `cellfolio convert` makes of it
// (Zarr v2, Zarr v3 sharded), read by anndata as users run it today (the
// "latest" peer: anndata 0.13, zarr-python 3, h5py 3.16, pandas 3) with
// read_h5ad / read_zarr and lazily with anndata.experimental.read_lazy:
// images, cellIDs, centroids, channel names and uns equal to what our lazy
// reader returns for the same file.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openDataset } from "@cellfolio/lazy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pyPeer, REPO_ROOT, skipPeer, TEST_DATA } from "../../../../test-utils/oracle.js";

const BIN = path.join(REPO_ROOT, "packages/cli/dist/bin.js");
const SAMPLE = path.join(TEST_DATA, "sample");
const dir = mkdtempSync(path.join(tmpdir(), "cellfolio-peers-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cellfolio(...args: string[]) {
  const res = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: REPO_ROOT });
  expect(res.status, `cellfolio ${args.join(" ")}: ${res.stderr}`).toBe(0);
}

/** anndata latest's view: eager (read_h5ad / read_zarr) and lazy (read_lazy) must agree. */
const READ = `
import json, sys, hashlib, warnings
warnings.filterwarnings("ignore")
import numpy as np, pandas as pd, anndata as ad, h5py, zarr
p = json.loads(sys.stdin.read())
eager = ad.read_zarr(p) if p.endswith(".zarr") else ad.read_h5ad(p)
if p.endswith(".zarr"):
    store = zarr.open_group(p, mode="r")
else:
    store = h5py.File(p, "r")
lazy = ad.experimental.read_lazy(store)
def images_sha(im):
    return hashlib.sha256(np.ascontiguousarray(np.asarray(im), dtype="<f4").tobytes()).hexdigest()
def strs(s): return [str(x) for x in s]
def col(df, c):
    s = df[c]
    if isinstance(s.dtype, pd.CategoricalDtype): return strs(s)
    v = s.to_numpy()
    return [float(x) if np.issubdtype(np.asarray(v).dtype, np.floating) else (x.item() if hasattr(x, "item") else x) for x in v]
im = eager.obsm["single_cell_images"]
lobs = lazy.obs.to_memory() if hasattr(lazy.obs, "to_memory") else lazy.obs
lim = lazy.obsm["single_cell_images"]
uns = eager.uns["single_cell_images"]
def jv(v):
    v = np.asarray(v)
    return [str(x) if v.dtype.kind in "OSUT" else x.item() for x in v.ravel()] if v.ndim else (str(v) if v.dtype.kind in "OSUT" else v.item())
print(json.dumps({
  "n_obs": eager.n_obs, "obs_names": strs(eager.obs_names),
  "obs_columns": list(eager.obs.columns),
  "obs": {c: col(eager.obs, c) for c in eager.obs.columns},
  "lazy_obs": {c: col(lobs, c) for c in lobs.columns},
  "var": {c: strs(eager.var[c]) for c in eager.var.columns}, "var_names": strs(eager.var_names),
  "shape": list(im.shape), "dtype": str(im.dtype), "sha": images_sha(im),
  "lazy_type": type(lim).__name__, "lazy_shape": list(lim.shape), "lazy_sha": images_sha(np.asarray(lim)),
  "uns": {k: jv(v) for k, v in uns.items()},
}))
`;

/** annbatch's Loader over the images of our Zarr v3, shuffled: every row once, each batch's rows as on disk. */
const ANNBATCH = `
import json, sys, hashlib, warnings
warnings.filterwarnings("ignore")
import numpy as np, zarr, anndata as ad
from annbatch import Loader
p = json.loads(sys.stdin.read())
g = zarr.open_group(p, mode="r")
images = g["obsm/single_cell_images"]
obs = ad.io.read_elem(g["obs"])
loader = Loader(batch_size=16, chunk_size=8, preload_nchunks=4, shuffle=True, rng=np.random.default_rng(18),
                return_index=True, preload_to_gpu=False).add_dataset(images, obs=obs)
xs, index, ids, sizes = [], [], [], []
for b in loader:
    x = np.asarray(b["X"]); xs.append(x); sizes.append(len(x))
    index += [int(i) for i in b["index"]]
    ids += [int(i) for i in b["obs"]["scportrait_cell_id"]]
xs = np.concatenate(xs)
order = np.argsort(index)
print(json.dumps({
  "index": index, "ids": ids, "sizes": sizes, "dtype": str(xs.dtype), "shape": list(xs.shape),
  "sha_in_row_order": hashlib.sha256(np.ascontiguousarray(xs[order], dtype="<f4").tobytes()).hexdigest(),
  "first": xs[0].ravel().astype(float).tolist(),
}))
`;

describe.skipIf(skipPeer("latest"))("our .h5sc and its Zarr conversions, read by anndata latest", () => {
  const h5 = path.join(dir, "sample.h5sc");
  const annbatchZarr = path.join(dir, "sample.annbatch.zarr");
  const files: Record<string, string> = {
    h5sc: h5,
    "zarr v2": path.join(dir, "sample.v2.zarr"),
    "zarr v3": path.join(dir, "sample.v3.zarr"),
  };

  beforeAll(() => {
    cellfolio(
      "extract",
      "--image", path.join(SAMPLE, "image.tif"),
      "--nucleus", path.join(SAMPLE, "nucleus.tif"),
      "--cytosol", path.join(SAMPLE, "cytosol.tif"),
      "--labels", path.join(SAMPLE, "labels.csv"),
      "--channel-names", "DNA,PH3,cellbody",
      "--size", "48",
      "--out", h5, "--quiet",
    );
    cellfolio("convert", h5, files["zarr v2"], "--zarr-format", "2", "--quiet");
    cellfolio("convert", h5, files["zarr v3"], "--zarr-format", "3", "--quiet");
    // annbatch 0.3.1 misplaces rows of an array whose chunks split an axis
    // after the first (docs/references.md, "annbatch"): whole cells a chunk.
    cellfolio("convert", h5, annbatchZarr, "--zarr-format", "3", "--chunks", "8,5,48,48", "--quiet");
  });

  for (const [kind, file] of Object.entries(files)) {
    it(`${kind}: read_${kind === "h5sc" ? "h5ad" : "zarr"} and read_lazy give our images, cellIDs, obs, var and uns`, async () => {
      const r = pyPeer("latest", READ, file);
      const ds = await openDataset(file);
      await ds.load();
      const cells = await ds.getCells(Array.from({ length: ds.nCells }, (_, i) => i));
      const f32 = cells.data instanceof Float32Array ? cells.data : new Float32Array(cells.data);
      const sha = createHash("sha256").update(Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength)).digest("hex");

      expect(r.n_obs).toBe(ds.nCells);
      expect(r.n_obs).toBeGreaterThan(150);
      expect(r.shape).toEqual(ds.shape);
      expect(r.dtype).toBe("float16");
      expect(r.sha).toBe(sha);
      expect(r.lazy_shape).toEqual(ds.shape);
      expect(r.lazy_sha).toBe(sha);

      expect(r.obs.scportrait_cell_id).toEqual(ds.cellIds);
      for (const c of ["centroid_y", "centroid_x"]) {
        expect(r.obs[c]).toEqual(Array.from(ds.column(c) as ArrayLike<number>));
      }
      expect(r.obs_columns).toEqual(expect.arrayContaining(["scportrait_cell_id", "centroid_y", "centroid_x"]));
      expect(r.lazy_obs).toEqual(r.obs);

      expect(r.var.channels).toEqual(ds.channelNames);
      expect(r.var.channels).toEqual(["nucleus_mask", "cytosol_mask", "DNA", "PH3", "cellbody"]);
      expect(r.var.channel_mapping).toEqual(["mask", "mask", "image_channel", "image_channel", "image_channel"]);

      expect(r.uns.n_cells).toBe(ds.nCells);
      expect(r.uns.channel_names).toEqual(ds.channelNames);
      expect(r.uns.image_size).toBe(48);
      expect(Object.keys(r.uns).sort()).toEqual(
        expect.arrayContaining(["channel_mapping", "channel_names", "image_size", "n_cells", "n_channels", "n_image_channels", "n_masks"]),
      );
      await ds.close();
    });
  }

  it("zarr v3 (chunks of whole cells): annbatch's Loader streams shuffled batches of our images with our cellIDs", async () => {
    const r = pyPeer("latest", ANNBATCH, annbatchZarr);
    const ds = await openDataset(annbatchZarr);
    const all = await ds.getCells(Array.from({ length: ds.nCells }, (_, i) => i));
    const f32 = all.data instanceof Float32Array ? all.data : new Float32Array(all.data);
    expect(r.shape).toEqual(ds.shape);
    expect(r.dtype).toBe("float16");
    expect([...r.index].sort((a: number, b: number) => a - b)).toEqual(Array.from({ length: ds.nCells }, (_, i) => i));
    expect(r.index).not.toEqual(Array.from({ length: ds.nCells }, (_, i) => i));
    expect(r.ids).toEqual(r.index.map((i: number) => ds.cellIds[i]));
    expect(r.sizes.slice(0, -1).every((n: number) => n === 16)).toBe(true);
    expect(r.sha_in_row_order).toBe(createHash("sha256").update(Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength)).digest("hex"));
    const one = await ds.getCells([r.index[0]]);
    expect(r.first).toEqual(Array.from(one.data instanceof Float32Array ? one.data : new Float32Array(one.data)));
    await ds.close();
  });
});
