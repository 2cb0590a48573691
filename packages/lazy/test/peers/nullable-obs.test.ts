// obs columns that can hold missing values, written by anndata latest (0.13,
// pandas 3): nullable Int64 / boolean / string columns (values + mask) and a
// categorical with NaN (code -1). ds.obs keeps which rows are missing,
// batches({ labelColumn }) labels them -1, split({ column }) puts them in no
// part; from .h5sc (HDF5) and Zarr v3.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pyPeer, skipPeer } from "../../../../test-utils/oracle.js";
import { batches, type Dataset, labelsOf, openDataset, split } from "../../src/index.js";

const dir = mkdtempSync(path.join(tmpdir(), "lazy-nullable-obs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WRITE = `
import json, sys
import numpy as np, pandas as pd, anndata as ad, h5py
out = json.loads(sys.stdin.read())
ad.settings.allow_write_nullable_strings = True  # "name" as a nullable-string-array, not a categorical
n = 6
obs = pd.DataFrame({
    "scportrait_cell_id": np.arange(1, n + 1, dtype=np.uint64),
    "plate": pd.array([1, 2, None, 1, None, 2], dtype="Int64"),
    "ok": pd.array([True, None, False, None, True, True], dtype="boolean"),
    "cls": pd.Categorical(["a", None, "b", None, "a", "b"]),
    "name": pd.array(["x", None, "y", "w", None, "z"], dtype="string"),
    "neg": pd.array([-1, None, 0, 1, 2, 3], dtype="Int64"),
}, index=[str(i) for i in range(n)])
var = pd.DataFrame({"channels": ["nucleus_mask", "cytosol_mask", "DAPI"]}, index=["0", "1", "2"])
a = ad.AnnData(obs=obs, var=var, obsm={"single_cell_images": np.zeros((n, 3, 8, 8), np.float16)})
a.write_h5ad(out["h5sc"], convert_strings_to_categoricals=False)
a.write_zarr(out["zarr"], convert_strings_to_categoricals=False)
# a cellID column with a missing value
ids = pd.DataFrame({"scportrait_cell_id": pd.array([1, 2, None, 4, 5, 6], dtype="UInt64")}, index=obs.index)
ad.AnnData(obs=ids, obsm={"single_cell_images": np.zeros((n, 3, 8, 8), np.float16)}).write_h5ad(out["ids"])
with h5py.File(out["h5sc"]) as f:
    encodings = {c: f["obs"][c].attrs["encoding-type"] for c in ["plate", "ok", "cls", "name", "neg"]}
# what pandas reads back: the present values and which rows are missing
back = ad.read_h5ad(out["h5sc"]).obs
cols = {c: {"na": back[c].isna().astype(int).tolist(), "values": [None if pd.isna(v) else (v if isinstance(v, str) else int(v)) for v in back[c]]} for c in encodings}
print(json.dumps({"encodings": encodings, "cols": cols}))
`;

type Written = { encodings: Record<string, string>; cols: Record<string, { na: number[]; values: (number | string | null)[] }> };

async function labels(ds: Dataset, column: string): Promise<number[]> {
  const out = new Array<number>(ds.nCells);
  for await (const b of batches(ds, { batchSize: 4, shuffle: true, seed: 2, labelColumn: column })) {
    b.rows.forEach((r, i) => {
      out[r] = b.labels![i];
    });
  }
  return out;
}

const parts = (s: Record<string, Int32Array>) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Array.from(v)]));

describe.skipIf(skipPeer("latest"))("obs columns with missing values (anndata latest)", () => {
  const files = { h5sc: path.join(dir, "nullable.h5sc"), zarr: path.join(dir, "nullable.zarr"), ids: path.join(dir, "ids.h5sc") };
  let written: Written;

  it("anndata stores them as nullable-integer, nullable-boolean, nullable-string-array and categorical (the cases under test)", () => {
    written = pyPeer("latest", WRITE, files);
    expect(written.encodings).toEqual({ plate: "nullable-integer", ok: "nullable-boolean", cls: "categorical", name: "nullable-string-array", neg: "nullable-integer" });
  });

  for (const kind of ["h5sc", "zarr"] as const) {
    describe(kind, () => {
      let ds: Dataset;
      afterAll(() => ds?.close());

      it("ds.obs marks the missing rows of every nullable and categorical column; the present values are pandas'", async () => {
        ds = await openDataset(files[kind]);
        expect(Object.keys(ds.obs.missing).sort()).toEqual(["cls", "name", "neg", "ok", "plate"]);
        for (const [c, { na, values }] of Object.entries(written.cols)) {
          expect(ds.obs.missing[c], c).toBeInstanceOf(Uint8Array);
          expect(Array.from(ds.obs.missing[c]), c).toEqual(na);
          const col = ds.obs.columns[c];
          const got = Array.from(col as ArrayLike<unknown>, (v, r) => (na[r] ? null : typeof v === "string" ? v : Number(v)));
          expect(got, c).toEqual(values);
        }
        // the column arrays keep their types; values at missing rows are placeholders
        expect(ds.obs.columns.plate).toBeInstanceOf(BigInt64Array);
        expect(ds.obs.columns.cls).toEqual(["a", "", "b", "", "a", "b"]);
        expect(Array.from(ds.obs.categorical.cls.codes)).toEqual([0, -1, 1, -1, 0, 1]);
        expect(ds.obs.missing.scportrait_cell_id).toBeUndefined();
      });

      it("batches({ labelColumn }) labels a missing value -1, for nullable integers, booleans, strings and categoricals", async () => {
        expect(await labels(ds, "plate")).toEqual([1, 2, -1, 1, -1, 2]);
        expect(await labels(ds, "ok")).toEqual([1, -1, 0, -1, 1, 1]);
        expect(await labels(ds, "cls")).toEqual([0, -1, 1, -1, 0, 1]);
        expect(await labels(ds, "name")).toEqual([1, -1, 2, 0, -1, 3]);
        expect(labelsOf(ds, "name").categories).toEqual(["w", "x", "y", "z"]); // no placeholder among them
        // a stored -1 next to a missing value would be the same label: refused
        await expect(labels(ds, "neg")).rejects.toThrow(/obs\/neg: row 0 holds -1, the label of a missing value \(row 1 is missing\)/);
      });

      it("split({ column }) leaves the cells with a missing value out of every part", () => {
        expect(parts(split(ds, { column: "plate" }))).toEqual({ "1": [0, 3], "2": [1, 5] });
        expect(parts(split(ds, { column: "ok" }))).toEqual({ "1": [0, 4, 5], "0": [2] });
        expect(parts(split(ds, { column: "cls" }))).toEqual({ a: [0, 4], b: [2, 5] });
        expect(parts(split(ds, { column: "name" }))).toEqual({ x: [0], y: [2], w: [3], z: [5] });
      });
    });
  }

  it("a missing cellID is an error naming the column and the row, not cellID 0", async () => {
    await expect(openDataset(files.ids)).rejects.toThrow(/obs\/scportrait_cell_id: the cellID of row 2 is missing/);
    const lazy = await openDataset(files.ids, { eager: false });
    await expect(lazy.getCells([0])).rejects.toThrow(/the cellID of row 2 is missing/);
    await lazy.close();
  });
});
