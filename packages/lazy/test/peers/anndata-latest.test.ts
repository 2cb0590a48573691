// A single-cell dataset written by anndata latest (0.13, pandas 3), which
// stores a string obs index as a nullable-string-array group: openDataset
// gives the obs names, cellIDs and images anndata wrote, from h5ad and Zarr v3.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pyPeer, skipPeer } from "../../../../test-utils/oracle.js";
import { openDataset } from "../../src/index.js";

const dir = mkdtempSync(path.join(tmpdir(), "lazy-peer-latest-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WRITE = `
import json, sys
import numpy as np, pandas as pd, anndata as ad
out = json.loads(sys.stdin.read())
n = 6
rng = np.random.default_rng(3)
images = rng.random((n, 3, 8, 8)).astype(np.float16)
obs = pd.DataFrame({"scportrait_cell_id": np.arange(101, 101 + n, dtype=np.uint64)}, index=[f"cell-{i}" for i in range(n)])
a = ad.AnnData(obs=obs, var=pd.DataFrame(index=[f"c{i}" for i in range(3)]), obsm={"single_cell_images": images})
a.write_h5ad(out["h5ad"])
a.write_zarr(out["zarr"])
import h5py
with h5py.File(out["h5ad"]) as f:
    kind = f["obs/_index"].attrs.get("encoding-type", "array") if isinstance(f["obs/_index"], h5py.Group) else "array"
print(json.dumps({"version": ad.__version__, "index_encoding": str(kind), "bits": images.view(np.uint16).ravel().tolist()}))
`;

describe.skipIf(skipPeer("latest"))("a dataset anndata latest wrote", () => {
  const files = { h5ad: path.join(dir, "latest.h5ad"), zarr: path.join(dir, "latest.zarr") };
  let written: { version: string; index_encoding: string; bits: number[] };

  it("stores its string obs index as a nullable-string-array group (the case under test)", () => {
    written = pyPeer("latest", WRITE, files);
    expect(written.index_encoding).toBe("nullable-string-array");
  });

  for (const kind of ["h5ad", "zarr"] as const) {
    it(`${kind}: openDataset gives the obs names, cellIDs and images anndata wrote`, async () => {
      const ds = await openDataset(files[kind]);
      try {
        expect(ds.obs.index).toEqual(["cell-0", "cell-1", "cell-2", "cell-3", "cell-4", "cell-5"]);
        expect(Array.from(ds.cellIds, Number)).toEqual([101, 102, 103, 104, 105, 106]);
        const cells = await ds.getCells([0, 1, 2, 3, 4, 5], { dtype: "float16" });
        expect(Array.from(cells.data as Uint16Array)).toEqual(written.bits);
      } finally {
        await ds.close();
      }
    });
  }
});
