// obsm arrays besides the images (embeddings): listed and read as anndata
// wrote them, .h5ad and Zarr v2, judged against what h5py / zarr-python read.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { py } from "../../../test-utils/oracle.js";
import { DatasetError, openDataset } from "../src/index.js";

const N = 30;
const dir = mkdtempSync(path.join(tmpdir(), "lazy-obsm-"));
const files = { h5ad: path.join(dir, "cells.h5ad"), zarr: path.join(dir, "cells.zarr") };

beforeAll(() => {
  py(
    `
import json, sys, numpy as np, pandas as pd, anndata as ad, h5py, zarr
inp = json.loads(sys.stdin.read())
N = inp["n"]
rng = np.random.default_rng(5)
a = ad.AnnData(obs=pd.DataFrame({"cellID": np.arange(N) + 100}, index=[str(i) for i in range(N)]))
a.obsm["X_umap"] = rng.normal(size=(N, 2)).astype(np.float32)
a.obsm["X_pca"] = rng.normal(size=(N, 5))
a.obsm["counts"] = rng.integers(0, 9, size=(N, 3)).astype(np.int32)
a.write_h5ad(inp["h5ad"])
a.write_zarr(inp["zarr"])
imgs = rng.random((N, 1, 4, 4)).astype(np.float32)
with h5py.File(inp["h5ad"], "a") as f:
    d = f["obsm"].create_dataset("single_cell_images", data=imgs, chunks=(1, 1, 4, 4))
    d.attrs["encoding-type"] = "array"; d.attrs["encoding-version"] = "0.2.0"
g = zarr.open_group(inp["zarr"], mode="a")
d = g["obsm"].create_dataset("single_cell_images", data=imgs, chunks=(1, 1, 4, 4))
d.attrs["encoding-type"] = "array"; d.attrs["encoding-version"] = "0.2.0"
print(json.dumps({"ok": True}))
`,
    { n: N, ...files },
  );
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** obsm[key] as h5py reads it, row-major. */
function pythonObsm(file: string, key: string): number[] {
  return py(
    `
import json, sys, numpy as np, h5py, zarr
inp = json.loads(sys.stdin.read())
p, key = inp["path"], inp["key"]
a = zarr.open_group(p, mode="r")["obsm/" + key][:] if p.endswith(".zarr") else h5py.File(p, "r")["obsm/" + key][:]
print(json.dumps(a.astype(np.float64).ravel().tolist()))
`,
    { path: file, key },
  );
}

describe.each(Object.entries(files))("%s", (_, file) => {
  it("lists the 2-D obsm arrays (not the images) with their widths", async () => {
    const ds = await openDataset(file);
    expect(await ds.obsmKeys()).toEqual([
      { key: "X_pca", columns: 5 },
      { key: "X_umap", columns: 2 },
      { key: "counts", columns: 3 },
    ]);
    await ds.close();
  });

  it("reads an embedding as float64, row-major, equal to what Python reads", async () => {
    const ds = await openDataset(file);
    for (const key of ["X_umap", "X_pca", "counts"]) {
      const { values, columns } = await ds.obsm(key);
      const want = pythonObsm(file, key);
      expect(columns).toBe(want.length / N);
      expect(Array.from(values)).toEqual(want);
    }
    await ds.close();
  });

  it("an unknown key names the element and the keys there are", async () => {
    const ds = await openDataset(file);
    const err = await ds.obsm("X_tsne").catch((e) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.message).toContain("/obsm/X_tsne");
    expect(err.message).toContain("X_pca, X_umap, counts");
    await expect(ds.obsm("single_cell_images")).rejects.toThrow(/2-D numeric array/);
    await ds.close();
  });
});
